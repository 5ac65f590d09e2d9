"""Reads about people and scope. The one place that answers "may this viewer see or
change this person / unit". Views, admin lists, exports and later apps call these."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from .models import MFA_ROLES, STAFF_ROLES, OrgUnit, RankLevel, Role, RoleAssignment, User

# Roles whose holders may read people's records within their scope.
PEOPLE_READ_ROLES = frozenset({Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER})
# Roles whose holders may create or change people within their scope.
PEOPLE_WRITE_ROLES = frozenset({Role.UNIT_ADMIN})


def viewer_user(viewer: object) -> User | None:
    """``viewer`` when it is an active, logged-in person, else ``None`` (anonymous or
    deactivated viewers see nothing)."""
    if isinstance(viewer, User) and viewer.is_authenticated and viewer.is_active:
        return viewer
    return None


def _role_paths(user: User) -> dict[str, list[str]]:
    """{role: [unit path, ...]} for every active role of ``user``: one query, cached on the
    user object for the rest of the request."""
    cached: dict[str, list[str]] | None = user.__dict__.get("_role_paths_cache")
    if cached is None:
        cached = {}
        rows = RoleAssignment.objects.filter(user=user, unit__is_active=True).values_list(
            "role", "unit__path"
        )
        for role, path in rows:
            cached.setdefault(role, []).append(path)
        user.__dict__["_role_paths_cache"] = cached
    return cached


def role_unit_paths(*, user: User, roles: Iterable[str]) -> list[str]:
    """Materialised paths of the units on which ``user`` holds any of ``roles``, with paths
    already covered by a shorter one dropped (a subtree inside a subtree adds nothing)."""
    by_role = _role_paths(user)
    return unit_paths_reduce({p for role in roles for p in by_role.get(str(role), [])})


def unit_paths_reduce(paths: Iterable[str]) -> list[str]:
    """``paths`` sorted, without those inside another one (a subtree inside a subtree adds
    nothing to a scope)."""
    reduced: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(p) for p in reduced):
            reduced.append(path)
    return reduced


def unit_paths_q(paths: Iterable[str], field: str) -> Q:
    """Rows whose ``field`` (a path to ``OrgUnit.path``) lies in one of the subtrees at
    ``paths``; no path matches nothing."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def user_has_role(*, user: object, roles: Iterable[str]) -> bool:
    """Whether ``user`` holds any of ``roles`` anywhere (superusers hold every role)."""
    u = viewer_user(user)
    if u is None:
        return False
    if u.is_superuser:
        return True
    return bool(role_unit_paths(user=u, roles=roles))


def user_is_staff_role(*, user: object) -> bool:
    """Trainer, unit admin, discipline officer or superuser: the roles that need MFA."""
    u = viewer_user(user)
    if u is None:
        return False
    return u.is_superuser or bool(role_unit_paths(user=u, roles=STAFF_ROLES))


def user_needs_mfa(*, user: object) -> bool:
    """Staff roles and unit leaders (they read people's records): a second factor required."""
    u = viewer_user(user)
    if u is None:
        return False
    return u.is_superuser or bool(role_unit_paths(user=u, roles=MFA_ROLES))


def unit_list_in_scope(
    *, viewer: object, roles: Iterable[str] = PEOPLE_READ_ROLES
) -> QuerySet[OrgUnit]:
    """Units inside the subtrees where ``viewer`` holds one of ``roles``."""
    u = viewer_user(viewer)
    if u is None:
        return OrgUnit.objects.none()
    if u.is_superuser:
        return OrgUnit.objects.all()
    return OrgUnit.objects.filter(unit_paths_q(role_unit_paths(user=u, roles=roles), "path"))


def person_list_visible(
    *, viewer: object, roles: Iterable[str] = PEOPLE_READ_ROLES
) -> QuerySet[User]:
    """People whose unit lies in the viewer's scope for ``roles``.

    Superusers see everyone. Anyone else sees nobody outside their scope, and people
    without a unit are visible to superusers only.
    """
    u = viewer_user(viewer)
    if u is None:
        return User.objects.none()
    qs = User.objects.select_related("unit", "rank_level")
    if u.is_superuser:
        return qs
    return qs.filter(unit_paths_q(role_unit_paths(user=u, roles=roles), "unit__path"))


def person_list_changeable(*, viewer: object) -> QuerySet[User]:
    """People the viewer may change: unit admins within their subtree; superusers all."""
    return person_list_visible(viewer=viewer, roles=PEOPLE_WRITE_ROLES)


def person_can_view(*, viewer: object, person: User) -> bool:
    u = viewer_user(viewer)
    if u is None:
        return False
    if u.pk == person.pk or u.is_superuser:
        return True
    return _unit_in_paths(person.unit, role_unit_paths(user=u, roles=PEOPLE_READ_ROLES))


def person_can_change(*, viewer: object, person: User) -> bool:
    u = viewer_user(viewer)
    if u is None:
        return False
    if u.is_superuser:
        return True
    if person.is_superuser:
        return False
    return _unit_in_paths(person.unit, role_unit_paths(user=u, roles=PEOPLE_WRITE_ROLES))


def unit_can_manage(*, viewer: object, unit: OrgUnit) -> bool:
    """Whether the viewer may place people in ``unit`` or change it (unit admin in scope)."""
    u = viewer_user(viewer)
    if u is None:
        return False
    if u.is_superuser:
        return True
    return _unit_in_paths(unit, role_unit_paths(user=u, roles=PEOPLE_WRITE_ROLES))


def _unit_in_paths(unit: OrgUnit | None, paths: list[str]) -> bool:
    return unit is not None and any(unit.path.startswith(p) for p in paths)


def rank_level_list() -> QuerySet[RankLevel]:
    return RankLevel.objects.order_by("order")


def person_list_filter(
    *,
    viewer: object,
    unit: OrgUnit | None = None,
    rank_level: RankLevel | None = None,
    q: str = "",
    active: bool | None = None,
) -> QuerySet[User]:
    """The viewer's visible people narrowed by unit subtree, rank level and a search."""
    qs = person_list_visible(viewer=viewer)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if rank_level is not None:
        qs = qs.filter(rank_level=rank_level)
    if active is not None:
        qs = qs.filter(is_active=active)
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(
            Q(full_name__icontains=q)
            | Q(email__icontains=q)
            | Q(employee_number__iexact=q)
            | Q(position_title__icontains=q)
        )
    return qs.order_by("unit__path", "full_name", "pk")
