"""Reads for the managers' certificate pages and the public verification page."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from people.models import OrgUnit
from people.selectors import unit_list_in_scope

from ..models import Certificate, RenderStatus
from .scope import MANAGER_ROLES, certificate_can_manage, certificate_list_manageable


def certificate_state_q(state: str, *, today: datetime.date | None = None) -> Q:
    """The rows in ``state`` (see ``services.lifecycle.certificate_state``), as a filter
    with the same precedence; an unknown state matches nothing."""
    today = today or timezone.localdate()
    current = Q(is_current=True)
    live = (
        current
        & Q(revoked_at__isnull=True)
        & (Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    )
    match state:
        case "superseded":
            return Q(is_current=False)
        case "revoked":
            return current & Q(revoked_at__isnull=False)
        case "expired":
            return current & Q(revoked_at__isnull=True) & Q(expires_on__lt=today)
        case "failed":
            return live & Q(status=RenderStatus.FAILED)
        case "pending":
            return live & Q(status__in=[RenderStatus.PENDING, RenderStatus.RENDERING])
        case "valid":
            return live & Q(status=RenderStatus.READY)
    return Q(pk__in=[])


def certificate_unit_choices(*, viewer: Any) -> QuerySet[OrgUnit]:
    """Units in the viewer's certificate scope (the list's unit filter)."""
    return unit_list_in_scope(viewer=viewer, roles=MANAGER_ROLES).order_by("path")


def certificate_list_filtered(
    *,
    viewer: Any,
    kind: str = "",
    state: str = "",
    unit: OrgUnit | None = None,
    q: str = "",
    achievement: str = "",
    today: datetime.date | None = None,
) -> QuerySet[Certificate]:
    """The certificates ``viewer`` manages, filtered; newest first. ``q`` matches the
    holder's name or the serial; ``achievement`` the achievement's key exactly
    (``course:12``) or a part of its title."""
    qs = certificate_list_manageable(viewer=viewer)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(certificate_state_q(state, today=today))
    if unit is not None:
        qs = qs.filter(user__unit__path__startswith=unit.path)
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(holder_name__icontains=q) | Q(user__full_name__icontains=q) | Q(serial__iexact=q)
        )
    achievement = achievement.strip()
    if achievement:
        qs = qs.filter(
            Q(achievement_key=achievement)
            | Q(achievement_title__icontains=achievement)
            | Q(achievement_title_en__icontains=achievement)
        )
    return qs.order_by("-issued_at", "-pk")


def certificate_get_manageable(*, viewer: Any, pk: int) -> Certificate | None:
    """The certificate ``pk`` if ``viewer`` manages it, else ``None`` (a 404 either way:
    a guessed id outside the scope looks like one that does not exist)."""
    certificate = (
        Certificate.objects.select_related(
            "user", "user__unit", "template", "revoked_by", "superseded_by"
        )
        .filter(pk=pk)
        .first()
    )
    if certificate is None or not certificate_can_manage(viewer=viewer, certificate=certificate):
        return None
    return certificate


def certificate_history(*, certificate: Certificate) -> list[Certificate]:
    """The certificates this one replaced (newest first)."""
    return list(Certificate.objects.filter(superseded_by=certificate).order_by("-issued_at", "-pk"))


def certificate_for_code(*, code: str) -> Certificate | None:
    """The certificate with verification code ``code`` (already normalised), for the
    public page: only the columns it shows."""
    return (
        Certificate.objects.only(
            "pk",
            "holder_name",
            "kind",
            "achievement_title",
            "achievement_title_en",
            "achieved_on",
            "hours",
            "issuer",
            "language",
            "serial",
            "code",
            "issued_at",
            "expires_on",
            "status",
            "is_current",
            "revoked_at",
        )
        .filter(code=code)
        .first()
    )
