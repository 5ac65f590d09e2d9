"""Real concurrency for PostgreSQL tests: functions run in threads, each with its own
database connection, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import connection, connections

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)


def in_threads(
    fns: Sequence[Callable[[], Any]], *, timeout: float = 60
) -> tuple[list[Any], list[Exception]]:
    """Run ``fns`` at once (one thread each, started together); return their results in
    order and the exceptions raised. Each thread closes its connections when done."""
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [None] * len(fns)
    errors: list[Exception] = []

    def run(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results, errors
