"""Attendance reports: per event and per campaign, by unit, with the people behind the
numbers. Pages and exports only call these.

Rules decided here:

*Who may see a report.* An event's report: whoever ``event_can_report`` allows (the
event's trainer, trainers and unit admins whose subtree holds the audience unit, unit
admins and discipline officers whose scope overlaps the audience, superusers). A
campaign's report: unit admins and trainers whose subtree holds the campaign's audience
unit, and unit admins and discipline officers whose scope overlaps it (superusers all).
Anything else is a 404.

*Whose records.* Those who manage the event (or, for a campaign, whose subtree holds its
audience unit) see everybody; anyone else only people whose unit lies in their own read
scope (``events.selectors.scope.event_person_visible_q``): the housing admin never sees a
finance person's name or numbers, not even as a count.

*Who is counted for an event ("expected").* Everyone with a registration that is not
cancelled, plus anyone whose attendance counts without one (a confirmed walk-in). A
walk-in the trainer has not confirmed is left out until confirmed (the roster shows it).
Each person has one status: present, late, excused, absent (from their attendance row)
or not recorded (no row yet). Attendance rate = (present + late) / expected.

*Unit rows.* A row counts the people whose own unit is that unit (its direct members),
not its subtree, so the rows add up to the total. Rows list every unit of the audience
the viewer may see (empty ones too) and any other unit a counted person belongs to.

*A campaign* counts, per unit, the people of the campaign's audience, how many are
complete (``CampaignCompletion``), and over its required, non-cancelled events that have
started: registrations (person × event) and their statuses as for one event, and make-up
study done. Required actions are done for a unit when the unit filed a report for them
(``ActionReport``); the rest are missing. Chosen actions are the unit's own.

Every figure is a SQL aggregate (conditional ``Count`` over subquery annotations): the
number of queries does not grow with the number of units or people.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from people.models import OrgUnit, User
from people.selectors import role_unit_paths, unit_paths_q, viewer_user
from qinglian.figures import rate

from ..models import (
    ATTENDED,
    ActionKind,
    ActionReport,
    Attendance,
    AttendanceStatus,
    Campaign,
    CampaignAction,
    CampaignCompletion,
    Event,
    EventStatus,
    LeaveRequest,
    MakeUp,
    Registration,
)
from .scope import (
    MANAGE_ROLES,
    REPORT_ROLES,
    event_can_report,
    event_person_visible_q,
    event_sees_all_records,
)

NOT_RECORDED = "not_recorded"
#: The statuses a report tells apart, in the order of its columns.
REPORT_STATUSES = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.EXCUSED,
    AttendanceStatus.ABSENT,
    NOT_RECORDED,
)
_ATTENDED = [str(s) for s in ATTENDED]


def _ancestor_paths(path: str) -> list[str]:
    step = OrgUnit.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


# --- Rows ----------------------------------------------------------------------------


@dataclass
class UnitRow:
    """One unit's line of a report (its direct members only); ``depth`` is relative to
    the report's root unit, for indenting."""

    unit_pk: int | None
    name: str
    code: str
    path: str
    depth: int = 0
    expected: int = 0
    present: int = 0
    late: int = 0
    excused: int = 0
    absent: int = 0
    not_recorded: int = 0
    makeup_done: int = 0
    # Campaign reports only.
    people: int = 0
    complete: int = 0
    actions_done: int = 0
    actions_missing: int = 0
    missing_titles: list[str] = field(default_factory=list)
    chosen: int = 0
    chosen_reported: int = 0

    @property
    def attended(self) -> int:
        return self.present + self.late

    @property
    def rate(self) -> int | None:
        return rate(self.attended, self.expected)

    @property
    def completerate(self) -> int | None:
        return rate(self.complete, self.people)


_SUMMED = (
    "expected",
    "present",
    "late",
    "excused",
    "absent",
    "not_recorded",
    "makeup_done",
    "people",
    "complete",
    "actions_done",
    "actions_missing",
    "chosen",
    "chosen_reported",
)


def _total(rows: Iterable[UnitRow], name: str) -> UnitRow:
    total = UnitRow(unit_pk=None, name=name, code="", path="")
    for row in rows:
        for key in _SUMMED:
            setattr(total, key, getattr(total, key) + getattr(row, key))
    return total


