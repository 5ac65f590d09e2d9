"""The hash chain: every audit_record call appends a linked row; the verifier finds a
changed, deleted or inserted row and a head that does not match, reporting the first
broken link; the retention purge keeps the chain verifiable."""

from __future__ import annotations

import datetime
import io
import itertools

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from audit.models import GENESIS_HASH, AuditAction, AuditEntry, AuditHead
from audit.services import (
    BreakKind,
    audit_denied,
    audit_purge_expired,
    audit_record,
    audit_verify,
    entry_hash,
)

pytestmark = pytest.mark.django_db


def write(n: int, *, actor=None, subject=None) -> list[AuditEntry]:
    return [
        audit_record(
            action=AuditAction.READ,
            actor=actor,
            object_type="talks.talkrecord",
            object_id=i,
            subject=subject,
            detail={"n": i, "when": datetime.date(2026, 1, 1)},
        )
        for i in range(n)
    ]


def test_each_call_appends_a_linked_row(org):
    start = AuditHead.objects.get(pk=1)
    entries = write(4, actor=org.discipline, subject=org.budget_learner)
    ids = [e.id for e in entries]
    assert ids == list(range(start.last_id + 1, start.last_id + 5))
    rows = list(AuditEntry.objects.filter(id__in=ids).order_by("id"))
    assert rows[0].prev_hash == start.last_hash
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.entry_hash
    for row in rows:  # the hash survives the database round trip
        assert entry_hash(row) == row.entry_hash
    head = AuditHead.objects.get(pk=1)
    assert (head.last_id, head.last_hash) == (rows[-1].id, rows[-1].entry_hash)
    assert rows[0].subject_unit_path == org.finance_budget.path
    assert rows[0].actor_label == f"纪检员 <{org.discipline.email}>"
    assert rows[0].detail == {"n": 0, "when": "2026-01-01"}
    assert audit_verify().ok


def test_the_head_row_exists_after_migrations(db):
    head = AuditHead.objects.get(pk=1)
    assert head.last_hash == GENESIS_HASH


def test_object_and_subject_and_request(org, rf):
    request = rf.get("/talk-records/7/", REMOTE_ADDR="::ffff:10.0.0.1")
    request.user = org.discipline
    entry = audit_record(action=AuditAction.READ, request=request, obj=org.budget_learner,
                         subject=org.budget_learner)  # fmt: skip
    entry.refresh_from_db()
    assert entry.actor == org.discipline
    assert (entry.object_type, entry.object_id) == ("people.user", str(org.budget_learner.pk))
    assert entry.path == "/talk-records/7/"
    assert entry.ip_address == "10.0.0.1"
    assert audit_verify().ok


def test_unknown_action_is_refused(db):
    with pytest.raises(ValueError):
        audit_record(action="peek")


def test_audit_denied_helper(org, rf):
    request = rf.get("/talk-records/99/")
    request.user = org.housing_admin
    entry = audit_denied(request=request, subject=org.budget_learner, reason="out of scope")
    assert entry.action == AuditAction.DENIED
    assert entry.detail == {"reason": "out of scope"}
    assert entry.subject_unit_path == org.finance_budget.path


def test_a_rolled_back_transaction_leaves_no_row_and_the_head_unchanged(org):
    write(2)
    head = AuditHead.objects.get(pk=1)
    count = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action=AuditAction.READ, actor=org.discipline)
        raise RuntimeError("the read failed")
    assert AuditEntry.objects.count() == count
    after = AuditHead.objects.get(pk=1)
    assert (after.last_id, after.last_hash) == (head.last_id, head.last_hash)
    assert audit_verify().ok
    assert audit_record(action=AuditAction.READ).id == head.last_id + 1


# --- The verifier ------------------------------------------------------------------------


def test_an_intact_chain_verifies(db):
    write(5)
    result = audit_verify()
    assert result.ok and result.checked == AuditEntry.objects.count()
    out = io.StringIO()
    call_command("verify_audit_log", stdout=out)
    assert out.getvalue().strip() == f"OK, {result.checked} entries"


def test_an_empty_log_verifies(db):
    assert audit_verify().ok
    AuditHead.objects.all().delete()
    assert audit_verify().ok


def test_a_changed_row_is_reported_first(db, tamper):
    e = write(5)
    with tamper() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET action = 'update' WHERE id IN (%s, %s)", [e[1].id, e[3].id]
        )
    result = audit_verify()
    assert not result.ok
    assert (result.broken_id, result.kind) == (e[1].id, BreakKind.CHANGED)
    assert result.checked == e[1].id - 1
    with pytest.raises(CommandError, match=rf"#{e[1].id} \(changed\)"):
        call_command("verify_audit_log", stdout=io.StringIO())


def test_a_changed_detail_or_time_is_reported(db, tamper):
    e = write(3)
    with tamper() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET at = %s WHERE id = %s",
            [timezone.now() - datetime.timedelta(days=1), e[2].id],
        )
    assert (audit_verify().broken_id, audit_verify().kind) == (e[2].id, BreakKind.CHANGED)


