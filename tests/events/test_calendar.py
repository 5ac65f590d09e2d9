"""iCalendar output (E2): one event's .ics and the private feed, parsed strictly."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse as django_reverse
from django.utils import timezone, translation
from icalendar import Calendar

from events.calendar import feed_for
from events.factories import EventFactory
from events.models import CalendarFeed, Registration
from events.services.events import event_cancel, event_update
from events.services.registration import event_audience_register

pytestmark = pytest.mark.django_db


def reverse(name: str, args: list | None = None) -> str:
    with translation.override("en"):
        return django_reverse(name, args=args)


def check_ics(raw: bytes) -> Calendar:
    """Strict checks: CRLF only, lines ≤ 75 octets, required properties, UTC DTSTAMP,
    DTSTART/DTEND with TZID=Asia/Shanghai, and the library's own parser."""
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    for line in lines:
        assert b"\n" not in line and b"\r" not in line
        assert len(line) <= 75, line
    unfolded = raw.replace(b"\r\n ", b"").decode("utf-8")
    assert unfolded.startswith("BEGIN:VCALENDAR\r\n")
    cal = Calendar.from_ical(raw)
    assert cal.get("VERSION") == "2.0"
    assert cal.get("PRODID")
    timezones = cal.walk("VTIMEZONE")
    assert [str(t["TZID"]) for t in timezones] == ["Asia/Shanghai"]
    for line in unfolded.split("\r\n"):
        if line.startswith("DTSTAMP"):
            assert line.endswith("Z") and line.startswith("DTSTAMP:"), line
    for vevent in cal.walk("VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL", "SEQUENCE"):
            assert prop in vevent, prop
        assert vevent.decoded("DTSTAMP").utcoffset() == datetime.timedelta(0)
        assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
        assert vevent["DTEND"].params["TZID"] == "Asia/Shanghai"
    return cal


def test_event_ics(client, org):
    event = EventFactory(
        audience_unit=org.finance,
        trainer=org.trainer,
        title="警示教育大会：" + "以案为鉴、以案促改" * 6,
    )
    client.force_login(org.housing_learner)
    response = client.get(reverse("events:event_ics", args=[event.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = check_ics(response.content)
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["UID"]).startswith(f"event-{event.pk}@")
    assert str(vevent["SUMMARY"]) == event.title
    assert str(vevent["LOCATION"]) == "机关三楼会议室"
    assert vevent.decoded("DTSTART") == event.starts_at
    assert int(vevent["SEQUENCE"]) == 0
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["URL"]).endswith(f"/events/{event.pk}/")


def test_ics_needs_login(client, org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    response = client.get(reverse("events:event_ics", args=[event.pk]))
    assert response.status_code == 302


def test_feed_lists_registered_events_and_sequence_rises(client, org):
    event = EventFactory(
        audience_unit=org.finance, trainer=org.trainer, created_by=org.finance_admin
    )
    other = EventFactory(audience_unit=org.housing, trainer=org.trainer)
    event_audience_register(event=event)
    event_audience_register(event=other)
    feed = feed_for(user=org.finance_learner)
    url = reverse("calendar:feed", args=[feed.token])
    cal = check_ics(client.get(url).content)
    uids = [str(v["UID"]) for v in cal.walk("VEVENT")]
    assert uids == [f"event-{event.pk}@" + uids[0].split("@")[1]]
    uid = uids[0]
    # Moving the event raises SEQUENCE; the UID stays.
    data = {
        f: getattr(event, f)
        for f in ("kind", "title", "venue", "audience_unit", "trainer", "checkin_opens_at",
                  "checkin_closes_at")
    }  # fmt: skip
    data["starts_at"] = event.starts_at + datetime.timedelta(minutes=30)
    data["ends_at"] = event.ends_at + datetime.timedelta(minutes=30)
    event_update(by=org.finance_admin, event=event, data=data)
    (vevent,) = check_ics(client.get(url).content).walk("VEVENT")
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == 1
    assert vevent.decoded("DTSTART") == data["starts_at"]
    # Cancelled events stay in the feed, marked cancelled, with a higher sequence.
    event_cancel(by=org.finance_admin, event=event, reason="改期")
    (vevent,) = check_ics(client.get(url).content).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED" and int(vevent["SEQUENCE"]) == 2
    assert CalendarFeed.objects.get(pk=feed.pk).last_used_at is not None


def test_feed_drops_cancelled_registration(client, org):
    event = EventFactory(audience_unit=org.housing, trainer=org.trainer)
    Registration.objects.create(event=event, user=org.finance_learner, cancelled_at=timezone.now())
    feed = feed_for(user=org.finance_learner)
    cal = check_ics(client.get(reverse("calendar:feed", args=[feed.token])).content)
    assert cal.walk("VEVENT") == []


def test_unknown_token_is_404(client, org):
    assert client.get(reverse("calendar:feed", args=["nope"])).status_code == 404


def test_calendar_page_and_reset(client, org, django_assert_max_num_queries):
    client.force_login(org.finance_learner)
    page = reverse("events:event_calendar")
    client.get(page)
    with django_assert_max_num_queries(12):
        response = client.get(page)
    token = CalendarFeed.objects.get(user=org.finance_learner).token
    assert token in response.content.decode()
    old = reverse("calendar:feed", args=[token])
    assert client.get(old).status_code == 200
    response = client.post(reverse("events:event_calendar_reset"), follow=True)
    assert "the old link no longer works" in response.content.decode()
    new = CalendarFeed.objects.get(user=org.finance_learner).token
    assert new != token
    assert client.get(old).status_code == 404
    assert client.get(reverse("calendar:feed", args=[new])).status_code == 200


def test_inactive_person_feed_is_404(client, org):
    feed = feed_for(user=org.finance_learner)
    org.finance_learner.is_active = False
    org.finance_learner.save()
    assert client.get(reverse("calendar:feed", args=[feed.token])).status_code == 404
