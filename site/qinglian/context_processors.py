from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def site_shell(request: HttpRequest) -> dict[str, Any]:
    """Navigation flags for the base layout (cheap: one cached role lookup per request;
    the library URLs come from the cache)."""
    from people.models import Role
    from people.selectors import role_unit_paths, user_has_role, user_is_staff_role

    shell: dict[str, Any] = {"nav_case_library": _case_library_url(request)}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            **shell,
            "nav_people": False,
            "nav_admin": False,
            "nav_compilations": False,
            "nav_courses": "",
            "nav_talks": "",
            "nav_assignments": "",
            "nav_events": False,
            "nav_appointments": False,
            "nav_talk_records": False,
            "nav_audit": False,
            "nav_certificates": False,
            "nav_dashboard": False,
        }
    # Staff roles are what grant admin access (through their groups); every answer comes
    # from the one cached role lookup, so the shell costs no extra query.
    is_unit_admin = user_has_role(user=user, roles=(Role.UNIT_ADMIN,))
    # Confidential areas follow the roles alone: being a superuser opens none of them.
    from talks.selectors.scope import discipline_paths

    is_discipline = bool(discipline_paths(viewer=user))
    is_auditor = bool(role_unit_paths(user=user, roles=(Role.AUDITOR,)))
    return {
        **shell,
        "nav_courses": _page_url(request, "courses", "CourseIndexPage"),
        "nav_talks": _page_url(request, "courses", "TalkIndexPage"),
        "nav_assignments": _assignments_url() if is_unit_admin else "",
        "nav_compilations": user_has_role(user=user, roles=(Role.TRAINER,)),
        "nav_people": user_has_role(user=user, roles=(Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)),
        "nav_admin": user_is_staff_role(user=user),
        "nav_events": True,
        "nav_appointments": is_unit_admin or is_discipline,
        "nav_talk_records": is_discipline,
        "nav_audit": is_discipline or is_auditor,
        "nav_certificates": user_has_role(
            user=user, roles=(Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)
        ),
        "nav_dashboard": user_has_role(
            user=user, roles=(Role.UNIT_ADMIN, Role.UNIT_LEADER, Role.DISCIPLINE_OFFICER)
        ),
    }


def _page_url(request: HttpRequest, app_label: str, model_name: str) -> str:
    """The URL of the live, public page of ``model_name`` (a one-per-site index page) in
    the active language, cached for five minutes so the shell adds no query to every page."""
    from django.apps import apps
    from django.core.cache import cache
    from django.utils.translation import get_language

    def lookup() -> str:
        model = apps.get_model(app_label, model_name)
        page = model.objects.live().public().first()
        return (page.get_url(request) or "") if page is not None else ""

    key = f"qinglian:nav:{app_label}.{model_name.lower()}:{get_language()}"
    return cache.get_or_set(key, lookup, 300) or ""


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


def _assignments_url() -> str:
    """The unit admins' assignment list, once its URL exists."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("assignments:list")
    except NoReverseMatch:
        return ""
