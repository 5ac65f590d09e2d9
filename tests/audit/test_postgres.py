"""PostgreSQL only: the append-only trigger, and real concurrency (threads with their own
connections) — twenty writers at once still give consecutive ids and a verifiable chain."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from audit.models import AuditAction, AuditEntry, AuditHead
from audit.services import audit_purge_expired, audit_record, audit_verify

needs_pg = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
pytestmark = [needs_pg]


@pytest.mark.django_db
def test_the_trigger_refuses_update_and_delete(org):
    entry = audit_record(action=AuditAction.READ, actor=org.discipline)
    for sql in (
        "UPDATE audit_auditentry SET action = 'update' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.id])
    # Through the ORM too (refused by the trigger, or earlier by a model-level guard).
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        AuditEntry.objects.filter(pk=entry.pk).update(action="update")
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == AuditAction.READ
    assert audit_verify().ok


@pytest.mark.django_db
def test_the_purge_switch_opens_delete_only_inside_its_transaction(db, monkeypatch):
    when = timezone.now() - datetime.timedelta(days=500)
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: when)
        audit_record(action=AuditAction.READ)
    audit_record(action=AuditAction.READ)
    assert audit_purge_expired() == 1
    assert audit_verify().ok
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('qinglian.audit_purge', true)")
        assert cursor.fetchone()[0] in (None, "", "off")
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry")


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_keep_ids_consecutive_and_the_chain_whole(org):
    n = 20
    barrier = threading.Barrier(n)
    errors: list[Exception] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                audit_record(
                    action=AuditAction.READ,
                    actor_label=f"writer {i}",
                    object_type="talks.talkrecord",
                    object_id=i,
                )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    assert len(ids) == n
    assert ids == list(range(ids[0], ids[0] + n))
    head = AuditHead.objects.get(pk=1)
    assert head.last_id == ids[-1]
    result = audit_verify()
    assert result.ok and result.checked == n


@pytest.mark.django_db(transaction=True)
def test_verifying_while_writers_append_reports_no_false_break(org):
    for i in range(30):
        audit_record(action=AuditAction.READ, object_id=i)
    stop = threading.Event()
    errors: list[Exception] = []

    def writer() -> None:
        try:
            while not stop.is_set():
                audit_record(action=AuditAction.READ, actor_label="busy")
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        results = [audit_verify() for _ in range(5)]
    finally:
        stop.set()
        thread.join(30)
        connections.close_all()
    assert not errors, errors
    assert all(r.ok for r in results), results
