"""The home page (a Wagtail page through the full middleware stack) against a bare Django
view behind the same middleware, for an anonymous visitor and a logged-in learner.

The bare view exists only here: this module is also the urlconf the benchmark runs
with (the project's URLs plus the bare view), so the production URLs never gain it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path

from bench.harness import Scenario, count_queries

BARE_PATH = "/__bench__/bare/"
INSERT_PATH = "/__bench__/insert/"
URLCONF = __name__


def bare_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!DOCTYPE html><title>bare</title><p>ok</p>")


def insert_view(request: HttpRequest) -> HttpResponse:
    """The write baseline: insert one row (a notification of the logged-in person)."""
    import uuid

    from notifications.models import Notification

    Notification.objects.create(
        user=request.user, key=f"bench:{uuid.uuid4().hex}", kind="bench", title="bench"
    )
    return HttpResponse("<!DOCTYPE html><title>insert</title><p>ok</p>")


def _urlpatterns() -> list[Any]:
    from qinglian.urls import urlpatterns as project_urlpatterns

    return [
        path(BARE_PATH.strip("/") + "/", bare_view, name="bench_bare"),
        path(INSERT_PATH.strip("/") + "/", insert_view, name="bench_insert"),
        *project_urlpatterns,
    ]


urlpatterns = _urlpatterns()


def _use_bench_urlconf() -> None:
    """Route requests through this module's urlconf for the rest of the run. It is a
    superset of the project's, so any later scenario sees the same URLs plus one."""
    from django.conf import settings
    from django.urls import clear_url_caches, set_urlconf

    if settings.ROOT_URLCONF != URLCONF:
        settings.ROOT_URLCONF = URLCONF
        clear_url_caches()
        set_urlconf(None)


def _check(response: Any, url: str) -> None:
    if response.status_code != 200:
        raise AssertionError(f"GET {url} returned {response.status_code}")


def setup_anonymous() -> dict[str, Any]:
    from django.test import Client

    _use_bench_urlconf()
    client = Client()
    for url in ("/", BARE_PATH):
        _check(client.get(url), url)
    return {"client": client}


def setup_learner() -> dict[str, Any]:
    from django.test import Client

    from people.factories import UserFactory, rank, unit_create
    from people.models import Role
    from people.services import role_grant

    _use_bench_urlconf()
    unit = unit_create(code="BENCH", name="基准测试单位")
    user = UserFactory(
        email="bench.learner@example.gov.cn", full_name="基准学员", unit=unit, rank_level=rank("KY")
    )
    role_grant(user=user, role=Role.LEARNER, unit=unit)
    client = Client()
    client.force_login(user)
    for url in ("/", BARE_PATH):
        _check(client.get(url), url)
    return {"client": client}


def subject(state: dict[str, Any]) -> None:
    state["client"].get("/")


def baseline(state: dict[str, Any]) -> None:
    state["client"].get(BARE_PATH)


def counters(state: dict[str, Any]) -> dict[str, Any]:
    client = state["client"]
    sizes = {}

    def get(url: str) -> None:
        response = client.get(url)
        _check(response, url)
        sizes[url] = len(response.content)

    return {
        "queries": count_queries(get, "/"),
        "baseline_queries": count_queries(get, BARE_PATH),
        "bytes": sizes["/"],
    }


SCENARIOS = [
    Scenario(
        name="home_page_anonymous",
        description="GET / (Wagtail home page, full middleware) vs a bare view, anonymous",
        setup=setup_anonymous,
        subject=subject,
        baseline=baseline,
        counters=counters,
        target_ratio=25.0,
    ),
    Scenario(
        name="home_page_learner",
        description="GET / (Wagtail home page, full middleware) vs a bare view, logged-in learner",
        setup=setup_learner,
        subject=subject,
        baseline=baseline,
        counters=counters,
        target_ratio=25.0,
    ),
]
