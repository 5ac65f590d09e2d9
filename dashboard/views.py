"""/dashboard/: the unit compliance dashboard and its drill-downs (people, required
courses).

Every figure comes from ``selectors.metrics.dashboard_build`` and every list from
``selectors.people``; the filters (year, unit, what to show) are read once by
``filters.filters_from_params`` (a unit outside the viewer's scope is a 404). A figure
that counts people links to the list of exactly those people, so the number and the
list's length agree; U's own row (people directly in U) has no such links, because the
lists always cover a whole subtree.

The pages list names: they are never cached (``Cache-Control: private, no-store``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from people.access import role_required
from people.models import User

from .charts import dashboard_charts
from .filters import (
    ENROLMENT_FILTERS,
    PEOPLE_FILTERS,
    DashboardFilters,
    filters_from_params,
    year_choices,
)
from .selectors.metrics import Figures, dashboard_build
from .selectors.people import dashboard_enrolments, dashboard_people
from .selectors.scope import DASHBOARD_ROLES, dashboard_breadcrumbs, dashboard_units_in_scope

PAGE_SIZE = 50


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def _query(filters: DashboardFilters, **extra: Any) -> str:
    """The query string of ``filters`` (year and unit), plus ``extra``."""
    params: dict[str, Any] = {"year": filters.year, "unit": filters.unit.pk, **extra}
    return urlencode(params)


def _url(name: str, **params: Any) -> str:
    return f"{reverse(name)}?{urlencode(params)}"


@dataclass
class Row:
    """One line of the dashboard table: the figures, what to call the row, where its
    name leads and the drill-down links of its figures (none for U's own row)."""

    figures: Figures
    label: str
    href: str = ""
    is_total: bool = False
    links: dict[str, str] = field(default_factory=dict)

    @property
    def unit_pk(self) -> int | None:
        return self.figures.unit_pk

    @property
    def appointees_open(self) -> int:
        return self.figures.appointees_pending + self.figures.appointees_overdue

    @property
    def hours_short(self) -> int:
        return self.figures.hours_people - self.figures.hours_met


def _links(*, year: int, unit_pk: int) -> dict[str, str]:
    def people(show: str) -> str:
        return _url("dashboard:people", year=year, unit=unit_pk, show=show)

    def enrolments(status: str) -> str:
        return _url("dashboard:enrolments", year=year, unit=unit_pk, status=status)

    links = {show: people(show) for show in PEOPLE_FILTERS}
    links.update({f"enrolments_{status}": enrolments(status) for status in ENROLMENT_FILTERS})
    return links


def _rows(dashboard: Any, filters: DashboardFilters) -> tuple[list[Row], Row]:
    rows: list[Row] = []
    for figures in dashboard.rows:
        if figures.own:
            label = _("%(unit)s (its own staff)") % {"unit": figures.name}
            rows.append(Row(figures=figures, label=label))
            continue
        assert figures.unit_pk is not None
        links = _links(year=filters.year, unit_pk=figures.unit_pk)
        if figures.has_children:
            href = _url("dashboard:index", year=filters.year, unit=figures.unit_pk)
        else:
            href = links["all"]
        rows.append(Row(figures=figures, label=figures.name, href=href, links=links))
    total = Row(
        figures=dashboard.total,
        label=_("Total"),
        is_total=True,
        links=_links(year=filters.year, unit_pk=filters.unit.pk),
    )
    return rows, total


def _unit_options(viewer: User) -> list[tuple[int, str]]:
    """The unit picker's options, indented by depth below the top of the scope."""
    units = list(dashboard_units_in_scope(viewer=viewer).only("pk", "name", "depth"))
    top = min((u.depth for u in units), default=1)
    return [(u.pk, "\u00a0\u00a0" * (u.depth - top) + u.name) for u in units]


def _filter_context(viewer: User, filters: DashboardFilters) -> dict[str, Any]:
    return {
        "filters": filters,
        "unit": filters.unit,
        "year": filters.year,
        "years": year_choices(filters.today),
        "unit_options": _unit_options(viewer),
        "breadcrumbs": dashboard_breadcrumbs(viewer=viewer, unit=filters.unit),
    }


@role_required(*DASHBOARD_ROLES)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The figures of a unit for a year: headline cards for the whole unit, one row per
    sub-unit with drill-down links, exports and four charts."""
    viewer = _viewer(request)
    filters = filters_from_params(viewer=viewer, params=request.GET)
    dashboard = dashboard_build(viewer=viewer, filters=filters)
    rows, total = _rows(dashboard, filters)
    context = {
        **_filter_context(viewer, filters),
        "dashboard": dashboard,
        "rows": rows,
        "total": total,
        "charts": dashboard_charts(dashboard, rows=rows),
        "query": _query(filters),
    }
    return _no_store(render(request, "dashboard/index.html", context))


def _page(request: HttpRequest, qs: Any) -> Any:
    """A page of ``qs``: a page number past the end shows the last page, anything that is
    not a number the first (Django's ``get_page``)."""
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


@role_required(*DASHBOARD_ROLES)
def people_view(request: HttpRequest) -> HttpResponse:
    """The people behind a figure (``show``), with their own figures, 50 a page."""
    viewer = _viewer(request)
    filters = filters_from_params(viewer=viewer, params=request.GET)
    page = _page(request, dashboard_people(viewer=viewer, filters=filters))
    context = {
        **_filter_context(viewer, filters),
        "show_choices": list(PEOPLE_FILTERS.items()),
        "show_label": PEOPLE_FILTERS[filters.show],
        "page_obj": page,
        "paginator": page.paginator,
        "is_paginated": page.has_other_pages(),
        "people": list(page.object_list),
        "query_string": _query(filters, show=filters.show),
        "query": _query(filters, show=filters.show),
    }
    return _no_store(render(request, "dashboard/people.html", context))


@role_required(*DASHBOARD_ROLES)
def enrolments_view(request: HttpRequest) -> HttpResponse:
    """The required-course records of a unit for a year (all, overdue, open, completed),
    50 a page."""
    viewer = _viewer(request)
    filters = filters_from_params(viewer=viewer, params=request.GET)
    page = _page(request, dashboard_enrolments(viewer=viewer, filters=filters))
    records = []
    for enrolment in page.object_list:
        if enrolment.completed_at is not None:
            state = "completed"
        elif enrolment.due_date is not None and enrolment.due_date < filters.today:
            state = "overdue"
        else:
            state = "open"
        records.append((enrolment, state))
    context = {
        **_filter_context(viewer, filters),
        "status_choices": list(ENROLMENT_FILTERS.items()),
        "status_label": ENROLMENT_FILTERS[filters.status],
        "page_obj": page,
        "paginator": page.paginator,
        "is_paginated": page.has_other_pages(),
        "records": records,
        "query_string": _query(filters, status=filters.status),
        "query": _query(filters, status=filters.status),
    }
    return _no_store(render(request, "dashboard/enrolments.html", context))
