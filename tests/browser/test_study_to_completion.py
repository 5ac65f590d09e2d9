"""Issue #4's end-to-end check on a phone (360×740): a cadre opens "My learning", studies an
assigned course to completion, and sees its hours added to this year's total; axe reports
no violation on any page on the way."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, no_sideways_scroll

pytestmark = pytest.mark.browser


def zh(text: str) -> re.Pattern[str]:
    """A name pattern matching the Chinese label (the site's default language)."""
    with translation.override("zh-hans"):
        return re.compile(re.escape(translation.gettext(text)))


@pytest.fixture
def assigned_course(org: Any) -> Any:
    from django.utils import timezone

    from courses.factories import CourseIndexPageFactory, CoursePageFactory, LessonPageFactory
    from courses.models import Enrolment
    from qinglian.models import HomePage

    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    course = CoursePageFactory(
        parent=index, title="中央八项规定精神学习", slug="bxgd", credit_hours=Decimal("3.0")
    )
    LessonPageFactory(parent=course, title="第一课 八项规定的主要内容", slug="bxgd-1")
    LessonPageFactory(parent=course, title="第二课 实施细则要点", slug="bxgd-2")
    Enrolment.objects.create(
        user=org.finance_learner,
        course=course,
        required=True,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    return course


def test_cadre_studies_a_course_to_completion_on_a_phone(
    page: Page, server: str, org: Any, assigned_course: Any, login_as: Any
) -> None:
    from courses.models import CourseCompletion, StudyHourEntry

    page.set_viewport_size(PHONE)
    login_as(org.finance_learner)
    page.goto(f"{server}/me/")
    assert_accessible(page)
    no_sideways_scroll(page)
    summary = page.locator(".hours-summary")
    expect(summary).not_to_contain_text("3.0")

    page.get_by_role("main").get_by_role("link", name="中央八项规定精神学习").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("中央八项规定精神学习")
    assert_accessible(page)
    no_sideways_scroll(page)
    page.get_by_role("main").get_by_role("link", name=zh("Start")).click()

    for title in ("第一课 八项规定的主要内容", "第二课 实施细则要点"):
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        assert_accessible(page)
        no_sideways_scroll(page)
        with page.expect_navigation():
            page.get_by_role("button", name=zh("Mark as studied")).click()
        expect(page.get_by_role("main")).to_contain_text(zh("You have completed this lesson."))
        next_link = page.locator("a[rel=next]")
        if next_link.count():
            next_link.click()

    # Recorded once on the server, with the course's hours in this year's ledger.
    completion = CourseCompletion.objects.get(user=org.finance_learner, course=assigned_course)
    assert completion.hours == Decimal("3.0")
    assert StudyHourEntry.objects.filter(user=org.finance_learner).count() == 1

    page.goto(f"{server}/me/")
    assert_accessible(page)
    expect(page.locator(".hours-summary")).to_contain_text("3.0")
    expect(page.get_by_role("main")).to_contain_text(zh("Completed"))
