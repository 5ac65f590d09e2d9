"""The weekly digest for unit admins: what needs their attention in their units.

Every Monday (Celery beat) each active unit admin gets one notification (in the app and
by e-mail, in their language) summing up their scope, the subtrees of the active units
where they hold the unit-admin role:

1. *New overdue people*: required enrolments due in the 7 days before ``today`` and not
   completed, of active people in the scope (name, unit, course, due date).
2. *Upcoming deadlines*: required enrolments due from ``today`` to 13 days later and not
   completed, counted per course and due date.
3. *Upcoming events*: scheduled events starting from ``today`` (local midnight) to 13
   days later whose audience overlaps the scope: the audience unit lies inside the
   scope, or is above it (a city-wide lecture concerns the finance bureau's admin too;
   the rule of ``events.selectors.campaigns``).
4. *Appointees not yet cleared*: in-progress pre-appointment programmes of active people
   for a unit in the scope, overdue ones (take-office date passed) first.

The key is ``dashboard-digest:<ISO year>-W<ISO week>`` of ``today``: one digest per admin
and week whatever the reruns, retries or concurrent runs (``notification_send`` writes
a key once per person). An admin whose scope has nothing in any section gets no digest
that week. Each section lists at most ``DIGEST_SECTION_LINES`` lines ("… and N more").

The data is read in a constant number of queries (rows fetched once for everyone,
sorted by unit path and sliced per admin with ``bisect``), plus one insert per digest.
"""

from __future__ import annotations

import bisect
import datetime
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Notification
from notifications.services import notification_send, user_language

logger = logging.getLogger(__name__)

#: At most this many lines per section; the rest is "… and N more.".
DIGEST_SECTION_LINES = 10
#: "New" overdue: due within this many days before the run day.
DIGEST_OVERDUE_DAYS = 7
#: Deadlines and events from the run day up to (not including) this many days later.
DIGEST_AHEAD_DAYS = 14
DIGEST_KIND = "dashboard-digest"


def digest_key(*, today: datetime.date) -> str:
    """The notification key of the week holding ``today`` (``dashboard-digest:2026-W48``)."""
    year, week, _weekday = today.isocalendar()
    return f"{DIGEST_KIND}:{year}-W{week:02d}"


# --- Rows ------------------------------------------------------------------------------------


class _HasPath(Protocol):
    @property
    def path(self) -> str: ...


_Row = TypeVar("_Row", bound=_HasPath)


@dataclass(frozen=True)
class OverdueRow:
    path: str
    enrolment_id: int
    user_id: int
    name: str
    unit: str
    course: str
    due_date: datetime.date


@dataclass(frozen=True)
class DeadlineRow:
    """Not completed required enrolments of one unit, course and due date."""

    path: str
    course_id: int
    course: str
    due_date: datetime.date
    people: int


@dataclass(frozen=True)
class Deadline:
    """Within one admin's scope: one course and due date, and how many people."""

    course_id: int
    course: str
    due_date: datetime.date
    people: int


@dataclass(frozen=True)
class EventRow:
    path: str  # the audience unit's
    event_id: int
    title: str
    starts_at: datetime.datetime
    venue: str
    online_url: str
    audience: str


@dataclass(frozen=True)
class AppointeeRow:
    path: str  # the appointment's unit
    appointment_id: int
    user_id: int
    name: str
    unit: str
    position: str
    take_office_date: datetime.date


@dataclass
class WeeklyDigest:
    """One admin's digest (rows in the order they are listed)."""

    today: datetime.date
    overdue: list[OverdueRow] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    appointees: list[AppointeeRow] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.overdue or self.deadlines or self.events or self.appointees)

    @property
    def overdue_people(self) -> int:
        return len({r.user_id for r in self.overdue})

    @property
    def appointees_overdue(self) -> int:
        return sum(1 for r in self.appointees if r.take_office_date < self.today)


def _sorted_by_path(rows: list[_Row]) -> tuple[list[_Row], list[str]]:
    rows = sorted(rows, key=lambda r: r.path)
    return rows, [r.path for r in rows]


