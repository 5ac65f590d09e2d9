"""A discipline officer on a phone (360 px) moves a scheduled talk: the form refuses a
change without a reason (the message shown, nothing changed), then saves the new time and
place; the official's page shows them; then the officer cancels the talk and the official
sees it cancelled. Every page is checked with axe-core and never scrolls sideways."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, no_sideways_scroll

pytestmark = pytest.mark.browser


def check(page: Page) -> None:
    assert_accessible(page)
    no_sideways_scroll(page)


def test_reschedule_then_cancel_on_a_phone(
    page: Page, server: str, org: Any, login_as: Any
) -> None:
    from notifications.models import Notification
    from talks.models import TalkKind, TalkRecord, TalkStatus

    official = org.finance_learner
    talk = TalkRecord.objects.create(
        kind=TalkKind.REMINDER,
        official=official,
        unit=official.unit,
        scheduled_at=timezone.now() + datetime.timedelta(days=2),
        place="纪委谈话室",
        outline="提醒谈话提纲",
        created_by=org.discipline,
    )
    talk.talkers.set([org.discipline])

    login_as(org.discipline)
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/en/talk-records/{talk.pk}/")
    check(page)
    page.get_by_role("link", name="Reschedule").click()
    expect(page.get_by_role("heading", name="Reschedule the talk")).to_be_visible()
    check(page)

    new_time = (timezone.localtime() + datetime.timedelta(days=4)).replace(
        hour=15, minute=0, second=0, microsecond=0
    )
    page.get_by_label("New time").fill(new_time.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("New place").fill("五楼第二谈话室")
    # No reason: refused, the message shown next to the field, nothing changed.
    with page.expect_navigation():
        page.get_by_role("button", name="Save the new time and place").click()
    expect(page.locator("[role=alert]").first).to_be_visible()
    expect(page.locator("#id_reason_errors")).to_be_visible()
    talk.refresh_from_db()
    assert talk.place == "纪委谈话室" and talk.reschedule_count == 0
    check(page)
    page.get_by_label("Reason for the change").fill("谈话人临时出差")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the new time and place").click()
    expect(page.get_by_role("main")).to_contain_text("五楼第二谈话室")
    expect(page.get_by_role("main")).to_contain_text("told the new time and place")
    check(page)
    talk.refresh_from_db()
    assert talk.place == "五楼第二谈话室" and talk.reschedule_count == 1
    assert Notification.objects.filter(user=official, kind="talk-rescheduled").count() == 1

    # Cancel it.
    page.get_by_role("link", name="Cancel talk").click()
    check(page)
    page.get_by_label("Reason for cancelling").fill("谈话对象调离")
    with page.expect_navigation():
        page.get_by_role("button", name="Cancel the talk").click()
    expect(page.get_by_role("main")).to_contain_text("Cancelled")
    check(page)
    talk.refresh_from_db()
    assert talk.status == TalkStatus.CANCELLED

    # The official sees the new place and that the talk is cancelled, not the reason.
    page.context.clear_cookies()
    login_as(official)
    page.goto(f"{server}/en/talk-records/mine/{talk.pk}/")
    main = page.get_by_role("main")
    expect(main).to_contain_text("五楼第二谈话室")
    expect(main).to_contain_text(new_time.strftime("%Y-%m-%d %H:%M"))
    expect(main).to_contain_text("has been cancelled")
    expect(main).not_to_contain_text("谈话对象调离")
    check(page)
