"""Reads about appointments: the cleared-before-office dashboard (scope: unit admins and
discipline officers within their subtrees, by the appointment's unit; superusers see
all, as for other people data — nothing confidential is shown here), one appointment,
and the appointee's own programme.

Every list runs a fixed number of queries: steps come in one prefetch, and the count of
appointees waiting at each step is one more query whatever the number of rows.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import BooleanField, Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people.models import OrgUnit, Role
from people.selectors import role_unit_paths, unit_paths_q, viewer_user

from ..models import (
    STEP_ORDER,
    Appointment,
    AppointmentStatus,
    ProgrammeStep,
    StepKind,
    StepStatus,
)

#: Roles that open the dashboard (within their subtree).
DASHBOARD_ROLES = (Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)

STATUS_OVERDUE = "overdue"

#: What "waiting at this step" means, as the dashboard's counts and its step filter say it.
STEP_WAITING_LABELS = {
    StepKind.COURSE: _("Course not completed"),
    StepKind.QUIZ: _("Test not passed"),
    StepKind.TALK: _("Talk not held"),
    StepKind.PLEDGE: _("Pledge not signed"),
}


def dashboard_paths(*, viewer: Any) -> list[str] | None:
    """Unit paths the viewer's dashboard covers; ``None`` means everything (superuser)."""
    u = viewer_user(viewer)
    if u is None:
        return []
    if u.is_superuser:
        return None
    return role_unit_paths(user=u, roles=DASHBOARD_ROLES)


def _steps_prefetch() -> Prefetch:
    return Prefetch(
        "steps",
        queryset=ProgrammeStep.objects.select_related("waived_by").order_by("pk"),
    )


def appointment_list_visible(*, viewer: Any) -> QuerySet[Appointment]:
    """Appointments whose unit lies in the viewer's dashboard scope."""
    paths = dashboard_paths(viewer=viewer)
    qs = Appointment.objects.select_related(
        "person", "person__unit", "unit", "rank_level", "previous_rank_level", "course"
    )
    if paths is None:
        return qs
    return qs.filter(unit_paths_q(paths, "unit__path"))


def _dashboard_filtered(
    *, viewer: Any, status: str, unit: OrgUnit | None, today: datetime.date
) -> QuerySet[Appointment]:
    qs = appointment_list_visible(viewer=viewer)
    if status == STATUS_OVERDUE:
        qs = qs.filter(status=AppointmentStatus.IN_PROGRESS, take_office_date__lt=today)
    elif status in AppointmentStatus.values:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


def appointment_dashboard(
    *,
    viewer: Any,
    status: str = "",
    unit: OrgUnit | None = None,
    step: str = "",
    today: datetime.date | None = None,
) -> QuerySet[Appointment]:
    """The dashboard rows: those past their take-office date and not cleared first, then
    by take-office date; ``is_overdue`` annotated; steps prefetched. With ``step`` (a
    :class:`StepKind` value; anything else is ignored) only the appointees still in
    progress whose step of that kind is pending."""
    today = today or timezone.localdate()
    qs = _dashboard_filtered(viewer=viewer, status=status, unit=unit, today=today)
    if step in StepKind.values:
        # One step of each kind per appointment (a unique constraint): the join adds no rows.
        qs = qs.filter(
            status=AppointmentStatus.IN_PROGRESS,
            steps__kind=step,
            steps__status=StepStatus.PENDING,
        )
    return (
        qs.annotate(
            is_overdue=Case(
                When(
                    Q(status=AppointmentStatus.IN_PROGRESS, take_office_date__lt=today),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .prefetch_related(_steps_prefetch())
        .order_by("-is_overdue", "take_office_date", "pk")
    )


def appointment_step_counts(
    *,
    viewer: Any,
    status: str = "",
    unit: OrgUnit | None = None,
    today: datetime.date | None = None,
) -> dict[str, int]:
    """How many appointees in the viewer's scope (``status`` and ``unit`` filters applied)
    are still in progress with each step pending, by step kind, in checklist order. One
    query."""
    today = today or timezone.localdate()
    qs = _dashboard_filtered(viewer=viewer, status=status, unit=unit, today=today)
    rows = (
        ProgrammeStep.objects.filter(
            appointment__in=qs.filter(status=AppointmentStatus.IN_PROGRESS).values("pk"),
            status=StepStatus.PENDING,
        )
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    found = {row["kind"]: row["n"] for row in rows}
    return {str(kind): found.get(kind, 0) for kind in STEP_ORDER}


def dashboard_units(*, viewer: Any) -> QuerySet[OrgUnit]:
    """Units the viewer may filter the dashboard by."""
    paths = dashboard_paths(viewer=viewer)
    qs = OrgUnit.objects.filter(is_active=True)
    if paths is not None:
        qs = qs.filter(unit_paths_q(paths, "path"))
    return qs.order_by("path")


def appointment_get_visible(*, viewer: Any, pk: int) -> Appointment | None:
    return (
        appointment_list_visible(viewer=viewer)
        .prefetch_related(_steps_prefetch())
        .filter(pk=pk)
        .first()
    )


def appointment_list_mine(*, user: Any) -> QuerySet[Appointment]:
    """The person's own appointments, those in progress first, newest first."""
    u = viewer_user(user)
    if u is None:
        return Appointment.objects.none()
    return (
        Appointment.objects.filter(person=u)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("unit", "rank_level", "course", "course__quiz")
        .prefetch_related(_steps_prefetch())
        .annotate(
            open_first=Case(
                When(status=AppointmentStatus.IN_PROGRESS, then=Value(0)),
                default=Value(1),
            )
        )
        .order_by("open_first", "-decision_date", "-pk")
    )


def steps_by_kind(appointment: Appointment) -> list[ProgrammeStep | None]:
    """The appointment's steps in checklist order (uses the prefetched steps)."""
    found = {step.kind: step for step in appointment.steps.all()}
    return [found.get(kind) for kind in STEP_ORDER]


def step_state(step: ProgrammeStep | None) -> str:
    return step.status if step is not None else StepStatus.PENDING
