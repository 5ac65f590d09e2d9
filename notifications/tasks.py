"""Celery tasks of the notifications app."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def notification_emails_retry_task() -> int:
    """E-mails that failed, tried again when due (beat, every five minutes)."""
    from .services import notification_emails_retry

    return notification_emails_retry()
