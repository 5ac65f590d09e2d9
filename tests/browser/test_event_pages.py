"""The education-month pages in a browser, as the people who use them: the cadre asks for
leave on a phone and the unit admin approves it; the unit admin reads the campaign and its
roll-up by unit and reports a required action with a photo as evidence; the trainer plans
and changes an event, resets the calendar link and uploads a bad paper sign-in sheet (the
rows' errors are listed); the discipline officer reads the event and campaign reports.

Every page is checked with axe-core (WCAG 2.0/2.1 A + AA, 0 violations) at 1280 px and at
360 px, where it must not scroll sideways. Pages are in Chinese (the default); the leave
and report pages in English too. With ``QINGLIAN_SHOTS=/some/dir`` every check also saves a
full-page screenshot there (``<name>-<desktop|phone>.png``) for a person to look at."""

from __future__ import annotations

import datetime
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from .conftest import DESKTOP, PHONE, assert_accessible, no_sideways_scroll

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("QINGLIAN_SHOTS", "")


def check(page: Page, name: str) -> None:
    """axe at desktop width and at phone width, no sideways scroll on the phone, and the
    screenshots if asked for. Leaves the page at the width it found it."""
    before = page.viewport_size or DESKTOP
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        assert_accessible(page)
        if size == PHONE:
            no_sideways_scroll(page)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(before)


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class World:
    org: Any
    campaign: Any
    action: Any
    upcoming: Any  # finance, in two days, make-up course: the cadre asks for leave
    past: Any  # finance, held three hours ago, with attendance, leave and make-up
    course: Any
    other_leave: Any  # a pending request of the budget section's learner


@pytest.fixture
def world(org: Any) -> World:
    from courses.factories import CourseIndexPageFactory, CoursePageFactory
    from events.factories import CampaignActionFactory, CampaignFactory, EventFactory
    from events.models import (
        ActionKind,
        Attendance,
        AttendanceMethod,
        AttendanceStatus,
        LeaveRequest,
        LeaveStatus,
        MakeUp,
        Registration,
    )
    from events.services.registration import event_audience_register
    from qinglian.models import HomePage

    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    course = CoursePageFactory(parent=index, title="警示教育录像", slug="recording")
    campaign = CampaignFactory(audience_unit=org.city, created_by=org.city_admin)
    action = CampaignActionFactory(campaign=campaign, title="集中观看警示教育片")
    CampaignActionFactory(campaign=campaign, title="开展廉政谈话")
    CampaignActionFactory(
        campaign=campaign, kind=ActionKind.CHOSEN, unit=org.finance, title="廉政知识竞赛"
    )
    start = timezone.now().replace(second=0, microsecond=0)
    upcoming = EventFactory(
        campaign=campaign,
        audience_unit=org.finance,
        trainer=org.trainer,
        title="廉政专题讲座：守住底线",
        starts_at=start + datetime.timedelta(days=2),
        makeup_course=course,
    )
    event_audience_register(event=upcoming)
    past = EventFactory(
        campaign=campaign,
        audience_unit=org.finance,
        trainer=org.trainer,
        title="警示教育大会",
        starts_at=start - datetime.timedelta(hours=3),
        makeup_course=course,
    )
    Registration.objects.filter(event=past).delete()
    Attendance.objects.filter(event=past).delete()
    for person in (org.finance_learner, org.budget_learner, org.finance_admin, org.discipline):
        Registration.objects.create(event=past, user=person)
    marks = [
        (org.finance_learner, AttendanceStatus.EXCUSED, AttendanceMethod.LEAVE),
        (org.budget_learner, AttendanceStatus.ABSENT, AttendanceMethod.ROSTER),
        (org.finance_admin, AttendanceStatus.LATE, AttendanceMethod.QR),
        (org.discipline, AttendanceStatus.PRESENT, AttendanceMethod.QR),
    ]
    for person, status, method in marks:
        Attendance.objects.create(
            event=past, user=person, status=status, method=method, checked_in_at=past.starts_at
        )
    LeaveRequest.objects.create(
        event=past,
        user=org.finance_learner,
        reason="外出开会",
        status=LeaveStatus.APPROVED,
        decided_by=org.finance_admin,
        decided_at=timezone.now(),
    )
    MakeUp.objects.create(event=past, user=org.finance_learner, course=course)
    other_leave = LeaveRequest.objects.create(
        event=upcoming, user=org.budget_learner, reason="下乡调研，无法参加"
    )
    return World(org, campaign, action, upcoming, past, course, other_leave)


