"""Writes of the audit log: :func:`audit_record` appends one hash-chained row.

Call it inside the transaction of the action it records: if the row cannot be written the
exception propagates and the action (a read included) fails with it. Writers serialise on
the single :class:`~audit.models.AuditHead` row (``SELECT … FOR UPDATE``; on SQLite the
write transaction itself is exclusive), so ids are consecutive and each row carries the
hash of the one before it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import GENESIS_HASH, AuditEntry, AuditHead


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


def _client_ip(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _label(user: Any) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return f"{user.get_full_name()} <{user.email}>"[:200]


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
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    unit = getattr(subject, "unit", None) if subject is not None else None
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
            ip_address=_client_ip(request),
            path=(request.get_full_path()[:300] if request is not None else ""),
            detail=detail or {},
            prev_hash=head.last_hash,
        )
        entry.entry_hash = entry_hash(entry)
        entry.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(last_id=entry.id, last_hash=entry.entry_hash)
    return entry
