"""Celery tasks that build large dashboard exports (imported by ``tasks``). Thin: they take
ids and call ``services.exports``."""

from __future__ import annotations

from celery import shared_task

from .services.exports import (
    EXPORT_SOFT_TIME_LIMIT,
    EXPORT_TIME_LIMIT,
    export_job_build,
    export_jobs_sweep,
)

__all__ = ["export_job_build_task", "export_jobs_sweep_task"]


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=EXPORT_SOFT_TIME_LIMIT,
    time_limit=EXPORT_TIME_LIMIT,
)
def export_job_build_task(job_id: int) -> str | None:
    """Build an export job's file. Safe to run twice (the service claims the row with a
    conditional UPDATE). Returns the row's final status."""
    job = export_job_build(job_id=job_id)
    return job.status if job is not None else None


@shared_task
def export_jobs_sweep_task() -> int:
    """Periodic (beat, every 10 minutes): build again the jobs whose message or worker was
    lost, and delete old jobs and their files. Returns how many were re-enqueued."""
    ids = export_jobs_sweep()
    for job_id in ids:
        export_job_build_task.delay(job_id)
    return len(ids)
