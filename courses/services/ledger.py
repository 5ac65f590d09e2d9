"""The study-hour ledger (学时台账): one idempotent write for every source of hours.

Course completions write here through the ``course_completed`` receiver; the
education-month attendance (#6) will call :func:`ledger_record` the same way with its
own ``source_key`` (``event:<event id>``, one per person and event).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from ..models import CourseCompletion, LedgerSource, StudyHourEntry


def ledger_record(
    *,
    user: Any,
    year: int,
    hours: Decimal,
    source: str,
    source_key: str,
    title: str,
    required: bool,
    integrity: bool,
) -> StudyHourEntry:
    """The ledger entry for ``source_key``, written once: a second call with the same
    person and key (a retried task, a signal sent twice, two workers at once) returns the
    existing entry unchanged."""
    defaults = {
        "year": year,
        "hours": hours,
        "source": source,
        "title": title[:255],
        "required": required,
        "integrity": integrity,
    }
    # get_or_create inserts inside its own savepoint and, when another transaction inserted
    # the same key between its SELECT and INSERT, reads that row instead.
    entry, _created = StudyHourEntry.objects.get_or_create(
        user=user, source_key=source_key, defaults=defaults
    )
    return entry


def ledger_record_completion(*, completion: CourseCompletion) -> StudyHourEntry:
    """The ledger entry of a course completion, in the (local) year it was completed."""
    course = completion.course
    return ledger_record(
        user=completion.user,
        year=timezone.localdate(completion.completed_at).year,
        hours=completion.hours,
        source=LedgerSource.COURSE,
        source_key=f"course:{completion.pk}",
        title=course.title,
        required=completion.required,
        integrity=course.is_integrity,
    )


def _on_course_completed(sender: Any, completion: CourseCompletion, **kwargs: Any) -> None:
    ledger_record_completion(completion=completion)


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from ``CoursesConfig.ready``)."""
    from ..signals import course_completed

    course_completed.connect(_on_course_completed, dispatch_uid="courses.ledger.course_completed")
