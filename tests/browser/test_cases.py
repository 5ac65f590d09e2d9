"""A case from writing to reading, in a real browser: a trainer writes a case in the
Wagtail admin and submits it for moderation, a second trainer approves it, and a cadre
finds it through the case library's filters and reads it. Every page of the site is
checked with axe-core; so is each admin page of the journey."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import PHONE, assert_accessible, axe_violations, format_violations

pytestmark = pytest.mark.browser

TITLE = "某区财政局科长钱某某违规收受购物卡问题"


@pytest.fixture
def library(org: Any) -> Any:
    from cases.factories import CaseIndexPageFactory, SectorFactory
    from qinglian.models import HomePage

    finance = SectorFactory(code="finance", name="财政")
    org.finance.sector = finance
    org.finance.save()
    return CaseIndexPageFactory(parent=HomePage.objects.get(), title="警示教育案例库", slug="cases")


@pytest.fixture
def second_trainer(org: Any) -> Any:
    from people.factories import UserFactory, rank
    from people.models import Role
    from people.services import role_grant

    person = UserFactory(
        email="trainer2@example.gov.cn", full_name="培训师乙", unit=org.city, rank_level=rank("ZKJ")
    )
    role_grant(user=person, role=Role.TRAINER, unit=org.city)
    return person


# Violations inside Wagtail 8.0's own edit view, not in anything Qinglian renders: the
# Draftail editor's contenteditable has no accessible name (aria-input-field-name) and
# the "editing sessions" avatar button has no text (button-name). Only these two rules,
# and only on Wagtail's edit view, are tolerated; everything else must pass.
WAGTAIL_EDIT_VIEW_KNOWN = {
    "aria-input-field-name": "public-DraftEditor-content",
    "button-name": "w-editing-sessions__session",
}


def check_admin(page: Page, *, known: dict[str, str] | None = None) -> None:
    """The Wagtail admin is held to the same axe rules, less the known Wagtail issues."""
    known = known or {}
    violations = [
        v
        for v in axe_violations(page)
        if not (v["id"] in known and all(known[v["id"]] in n.get("html", "") for n in v["nodes"]))
    ]
    assert not violations, format_violations(page.url, violations)


def as_user(context: BrowserContext, login_as: Any, user: Any) -> None:
    context.clear_cookies()
    login_as(user)


def test_trainer_writes_another_approves_cadre_finds_and_reads(
    page: Page,
    context: BrowserContext,
    server: str,
    org: Any,
    library: Any,
    second_trainer: Any,
    login_as: Any,
) -> None:
    from cases.models import CasePage

    # 1. A trainer writes the case in the admin and submits it for moderation.
    admin = context.new_page()
    admin.set_default_timeout(15_000)
    as_user(context, login_as, org.trainer)
    admin.goto(f"{server}/admin/pages/add/cases/casepage/{library.pk}/")
    admin.locator("#id_title").fill(TITLE)
    admin.locator("#id_summary").fill("钱某某在预算审核中多次收受购物卡，受到党内警告处分。")
    admin.locator("#id_decision_date").fill("2024-06-01")
    # Leave the field and close Wagtail's date-picker pop-up (its unlabeled month buttons
    # are Wagtail's, and only there while it is open). Tab alone closed it in most runs
    # but not all (the pop-up reopens on a late focus event), so it is hidden outright.
    admin.locator("#id_decision_date").press("Tab")
    # A late focus event can show it again after it was hidden (seen on a loaded CI
    # machine): hide it until it stays hidden.
    for _attempt in range(10):
        admin.evaluate(
            "document.querySelectorAll('.xdsoft_datetimepicker')"
            ".forEach((el) => { el.style.display = 'none'; })"
        )
        admin.wait_for_timeout(300)
        if admin.locator(".xdsoft_datetimepicker:visible").count() == 0:
            break
    expect(admin.locator(".xdsoft_datetimepicker:visible")).to_have_count(0)
    admin.locator("#id_official_name").fill("钱某某")
    admin.locator("#id_position_at_time").fill("某区财政局预算科科长")
    admin.locator("#id_party_sanction").select_option("warning")
    gifts = admin.locator("#id_categories").get_by_label(re.compile("违规收受礼品礼金"))
    if gifts.count():
        gifts.first.check()
    else:
        admin.locator("#id_categories").select_option(label="廉洁纪律 · 违规收受礼品礼金")
    admin.get_by_role("tab", name=re.compile("推荐|推广|Promote")).click()
    admin.locator("#id_slug").fill("qian-gifts")
    check_admin(admin)
    admin.locator("[data-w-dropdown-target='toggle']").last.click()
    with admin.expect_navigation():
        admin.locator("button[name='action-submit']").click()
    expect(admin.locator(".messages")).to_be_visible()
    case = CasePage.objects.get(slug="qian-gifts")
    assert not case.live
    assert case.current_workflow_state.requested_by == org.trainer

    # The submitting trainer is offered no approval.
    admin.goto(f"{server}/admin/pages/{case.pk}/edit/")
    expect(admin.locator("button[name='action-publish']")).to_have_count(0)
    expect(admin.locator("button[data-workflow-action-name='approve']")).to_have_count(0)

    # 2. A second trainer approves it; it goes live.
    as_user(context, login_as, second_trainer)
    admin.goto(f"{server}/admin/pages/{case.pk}/edit/")
    check_admin(admin, known=WAGTAIL_EDIT_VIEW_KNOWN)
    approve = admin.locator(
        "button[data-workflow-action-name='approve']:not([data-workflow-action-modal-url])"
    ).first
    # The action sits in the footer's drop-down; a click on its toggle before Wagtail's
    # scripts have connected does nothing (seen on a loaded CI machine), so try again.
    for _attempt in range(5):
        if approve.is_visible():
            break
        admin.locator("footer [data-w-dropdown-target='toggle']").last.click()
        try:
            approve.wait_for(state="visible", timeout=3000)
        except PlaywrightTimeoutError:
            continue
    with admin.expect_navigation():
        approve.click()
    case.refresh_from_db()
    assert case.live
    admin.close()

    # 3. A cadre of the finance bureau finds it through the filters and reads it.
    as_user(context, login_as, org.finance_learner)
    page.goto(f"{server}/cases/")
    assert_accessible(page)
    page.locator("#id_discipline").select_option("integrity")
    page.locator("#id_year").select_option("2024")
    with page.expect_navigation():
        page.locator("form.case-filters [type=submit]").click()
    expect(page).to_have_url(re.compile(r"discipline=integrity"))
    assert_accessible(page)
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("main")).to_contain_text("钱某某")
    expect(page.get_by_role("main")).to_contain_text("违规收受礼品礼金")
    assert_accessible(page)

    # ... and by a Chinese search: 购物卡 appears only in the summary, segmented on both sides.
    page.goto(f"{server}/search/")
    assert_accessible(page)
    page.locator("main input[name=q]").fill("购物卡 预算")
    with page.expect_navigation():
        page.locator("main input[name=q]").press("Enter")
    assert_accessible(page)
    expect(page.locator("main mark").first).to_be_visible()
    page.get_by_role("link", name=TITLE).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    assert_accessible(page)

    # The relevant-to-my-post tab lists it too.
    page.goto(f"{server}/cases/?view=relevant")
    assert_accessible(page)
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()


@pytest.mark.parametrize("width", [360, 320])
def test_case_pages_on_a_phone(page: Page, server: str, org: Any, library: Any, width: int) -> None:
    import datetime
    from decimal import Decimal

    from wagtail.rich_text import RichText

    from cases.factories import ArticleFactory, CasePageFactory, category
    from people.factories import rank

    article = ArticleFactory(
        number=97, label="第九十七条", text="收受可能影响公正执行公务的礼品……" * 8
    )
    case = CasePageFactory(
        parent=library,
        title="市财政局预算科原科长张某某违规收受礼品礼金问题（一个很长的标题用来测试换行）",
        slug="phone-case",
        decision_date=datetime.date(2024, 5, 16),
        rank_level=rank("ZKJ"),
        sector=org.finance.sector,
        amount_involved=Decimal("68000"),
        party_sanction="serious_warning",
        administrative_sanction="demerit",
        categories=[category("integrity"), category("gifts-money")],
        articles_breached=[article],
        body=[
            ("fact", {"text": RichText("<p>收受购物卡4.3万元。</p>"), "articles": [article]}),
            ("article_quote", {"article": article, "note": "依据"}),
        ],
        discussion_questions="问题一？\n问题二？",
    )
    page.set_viewport_size({"width": width, "height": PHONE["height"]})
    for path in ("/cases/", "/cases/?discipline=mass", case.url):
        page.goto(f"{server}{path}")
        assert_accessible(page)
        scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll_width <= width, f"{path} scrolls sideways at {width} px: {scroll_width} px"
