"""Check-in (QUALITY.md "check-in" row; issue #6): a phone opening the rotating-QR link.

- ``checkin_new``: a new check-in (a fresh logged-in person every call) through
  ``GET /checkin/<token>/`` (token check, attendance row, ledger entry, campaign
  completion — the event is the campaign's only required one, so every check-in
  completes it and issues a certificate, its PDF render enqueued for the worker —
  result page) against the one-row insert view.
- ``checkin_repeat``: the same person scanning again ("already checked in", nothing
  written but the session) against the one-row insert view.

Counters: queries and writes of one new check-in and one repeat, rows made, duplicate
rows (must be 0). ``BENCH_CHECKIN_PEOPLE`` (default 600) sizes the pool of fresh people.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

from bench.harness import Scenario, count_queries, count_writes
from bench.scenarios.home_page import INSERT_PATH, _check, _use_bench_urlconf

PEOPLE = int(os.environ.get("BENCH_CHECKIN_PEOPLE", "600"))
_WORLD: dict[str, Any] = {}


def _world() -> dict[str, Any]:
    if _WORLD:
        return _WORLD
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from events.factories import CampaignFactory, EventFactory
    from people.factories import UserFactory, rank, unit_create
    from people.models import Role, User
    from people.services import role_grant

    _use_bench_urlconf()
    unit = unit_create(code="BENCH-CHECKIN", name="基准签到单位")
    trainer = UserFactory(email="bench.checkin.trainer@example.gov.cn", unit=unit)
    role_grant(user=trainer, role=Role.TRAINER, unit=unit)
    campaign = CampaignFactory(audience_unit=unit, created_by=trainer)
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=5)
    event = EventFactory(campaign=campaign, audience_unit=unit, trainer=trainer, starts_at=start)
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(
                email=f"bench.checkin.{i}@example.gov.cn",
                full_name=f"签到{i}",
                employee_number=f"BC{i:06d}",
                unit=unit,
                rank_level=rank("KY"),
                password=password,
            )
            for i in range(PEOPLE + 3)
        ]
    )
    people = list(User.objects.filter(email__startswith="bench.checkin.").exclude(pk=trainer.pk))
    _WORLD.update(event=event, people=people, next=0)
    return _WORLD


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def _scan_url(event: Any) -> str:
    from events.checkin import token_make

    return f"/checkin/{token_make(event=event)}/"


# Certificate renders the check-in enqueues (a campaign completed → its certificate). In
# production a Celery worker renders the PDF after the request; the bench runs Celery
# eagerly, which would time a WeasyPrint render inside the scan. The scan is measured up
# to the enqueue: the render task's ``delay`` only records the certificate id.
RENDERS_QUEUED: list[int] = []


def _scan(client: Any, event: Any) -> None:
    from certificates.tasks import certificate_render_task

    url = _scan_url(event)
    certificate_render_task.delay = RENDERS_QUEUED.append  # type: ignore[method-assign,assignment]
    try:
        response = client.get(url)
    finally:
        del certificate_render_task.delay
    if response.status_code != 200 or b"checkin-result--ok" not in response.content:
        raise AssertionError(f"GET {url} answered {response.status_code}")


def setup_new() -> dict[str, Any]:
    world = _world()
    clients = [_client(user) for user in world["people"][:PEOPLE]]
    insert_client = _client(world["people"][-1])
    _check(insert_client.post(INSERT_PATH), INSERT_PATH)
    return {"event": world["event"], "clients": clients, "i": 0, "insert_client": insert_client}


def new_subject(state: dict[str, Any]) -> None:
    client = state["clients"][state["i"]]  # IndexError: raise BENCH_CHECKIN_PEOPLE
    state["i"] += 1
    _scan(client, state["event"])


def insert_baseline(state: dict[str, Any]) -> None:
    _check(state["insert_client"].post(INSERT_PATH), INSERT_PATH)


def _duplicates(event: Any) -> int:
    from django.db.models import Count

    from events.models import Attendance

    return (
        Attendance.objects.filter(event=event)
        .values("user")
        .order_by()
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )


def new_counters(state: dict[str, Any]) -> dict[str, Any]:
    from events.models import Attendance

    event = state["event"]
    made = state["i"]
    first, second = state["clients"][made], state["clients"][made + 1]
    state["i"] += 2
    return {
        "queries": count_queries(_scan, first, event),
        "writes": count_writes(_scan, second, event),
        "insert_baseline_queries": count_queries(insert_baseline, state),
        "checkins": made + 2,
        "renders_queued": len(RENDERS_QUEUED),  # one per completed campaign
        "rows": Attendance.objects.filter(event=event).count(),
        "duplicate_rows": _duplicates(event),
    }


def setup_repeat() -> dict[str, Any]:
    world = _world()
    user = world["people"][-2]
    client = _client(user)
    _scan(client, world["event"])
    return {
        "event": world["event"],
        "client": client,
        "insert_client": _client(world["people"][-3]),
    }


def repeat_subject(state: dict[str, Any]) -> None:
    _scan(state["client"], state["event"])


def repeat_counters(state: dict[str, Any]) -> dict[str, Any]:
    from events.models import Attendance

    event = state["event"]
    row = Attendance.objects.get(event=event, user=state["client"].session["_auth_user_id"])
    before = (row.status, row.checked_in_at, row.updated_at)
    writes = count_writes(repeat_subject, state)
    row.refresh_from_db()
    return {
        "queries": count_queries(repeat_subject, state),
        "writes": writes,  # the session's save only
        "row_unchanged": before == (row.status, row.checked_in_at, row.updated_at),
        "duplicate_rows": _duplicates(event),
    }


SCENARIOS = [
    Scenario(
        name="checkin_new",
        description="a new QR check-in (fresh person each call) vs a one-row insert view",
        setup=setup_new,
        subject=new_subject,
        baseline=insert_baseline,
        counters=new_counters,
        target_ratio=2.0,
    ),
    Scenario(
        name="checkin_repeat",
        description="the same person scanning again (already checked in) vs a one-row insert",
        setup=setup_repeat,
        subject=repeat_subject,
        baseline=insert_baseline,
        counters=repeat_counters,
        target_ratio=1.0,
    ),
]
