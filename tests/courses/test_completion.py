"""Course completion: recorded once, announced once, and only when the rule holds
(required or all lessons, and the course quiz passed when there is one)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError

from courses.models import CompletionRule, CourseCompletion, Enrolment, LessonProgress
from courses.services.completion import course_evaluate
from courses.services.progress import lesson_heartbeat, lesson_mark_studied, lesson_open
from courses.signals import course_completed
from quizzes.factories import QuizFactory
from quizzes.models import Attempt, AttemptStatus
from quizzes.signals import attempt_graded

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def announced():
    """The completions announced through ``course_completed``."""
    received = []

    def receiver(sender, completion, **kwargs):
        received.append(completion)

    course_completed.connect(receiver, dispatch_uid="test-completion-receiver")
    yield received
    course_completed.disconnect(dispatch_uid="test-completion-receiver")


def complete_lesson(user, lesson, *, now=T0):
    """Study a lesson: mark it, or watch its whole video in real time."""
    from courses.selectors.progress import lesson_tracked_media

    if not lesson_tracked_media(lesson=lesson):
        return lesson_mark_studied(user=user, lesson=lesson, now=now)
    lesson_open(user=user, lesson=lesson, now=now)
    seq, t = 0, 0
    while t < 120:
        seq += 1
        lesson_heartbeat(
            user=user,
            lesson=lesson,
            seq=seq,
            start=t,
            end=t + 15,
            rate=1.0,
            visible=True,
            now=now + datetime.timedelta(seconds=t + 15),
        )
        t += 15
    return LessonProgress.objects.get(user=user, lesson=lesson)


def test_completing_every_lesson_records_the_completion_once(
    org, course_tree, enrol, announced, django_capture_on_commit_callbacks
):
    user = org.finance_learner
    enrolment = enrol(user, course_tree.course, required=True)
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in course_tree.lessons[:2]:
            complete_lesson(user, lesson)
    assert not CourseCompletion.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        complete_lesson(user, course_tree.lessons[2], now=T0 + datetime.timedelta(hours=1))
    completion = CourseCompletion.objects.get(user=user, course=course_tree.course)
    assert completion.hours == Decimal("2.0") == course_tree.course.credit_hours
    assert completion.required is True
    assert completion.completed_at == T0 + datetime.timedelta(hours=1)
    enrolment.refresh_from_db()
    assert enrolment.completed_at == completion.completed_at
    assert announced == [completion]


def test_watching_the_video_lesson_last_completes_the_course(
    org, course_tree, enrol, announced, django_capture_on_commit_callbacks
):
    user = org.finance_learner
    enrol(user, course_tree.course)
    with django_capture_on_commit_callbacks(execute=True):
        complete_lesson(user, course_tree.lessons[0])
        complete_lesson(user, course_tree.lessons[2])
        complete_lesson(user, course_tree.video_lesson)
    assert len(announced) == 1
    assert announced[0].user == user


def test_evaluating_twice_records_one_row_and_announces_once(
    org, course_tree, enrol, announced, django_capture_on_commit_callbacks
):
    user = org.finance_learner
    enrol(user, course_tree.course, required=False)
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in course_tree.lessons:
            complete_lesson(user, lesson)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = course_evaluate(user=user, course=course_tree.course, now=T0)
        third = course_evaluate(user=user, course=course_tree.course, now=T0)
    assert callbacks == []
    assert again == third == CourseCompletion.objects.get()
    assert again.required is False  # an elective
    assert len(announced) == 1


def test_losing_the_insert_race_is_not_an_error_and_announces_nothing(
    org, course_tree, enrol, announced, django_capture_on_commit_callbacks, monkeypatch
):
    """Two requests evaluate at once; the other one inserts the row after our check.
    Ours then either finds it (``get_or_create``) or hits the unique constraint, rolls
    back its savepoint and reads it; either way it returns that row and announces
    nothing (the other request announces)."""
    from courses.services import completion as svc

    user = org.finance_learner
    enrol(user, course_tree.course)
    for lesson in course_tree.lessons:
        LessonProgress.objects.create(user=user, lesson=lesson, completed_at=T0)
    theirs = CourseCompletion.objects.create(
        user=user, course=course_tree.course, hours=Decimal("2.0")
    )
    monkeypatch.setattr(svc, "_existing", lambda **kwargs: None)  # we checked too early
    with django_capture_on_commit_callbacks(execute=True):
        assert course_evaluate(user=user, course=course_tree.course, now=T0) == theirs
    manager = type(CourseCompletion.objects)
    with (
        django_capture_on_commit_callbacks(execute=True),
        mock.patch.object(manager, "get_or_create", side_effect=IntegrityError("unique")),
    ):
        assert course_evaluate(user=user, course=course_tree.course, now=T0) == theirs
    assert CourseCompletion.objects.count() == 1
    assert announced == []


def test_required_lessons_rule_ignores_optional_lessons(org, course_tree, enrol):
    user = org.finance_learner
    optional = course_tree.lessons[2]
    optional.is_required = False
    optional.save_revision().publish()
    enrol(user, course_tree.course)
    complete_lesson(user, course_tree.lessons[0])
    complete_lesson(user, course_tree.video_lesson)
    assert CourseCompletion.objects.filter(user=user).exists()


def test_all_lessons_rule_needs_the_optional_lessons_too(org, course_tree, enrol):
    user = org.finance_learner
    course = course_tree.course
    course.completion_rule = CompletionRule.ALL_LESSONS
    course.save_revision().publish()
    optional = course_tree.lessons[2]
    optional.is_required = False
    optional.save_revision().publish()
    enrol(user, course)
    complete_lesson(user, course_tree.lessons[0])
    complete_lesson(user, course_tree.video_lesson)
    assert not CourseCompletion.objects.exists()
    complete_lesson(user, optional)
    assert CourseCompletion.objects.filter(user=user).exists()


def test_a_person_not_enrolled_does_not_complete(org, course_tree):
    user = org.finance_learner
    for lesson in course_tree.lessons:
        LessonProgress.objects.create(user=user, lesson=lesson, completed_at=T0)
    assert course_evaluate(user=user, course=course_tree.course, now=T0) is None
    assert not CourseCompletion.objects.exists()


def test_completion_waits_for_the_quiz(
    org, course_tree, enrol, announced, django_capture_on_commit_callbacks
):
    user = org.finance_learner
    course = course_tree.course
    quiz = QuizFactory(section=False)
    course.quiz = quiz
    course.save_revision().publish()
    enrolment = enrol(user, course)
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in course_tree.lessons:
            complete_lesson(user, lesson)
    assert not CourseCompletion.objects.exists()
    assert announced == []

    # A failed attempt changes nothing.
    failed = Attempt.objects.create(
        quiz=quiz,
        user=user,
        number=1,
        status=AttemptStatus.SUBMITTED,
        max_score=Decimal("10"),
        score=Decimal("4"),
        percent=Decimal("40"),
        passed=False,
        submitted_at=T0,
    )
    with django_capture_on_commit_callbacks(execute=True):
        attempt_graded.send(sender=Attempt, attempt=failed)
    assert not CourseCompletion.objects.exists()

    passed = Attempt.objects.create(
        quiz=quiz,
        user=user,
        number=2,
        status=AttemptStatus.SUBMITTED,
        max_score=Decimal("10"),
        score=Decimal("9"),
        percent=Decimal("90"),
        passed=True,
        submitted_at=T0,
    )
    with django_capture_on_commit_callbacks(execute=True):
        attempt_graded.send(sender=Attempt, attempt=passed)
        attempt_graded.send(sender=Attempt, attempt=passed)  # sent twice: still one
    completion = CourseCompletion.objects.get(user=user, course=course)
    assert announced == [completion]
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None


def test_a_passed_quiz_before_the_lessons_completes_on_the_last_lesson(
    org, course_tree, enrol, announced, django_capture_on_commit_callbacks
):
    user = org.finance_learner
    course = course_tree.course
    quiz = QuizFactory(section=False)
    course.quiz = quiz
    course.save_revision().publish()
    enrol(user, course)
    attempt = Attempt.objects.create(
        quiz=quiz,
        user=user,
        number=1,
        status=AttemptStatus.SUBMITTED,
        max_score=Decimal("10"),
        score=Decimal("10"),
        percent=Decimal("100"),
        passed=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        attempt_graded.send(sender=Attempt, attempt=attempt)
    assert not CourseCompletion.objects.exists()  # lessons not done yet
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in course_tree.lessons:
            complete_lesson(user, lesson)
    assert len(announced) == 1


def test_an_attempt_at_another_quiz_does_not_complete_the_course(org, course_tree, enrol):
    user = org.finance_learner
    course = course_tree.course
    course.quiz = QuizFactory(section=False)
    course.save_revision().publish()
    enrol(user, course)
    for lesson in course_tree.lessons:
        complete_lesson(user, lesson)
    other = Attempt.objects.create(
        quiz=QuizFactory(section=False),
        user=user,
        number=1,
        status=AttemptStatus.SUBMITTED,
        max_score=Decimal("10"),
        passed=True,
    )
    attempt_graded.send(sender=Attempt, attempt=other)
    assert not CourseCompletion.objects.exists()
    assert Enrolment.objects.get(user=user).completed_at is None
