"""Leave requests and make-up study (E2)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse as django_reverse
from django.utils import timezone, translation

from courses.models import CourseCompletion, Enrolment, LessonProgress
from events.factories import CampaignFactory, EventFactory
from events.models import (
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    CampaignCompletion,
    LeaveRequest,
    LeaveStatus,
    MakeUp,
)
from events.services.leave import makeup_refresh
from events.services.registration import event_audience_register
from notifications.models import Notification
from tests.courses.conftest import build_course_tree

pytestmark = pytest.mark.django_db


def reverse(name: str, args: list | None = None) -> str:
    with translation.override("en"):
        return django_reverse(name, args=args)


@pytest.fixture
def tree(db):
    return build_course_tree()


@pytest.fixture
def finance_event(org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    event_audience_register(event=event)
    return event


def ask(client, event, reason="出差在外"):
    return client.post(reverse("events:event_leave", args=[event.pk]), {"reason": reason})


def test_ask_for_leave(client, org, finance_event):
    client.force_login(org.finance_learner)
    assert client.get(reverse("events:event_leave", args=[finance_event.pk])).status_code == 200
    response = ask(client, finance_event)
    assert response.status_code == 302
    leave = LeaveRequest.objects.get()
    assert leave.user == org.finance_learner and leave.status == LeaveStatus.PENDING


def test_leave_reason_required(client, org, finance_event):
    client.force_login(org.finance_learner)
    response = ask(client, finance_event, reason="  ")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_leave_after_start_refused(client, org):
    event = EventFactory(
        audience_unit=org.finance,
        trainer=org.trainer,
        starts_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    client.force_login(org.finance_learner)
    response = ask(client, event)
    assert response.status_code == 400
    assert "leave must be asked for before the start" in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_double_leave_request_refused(client, org, finance_event):
    client.force_login(org.finance_learner)
    ask(client, finance_event)
    response = ask(client, finance_event, reason="再次申请")
    assert response.status_code == 400
    assert "already asked for leave" in response.content.decode()
    assert LeaveRequest.objects.get().reason == "出差在外"


def test_leave_when_not_registered_refused(client, org, finance_event):
    client.force_login(org.housing_learner)
    response = ask(client, finance_event)
    assert response.status_code == 400
    assert "not registered" in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_withdraw_and_ask_again(client, org, finance_event):
    client.force_login(org.finance_learner)
    ask(client, finance_event)
    client.post(reverse("events:event_leave_withdraw", args=[finance_event.pk]))
    assert LeaveRequest.objects.get().status == LeaveStatus.WITHDRAWN
    ask(client, finance_event, reason="临时任务")
    leave = LeaveRequest.objects.get()
    assert leave.status == LeaveStatus.PENDING and leave.reason == "临时任务"


def test_leave_list_scope(client, org, finance_event, django_assert_max_num_queries):
    LeaveRequest.objects.create(event=finance_event, user=org.finance_learner, reason="出差")
    housing = EventFactory(audience_unit=org.housing, trainer=org.trainer)
    LeaveRequest.objects.create(event=housing, user=org.housing_learner, reason="病假")
    client.force_login(org.finance_admin)
    client.get(reverse("events:leave_list"))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("events:leave_list"))
    body = response.content.decode()
    assert "张三丰" in body and "王五" not in body
    client.force_login(org.finance_learner)
    assert client.get(reverse("events:leave_list")).status_code == 403


def test_approve_out_of_scope_is_404(client, org, finance_event):
    leave = LeaveRequest.objects.create(event=finance_event, user=org.finance_learner, reason="x")
    client.force_login(org.housing_admin)
    url = reverse("events:leave_decide", args=[leave.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "approve"}).status_code == 404
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.PENDING
    assert not Attendance.objects.exists()


def test_reject_needs_a_note(client, org, finance_event):
    leave = LeaveRequest.objects.create(event=finance_event, user=org.finance_learner, reason="x")
    client.force_login(org.finance_admin)
    url = reverse("events:leave_decide", args=[leave.pk])
    response = client.post(url, {"decision": "reject", "note": ""})
    assert response.status_code == 400
    assert "Say why the request is rejected." in response.content.decode()
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.PENDING
    response = client.post(url, {"decision": "reject", "note": "工作安排不允许"})
    assert response.status_code == 302
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.REJECTED and leave.decided_by == org.finance_admin
    assert not Attendance.objects.exists()
    assert Notification.objects.filter(user=org.finance_learner, kind="event").exists()


def test_approve_excuses_and_assigns_course_makeup(client, org, tree):
    campaign = CampaignFactory(audience_unit=org.finance)
    event = EventFactory(
        campaign=campaign,
        audience_unit=org.finance,
        trainer=org.trainer,
        makeup_course=tree.course,
    )
    event_audience_register(event=event)
    leave = LeaveRequest.objects.create(event=event, user=org.finance_learner, reason="出差")
    client.force_login(org.finance_admin)
    url = reverse("events:leave_decide", args=[leave.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"decision": "approve", "note": "同意"})
    assert response.status_code == 302
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED
    attendance = Attendance.objects.get(event=event, user=org.finance_learner)
    assert attendance.status == AttendanceStatus.EXCUSED
    assert attendance.method == AttendanceMethod.LEAVE
    makeup = MakeUp.objects.get(event=event, user=org.finance_learner)
    assert makeup.course == tree.course and makeup.completed_at is None
    assert Enrolment.objects.filter(user=org.finance_learner, course=tree.course).exists()
    # Deciding again changes nothing.
    response = client.post(url, {"decision": "reject", "note": "改主意"}, follow=True)
    assert "already been decided" in response.content.decode()
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED
    # Completing the course completes the make-up (course_completed, sent in the completing
    # transaction) and the campaign, the only required event.
    from courses.signals import course_completed

    completion = CourseCompletion.objects.create(
        user=org.finance_learner, course=tree.course, hours=Decimal("2.0")
    )
    course_completed.send(sender=CourseCompletion, completion=completion)
    makeup.refresh_from_db()
    assert makeup.completed_at is not None
    assert CampaignCompletion.objects.filter(campaign=campaign, user=org.finance_learner).exists()


def test_lesson_makeup_counts_lazily(client, org, tree):
    lesson = tree.lessons[0]
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer, makeup_lesson=lesson)
    event_audience_register(event=event)
    leave = LeaveRequest.objects.create(event=event, user=org.finance_learner, reason="出差")
    from events.services.leave import leave_decide

    leave_decide(leave=leave, by=org.finance_admin, approve=True)
    makeup = MakeUp.objects.get()
    assert makeup.lesson == lesson
    assert Enrolment.objects.filter(user=org.finance_learner, course=tree.course).exists()
    assert makeup_refresh(user=org.finance_learner) == 0
    LessonProgress.objects.create(
        user=org.finance_learner,
        lesson=lesson,
        started_at=timezone.now(),
        completed_at=timezone.now(),
        watched={},
    )
    client.force_login(org.finance_learner)
    client.get(reverse("events:event_list"))  # the page refreshes make-ups
    makeup.refresh_from_db()
    assert makeup.completed_at is not None
    first = makeup.completed_at
    assert makeup_refresh(user=org.finance_learner) == 0
    makeup.refresh_from_db()
    assert makeup.completed_at == first
