from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def site_shell(request: HttpRequest) -> dict[str, Any]:
    """Navigation flags for the base layout (cheap: one cached role lookup per request)."""
    from people.models import Role
    from people.selectors import user_has_role

    user = getattr(request, "user", None)
    can_manage_people = bool(user and user.is_authenticated) and user_has_role(
        user=user, roles=(Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)
    )
    can_use_admin = bool(user and user.is_authenticated) and user.has_perm(
        "wagtailadmin.access_admin"
    )
    return {"nav_people": can_manage_people, "nav_admin": can_use_admin}
