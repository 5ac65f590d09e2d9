"""Quizzes (QUALITY.md "exam start" and "quiz submit" rows; issue #5).

- ``quiz_start_5000``: 5,000 people press "Start" at once: ``THREADS`` threads wait on a
  barrier, then post ``/quizzes/<slug>/start/`` for 5,000 logged-in people (each round on a
  fresh quiz drawing 20 of 40 questions), against the same threads and barrier getting the
  bare view 5,000 times. Counters: queries of one start with a 10- and a 40-question draw
  (must be equal: no per-question queries), attempts created per round, duplicates, errors.
- ``quiz_submit_20``: one submission of a 20-question page (the final submit) against a
  view that inserts one row. Counters: queries and writes of one submit.
- ``quiz_resubmit``: the same submission again (double click, retry, second tab) against the
  one-row insert. Counters: rows written by the re-submit (must be 0).
- counters of ``quiz_submit_20`` also pin the attempt page: its queries with 5 and with 20
  questions on the page (must be equal).

``BENCH_EXAM_STARTS`` (default 5000) and ``BENCH_EXAM_THREADS`` (default 8) scale the first.
"""

from __future__ import annotations

import os
import threading
from itertools import count
from typing import Any

from bench.harness import Scenario, count_queries, count_writes
from bench.scenarios.home_page import BARE_PATH, INSERT_PATH, _check, _use_bench_urlconf

STARTS = int(os.environ.get("BENCH_EXAM_STARTS", "5000"))
THREADS = int(os.environ.get("BENCH_EXAM_THREADS", "8"))
ROUNDS = 12  # quizzes prepared for start rounds (warm-up + pairs)
_STATE: dict[str, Any] = {}
_serial = count(1)


def _bank() -> Any:
    from quizzes.factories import QuestionFactory, category_create
    from quizzes.services import question_version_current

    category = category_create(name="基准题库")
    if not category.questions.exists():
        for i in range(40):
            question = QuestionFactory(category=category, name=f"基准题{i}")
            question_version_current(question=question)
    return category


def _quiz(category: Any, *, draw: int, per_page: int) -> Any:
    from quizzes.factories import QuizFactory

    n = next(_serial)
    return QuizFactory(
        slug=f"bench-quiz-{n}",
        title=f"基准测验{n}",
        questions_per_page=per_page,
        time_limit_minutes=30,
        section__category=category,
        section__draw=draw,
    )


def _people(prefix: str, n: int) -> list[Any]:
    from django.contrib.auth.hashers import make_password

    from people.factories import rank, unit_create
    from people.models import User

    unit = unit_create(code="BENCH-QUIZ", name="基准测验单位")
    password = make_password(None)
    existing = set(
        User.objects.filter(email__startswith=f"{prefix}.").values_list("email", flat=True)
    )
    User.objects.bulk_create(
        [
            User(
                email=f"{prefix}.{i}@example.gov.cn",
                full_name=f"考生{i}",
                unit=unit,
                rank_level=rank("KY"),
                password=password,
            )
            for i in range(n)
            if f"{prefix}.{i}@example.gov.cn" not in existing
        ]
    )
    return list(User.objects.filter(email__startswith=f"{prefix}.").order_by("id"))


def _clients(users: list[Any]) -> list[Any]:
    from django.test import Client

    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def _world() -> dict[str, Any]:
    if _STATE:
        return _STATE
    _use_bench_urlconf()
    _STATE["category"] = _bank()
    return _STATE


# --- Exam start ------------------------------------------------------------------------


