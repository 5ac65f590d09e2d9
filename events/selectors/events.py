"""Reads for the events pages: a person's events, open events, leave requests to decide.

*Visibility.* Events are open to every logged-in person (an event page shows nothing
about other people); registering is open while places remain. Rosters and people's
records go through ``events.selectors.scope``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Count, F, Model, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from people.models import User
from people.selectors import PEOPLE_WRITE_ROLES, role_unit_paths, unit_paths_q

from ..models import (
    Attendance,
    Event,
    EventStatus,
    LeaveRequest,
    LeaveStatus,
    MakeUp,
    Registration,
)

OPEN_LIMIT = 50
PAST_LIMIT = 50
_M = TypeVar("_M", bound=Model)


def first_unordered(queryset: QuerySet[_M]) -> _M | None:
    """The one row a unique lookup finds, or ``None``: no ORDER BY (``first()`` would add
    the model's ordering, which for attendance joins the event table) and no exception."""
    return next(iter(queryset.order_by()[:1]), None)


@dataclass
class MyEvents:
    upcoming: list[Registration] = field(default_factory=list)
    past: list[Registration] = field(default_factory=list)
    open: list[Event] = field(default_factory=list)


def _registrations(user: User) -> QuerySet[Registration]:
    attendance = Attendance.objects.filter(event=OuterRef("event_id"), user=user)
    leave = LeaveRequest.objects.filter(event=OuterRef("event_id"), user=user)
    makeup = MakeUp.objects.filter(event=OuterRef("event_id"), user=user)
    return (
        Registration.objects.filter(user=user, cancelled_at__isnull=True)
        .select_related("event", "event__trainer")
        .annotate(
            attendance_status=Subquery(attendance.values("status")[:1]),
            leave_status=Subquery(leave.values("status")[:1]),
            makeup_completed_at=Subquery(makeup.values("completed_at")[:1]),
            makeup_id=Subquery(makeup.values("pk")[:1]),
        )
    )


def event_list_open(*, user: User) -> QuerySet[Event]:
    """Scheduled events that have not started, the person is not registered for, with
    places left (annotated ``taken``)."""
    mine = Registration.objects.filter(user=user, cancelled_at__isnull=True).values("event_id")
    return (
        Event.objects.filter(status=EventStatus.SCHEDULED, starts_at__gt=timezone.now())
        .exclude(pk__in=mine)
        .annotate(taken=Count("registrations", filter=Q(registrations__cancelled_at__isnull=True)))
        .filter(Q(capacity__isnull=True) | Q(capacity__gt=F("taken")))
        .annotate(places_left=F("capacity") - F("taken"))
        .select_related("trainer")
        .order_by("starts_at", "pk")
    )


def event_list_for_person(*, user: User) -> MyEvents:
    """The person's registered events (upcoming first, soonest first; then past, latest
    first, with attendance) and open events they could register for. Three queries."""
    now = timezone.now()
    regs = _registrations(user)
    upcoming = list(regs.filter(event__ends_at__gt=now).order_by("event__starts_at", "pk"))
    past = list(
        regs.filter(event__ends_at__lte=now).order_by("-event__starts_at", "-pk")[:PAST_LIMIT]
    )
    return MyEvents(
        upcoming=upcoming, past=past, open=list(event_list_open(user=user)[:OPEN_LIMIT])
    )


def event_for_person(*, user: User, event: Event) -> dict[str, object]:
    """The person's own registration, attendance, leave request and make-up for one event."""
    return {
        "registration": Registration.objects.filter(event=event, user=user).first(),
        "attendance": Attendance.objects.filter(event=event, user=user).first(),
        "leave": LeaveRequest.objects.filter(event=event, user=user).first(),
        "makeup": MakeUp.objects.filter(event=event, user=user)
        .select_related("course", "lesson")
        .first(),
    }


def event_taken(*, event: Event) -> int:
    return Registration.objects.filter(event=event, cancelled_at__isnull=True).count()


def leave_list_decidable(
    *, viewer: User, status: str = LeaveStatus.PENDING
) -> QuerySet[LeaveRequest]:
    """Leave requests of people in the viewer's unit-admin scope (superusers: all)."""
    qs = LeaveRequest.objects.select_related("event", "user", "user__unit", "decided_by").order_by(
        "event__starts_at", "requested_at", "pk"
    )
    if status:
        qs = qs.filter(status=status)
    if viewer.is_superuser:
        return qs
    paths = role_unit_paths(user=viewer, roles=PEOPLE_WRITE_ROLES)
    return qs.filter(unit_paths_q(paths, "user__unit__path")).exclude(user=viewer)
