"""Reminders: "tomorrow" and "in an hour" to everyone registered (not cancelled, not
excused, no approved leave), once each per event and calendar sequence
(notification key ``event-reminder:<event>:<seq>:day|hour``; a moved event reminds
again).

Window logic, so a late or doubled beat neither misses nor repeats one: the day reminder
is due while ``start − 24 h ≤ now < start − 1 h``; the hour reminder while
``start − 1 h ≤ now < start``. (An event created less than an hour before its start only
gets the hour reminder.) ``notification_send`` is idempotent by key and people who
already have the key are skipped in SQL, so a second run sends nothing. Cancelled events
get none.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.models import Notification
from notifications.services import notification_send, user_language

from ..models import (
    Attendance,
    AttendanceStatus,
    Event,
    EventStatus,
    LeaveRequest,
    LeaveStatus,
    Registration,
)

DAY = datetime.timedelta(hours=24)
HOUR = datetime.timedelta(hours=1)


def reminder_key(*, event: Event, which: str) -> str:
    return f"event-reminder:{event.pk}:{event.sequence}:{which}"


def reminder_recipients(*, event: Event, key: str) -> list[Registration]:
    excused = Attendance.objects.filter(event=event, status=AttendanceStatus.EXCUSED).values(
        "user_id"
    )
    on_leave = LeaveRequest.objects.filter(event=event, status=LeaveStatus.APPROVED).values(
        "user_id"
    )
    reminded = Notification.objects.filter(user_id=OuterRef("user_id"), key=key)
    return list(
        Registration.objects.filter(event=event, cancelled_at__isnull=True, user__is_active=True)
        .exclude(Q(user_id__in=excused) | Q(user_id__in=on_leave))
        .exclude(Exists(reminded))
        .select_related("user")
    )


def reminders_send_due(*, now: datetime.datetime | None = None) -> int:
    """Send every reminder due at ``now``. Returns how many notifications were new."""
    now = now or timezone.now()
    events = Event.objects.filter(
        status=EventStatus.SCHEDULED, starts_at__gt=now, starts_at__lte=now + DAY
    )
    sent = 0
    for event in events:
        which = "hour" if now >= event.starts_at - HOUR else "day"
        key = reminder_key(event=event, which=which)
        start = timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M")
        url = reverse("events:event_detail", args=[event.pk])
        for registration in reminder_recipients(event=event, key=key):
            with translation.override(user_language(user=registration.user)):
                if which == "day":
                    title = _("Tomorrow: %(title)s") % {"title": event.title}
                else:
                    title = _("In an hour: %(title)s") % {"title": event.title}
                body = _("%(when)s, %(where)s") % {
                    "when": start,
                    "where": event.venue or event.online_url or "-",
                }
            sent += notification_send(
                user=registration.user,
                key=key,
                kind="event_reminder",
                title=title,
                body=body,
                url=url,
            )
    return sent


def connect_receivers() -> None:
    """Nothing to connect: the beat task calls ``reminders_send_due``."""
