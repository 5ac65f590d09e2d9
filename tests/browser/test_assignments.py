"""A unit admin assigns a course in the form (a past due date is refused first, with the
message on the form), then follows its progress; the pages also work on a phone. Every
page visited is checked with axe-core."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def course(org: Any) -> Any:
    from tests.courses.conftest import build_course_tree

    return build_course_tree().course


def test_unit_admin_assigns_a_course_and_follows_progress(
    page: Page, server: str, org: Any, course: Any, login_as: Any
) -> None:
    from courses.models import Assignment, Enrolment

    login_as(org.finance_admin)
    page.goto(f"{server}/assignments/")
    assert_accessible(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.locator("main a.button[href$='/assignments/new/']").click()
    expect(page.locator("#id_course")).to_be_visible()
    assert_accessible(page)

    # First try: a due date in the past.
    page.locator("#id_course").select_option(str(course.pk))
    page.locator("#id_unit").select_option(str(org.finance.pk))
    page.locator("#id_min_rank").select_option(label="副科级")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    page.locator("#id_due_date").fill(yesterday.isoformat())
    page.locator("#id_note").fill("请于月底前完成学习")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("[role=alert]").first).to_be_visible()
    expect(page.locator("#id_due_date_errors")).to_be_visible()
    assert Assignment.objects.count() == 0
    assert_accessible(page)

    # Second try: a date in the future; the other answers were kept.
    expect(page.locator("#id_note")).to_have_value("请于月底前完成学习")
    due = timezone.localdate() + datetime.timedelta(days=20)
    page.locator("#id_due_date").fill(due.isoformat())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assignment = Assignment.objects.get()
    expect(page).to_have_url(f"{server}/assignments/{assignment.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(course.title)
    # 副科级 and above in finance: the admin, the discipline officer and 李四.
    assert Enrolment.objects.filter(assignment=assignment).count() == 3
    main = page.get_by_role("main")
    expect(main).to_contain_text("李四")
    expect(main).to_contain_text("0/3")
    expect(main).not_to_contain_text("张三丰")  # 科员: below the minimum rank
    assert_accessible(page)

    # Filter by status, then the list shows the new assignment.
    page.locator("#id_status").select_option("not_started")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    assert_accessible(page)
    page.goto(f"{server}/assignments/")
    expect(page.get_by_role("link", name=course.title)).to_be_visible()
    assert_accessible(page)

    # On a phone nothing scrolls sideways.
    page.set_viewport_size(PHONE)
    for path in ("/assignments/", f"/assignments/{assignment.pk}/", "/assignments/new/"):
        page.goto(f"{server}{path}")
        assert_accessible(page)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways: {width} px"
