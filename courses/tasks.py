"""Celery tasks of the courses app: thin, take ids, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True)
def enrolments_sync_assignment(assignment_id: int) -> int:
    """Enrol everyone in the assignment's audience who is not enrolled yet."""
    from .models import Assignment
    from .services.assignments import assignment_enrol_audience

    assignment = Assignment.objects.filter(pk=assignment_id).first()
    if assignment is None:
        return 0
    return assignment_enrol_audience(assignment=assignment)


@shared_task(acks_late=True)
def enrolments_sync_person(user_id: int) -> int:
    """Enrol a person (new, moved or promoted) in every active assignment they now match."""
    from people.models import User

    from .services.assignments import person_enrol_matching

    person = User.objects.filter(pk=user_id).first()
    if person is None:
        return 0
    return person_enrol_matching(person=person)


@shared_task(acks_late=True)
def reminders_send() -> int:
    """Due-date reminders (7, 3, 1 days before) and overdue notices; each sent once."""
    from .services.reminders import reminders_send as send

    return send(today=timezone.localdate())


@shared_task(acks_late=True)
def overdue_digest_send() -> int:
    """The daily digest of overdue people for each unit admin; once per admin and day."""
    from .services.reminders import overdue_digest_send as send

    return send(today=timezone.localdate())
