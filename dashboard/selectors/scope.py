"""Who may open the dashboard, and for which units. Every dashboard view, export and
digest goes through these; a unit outside the viewer's scope is a 404."""

from __future__ import annotations

from django.db.models import QuerySet

from people.models import OrgUnit, Role
from people.selectors import role_unit_paths, unit_paths_q, viewer_user

# Unit admins (组织/人事), unit leaders (单位主要负责人) and discipline officers (纪检).
DASHBOARD_ROLES = (Role.UNIT_ADMIN, Role.UNIT_LEADER, Role.DISCIPLINE_OFFICER)


def dashboard_scope_paths(*, viewer: object) -> list[str] | None:
    """The unit paths whose subtrees the viewer's dashboard covers (sorted, none inside
    another); ``None`` for a superuser (everything); ``[]`` for anyone without a role."""
    u = viewer_user(viewer)
    if u is None:
        return []
    if u.is_superuser:
        return None
    return role_unit_paths(user=u, roles=DASHBOARD_ROLES)


def dashboard_root_units(*, viewer: object) -> list[OrgUnit]:
    """The units at the top of the viewer's scope (a superuser's: the tree's roots), in
    tree order: what the unit picker starts from."""
    paths = dashboard_scope_paths(viewer=viewer)
    qs: QuerySet[OrgUnit]
    if paths is None:
        qs = OrgUnit.objects.filter(depth=1, is_active=True)
    elif not paths:
        return []
    else:
        qs = OrgUnit.objects.filter(path__in=paths, is_active=True)
    return list(qs.order_by("path"))


def dashboard_unit_allowed(*, viewer: object, unit: OrgUnit) -> bool:
    paths = dashboard_scope_paths(viewer=viewer)
    if paths is None:
        return True
    return any(unit.path.startswith(p) for p in paths)


def dashboard_units_in_scope(*, viewer: object) -> QuerySet[OrgUnit]:
    """Every active unit the viewer may open, in tree order (the unit picker)."""
    paths = dashboard_scope_paths(viewer=viewer)
    qs = OrgUnit.objects.filter(is_active=True).order_by("path")
    if paths is None:
        return qs
    return qs.filter(unit_paths_q(paths, "path"))


def dashboard_unit_get(*, viewer: object, pk: int | None) -> OrgUnit | None:
    """The unit ``pk`` when the viewer may open it; without ``pk`` the first unit at the
    top of the viewer's scope; ``None`` when neither (the view answers 404)."""
    if pk is None:
        roots = dashboard_root_units(viewer=viewer)
        return roots[0] if roots else None
    unit = OrgUnit.objects.filter(pk=pk, is_active=True).first()
    if unit is None or not dashboard_unit_allowed(viewer=viewer, unit=unit):
        return None
    return unit


def dashboard_breadcrumbs(*, viewer: object, unit: OrgUnit) -> list[OrgUnit]:
    """``unit``'s ancestors from the top of the viewer's scope down to ``unit`` itself
    (never a unit above the scope)."""
    step = OrgUnit.steplen
    ancestors = [unit.path[:end] for end in range(step, len(unit.path), step)]
    allowed = [
        a
        for a in OrgUnit.objects.filter(path__in=ancestors).order_by("path")
        if dashboard_unit_allowed(viewer=viewer, unit=a)
    ]
    return [*allowed, unit]
