"""Factories for courses, lessons and talks; used by tests and ``build_demo``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
import wagtail_factories
from wagtail import blocks

from .models import CourseIndexPage, CoursePage, LessonPage, TalkIndexPage, TalkPage


class CourseIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = CourseIndexPage

    title = "课程中心"
    slug = "courses"


class CoursePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = CoursePage

    title = factory.Sequence(lambda n: f"党纪学习课程{n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    summary = "系统学习《中国共产党纪律处分条例》，筑牢拒腐防变的思想防线。"
    credit_hours = Decimal("2.0")


class LessonPageFactory(wagtail_factories.PageFactory):
    """A lesson with a text body. Pass ``body=[("paragraph", RichText(...)), …]`` as
    raw stream data to override."""

    class Meta:
        model = LessonPage

    title = factory.Sequence(lambda n: f"第{n}课")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    estimated_minutes = 20
    body = factory.LazyFunction(
        lambda: [("paragraph", blocks.RichTextBlock().to_python("<p>学习条例，严守纪律。</p>"))]
    )


class TalkIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = TalkIndexPage

    title = "廉政党课"
    slug = "talks"


class TalkPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = TalkPage

    title = factory.Sequence(lambda n: f"廉政党课{n}")
    slug = factory.Sequence(lambda n: f"talk-{n}")
    speaker = "王某某"
    speaker_role = "市纪委书记"
    date = datetime.date(2026, 5, 10)
    summary = "以案为鉴，守住底线。"
