"""What the dashboard's exports hold: for each table (figures by unit, people, required
courses) the column names, in the language of the request, and the rows, with the page's
filters and within the viewer's scope (the rows come from the same selectors as the pages,
so a file holds exactly what its page lists).

People and required-course rows are read with ``values_list(...).iterator()``: no model
instances and almost no Python per row, so a 100,000-row CSV streams in flat memory at
about the cost of a plain ``values_list`` dump. States are words computed in SQL (in the
request's language), dates are ``date`` objects (ISO text in CSV, date cells in XLSX),
rates are numbers (an empty cell for "nothing to count"). Formula escaping happens where
the file is written (``qinglian.exports``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from .filters import DashboardFilters
from .models import ExportKind

TABLES: tuple[str, ...] = tuple(ExportKind.values)
FORMATS: tuple[str, ...] = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportTable:
    """One export: sheet title, header, and the rows (read when ``rows()`` is iterated);
    ``count()`` is the number of data rows (one query for people and courses)."""

    kind: str
    title: str
    header: list[str]
    rows: Callable[[], Iterator[Sequence[Any]]]
    count: Callable[[], int]


# --- Figures by unit -----------------------------------------------------------------


def units_header() -> list[str]:
    return [
        _("Unit"),
        _("People"),
        _("Required courses"),
        _("Completed"),
        _("Completion rate (%)"),
        _("Overdue courses"),
        _("People with an overdue course"),
        _("Tests taken"),
        _("Tests passed"),
        _("Pass rate (%)"),
        _("Average test score"),
        _("Education-month attendance expected"),
        _("Attended"),
        _("Attendance rate (%)"),
        _("Required actions"),
        _("Required actions done"),
        _("Actions done (%)"),
        _("People with a study-hour requirement"),
        _("Meeting it"),
        _("Study-hour compliance (%)"),
        _("Appointees not yet cleared"),
        _("Appointees overdue"),
        _("Appointees cleared this year"),
        _("Certificates issued"),
    ]


def _units_line(name: str, f: Any) -> list[Any]:
    return [
        name,
        f.people,
        f.required,
        f.completed,
        f.completion_rate,
        f.overdue,
        f.overdue_people,
        f.quiz_taken,
        f.quiz_passed,
        f.pass_rate,
        f.quiz_average,
        f.attendance_expected,
        f.attendance_attended,
        f.attendance_rate,
        f.actions_required,
        f.actions_done,
        f.actions_rate,
        f.hours_people,
        f.hours_met,
        f.hours_rate,
        f.appointees_pending,
        f.appointees_overdue,
        f.appointees_cleared,
        f.certificates,
    ]


def units_rows(*, viewer: object, filters: DashboardFilters) -> list[list[Any]]:
    """One line per row of the dashboard (sub-units, then the unit's own members), then
    the total of the whole unit. Counted when called (404 outside the scope)."""
    from .selectors.metrics import dashboard_build

    dashboard = dashboard_build(viewer=viewer, filters=filters)
    lines = []
    for row in dashboard.rows:
        name = _("%(unit)s (own members)") % {"unit": row.name} if row.own else str(row.name)
        lines.append(_units_line(name, row))
    lines.append(_units_line(_("Total: %(unit)s") % {"unit": filters.unit.name}, dashboard.total))
    return lines


# --- People --------------------------------------------------------------------------


def people_header() -> list[str]:
    return [
        _("Unit"),
        _("Full name"),
        _("Employee number"),
        _("Rank level"),
        _("Required courses"),
        _("Completed"),
        _("Overdue"),
        _("Study hours this year"),
        _("Study hours required"),
        _("Integrity-education hours this year"),
        _("Integrity-education hours required"),
        _("Education-month events expected"),
        _("Attended"),
        _("Tests taken"),
        _("Tests passed"),
        _("Take-office date (appointee not cleared)"),
        _("Certificates issued"),
    ]


PEOPLE_COLUMNS = (
    "unit__name",
    "full_name",
    "employee_number",
    "rank_level__name",
    "req_total",
    "req_done",
    "req_overdue",
    "hours_done",
    "hours_required",
    "integrity_done",
    "integrity_required",
    "att_expected",
    "att_attended",
    "quiz_taken",
    "quiz_passed",
    "appointment_take_office",
    "certificate_count",
)


def _people_qs(*, viewer: object, filters: DashboardFilters) -> Any:
    from .selectors.people import dashboard_people

    return dashboard_people(viewer=viewer, filters=filters)


def people_rows(*, viewer: object, filters: DashboardFilters) -> Iterator[Sequence[Any]]:
    """The people of the drill-down list (same filter, same order), one line each."""
    qs = _people_qs(viewer=viewer, filters=filters)
    return qs.values_list(*PEOPLE_COLUMNS).iterator(chunk_size=2000)  # type: ignore[no-any-return]


# --- Required courses ----------------------------------------------------------------


def enrolments_header() -> list[str]:
    return [
        _("Unit"),
        _("Full name"),
        _("Employee number"),
        _("Course"),
        _("Due date"),
        _("Completed on"),
        _("State"),
    ]


def _enrolments_qs(*, viewer: object, filters: DashboardFilters) -> Any:
    from .selectors.people import dashboard_enrolments

    return dashboard_enrolments(viewer=viewer, filters=filters)


def enrolment_state(*, today: Any) -> Case:
    """The state word of a required course, in SQL (overdue: not completed and due
    before ``today``)."""
    return Case(
        When(completed_at__isnull=False, then=Value(_("Completed"))),
        When(due_date__lt=today, then=Value(_("Overdue"))),
        default=Value(_("Not completed")),
        output_field=CharField(),
    )


def enrolments_rows(*, viewer: object, filters: DashboardFilters) -> Iterator[Sequence[Any]]:
    """The required courses of the drill-down list (same filter, same order), one line
    each; "completed on" is the local date. The scope is checked when called; the rows
    are read as they are iterated."""
    qs = (
        _enrolments_qs(viewer=viewer, filters=filters)
        .annotate(export_state=enrolment_state(today=filters.today))
        .values_list(
            "user__unit__name",
            "user__full_name",
            "user__employee_number",
            "course__title",
            "due_date",
            "completed_at",
            "export_state",
        )
    )
    return _enrolment_lines(qs.iterator(chunk_size=2000), timezone.get_current_timezone())


def _enrolment_lines(values: Iterator[tuple[Any, ...]], tz: Any) -> Iterator[Sequence[Any]]:
    for unit, name, number, course, due, completed, state in values:
        yield (
            unit,
            name,
            number,
            course,
            due,
            completed.astimezone(tz).date() if completed is not None else None,
            state,
        )


# --- Choosing a table ----------------------------------------------------------------


def export_table(*, viewer: object, table: str, filters: DashboardFilters) -> ExportTable:
    """The export ``table`` (one of ``TABLES``) for ``viewer`` with ``filters``; the
    selectors re-check the scope. ``ValueError`` for an unknown table."""
    if table == ExportKind.UNITS:
        lines: list[list[Any]] = []

        def unit_rows() -> Iterator[Sequence[Any]]:
            if not lines:
                lines.extend(units_rows(viewer=viewer, filters=filters))
            return iter(lines)

        return ExportTable(
            kind=table,
            title=_("Figures by unit"),
            header=units_header(),
            rows=unit_rows,
            count=lambda: len(list(unit_rows())),
        )
    if table == ExportKind.PEOPLE:
        return ExportTable(
            kind=table,
            title=_("People"),
            header=people_header(),
            rows=lambda: people_rows(viewer=viewer, filters=filters),
            count=lambda: int(_people_qs(viewer=viewer, filters=filters).count()),
        )
    if table == ExportKind.ENROLMENTS:
        return ExportTable(
            kind=table,
            title=_("Required courses"),
            header=enrolments_header(),
            rows=lambda: enrolments_rows(viewer=viewer, filters=filters),
            count=lambda: int(_enrolments_qs(viewer=viewer, filters=filters).count()),
        )
    raise ValueError(f"Unknown export table {table!r}")


_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9_-]+")


def export_filename(*, filters: DashboardFilters, table: str, fmt: str) -> str:
    """``dashboard-<unit code>-<year>-<table>.<fmt>``, ASCII only (a code with other
    characters falls back to the unit's id)."""
    code = _NOT_ASCII_SAFE.sub("-", filters.unit.code or "").strip("-")
    if not code:
        code = f"unit{filters.unit.pk}"
    return f"dashboard-{code}-{filters.year}-{table}.{fmt}"
