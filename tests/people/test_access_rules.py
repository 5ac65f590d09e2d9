"""Every view declares its access rule, and the declaration matches what happens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation

from people.access import RULES, rule_of
from qinglian.urls import THIRD_PARTY_ACCESS_RULES


@dataclass
class Route:
    route: str
    name: str | None
    callback: Any

    @property
    def module(self) -> str:
        cb = self.callback
        target = getattr(cb, "view_class", None) or cb
        return getattr(target, "__module__", "") or ""

    @property
    def has_arguments(self) -> bool:
        return any(ch in self.route for ch in "<(^*$")


def walk(patterns, prefix: str = "") -> list[Route]:
    routes = []
    for p in patterns:
        if isinstance(p, URLResolver):
            routes += walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            routes.append(Route(prefix + str(p.pattern), p.name, p.callback))
    return routes


def _reachable(route: Route) -> bool:
    """False for a pattern shadowed by an earlier one (e.g. Wagtail's ``_util/login/``,
    which the project replaces with a redirect to allauth)."""
    if route.has_arguments:
        return True
    try:
        match = resolve("/" + route.route)
    except Resolver404:
        return True
    return match.func is route.callback


def all_routes() -> list[Route]:
    with translation.override("zh-hans"):
        return [r for r in walk(get_resolver().url_patterns) if _reachable(r)]


OUR_PACKAGES = (
    "qinglian.",
    "people.",
    "courses.",
    "cases.",
    "quizzes.",
    "events.",
    "talks.",
    "certificates.",
)


def is_wagtail_admin(route: Route) -> bool:
    """Wagtail's own admin views (not ours registered through hooks), unless declared."""
    return (
        route.route.startswith("admin/")
        and not route.module.startswith(OUR_PACKAGES)
        and route.name not in THIRD_PARTY_ACCESS_RULES
    )


def declared_rule(route: Route) -> str | None:
    rule = rule_of(route.callback)
    if rule is None and route.name in THIRD_PARTY_ACCESS_RULES:
        rule = THIRD_PARTY_ACCESS_RULES[route.name]
    return rule


def test_every_view_declares_an_access_rule():
    missing = [
        f"{r.route} ({r.name}, {r.module})"
        for r in all_routes()
        if not is_wagtail_admin(r) and declared_rule(r) not in RULES
    ]
    assert missing == [], "Views without an access rule:\n" + "\n".join(missing)


def test_the_walk_sees_the_project_views():
    """Guard against a walk that silently finds nothing."""
    names = {r.name for r in all_routes()}
    assert {"health", "account_login", "people:list", "wagtail_serve"} <= names | {
        r.name and f"people:{r.name}" for r in all_routes()
    }
    assert len(all_routes()) > 100


@pytest.mark.django_db
@pytest.mark.parametrize(
    "route",
    [
        r
        for r in all_routes()
        if not r.has_arguments
        and (is_wagtail_admin(r) or declared_rule(r) in {"logged-in", "role-in-scope", "staff"})
    ],
    ids=lambda r: r.route or "/",
)
def test_protected_views_refuse_anonymous_visitors(client, route):
    """Every argument-free view that is not public (ours, allauth's account pages and
    Wagtail's admin) sends an anonymous visitor to the login page or refuses them."""
    response = client.get("/" + route.route.replace("^", "").replace("$", ""))
    if response.status_code in (301, 302):
        assert "/accounts/login/" in response["Location"], response["Location"]
    else:
        assert response.status_code in (400, 403, 404, 405), (route.route, response.status_code)
