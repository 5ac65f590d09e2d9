"""Check-in end to end: the trainer opens the display (a QR code, count 0, the learner on
the missing list); a phone-sized browser follows the code's link, logs in on the login
form and is recorded; the display's count and missing list follow within a poll. axe-core
checks the display, the login page, the result page and the roster."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from .conftest import PHONE, assert_accessible, login_with_form, no_sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def live_event(org: Any) -> Any:
    from events.factories import CampaignFactory, EventFactory

    campaign = CampaignFactory(audience_unit=org.city, created_by=org.city_admin)
    return EventFactory(
        campaign=campaign,
        audience_unit=org.finance,
        trainer=org.trainer,
        starts_at=timezone.now().replace(microsecond=0) - datetime.timedelta(minutes=5),
    )


def test_phone_scan_updates_the_trainers_display(
    page: Page, browser: Browser, server: str, org: Any, live_event: Any, login_as: Any
) -> None:
    from events.models import Attendance

    learner = org.finance_learner
    page.set_default_timeout(30_000)  # a loaded shared machine; every page here is local
    login_as(org.trainer)
    # The live server's first request loads everything: give it time on a busy machine.
    page.goto(f"{server}/events/{live_event.pk}/checkin/display/", timeout=120_000)
    expect(page.locator("#checkin-qr svg")).to_be_visible()
    expect(page.locator("#checkin-count")).to_have_text("0")
    expect(page.locator("#checkin-missing")).to_contain_text(learner.full_name)
    assert_accessible(page)
    link = page.locator("#checkin-url").get_attribute("href")
    assert link and "/checkin/" in link

    phone_context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        phone = phone_context.new_page()
        phone.set_default_timeout(30_000)
        phone.goto(link)
        expect(phone.locator("input[name=login]")).to_be_visible()
        assert_accessible(phone)
        no_sideways_scroll(phone)
        login_with_form(phone, learner.email)
        expect(phone.locator(".checkin-result--ok")).to_be_visible()
        expect(phone.locator("h1")).to_be_visible()
        expect(phone.locator(".checkin-result")).to_contain_text(live_event.title)
        assert_accessible(phone)
        no_sideways_scroll(phone)
        assert "/checkin/done/" in phone.url
    finally:
        phone_context.close()

    assert Attendance.objects.filter(event=live_event, user=learner, status="present").exists()
    # The display polls every 3 s.
    expect(page.locator("#checkin-count")).to_have_text("1", timeout=15_000)
    expect(page.locator("#checkin-missing")).not_to_contain_text(learner.full_name)
    expect(page.locator("#checkin-missing")).to_contain_text(org.budget_learner.full_name)

    page.goto(f"{server}/events/{live_event.pk}/roster/")
    expect(page.locator(".roster")).to_contain_text(learner.full_name)
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    # Mark the other learner late from the phone-sized roster.
    row = page.locator(".roster-row", has_text=org.budget_learner.full_name)
    with page.expect_navigation():
        row.locator("button[value=late]").click()
    assert Attendance.objects.get(event=live_event, user=org.budget_learner).status == "late"
    assert_accessible(page)
    no_sideways_scroll(page)