def _run_threads(clients: list[Any], request: Any) -> list[str]:
    """Split ``clients`` over THREADS threads, release them together, run ``request`` for
    each client; return the errors."""
    from django.db import connections

    barrier = threading.Barrier(THREADS)
    errors: list[str] = []

    def work(part: list[Any]) -> None:
        try:
            barrier.wait()
            for client in part:
                try:
                    request(client)
                except Exception as error:
                    errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(clients[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def setup_start() -> dict[str, Any]:
    world = _world()
    users = _people("bench.exam", STARTS)
    clients = _clients(users)
    quizzes = [_quiz(world["category"], draw=20, per_page=5) for _ in range(ROUNDS)]
    return {"clients": clients, "quizzes": quizzes, "round": 0, "errors": [], "made": []}


def start_subject(state: dict[str, Any]) -> None:
    from quizzes.models import Attempt

    quiz = state["quizzes"][state["round"] % len(state["quizzes"])]
    state["round"] += 1
    url = f"/quizzes/{quiz.slug}/start/"

    def start(client: Any) -> None:
        response = client.post(url)
        if response.status_code != 302 or "/quizzes/attempt/" not in response["Location"]:
            raise AssertionError(f"start answered {response.status_code}")

    state["errors"] += _run_threads(state["clients"], start)
    state["made"].append(Attempt.objects.filter(quiz=quiz).count())


def start_baseline(state: dict[str, Any]) -> None:
    def bare(client: Any) -> None:
        _check(client.get(BARE_PATH), BARE_PATH)

    state["errors"] += _run_threads(state["clients"], bare)


def start_counters(state: dict[str, Any]) -> dict[str, Any]:
    from django.db.models import Count

    from quizzes.models import Attempt

    world = _world()
    probe_user = _people("bench.exam.probe", 1)[0]
    (client,) = _clients([probe_user])
    small = _quiz(world["category"], draw=10, per_page=5)
    large = _quiz(world["category"], draw=40, per_page=5)
    duplicates = (
        Attempt.objects.filter(quiz__in=state["quizzes"])
        .values("quiz", "user")
        .order_by()
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return {
        "starts_per_round": STARTS,
        "threads": THREADS,
        "attempts_created_per_round": sorted(set(state["made"])),
        "duplicate_attempts": duplicates,
        "errors": len(state["errors"]),
        "first_error": state["errors"][0] if state["errors"] else None,
        "queries_start_10_questions": count_queries(
            lambda: client.post(f"/quizzes/{small.slug}/start/")
        ),
        "queries_start_40_questions": count_queries(
            lambda: client.post(f"/quizzes/{large.slug}/start/")
        ),
    }


# --- Submit ----------------------------------------------------------------------------


def _open_attempts(prefix: str, n: int, quiz: Any) -> list[tuple[Any, Any, dict[str, Any]]]:
    """n people with an open attempt at ``quiz`` and the POST data of its final submit."""
    from quizzes.models import AttemptSlot
    from quizzes.services import attempt_start

    users = _people(prefix, n)
    out = []
    for user, client in zip(users, _clients(users), strict=True):
        attempt = attempt_start(quiz=quiz, user=user)
        data: dict[str, Any] = {"page": 1, "sequence": 1, "action": "submit_now"}
        for slot in AttemptSlot.objects.filter(attempt=attempt).order_by("position"):
            data[slot.key] = [slot.option_keys[0][0]]
        out.append((client, attempt, data))
    return out


def setup_submit() -> dict[str, Any]:
    world = _world()
    quiz = _quiz(world["category"], draw=20, per_page=20)
    pool = _open_attempts("bench.submit", 400, quiz)
    return {"pool": pool, "next": 0, "quiz": quiz, "insert_client": pool[0][0]}


def _submit(client: Any, attempt: Any, data: dict[str, Any]) -> None:
    url = f"/quizzes/attempt/{attempt.token}/"
    response = client.post(url, data)
    if response.status_code != 302 or "/review/" not in response["Location"]:
        raise AssertionError(f"submit answered {response.status_code}")


def submit_subject(state: dict[str, Any]) -> None:
    client, attempt, data = state["pool"][state["next"]]
    state["next"] += 1
    _submit(client, attempt, data)


def insert_baseline(state: dict[str, Any]) -> None:
    _check(state["insert_client"].post(INSERT_PATH), INSERT_PATH)


def submit_counters(state: dict[str, Any]) -> dict[str, Any]:
    world = _world()
    client, attempt, data = state["pool"][state["next"]]
    state["next"] += 1
    writes = count_writes(_submit, client, attempt, data)
    client, attempt, data = state["pool"][state["next"]]
    state["next"] += 1
    queries = count_queries(_submit, client, attempt, data)

    def page_queries(per_page: int) -> int:
        quiz = _quiz(world["category"], draw=20, per_page=per_page)
        ((c, a, _),) = _open_attempts(f"bench.page{per_page}", 1, quiz)
        url = f"/quizzes/attempt/{a.token}/?page=1"
        _check(c.get(url), url)
        return count_queries(lambda: _check(c.get(url), url))

    return {
        "queries": queries,
        "writes": writes,
        "insert_baseline_queries": count_queries(insert_baseline, state),
        "attempt_page_queries_5_questions": page_queries(5),
        "attempt_page_queries_20_questions": page_queries(20),
    }


def setup_resubmit() -> dict[str, Any]:
    state = setup_submit()
    done = state["pool"][:50]
    for client, attempt, data in done:
        _submit(client, attempt, data)
    return {"done": done, "i": 0, "insert_client": done[0][0]}


def resubmit_subject(state: dict[str, Any]) -> None:
    client, attempt, data = state["done"][state["i"] % len(state["done"])]
    state["i"] += 1
    _submit(client, attempt, data)


def resubmit_counters(state: dict[str, Any]) -> dict[str, Any]:
    from quizzes.models import Attempt, AttemptSlot

    client, attempt, data = state["done"][0]
    attempt.refresh_from_db()
    before = (Attempt.objects.count(), AttemptSlot.objects.count(), attempt.score)
    writes = count_writes(_submit, client, attempt, data)
    attempt.refresh_from_db()
    after = (Attempt.objects.count(), AttemptSlot.objects.count(), attempt.score)
    return {
        "writes": writes,
        "rows_and_score_unchanged": before == after,
        "queries": count_queries(_submit, client, attempt, data),
    }


SCENARIOS = [
    Scenario(
        name="quiz_start_5000",
        description=f"{STARTS} quiz starts released together on {THREADS} threads vs the bare view",
        setup=setup_start,
        subject=start_subject,
        baseline=start_baseline,
        counters=start_counters,
        target_ratio=25.0,
        pairs=5,
    ),
    Scenario(
        name="quiz_submit_20",
        description="submit a 20-question attempt (grading included) vs a one-row insert view",
        setup=setup_submit,
        subject=submit_subject,
        baseline=insert_baseline,
        counters=submit_counters,
        target_ratio=3.0,
    ),
    Scenario(
        name="quiz_resubmit",
        description="the same submit again (double click / retry) vs a one-row insert view",
        setup=setup_resubmit,
        subject=resubmit_subject,
        baseline=insert_baseline,
        counters=resubmit_counters,
        target_ratio=1.5,
    ),
]
