"""Real concurrency (PostgreSQL, threads with their own connections): 50 simultaneous
scans of one person make one row and one ledger entry; 500 different people checking in
at once make exactly 500 rows, with no error and nothing lost. Plus a smaller HTTP-level
run through the scan view."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from courses.models import StudyHourEntry
from events.checkin import token_make
from events.factories import EventFactory
from events.models import Attendance
from events.services.attendance import ALREADY, RECORDED, attendance_checkin
from people.models import User

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
pytestmark = [needs_pg, pytest.mark.django_db(transaction=True)]


def in_threads(fns, *, threads=None):
    """Run ``fns`` on ``threads`` threads (default: one each), all released together."""
    n = threads or len(fns)
    barrier = threading.Barrier(n)
    results, errors = [None] * len(fns), []

    def run(indexes):
        try:
            barrier.wait()
            for i in indexes:
                try:
                    results[i] = fns[i]()
                except Exception as exc:
                    errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=run, args=(range(k, len(fns), n),)) for k in range(n)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(120)
    return results, errors


@pytest.fixture
def live(org):
    start = timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=5)
    return EventFactory(audience_unit=org.city, trainer=org.trainer, starts_at=start)


def test_50_concurrent_scans_of_one_person_make_one_row(org, live):
    user = org.finance_learner
    at = timezone.now()

    def scan(i):
        return lambda: (
            attendance_checkin(
                event=live, user=user, scanned_at=at, device_id=f"d{i}", ip="10.0.0.1"
            ).outcome
        )

    results, errors = in_threads([scan(i) for i in range(50)])
    assert not errors, errors[:3]
    assert results.count(RECORDED) == 1 and results.count(ALREADY) == 49
    assert Attendance.objects.filter(event=live, user=user).count() == 1
    assert StudyHourEntry.objects.filter(user=user, source_key=f"event:{live.pk}").count() == 1


def test_500_people_at_once_make_exactly_500_rows(org, live):
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(
                email=f"crowd{i}@example.gov.cn", full_name=f"群众{i}", unit=org.housing_office,
                rank_level=org.housing_learner.rank_level, password=password,
                employee_number=f"C{i:05d}",
            )
            for i in range(500)
        ]
    )  # fmt: skip
    people = list(
        User.objects.filter(email__startswith="crowd").select_related("unit", "rank_level")
    )
    at = timezone.now()

    def scan(user):
        return lambda: (
            attendance_checkin(
                event=live, user=user, scanned_at=at, device_id=f"dev-{user.pk}"
            ).outcome
        )

    results, errors = in_threads([scan(u) for u in people], threads=40)
    assert not errors, errors[:3]
    assert results.count(RECORDED) == 500
    assert Attendance.objects.filter(event=live).count() == 500
    assert Attendance.objects.filter(event=live, shared_device=True).count() == 0
    assert StudyHourEntry.objects.filter(source_key=f"event:{live.pk}").count() == 500


def test_http_scans_at_once(org, live):
    """Twenty phones of the same person and twenty different people, through the view."""
    password = make_password(None)
    User.objects.bulk_create(
        [
            User(email=f"phone{i}@example.gov.cn", full_name=f"手机{i}", unit=org.finance,
                 password=password, employee_number=f"P{i:05d}")
            for i in range(20)
        ]
    )  # fmt: skip
    people = list(User.objects.filter(email__startswith="phone"))
    clients = []
    for user in [org.budget_learner] * 20 + people:
        c = Client()
        c.force_login(user)
        clients.append(c)

    def get(c):
        # The token is read off the screen at the moment of the scan.
        return lambda: c.get(f"/en/checkin/{token_make(event=live)}/").status_code

    results, errors = in_threads([get(c) for c in clients], threads=20)
    assert not errors, errors[:3]
    assert results == [200] * 40
    assert Attendance.objects.filter(event=live, user=org.budget_learner).count() == 1
    assert Attendance.objects.filter(event=live).count() == 21
