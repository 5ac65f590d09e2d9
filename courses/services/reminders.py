"""Due-date reminders, overdue notices, the overdue digest for unit admins, and the
"new course assigned" notice. Every one goes through ``notifications.services.
notification_send`` with a key, so each is sent exactly once however often the daily
task runs or is retried.

The schedule rule (no stale reminders): a "due in N days" reminder is sent only on the
day that is exactly N days (``QINGLIAN_REMINDER_DAYS``) before the due date. A day the
schedule missed is skipped, never caught up late: a run three days before the due date
sends the 3-day reminder, never a late "7 days" one. The overdue notice goes on the
first run after the due date has passed, whenever that is, once per enrolment.

Only open enrolments count: not completed, the person active, the course live and the
assignment (when there is one) still active.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Notification
from notifications.services import notification_send, user_language

from ..models import Enrolment

DIGEST_MAX_LINES = 100


def _open_enrolments() -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(
        Q(assignment__isnull=True) | Q(assignment__is_active=True),
        completed_at__isnull=True,
        due_date__isnull=False,
        user__is_active=True,
        course__live=True,
    )


def _not_notified(qs: QuerySet[Enrolment], *parts: Any) -> QuerySet[Enrolment]:
    """``qs`` less the enrolments whose person already has the notification keyed
    ``parts`` joined (the enrolment's id among them): checked in the same query."""
    key = Concat(*parts, output_field=CharField())
    sent = Notification.objects.filter(user_id=OuterRef("user_id"), key=key)
    return qs.exclude(Exists(sent))


def _pk_text() -> Cast:
    return Cast(OuterRef("pk"), output_field=CharField())


def _course_url(course: Any) -> str:
    return course.get_url() or ""


def reminders_send(*, today: datetime.date) -> int:
    """Send today's due-date reminders and overdue notices; returns how many were new."""
    sent = 0
    for days in sorted(set(settings.QINGLIAN_REMINDER_DAYS)):
        qs = _not_notified(
            _open_enrolments().filter(due_date=today + datetime.timedelta(days=days)),
            Value("course-due:"),
            _pk_text(),
            Value(f":{days}"),
        )
        for enrolment in qs.select_related("user", "course"):
            sent += _send_due(enrolment, days=days)
    overdue = _not_notified(
        _open_enrolments().filter(due_date__lt=today), Value("course-overdue:"), _pk_text()
    )
    for enrolment in overdue.select_related("user", "course"):
        sent += _send_overdue(enrolment, today=today)
    return sent


def _send_due(enrolment: Enrolment, *, days: int) -> bool:
    user, course = enrolment.user, enrolment.course
    with translation.override(user_language(user=user)):
        title = ngettext(
            "“%(course)s” is due tomorrow",
            "“%(course)s” is due in %(days)d days",
            days,
        ) % {"course": course.title, "days": days}
        body = _("Please complete the course by %(date)s.") % {
            "date": enrolment.due_date.isoformat() if enrolment.due_date else ""
        }
    return notification_send(
        user=user,
        key=f"course-due:{enrolment.pk}:{days}",
        kind="course-due",
        title=title,
        body=body,
        url=_course_url(course),
    )


def _send_overdue(enrolment: Enrolment, *, today: datetime.date) -> bool:
    user, course = enrolment.user, enrolment.course
    due = enrolment.due_date or today
    with translation.override(user_language(user=user)):
        title = _("Overdue: “%(course)s”") % {"course": course.title}
        body = _("The course was due on %(date)s. Please complete it as soon as possible.") % {
            "date": due.isoformat()
        }
    return notification_send(
        user=user,
        key=f"course-overdue:{enrolment.pk}",
        kind="course-overdue",
        title=title,
        body=body,
        url=_course_url(course),
    )


def notify_enrolled(*, enrolments: Iterable[Enrolment]) -> int:
    """Tell each person of a new assigned course (key ``course-assigned:<enrolment id>``,
    so calling it again for the same enrolments sends nothing). Returns how many were new.
    Call it after creating enrolments by assignment; the e-mails go on commit."""
    ids = [e.pk for e in enrolments]
    if not ids:
        return 0
    qs = _not_notified(
        Enrolment.objects.filter(pk__in=ids, completed_at__isnull=True, user__is_active=True),
        Value("course-assigned:"),
        _pk_text(),
    )
    sent = 0
    for enrolment in qs.select_related("user", "course"):
        user, course = enrolment.user, enrolment.course
        with translation.override(user_language(user=user)):
            title = _("New course assigned: “%(course)s”") % {"course": course.title}
            if enrolment.due_date:
                body = _("Please complete it by %(date)s.") % {
                    "date": enrolment.due_date.isoformat()
                }
            else:
                body = _("You can find it under “My learning”.")
        sent += notification_send(
            user=user,
            key=f"course-assigned:{enrolment.pk}",
            kind="course-assigned",
            title=title,
            body=body,
            url=_course_url(course),
        )
    return sent


# --- Overdue digest for unit admins ----------------------------------------------------------


@dataclass(frozen=True)
class _OverdueRow:
    path: str
    user_id: int
    name: str
    unit: str
    course: str
    due_date: datetime.date


def _overdue_rows(today: datetime.date) -> list[_OverdueRow]:
    rows = (
        _open_enrolments()
        .filter(due_date__lt=today, user__unit__isnull=False)
        .values_list(
            "user__unit__path",
            "user_id",
            "user__full_name",
            "user__unit__name",
            "course__title",
            "due_date",
        )
    )
    found = [
        _OverdueRow(
            path=path, user_id=user_id, name=name, unit=unit, course=course, due_date=due_date
        )
        for path, user_id, name, unit, course, due_date in rows
        if due_date is not None
    ]
    return sorted(found, key=lambda r: (r.path, r.name, r.user_id, r.due_date))


def _admin_paths() -> dict[int, list[str]]:
    """{unit admin's id: [unit paths, with those inside another dropped]}."""
    from people.models import Role, RoleAssignment
    from people.selectors import unit_paths_reduce

    by_admin: dict[int, set[str]] = defaultdict(set)
    for user_id, path in RoleAssignment.objects.filter(
        role=Role.UNIT_ADMIN, unit__is_active=True, user__is_active=True
    ).values_list("user_id", "unit__path"):
        by_admin[user_id].add(path)
    return {user_id: unit_paths_reduce(paths) for user_id, paths in by_admin.items()}


def _in_scope(rows: list[_OverdueRow], keys: list[str], paths: list[str]) -> list[_OverdueRow]:
    """The rows (sorted by unit path) whose unit lies under one of ``paths``."""
    found: list[_OverdueRow] = []
    for path in paths:
        start = bisect.bisect_left(keys, path)
        end = start
        while end < len(keys) and keys[end].startswith(path):
            end += 1
        found.extend(rows[start:end])
    return found


def _digest_url() -> str:
    for name in ("assignments:list", "people:list"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def overdue_digest_send(*, today: datetime.date) -> int:
    """Send each unit admin today's digest of the overdue people in their scope (key
    ``overdue-digest:<date>``); an admin with nobody overdue gets none. Returns how many
    digests were new. A constant number of queries plus one insert per digest."""
    from people.models import User

    rows = _overdue_rows(today)
    if not rows:
        return 0
    key = f"overdue-digest:{today.isoformat()}"
    admins = _admin_paths()
    already = set(
        Notification.objects.filter(user_id__in=list(admins), key=key).values_list(
            "user_id", flat=True
        )
    )
    keys = [r.path for r in rows]
    todo = {
        admin_id: found
        for admin_id, paths in admins.items()
        if admin_id not in already and (found := _in_scope(rows, keys, paths))
    }
    if not todo:
        return 0
    people = User.objects.in_bulk(list(todo))
    url = _digest_url()
    sent = 0
    for admin_id, found in todo.items():
        admin = people.get(admin_id)
        if admin is None:
            continue
        with translation.override(user_language(user=admin)):
            title, body = _digest_text(found, today=today)
        sent += notification_send(
            user=admin, key=key, kind="overdue-digest", title=title, body=body, url=url
        )
    return sent


def _digest_text(rows: list[_OverdueRow], *, today: datetime.date) -> tuple[str, str]:
    people = len({r.user_id for r in rows})
    title = ngettext(
        "Overdue courses: %(count)d person in your units",
        "Overdue courses: %(count)d people in your units",
        people,
    ) % {"count": people}
    lines = []
    for row in rows[:DIGEST_MAX_LINES]:
        days = (today - row.due_date).days
        lines.append(
            ngettext(
                "%(name)s (%(unit)s): “%(course)s”, due %(date)s, overdue by %(days)d day",
                "%(name)s (%(unit)s): “%(course)s”, due %(date)s, overdue by %(days)d days",
                days,
            )
            % {
                "name": row.name,
                "unit": row.unit,
                "course": row.course,
                "date": row.due_date.isoformat(),
                "days": days,
            }
        )
    if len(rows) > DIGEST_MAX_LINES:
        lines.append(_("… and %(count)d more.") % {"count": len(rows) - DIGEST_MAX_LINES})
    return title, "\n".join(lines)


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from ``CoursesConfig.ready``)."""
