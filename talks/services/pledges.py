"""Writes of integrity pledges (廉政承诺书): publishing text versions and signing.

A pledge text that has been signed is never changed: :func:`pledge_text_update` refuses,
and :func:`pledge_text_publish` makes version n+1 the current one (the old version stays,
with its signatures). A signature stores the SHA-256 of the exact text shown
(:func:`pledge_text_canonical`), the typed name, time, IP address and browser, and is
immutable (``PledgeSignature.save``/``delete`` raise on an existing row). Nothing here
offers a ``QuerySet.update`` or ``delete`` of signatures; the database itself has no
trigger against a raw UPDATE.

:func:`pledge_sign` writes the signature, its audit row and sends
``talks.signals.pledge_signed`` in one transaction: if any of them fails, nothing is
stored. Signing twice (a double submit, two tabs) returns the first signature.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from people.models import User

from ..models import (
    Appointment,
    AppointmentStatus,
    PledgeSignature,
    PledgeText,
    PositionKind,
)
from ..signals import pledge_signed

USER_AGENT_MAX = 300


def pledge_text_canonical(*, title: str, body: str) -> str:
    """The exact text a signature covers: the title and the body as shown, line endings
    normalised to ``\\n``. Defined once: the signing page, the stored hash and the PDF all
    use it."""
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return f"{title.strip()}\n\n{body.strip()}"


def pledge_text_sha256(*, text: PledgeText) -> str:
    canonical = pledge_text_canonical(title=text.title, body=text.body)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def name_normalise(value: str) -> str:
    """A typed or stored name without any whitespace (ASCII or full-width U+3000)."""
    return "".join((value or "").split())


def name_matches(*, typed: str, user: User) -> bool:
    expected = name_normalise(user.full_name)
    return bool(expected) and name_normalise(typed) == expected


# --- Texts ---------------------------------------------------------------------------


def _clean_text_fields(*, title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Enter a title.")
    if not body:
        errors["body"] = _("Enter the text of the pledge.")
    if errors:
        raise ValidationError(errors)
    return title, body


def pledge_text_publish(
    *, position_kind: str, title: str, body: str, by: User | None = None, request: Any = None
) -> PledgeText:
    """Publish a new version of the pledge for ``position_kind``: version n+1 becomes the
    current one and the previous current version stops being current (it keeps its
    signatures). Officials with an open appointment are asked to sign the new version.
    Two publishers at once get consecutive versions (the loser of a race on the
    constraints tries again). The audit row (``create``) commits with the new version."""
    if position_kind not in PositionKind.values:
        raise ValidationError({"position_kind": _("Choose a kind of position.")})
    title, body = _clean_text_fields(title=title, body=body)
    for attempt in range(3):
        try:
            with transaction.atomic():
                text = _publish(position_kind=position_kind, title=title, body=body, by=by)
                _audit_text(action=AuditAction.CREATE, text=text, by=by, request=request)
                return text
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _publish(*, position_kind: str, title: str, body: str, by: User | None) -> PledgeText:
    # Lock the kind's versions so two publishers do not both take the same number, in
    # primary-key order: unordered, the scan follows the rows' physical places, which an
    # update moves, and two publishers could lock the same rows in opposite orders and
    # deadlock (seen on PostgreSQL in CI).
    list(
        PledgeText.objects.select_for_update()
        .filter(position_kind=position_kind)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    last = (
        PledgeText.objects.filter(position_kind=position_kind).aggregate(v=Max("version"))["v"] or 0
    )
    PledgeText.objects.filter(position_kind=position_kind, is_current=True).update(is_current=False)
    return PledgeText.objects.create(
        position_kind=position_kind,
        version=last + 1,
        title=title,
        body=body,
        is_current=True,
        published_at=timezone.now(),
        created_by=by,
    )


def _audit_text(*, action: str, text: PledgeText, by: User | None, request: Any) -> None:
    audit_record(
        action=action,
        actor=by,
        request=request,
        obj=text,
        detail={
            "position_kind": text.position_kind,
            "version": text.version,
            "sha256": pledge_text_sha256(text=text),
        },
    )


def pledge_text_is_signed(*, text: PledgeText) -> bool:
    return text.pk is not None and PledgeSignature.objects.filter(text_id=text.pk).exists()


@transaction.atomic
def pledge_text_update(
    *, text: PledgeText, title: str, body: str, by: User | None = None, request: Any = None
) -> PledgeText:
    """Correct a version nobody has signed yet, with an audit row (``update``) in the same
    transaction. A signed version is refused: publish a new version instead."""
    locked = PledgeText.objects.select_for_update().get(pk=text.pk)
    if pledge_text_is_signed(text=locked):
        raise ValidationError(
            _(
                "This version has already been signed, so it cannot be changed. "
                "Publish a new version instead."
            ),
            code="signed",
        )
    title, body = _clean_text_fields(title=title, body=body)
    locked.title, locked.body = title, body
    locked.save(update_fields=["title", "body"])
    _audit_text(action=AuditAction.UPDATE, text=locked, by=by, request=request)
    text.title, text.body = title, body
    return locked


# --- Signing -------------------------------------------------------------------------


def _appointment_for(
    *, user: User, text: PledgeText, appointment: Appointment | None
) -> Appointment | None:
    """The open appointment this signature belongs to: the one given (it must be the
    signer's, open, and of the text's kind of position), else the signer's latest open
    appointment of that kind, else none."""
    if appointment is not None:
        if (
            appointment.person_id != user.pk
            or appointment.status != AppointmentStatus.IN_PROGRESS
            or appointment.position_kind != text.position_kind
        ):
            raise ValidationError(_("This pledge does not belong to that appointment."))
        return appointment
    return (
        Appointment.objects.filter(
            person_id=user.pk,
            status=AppointmentStatus.IN_PROGRESS,
            position_kind=text.position_kind,
        )
        .order_by("-take_office_date", "-id")
        .first()
    )


def pledge_sign(
    *,
    user: User,
    text: PledgeText,
    typed_name: str,
    confirmed: bool,
    appointment: Appointment | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    request: Any = None,
) -> PledgeSignature:
    """Sign ``text`` as ``user``. The typed name must equal the profile's full name
    (spaces, full-width ones too, are ignored) and the pledge must be confirmed; only the
    current version of a text can be signed. Returns the signature, with ``created``
    False when ``user`` had already signed this version (nothing new is written)."""
    existing = PledgeSignature.objects.filter(user_id=user.pk, text_id=text.pk).first()
    if existing is not None:
        existing.created = False  # type: ignore[attr-defined]
        return existing
    errors: dict[str, str] = {}
    if not name_normalise(typed_name):
        errors["typed_name"] = _("Type your full name.")
    elif not name_matches(typed=typed_name, user=user):
        errors["typed_name"] = _(
            "The name you typed does not match the full name in your profile. "
            "Type it exactly as it appears there."
        )
    if not confirmed:
        errors["confirm"] = _("Confirm that you have read the pledge and will keep it.")
    if errors:
        raise ValidationError(errors)
    if not text.is_current:
        raise ValidationError(
            _("A newer version of this pledge has been published: sign that one instead."),
            code="not_current",
        )
    appointment = _appointment_for(user=user, text=text, appointment=appointment)
    try:
        with transaction.atomic():
            signature = PledgeSignature(
                text=text,
                user=user,
                appointment=appointment,
                typed_name=" ".join((typed_name or "").split())[:60],
                text_sha256=pledge_text_sha256(text=text),
                signed_at=timezone.now(),
                ip_address=ip_address or None,
                user_agent=(user_agent or "")[:USER_AGENT_MAX],
            )
            signature.save(force_insert=True)
            audit_record(
                action=AuditAction.CREATE,
                actor=user,
                request=request,
                obj=signature,
                subject=user,
                detail={"text": text.pk, "version": text.version, "sha256": signature.text_sha256},
            )
            pledge_signed.send(sender=PledgeSignature, signature=signature)
    except IntegrityError:
        # A second submit raced us to the (user, text) constraint: the first one stands.
        existing = PledgeSignature.objects.filter(user_id=user.pk, text_id=text.pk).first()
        if existing is None:
            raise
        existing.created = False  # type: ignore[attr-defined]
        return existing
    signature.created = True  # type: ignore[attr-defined]
    return signature
