"""Event reminders (E2): day before and hour before, once each, robust to late or
doubled beats."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from events.factories import EventFactory
from events.models import (
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    EventStatus,
    LeaveRequest,
    LeaveStatus,
)
from events.services.registration import event_audience_register
from events.services.reminders import reminders_send_due
from events.tasks import event_reminders_send
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def keys(user):
    return set(Notification.objects.filter(user=user).values_list("key", flat=True))


@pytest.fixture
def tomorrow(org):
    start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(days=2)
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer, starts_at=start)
    event_audience_register(event=event)
    return event


def test_day_then_hour_once_each(org, tomorrow):
    start = tomorrow.starts_at
    assert reminders_send_due(now=start - datetime.timedelta(hours=25)) == 0
    sent = reminders_send_due(now=start - datetime.timedelta(hours=24))
    assert sent == 4  # finance admin, officer, two learners
    day = f"event-reminder:{tomorrow.pk}:0:day"
    assert keys(org.finance_learner) == {day}
    # The beat runs twice, or late: nothing new.
    assert reminders_send_due(now=start - datetime.timedelta(hours=24)) == 0
    assert reminders_send_due(now=start - datetime.timedelta(hours=3)) == 0
    # The hour reminder, also when the beat is late.
    assert reminders_send_due(now=start - datetime.timedelta(minutes=40)) == 4
    assert reminders_send_due(now=start - datetime.timedelta(minutes=35)) == 0
    assert keys(org.finance_learner) == {day, f"event-reminder:{tomorrow.pk}:0:hour"}
    assert reminders_send_due(now=start + datetime.timedelta(minutes=1)) == 0


def test_late_beat_still_sends_day_reminder(org, tomorrow):
    assert reminders_send_due(now=tomorrow.starts_at - datetime.timedelta(hours=20)) == 4


def test_excused_leave_and_cancelled_skipped(org, tomorrow):
    Attendance.objects.create(
        event=tomorrow,
        user=org.finance_learner,
        status=AttendanceStatus.EXCUSED,
        method=AttendanceMethod.LEAVE,
    )
    LeaveRequest.objects.create(
        event=tomorrow, user=org.budget_learner, reason="x", status=LeaveStatus.APPROVED
    )
    tomorrow.registrations.filter(user=org.discipline).update(cancelled_at=timezone.now())
    assert reminders_send_due(now=tomorrow.starts_at - datetime.timedelta(hours=23)) == 1
    assert keys(org.finance_admin) and not keys(org.finance_learner)
    tomorrow.status = EventStatus.CANCELLED
    tomorrow.save()
    assert reminders_send_due(now=tomorrow.starts_at - datetime.timedelta(minutes=30)) == 0


def test_moved_event_reminds_again(org, tomorrow):
    reminders_send_due(now=tomorrow.starts_at - datetime.timedelta(hours=23))
    tomorrow.sequence = 1
    tomorrow.save()
    assert reminders_send_due(now=tomorrow.starts_at - datetime.timedelta(hours=22)) == 4


def test_task_runs(org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)  # in an hour
    event_audience_register(event=event)
    assert event_reminders_send.apply().get() == 4
    assert event_reminders_send.apply().get() == 0
