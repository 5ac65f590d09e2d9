"""Reads for check-in and the roster: who is expected, who is in, who is missing.

*Expected* people: the event's audience plus anyone with an active registration that is
not a walk-in (someone who registered while places remained). Walk-ins are counted
apart. Every read is limited to the people the viewer may see
(``events.selectors.scope.event_person_visible_q``): everyone for those who manage the
event, their own scope for other unit admins and discipline officers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Q, QuerySet

from people.models import Role, User
from people.selectors import person_list_visible

from ..models import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    Event,
    Registration,
    RegistrationSource,
)
from .audience import event_audience_q
from .scope import event_can_manage, event_person_visible_q

#: Statuses that take a person off the "still missing" list.
ACCOUNTED = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.EXCUSED})


def checkin_expected_q(*, event: Event) -> Q:
    """The expected people of ``event`` as a ``Q`` on users."""
    registered = (
        Registration.objects.filter(event=event, cancelled_at__isnull=True)
        .exclude(source=RegistrationSource.WALK_IN)
        .values("user_id")
    )
    return event_audience_q(event=event) | Q(pk__in=registered)


def checkin_expected(*, event: Event, viewer: object) -> QuerySet[User]:
    """Expected people the viewer may see, by unit then name."""
    return (
        User.objects.filter(checkin_expected_q(event=event))
        .filter(event_person_visible_q(viewer=viewer, event=event, prefix=""))
        .select_related("unit")
        .order_by("unit__path", "full_name", "pk")
    )


@dataclass
class MissingGroup:
    unit: str
    names: list[str] = field(default_factory=list)


@dataclass
class CheckinState:
    count: int  # expected people who are in (present or late)
    expected: int
    walk_ins: int
    flagged: int  # rows checked in from a device someone else used too
    missing: list[MissingGroup]


def checkin_state(*, event: Event, viewer: object) -> CheckinState:
    """The live figures of the check-in display: two queries (plus the viewer's roles)."""
    people = list(
        checkin_expected(event=event, viewer=viewer).only(
            "pk", "full_name", "unit__name", "unit__path"
        )
    )
    rows = list(
        Attendance.objects.filter(event=event)
        .filter(event_person_visible_q(viewer=viewer, event=event))
        .values_list("user_id", "status", "walk_in", "shared_device")
    )
    accounted = {uid for uid, status, walk_in, _ in rows if status in ACCOUNTED and not walk_in}
    expected_ids = {p.pk for p in people}
    count = sum(
        1
        for uid, status, walk_in, _ in rows
        if status in ATTENDED and not walk_in and uid in expected_ids
    )
    missing = [
        MissingGroup(unit=unit_name, names=[p.full_name for p in group])
        for unit_name, group in groupby(
            (p for p in people if p.pk not in accounted),
            key=lambda p: p.unit.name if p.unit else "—",
        )
    ]
    return CheckinState(
        count=count,
        expected=len(people),
        walk_ins=sum(1 for _, _, walk_in, _ in rows if walk_in),
        flagged=sum(1 for *_, shared in rows if shared),
        missing=missing,
    )


@dataclass
class RosterRow:
    person: User
    attendance: Attendance | None

    @property
    def status(self) -> str:
        return self.attendance.status if self.attendance else ""


def roster_rows(*, event: Event, viewer: object) -> list[RosterRow]:
    """Everyone the viewer may see on the roster (expected people and anyone with an
    attendance row, e.g. walk-ins), by unit then name, with their attendance: two queries."""
    visible = event_person_visible_q(viewer=viewer, event=event, prefix="")
    with_rows = Attendance.objects.filter(event=event).values("user_id")
    people = list(
        User.objects.filter(checkin_expected_q(event=event) | Q(pk__in=with_rows))
        .filter(visible)
        .select_related("unit", "rank_level")
        .order_by("unit__path", "full_name", "pk")
    )
    by_user = {a.user_id: a for a in Attendance.objects.filter(event=event)}
    return [RosterRow(person=p, attendance=by_user.get(p.pk)) for p in people]


def roster_markable(*, event: Event, viewer: object) -> QuerySet[User]:
    """The people the viewer may mark on the roster of ``event``: everyone on it for those
    who manage the event; for other unit admins, the people on it in their own unit-admin
    scope; nobody for anyone else (discipline officers read the roster only)."""
    with_rows = Attendance.objects.filter(event=event).values("user_id")
    qs = User.objects.filter(checkin_expected_q(event=event) | Q(pk__in=with_rows))
    if event_can_manage(viewer=viewer, event=event):
        return qs
    return qs.filter(
        pk__in=person_list_visible(viewer=viewer, roles=[Role.UNIT_ADMIN]).values("pk")
    )


@dataclass(frozen=True)
class ScanTarget:
    """The event a scan names and the scanning person's row at it (``None``: not checked
    in yet). Without a row, the event comes with everything a new check-in reads (its
    audience and minimum rank, its campaign with the campaign's): see :func:`scan_target`."""

    event: Event
    attendance: Attendance | None


def scan_target(*, event_id: int, user: User | None) -> ScanTarget | None:
    """What a scan of event ``event_id`` by ``user`` needs; ``None`` when there is no such
    event.

    A repeated scan is the common case at the door and needs only the event and the row:
    one query reads the person's row with its event. Otherwise (no row, or an anonymous
    scan: ``user`` is ``None``) one query reads the event with its audience unit, minimum
    rank and campaign (with the campaign's audience unit and minimum rank), which the
    audience check and the campaign completion rule read."""
    if user is not None:
        rows = Attendance.objects.select_related("event").filter(event_id=event_id, user=user)
        attendance = next(iter(rows.order_by()[:1]), None)
        if attendance is not None:
            attendance._state.fields_cache["user"] = user
            return ScanTarget(event=attendance.event, attendance=attendance)
    events = Event.objects.select_related(
        "audience_unit", "min_rank", "campaign__audience_unit", "campaign__min_rank"
    ).filter(pk=event_id)
    event = next(iter(events.order_by()[:1]), None)
    return None if event is None else ScanTarget(event=event, attendance=None)
