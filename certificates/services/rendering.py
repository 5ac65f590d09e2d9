"""Rendering a certificate's PDF (the Celery task's body) and the sweep that recovers
renders whose message or worker was lost.

* ``certificate_render`` claims the row with a conditional UPDATE (pending → rendering,
  ``claimed_at``, ``render_attempts`` + 1): a second run, or a run on a row another worker
  holds, returns without rendering. It writes ``certificates/<serial>.pdf`` on the private
  storage (overwritten on retry, never a random suffix), then marks the row ready with the
  SHA-256 and size in a conditional UPDATE on its own claim; then tells the holder, outside
  the claim (a failing notification does not un-render). A failure (a missing glyph too)
  marks the row failed with the error.
* ``certificates_requeue_stuck`` (periodic): pending rows whose message was lost, rendering
  rows whose claim is older than the task's hard time limit (the worker died), and failed
  rows with attempts left go back to pending; their ids are returned for re-enqueueing.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F, Q
from django.utils import timezone

from ..models import Certificate, RenderStatus

logger = logging.getLogger(__name__)


def render_time_limit() -> int:
    """The render task's hard time limit, in seconds."""
    return int(settings.CERTIFICATES_RENDER_TIME_LIMIT)


def render_stale_after() -> timedelta:
    """A claim older than this cannot belong to a live task: the hard time limit has
    passed (plus a margin)."""
    return timedelta(seconds=render_time_limit() + 30)


def pending_stale_after() -> timedelta:
    """A pending row older than this has lost its message (broker restart, crash)."""
    return timedelta(seconds=int(settings.CERTIFICATES_PENDING_STALE_SECONDS))


def render_max_attempts() -> int:
    return int(settings.CERTIFICATES_RENDER_MAX_ATTEMPTS)


def _storage() -> Any:
    return Certificate._meta.get_field("file").storage  # type: ignore[attr-defined]


def certificate_pdf_name(certificate: Certificate) -> str:
    """``certificates/<serial>.pdf``: deterministic, so a retry overwrites."""
    field = Certificate._meta.get_field("file")
    return field.generate_filename(certificate, f"{certificate.serial}.pdf")  # type: ignore[attr-defined]


def _store(certificate: Certificate, data: bytes) -> str:
    """Write the PDF under its deterministic name, replacing what is there (a partial file
    left by a killed worker too); never a name with a random suffix."""
    storage = _storage()
    name = certificate_pdf_name(certificate)
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        # Another render of the same certificate wrote the file between our delete and
        # save: drop our copy and write ours over it, so the file matches our hash.
        storage.delete(saved)
        storage.delete(name)
        saved = storage.save(name, ContentFile(data))
        if saved != name:
            storage.delete(saved)
            raise RuntimeError(f"Could not write {name}")
    return name


def _test_delay() -> None:
    # A test-only knob (settings/test.py, from QINGLIAN_TEST_CERT_RENDER_DELAY) that makes
    # a render slow enough for the worker-fault test to kill the worker in the middle.
    delay = float(getattr(settings, "CERTIFICATES_TEST_RENDER_DELAY", 0) or 0)
    if delay > 0:
        time.sleep(delay)


def certificate_render(*, certificate_id: int) -> Certificate | None:
    """Render a pending certificate. Safe to run twice: only the run that moves the row
    from pending to rendering renders. Failures mark the row failed (not raised). Returns
    the row, or None if it no longer exists."""
    from ..pdf import certificate_pdf
    from .notify import certificate_notify_holder

    claimed_at = timezone.now()
    claimed = Certificate.objects.filter(pk=certificate_id, status=RenderStatus.PENDING).update(
        status=RenderStatus.RENDERING,
        claimed_at=claimed_at,
        render_attempts=F("render_attempts") + 1,
        error="",
    )
    certificate = (
        Certificate.objects.select_related("user", "template").filter(pk=certificate_id).first()
    )
    if not claimed or certificate is None:
        return certificate
    # Our claim: a sweep may hand a stale claim to another run; then ours no longer counts.
    mine = Certificate.objects.filter(
        pk=certificate_id, status=RenderStatus.RENDERING, claimed_at=claimed_at
    )
    name = ""
    try:
        _test_delay()
        rendered = certificate_pdf(certificate)
        name = _store(certificate, rendered.data)
        finished = mine.update(
            status=RenderStatus.READY,
            file=name,
            sha256=hashlib.sha256(rendered.data).hexdigest(),
            size=len(rendered.data),
            rendered_at=timezone.now(),
            error="",
        )
    except Exception as exc:
        attempts = certificate.render_attempts
        if attempts >= render_max_attempts():
            logger.exception(
                "certificate %s failed to render (attempt %s); giving up", certificate_id, attempts
            )
        else:
            logger.exception(
                "certificate %s failed to render (attempt %s); the sweep retries it",
                certificate_id,
                attempts,
            )
        mine.update(status=RenderStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        certificate.refresh_from_db()
        return certificate
    if not finished:
        if not Certificate.objects.filter(pk=certificate_id).exists():
            # Deleted while rendering: leave no PDF without its row.
            _storage().delete(name)
            return None
        certificate.refresh_from_db()
        return certificate  # another run holds the row now; it finishes it
    certificate.refresh_from_db()
    try:
        certificate_notify_holder(certificate=certificate)
    except Exception:
        logger.exception("could not notify the holder of certificate %s", certificate_id)
    return certificate


def certificates_requeue_stuck(*, now: datetime.datetime | None = None) -> list[int]:
    """Make renders that can no longer be running runnable again; return the ids to
    enqueue: pending rows older than ``CERTIFICATES_PENDING_STALE_SECONDS`` (lost
    message), rendering rows claimed longer ago than the hard time limit (lost worker) and
    failed rows with fewer than ``CERTIFICATES_RENDER_MAX_ATTEMPTS`` attempts. A row that
    failed (or lost its worker) that many times stays failed (logged)."""
    now = now or timezone.now()
    stale = Certificate.objects.filter(
        status=RenderStatus.RENDERING, claimed_at__lt=now - render_stale_after()
    )
    # A render that keeps killing its worker (or hitting the hard limit) is not retried
    # for ever: after the last attempt it is marked failed.
    gave_up = stale.filter(render_attempts__gte=render_max_attempts()).update(
        status=RenderStatus.FAILED,
        error="The render did not finish (the worker was lost or the time limit passed).",
    )
    if gave_up:
        logger.error("certificates sweep: %s renders lost their worker too often; failed", gave_up)
    lost_worker = stale.update(status=RenderStatus.PENDING)
    retried = Certificate.objects.filter(
        status=RenderStatus.FAILED, render_attempts__lt=render_max_attempts()
    ).update(status=RenderStatus.PENDING)
    ids = list(
        Certificate.objects.filter(status=RenderStatus.PENDING)
        .filter(
            Q(issued_at__lt=now - pending_stale_after())
            | Q(claimed_at__isnull=False)  # was claimed once: reset above or by hand
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if lost_worker or retried or ids:
        logger.warning(
            "certificates sweep: %s lost renders, %s failed renders retried, %s to enqueue",
            lost_worker,
            retried,
            len(ids),
        )
    return ids


__all__ = [
    "certificate_pdf_name",
    "certificate_render",
    "certificates_requeue_stuck",
    "render_stale_after",
]
