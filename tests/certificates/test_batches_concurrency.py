"""Real concurrency (PostgreSQL, threads with their own connections): several clicks at
once make one batch, and several builds of one batch write its ZIP once."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from certificates.factories import CertificateFactory
from certificates.models import BatchStatus, CertificateBatch, RenderStatus
from certificates.services.batches import batch_build, batch_request
from tests.concurrency import in_threads

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
pytestmark = [needs_pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def course(org):
    for person in (org.finance_learner, org.budget_learner):
        certificate = CertificateFactory(user=person, source_id=501, status=RenderStatus.READY)
        certificate.file.save(f"{certificate.serial}.pdf", ContentFile(b"%PDF-1.7"), save=True)
    return 501


def test_clicks_at_once_make_one_batch(org, course):
    def ask():
        return batch_request(by=org.finance_admin, kind="course", source_id=course).pk

    results, errors = in_threads([ask] * 5)
    assert not errors, errors
    assert len(set(results)) == 1
    assert CertificateBatch.objects.count() == 1
    assert CertificateBatch.objects.get().status == BatchStatus.DONE  # built on commit


def test_builds_at_once_write_the_zip_once(org, course, monkeypatch):
    import certificates.services.batches as module

    monkeypatch.setattr(module, "_enqueue", lambda batch_id: None)  # the threads build it
    batch = batch_request(by=org.finance_admin, kind="course", source_id=course)
    writes = []
    real = module._batch_store

    def store(batch, spool):
        writes.append(batch.pk)
        return real(batch, spool)

    monkeypatch.setattr(module, "_batch_store", store)
    _results, errors = in_threads([lambda: batch_build(batch_id=batch.pk)] * 4)
    assert not errors, errors
    assert writes == [batch.pk]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.done == 2
