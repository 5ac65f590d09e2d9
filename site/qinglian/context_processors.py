from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def site_shell(request: HttpRequest) -> dict[str, Any]:
    """Navigation flags for the base layout (cheap: one cached role lookup per request)."""
    from people.models import Role
    from people.selectors import user_has_role, user_is_staff_role

    shell: dict[str, Any] = {"nav_case_library": _case_library_url(request)}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {**shell, "nav_people": False, "nav_admin": False, "nav_compilations": False}
    # Staff roles are what grant admin access (through their groups); both answers come
    # from the one cached role lookup, so the shell costs no extra query.
    return {
        **shell,
        "nav_compilations": user_has_role(user=user, roles=(Role.TRAINER,)),
        "nav_people": user_has_role(user=user, roles=(Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)),
        "nav_admin": user_is_staff_role(user=user),
    }


def _case_library_url(request: HttpRequest) -> str:
    """The live case library's URL in the active language, cached for five minutes so the
    shell adds no query to every page."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    def lookup() -> str:
        from cases.models import CaseIndexPage

        library = CaseIndexPage.objects.live().public().first()
        return (library.get_url(request) or "") if library is not None else ""

    return cache.get_or_set(f"qinglian:nav:case-library:{get_language()}", lookup, 300) or ""