def test_cadre_asks_for_leave_and_the_unit_admin_approves(
    page: Page, browser: Browser, server: str, world: World, login_as: Any
) -> None:
    from events.models import Attendance, LeaveRequest, MakeUp

    org, event = world.org, world.upcoming
    page.set_default_timeout(30_000)
    # The cadre, on a phone.
    login_as(org.finance_learner)
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/events/", timeout=120_000)
    expect(page.locator("h1")).to_have_text("我的活动")
    expect(page.locator("#past-heading + div")).to_contain_text(world.past.title)
    check(page, "my-events")  # the past event's make-up is "to do"
    page.goto(f"{server}/en/events/{event.pk}/leave/")
    check(page, "leave-form-en")
    page.goto(f"{server}/events/{event.pk}/")
    check(page, "event-detail-cadre")
    with page.expect_navigation():
        page.locator(f"a[href$='/events/{event.pk}/leave/']").click()
    check(page, "leave-form")
    page.locator("textarea[name=reason]").fill("当天在省里参加业务培训")
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    expect(page.locator(".message, .messages").first).to_be_visible()
    check(page, "event-detail-leave-pending")
    leave = LeaveRequest.objects.get(event=event, user=org.finance_learner)
    assert leave.status == "pending"
    page.goto(f"{server}/events/{world.past.pk}/")
    expect(page.locator("section[aria-labelledby=mine-heading]")).to_contain_text(
        world.course.title
    )
    check(page, "event-detail-makeup")

    # The unit admin, at a desk.
    page.context.clear_cookies()
    login_as(org.finance_admin)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server}/events/leave/")
    row = page.locator("tr", has_text=org.finance_learner.full_name)
    expect(row).to_contain_text("当天在省里参加业务培训")
    check(page, "leave-list")
    with page.expect_navigation():
        row.locator(f"a[href$='/events/leave/{leave.pk}/']").click()
    check(page, "leave-decide")
    page.locator("input[name=decision][value=approve]").check()
    page.locator("textarea[name=note]").fill("同意，请观看录像补学")
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    assert page.url.endswith("/events/leave/")
    check(page, "leave-list-after")
    leave.refresh_from_db()
    assert leave.status == "approved"
    assert Attendance.objects.get(event=event, user=org.finance_learner).status == "excused"
    assert MakeUp.objects.filter(event=event, user=org.finance_learner).exists()
    page.goto(f"{server}/events/leave/?show=approved")
    expect(page.locator("table")).to_contain_text(event.title)
    check(page, "leave-list-approved")
    # In English: the list, a pending request's page and a decided one's.
    page.goto(f"{server}/en/events/leave/")
    expect(page.locator("h1")).to_have_text("Leave requests")
    check(page, "leave-list-en")
    page.goto(f"{server}/en/events/leave/{world.other_leave.pk}/")
    expect(page.locator("input[name=decision]")).to_have_count(2)
    check(page, "leave-decide-en")
    page.goto(f"{server}/en/events/leave/{leave.pk}/")
    expect(page.locator("input[name=decision]")).to_have_count(0)
    expect(page.locator("dl.facts")).to_contain_text("同意，请观看录像补学")
    check(page, "leave-decided-en")


