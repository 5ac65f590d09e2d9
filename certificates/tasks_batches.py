"""Celery tasks that build ZIP batches of certificates (imported by ``tasks``). Thin: they
take ids and call ``services.batches``."""

from __future__ import annotations

from celery import shared_task

from .services.batches import batch_build, batches_requeue_stuck

__all__ = ["certificate_batch_build_task", "certificate_batches_requeue_stuck_task"]

# Copying 1,000 PDFs of ~100 kB into a ZIP takes seconds; the limits leave a wide margin.
BATCH_SOFT_TIME_LIMIT = 15 * 60
BATCH_TIME_LIMIT = 16 * 60


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=BATCH_SOFT_TIME_LIMIT,
    time_limit=BATCH_TIME_LIMIT,
)
def certificate_batch_build_task(batch_id: int) -> str | None:
    """Build a batch's ZIP. Safe to run twice (the service claims the row with a
    conditional UPDATE). Returns the row's final status."""
    batch = batch_build(batch_id=batch_id)
    return batch.status if batch is not None else None


@shared_task
def certificate_batches_requeue_stuck_task() -> int:
    """Periodic: send batches whose message or worker was lost through the build again.
    Returns how many were re-enqueued."""
    ids = batches_requeue_stuck()
    for batch_id in ids:
        certificate_batch_build_task.delay(batch_id)
    return len(ids)