def test_a_deleted_row_is_reported(db, tamper):
    e = write(5)
    with tamper() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [e[2].id])
    result = audit_verify()
    assert (result.ok, result.broken_id, result.kind) == (False, e[2].id, BreakKind.DELETED)


def test_rows_deleted_from_the_end_are_reported(db, tamper):
    e = write(4)
    with tamper() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id >= %s", [e[2].id])
    result = audit_verify()
    assert (result.broken_id, result.kind) == (e[2].id, BreakKind.DELETED)


def test_a_row_forged_onto_the_end_with_a_plausible_hash_is_reported(db):
    e = write(3)
    forged = AuditEntry(
        id=e[-1].id + 1,
        at=timezone.now(),
        actor_label="nobody",
        action=AuditAction.READ,
        prev_hash=e[-1].entry_hash,
    )
    forged.entry_hash = entry_hash(forged)
    forged.save(force_insert=True)  # the head is not moved: only the writer can
    result = audit_verify()
    assert (result.broken_id, result.kind) == (forged.id, BreakKind.INSERTED)


def test_a_row_replaced_with_a_plausible_hash_is_reported(db, tamper):
    e = write(5)
    victim = AuditEntry.objects.get(id=e[2].id)
    with tamper() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [victim.id])
    forged = AuditEntry(
        id=victim.id,
        at=victim.at,
        actor_label="someone else",
        action=AuditAction.READ,
        prev_hash=victim.prev_hash,
    )
    forged.entry_hash = entry_hash(forged)
    forged.save(force_insert=True)
    result = audit_verify()
    assert (result.broken_id, result.kind) == (victim.id + 1, BreakKind.INSERTED)
    assert f"#{victim.id}" in result.message


def test_a_head_that_does_not_match_is_reported(db):
    e = write(3)
    AuditHead.objects.filter(pk=1).update(last_hash="f" * 64)
    result = audit_verify()
    assert (result.broken_id, result.kind) == (e[-1].id, BreakKind.HEAD)


def test_a_missing_head_is_reported(db):
    write(2)
    AuditHead.objects.all().delete()
    assert audit_verify().kind == BreakKind.HEAD


# --- Retention -----------------------------------------------------------------------


def write_at(when: datetime.datetime, n: int, monkeypatch) -> list[AuditEntry]:
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: when)
        return write(n)


def test_purge_deletes_expired_rows_and_keeps_the_chain_verifiable(db, monkeypatch):
    now = timezone.now()
    old = write_at(now - datetime.timedelta(days=400), 3, monkeypatch)
    kept = write(2)
    with override_settings(QINGLIAN_AUDIT_RETENTION_DAYS=365):
        deleted = audit_purge_expired()
    assert deleted == old[-1].id  # every row up to the last old one
    assert not AuditEntry.objects.filter(id__lte=old[-1].id).exists()
    head = AuditHead.objects.get(pk=1)
    assert (head.anchor_id, head.anchor_hash) == (kept[0].id, old[-1].entry_hash)
    purge = AuditEntry.objects.get(action=AuditAction.PURGE)
    assert purge.id == kept[-1].id + 1
    assert purge.detail["deleted"] == deleted and purge.detail["up_to_id"] == old[-1].id
    result = audit_verify()
    assert result.ok and result.checked == 3
    # Run twice: nothing more to delete, nothing written.
    assert audit_purge_expired() == 0
    assert AuditEntry.objects.count() == 3 and audit_verify().ok


def test_purge_of_everything_still_verifies(db, monkeypatch):
    write_at(timezone.now() - datetime.timedelta(days=400), 3, monkeypatch)
    assert audit_purge_expired() >= 3
    assert list(AuditEntry.objects.values_list("action", flat=True)) == [AuditAction.PURGE]
    assert audit_verify().ok


def test_a_tampered_first_row_after_a_purge_is_reported(db, monkeypatch, tamper):
    write_at(timezone.now() - datetime.timedelta(days=400), 2, monkeypatch)
    kept = write(2)
    audit_purge_expired()
    with tamper() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET prev_hash = %s WHERE id = %s", ["a" * 64, kept[0].id]
        )
    assert audit_verify().broken_id == kept[0].id


def test_purge_refuses_a_retention_under_180_days(db, monkeypatch):
    write_at(timezone.now() - datetime.timedelta(days=100), 2, monkeypatch)
    count = AuditEntry.objects.count()
    with override_settings(QINGLIAN_AUDIT_RETENTION_DAYS=30), pytest.raises(ImproperlyConfigured):
        audit_purge_expired()
    assert AuditEntry.objects.count() == count


def test_rows_inside_the_retention_period_are_kept(db, monkeypatch):
    write_at(timezone.now() - datetime.timedelta(days=179), 2, monkeypatch)
    with override_settings(QINGLIAN_AUDIT_RETENTION_DAYS=180):
        assert audit_purge_expired() == 0


def test_the_purge_task(db, monkeypatch):
    from audit.tasks import audit_purge

    write_at(timezone.now() - datetime.timedelta(days=800), 2, monkeypatch)
    assert audit_purge.delay().get() == 2
    assert audit_verify().ok