def test_unit_admin_reports_an_action_with_a_photo(
    page: Page, server: str, world: World, login_as: Any, tmp_path: Path
) -> None:
    from events.models import ActionEvidence, ActionReport

    org = world.org
    page.set_default_timeout(30_000)
    login_as(org.finance_admin)
    page.goto(f"{server}/events/campaigns/", timeout=120_000)
    expect(page.locator("main")).to_contain_text(world.campaign.title)
    check(page, "campaign-list")
    with page.expect_navigation():
        page.locator(f"a[href$='/events/campaigns/{world.campaign.pk}/']").first.click()
    rollup = page.locator("table.campaign-rollup")
    finance_row = rollup.locator("tr", has=page.locator("th", has_text=org.finance.name)).first
    expect(finance_row).to_contain_text(world.action.title)
    check(page, "campaign-detail")
    report_url = f"/events/campaigns/actions/{world.action.pk}/units/{org.finance.pk}/report/"
    with page.expect_navigation():
        finance_row.locator(f"a[href$='{report_url}']").click()
    check(page, "action-report-form")
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(png_bytes())
    page.locator("input[name=done_on]").fill(timezone.localdate().isoformat())
    page.locator("textarea[name=summary]").fill(
        "组织全局干部集中观看警示教育片《镜鉴》，并开展讨论。"
    )
    page.locator("input[name=participants]").fill("48")
    page.locator("input[name=evidence]").set_input_files(str(photo))
    page.locator("input[name=caption]").fill("观看现场")
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    report = ActionReport.objects.get(action=world.action, unit=org.finance)
    assert page.url.endswith(f"/events/campaigns/reports/{report.pk}/")
    evidence = ActionEvidence.objects.get(report=report)
    assert evidence.content_type == "image/png"
    image = page.locator("img.evidence-item__image")
    expect(image).to_have_attribute("alt", "观看现场")
    # The image loads lazily: bring it into view and wait for it (or its error).
    image.scroll_into_view_if_needed()
    natural_width = image.evaluate(
        """img => img.complete ? img.naturalWidth : new Promise(resolve => {
            img.addEventListener("load", () => resolve(img.naturalWidth), {once: true});
            img.addEventListener("error", () => resolve(0), {once: true});
        })"""
    )
    assert natural_width == 64
    check(page, "action-report-detail")
    # Back on the campaign, the action is done for the finance bureau.
    page.goto(f"{server}/events/campaigns/{world.campaign.pk}/")
    expect(finance_row.locator(".rollup-cell--done")).to_contain_text(world.action.title)
    check(page, "campaign-detail-after")
    page.goto(f"{server}/en/events/campaigns/{world.campaign.pk}/")
    check(page, "campaign-detail-en")


