"""The dashboard's filters (year, unit, what to show), read the same way by the pages,
the exports and the export jobs, so an export always holds what the page showed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people.models import OrgUnit

from .selectors.scope import dashboard_unit_get

# How many years back the year picker goes (this year included).
YEARS_BACK = 5

# /dashboard/people/?show=…  (label shown in the page's heading and filter)
PEOPLE_FILTERS: dict[str, Any] = {
    "all": _("Everyone"),
    "overdue": _("With an overdue required course"),
    "incomplete": _("With a required course not completed"),
    "hours_short": _("Below their annual study hours"),
    "absent": _("Missed an education-month event"),
    "quiz_failed": _("With a test not passed"),
    "appointee_pending": _("Appointees not yet cleared"),
    "appointee_overdue": _("Appointees past their take-office date, not cleared"),
    "certified": _("With a certificate issued this year"),
}

# /dashboard/enrolments/?status=…
ENROLMENT_FILTERS: dict[str, Any] = {
    "all": _("All required courses"),
    "overdue": _("Overdue"),
    "open": _("Not completed"),
    "completed": _("Completed"),
}


@dataclass(frozen=True)
class DashboardFilters:
    year: int
    unit: OrgUnit
    show: str = "all"  # people pages
    status: str = "all"  # enrolment pages
    today: datetime.date = field(default_factory=lambda: timezone.localdate())

    def as_params(self) -> dict[str, Any]:
        """JSON-safe, for query strings and export jobs."""
        return {"year": self.year, "unit": self.unit.pk, "show": self.show, "status": self.status}


def year_choices(today: datetime.date | None = None) -> list[int]:
    today = today or timezone.localdate()
    return list(range(today.year, today.year - YEARS_BACK, -1))


def _int(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def filters_from_params(*, viewer: object, params: QueryDict | dict[str, Any]) -> DashboardFilters:
    """Filters from a query string (or an export job's stored params), checked against the
    viewer's scope. A unit outside the scope, or a unit that does not exist, is a 404 (the
    answer gives no hint whether it exists); anything else malformed falls back to the
    default (this year, the top of the scope, everyone)."""
    today = timezone.localdate()
    years = year_choices(today)
    year = _int(params.get("year"))
    if year not in years:
        year = today.year
    unit_pk = _int(params.get("unit"))
    if params.get("unit") not in (None, "") and unit_pk is None:
        raise Http404
    unit = dashboard_unit_get(viewer=viewer, pk=unit_pk)
    if unit is None:
        raise Http404
    show = str(params.get("show") or "all")
    if show not in PEOPLE_FILTERS:
        show = "all"
    status = str(params.get("status") or "all")
    if status not in ENROLMENT_FILTERS:
        status = "all"
    return DashboardFilters(year=int(year), unit=unit, show=show, status=status, today=today)