def _in_subtrees(rows: list[_Row], keys: list[str], paths: Sequence[str]) -> list[_Row]:
    """The rows (sorted by path, ``keys`` their paths) lying under one of ``paths``."""
    found: list[_Row] = []
    for path in paths:
        start = bisect.bisect_left(keys, path)
        end = start
        while end < len(keys) and keys[end].startswith(path):
            end += 1
        found.extend(rows[start:end])
    return found


def _at_paths(rows: list[_Row], keys: list[str], paths: Sequence[str]) -> list[_Row]:
    """The rows whose path is exactly one of ``paths``."""
    found: list[_Row] = []
    for path in paths:
        start = bisect.bisect_left(keys, path)
        end = bisect.bisect_right(keys, path)
        found.extend(rows[start:end])
    return found


def _ancestor_paths(path: str) -> list[str]:
    """The paths of the units above ``path`` (not ``path`` itself)."""
    from people.models import OrgUnit

    step = OrgUnit.steplen
    return [path[:end] for end in range(step, len(path), step)]


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class DigestData:
    """Everything any admin's digest may show for ``today``, read once (four queries)."""

    today: datetime.date
    overdue: list[OverdueRow]
    deadlines: list[DeadlineRow]
    events: list[EventRow]
    appointees: list[AppointeeRow]
    _keys: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.overdue, self._keys["overdue"] = _sorted_by_path(self.overdue)
        self.deadlines, self._keys["deadlines"] = _sorted_by_path(self.deadlines)
        self.events, self._keys["events"] = _sorted_by_path(self.events)
        self.appointees, self._keys["appointees"] = _sorted_by_path(self.appointees)

    def for_paths(self, paths: Sequence[str]) -> WeeklyDigest:
        """The digest of the scope made of the subtrees at ``paths`` (none inside another)."""
        overdue = _in_subtrees(self.overdue, self._keys["overdue"], paths)
        overdue.sort(key=lambda r: (r.due_date, r.path, r.name, r.user_id, r.course))

        totals: dict[tuple[int, datetime.date], int] = defaultdict(int)
        titles: dict[int, str] = {}
        for row in _in_subtrees(self.deadlines, self._keys["deadlines"], paths):
            totals[(row.course_id, row.due_date)] += row.people
            titles[row.course_id] = row.course
        deadlines = sorted(
            (
                Deadline(course_id=course_id, course=titles[course_id], due_date=due, people=n)
                for (course_id, due), n in totals.items()
            ),
            key=lambda d: (d.due_date, d.course, d.course_id),
        )

        events: dict[int, EventRow] = {}
        ancestors = sorted({a for p in paths for a in _ancestor_paths(p)})
        for event in _in_subtrees(self.events, self._keys["events"], paths) + _at_paths(
            self.events, self._keys["events"], ancestors
        ):
            events[event.event_id] = event

        appointees = _in_subtrees(self.appointees, self._keys["appointees"], paths)
        appointees.sort(key=lambda r: (r.take_office_date, r.path, r.name, r.appointment_id))
        return WeeklyDigest(
            today=self.today,
            overdue=overdue,
            deadlines=deadlines,
            events=sorted(events.values(), key=lambda e: (e.starts_at, e.event_id)),
            appointees=appointees,
        )


