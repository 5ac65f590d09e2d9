"""Study pages (QUALITY.md "page" and "listing" rows; issue #4).

- ``lesson_page``: an uncached lesson page with a realistic 30-block body (paragraphs, key
  points, quoted articles, embedded cases, documents), for an enrolled learner, against the
  bare view behind the same middleware. Counters: its queries and those of a lesson with
  twice the body (must be equal).
- ``my_learning_50``: ``/me/`` for a learner with 50 enrolments (assigned, in progress,
  completed, overdue) against the bare view. Counters: queries at 50 and at 100 enrolments
  (must be equal).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from bench.harness import Scenario, count_queries
from bench.scenarios.home_page import BARE_PATH, _check, _use_bench_urlconf

_STATE: dict[str, Any] = {}


def _lesson_body(articles: list[Any], cases: list[Any], blocks: int) -> list[tuple[str, Any]]:
    from wagtail.rich_text import RichText

    body: list[tuple[str, Any]] = []
    for i in range(blocks):
        kind = i % 5
        if kind in (0, 1):
            body.append(
                (
                    "paragraph",
                    RichText(f"<p>第{i}段：严守廉洁纪律，自觉抵制各种诱惑，做到干净干事。</p>" * 3),
                )
            )
        elif kind == 2:
            body.append(("article_quote", {"article": articles[i % len(articles)], "note": ""}))
        elif kind == 3:
            body.append(("case", {"case": cases[i % len(cases)], "note": "以案为鉴"}))
        else:
            body.append(
                (
                    "key_points",
                    {"heading": "学习要点", "points": ["收受礼金", "违规吃喝", "主动报告"]},
                )
            )
    return body


def _person(email: str) -> Any:
    from people.factories import UserFactory, rank, unit_create
    from people.models import Role
    from people.services import role_grant

    unit = unit_create(code="BENCH-STUDY", name="基准学习单位")
    user = UserFactory(email=email, full_name="基准学员", unit=unit, rank_level=rank("ZKJ"))
    role_grant(user=user, role=Role.LEARNER, unit=unit)
    return user


def _enrol(user: Any, courses: list[Any]) -> None:
    """A realistic mix: a quarter completed, a quarter in progress, some overdue."""
    from django.utils import timezone

    from courses.models import CourseCompletion, Enrolment, EnrolmentSource

    today = timezone.localdate()
    now = timezone.now()
    for i, course in enumerate(courses):
        done = i % 4 == 0
        Enrolment.objects.get_or_create(
            user=user,
            course=course,
            defaults={
                "source": EnrolmentSource.ASSIGNED,
                "required": i % 3 != 0,
                "due_date": today + datetime.timedelta(days=(i % 20) - 5),
                "started_at": now if i % 2 == 0 else None,
                "completed_at": now if done else None,
            },
        )
        if done:
            CourseCompletion.objects.get_or_create(
                user=user, course=course, defaults={"hours": course.credit_hours}
            )


def _world() -> dict[str, Any]:
    if _STATE:
        return _STATE
    from cases.factories import (
        ArticleFactory,
        CaseIndexPageFactory,
        CasePageFactory,
        RegulationFactory,
    )
    from courses.factories import CourseIndexPageFactory, CoursePageFactory, LessonPageFactory
    from qinglian.models import HomePage

    _use_bench_urlconf()
    home = HomePage.objects.get()
    regulation = RegulationFactory()
    articles = [
        ArticleFactory(regulation=regulation, number=n, label=f"第{n}条", text="条文内容。" * 20)
        for n in (97, 98, 100, 101, 113)
    ]
    library = CaseIndexPageFactory(parent=home, slug="bench-cases")
    cases = [
        CasePageFactory(parent=library, title=f"基准案例{i}", slug=f"bench-study-case-{i}")
        for i in range(4)
    ]
    catalogue = CourseIndexPageFactory(parent=home, slug="bench-courses")
    courses = [
        CoursePageFactory(
            parent=catalogue,
            title=f"基准课程{i}",
            slug=f"bench-course-{i}",
            credit_hours=Decimal("2.0"),
        )
        for i in range(100)
    ]
    main = courses[0]
    lesson = LessonPageFactory(
        parent=main, title="基准课时", slug="bench-lesson", body=_lesson_body(articles, cases, 30)
    )
    doubled = LessonPageFactory(
        parent=main,
        title="基准课时（加倍）",
        slug="bench-lesson-doubled",
        body=_lesson_body(articles, cases, 60),
    )
    learner = _person("bench.study@example.gov.cn")
    _enrol(learner, courses[:50])
    heavy = _person("bench.study.heavy@example.gov.cn")
    _enrol(heavy, courses)
    _STATE.update(lesson=lesson, doubled=doubled, learner=learner, heavy=heavy)
    return _STATE


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def setup_lesson() -> dict[str, Any]:
    world = _world()
    client = _client(world["learner"])
    url = world["lesson"].url
    for u in (url, world["doubled"].url, BARE_PATH):  # warm every page the counters read
        _check(client.get(u), u)
    return {"client": client, "url": url, "doubled": world["doubled"].url}


def lesson_counters(state: dict[str, Any]) -> dict[str, Any]:
    client = state["client"]
    sizes: dict[str, int] = {}

    def get(url: str) -> None:
        response = client.get(url)
        _check(response, url)
        sizes[url] = len(response.content)

    return {
        "queries": count_queries(get, state["url"]),
        "queries_body_doubled": count_queries(get, state["doubled"]),
        "baseline_queries": count_queries(get, BARE_PATH),
        "bytes": sizes[state["url"]],
    }


def setup_me() -> dict[str, Any]:
    world = _world()
    client = _client(world["learner"])
    heavy = _client(world["heavy"])
    for c, u in ((client, "/me/"), (client, BARE_PATH), (heavy, "/me/")):
        _check(c.get(u), u)
    return {"client": client, "heavy": heavy}


def me_counters(state: dict[str, Any]) -> dict[str, Any]:
    def get(client: Any) -> None:
        _check(client.get("/me/"), "/me/")

    return {
        "queries_at_50": count_queries(get, state["client"]),
        "queries_at_100": count_queries(get, state["heavy"]),
        "bytes": len(state["client"].get("/me/").content),
    }


SCENARIOS = [
    Scenario(
        name="lesson_page",
        description="GET an uncached lesson page (30-block body) as an enrolled learner vs a bare view",
        setup=setup_lesson,
        subject=lambda s: s["client"].get(s["url"]),
        baseline=lambda s: s["client"].get(BARE_PATH),
        counters=lesson_counters,
        target_ratio=25.0,
    ),
    Scenario(
        name="my_learning_50",
        description="GET /me/ with 50 enrolments vs a bare view",
        setup=setup_me,
        subject=lambda s: s["client"].get("/me/"),
        baseline=lambda s: s["client"].get(BARE_PATH),
        counters=me_counters,
        target_ratio=25.0,
    ),
]
