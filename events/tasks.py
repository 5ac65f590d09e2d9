"""Celery tasks of the events app: thin, take ids, call a service, safe to run twice.
(Each part of the app appends its own tasks below.)"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="events.tasks.event_reminders_send")
def event_reminders_send() -> int:
    """Send the day-before and hour-before reminders that are due (once each)."""
    from .services.reminders import reminders_send_due

    return reminders_send_due()