def _status_counts() -> dict[str, Any]:
    """Conditional counts of the annotated ``status`` / ``made_up`` (one row per person,
    or per person and event)."""
    return {
        "expected": Count("pk"),
        "present": Count("pk", filter=Q(att_status=AttendanceStatus.PRESENT)),
        "late": Count("pk", filter=Q(att_status=AttendanceStatus.LATE)),
        "excused": Count("pk", filter=Q(att_status=AttendanceStatus.EXCUSED)),
        "absent": Count("pk", filter=Q(att_status=AttendanceStatus.ABSENT)),
        "not_recorded": Count("pk", filter=Q(att_status__isnull=True)),
        "makeup_done": Count("pk", filter=Q(made_up=True)),
    }


def _counted_attendance() -> Q:
    """Attendance rows a report counts: not a walk-in, or a confirmed one."""
    return Q(walk_in=False) | Q(walk_in_confirmed_at__isnull=False)


class _Rows:
    """Unit rows keyed by unit pk, in tree order once built."""

    def __init__(self, units: Iterable[OrgUnit], root_depth: int) -> None:
        self.root_depth = root_depth
        self.rows: dict[int | None, UnitRow] = {}
        for unit in units:
            self.rows[unit.pk] = UnitRow(
                unit_pk=unit.pk,
                name=unit.name,
                code=unit.code,
                path=unit.path,
                depth=max(unit.depth - root_depth, 0),
            )

    def get(self, pk: int | None, name: str | None, code: str | None, path: str | None) -> UnitRow:
        row = self.rows.get(pk)
        if row is None:
            depth = len(path or "") // OrgUnit.steplen
            row = UnitRow(
                unit_pk=pk,
                name=name or "",
                code=code or "",
                path=path or "~",  # people without a unit sort last
                depth=max(depth - self.root_depth, 0),
            )
            self.rows[pk] = row
        return row

    def add_counts(self, values: Iterable[dict[str, Any]], prefix: str) -> None:
        for item in values:
            row = self.get(
                item[f"{prefix}unit_id"],
                item[f"{prefix}unit__name"],
                item[f"{prefix}unit__code"],
                item[f"{prefix}unit__path"],
            )
            for key in ("expected", "present", "late", "excused", "absent", "not_recorded"):
                setattr(row, key, getattr(row, key) + item[key])
            row.makeup_done += item["makeup_done"]

    def sorted(self) -> list[UnitRow]:
        return sorted(self.rows.values(), key=lambda r: r.path)


def _unit_values(prefix: str) -> list[str]:
    return [f"{prefix}unit_id", f"{prefix}unit__name", f"{prefix}unit__code", f"{prefix}unit__path"]


# --- Event report --------------------------------------------------------------------


def event_report_can_view(*, viewer: object, event: Event) -> bool:
    return event_can_report(viewer=viewer, event=event)


def event_report_units(*, viewer: object, event: Event) -> QuerySet[OrgUnit]:
    """Units of the event's audience the viewer may see: the unit filter's choices and
    the report's rows."""
    qs = OrgUnit.objects.filter(path__startswith=event.audience_unit.path, is_active=True)
    u = viewer_user(viewer)
    if u is None or not event_can_report(viewer=u, event=event):
        return qs.none()
    if not event_sees_all_records(viewer=u, event=event):
        qs = qs.filter(unit_paths_q(role_unit_paths(user=u, roles=REPORT_ROLES), "path"))
    return qs.order_by("path")


