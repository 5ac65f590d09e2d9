"""The dashboard's figures: for a year Y, a unit U and ``today``, one row per direct
sub-unit of U, an "own" row and a total. Pages, exports, the digest and the benchmark
all read them from ``dashboard_build``; the drill-down lists (``selectors.people``) use
the same definitions, written out here.

What a row is
-------------
*People* are active users whose unit lies in U's subtree (people without a unit never
count). A row is one active direct sub-unit of U with its whole subtree; the "own" row
holds the people whose unit is U itself (shown only when there are any); the total row is
U's whole subtree (so people of an inactive sub-unit count in the total only). Each
person belongs to exactly one row: the figures are grouped by
``Substr(unit.path, 1, len(U.path) + steplen)`` (every child of U has a path of that
length; U's direct members give U's own, shorter path).

Rates are whole percentages, halves rounded up, ``None`` for 0 of 0 (as in the events
reports: 5 of 8 is 63 %).

The figures
-----------
1. *Required courses.* Required enrolments (``Enrolment.required``) of the people whose
   due date is in Y, or, without a due date, that were enrolled in Y. ``completed``: a
   completion time is set; completion rate = completed / required; ``overdue``: not
   completed and due before ``today``; ``overdue_people``: people with at least one overdue.
2. *Quizzes.* For each (person, quiz): the submitted attempts (status submitted, percent
   set) submitted in Y. ``quiz_taken`` counts such pairs; ``quiz_passed`` the pairs with
   at least one of those attempts passed; the average score is the mean of each pair's
   best percent, one decimal place, halves up (``quiz_score_sum`` holds the sum).
3. *Education month.* The events (status scheduled) of the active campaigns of year Y that
   have started (``starts_at`` ≤ now), required or not. ``attendance_expected``: the
   (person, event) registrations not cancelled; ``attendance_attended``: of those, the
   ones with an attendance row of status present or late (a walk-in's only once the
   trainer confirmed it).
   *Required actions.* The campaign roll-up (``events.selectors.campaigns.campaign_rollup``)
   always lists the audience unit and its active direct children, and puts every required
   action in each of those rows; other units appear there only because somebody chose to
   look at them (the viewer's own role units, units that happened to report). So the units
   that must report a campaign's required actions are: the campaign's audience unit and
   its active direct sub-units. For each active campaign of Y, every required action ×
   every such unit that lies in U's subtree counts once in ``actions_required`` of the
   row holding that unit (U itself: the own row, or only the total when U has no direct
   members and so no own row), and once in
   ``actions_done`` when that unit filed an ``ActionReport`` for the action. A report by
   a unit deeper down (not obliged to report) does not count.
4. *Study hours.* A person's requirement is the ``StudyRequirement`` of their rank level,
   or else the default one (no rank level), as on the person's own "My learning" page;
   people with neither are left out. ``hours_people``: people with a requirement;
   ``hours_met``: of those, whose ledger hours of year Y reach the total AND whose
   integrity-education hours reach the integrity part.
5. *Pre-appointment.* Appointments in progress of active people whose ``Appointment.unit``
   (the new post's unit, not the person's) lies in the row. ``appointees_pending``: people
   with such an appointment whose take-office date is today or later;
   ``appointees_overdue``: take-office date before today — current state, whatever Y;
   ``appointees_cleared``: people with an appointment cleared (``cleared_at``) in Y.
6. *Certificates.* Certificates issued in Y, current and not revoked, of the row's people
   (a count of certificates, not of people).

Charts
------
``hours_buckets``: people with a requirement by the share of the total hours done in Y:
"0 %" (no hours), "1–49 %" (some, below half), "50–99 %", "≥ 100 %" (integrity
hours are not looked at here). ``quiz_buckets``: each (person, quiz) pair's best percent: below 60, 60–69, 70–79,
80–89, 90–100. ``attendance_series``: the started events of Y's active campaigns with at
least one person of U's subtree expected, by start time.

"In Y" for a time means between 1 January of Y and 1 January of Y+1 in the site's time
zone.

Cost: eleven queries whatever the number of units and people (units, people with their
requirement, ledger sums per person, enrolments, quiz pairs, registrations, required
actions, obliged units, their reports, appointments, certificates). Most figures are SQL
aggregates grouped by row; the quiz pairs (best per person and quiz) and the people's
hours are compared in one pass in Python, since both need a per-person value first
(about 0.7 s in all for 10,000 people and 100,000 enrolments on PostgreSQL).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate
from courses.models import Enrolment, StudyHourEntry, StudyRequirement
from events.models import (
    ATTENDED,
    ActionKind,
    ActionReport,
    Attendance,
    CampaignAction,
    EventStatus,
    Registration,
)
from people.models import OrgUnit, User
from qinglian.figures import rate
from quizzes.models import Attempt, AttemptStatus
from talks.models import Appointment, AppointmentStatus

from ..filters import DashboardFilters
from .scope import dashboard_unit_allowed

ZERO = Decimal(0)
_DEC: Any = DecimalField(max_digits=9, decimal_places=2)
_ATTENDED = [str(s) for s in ATTENDED]


def _one_place(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- Results ---------------------------------------------------------------------------


@dataclass
class Figures:
    """One row of the dashboard (a sub-unit, U's own members, or the total)."""

    unit_pk: int | None  # None for the total row
    name: str
    path: str
    own: bool = False  # the root unit's direct members only
    has_children: bool = False  # the row's unit has active sub-units (drill-down possible)
    people: int = 0
    required: int = 0
    completed: int = 0
    overdue: int = 0
    overdue_people: int = 0
    quiz_taken: int = 0
    quiz_passed: int = 0
    quiz_score_sum: Decimal = ZERO
    attendance_expected: int = 0
    attendance_attended: int = 0
    actions_required: int = 0
    actions_done: int = 0
    hours_people: int = 0
    hours_met: int = 0
    appointees_pending: int = 0
    appointees_overdue: int = 0
    appointees_cleared: int = 0
    certificates: int = 0

    @property
    def completion_rate(self) -> int | None:
        return rate(self.completed, self.required)

    @property
    def pass_rate(self) -> int | None:
        return rate(self.quiz_passed, self.quiz_taken)

    @property
    def attendance_rate(self) -> int | None:
        return rate(self.attendance_attended, self.attendance_expected)

    @property
    def actions_rate(self) -> int | None:
        return rate(self.actions_done, self.actions_required)

    @property
    def hours_rate(self) -> int | None:
        return rate(self.hours_met, self.hours_people)

    @property
    def quiz_average(self) -> Decimal | None:
        """Mean of the best percent per (person, quiz), one decimal place."""
        if not self.quiz_taken:
            return None
        return _one_place(Decimal(self.quiz_score_sum) / self.quiz_taken)


@dataclass
class Bucket:
    label: str  # already translated (lazily)
    count: int


@dataclass
class EventPoint:
    pk: int
    title: str
    starts_at: datetime.datetime
    expected: int = 0
    attended: int = 0

    @property
    def rate(self) -> int | None:
        return rate(self.attended, self.expected)


@dataclass
class Dashboard:
    year: int
    unit: OrgUnit
    today: datetime.date
    rows: list[Figures]  # child sub-units in tree order, then the "own" row if any
    total: Figures
    hours_buckets: list[Bucket] = field(default_factory=list)
    quiz_buckets: list[Bucket] = field(default_factory=list)
    attendance_series: list[EventPoint] = field(default_factory=list)


# Chart buckets: (key, label). Keys are what the SQL / Python below produce.
HOURS_BUCKETS: list[tuple[int, Any]] = [
    (0, _("0 %")),
    (1, _("1–49 %")),
    (2, _("50–99 %")),
    (3, _("≥ 100 %")),
]
QUIZ_BUCKETS: list[tuple[int, Any]] = [
    (0, _("<60")),
    (1, _("60–69")),
    (2, _("70–79")),
    (3, _("80–89")),
    (4, _("90–100")),
]


def hours_bucket(done: Decimal, required: Decimal) -> int:
    """The index in ``HOURS_BUCKETS`` of ``done`` hours against ``required``."""
    if done >= required:
        return 3
    if done <= 0:
        return 0
    return 1 if done * 2 < required else 2


def _dec(value: Any) -> Decimal:
    """SQLite sums decimals as floats or integers: back to a Decimal."""
    return Decimal(str(value)) if value is not None else ZERO


def quiz_bucket(percent: Decimal) -> int:
    """The index in ``QUIZ_BUCKETS`` of a best percent."""
    if percent < 60:
        return 0
    if percent >= 90:
        return 4
    return int((percent - 60) // 10) + 1


# --- Shared building blocks (also used by the people selectors) -------------------------


def year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """1 January of ``year`` and of the next year, midnight in the site's time zone."""
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime(year, 1, 1, tzinfo=tz),
        datetime.datetime(year + 1, 1, 1, tzinfo=tz),
    )


def in_year_q(field_name: str, year: int) -> Q:
    start, end = year_bounds(year)
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def people_q(unit: OrgUnit, prefix: str = "") -> Q:
    """Active people whose unit lies in ``unit``'s subtree (``prefix`` leads to a user)."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}unit__path__startswith": unit.path})


def required_enrolments_q(year: int, prefix: str = "") -> Q:
    """Required enrolments of ``year`` (definition 1); ``prefix`` leads to an enrolment."""
    start, end = year_bounds(year)
    return Q(**{f"{prefix}required": True}) & (
        Q(
            **{
                f"{prefix}due_date__gte": datetime.date(year, 1, 1),
                f"{prefix}due_date__lt": datetime.date(year + 1, 1, 1),
            }
        )
        | Q(
            **{
                f"{prefix}due_date__isnull": True,
                f"{prefix}enrolled_at__gte": start,
                f"{prefix}enrolled_at__lt": end,
            }
        )
    )


def overdue_q(today: datetime.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}completed_at__isnull": True, f"{prefix}due_date__lt": today})


def quiz_attempts_q(year: int, prefix: str = "") -> Q:
    """Attempts that count for the quiz figures of ``year``."""
    return Q(
        **{f"{prefix}status": AttemptStatus.SUBMITTED, f"{prefix}percent__isnull": False}
    ) & in_year_q(f"{prefix}submitted_at", year)


def held_registrations_q(year: int, now: datetime.datetime, prefix: str = "") -> Q:
    """Registrations that make a person expected at a started education-month event."""
    return Q(
        **{
            f"{prefix}cancelled_at__isnull": True,
            f"{prefix}event__status": EventStatus.SCHEDULED,
            f"{prefix}event__starts_at__lte": now,
            f"{prefix}event__campaign__is_active": True,
            f"{prefix}event__campaign__year": year,
        }
    )


def attended_exists(event_ref: str = "event_id", user_ref: str = "user_id") -> Exists:
    """The registration's person attended its event (present or late; a walk-in once
    confirmed)."""
    return Exists(
        Attendance.objects.filter(
            event_id=OuterRef(event_ref), user_id=OuterRef(user_ref), status__in=_ATTENDED
        ).filter(Q(walk_in=False) | Q(walk_in_confirmed_at__isnull=False))
    )


def requirement_annotations(prefix: str = "") -> dict[str, Any]:
    """``hours_required`` and ``integrity_required`` of a person (``prefix`` leads to a
    user): their rank level's requirement, else the default one; NULL when neither. The
    default is a subquery, so this adds no query of its own."""
    default = StudyRequirement.objects.filter(rank_level__isnull=True)

    def pick(name: str) -> Coalesce:
        return Coalesce(
            F(f"{prefix}rank_level__study_requirement__{name}"),
            Subquery(default.values(name)[:1]),
            output_field=_DEC,
        )

    return {"hours_required": pick("total_hours"), "integrity_required": pick("integrity_hours")}


def hours_annotations(year: int, user_ref: str = "pk") -> dict[str, Any]:
    """``hours_done`` and ``integrity_done``: ledger hours of ``year`` (0 when none)."""

    def total(extra: Q) -> Coalesce:
        sub = (
            StudyHourEntry.objects.filter(Q(user_id=OuterRef(user_ref), year=year) & extra)
            .order_by()
            .values("user_id")
            .annotate(s=Sum("hours"))
            .values("s")
        )
        return Coalesce(Subquery(sub, output_field=_DEC), Value(ZERO), output_field=_DEC)

    return {"hours_done": total(Q()), "integrity_done": total(Q(integrity=True))}


def hours_met_q() -> Q:
    return Q(
        hours_required__isnull=False,
        hours_done__gte=F("hours_required"),
        integrity_done__gte=F("integrity_required"),
    )


def hours_short_q() -> Q:
    return Q(hours_required__isnull=False) & ~hours_met_q()


def unit_obliged_q(audience: OrgUnit | dict[str, Any]) -> Q:
    """Units that must report a campaign's required actions (audience unit + its active
    direct sub-units; see the module doc)."""
    path = audience["path"] if isinstance(audience, dict) else audience.path
    depth = audience["depth"] if isinstance(audience, dict) else audience.depth
    return Q(is_active=True, path__startswith=path, depth__in=[depth, depth + 1])


def dashboard_check(*, viewer: object, unit: OrgUnit) -> None:
    """404 unless the viewer's dashboard covers ``unit``."""
    if not dashboard_unit_allowed(viewer=viewer, unit=unit):
        raise Http404


