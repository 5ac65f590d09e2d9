"""The life of an issued certificate after it exists: its state as the public and the
managers see it, revocation, reissue, and the masked name shown on the verification page.

State precedence (the first that applies wins), in :func:`certificate_state`:

1. ``superseded`` — not the current certificate for its achievement (a newer one was
   issued by a reissue);
2. ``revoked`` — ``revoked_at`` is set;
3. ``expired`` — ``expires_on`` lies before today (from the template's validity);
4. ``pending`` / ``failed`` — the PDF is not rendered yet / its rendering failed;
5. ``valid``.

Only a *current* certificate can be revoked or reissued, so "revoked" and "superseded"
never meet on one row through these services. Both writes check the actor's scope
themselves (:class:`~django.core.exceptions.PermissionDenied`), lock the row
(``SELECT … FOR UPDATE``), and write an audit row in the same transaction.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import AuditAction
from audit.services import audit_record

from ..models import Certificate, RenderStatus
from ..selectors.scope import certificate_can_manage

SUPERSEDED = "superseded"
REVOKED = "revoked"
EXPIRED = "expired"
PENDING = "pending"
FAILED = "failed"
VALID = "valid"
STATES = (VALID, PENDING, FAILED, EXPIRED, REVOKED, SUPERSEDED)
#: Each state in words, as managers see it (the holder's pages word "failed" gently).
STATE_LABELS: dict[str, Any] = {
    VALID: gettext_lazy("Valid"),
    PENDING: gettext_lazy("Being prepared"),
    FAILED: gettext_lazy("PDF failed"),
    EXPIRED: gettext_lazy("Expired"),
    REVOKED: gettext_lazy("Revoked"),
    SUPERSEDED: gettext_lazy("Superseded"),
}

#: Longest revocation reason kept.
REASON_MAX_LENGTH = 1000


def certificate_state(certificate: Certificate, *, today: datetime.date | None = None) -> str:
    """One of ``STATES``; see the module docstring for the precedence."""
    if not certificate.is_current:
        return SUPERSEDED
    if certificate.revoked_at is not None:
        return REVOKED
    if today is None:
        today = timezone.localdate()
    if certificate.expires_on is not None and certificate.expires_on < today:
        return EXPIRED
    if certificate.status == RenderStatus.FAILED:
        return FAILED
    if certificate.status != RenderStatus.READY:
        return PENDING
    return VALID


def name_mask(name: str) -> str:
    """The holder's name as the public verification page shows it.

    Chinese names keep the first and last character (张三丰 → 张*丰, 欧阳娜娜 → 欧**娜,
    张三 → 张*, 张 → *); names written with spaces keep the first letter of each word
    (Zhang Sanfeng → Z**** S*******)."""
    name = " ".join((name or "").split())
    if not name:
        return ""
    if " " in name:
        return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split(" "))
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- Verification codes -----------------------------------------------------------------

_CROCKFORD_READ = str.maketrans({"I": "1", "L": "1", "O": "0"})
_CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{10,32}$")


def verification_code_clean(raw: str) -> str:
    """What a person typed (or a URL held), without spaces, dashes or other punctuation,
    upper case, at most 64 characters; may be empty. Not a validity check."""
    return re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()[:64]


def verification_code_normalise(raw: str) -> str | None:
    """The code in its stored form (spaces and dashes dropped, upper case, Crockford base32
    read leniently: ``I``/``L`` are ``1``, ``O`` is ``0``), or ``None`` when it cannot be a
    code at all. A ``None`` must be answered exactly like an unknown code."""
    code = re.sub(r"[\s-]", "", raw or "").upper().translate(_CROCKFORD_READ)
    return code if _CODE_RE.match(code) else None


# --- Writes ------------------------------------------------------------------------------


def _check_manager(*, by: Any, certificate: Certificate) -> None:
    if not certificate_can_manage(viewer=by, certificate=certificate):
        raise PermissionDenied


def _locked(certificate: Certificate) -> Certificate:
    """The row again, locked (only the certificate's row: the holder's unit is a nullable
    join, which PostgreSQL cannot lock)."""
    return (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("user", "user__unit")
        .get(pk=certificate.pk)
    )


def certificate_revoke(
    *, certificate: Certificate, by: Any, reason: str, request: Any = None
) -> bool:
    """Revoke ``certificate`` for ``reason``; ``True`` if it was revoked now, ``False`` if
    it already was (nothing changes then). Raises ``PermissionDenied`` outside ``by``'s
    scope and ``ValidationError`` for an empty reason or a superseded certificate."""
    _check_manager(by=by, certificate=certificate)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the revocation.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason under %(n)d characters.") % {"n": REASON_MAX_LENGTH}}
        )
    with transaction.atomic():
        locked = _locked(certificate)
        if locked.revoked_at is not None:
            _refresh(certificate, locked)
            return False
        if not locked.is_current:
            raise ValidationError(
                _("This certificate was replaced by a newer one: revoke the current one.")
            )
        now = timezone.now()
        Certificate.objects.filter(pk=locked.pk).update(
            revoked_at=now, revoked_reason=reason, revoked_by=by
        )
        locked.revoked_at, locked.revoked_reason, locked.revoked_by = now, reason, by
        audit_record(
            action=AuditAction.UPDATE,
            actor=by,
            request=request,
            obj=locked,
            subject=locked.user,
            detail={"event": "certificate_revoke", "serial": locked.serial, "reason": reason},
        )
    _refresh(certificate, locked)
    return True


def certificate_reissue(*, certificate: Certificate, by: Any, request: Any = None) -> Certificate:
    """Replace a current, non-revoked certificate by a new one (rendered with the template
    as it is now); the old one becomes superseded. Raises ``PermissionDenied`` outside
    ``by``'s scope and ``ValidationError`` for a revoked or already replaced one."""
    from .issuing import certificate_replace

    _check_manager(by=by, certificate=certificate)
    with transaction.atomic():
        locked = _locked(certificate)
        if not locked.is_current:
            raise ValidationError(_("This certificate was already replaced by a newer one."))
        if locked.revoked_at is not None:
            raise ValidationError(_("A revoked certificate cannot be reissued."))
        new = certificate_replace(locked)
        audit_record(
            action=AuditAction.CREATE,
            actor=by,
            request=request,
            obj=new,
            subject=locked.user,
            detail={
                "event": "certificate_reissue",
                "serial": new.serial,
                "replaces": locked.serial,
                "replaces_id": locked.pk,
            },
        )
    certificate.refresh_from_db()
    return new


def _refresh(target: Certificate, source: Certificate) -> None:
    for field in ("revoked_at", "revoked_reason", "revoked_by_id", "is_current"):
        setattr(target, field, getattr(source, field))