def event_report_people(
    *, viewer: object, event: Event, unit: OrgUnit | None = None, status: str = ""
) -> QuerySet[User]:
    """The people an event's report counts (see the module doc) whom the viewer may see,
    inside ``unit``'s subtree, with one ``status`` of ``REPORT_STATUSES``; annotated with
    ``att_status``, ``att_method``, ``att_checked_in_at``, ``made_up`` (make-up study
    done), ``makeup_assigned`` and ``leave_status``. Ordered by unit, then name."""
    attendance = Attendance.objects.filter(event=event, user=OuterRef("pk")).filter(
        _counted_attendance()
    )
    registered = Registration.objects.filter(
        event=event, user=OuterRef("pk"), cancelled_at__isnull=True
    )
    makeups = MakeUp.objects.filter(event=event, user=OuterRef("pk"))
    leave = LeaveRequest.objects.filter(event=event, user=OuterRef("pk"))
    qs = (
        User.objects.filter(Exists(registered) | Exists(attendance))
        .filter(event_person_visible_q(viewer=viewer, event=event, prefix=""))
        .annotate(
            att_status=Subquery(attendance.values("status")[:1]),
            att_method=Subquery(attendance.values("method")[:1]),
            att_checked_in_at=Subquery(attendance.values("checked_in_at")[:1]),
            made_up=Exists(makeups.filter(completed_at__isnull=False)),
            makeup_assigned=Exists(makeups),
            leave_status=Subquery(leave.values("status")[:1]),
        )
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if status == NOT_RECORDED:
        qs = qs.filter(att_status__isnull=True)
    elif status in AttendanceStatus.values:
        qs = qs.filter(att_status=status)
    return qs.select_related("unit", "rank_level").order_by("unit__path", "full_name", "pk")


@dataclass
class EventReport:
    event: Event
    rows: list[UnitRow]
    total: UnitRow


def event_report(*, viewer: object, event: Event, unit: OrgUnit | None = None) -> EventReport:
    """The event's figures by unit for the viewer (two queries whatever the size)."""
    units = event_report_units(viewer=viewer, event=event)
    if unit is not None:
        units = units.filter(path__startswith=unit.path)
    root_depth = (unit or event.audience_unit).depth
    rows = _Rows(units, root_depth)
    values = (
        event_report_people(viewer=viewer, event=event, unit=unit)
        .order_by()
        .values(*_unit_values(""))
        .annotate(**_status_counts())
    )
    rows.add_counts(values, "")
    ordered = rows.sorted()
    return EventReport(event=event, rows=ordered, total=_total(ordered, ""))


# --- Campaign report -----------------------------------------------------------------


def _campaign_sees_all(user: User, campaign: Campaign) -> bool:
    if user.is_superuser:
        return True
    path = campaign.audience_unit.path
    return any(path.startswith(p) for p in role_unit_paths(user=user, roles=MANAGE_ROLES))


def campaign_list_reportable(*, viewer: object) -> QuerySet[Campaign]:
    """Campaigns whose report the viewer may open (see the module doc)."""
    u = viewer_user(viewer)
    qs = Campaign.objects.select_related("audience_unit", "min_rank")
    if u is None:
        return qs.none()
    if u.is_superuser:
        return qs
    manage = role_unit_paths(user=u, roles=MANAGE_ROLES)
    read = role_unit_paths(user=u, roles=REPORT_ROLES)
    ancestors = sorted({a for p in read for a in _ancestor_paths(p)})
    return qs.filter(
        unit_paths_q(manage, "audience_unit__path")
        | unit_paths_q(read, "audience_unit__path")
        | Q(audience_unit__path__in=ancestors)
    )


def campaign_can_report(*, viewer: object, campaign: Campaign) -> bool:
    u = viewer_user(viewer)
    if u is None:
        return False
    if _campaign_sees_all(u, campaign):
        return True
    path = campaign.audience_unit.path
    return any(
        path.startswith(p) or p.startswith(path)
        for p in role_unit_paths(user=u, roles=REPORT_ROLES)
    )


def campaign_person_visible_q(*, viewer: object, campaign: Campaign, prefix: str = "user__") -> Q:
    """People of the campaign the viewer may see (``prefix`` leads to a user)."""
    u = viewer_user(viewer)
    if u is None or not campaign_can_report(viewer=u, campaign=campaign):
        return Q(pk__in=[])
    if _campaign_sees_all(u, campaign):
        return Q()
    return unit_paths_q(role_unit_paths(user=u, roles=REPORT_ROLES), f"{prefix}unit__path")


def campaign_report_units(*, viewer: object, campaign: Campaign) -> QuerySet[OrgUnit]:
    qs = OrgUnit.objects.filter(path__startswith=campaign.audience_unit.path, is_active=True)
    u = viewer_user(viewer)
    if u is None or not campaign_can_report(viewer=u, campaign=campaign):
        return qs.none()
    if not _campaign_sees_all(u, campaign):
        qs = qs.filter(unit_paths_q(role_unit_paths(user=u, roles=REPORT_ROLES), "path"))
    return qs.order_by("path")


def campaign_audience_q(*, campaign: Campaign, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}is_active": True}) & Q(
        **{f"{prefix}unit__path__startswith": campaign.audience_unit.path}
    )
    if campaign.min_rank_id is not None:
        q &= Q(**{f"{prefix}rank_level__order__gte": campaign.min_rank.order})  # type: ignore[union-attr]
    return q


