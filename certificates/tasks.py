"""Celery tasks of the certificates app. Thin: they take ids and call the services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .services.rendering import certificate_render, certificates_requeue_stuck

# A certificate renders in 0.1–0.5 s; the limits only stop a render that hangs. The soft
# limit raises inside the render (the row is marked failed); the hard one kills the
# child, and the sweep hands the row on once its claim is older than the hard limit.
CERTIFICATE_SOFT_TIME_LIMIT = settings.CERTIFICATES_RENDER_SOFT_TIME_LIMIT
CERTIFICATE_TIME_LIMIT = settings.CERTIFICATES_RENDER_TIME_LIMIT


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=CERTIFICATE_SOFT_TIME_LIMIT,
    time_limit=CERTIFICATE_TIME_LIMIT,
)
def certificate_render_task(certificate_id: int) -> str | None:
    """Render a certificate's PDF. Safe to run twice (the service claims the row with a
    conditional UPDATE). Returns the row's final status."""
    certificate = certificate_render(certificate_id=certificate_id)
    return certificate.status if certificate is not None else None


@shared_task
def certificates_requeue_stuck_task() -> int:
    """Periodic (beat): send certificates whose message or worker was lost, or whose
    render failed with attempts left, through ``certificate_render_task`` again. Returns
    how many were re-enqueued."""
    ids = certificates_requeue_stuck()
    for certificate_id in ids:
        certificate_render_task.delay(certificate_id)
    return len(ids)


from .tasks_batches import *  # noqa: E402, F403  (the batch task lives there; Celery finds it here)
