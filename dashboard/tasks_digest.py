"""The weekly digest for unit admins (Celery beat, Mondays 08:00 Asia/Shanghai)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

__all__ = ["weekly_digest_send_task"]


@shared_task(
    name="dashboard.tasks_digest.weekly_digest_send_task",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=5,
)
def weekly_digest_send_task() -> int:
    """Each unit admin's weekly summary of their units; once per admin and ISO week however
    often it runs or is retried (a lost database connection is retried with back-off, and
    the retry sends only the digests still missing). Returns how many were new."""
    from .services.digest import weekly_digest_send

    return weekly_digest_send(today=timezone.localdate())
