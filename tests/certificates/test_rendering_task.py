"""The render task: claims the row once, writes certificates/<serial>.pdf (overwritten,
never a random suffix) with its SHA-256; failures are recorded; the sweep recovers lost
messages, lost workers and failed renders (a bounded number of times)."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from certificates.models import Certificate, RenderStatus
from certificates.services.issuing import issue_certificate
from certificates.services.rendering import (
    certificate_pdf_name,
    certificate_render,
    certificates_requeue_stuck,
    render_stale_after,
)
from certificates.tasks import certificate_render_task, certificates_requeue_stuck_task

pytestmark = pytest.mark.django_db

NO_GLYPH = "\U00010000"  # LINEAR B SYLLABLE B008 A: no installed font has it


def stored(certificate) -> bytes:
    with certificate.file.storage.open(certificate_pdf_name(certificate), "rb") as handle:
        return handle.read()


@pytest.fixture
def pending(org, course_achievement):
    """A certificate issued in the test's transaction: pending, its render not run."""

    def make(key: str = "course:101", **fields) -> Certificate:
        return issue_certificate(org.finance_learner, course_achievement(key, **fields))

    return make


def test_the_task_run_twice_renders_once_and_writes_one_file(pending, cert_files):
    certificate = pending()
    assert certificate_render_task(certificate.pk) == RenderStatus.READY
    certificate.refresh_from_db()
    first_rendered_at = certificate.rendered_at
    assert certificate_render_task(certificate.pk) == RenderStatus.READY
    certificate.refresh_from_db()
    assert certificate.render_attempts == 1
    assert certificate.rendered_at == first_rendered_at
    assert certificate.file.name == f"certificates/{certificate.serial}.pdf"
    assert cert_files() == [certificate.file.name]
    data = stored(certificate)
    assert data.startswith(b"%PDF")
    assert certificate.sha256 == hashlib.sha256(data).hexdigest()
    assert certificate.size == len(data)


def test_a_row_another_worker_holds_is_left_alone(pending, cert_files):
    certificate = pending()
    Certificate.objects.filter(pk=certificate.pk).update(
        status=RenderStatus.RENDERING, claimed_at=timezone.now(), render_attempts=1
    )
    assert certificate_render_task(certificate.pk) == RenderStatus.RENDERING
    certificate.refresh_from_db()
    assert certificate.render_attempts == 1 and not certificate.file
    assert cert_files() == []


def test_a_missing_glyph_fails_the_render_and_the_sweep_retries_a_bounded_number_of_times(
    pending, cert_files, settings
):
    settings.CERTIFICATES_RENDER_MAX_ATTEMPTS = 2
    certificate = pending(title=f"纪律处分条例学习{NO_GLYPH}")
    assert certificate_render_task(certificate.pk) == RenderStatus.FAILED
    certificate.refresh_from_db()
    assert "MissingGlyphError" in certificate.error
    assert not certificate.file and cert_files() == []

    assert certificates_requeue_stuck() == [certificate.pk]  # attempt 1 of 2: retried
    assert certificate_render_task(certificate.pk) == RenderStatus.FAILED
    assert certificates_requeue_stuck() == []  # attempt 2 of 2: left failed
    certificate.refresh_from_db()
    assert (certificate.status, certificate.render_attempts) == (RenderStatus.FAILED, 2)


def test_a_retry_overwrites_the_same_name_never_a_random_suffix(pending, cert_files):
    certificate = pending(title=f"纪律处分条例学习{NO_GLYPH}")
    certificate_render_task(certificate.pk)
    # A killed worker's half-written file is lying at the name; the title is fixed.
    storage = certificate.file.storage
    storage.save(certificate_pdf_name(certificate), ContentFile(b"%PDF-1.7 half"))
    Certificate.objects.filter(pk=certificate.pk).update(achievement_title="纪律处分条例学习")

    assert certificates_requeue_stuck() == [certificate.pk]
    assert certificate_render_task(certificate.pk) == RenderStatus.READY
    certificate.refresh_from_db()
    assert cert_files() == [f"certificates/{certificate.serial}.pdf"] == [certificate.file.name]
    assert certificate.sha256 == hashlib.sha256(stored(certificate)).hexdigest()
    assert (certificate.error, certificate.render_attempts) == ("", 2)


