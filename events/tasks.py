"""Celery tasks of the events app: thin, take ids, call a service, safe to run twice.
(Each part of the app appends its own tasks below.)"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="events.tasks.event_reminders_send")
def event_reminders_send() -> int:
    """Send the day-before and hour-before reminders that are due (once each)."""
    from .services.reminders import reminders_send_due

    return reminders_send_due()


# --- Registration (E2) -------------------------------------------------------------------


@shared_task(name="events.tasks.event_audience_register")
def event_audience_register_task(event_id: int) -> int:
    """Register the audience of an event (idempotent)."""
    from .models import Event
    from .services.registration import event_audience_register

    event = Event.objects.select_related("audience_unit", "min_rank").filter(pk=event_id).first()
    return 0 if event is None else event_audience_register(event=event)


@shared_task(name="events.tasks.event_registrations_sync_person")
def event_registrations_sync_person(user_id: int) -> int:
    """Register a person for the upcoming events whose audience they joined (idempotent)."""
    from people.models import User

    from .services.registration import person_register_matching

    user = User.objects.select_related("unit", "rank_level").filter(pk=user_id).first()
    return 0 if user is None else person_register_matching(user=user)
