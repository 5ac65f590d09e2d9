"""Celery tasks for the case library. Thin: they take ids and call ``cases.services``."""

from __future__ import annotations

from celery import shared_task

from .services import compilation_render, compilations_requeue_stuck

# A 3-case booklet renders in well under a second; 200 cases in tens of seconds.
COMPILATION_SOFT_TIME_LIMIT = 5 * 60
COMPILATION_TIME_LIMIT = 6 * 60


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=COMPILATION_SOFT_TIME_LIMIT,
    time_limit=COMPILATION_TIME_LIMIT,
)
def compilation_render_task(compilation_id: int) -> str | None:
    """Render a case compilation. Safe to run twice (the service claims the row with a
    conditional UPDATE). The soft time limit raises inside the render, which marks the
    row failed. Returns the row's final status."""
    compilation = compilation_render(compilation_id=compilation_id)
    return compilation.status if compilation is not None else None


@shared_task
def compilation_requeue_stuck() -> int:
    """Periodic (beat): send compilations whose message or worker was lost through
    ``compilation_render_task`` again. Returns how many were re-enqueued."""
    ids = compilations_requeue_stuck()
    for compilation_id in ids:
        compilation_render_task.delay(compilation_id)
    return len(ids)
