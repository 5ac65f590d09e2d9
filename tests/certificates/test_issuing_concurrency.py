"""Real concurrency (PostgreSQL, threads with their own connections): twenty transactions
issuing the same achievement at once leave one current certificate, and each of them gets
that row; one render is enqueued, on the winner's commit. (On SQLite writers are
serialised, so there is no race to show: skipped.)"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from certificates.models import Certificate
from certificates.services.issuing import issue_certificate

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
pytestmark = [needs_pg, pytest.mark.django_db(transaction=True)]

THREADS = 20


def test_twenty_transactions_issuing_the_same_achievement_make_one_certificate(
    org, course_achievement, monkeypatch
):
    import certificates.tasks

    enqueued: list[int] = []
    # The broker is outside the project: count what would be sent to it.
    monkeypatch.setattr(
        certificates.tasks.certificate_render_task, "delay", lambda pk: enqueued.append(pk)
    )
    person = org.finance_learner
    barrier = threading.Barrier(THREADS)
    results: list[int | None] = [None] * THREADS
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with transaction.atomic():
                barrier.wait()
                results[i] = issue_certificate(person, course_achievement()).pk
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    rows = Certificate.objects.filter(user=person, achievement_key="course:101")
    assert rows.count() == 1
    winner = rows.get()
    assert set(results) == {winner.pk}
    assert winner.serial and winner.is_current
    assert enqueued == [winner.pk]
