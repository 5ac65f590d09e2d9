"""Reads for the holder's own certificates ("My certificates", the clean-government file):
each with its state in words, current ones apart from superseded and revoked ones."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Certificate
from ..services import lifecycle

# The managers' words, but a failed render is worded for the holder.
STATE_LABELS: dict[str, Any] = {
    **lifecycle.STATE_LABELS,
    lifecycle.FAILED: _("Could not be prepared"),
}


def certificate_state_of(certificate: Certificate, *, today: datetime.date | None = None) -> str:
    """One of pending, valid, revoked, expired, superseded, failed
    (``services.lifecycle.certificate_state``)."""
    return lifecycle.certificate_state(certificate, today=today or timezone.localdate())


def certificate_state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@dataclass
class HolderCertificates:
    current: list[Certificate] = field(default_factory=list)
    #: Superseded and revoked ones, kept for the record.
    past: list[Certificate] = field(default_factory=list)

    @property
    def any_pending(self) -> bool:
        return any(c.state == "pending" for c in self.current)  # type: ignore[attr-defined]

    def __bool__(self) -> bool:
        return bool(self.current or self.past)


def certificate_list_for_holder(
    *, user: Any, today: datetime.date | None = None
) -> HolderCertificates:
    """``user``'s certificates (one query), newest first, each with ``state`` and
    ``state_label``: current, unrevoked ones in ``current``; the others in ``past``."""
    today = today or timezone.localdate()
    result = HolderCertificates()
    if getattr(user, "pk", None) is None:
        return result
    rows = Certificate.objects.filter(user_id=user.pk).order_by("-achieved_on", "-issued_at", "-pk")
    for certificate in rows:
        state = certificate_state_of(certificate, today=today)
        certificate.state = state  # type: ignore[attr-defined]
        certificate.state_label = certificate_state_label(state)  # type: ignore[attr-defined]
        if certificate.is_current and certificate.revoked_at is None:
            result.current.append(certificate)
        else:
            result.past.append(certificate)
    return result


def certificate_get_own(*, user: Any, pk: int) -> Certificate | None:
    """The certificate ``pk`` if ``user`` holds it; ``None`` otherwise (answer 404)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Certificate.objects.filter(pk=pk, user_id=user.pk).first()
