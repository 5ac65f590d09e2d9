"""Writes of the audit log: :func:`audit_record` appends one hash-chained row,
:func:`audit_denied` records a refusal, :func:`audit_purge_expired` applies the retention
period, and :func:`audit_verify` walks the chain and reports the first broken link.

Call :func:`audit_record` inside the transaction of the action it records: if the row
cannot be written the exception propagates and the action (a read included) fails with it.
Writers serialise on the single :class:`~audit.models.AuditHead` row (``SELECT … FOR
UPDATE``; on SQLite the write transaction itself is exclusive: ``transaction_mode
IMMEDIATE``), so ids are consecutive and each row carries the hash of the one before it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from qinglian.http import client_ip

from .models import GENESIS_HASH, AuditAction, AuditEntry, AuditHead

#: The shortest retention the law allows (days).
MIN_RETENTION_DAYS = 180
#: Rows read per query by the verifier.
VERIFY_CHUNK = 2000


def entry_payload(entry: AuditEntry) -> bytes:
    """The canonical bytes a row's hash covers (everything but the hash itself)."""
    data = {
        "id": entry.id,
        "at": entry.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "subject": entry.subject_id,
        "subject_unit_path": entry.subject_unit_path,
        "ip": entry.ip_address or "",
        "path": entry.path,
        "detail": entry.detail,
        "prev": entry.prev_hash,
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(entry_payload(entry)).hexdigest()


def _plain_json(detail: dict[str, Any] | None) -> dict[str, Any]:
    """``detail`` as plain JSON values (dates, decimals, lazy strings made strings), so the
    hash is computed over exactly what the database stores and gives back."""
    if not detail:
        return {}
    plain = json.loads(json.dumps(detail, cls=DjangoJSONEncoder))
    if not isinstance(plain, dict):
        raise TypeError("detail must be a dict")
    return plain


def _label(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return f"{user.get_full_name()} <{user.email}>"[:200]


def _request_path(request: Any) -> str:
    if request is None or not hasattr(request, "get_full_path"):
        return ""
    try:
        return str(request.get_full_path())[:300]
    except Exception:  # a bare HttpRequest (e.g. the test client's force_login)
        return ""


def audit_record(
    *,
    action: str,
    actor: Any = None,
    request: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    subject: Any = None,
    actor_label: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row for ``action`` by ``actor`` (default: ``request.user``) on
    ``obj`` (or ``object_type``/``object_id``) about ``subject`` (the person whose record
    it is; their unit path is kept so scoped readers can filter)."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id not in ("", None) else obj.pk
    unit = getattr(subject, "unit", None) if subject is not None else None
    plain_detail = _plain_json(detail)
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS_HASH}
        )
        entry = AuditEntry(
            id=head.last_id + 1,
            at=timezone.now(),
            actor=actor,
            actor_label=(actor_label or _label(actor))[:200],
            action=action,
            object_type=str(object_type)[:60],
            object_id=str(object_id)[:64],
            subject=subject,
            subject_unit_path=(unit.path if unit is not None else "")[:255],
            ip_address=client_ip(request),
            path=_request_path(request),
            detail=plain_detail,
            prev_hash=head.last_hash,
        )
        entry.entry_hash = entry_hash(entry)
        entry.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(last_id=entry.id, last_hash=entry.entry_hash)
    return entry


def audit_denied(
    *,
    request: Any,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    subject: Any = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record a refused access (``denied``): who (``request.user``) asked for what (``obj``
    or ``object_type``/``object_id``, and ``detail``). Call it where a view answers 404 for
    a confidential record outside the viewer's scope (the response stays a 404: the row
    says nothing to the visitor), or where a service refuses an action on such a record.
    Leave ``subject`` out when naming the person would tell more than the visitor asked."""
    return audit_record(
        action=AuditAction.DENIED,
        request=request,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
        detail={**(detail or {}), **({"reason": reason} if reason else {})} or None,
    )


# --- Retention -----------------------------------------------------------------------


def retention_days() -> int:
    """The configured retention period; refuses anything shorter than the legal minimum."""
    days = int(getattr(settings, "QINGLIAN_AUDIT_RETENTION_DAYS", 365))
    if days < MIN_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"QINGLIAN_AUDIT_RETENTION_DAYS is {days}: audit rows must be kept at least "
            f"{MIN_RETENTION_DAYS} days."
        )
    return days


def audit_purge_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete the rows older than the retention period; return how many were deleted.

    One transaction holding the head lock: the oldest rows up to (not including) the first
    one inside the retention period go, the head's anchor moves to the first kept row (its
    ``prev_hash`` is the hash of the last deleted one), and a ``purge`` row records how many
    rows up to which id were deleted. The chain still verifies afterwards. Safe to run
    twice: the second run finds nothing to delete and writes nothing.
    """
    days = retention_days()
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    with transaction.atomic():
        AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"last_hash": GENESIS_HASH}
        )
        # Keep a contiguous chain: delete a prefix of ids, ending before the first row
        # inside the retention period.
        first_kept = (
            AuditEntry.objects.filter(at__gte=cutoff)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        doomed = AuditEntry.objects.order_by()
        doomed = doomed.filter(id__lt=first_kept) if first_kept is not None else doomed
        last = doomed.order_by("-id").values_list("id", "entry_hash").first()
        if last is None:
            return 0
        last_id, last_hash = last
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL qinglian.audit_purge = 'on'")
        count = doomed.filter(id__lte=last_id)._raw_delete(doomed.db)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL qinglian.audit_purge = 'off'")
        AuditHead.objects.filter(pk=1).update(anchor_id=last_id + 1, anchor_hash=last_hash)
        audit_record(
            action=AuditAction.PURGE,
            actor_label="system",
            object_type="audit.auditentry",
            object_id=str(last_id),
            detail={
                "deleted": count,
                "up_to_id": last_id,
                "cutoff": cutoff.astimezone(datetime.UTC).isoformat(),
                "retention_days": days,
            },
        )
    return count


# --- Verification --------------------------------------------------------------------


class BreakKind:
    CHANGED = "changed"
    DELETED = "deleted"
    INSERTED = "inserted"
    HEAD = "head mismatch"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    kind: str = ""
    message: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"OK, {self.checked} entries"
        return f"BROKEN at #{self.broken_id} ({self.kind}): {self.message}"


class _Walk:
    """The chain walked so far: the next id and previous hash expected."""

    def __init__(self, *, anchor_id: int, anchor_hash: str, limit_id: int | None) -> None:
        self.expected_id = anchor_id if anchor_id > 0 else 1
        self.expected_prev = anchor_hash
        self.first = True
        self.checked = 0
        self.last_id: int | None = None
        self.last_hash = ""
        self.limit_id = limit_id  # the head's last id, when known

    def step(self, entry: AuditEntry) -> VerifyResult | None:
        if entry.id < self.expected_id:
            return self.fail(
                entry.id,
                BreakKind.INSERTED,
                f"entry #{entry.id} lies before the start of the chain (#{self.expected_id}).",
            )
        if entry.id > self.expected_id:
            missing = (
                f"#{self.expected_id}"
                if entry.id == self.expected_id + 1
                else f"#{self.expected_id}–#{entry.id - 1}"
            )
            return self.fail(self.expected_id, BreakKind.DELETED, f"entry {missing} is missing.")
        if self.limit_id is not None and entry.id > self.limit_id:
            return self.fail(
                entry.id,
                BreakKind.INSERTED,
                f"entry #{entry.id} lies after the end of the chain recorded in the head "
                f"(#{self.limit_id}).",
            )
        if entry_hash(entry) != entry.entry_hash:
            return self.fail(
                entry.id,
                BreakKind.CHANGED,
                f"entry #{entry.id} was changed: its content does not match its hash.",
            )
        if entry.prev_hash != self.expected_prev:
            where = "the anchor of the chain" if self.first else f"entry #{entry.id - 1}"
            return self.fail(
                entry.id,
                BreakKind.INSERTED,
                f"entry #{entry.id} does not follow {where} (previous hash differs): "
                "one of them was inserted or replaced.",
            )
        self.first = False
        self.checked += 1
        self.expected_id = entry.id + 1
        self.expected_prev = entry.entry_hash
        self.last_id = entry.id
        self.last_hash = entry.entry_hash
        return None

    def fail(self, broken_id: int, kind: str, message: str) -> VerifyResult:
        return VerifyResult(
            ok=False, checked=self.checked, broken_id=broken_id, kind=kind, message=message
        )


def _rows(after_id: int) -> Any:
    return (
        AuditEntry.objects.filter(id__gt=after_id).order_by("id").iterator(chunk_size=VERIFY_CHUNK)
    )


def audit_verify() -> VerifyResult:
    """Walk the whole chain in id order (in chunks) and report the first broken link.

    Each row's hash is recomputed (a changed row), ids must be consecutive (a deleted
    row), each row's ``prev_hash`` must be the previous row's hash (the first kept row's
    must be the head's ``anchor_hash``; a row inserted or replaced with a plausible hash),
    and the head's ``last_id``/``last_hash`` must match the last row (rows removed from or
    forged onto the end). The bulk is read without locks; the tail is re-read with the
    head locked, so writers appending meanwhile are not mistaken for forgeries.
    """
    head = AuditHead.objects.filter(pk=1).first()
    if head is None:
        if AuditEntry.objects.exists():
            return VerifyResult(
                ok=False,
                checked=0,
                broken_id=AuditEntry.objects.order_by("id").values_list("id", flat=True).first(),
                kind=BreakKind.HEAD,
                message="the chain head is missing.",
            )
        return VerifyResult(ok=True, checked=0)
    walk = _Walk(anchor_id=head.anchor_id, anchor_hash=head.anchor_hash, limit_id=None)
    for entry in _rows(0):
        if entry.id > head.last_id:
            break  # written after we read the head: checked below, under the lock
        failure = walk.step(entry)
        if failure is not None:
            return failure
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().get(pk=1)
        walk.limit_id = head.last_id
        after = walk.last_id if walk.last_id is not None else 0
        for entry in _rows(after):
            failure = walk.step(entry)
            if failure is not None:
                return failure
    if walk.last_id is None:
        if head.last_id >= walk.expected_id:
            return walk.fail(
                walk.expected_id,
                BreakKind.DELETED,
                f"entries #{walk.expected_id}–#{head.last_id} are missing.",
            )
        return VerifyResult(ok=True, checked=0)
    if walk.last_id < head.last_id:
        return walk.fail(
            walk.last_id + 1,
            BreakKind.DELETED,
            f"entries #{walk.last_id + 1}–#{head.last_id} at the end are missing.",
        )
    if walk.last_hash != head.last_hash:
        return walk.fail(
            walk.last_id,
            BreakKind.HEAD,
            f"the head records #{head.last_id} with another hash than the last entry's.",
        )
    return VerifyResult(ok=True, checked=walk.checked)
