"""The case library (QUALITY.md, "page" and "listing" rows).

- ``case_page``: an uncached case page with a realistic 30-block body (paragraphs, facts
  annotated with the articles they breach, article quotes, key points) and four related
  cases, against the bare view behind the same middleware. Counters: its queries, and the
  queries of a case whose body and related cases are twice as many (must be equal).
- ``case_index_N`` (N = 10, 50, 200): the case index listing N cases (a region filter
  selects exactly N of the 260 cases) against the same view listing 10 — the ratio is
  CPU(N)/CPU(10). Counters: queries at N and at 10 (must be equal).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from bench.harness import Scenario, count_queries
from bench.scenarios.home_page import BARE_PATH, _check, _use_bench_urlconf

SIZES = (10, 50, 200)
_STATE: dict[str, Any] = {}


def _body(articles: list[Any], blocks: int) -> list[tuple[str, Any]]:
    from wagtail.rich_text import RichText

    body: list[tuple[str, Any]] = []
    for i in range(blocks):
        kind = i % 5
        a = articles[i % len(articles)]
        b = articles[(i + 1) % len(articles)]
        if kind == 0:
            body.append(
                (
                    "paragraph",
                    RichText(f"<p>第{i}段：某某在担任科长期间，利用审批权为他人谋取利益。</p>" * 2),
                )
            )
        elif kind in (1, 2):
            body.append(
                (
                    "fact",
                    {
                        "text": RichText(f"<p>事实{i}：收受购物卡、礼金若干。</p>"),
                        "articles": [a, b],
                    },
                )
            )
        elif kind == 3:
            body.append(("article_quote", {"article": a, "note": "定性依据"}))
        else:
            body.append(
                ("key_points", {"heading": "警示要点", "points": ["节日关口", "围猎", "主动交代"]})
            )
    return body


def _world() -> dict[str, Any]:
    """Built once for every scenario of this module: 260 cases in four regions."""
    if _STATE:
        return _STATE
    from cases.factories import (
        ArticleFactory,
        CaseIndexPageFactory,
        CasePageFactory,
        RegionFactory,
        RegulationFactory,
        SectorFactory,
        category,
    )
    from people.factories import rank
    from qinglian.models import HomePage

    _use_bench_urlconf()
    regulation = RegulationFactory()
    articles = [
        ArticleFactory(regulation=regulation, number=n, label=f"第{n}条", text="条文内容。" * 20)
        for n in (97, 100, 101, 113, 150, 30)
    ]
    sector = SectorFactory(code="bench-finance", name="基准财政")
    library = CaseIndexPageFactory(parent=HomePage.objects.get(), slug="cases")
    cats = [category("integrity"), category("gifts-money")]
    regions: dict[int, Any] = {}
    n_made = 0
    for size in SIZES:
        region = RegionFactory(name=f"基准地区{size}")
        regions[size] = region
        for _ in range(size):
            n_made += 1
            CasePageFactory(
                parent=library,
                title=f"基准案例{n_made}",
                slug=f"bench-case-{n_made}",
                region=region,
                sector=sector,
                rank_level=rank("ZKJ"),
                categories=cats,
                articles_breached=articles[:2],
                amount_involved=Decimal(10000 + n_made),
                party_sanction="warning",
                decision_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n_made),
            )

    def case(slug: str, blocks: int, related: int) -> Any:
        page = CasePageFactory(
            parent=library,
            title=f"基准详情{slug}",
            slug=slug,
            sector=sector,
            rank_level=rank("ZKJ"),
            categories=cats,
            articles_breached=articles[:3],
            amount_involved=Decimal("68000"),
            body=_body(articles, blocks),
            lessons="<p>以案说纪。</p>" * 5,
            discussion_questions="问题一？\n问题二？\n问题三？",
        )
        page.related_cases = list(library.get_children().live().specific()[:related])
        page.save()
        return page

    _STATE.update(
        regions=regions,
        page=case("bench-detail", 30, 4),
        doubled=case("bench-detail-doubled", 60, 8),
    )
    return _STATE


def _client() -> Any:
    from django.test import Client

    return Client()


def setup_page() -> dict[str, Any]:
    world = _world()
    client = _client()
    url = world["page"].url
    for u in (url, BARE_PATH):
        _check(client.get(u), u)
    return {"client": client, "url": url, "doubled": world["doubled"].url}


def page_counters(state: dict[str, Any]) -> dict[str, Any]:
    client = state["client"]
    sizes: dict[str, int] = {}

    def get(url: str) -> None:
        response = client.get(url)
        _check(response, url)
        sizes[url] = len(response.content)

    return {
        "queries": count_queries(get, state["url"]),
        "queries_body_and_related_doubled": count_queries(get, state["doubled"]),
        "baseline_queries": count_queries(get, BARE_PATH),
        "bytes": sizes[state["url"]],
    }


def _index_setup(size: int) -> Any:
    def setup() -> dict[str, Any]:
        world = _world()
        client = _client()
        url = f"/cases/?region={world['regions'][size].pk}"
        base = f"/cases/?region={world['regions'][10].pk}"
        for u in (url, base):
            _check(client.get(u), u)
        return {"client": client, "url": url, "base": base}

    return setup


def index_counters(state: dict[str, Any]) -> dict[str, Any]:
    client = state["client"]

    def get(url: str) -> None:
        _check(client.get(url), url)

    return {
        "queries": count_queries(get, state["url"]),
        "queries_at_10": count_queries(get, state["base"]),
    }


SCENARIOS = [
    Scenario(
        name="case_page",
        description="GET an uncached case page (30-block body, 4 related cases) vs a bare view",
        setup=setup_page,
        subject=lambda s: s["client"].get(s["url"]),
        baseline=lambda s: s["client"].get(BARE_PATH),
        counters=page_counters,
        target_ratio=25.0,
    ),
    *[
        Scenario(
            name=f"case_index_{size}",
            description=f"GET the case index listing {size} cases vs the same view listing 10",
            setup=_index_setup(size),
            subject=lambda s: s["client"].get(s["url"]),
            baseline=lambda s: s["client"].get(s["base"]),
            counters=index_counters,
            target_ratio=3.0,
        )
        for size in SIZES
    ],
]
