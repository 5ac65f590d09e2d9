"""The case library as a reader sees it: filters, sorting, pagination, the "relevant to
my post" view, a case page with every structured field, and query counts that do not
grow with the number of cases, the length of the body or the number of related cases."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.rich_text import RichText

from cases.factories import (
    ArticleFactory,
    CaseIndexPageFactory,
    CasePageFactory,
    RegionFactory,
    RegulationFactory,
    SectorFactory,
    category,
)
from cases.models import CasePage
from cases.selectors import case_list, case_list_relevant
from people.factories import rank
from qinglian.models import HomePage

pytestmark = pytest.mark.django_db

URL = "/cases/"


@pytest.fixture
def library():
    return CaseIndexPageFactory(parent=HomePage.objects.get(), title="警示教育案例库", slug="cases")


def titles(response) -> list[str]:
    """Case titles in the order the index lists them."""
    html = response.content.decode()
    return re.findall(r'<h2 class="case-card__title"><a href="[^"]*">([^<]+)</a>', html)


def make_case(library, title: str, **kwargs) -> CasePage:
    kwargs.setdefault("decision_date", datetime.date(2024, 6, 1))
    return CasePageFactory(parent=library, title=title, **kwargs)


@pytest.fixture
def taxonomy(db):
    return {
        "finance": SectorFactory(code="finance", name="财政"),
        "housing": SectorFactory(code="housing", name="住房和城乡建设"),
        "east": RegionFactory(name="东城区"),
        "west": RegionFactory(name="西城区"),
    }


@pytest.fixture
def cases(library, taxonomy):
    """Four cases that differ in every filterable field."""
    return {
        "gifts": make_case(
            library,
            "收受礼金案",
            categories=[category("integrity"), category("gifts-money")],
            sector=taxonomy["finance"],
            rank_level=rank("ZKJ"),
            region=taxonomy["east"],
            decision_date=datetime.date(2024, 3, 1),
            amount_involved=Decimal("68000"),
        ),
        "banquet": make_case(
            library,
            "操办婚宴案",
            categories=[category("banquets")],
            sector=taxonomy["housing"],
            rank_level=rank("FCJ"),
            region=taxonomy["west"],
            decision_date=datetime.date(2023, 9, 1),
            amount_involved=Decimal("126000"),
        ),
        "gambling": make_case(
            library,
            "参与赌博案",
            categories=[category("gambling")],
            sector=taxonomy["finance"],
            rank_level=rank("KY"),
            region=taxonomy["west"],
            decision_date=datetime.date(2024, 11, 1),
            amount_involved=Decimal("15000"),
        ),
        "speech": make_case(
            library,
            "妄议大政方针案",
            categories=[category("political-speech")],
            sector=taxonomy["housing"],
            rank_level=rank("ZKJ"),
            region=None,
            decision_date=datetime.date(2022, 5, 1),
            amount_involved=None,
        ),
    }


# --- Filters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A discipline includes its sub-types: 违规操办婚丧喜庆 is under 廉洁纪律.
        ("discipline=integrity", {"收受礼金案", "操办婚宴案"}),
        ("discipline=life", {"参与赌博案"}),
        ("discipline=political", {"妄议大政方针案"}),
        ("subtype=gifts-money", {"收受礼金案"}),
        ("subtype=banquets", {"操办婚宴案"}),
        ("sector=finance", {"收受礼金案", "参与赌博案"}),
        ("rank=ZKJ", {"收受礼金案", "妄议大政方针案"}),
        ("year=2024", {"收受礼金案", "参与赌博案"}),
        ("discipline=integrity&sector=housing", {"操办婚宴案"}),
        ("discipline=work", set()),
    ],
)
def test_each_filter_narrows_the_list(client, cases, query, expected):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert set(titles(response)) == expected


def test_region_filter(client, cases, taxonomy):
    response = client.get(f"{URL}?region={taxonomy['west'].pk}")
    assert set(titles(response)) == {"操办婚宴案", "参与赌博案"}


def test_filter_form_offers_the_taxonomies_and_years(client, cases):
    html = client.get(URL).content.decode()
    for label in ("廉洁纪律", "违规收受礼品礼金", "财政", "正科级", "东城区", "2022", "2024"):
        assert label in html
    assert 'method="get"' in html  # works without JavaScript


def test_unknown_filter_values_are_ignored_not_an_error(client, cases):
    response = client.get(f"{URL}?discipline=nope&year=abc&region=x&sort=drop+table&page=99")
    assert response.status_code == 200
    assert len(titles(response)) == 4


def test_empty_result_shows_an_empty_state(client, cases):
    response = client.get(f"{URL}?discipline=mass")
    html = response.content.decode()
    assert titles(response) == []
    assert 'class="empty-state"' in html
    assert 'href="/cases/"' in html  # a way back to every case


# --- Sorting and pagination ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["参与赌博案", "收受礼金案", "操办婚宴案", "妄议大政方针案"]),
        ("oldest", ["妄议大政方针案", "操办婚宴案", "收受礼金案", "参与赌博案"]),
        ("amount", ["操办婚宴案", "收受礼金案", "参与赌博案", "妄议大政方针案"]),
    ],
)
def test_sorting(client, cases, sort, expected):
    assert titles(client.get(f"{URL}?sort={sort}")) == expected


def test_sort_by_title_uses_the_selector_order(cases):
    by_title = [c.title for c in case_list(sort="title")]
    assert by_title == sorted(by_title)


def test_pagination_keeps_the_filters(client, library, taxonomy):
    for i in range(25):
        make_case(
            library,
            f"财政案例{i:02d}",
            sector=taxonomy["finance"],
            decision_date=datetime.date(2024, 1, 1) + datetime.timedelta(days=i),
        )
    make_case(library, "住建案例", sector=taxonomy["housing"])
    first = client.get(f"{URL}?sector=finance")
    assert len(titles(first)) == 20
    assert titles(first)[0] == "财政案例24"
    html = first.content.decode()
    assert 'href="?sector=finance&amp;page=2"' in html
    second = client.get(f"{URL}?sector=finance&page=2")
    assert titles(second) == [f"财政案例{i:02d}" for i in range(4, -1, -1)]


def test_only_live_cases_are_listed(client, cases):
    cases["gifts"].unpublish()
    assert "收受礼金案" not in titles(client.get(URL))
    assert client.get(cases["gifts"].url).status_code == 404


def test_a_case_behind_a_view_restriction_is_not_listed(client, cases):
    from wagtail.models import PageViewRestriction

    PageViewRestriction.objects.create(
        page=cases["gifts"], restriction_type=PageViewRestriction.LOGIN
    )
    assert "收受礼金案" not in titles(client.get(URL))
    assert len(titles(client.get(URL))) == 3


# --- Relevant to my post ----------------------------------------------------------------


@pytest.fixture
def cadre(org, taxonomy):
    """The finance bureau's learner (科员); the bureau is in the 财政 sector and its
    sub-units inherit it."""
    org.finance.sector = taxonomy["finance"]
    org.finance.save()
    return org.budget_learner  # 预算科, 副科级, inherits 财政


def test_relevant_cases_come_first_for_the_cadre(client, library, taxonomy, cadre):
    fkj, other = rank("FKJ"), rank("ZCJ")
    day = datetime.date(2024, 1, 1)
    make_case(library, "都不匹配", sector=taxonomy["housing"], rank_level=other, decision_date=day)
    make_case(library, "同职级", sector=taxonomy["housing"], rank_level=fkj, decision_date=day)
    make_case(library, "同行业", sector=taxonomy["finance"], rank_level=other, decision_date=day)
    make_case(
        library,
        "同职级同行业",
        sector=taxonomy["finance"],
        rank_level=fkj,
        decision_date=datetime.date(2020, 1, 1),  # oldest, still first
    )
    make_case(
        library,
        "最新但不匹配",
        sector=None,
        rank_level=None,
        decision_date=datetime.date(2025, 1, 1),
    )

    ordered = [c.title for c in case_list_relevant(viewer=cadre)]
    assert ordered[0] == "同职级同行业"
    assert set(ordered[1:3]) == {"同职级", "同行业"}
    assert set(ordered[3:]) == {"都不匹配", "最新但不匹配"}

    client.force_login(cadre)
    response = client.get(f"{URL}?view=relevant")
    assert titles(response) == ordered
    html = response.content.decode()
    assert 'aria-current="page">' in html
    # The "all" tab still lists newest first.
    assert titles(client.get(URL))[0] == "最新但不匹配"


def test_relevant_view_can_be_filtered(client, library, taxonomy, cadre):
    make_case(library, "廉洁案", categories=[category("gifts-money")], sector=taxonomy["finance"])
    make_case(library, "生活案", categories=[category("gambling")], sector=taxonomy["finance"])
    client.force_login(cadre)
    assert titles(client.get(f"{URL}?view=relevant&discipline=integrity")) == ["廉洁案"]


def test_relevant_view_asks_an_anonymous_visitor_to_log_in(client, cases):
    response = client.get(f"{URL}?view=relevant")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/accounts/login/" in html
    assert len(titles(response)) == 4
    assert 'class="tabs"' not in html


def test_relevant_view_for_a_cadre_without_rank_or_unit(client, cases, org):
    person = org.finance_learner
    person.rank_level = None
    person.unit = None
    person.save()
    client.force_login(person)
    assert len(titles(client.get(f"{URL}?view=relevant"))) == 4


# --- The case page --------------------------------------------------------------------


@pytest.fixture
def full_case(library, taxonomy):
    regulation = RegulationFactory()
    art97 = ArticleFactory(
        regulation=regulation, number=97, label="第九十七条", text="收受礼品礼金条文"
    )
    art100 = ArticleFactory(
        regulation=regulation, number=100, label="第一百条", text="婚丧喜庆条文"
    )
    related = make_case(library, "相关案例甲", sector=taxonomy["finance"], rank_level=rank("KY"))
    case = make_case(
        library,
        "某局科长张某某违规收受礼金问题",
        summary="张某某多次收受管理服务对象所送礼金。",
        decision_date=datetime.date(2024, 5, 16),
        region=taxonomy["east"],
        sector=taxonomy["finance"],
        official_name="张某某",
        position_at_time="某局预算科科长",
        rank_level=rank("ZKJ"),
        categories=[category("integrity"), category("gifts-money")],
        articles_breached=[art97, art100],
        amount_involved=Decimal("68000"),
        party_sanction="serious_warning",
        administrative_sanction="demerit",
        criminal_referral=True,
        criminal_sentence="判处有期徒刑三年，缓刑四年",
        body=[
            ("paragraph", RichText("<p>背景段落。</p>")),
            ("fact", {"text": RichText("<p>收受购物卡4.3万元。</p>"), "articles": [art97]}),
            ("article_quote", {"article": art100, "note": "引用说明"}),
            ("key_points", {"heading": "警示要点", "points": ["节日关口"]}),
        ],
        lessons="<p>守住底线。</p>",
        discussion_questions="问题一？\n\n问题二？",
        source="示范市纪委监委",
    )
    case.related_cases = [related]
    case.save()
    return case


def test_case_page_shows_every_structured_field(client, full_case):
    response = client.get("/en/cases/" + full_case.slug + "/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "某局科长张某某违规收受礼金问题",
        "张某某多次收受管理服务对象所送礼金。",
        "张某某",
        "某局预算科科长",
        "正科级",
        "财政",
        "东城区",
        "2024-05-16",
        "廉洁纪律",
        "违规收受礼品礼金",
        "6.8 × 10,000 yuan",
        "Serious warning",
        "Demerit",
        "判处有期徒刑三年，缓刑四年",
        "背景段落。",
        "收受购物卡4.3万元。",
        "婚丧喜庆条文",
        "引用说明",
        "节日关口",
        "守住底线。",
        "问题一？",
        "问题二？",
        "示范市纪委监委",
        "相关案例甲",
    ):
        assert text in html, text
    # Articles breached link to their stable pages; the annotated fact names its article.
    assert html.count('href="/en/regulations/jlcftl-2023/97/"') >= 2
    assert 'href="/en/regulations/jlcftl-2023/100/"' in html
    fact = html.split('class="block-fact"')[1].split("</div>\n</div>")[0]
    assert "第九十七条" in fact and "/regulations/jlcftl-2023/97/" in fact
    assert "<dl" in html and "<dt>" in html
    assert html.count("<li>问题") == 2  # blank lines are not questions


def test_amounts_in_yuan_and_wan_yuan():
    from django.utils import translation

    from cases.templatetags.case_tags import yuan

    with translation.override("en"):
        assert yuan(Decimal("3800")) == "3,800 yuan"
        assert yuan(Decimal("125000")) == "12.5 × 10,000 yuan"
        assert yuan(Decimal("8560000.00")) == "856 × 10,000 yuan"
        assert yuan(None) == ""


# --- Query counts -------------------------------------------------------------------


def count(client, url: str) -> int:
    client.get(url)  # warm caches that are per process, not per request
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_cases(library, taxonomy, n: int) -> None:
    start = library.get_children().count()
    for i in range(n):
        make_case(
            library,
            f"批量案例{start + i}",
            categories=[category("integrity"), category("gifts-money")],
            sector=taxonomy["finance"],
            rank_level=rank("KY"),
            region=taxonomy["east"],
        )


@pytest.mark.parametrize("url", [URL, f"{URL}?discipline=integrity&sort=amount"])
def test_index_query_count_does_not_grow_with_cases(
    client, library, taxonomy, django_assert_max_num_queries, url
):
    add_cases(library, taxonomy, 10)
    at_10 = count(client, url)
    add_cases(library, taxonomy, 50)
    at_60 = count(client, url)
    assert at_10 == at_60
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200


def test_relevant_index_query_count_does_not_grow(
    client, library, taxonomy, cadre, django_assert_max_num_queries
):
    client.force_login(cadre)
    url = f"{URL}?view=relevant"
    add_cases(library, taxonomy, 10)
    at_10 = count(client, url)
    add_cases(library, taxonomy, 50)
    assert count(client, url) == at_10
    # Logged in: the session (read and renewed), the user, their unit and its sector, roles.
    with django_assert_max_num_queries(24):
        client.get(url)


def test_case_page_query_count_does_not_grow_with_body_or_related(
    client, full_case, library, taxonomy, django_assert_max_num_queries
):
    url = full_case.url
    before = count(client, url)
    full_case.body = list(full_case.body.raw_data) * 8  # 32 blocks
    for i in range(6):
        extra = make_case(
            library, f"更多相关{i}", sector=taxonomy["housing"], rank_level=rank("FCJ")
        )
        full_case.related_cases.add(extra)
    full_case.save()
    assert len(full_case.body) == 32
    assert count(client, url) == before
    with django_assert_max_num_queries(16):
        client.get(url)
