"""The compliance dashboard in a browser: the finance bureau's unit admin opens it, sees
the sub-unit table and the charts, drills into the budget section's overdue figure and
lands on exactly the people behind it, exports that list to Excel and opens the file.
axe reports no violation on any page; on a 360 px phone the dashboard does not scroll
sideways (its wide table scrolls inside its own labelled region)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, no_sideways_scroll

pytestmark = pytest.mark.browser

YEAR = timezone.localdate().year
TODAY = datetime.date(YEAR, 6, 15)


@pytest.fixture
def world(org: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The hand-counted data set of tests/dashboard/factories.py, counted for 15 June of
    this year (the live server runs in this process, so it sees the same "today")."""
    from tests.dashboard.factories import dashboard_world

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    return dashboard_world(org, today=TODAY, year=YEAR)


def test_unit_admin_drills_into_overdue_people_and_exports_them(
    page: Page, server: str, org: Any, world: Any, login_as: Any, tmp_path: Path
) -> None:
    import openpyxl

    login_as(org.finance_admin)
    page.goto(f"{server}/dashboard/")
    assert_accessible(page)
    expect(page.locator("h1")).to_contain_text(org.finance.name)
    budget = page.locator(f"table.dashboard-table tr[data-unit='{org.finance_budget.pk}']")
    expect(budget).to_be_visible()
    expect(budget.locator("th")).to_contain_text(org.finance_budget.name)
    expect(page.locator("section.chart svg[role=img]")).to_have_count(4)

    # The budget section has one person with an overdue course (李四): follow the number.
    figure = budget.locator("td.overdue a").first
    expect(figure).to_have_text(re.compile(r"^1\b"))
    with page.expect_navigation():
        figure.click()
    assert "/dashboard/people/" in page.url and "show=overdue" in page.url
    assert_accessible(page)
    names = page.locator("th.dashboard-person__name")
    expect(names).to_have_count(1)
    expect(names.first).to_have_text("李四")

    # The Excel export of this list holds the same person.
    with page.expect_download() as info:
        page.locator(".dashboard-exports a[href*='people.xlsx']").click()
    target = tmp_path / "people.xlsx"
    info.value.save_as(target)
    sheet = openpyxl.load_workbook(target, read_only=True).active
    assert sheet is not None
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "李四" in cells
    assert "赵六" not in cells  # the other person of the section has nothing overdue


def test_dashboard_on_a_phone(page: Page, server: str, org: Any, world: Any, login_as: Any) -> None:
    login_as(org.city_admin)
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/dashboard/")
    assert_accessible(page)
    no_sideways_scroll(page)
    # A chart's table alternative opens and stays inside the screen.
    page.locator("section.chart summary").first.click()
    expect(page.locator("section.chart details table").first).to_be_visible()
    no_sideways_scroll(page)
    page.goto(f"{server}/dashboard/enrolments/?status=overdue")
    assert_accessible(page)
    no_sideways_scroll(page)
