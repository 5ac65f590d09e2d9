"""Factories for regulations, articles and case pages; used by tests and ``build_demo``."""

from __future__ import annotations

import datetime

import factory
import wagtail_factories
from factory.django import DjangoModelFactory

from people.models import Sector

from .models import Article, CaseIndexPage, CasePage, DisciplineCategory, Region, Regulation


class RegulationFactory(DjangoModelFactory):
    class Meta:
        model = Regulation
        django_get_or_create = ("slug",)

    title = "中国共产党纪律处分条例"
    short_name = "纪律处分条例"
    slug = "jlcftl-2023"
    issuer = "中共中央"
    version = "2023"
    effective_date = datetime.date(2024, 1, 1)


class ArticleFactory(DjangoModelFactory):
    class Meta:
        model = Article
        django_get_or_create = ("regulation", "number")

    regulation = factory.SubFactory(RegulationFactory)
    number = factory.Sequence(lambda n: n + 1)
    label = factory.LazyAttribute(lambda o: f"第{o.number}条")
    chapter = "第八章 对违反廉洁纪律行为的处分"
    text = factory.LazyAttribute(lambda o: f"{o.label} 测试条文内容。")


class SectorFactory(DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"sector-{n}")
    name = factory.Sequence(lambda n: f"行业{n}")


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"地区{n}")


def category(code: str) -> DisciplineCategory:
    """A discipline or sub-type seeded by migration ``cases 0002``."""
    return DisciplineCategory.objects.get(code=code)


class CaseIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = CaseIndexPage

    title = "警示教育案例库"
    slug = "cases"


class CasePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = CasePage
        skip_postgeneration_save = True  # the hooks below save when they change something

    title = factory.Sequence(lambda n: f"某局干部违纪案例{n}")
    slug = factory.Sequence(lambda n: f"case-{n}")
    summary = "某某利用职务便利违规收受礼品礼金，受到党纪政务处分。"
    decision_date = datetime.date(2024, 6, 1)
    position_at_time = "某局科长"
    official_name = "张某某"

    @factory.post_generation
    def categories(
        self, create: bool, extracted: list[DisciplineCategory] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            self.categories.set(extracted)
            self.save()

    @factory.post_generation
    def articles_breached(
        self, create: bool, extracted: list[Article] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            self.articles_breached.set(extracted)
            self.save()
