"""build_demo's case library: a second build adds nothing, and the compilation it orders is
rendered once (its content is checked in test_demo_content.py, on one shared build)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from cases.models import Article, CaseIndexPage, CasePage, Region, Regulation
from people.models import Sector

pytestmark = pytest.mark.django_db


def build() -> None:
    call_command("build_demo", stdout=StringIO())


def counts() -> tuple[int, ...]:
    return (
        CasePage.objects.count(),
        CaseIndexPage.objects.count(),
        Regulation.objects.count(),
        Article.objects.count(),
        Sector.objects.count(),
        Region.objects.count(),
        sum(p.revisions.count() for p in CasePage.objects.all()),
    )


def test_build_demo_twice_creates_no_duplicates():
    build()
    first = counts()
    build()
    assert counts() == first


@pytest.mark.django_db
def test_build_demo_orders_one_compilation_and_reuses_it(django_capture_on_commit_callbacks):
    from cases.models import CaseCompilation

    with django_capture_on_commit_callbacks(execute=True):
        call_command("build_demo", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True) as second_run:
        call_command("build_demo", stdout=StringIO())
    assert second_run == []  # the identical selection is reused: nothing re-rendered
    compilation = CaseCompilation.objects.get()
    assert compilation.status == CaseCompilation.Status.DONE
    assert compilation.page_count > 6 and len(compilation.sha256) == 64