def digest_data_collect(*, today: datetime.date) -> DigestData:
    """Read the rows of every section for the week of ``today`` (four queries)."""
    from courses.models import Enrolment
    from events.models import Event, EventStatus
    from talks.models import Appointment, AppointmentStatus

    open_required = Enrolment.objects.filter(
        required=True,
        completed_at__isnull=True,
        user__is_active=True,
        user__unit__isnull=False,
    )
    overdue = [
        OverdueRow(
            path=path,
            enrolment_id=pk,
            user_id=user_id,
            name=name,
            unit=unit,
            course=course,
            due_date=due,
        )
        for path, pk, user_id, name, unit, course, due in open_required.filter(
            due_date__gte=today - datetime.timedelta(days=DIGEST_OVERDUE_DAYS),
            due_date__lt=today,
        ).values_list(
            "user__unit__path",
            "pk",
            "user_id",
            "user__full_name",
            "user__unit__name",
            "course__title",
            "due_date",
        )
        if due is not None
    ]
    ahead = today + datetime.timedelta(days=DIGEST_AHEAD_DAYS)
    deadlines = [
        DeadlineRow(
            path=row["user__unit__path"],
            course_id=row["course_id"],
            course=row["course__title"],
            due_date=row["due_date"],
            people=row["people"],
        )
        for row in open_required.filter(due_date__gte=today, due_date__lt=ahead)
        .values("user__unit__path", "course_id", "course__title", "due_date")
        .annotate(people=Count("pk"))
        .order_by()
    ]
    events = [
        EventRow(
            path=path,
            event_id=pk,
            title=title,
            starts_at=starts_at,
            venue=venue,
            online_url=online_url,
            audience=audience,
        )
        for path, pk, title, starts_at, venue, online_url, audience in Event.objects.filter(
            status=EventStatus.SCHEDULED,
            starts_at__gte=_day_start(today),
            starts_at__lt=_day_start(ahead),
        ).values_list(
            "audience_unit__path",
            "pk",
            "title",
            "starts_at",
            "venue",
            "online_url",
            "audience_unit__name",
        )
    ]
    appointees = [
        AppointeeRow(
            path=path,
            appointment_id=pk,
            user_id=user_id,
            name=name,
            unit=unit,
            position=position,
            take_office_date=take_office,
        )
        for path, pk, user_id, name, unit, position, take_office in Appointment.objects.filter(
            status=AppointmentStatus.IN_PROGRESS, person__is_active=True
        ).values_list(
            "unit__path",
            "pk",
            "person_id",
            "person__full_name",
            "unit__name",
            "position_title",
            "take_office_date",
        )
    ]
    return DigestData(
        today=today, overdue=overdue, deadlines=deadlines, events=events, appointees=appointees
    )


def digest_admin_paths() -> dict[int, list[str]]:
    """{active unit admin's id: the paths of their active units, none inside another}."""
    from people.models import Role, RoleAssignment
    from people.selectors import unit_paths_reduce

    by_admin: dict[int, set[str]] = defaultdict(set)
    for user_id, path in RoleAssignment.objects.filter(
        role=Role.UNIT_ADMIN, unit__is_active=True, user__is_active=True
    ).values_list("user_id", "unit__path"):
        by_admin[user_id].add(path)
    return {user_id: unit_paths_reduce(paths) for user_id, paths in sorted(by_admin.items())}


# --- Sending ---------------------------------------------------------------------------------


def weekly_digest_send(*, today: datetime.date) -> int:
    """Send each active unit admin the digest of their scope for the week of ``today``
    (see the module doc); returns how many digests were new.

    An admin whose scope has nothing to report in any section gets none. Running again in
    the same week (a second beat, a retry, two workers at once) sends nothing twice. When
    one admin's digest fails, the others are still sent and the first error is raised at
    the end, so a retry sends exactly the ones missing.
    """
    from people.models import User

    key = digest_key(today=today)
    admins = digest_admin_paths()
    already = set(
        Notification.objects.filter(user_id__in=list(admins), key=key).values_list(
            "user_id", flat=True
        )
    )
    admins = {admin_id: paths for admin_id, paths in admins.items() if admin_id not in already}
    if not admins:
        return 0
    data = digest_data_collect(today=today)
    todo = {
        admin_id: digest
        for admin_id, paths in admins.items()
        if not (digest := data.for_paths(paths)).is_empty
    }
    if not todo:
        return 0
    people = User.objects.in_bulk(list(todo))
    sent = 0
    errors: list[Exception] = []
    for admin_id, digest in todo.items():
        admin = people.get(admin_id)
        if admin is None:
            continue
        try:
            with translation.override(user_language(user=admin)):
                title, body = digest_text(digest=digest)
                url = reverse("dashboard:index")
            sent += notification_send(
                user=admin, key=key, kind=DIGEST_KIND, title=title, body=body, url=url
            )
        except Exception as exc:  # the others still get theirs; raised below for a retry
            logger.exception("Weekly digest for user %s failed", admin_id)
            errors.append(exc)
    if errors:
        raise errors[0]
    return sent


