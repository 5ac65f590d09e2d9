"""Course completion: evaluated after every lesson completion and whenever a quiz attempt
is graded; recorded once per person and course; announced once, inside the transaction
that records it (a receiver that fails rolls the completion back).

A course is complete for an enrolled person when

* the lessons its completion rule counts are all completed (``counted_lessons``: the
  required lessons, or every lesson), and
* if the course has a quiz, the person has a submitted attempt at it that passed.

Only enrolled people complete courses: the completion carries the enrolment's
required/elective flag and the course's credit hours into the study-hour ledger.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import CourseCompletion, CoursePage, Enrolment, LessonProgress
from ..selectors.progress import attempt_courses, counted_lessons, course_lessons, quiz_passed
from ..signals import course_completed

logger = logging.getLogger(__name__)


def course_requirements_met(*, user: Any, course: CoursePage) -> bool:
    """Whether the completion rule holds (lessons and quiz). Three queries at most."""
    lessons = counted_lessons(course=course, lessons=course_lessons(course=course))
    if not lessons and not course.quiz_id:
        return False  # an empty course is never "completed"
    if lessons:
        done = LessonProgress.objects.filter(
            user=user, lesson_id__in=[lesson.pk for lesson in lessons], completed_at__isnull=False
        ).count()
        if done < len(lessons):
            return False
    return not course.quiz_id or quiz_passed(user=user, quiz_id=course.quiz_id)


def _existing(*, user: Any, course: CoursePage) -> CourseCompletion | None:
    return CourseCompletion.objects.filter(user=user, course=course).first()


def course_evaluate(
    *, user: Any, course: CoursePage, now: datetime.datetime | None = None
) -> CourseCompletion | None:
    """Record the person's completion of the course if the rule now holds.

    Returns the completion (new or existing), or ``None`` when the course is not
    complete (or the person is not enrolled). Safe to call any number of times, from
    concurrent requests too: the unique constraint on (person, course) keeps one row, the
    insert runs in a savepoint so losing the race is not an error, and
    ``course_completed`` is sent only by the call that created the row, inside the
    transaction that records it.
    """
    now = now or timezone.now()
    existing = _existing(user=user, course=course)
    if existing is not None:
        return existing
    enrolment = Enrolment.objects.filter(user=user, course=course).first()
    if enrolment is None:
        return None
    if not course_requirements_met(user=user, course=course):
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the race's loser rolls back only this
                completion, created = CourseCompletion.objects.get_or_create(
                    user=user,
                    course=course,
                    defaults={
                        "completed_at": now,
                        "hours": course.credit_hours,
                        "required": enrolment.required,
                    },
                )
        except IntegrityError:
            completion, created = CourseCompletion.objects.get(user=user, course=course), False
        if not created:
            return completion
        Enrolment.objects.filter(pk=enrolment.pk, completed_at__isnull=True).update(
            completed_at=completion.completed_at
        )
        # Inside the transaction: receivers (study-hour ledger, certificates) write in it.
        course_completed.send(sender=CourseCompletion, completion=completion)
    logger.info("course %s completed by user %s", course.pk, user.pk)
    return completion


def _attempt_graded(sender: Any, attempt: Any, **kwargs: Any) -> None:
    """A quiz attempt was graded: re-evaluate the courses whose quiz it is."""
    for course in attempt_courses(attempt=attempt):
        course_evaluate(user=attempt.user, course=course)


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from ``CoursesConfig.ready``)."""
    from quizzes.signals import attempt_graded

    attempt_graded.connect(_attempt_graded, dispatch_uid="courses.completion.attempt_graded")