def test_trainer_plans_an_event_resets_the_calendar_and_imports_a_bad_sheet(
    page: Page, server: str, world: World, login_as: Any, tmp_path: Path
) -> None:
    from events.models import Attendance, Event, Registration

    org = world.org
    page.set_default_timeout(30_000)
    login_as(org.trainer)
    page.goto(f"{server}/events/manage/", timeout=120_000)
    expect(page.locator("main")).to_contain_text(world.upcoming.title)
    check(page, "event-manage")
    page.goto(f"{server}/events/new/")
    check(page, "event-create")
    # Sending it empty lists the problems; nothing is saved.
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    expect(page.locator(".message--error")).to_be_visible()
    check(page, "event-create-errors")
    start = timezone.localtime().replace(second=0, microsecond=0) + datetime.timedelta(days=5)

    def local(value: datetime.datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M")

    page.locator("input[name=title]").fill("观看警示教育片《镜鉴》")
    page.locator("select[name=kind]").select_option("film")
    page.locator("select[name=campaign]").select_option(str(world.campaign.pk))
    page.locator("input[name=starts_at]").fill(local(start))
    page.locator("input[name=ends_at]").fill(local(start + datetime.timedelta(hours=2)))
    page.locator("input[name=venue]").fill("机关五楼报告厅")
    page.locator("select[name=audience_unit]").select_option(str(org.finance.pk))
    page.locator("select[name=trainer]").select_option(str(org.trainer.pk))
    page.locator("input[name=credit_hours]").fill("1.5")
    page.locator("input[name=checkin_opens_at]").fill(local(start - datetime.timedelta(minutes=30)))
    page.locator("input[name=checkin_closes_at]").fill(local(start + datetime.timedelta(hours=2)))
    page.locator("input[name=late_after_minutes]").fill("10")
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    event = Event.objects.get(title="观看警示教育片《镜鉴》")
    assert page.url.endswith(f"/events/{event.pk}/")
    check(page, "event-detail-trainer")
    # The trainer is not in the audience but may take a place.
    with page.expect_navigation():
        page.locator(f"form[action$='/events/{event.pk}/register/'] [type=submit]").click()
    assert Registration.objects.filter(event=event, user=org.trainer, cancelled_at=None).exists()
    expect(page.locator(f"form[action$='/events/{event.pk}/unregister/']")).to_be_visible()
    check(page, "event-detail-registered")
    with page.expect_navigation():
        page.locator(f"a[href$='/events/{event.pk}/edit/']").first.click()
    check(page, "event-edit")
    page.locator("input[name=venue]").fill("机关六楼会议室")
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    event.refresh_from_db()
    assert event.venue == "机关六楼会议室"
    check(page, "event-detail-saved")

    # The calendar page: the private feed URL, then a new one.
    page.goto(f"{server}/events/calendar/")
    old = page.locator("#feed-url").input_value()
    assert "/calendar/" in old and old.endswith(".ics")
    check(page, "calendar")
    with page.expect_navigation():
        page.locator("form[action$='/calendar/reset/'] [type=submit]").click()
    assert page.url.endswith("/events/calendar/")
    assert page.locator("#feed-url").input_value() != old
    check(page, "calendar-reset")

    # A paper sheet with two bad rows: nothing is imported and each row's problem is listed.
    fin, bud = org.finance_learner, org.budget_learner
    sheet = tmp_path / "签到表.csv"
    sheet.write_text(
        "工号,姓名,状态\n"
        f"{fin.employee_number},{fin.full_name},出席\n"
        "NOPE,某人,出席\n"
        f"{bud.employee_number},{bud.full_name},旷工\n",
        encoding="utf-8",
    )
    page.goto(f"{server}/events/{world.past.pk}/roster/import/")
    check(page, "sheet-import")
    page.locator("input[name=file]").set_input_files(str(sheet))
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    issues = page.locator(".import-issues li")
    expect(issues).to_have_count(2)
    expect(issues.nth(0)).to_contain_text("3")
    expect(issues.nth(1)).to_contain_text("旷工")
    check(page, "sheet-import-errors")
    assert Attendance.objects.filter(event=world.past).count() == 4  # unchanged
    page.goto(f"{server}/events/{world.past.pk}/roster/")
    check(page, "roster-past")


def test_discipline_officer_reads_the_reports(
    page: Page, server: str, world: World, login_as: Any
) -> None:
    org = world.org
    page.set_default_timeout(30_000)
    login_as(org.discipline)
    for prefix, lang in (("", "zh"), ("/en", "en")):
        page.goto(f"{server}{prefix}/events/reports/", timeout=120_000)
        expect(page.locator("main")).to_contain_text(world.past.title)
        check(page, f"report-index-{lang}")
        with page.expect_navigation():
            page.locator(f"a[href$='/events/{world.past.pk}/report/']").click()
        expect(page.locator("main")).to_contain_text(org.budget_learner.full_name)
        check(page, f"report-event-{lang}")
        page.goto(f"{server}{prefix}/events/{world.past.pk}/report/?status=absent")
        check(page, f"report-event-absent-{lang}")
        page.goto(f"{server}{prefix}/events/reports/")
        with page.expect_navigation():
            page.locator(f"a[href$='/events/campaigns/{world.campaign.pk}/report/']").click()
        expect(page.locator("main")).to_contain_text(world.past.title)
        check(page, f"report-campaign-{lang}")
        page.goto(f"{server}{prefix}/events/campaigns/{world.campaign.pk}/")
        check(page, f"campaign-detail-discipline-{lang}")
