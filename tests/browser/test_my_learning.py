""" "My learning" on a phone: a cadre with an assigned course (one overdue) and some
study hours opens /me/ at 360×740, sees the course and the hours, opens the ledger and
their notifications; every page passes axe and nothing scrolls sideways.

(The lead will extend this to study the course to completion once the course pages
exist.)"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, no_sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def cadre_with_courses(org: Any) -> Any:
    from django.utils import timezone

    from courses.factories import CoursePageFactory
    from courses.models import Enrolment, LedgerSource
    from courses.services.ledger import ledger_record
    from notifications.models import Notification
    from tests.courses.conftest import build_course_tree

    tree = build_course_tree()
    learner = org.finance_learner
    today = timezone.localdate()
    Enrolment.objects.create(
        user=learner, course=tree.course, due_date=today + datetime.timedelta(days=3)
    )
    overdue = CoursePageFactory(parent=tree.index, title="廉洁从政若干准则学习")
    Enrolment.objects.create(
        user=learner, course=overdue, due_date=today - datetime.timedelta(days=2)
    )
    ledger_record(
        user=learner,
        year=today.year,
        hours=Decimal("6.5"),
        source=LedgerSource.EVENT,
        source_key="event:1",
        title="警示教育大会",
        required=True,
        integrity=True,
    )
    Notification.objects.create(
        user=learner,
        key="course-due:test",
        kind="course-due",
        title="“纪律处分条例学习”3 天后到期",
        body="请按时完成学习。",
        url="/me/",
    )
    return tree


def test_cadre_sees_courses_and_hours_on_a_phone(
    page: Page, server: str, org: Any, cadre_with_courses: Any, login_as: Any
) -> None:
    page.set_viewport_size(PHONE)
    login_as(org.finance_learner)
    page.goto(f"{server}/")
    assert_accessible(page)
    banner = page.get_by_role("banner")
    # The header offers "My learning" and the notifications with one unread.
    expect(banner.get_by_role("link", name=re.compile("通知|Notifications"))).to_contain_text("1")
    banner.get_by_role("link", name=re.compile("我的学习|My learning")).click()
    expect(page).to_have_url(f"{server}/me/")
    assert_accessible(page)
    no_sideways_scroll(page)

    main = page.get_by_role("main")
    assigned = main.locator("section", has=page.locator("#assigned-heading"))
    cards = assigned.locator(".my-course__title")
    # Overdue first, then the nearest due date.
    expect(cards).to_have_text(["廉洁从政若干准则学习", "纪律处分条例学习"])
    expect(assigned.locator(".my-course--overdue")).to_contain_text("2")
    expect(main.locator(".hours-summary")).to_contain_text("6.5")
    expect(main.locator("progress")).to_have_count(2)

    main.get_by_role("link", name=re.compile("学时台账|study-hour ledger")).click()
    expect(page).to_have_url(f"{server}/me/hours/")
    assert_accessible(page)
    no_sideways_scroll(page)
    expect(page.get_by_role("main")).to_contain_text("警示教育大会")

    page.get_by_role("banner").get_by_role("link", name=re.compile("通知|Notifications")).click()
    expect(page).to_have_url(f"{server}/notifications/")
    assert_accessible(page)
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name=re.compile("纪律处分条例学习")).click()
    expect(page).to_have_url(f"{server}/me/")
    assert_accessible(page)
    # Read: the badge is gone.
    expect(page.locator(".nav-badge")).to_have_count(0)
