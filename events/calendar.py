"""iCalendar (RFC 5545) for events: one event's ``.ics`` and a person's private feed.

Built with the ``icalendar`` library, which writes CRLF line endings and folds lines at
75 octets. Every VEVENT has a stable UID (``event-<pk>@<host>``), DTSTAMP in UTC,
DTSTART/DTEND with ``TZID=Asia/Shanghai`` (the VTIMEZONE is included), SUMMARY,
LOCATION, URL, SEQUENCE (raised whenever the event moves or is cancelled) and STATUS
(CANCELLED events stay in the feed so calendars remove them).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Timezone
from icalendar import Event as VEvent

from people.models import User

from .models import CalendarFeed, Event, _new_feed_token

PRODID = "-//Qinglian//Events//ZH"
CONTENT_TYPE = "text/calendar; charset=utf-8"
FEED_HISTORY = datetime.timedelta(days=365)


def _base_url() -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def _host() -> str:
    return urlsplit(_base_url()).hostname or "qinglian"


@functools.cache
def _vtimezone(tzid: str) -> bytes:
    return Timezone.from_tzid(tzid, first_date=datetime.date(2000, 1, 1)).to_ical()


def event_uid(event: Event) -> str:
    return f"event-{event.pk}@{_host()}"


def _vevent(event: Event, *, tz: ZoneInfo, stamp: object) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", event.starts_at.astimezone(tz))
    vevent.add("dtend", event.ends_at.astimezone(tz))
    vevent.add("summary", event.title)
    location = event.venue or event.online_url
    if location:
        vevent.add("location", location)
    if event.description:
        vevent.add("description", event.description)
    vevent.add("url", _base_url() + reverse("events:event_detail", args=[event.pk]))
    vevent.add("sequence", event.sequence)
    vevent.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    vevent.add("last-modified", event.updated_at.astimezone(ZoneInfo("UTC")))
    return vevent


def calendar_build(events: Iterable[Event], *, name: str = "") -> bytes:
    """A VCALENDAR with ``events`` as bytes (UTF-8, CRLF, folded lines)."""
    tzid = settings.TIME_ZONE
    tz = ZoneInfo(tzid)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    cal.add_component(Calendar.from_ical(_vtimezone(tzid)))
    stamp = timezone.now().astimezone(ZoneInfo("UTC")).replace(microsecond=0)
    for event in events:
        cal.add_component(_vevent(event, tz=tz, stamp=stamp))
    return cal.to_ical()


# --- Private feeds -----------------------------------------------------------------------


def feed_for(*, user: User) -> CalendarFeed:
    """The person's feed, created on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def feed_reset(*, user: User) -> CalendarFeed:
    """A new token for the person's feed: the old link stops working at once."""
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if not created:
        feed.token = _new_feed_token()
        feed.created_at = timezone.now()
        feed.last_used_at = None
        feed.save(update_fields=["token", "created_at", "last_used_at"])
    return feed


def feed_events(*, user: User) -> list[Event]:
    """The person's registered events from a year back on (cancelled ones included)."""
    since = timezone.now() - FEED_HISTORY
    return list(
        Event.objects.filter(
            registrations__user=user,
            registrations__cancelled_at__isnull=True,
            starts_at__gte=since,
        ).order_by("starts_at", "pk")
    )
