"""Reads of integrity pledges: what an official has to sign, and who may see a signature.

A signature is seen by the official who signed it and by discipline officers whose
subtree holds the official's unit (``talks.selectors.scope``); nobody else, superusers
and unit admins included. Callers answer 404 when these return nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from people.models import User
from people.selectors import viewer_user

from ..models import (
    Appointment,
    AppointmentStatus,
    PledgeSignature,
    PledgeText,
)
from .scope import discipline_covers

#: States of a line on the official's pledge page.
TO_SIGN = "to_sign"
SIGNED = "signed"
RESIGN = "resign"  # signed an earlier version; a newer one is current


@dataclass
class PledgeItem:
    """One line of the official's pledge page: a kind of position and where they stand."""

    position_kind: str
    position_kind_label: str
    state: str
    current: PledgeText | None
    signature: PledgeSignature | None  # the signature of the current version, if any
    earlier: list[PledgeSignature]  # signatures of older versions
    appointment: Appointment | None


def pledge_text_current(*, position_kind: str) -> PledgeText | None:
    return PledgeText.objects.filter(position_kind=position_kind, is_current=True).first()


def pledge_text_signable(*, pk: int) -> PledgeText | None:
    """The text ``pk`` if it is a current version (only those are signed)."""
    return PledgeText.objects.filter(pk=pk, is_current=True).first()


def pledge_signatures_of(*, user: User) -> QuerySet[PledgeSignature]:
    return (
        PledgeSignature.objects.filter(user_id=user.pk)
        .select_related("text", "appointment")
        .order_by("-signed_at", "-id")
    )


def pledge_items_for_official(*, user: User) -> list[PledgeItem]:
    """The pledges ``user`` has to sign or has signed: for each kind of position of an open
    appointment, and for each kind they signed before, the current version and whether
    they signed it (``resign`` when they signed only an older version). Three queries."""
    appointments = list(
        Appointment.objects.filter(person_id=user.pk, status=AppointmentStatus.IN_PROGRESS)
        .only("id", "position_kind", "position_title", "take_office_date", "person_id", "status")
        .order_by("take_office_date", "id")
    )
    signatures = list(pledge_signatures_of(user=user))
    kinds: list[str] = []
    for a in appointments:
        if a.position_kind not in kinds:
            kinds.append(a.position_kind)
    for s in signatures:
        if s.text.position_kind not in kinds:
            kinds.append(s.text.position_kind)
    current = {
        t.position_kind: t
        for t in PledgeText.objects.filter(position_kind__in=kinds, is_current=True)
    }
    items: list[PledgeItem] = []
    for kind in kinds:
        text = current.get(kind)
        mine = [s for s in signatures if s.text.position_kind == kind]
        signed_current = next((s for s in mine if text is not None and s.text_id == text.pk), None)
        earlier = [s for s in mine if s is not signed_current]
        appointment = next((a for a in appointments if a.position_kind == kind), None)
        if signed_current is not None:
            state = SIGNED
        elif earlier:
            state = RESIGN
        else:
            state = TO_SIGN
        label = str(PledgeText(position_kind=kind).get_position_kind_display())
        items.append(
            PledgeItem(
                position_kind=kind,
                position_kind_label=label,
                state=state,
                current=text,
                signature=signed_current,
                earlier=earlier,
                appointment=appointment,
            )
        )
    return items


def pledge_signature_can_view(*, viewer: Any, signature: PledgeSignature) -> bool:
    u = viewer_user(viewer)
    if u is None:
        return False
    return signature.user_id == u.pk or discipline_covers(viewer=u, person=signature.user)


def pledge_signature_get_for_viewer(*, viewer: Any, pk: int) -> PledgeSignature | None:
    """The signature ``pk`` if ``viewer`` signed it or is a discipline officer covering the
    signer; otherwise ``None`` (answer 404)."""
    if viewer_user(viewer) is None:
        return None
    signature = (
        PledgeSignature.objects.select_related(
            "text", "appointment", "user__unit", "user__rank_level"
        )
        .filter(pk=pk)
        .first()
    )
    if signature is None or not pledge_signature_can_view(viewer=viewer, signature=signature):
        return None
    return signature
