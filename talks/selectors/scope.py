"""Who may see confidential talk records, pledges and clean-government files.

Unlike the rest of Qinglian, being a superuser grants nothing here: only the discipline
officer role (within its unit subtree) opens other people's records. Unit admins of the
same unit see nothing of them either.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from people.models import Role, User
from people.selectors import role_unit_paths, unit_paths_q, viewer_user

#: The roles that open other people's confidential records (within their subtree).
CONFIDENTIAL_ROLES = (Role.DISCIPLINE_OFFICER,)


def discipline_paths(*, viewer: Any) -> list[str]:
    """Unit paths where ``viewer`` is a discipline officer (superuser or not)."""
    u = viewer_user(viewer)
    if u is None:
        return []
    return role_unit_paths(user=u, roles=CONFIDENTIAL_ROLES)


def is_discipline_officer(*, viewer: Any) -> bool:
    return bool(discipline_paths(viewer=viewer))


def discipline_covers(*, viewer: Any, person: User) -> bool:
    """Whether ``viewer`` is a discipline officer for ``person``'s unit."""
    unit = person.unit
    return unit is not None and any(
        unit.path.startswith(p) for p in discipline_paths(viewer=viewer)
    )


def discipline_covers_path(*, viewer: Any, unit_path: str) -> bool:
    return bool(unit_path) and any(unit_path.startswith(p) for p in discipline_paths(viewer=viewer))


def discipline_people_q(*, viewer: Any, field: str = "unit__path") -> Q:
    """Rows whose ``field`` (a unit path) lies in the viewer's discipline subtrees."""
    return unit_paths_q(discipline_paths(viewer=viewer), field)