def campaign_required_events(*, campaign: Campaign) -> QuerySet[Event]:
    """The campaign's required, non-cancelled events, in time order."""
    return Event.objects.filter(
        campaign=campaign, required=True, status=EventStatus.SCHEDULED
    ).order_by("starts_at", "pk")


def _held_filter(now: datetime.datetime, prefix: str = "") -> Q:
    return Q(
        **{
            f"{prefix}campaign_id__isnull": False,
            f"{prefix}required": True,
            f"{prefix}status": EventStatus.SCHEDULED,
            f"{prefix}starts_at__lte": now,
        }
    )


def _campaign_registrations(
    *, viewer: object, campaign: Campaign, unit: OrgUnit | None, now: datetime.datetime
) -> QuerySet[Registration]:
    """Registrations (person × event) of the campaign's required events held so far, of
    people the viewer may see, annotated with ``att_status`` and ``made_up``."""
    attendance = Attendance.objects.filter(
        event_id=OuterRef("event_id"), user_id=OuterRef("user_id")
    ).filter(_counted_attendance())
    makeups = MakeUp.objects.filter(
        event_id=OuterRef("event_id"), user_id=OuterRef("user_id"), completed_at__isnull=False
    )
    qs = (
        Registration.objects.filter(event__campaign=campaign, cancelled_at__isnull=True)
        .filter(_held_filter(now, "event__"))
        .filter(campaign_person_visible_q(viewer=viewer, campaign=campaign))
    )
    if unit is not None:
        qs = qs.filter(user__unit__path__startswith=unit.path)
    return qs.annotate(
        att_status=Subquery(attendance.values("status")[:1]), made_up=Exists(makeups)
    )


@dataclass
class CampaignEventRow:
    event: Event
    expected: int = 0
    attended: int = 0
    excused: int = 0
    absent: int = 0
    not_recorded: int = 0
    makeup_done: int = 0
    held: bool = False

    @property
    def rate(self) -> int | None:
        return rate(self.attended, self.expected)


@dataclass
class CampaignReport:
    campaign: Campaign
    rows: list[UnitRow]
    total: UnitRow
    events: list[CampaignEventRow]
    required_actions: list[CampaignAction]
    held_count: int


