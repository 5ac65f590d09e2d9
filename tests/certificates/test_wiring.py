"""Completions issue certificates (qinglian.certificate_wiring): a course, an education
month and a cleared pre-appointment programme each give one certificate, created in the
transaction that records the completion; signalled twice, still one certificate and one
file; a completion that rolls back leaves no certificate."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from certificates.models import Certificate, RenderStatus
from courses.factories import CourseIndexPageFactory, CoursePageFactory, LessonPageFactory
from courses.models import CourseCompletion, Enrolment
from courses.services.progress import lesson_mark_studied
from courses.signals import course_completed
from events.factories import CampaignFactory
from events.models import CampaignCompletion
from events.signals import campaign_completed
from qinglian.models import HomePage
from talks.models import AppointmentStatus

from ..talks.test_appointment_support import appoint, programme_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):
    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    course = CoursePageFactory(parent=index, title="纪律处分条例学习", credit_hours=Decimal("3.5"))
    LessonPageFactory(parent=course, title="第一课 总则")
    return course


def test_completing_a_course_issues_its_certificate_in_the_same_transaction(
    org, course, cert_files, django_capture_on_commit_callbacks
):
    user = org.finance_learner
    Enrolment.objects.create(user=user, course=course, required=True)
    with django_capture_on_commit_callbacks() as callbacks:
        lesson_mark_studied(user=user, lesson=course.get_children().specific().first())
    # Before the commit: the completion and its certificate exist, the PDF not yet.
    completion = CourseCompletion.objects.get(user=user, course=course)
    certificate = Certificate.objects.get(user=user)
    assert certificate.achievement_key == f"course:{course.pk}"
    assert certificate.source_id == course.pk
    assert certificate.achievement_title == "纪律处分条例学习"
    assert certificate.hours == Decimal("3.5")
    assert certificate.achieved_on == timezone.localdate(completion.completed_at)
    assert certificate.status == RenderStatus.PENDING and cert_files() == []

    for callback in callbacks:
        callback()
    # Signalled again (a redelivered or repeated completion): nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        course_completed.send(sender=CourseCompletion, completion=completion)
        course_completed.send(sender=CourseCompletion, completion=completion)
    certificate.refresh_from_db()
    assert Certificate.objects.filter(user=user).count() == 1
    assert certificate.status == RenderStatus.READY and certificate.render_attempts == 1
    assert cert_files() == [f"certificates/{certificate.serial}.pdf"]


def test_a_receiver_that_fails_rolls_the_completion_and_the_certificate_back(
    org, course, django_capture_on_commit_callbacks
):
    user = org.finance_learner
    Enrolment.objects.create(user=user, course=course, required=True)

    def broken(sender, completion, **kwargs):
        raise RuntimeError("receiver failed")

    course_completed.connect(broken, dispatch_uid="test-wiring-broken")
    try:
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
            lesson_mark_studied(user=user, lesson=course.get_children().specific().first())
    finally:
        course_completed.disconnect(dispatch_uid="test-wiring-broken")
    assert not CourseCompletion.objects.exists()
    assert not Certificate.objects.exists()
    assert callbacks == []


def test_a_completion_rolled_back_later_leaves_no_certificate(
    org, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory(audience_unit=org.city)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        completion = CampaignCompletion.objects.create(campaign=campaign, user=org.housing_learner)
        campaign_completed.send(sender=CampaignCompletion, completion=completion)
        assert Certificate.objects.count() == 1
        1 / 0  # noqa: B018
    assert not Certificate.objects.exists()
    assert callbacks == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("党风廉政建设宣传教育月", "2026年党风廉政建设宣传教育月"),
        ("2026年党风廉政建设宣传教育月", "2026年党风廉政建设宣传教育月"),
    ],
)
def test_completing_an_education_month_issues_its_certificate(org, title, expected):
    campaign = CampaignFactory(year=2026, title=title, audience_unit=org.city)
    with transaction.atomic():
        completion = CampaignCompletion.objects.create(
            campaign=campaign,
            user=org.budget_learner,
            completed_at=datetime.datetime(2026, 9, 30, 17, 0, tzinfo=datetime.UTC),
        )
        campaign_completed.send(sender=CampaignCompletion, completion=completion)
        campaign_completed.send(sender=CampaignCompletion, completion=completion)
    certificate = Certificate.objects.get(user=org.budget_learner)
    assert certificate.kind == "campaign"
    assert certificate.achievement_key == f"campaign:{campaign.pk}"
    assert certificate.achievement_title == expected
    assert certificate.achieved_on == datetime.date(2026, 10, 1)  # Asia/Shanghai
    assert certificate.holder_name == "李四"


def test_clearing_a_pre_appointment_programme_issues_its_certificate(org, programme):
    appointment = appoint(org, programme, position_title="财务科副科长")
    from talks.services.programme import step_waive

    for step in appointment.steps.all():
        step_waive(by=org.discipline, step=step, reason="已在原单位完成")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLEARED
    certificate = Certificate.objects.get(user=org.finance_learner)
    assert certificate.kind == "appointment"
    assert certificate.achievement_key == f"appointment:{appointment.pk}"
    assert certificate.source_id == appointment.pk
    assert certificate.achievement_title == "任前廉政教育（财务科副科长）"
    assert certificate.achieved_on == timezone.localdate(appointment.cleared_at)
