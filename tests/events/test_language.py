"""Event notifications are written in each recipient's language, whatever the language of
the worker or the request that sends them."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from events.factories import EventFactory
from events.models import LeaveRequest
from events.services.events import event_cancel
from events.services.leave import leave_decide
from events.services.registration import event_audience_register
from events.services.reminders import reminders_send_due
from notifications.models import Notification
from people.services import person_language_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(org):
    start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(days=2)
    event = EventFactory(
        audience_unit=org.finance, trainer=org.trainer, starts_at=start, title="Ethics 101"
    )
    event_audience_register(event=event)
    person_language_set(user=org.finance_learner, language="en")
    person_language_set(user=org.budget_learner, language="zh-hans")
    return event


def mail_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


@pytest.mark.parametrize("worker_language", ["zh-hans", "en"])
def test_event_reminder_in_each_recipients_language(
    org, event, worker_language, django_capture_on_commit_callbacks
):
    with translation.override(worker_language), django_capture_on_commit_callbacks(execute=True):
        reminders_send_due(now=event.starts_at - datetime.timedelta(hours=23))
    english = Notification.objects.get(user=org.finance_learner)
    chinese = Notification.objects.get(user=org.budget_learner)
    default = Notification.objects.get(user=org.discipline)  # no language stored
    assert english.title == "Tomorrow: Ethics 101"
    assert chinese.title == "明天：Ethics 101"
    assert default.title == "明天：Ethics 101"
    [english_mail] = mail_to(org.finance_learner)
    [chinese_mail] = mail_to(org.budget_learner)
    assert "Tomorrow: Ethics 101" in english_mail.subject
    assert "Dear" in english_mail.body
    assert "明天：Ethics 101" in chinese_mail.subject
    assert "Dear" not in chinese_mail.body


@pytest.mark.parametrize("approve", [True, False])
def test_leave_decision_in_the_requesters_language(
    org, event, approve, django_capture_on_commit_callbacks
):
    english = LeaveRequest.objects.create(event=event, user=org.finance_learner, reason="x")
    chinese = LeaveRequest.objects.create(event=event, user=org.budget_learner, reason="x")
    # The admin decides from the English pages: the Chinese reader still reads Chinese.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        leave_decide(leave=english, by=org.finance_admin, approve=approve, note="n")
        leave_decide(leave=chinese, by=org.finance_admin, approve=approve, note="n")
    en_title = ("Leave approved: " if approve else "Leave not approved: ") + "Ethics 101"
    zh_title = ("请假已批准：" if approve else "请假未获批准：") + "Ethics 101"
    assert Notification.objects.get(user=org.finance_learner).title == en_title
    assert Notification.objects.get(user=org.budget_learner).title == zh_title
    assert en_title in mail_to(org.finance_learner)[0].subject
    assert zh_title in mail_to(org.budget_learner)[0].subject


def test_cancellation_in_each_registrants_language(org, event):
    with translation.override("en"):
        event_cancel(by=org.finance_admin, event=event, reason="Room closed")
    assert Notification.objects.get(user=org.finance_learner).title == "Cancelled: Ethics 101"
    assert Notification.objects.get(user=org.budget_learner).title == "活动取消：Ethics 101"
    assert Notification.objects.get(user=org.budget_learner).body == "Room closed"
