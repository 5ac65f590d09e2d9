"""Shared set-up for the appointment, programme and dashboard tests (imported by them):
a published pre-appointment course with one text lesson and a quiz, pledge texts, and
helpers that complete each step the way the real pages do (services and signals)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from courses.factories import CourseIndexPageFactory, CoursePageFactory, LessonPageFactory
from courses.models import CourseKind, CoursePage, LessonPage
from courses.services.progress import lesson_mark_studied
from people.factories import rank
from qinglian.models import HomePage
from quizzes.factories import QuizFactory
from quizzes.models import Attempt, AttemptStatus, Quiz
from quizzes.signals import attempt_graded
from talks.factories import PledgeTextFactory
from talks.models import (
    Appointment,
    PledgeSignature,
    PledgeText,
    PositionKind,
    TalkKind,
    TalkRecord,
    TalkStatus,
)
from talks.services.appointments import appointment_create
from talks.signals import pledge_signed, talk_recorded


@dataclass
class Programme:
    course: CoursePage
    lesson: LessonPage
    quiz: Quiz
    pledge: PledgeText


def build_programme() -> Programme:
    home = HomePage.objects.get()
    index = CourseIndexPageFactory(parent=home)
    quiz = QuizFactory(section=False, title="任前廉政知识测试", slug="pre-appointment-test")
    course = CoursePageFactory(
        parent=index,
        title="任前廉政教育课程",
        slug="pre-appointment",
        kind=CourseKind.PRE_APPOINTMENT,
        quiz=quiz,
        self_enrol=False,
    )
    lesson = LessonPageFactory(parent=course, title="第一课 廉洁从政若干准则", slug="lesson-1")
    pledge = PledgeTextFactory(position_kind=PositionKind.LEADING, version=1)
    return Programme(course=course, lesson=lesson, quiz=quiz, pledge=pledge)


@pytest.fixture(name="programme")
def programme_fixture(db) -> Programme:
    return build_programme()


def appoint(org, programme, *, person=None, by=None, days=14, **kwargs) -> Appointment:
    today = timezone.localdate()
    values = {
        "by": by or org.finance_admin,
        "person": person or org.finance_learner,
        "position_title": "副科长",
        "position_kind": PositionKind.LEADING,
        "rank_level": rank("FKJ"),
        "decision_date": today,
        "take_office_date": today + datetime.timedelta(days=days),
        "course": programme.course,
    }
    values.update(kwargs)
    return appointment_create(**values)


def study(user, programme) -> None:
    lesson_mark_studied(user=user, lesson=programme.lesson)


def pass_quiz(user, programme, *, passed: bool = True) -> Attempt:
    number = Attempt.objects.filter(quiz=programme.quiz, user=user).count() + 1
    attempt = Attempt.objects.create(
        quiz=programme.quiz,
        user=user,
        number=number,
        status=AttemptStatus.SUBMITTED,
        max_score=Decimal("10"),
        score=Decimal("9") if passed else Decimal("3"),
        percent=Decimal("90") if passed else Decimal("30"),
        passed=passed,
        submitted_at=timezone.now(),
    )
    attempt_graded.send(sender=Attempt, attempt=attempt)
    return attempt


def record_talk(org, appointment: Appointment) -> TalkRecord:
    talk = TalkRecord.objects.create(
        kind=TalkKind.PRE_APPOINTMENT,
        official=appointment.person,
        unit=appointment.person.unit,
        appointment=appointment,
        scheduled_at=timezone.now(),
        place="纪委谈话室",
        status=TalkStatus.RECORDED,
        held_at=timezone.now(),
        recorder=org.discipline,
    )
    talk_recorded.send(sender=TalkRecord, talk=talk)
    return talk


def sign_pledge(appointment: Appointment, text: PledgeText) -> PledgeSignature:
    signature = PledgeSignature.objects.create(
        text=text,
        user=appointment.person,
        appointment=appointment,
        typed_name=appointment.person.full_name,
        text_sha256="0" * 64,
    )
    pledge_signed.send(sender=PledgeSignature, signature=signature)
    return signature
