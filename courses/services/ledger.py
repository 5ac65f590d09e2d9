"""The study-hour ledger (学时台账): one idempotent write for every source of hours.

Course completions write here through the ``course_completed`` receiver; the
education-month attendance (#6) calls :func:`ledger_ensure` the same way with its own
``source_key`` (``event:<event id>``, one per person and event). Both are one
``INSERT … ON CONFLICT DO NOTHING`` on the unique (person, key); :func:`ledger_record`
then reads the entry back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from ..models import CourseCompletion, LedgerSource, StudyHourEntry


def ledger_ensure(
    *,
    user: Any,
    year: int,
    hours: Decimal,
    source: str,
    source_key: str,
    title: str,
    required: bool,
    integrity: bool,
) -> None:
    """Write the ledger entry for ``source_key`` unless the person already has it, in one
    statement (``INSERT … ON CONFLICT DO NOTHING`` on the unique person and key: a second
    call, a retried task or a concurrent transaction leaves the first entry unchanged).
    Use :func:`ledger_record` when the entry itself is needed."""
    if user is None or hours is None or Decimal(hours) < 0:
        # Conflicts are ignored; on SQLite (``INSERT OR IGNORE``) that would swallow the
        # NOT NULL and hours checks too: refuse here what the constraints refuse.
        raise IntegrityError("A ledger entry needs a person and hours ≥ 0.")
    entry = StudyHourEntry(
        user=user,
        year=year,
        hours=hours,
        source=source,
        source_key=source_key,
        title=title[:255],
        required=required,
        integrity=integrity,
    )
    StudyHourEntry.objects.bulk_create([entry], ignore_conflicts=True)


def ledger_record(*, user: Any, source_key: str, **fields: Any) -> StudyHourEntry:
    """The ledger entry for ``source_key``, written once (``fields`` as for
    :func:`ledger_ensure`): a second call with the same person and key (a retried task, a
    signal sent twice, two workers at once) returns the existing entry unchanged. Two
    statements: :func:`ledger_ensure`, then the SELECT of the entry (which sees a
    concurrent transaction's row once the INSERT has waited for it to commit)."""
    ledger_ensure(user=user, source_key=source_key, **fields)
    return StudyHourEntry.objects.get(user=user, source_key=source_key)


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