def campaign_report(
    *, viewer: object, campaign: Campaign, unit: OrgUnit | None = None
) -> CampaignReport:
    """The campaign's figures by unit for the viewer: a fixed number of queries (units,
    registrations by unit, audience and completions by unit, required actions, action
    reports, chosen actions, required events, registrations by event)."""
    now = timezone.now()
    units = list(
        campaign_report_units(viewer=viewer, campaign=campaign).filter(
            path__startswith=(unit or campaign.audience_unit).path
        )
    )
    rows = _Rows(units, (unit or campaign.audience_unit).depth)
    unit_ids = [u.pk for u in units]

    registrations = _campaign_registrations(viewer=viewer, campaign=campaign, unit=unit, now=now)
    rows.add_counts(
        registrations.order_by().values(*_unit_values("user__")).annotate(**_status_counts()),
        "user__",
    )

    people = User.objects.filter(campaign_audience_q(campaign=campaign)).filter(
        campaign_person_visible_q(viewer=viewer, campaign=campaign, prefix="")
    )
    if unit is not None:
        people = people.filter(unit__path__startswith=unit.path)
    completed = CampaignCompletion.objects.filter(campaign=campaign, user=OuterRef("pk"))
    for item in (
        people.annotate(done=Exists(completed))
        .order_by()
        .values(*_unit_values(""))
        .annotate(n=Count("pk"), complete=Count("pk", filter=Q(done=True)))
    ):
        row = rows.get(item["unit_id"], item["unit__name"], item["unit__code"], item["unit__path"])
        row.people += item["n"]
        row.complete += item["complete"]

    required_actions = list(
        CampaignAction.objects.filter(campaign=campaign, kind=ActionKind.REQUIRED).order_by(
            "order", "pk"
        )
    )
    reported: dict[int, set[int]] = {}
    for unit_id, action_id in ActionReport.objects.filter(
        action__campaign=campaign, action__kind=ActionKind.REQUIRED, unit_id__in=unit_ids
    ).values_list("unit_id", "action_id"):
        reported.setdefault(unit_id, set()).add(action_id)
    chosen = {
        item["unit_id"]: item
        for item in CampaignAction.objects.filter(
            campaign=campaign, kind=ActionKind.CHOSEN, unit_id__in=unit_ids
        )
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk", distinct=True), done=Count("reports__unit", distinct=True))
    }
    for pk in unit_ids:
        row = rows.rows[pk]
        done = reported.get(pk, set())
        row.actions_done = sum(1 for a in required_actions if a.pk in done)
        row.actions_missing = len(required_actions) - row.actions_done
        row.missing_titles = [a.title for a in required_actions if a.pk not in done]
        if pk in chosen:
            row.chosen = chosen[pk]["n"]
            row.chosen_reported = chosen[pk]["done"]

    events = [
        CampaignEventRow(event=e, held=e.starts_at <= now)
        for e in campaign_required_events(campaign=campaign).select_related("audience_unit")
    ]
    by_event = {row.event.pk: row for row in events}
    for item in (
        registrations.order_by()
        .values("event_id")
        .annotate(
            expected=Count("pk"),
            attended=Count("pk", filter=Q(att_status__in=_ATTENDED)),
            excused=Count("pk", filter=Q(att_status=AttendanceStatus.EXCUSED)),
            absent=Count("pk", filter=Q(att_status=AttendanceStatus.ABSENT)),
            not_recorded=Count("pk", filter=Q(att_status__isnull=True)),
            makeup_done=Count("pk", filter=Q(made_up=True)),
        )
    ):
        event_row = by_event.get(item["event_id"])
        if event_row is not None:
            for key in ("expected", "attended", "excused", "absent", "not_recorded"):
                setattr(event_row, key, item[key])
            event_row.makeup_done = item["makeup_done"]

    ordered = rows.sorted()
    return CampaignReport(
        campaign=campaign,
        rows=ordered,
        total=_total(ordered, ""),
        events=events,
        required_actions=required_actions,
        held_count=sum(1 for e in events if e.held),
    )


def campaign_report_people(
    *, viewer: object, campaign: Campaign, unit: OrgUnit | None = None
) -> QuerySet[User]:
    """The campaign's audience the viewer may see, each annotated with the number of
    required events held so far they were registered for (``events_expected``), attended,
    were excused from, absent from, made up, and whether they are ``complete``."""
    now = timezone.now()
    held = _held_filter(now, "event__")

    def count(model: Any, extra: Q) -> Coalesce:
        sub = (
            model.objects.filter(event__campaign=campaign, user=OuterRef("pk"))
            .filter(held & extra)
            .order_by()
            .values("user")
            .annotate(c=Count("pk"))
            .values("c")
        )
        return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))

    counted = _counted_attendance()
    qs = (
        User.objects.filter(campaign_audience_q(campaign=campaign))
        .filter(campaign_person_visible_q(viewer=viewer, campaign=campaign, prefix=""))
        .annotate(
            events_expected=count(Registration, Q(cancelled_at__isnull=True)),
            events_attended=count(Attendance, counted & Q(status__in=_ATTENDED)),
            events_excused=count(Attendance, counted & Q(status=AttendanceStatus.EXCUSED)),
            events_absent=count(Attendance, counted & Q(status=AttendanceStatus.ABSENT)),
            events_made_up=count(MakeUp, Q(completed_at__isnull=False)),
            complete=Exists(
                CampaignCompletion.objects.filter(campaign=campaign, user=OuterRef("pk"))
            ),
        )
    )
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.select_related("unit", "rank_level").order_by("unit__path", "full_name", "pk")
