"""Who may see and manage which certificates. Every view and export goes through here.

* The holder sees their own certificates (all states).
* Unit admins and discipline officers see, revoke and reissue the certificates of people
  whose unit lies in the subtrees where they hold the role; superusers see all (a
  certificate is not a confidential record, unlike a talk record).
* Anyone else, nothing; the public verification page shows a masked summary by code only.
"""

from __future__ import annotations

from django.db.models import QuerySet

from people.models import Role
from people.selectors import role_unit_paths, unit_paths_q, viewer_user

from ..models import Certificate

MANAGER_ROLES = (Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)


def certificate_scope_paths(*, viewer: object) -> list[str] | None:
    """The unit subtrees whose people's certificates ``viewer`` manages; ``None`` means
    everything (a superuser), ``[]`` nothing."""
    u = viewer_user(viewer)
    if u is None:
        return []
    if u.is_superuser:
        return None
    return role_unit_paths(user=u, roles=MANAGER_ROLES)


def certificate_list_manageable(*, viewer: object) -> QuerySet[Certificate]:
    """Certificates of people in the viewer's scope (not the viewer's own, unless they are
    in scope too)."""
    paths = certificate_scope_paths(viewer=viewer)
    qs = Certificate.objects.select_related("user", "user__unit")
    if paths is None:
        return qs
    return qs.filter(unit_paths_q(paths, "user__unit__path"))


def certificate_list_own(*, viewer: object) -> QuerySet[Certificate]:
    u = viewer_user(viewer)
    if u is None:
        return Certificate.objects.none()
    return Certificate.objects.filter(user=u)


def certificate_can_manage(*, viewer: object, certificate: Certificate) -> bool:
    """Revoke, reissue, see in reports and batches: unit admins and discipline officers
    whose scope holds the holder's unit."""
    paths = certificate_scope_paths(viewer=viewer)
    if paths is None:
        return True
    unit = certificate.user.unit
    return unit is not None and any(unit.path.startswith(p) for p in paths)


def certificate_can_download(*, viewer: object, certificate: Certificate) -> bool:
    """The holder, or a manager in scope."""
    u = viewer_user(viewer)
    if u is None:
        return False
    return certificate.user_id == u.pk or certificate_can_manage(
        viewer=viewer, certificate=certificate
    )
