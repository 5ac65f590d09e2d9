"""Celery tasks of the audit log."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="audit.tasks.audit_purge")
def audit_purge() -> int:
    """Delete rows older than the retention period (keeping the chain verifiable)."""
    from .services import audit_purge_expired

    return audit_purge_expired()
