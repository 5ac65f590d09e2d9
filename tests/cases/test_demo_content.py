"""build_demo's case library as a user finds it: ≥12 live cases covering the six
disciplines, several rank levels and sectors, each citing real articles of the 2023
Regulations; the case pages render. One build for the whole module (a build takes a while)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from cases.models import Article, CaseIndexPage, CasePage, Regulation
from people.models import OrgUnit

pytestmark = pytest.mark.django_db

SIX = {"political", "organisational", "integrity", "mass", "work", "life"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, built once in a transaction that is rolled back after this module: each
    test still rolls back its own changes (pytest-django's savepoint inside it), and nothing
    of the demo is left for the tests that follow."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("build_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def test_demo_cases_are_live_and_cover_the_six_disciplines(demo):
    cases = list(CasePage.objects.live().prefetch_related("categories__parent"))
    assert len(cases) >= 12
    disciplines = set()
    for case in cases:
        assert case.live and case.live_revision_id is not None
        for c in case.categories.all():
            disciplines.add(c.parent.code if c.parent_id else c.code)
    assert disciplines == SIX
    assert len({c.rank_level_id for c in cases}) >= 4
    assert len({c.sector_id for c in cases}) >= 5


def test_demo_cases_cite_real_articles_with_annotated_facts(demo):
    regulation = Regulation.objects.get(slug="jlcftl-2023")
    assert regulation.title == "中国共产党纪律处分条例" and regulation.version == "2023"
    assert str(regulation.effective_date) == "2024-01-01"
    gifts = Article.objects.get(regulation=regulation, number=97)
    assert gifts.label == "第九十七条" and gifts.text.startswith("收受可能影响公正执行公务的礼品")
    assert Article.objects.get(regulation=regulation, number=100).text.startswith(
        "利用职权或者职务上的影响操办婚丧喜庆事宜"
    )
    for case in CasePage.objects.live():
        assert case.articles_breached.exists(), case.title
        assert any(b.block_type == "fact" and b.value["articles"] for b in case.body), case.title
        assert case.lessons and case.discussion_question_list, case.title


def test_demo_units_have_sectors_and_the_library_has_the_workflow(demo):
    assert OrgUnit.objects.get(code="CZJ").sector.name == "财政"
    assert OrgUnit.objects.get(code="CZJ-YSK").effective_sector().name == "财政"
    assert OrgUnit.objects.get(code="ZJJ").sector.name == "住房和城乡建设"
    library = CaseIndexPage.objects.get()
    assert library.live and library.get_workflow().name == "案例审核"


def test_demo_case_pages_render(demo, client):
    assert client.get("/cases/").status_code == 200
    for case in CasePage.objects.live()[:3]:
        response = client.get(case.url)
        assert response.status_code == 200
        assert case.title in response.content.decode()