# --- Building the dashboard --------------------------------------------------------------


class _Grid:
    """Rows keyed by path prefix, with the total accumulating every group."""

    def __init__(self, unit: OrgUnit, children: list[OrgUnit], with_kids: set[str]) -> None:
        self.unit = unit
        self.key_len = len(unit.path) + OrgUnit.steplen
        self.children = [
            Figures(unit_pk=c.pk, name=c.name, path=c.path, has_children=c.path in with_kids)
            for c in children
        ]
        self.by_key: dict[str, Figures] = {f.path: f for f in self.children}
        self.own = Figures(unit_pk=unit.pk, name=unit.name, path=unit.path, own=True)
        self.by_key[unit.path] = self.own
        self.total = Figures(
            unit_pk=None, name=unit.name, path=unit.path, has_children=bool(children)
        )

    def key(self, path: str) -> str:
        return path[: self.key_len]

    def targets(self, key: str | None) -> list[Figures]:
        """The row for ``key`` (if shown) and the total."""
        row = self.by_key.get(key or "")
        return [row, self.total] if row is not None else [self.total]

    def add(self, values: Iterable[dict[str, Any]], names: Iterable[str]) -> None:
        names = list(names)
        for item in values:
            for target in self.targets(item["k"]):
                for name in names:
                    setattr(target, name, getattr(target, name) + (item[name] or 0))

    def rows(self) -> list[Figures]:
        return [*self.children, *([self.own] if self.own.people else [])]


