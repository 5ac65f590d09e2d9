"""Site-wide views: health check and error pages."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from people.access import public


def _check_database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def _check_cache() -> dict[str, object]:
    key = "qinglian:health"
    value = str(time.monotonic())
    cache.set(key, value, 10)
    ok = cache.get(key) == value
    return {"ok": ok}


def _check_broker() -> dict[str, object]:
    from qinglian.celery_app import app

    url = getattr(settings, "CELERY_BROKER_URL", "")
    if not url or app.conf.task_always_eager:
        return {"ok": True, "mode": "eager"}
    with app.connection_for_write(url) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"ok": True, "mode": "broker"}


@never_cache
@public
def health(request: HttpRequest) -> JsonResponse:
    """Database, cache and broker state as JSON: 200 when all are up, 503 otherwise."""
    checks: dict[str, dict[str, object]] = {}
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports failures, it does not raise them
            checks[name] = {"ok": False, "error": exc.__class__.__name__}
    ok = all(c.get("ok") for c in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503
    )
