"""The site shell in a real browser: log in, switch language, reach the Wagtail admin,
scoped people list, phone layout. Every page visited is checked with axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, login_with_form

pytestmark = pytest.mark.browser


def test_login_through_allauth_lands_on_home_with_name(page: Page, server: str, org) -> None:
    page.goto(f"{server}/")
    assert_accessible(page)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

    page.get_by_role("banner").get_by_role("link", name=re.compile("登录|Log in")).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_contain_text("登录")
    assert_accessible(page)

    login_with_form(page, org.finance_learner.email)
    expect(page).to_have_url(f"{server}/")
    expect(page.get_by_role("banner")).to_contain_text("张三丰")
    expect(page.get_by_role("main")).to_contain_text("张三丰")
    assert_accessible(page)


def test_wrong_password_is_refused_on_an_accessible_page(page: Page, server: str, org) -> None:
    page.goto(f"{server}/accounts/login/")
    assert_accessible(page)
    login_with_form(page, org.finance_learner.email, "not-the-password")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("banner")).not_to_contain_text("张三丰")
    assert_accessible(page)


def test_language_switcher_turns_the_page_english_and_back(page: Page, server: str, org) -> None:
    page.goto(f"{server}/")
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{server}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("banner")).to_contain_text("Log in")
    expect(page.get_by_role("heading", level=2)).to_contain_text("What you can do here")
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="简体中文").click()
    expect(page).to_have_url(f"{server}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    assert_accessible(page)


def test_trainer_logs_in_through_allauth_and_reaches_the_wagtail_dashboard(
    page: Page, server: str, org
) -> None:
    page.goto(f"{server}/admin/")
    # The Wagtail admin login redirects to allauth's form, keeping where to go next.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)admin(/|%2F)"))
    assert_accessible(page)

    login_with_form(page, org.trainer.email)
    expect(page).to_have_url(f"{server}/admin/")
    expect(page.locator("body#wagtail")).to_be_visible()  # Wagtail's admin, not the site
    # The dashboard greets the trainer by name.
    expect(page.get_by_role("main").get_by_role("heading", name="培训师")).to_be_visible()
    assert_accessible(page)


def test_learner_does_not_reach_the_admin(page: Page, server: str, org, login_as) -> None:
    login_as(org.finance_learner)
    page.goto(f"{server}/")
    assert_accessible(page)
    expect(page.locator("header a[href='/admin/']")).to_have_count(0)


def test_unit_admin_sees_only_their_bureau(page: Page, server: str, org, login_as) -> None:
    login_as(org.finance_admin)
    page.goto(f"{server}/")
    assert_accessible(page)
    page.locator("header").get_by_role("link", name=re.compile("人员|People")).click()
    expect(page).to_have_url(f"{server}/people/")
    table = page.get_by_role("table")
    for name in ("张三丰", "李四", "财政管理员"):
        expect(table).to_contain_text(name)
    for name in ("王五", "住建管理员", "培训师"):
        expect(table).not_to_contain_text(name)
    assert_accessible(page)

    page.get_by_role("link", name="张三丰").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("张三丰")
    assert_accessible(page)


# 360 px: a common small phone. 320 px: where WCAG 2.1 (1.4.10 Reflow) draws the line.
@pytest.mark.parametrize("width", [360, 320])
def test_phone_pages_have_no_horizontal_scroll(page: Page, server: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": PHONE["height"]})
    for path in ("/", "/en/", "/accounts/login/"):
        page.goto(f"{server}{path}")
        assert_accessible(page)
        scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll_width <= width, f"{path} scrolls sideways at {width} px: {scroll_width} px"


@pytest.mark.parametrize("width", [360, 320])
def test_phone_people_pages_have_no_horizontal_scroll(
    page: Page, server: str, org, login_as, width: int
) -> None:
    login_as(org.finance_admin)
    page.set_viewport_size({"width": width, "height": PHONE["height"]})
    for path in ("/people/", f"/en/people/{org.finance_learner.pk}/"):
        page.goto(f"{server}{path}")
        assert_accessible(page)
        expect(page.get_by_role("main")).to_contain_text("张三丰")
        scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll_width <= width, f"{path} scrolls sideways at {width} px: {scroll_width} px"


def test_language_switch_keeps_the_page_both_ways(page: Page, server: str, org, login_as) -> None:
    login_as(org.finance_admin)
    page.goto(f"{server}/people/?q=张")
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{server}/en/people/?q=%E5%BC%A0")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="简体中文").click()
    expect(page).to_have_url(f"{server}/people/?q=%E5%BC%A0")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    assert_accessible(page)


def test_keyboard_user_can_skip_to_the_main_content(page: Page, server: str) -> None:
    page.goto(f"{server}/")
    assert_accessible(page)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # visible when focused, not parked off-screen
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