def _key(unit: OrgUnit, field_name: str) -> Substr:
    return Substr(field_name, 1, len(unit.path) + OrgUnit.steplen)


def dashboard_build(*, viewer: object, filters: DashboardFilters) -> Dashboard:
    """Every figure of the dashboard for ``filters.unit`` and ``filters.year`` (see the
    module doc); 404 when the unit is outside the viewer's scope."""
    unit, year, today = filters.unit, filters.year, filters.today
    dashboard_check(viewer=viewer, unit=unit)
    now = timezone.now()

    # Units: U's active children, and which of them have active children of their own.
    near = list(
        OrgUnit.objects.filter(
            path__startswith=unit.path,
            depth__in=[unit.depth + 1, unit.depth + 2],
            is_active=True,
        )
        .order_by("path")
        .only("pk", "name", "path", "depth")
    )
    children = [u for u in near if u.depth == unit.depth + 1]
    child_paths = {c.path for c in children}
    with_kids = {
        u.path[: len(unit.path) + OrgUnit.steplen] for u in near if u.depth > unit.depth + 1
    }
    grid = _Grid(unit, children, with_kids & child_paths)

    # People, and (4.) their study hours: the ledger summed per person in SQL, the
    # requirement read with each person; compared and bucketed here (one pass over the
    # people: a correlated sum referenced by several CASEs would be evaluated many times).
    ledger = {
        user_id: (_dec(total), _dec(integrity))
        for user_id, total, integrity in StudyHourEntry.objects.filter(
            people_q(unit, "user__"), year=year
        )
        .order_by()
        .values("user_id")
        .annotate(t=Sum("hours"), i=Sum("hours", filter=Q(integrity=True)))
        .values_list("user_id", "t", "i")
    }
    hours_counts = [0] * len(HOURS_BUCKETS)
    for pk, key, required, integrity_required in (
        User.objects.filter(people_q(unit))
        .annotate(k=_key(unit, "unit__path"))
        .annotate(**requirement_annotations())
        .order_by()
        .values_list("pk", "k", "hours_required", "integrity_required")
    ):
        targets = grid.targets(key)
        for target in targets:
            target.people += 1
        if required is None:
            continue
        hours, integrity = ledger.get(pk, (ZERO, ZERO))
        required, integrity_required = _dec(required), _dec(integrity_required)
        hours_counts[hours_bucket(hours, required)] += 1
        met = hours >= required and integrity >= integrity_required
        for target in targets:
            target.hours_people += 1
            target.hours_met += 1 if met else 0

    # 1. Required courses.
    overdue = overdue_q(today)
    grid.add(
        Enrolment.objects.filter(required_enrolments_q(year), people_q(unit, "user__"))
        .annotate(k=_key(unit, "user__unit__path"))
        .order_by()
        .values("k")
        .annotate(
            required=Count("pk"),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
            overdue=Count("pk", filter=overdue),
            overdue_people=Count("user_id", filter=overdue, distinct=True),
        ),
        ["required", "completed", "overdue", "overdue_people"],
    )

    # 2. Quizzes: best percent and "any passed" per (person, quiz), summed per row here.
    quiz_counts = [0] * len(QUIZ_BUCKETS)
    pairs = (
        Attempt.objects.filter(quiz_attempts_q(year), people_q(unit, "user__"))
        .annotate(k=_key(unit, "user__unit__path"))
        .order_by()
        .values("k", "user_id", "quiz_id")
        .annotate(
            best=Max("percent"),
            ok=Max(Case(When(passed=True, then=Value(1)), default=Value(0))),
        )
        .values_list("k", "best", "ok")
    )
    for key, best, ok in pairs:
        best = _dec(best)
        quiz_counts[quiz_bucket(best)] += 1
        for target in grid.targets(key):
            target.quiz_taken += 1
            target.quiz_passed += 1 if ok else 0
            target.quiz_score_sum += best

    # 3. Education month: registrations by row and event in one query.
    series: dict[int, EventPoint] = {}
    for item in (
        Registration.objects.filter(held_registrations_q(year, now), people_q(unit, "user__"))
        .annotate(k=_key(unit, "user__unit__path"), done=attended_exists())
        .order_by()
        .values("k", "event_id", "event__title", "event__starts_at")
        .annotate(
            attendance_expected=Count("pk"),
            attendance_attended=Count("pk", filter=Q(done=True)),
        )
    ):
        point = series.setdefault(
            item["event_id"],
            EventPoint(
                pk=item["event_id"], title=item["event__title"], starts_at=item["event__starts_at"]
            ),
        )
        point.expected += item["attendance_expected"]
        point.attended += item["attendance_attended"]
        for target in grid.targets(item["k"]):
            target.attendance_expected += item["attendance_expected"]
            target.attendance_attended += item["attendance_attended"]

    # 3b. Required actions × obliged units inside U's subtree.
    actions = list(
        CampaignAction.objects.filter(
            kind=ActionKind.REQUIRED, campaign__is_active=True, campaign__year=year
        ).values("pk", "campaign__audience_unit__path", "campaign__audience_unit__depth")
    )
    if actions:
        audiences = {
            (a["campaign__audience_unit__path"], a["campaign__audience_unit__depth"])
            for a in actions
        }
        obliged_q = Q(pk__in=[])
        for path, depth in audiences:
            obliged_q |= unit_obliged_q({"path": path, "depth": depth})
        obliged = list(
            OrgUnit.objects.filter(obliged_q, path__startswith=unit.path).values_list("pk", "path")
        )
        done = set(
            ActionReport.objects.filter(
                action_id__in=[a["pk"] for a in actions], unit_id__in=[pk for pk, _ in obliged]
            ).values_list("action_id", "unit_id")
        )
        for action in actions:
            a_path = action["campaign__audience_unit__path"]
            a_depth = action["campaign__audience_unit__depth"]
            for pk, path in obliged:
                if not path.startswith(a_path) or len(path) // OrgUnit.steplen > a_depth + 1:
                    continue
                for target in grid.targets(grid.key(path)):
                    target.actions_required += 1
                    target.actions_done += 1 if (action["pk"], pk) in done else 0

    # 5. Pre-appointment: distinct people per row (few rows: current appointments).
    start, end = year_bounds(year)
    seen: set[tuple[int, str, int]] = set()
    for key, person, status, take_office in (
        Appointment.objects.filter(
            Q(status=AppointmentStatus.IN_PROGRESS)
            | Q(status=AppointmentStatus.CLEARED, cleared_at__gte=start, cleared_at__lt=end),
            person__is_active=True,
            unit__path__startswith=unit.path,
        )
        .annotate(k=_key(unit, "unit__path"))
        .values_list("k", "person_id", "status", "take_office_date")
    ):
        if status == AppointmentStatus.CLEARED:
            name = "appointees_cleared"
        elif take_office >= today:
            name = "appointees_pending"
        else:
            name = "appointees_overdue"
        for target in grid.targets(key):
            if (id(target), name, person) not in seen:
                seen.add((id(target), name, person))
                setattr(target, name, getattr(target, name) + 1)

    # 6. Certificates.
    grid.add(
        Certificate.objects.filter(
            in_year_q("issued_at", year),
            people_q(unit, "user__"),
            is_current=True,
            revoked_at__isnull=True,
        )
        .annotate(k=_key(unit, "user__unit__path"))
        .order_by()
        .values("k")
        .annotate(certificates=Count("pk")),
        ["certificates"],
    )

    return Dashboard(
        year=year,
        unit=unit,
        today=today,
        rows=grid.rows(),
        total=grid.total,
        hours_buckets=[
            Bucket(label, n) for (_k, label), n in zip(HOURS_BUCKETS, hours_counts, strict=True)
        ],
        quiz_buckets=[
            Bucket(label, n) for (_k, label), n in zip(QUIZ_BUCKETS, quiz_counts, strict=True)
        ],
        attendance_series=sorted(series.values(), key=lambda p: (p.starts_at, p.pk)),
    )
