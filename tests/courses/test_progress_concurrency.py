"""Real concurrency (PostgreSQL, threads with their own connections): concurrent
heartbeats never count an interval twice, and concurrent evaluations record one
completion and announce it once. The same invariants are shown on any database with
simulated races in test_progress.py and test_completion.py."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from courses.models import CourseCompletion, LessonProgress
from courses.services.completion import course_evaluate
from courses.services.progress import lesson_heartbeat, lesson_open
from courses.signals import course_completed
from tests.concurrency import in_threads

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
pytestmark = [needs_pg, pytest.mark.django_db(transaction=True)]

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def test_concurrent_heartbeats_with_the_same_sequence_count_once(org, course_tree, enrol):
    user, lesson = org.finance_learner, course_tree.video_lesson
    enrol(user, course_tree.course)
    lesson_open(user=user, lesson=lesson, now=T0)

    def beat():
        return lesson_heartbeat(
            user=user,
            lesson=lesson,
            seq=1,
            start=0,
            end=15,
            rate=1.0,
            visible=True,
            now=T0 + datetime.timedelta(seconds=15),
        )

    results, errors = in_threads([beat] * 6)
    assert not errors, errors
    assert sum(r.accepted for r in results) == 1
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    assert progress.watched_seconds == 15 and progress.heartbeat_seq == 1


def test_concurrent_heartbeats_never_count_more_than_was_accepted(org, course_tree, enrol):
    user, lesson = org.finance_learner, course_tree.video_lesson
    enrol(user, course_tree.course)
    lesson_open(user=user, lesson=lesson, now=T0)

    def beat(i):
        return lambda: lesson_heartbeat(
            user=user,
            lesson=lesson,
            seq=i + 1,
            start=10 * i,
            end=10 * i + 10,
            rate=1.0,
            visible=True,
            now=T0 + datetime.timedelta(seconds=15),
        )

    results, errors = in_threads([beat(i) for i in range(6)])
    assert not errors, errors
    accepted = [r for r in results if r.accepted]
    assert accepted
    progress = LessonProgress.objects.get(user=user, lesson=lesson)
    # Each accepted report was checked against the clock as it stood after the previous
    # one, so no more than one 10-second interval fits the 15 seconds that passed.
    assert progress.watched_seconds == 10 * len(accepted) <= 25


def test_concurrent_evaluations_record_one_completion_and_announce_once(org, course_tree, enrol):
    user = org.finance_learner
    enrol(user, course_tree.course)
    for lesson in course_tree.lessons:
        LessonProgress.objects.create(user=user, lesson=lesson, completed_at=T0)
    received = []

    def receiver(sender, completion, **kwargs):
        received.append(completion.pk)

    course_completed.connect(receiver, dispatch_uid="test-concurrent-completion")
    try:
        results, errors = in_threads(
            [lambda: course_evaluate(user=user, course=course_tree.course, now=T0)] * 6
        )
    finally:
        course_completed.disconnect(dispatch_uid="test-concurrent-completion")
    assert not errors, errors
    assert CourseCompletion.objects.filter(user=user).count() == 1
    assert {r.pk for r in results} == {CourseCompletion.objects.get().pk}
    assert len(received) == 1
