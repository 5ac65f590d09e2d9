from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def site_shell(request: HttpRequest) -> dict[str, Any]:
    """Navigation flags for the base layout (cheap: one cached role lookup per request)."""
    from people.models import Role
    from people.selectors import user_has_role, user_is_staff_role

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_people": False, "nav_admin": False}
    # Staff roles are what grant admin access (through their groups); both answers come
    # from the one cached role lookup, so the shell costs no extra query.
    return {
        "nav_people": user_has_role(user=user, roles=(Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)),
        "nav_admin": user_is_staff_role(user=user),
    }
