"""Celery tasks for people. Thin: they take ids and call ``people.importing``."""

from __future__ import annotations

from celery import shared_task

from .importing import import_job_run, invitations_send, jobs_expire_stale, jobs_stuck


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_apply(job_id: int) -> str | None:
    """Apply a confirmed import job. Safe to run twice: a job already applied (or being
    applied by a finished run) is left alone. Returns the job's final status."""
    job = import_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_send_invitations(user_ids: list[int], language: str | None = None) -> int:
    """Set-password e-mails for the people an import created. A second run skips people
    who have already chosen a password or logged in."""
    return invitations_send(user_ids=user_ids, language=language)


@shared_task
def import_expire_stale() -> int:
    """Periodic (beat): expire previews nobody confirmed, and send confirmed jobs that got
    stuck (lost message, dead worker) through ``import_apply`` again. Returns how many
    previews expired."""
    for job_id in jobs_stuck():
        import_apply.delay(job_id)
    return jobs_expire_stale()