# --- Text ------------------------------------------------------------------------------------


def _more(lines: list[str], total: int) -> list[str]:
    if total > DIGEST_SECTION_LINES:
        lines.append(_("… and %(count)d more.") % {"count": total - DIGEST_SECTION_LINES})
    return lines


def _overdue_lines(digest: WeeklyDigest) -> list[str]:
    people = digest.overdue_people
    head = ngettext(
        "New overdue in the past %(days)d days: %(count)d person",
        "New overdue in the past %(days)d days: %(count)d people",
        people,
    ) % {"count": people, "days": DIGEST_OVERDUE_DAYS}
    lines = [head]
    for row in digest.overdue[:DIGEST_SECTION_LINES]:
        lines.append(
            "- "
            + _("%(name)s (%(unit)s): “%(course)s”, due %(date)s")
            % {
                "name": row.name,
                "unit": row.unit,
                "course": row.course,
                "date": row.due_date.isoformat(),
            }
        )
    return _more(lines, len(digest.overdue))


def _deadline_lines(digest: WeeklyDigest) -> list[str]:
    people = sum(d.people for d in digest.deadlines)
    head = ngettext(
        "Courses due in the next %(days)d days: %(count)d enrolment not completed",
        "Courses due in the next %(days)d days: %(count)d enrolments not completed",
        people,
    ) % {"count": people, "days": DIGEST_AHEAD_DAYS}
    lines = [head]
    for row in digest.deadlines[:DIGEST_SECTION_LINES]:
        lines.append(
            "- "
            + ngettext(
                "“%(course)s”, due %(date)s: %(count)d person",
                "“%(course)s”, due %(date)s: %(count)d people",
                row.people,
            )
            % {"course": row.course, "date": row.due_date.isoformat(), "count": row.people}
        )
    return _more(lines, len(digest.deadlines))


def _event_lines(digest: WeeklyDigest) -> list[str]:
    count = len(digest.events)
    head = _("Events in the next %(days)d days: %(count)d") % {
        "count": count,
        "days": DIGEST_AHEAD_DAYS,
    }
    lines = [head]
    for event in digest.events[:DIGEST_SECTION_LINES]:
        where = event.venue or event.online_url or _("venue to be announced")
        lines.append(
            "- "
            + _("%(time)s “%(title)s”, %(venue)s (for %(audience)s)")
            % {
                "time": timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M"),
                "title": event.title,
                "venue": where,
                "audience": event.audience,
            }
        )
    return _more(lines, count)


def _appointee_lines(digest: WeeklyDigest) -> list[str]:
    count = len(digest.appointees)
    head = _("Appointees not yet cleared: %(count)d (%(overdue)d past the take-office date)") % {
        "count": count,
        "overdue": digest.appointees_overdue,
    }
    lines = [head]
    for row in digest.appointees[:DIGEST_SECTION_LINES]:
        values = {
            "name": row.name,
            "unit": row.unit,
            "position": row.position,
            "date": row.take_office_date.isoformat(),
        }
        if row.take_office_date < digest.today:
            text = _("%(name)s (%(unit)s, %(position)s): overdue, take-office date %(date)s")
        else:
            text = _("%(name)s (%(unit)s, %(position)s): takes office on %(date)s")
        lines.append("- " + text % values)
    return _more(lines, count)


def digest_text(*, digest: WeeklyDigest) -> tuple[str, str]:
    """The title and plain-text body of ``digest`` in the active language (empty
    sections left out)."""
    _year, week, _weekday = digest.today.isocalendar()
    title = _("Weekly integrity-education summary (week %(week)d)") % {"week": week}
    sections = []
    if digest.overdue:
        sections.append(_overdue_lines(digest))
    if digest.deadlines:
        sections.append(_deadline_lines(digest))
    if digest.events:
        sections.append(_event_lines(digest))
    if digest.appointees:
        sections.append(_appointee_lines(digest))
    body = "\n\n".join("\n".join(lines) for lines in sections)
    return title, body