def test_the_sweep_requeues_lost_messages_and_lost_workers_and_the_task_renders_them(
    pending, cert_files
):
    now = timezone.now()
    lost_message = pending("course:1")
    fresh = pending("course:2")
    lost_worker = pending("course:3")
    busy = pending("course:4")
    Certificate.objects.filter(pk=lost_message.pk).update(
        issued_at=now - datetime.timedelta(minutes=10)
    )
    Certificate.objects.filter(pk=lost_worker.pk).update(
        status=RenderStatus.RENDERING,
        claimed_at=now - render_stale_after() - datetime.timedelta(seconds=1),
        render_attempts=1,
    )
    Certificate.objects.filter(pk=busy.pk).update(
        status=RenderStatus.RENDERING, claimed_at=now - datetime.timedelta(seconds=20)
    )

    assert sorted(certificates_requeue_stuck(now=now)) == sorted([lost_message.pk, lost_worker.pk])
    statuses = dict(Certificate.objects.values_list("pk", "status"))
    assert statuses[lost_worker.pk] == statuses[fresh.pk] == RenderStatus.PENDING
    assert statuses[busy.pk] == RenderStatus.RENDERING

    # The periodic task re-enqueues what the sweep returns (eager here).
    Certificate.objects.filter(pk=fresh.pk).update(issued_at=now - datetime.timedelta(minutes=10))
    assert certificates_requeue_stuck_task() == 3
    ready = Certificate.objects.filter(status=RenderStatus.READY)
    assert sorted(ready.values_list("pk", flat=True)) == sorted(
        [lost_message.pk, fresh.pk, lost_worker.pk]
    )
    assert len(cert_files()) == 3


def test_a_certificate_deleted_while_rendering_leaves_no_file(pending, cert_files, monkeypatch):
    import certificates.pdf

    certificate = pending()
    real = certificates.pdf.certificate_pdf

    def render_then_delete(cert):
        rendered = real(cert)
        Certificate.objects.filter(pk=cert.pk).delete()
        return rendered

    monkeypatch.setattr(certificates.pdf, "certificate_pdf", render_then_delete)
    assert certificate_render(certificate_id=certificate.pk) is None
    assert cert_files() == []


def test_a_failing_notification_does_not_unrender(pending, cert_files, monkeypatch):
    import certificates.services.notify

    def broken(*, certificate):
        raise ConnectionError("mail server down")

    monkeypatch.setattr(certificates.services.notify, "certificate_notify_holder", broken)
    certificate = pending()
    assert certificate_render_task(certificate.pk) == RenderStatus.READY
    assert cert_files() == [f"certificates/{certificate.serial}.pdf"]


def test_a_missing_row_is_not_an_error(db):
    assert certificate_render_task(987654) is None


def test_a_render_that_keeps_losing_its_worker_is_given_up(pending, settings):
    settings.CERTIFICATES_RENDER_MAX_ATTEMPTS = 2
    certificate = pending()
    now = timezone.now()
    stale = now - render_stale_after() - datetime.timedelta(seconds=1)
    Certificate.objects.filter(pk=certificate.pk).update(
        status=RenderStatus.RENDERING, claimed_at=stale, render_attempts=1
    )
    assert certificates_requeue_stuck(now=now) == [certificate.pk]
    Certificate.objects.filter(pk=certificate.pk).update(
        status=RenderStatus.RENDERING, claimed_at=stale, render_attempts=2
    )
    assert certificates_requeue_stuck(now=now) == []
    certificate.refresh_from_db()
    assert certificate.status == RenderStatus.FAILED and "did not finish" in certificate.error
