"""Template helpers for links into the certificates app from other apps' pages."""

from __future__ import annotations

from django import template

from people.selectors import user_has_role

from ..selectors.scope import MANAGER_ROLES

register = template.Library()


@register.filter
def can_make_certificate_batches(user: object) -> bool:
    """Whether ``user`` may prepare ZIP batches of certificates (unit admins, discipline
    officers, superusers): report pages show the link only to them."""
    return user_has_role(user=user, roles=MANAGER_ROLES)
