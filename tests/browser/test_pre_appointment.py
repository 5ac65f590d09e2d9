"""The pre-appointment programme end to end: a unit admin records an appointment in the
form; the appointee, on a phone (360 px), follows the checklist: opens the course from it,
studies the lesson, takes and passes the test, signs the integrity pledge; a discipline
officer schedules and records the talk in the talk-record pages; the dashboard shows the
official cleared. Every page visited is checked with axe-core, and the phone pages never
scroll sideways."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, no_sideways_scroll
from .test_study_to_completion import zh

pytestmark = pytest.mark.browser


@pytest.fixture
def programme(org: Any) -> Any:
    """The shared programme, its test drawing real questions (one of each type)."""
    from tests.quizzes.conftest import bank_create, quiz_create
    from tests.talks.test_appointment_support import build_programme

    programme = build_programme()
    bank = bank_create(name="任前题库", per_type=1)
    quiz = quiz_create(
        category=bank.category,
        draw=len(bank.all),
        slug="pre-appointment-quiz",
        title="任前廉政知识测试",
        questions_per_page=len(bank.all),
        pass_percent=60,
    )
    programme.course.quiz = quiz
    programme.course.save(update_fields=["quiz"])
    programme.quiz = quiz
    return programme


def answer_rightly(page: Page, attempt: Any) -> None:
    """Tap the right options (and type the right words) of every question on the page."""
    from quizzes.grading import correct_option_ids

    for slot in attempt.slots.select_related("version").order_by("position"):
        content = slot.version.content
        if content["qtype"] == "fill":
            page.locator(f"#t-{slot.key}").fill(content["options"][0]["text"])
            continue
        correct = correct_option_ids(content)
        for key, option_id in slot.option_keys:
            if option_id in correct:
                page.locator(f"label[for='o-{key}']").click()


def test_appointment_to_cleared(
    page: Page, server: str, org: Any, programme: Any, login_as: Any
) -> None:
    from talks.models import Appointment, AppointmentStatus, StepStatus, TalkKind, TalkRecord

    official = org.finance_learner

    # 1. The unit admin records the appointment in the form.
    login_as(org.finance_admin)
    page.goto(f"{server}/appointments/new/")
    assert_accessible(page)
    page.locator("#id_person").fill(official.email)
    page.locator("#id_position_title").fill("预算科副科长")
    page.locator("#id_rank_level").select_option(label="副科级")
    today = timezone.localdate()
    page.locator("#id_decision_date").fill(today.isoformat())
    # First try: a take-office date before the decision date is refused on the form.
    page.locator("#id_take_office_date").fill((today - datetime.timedelta(days=1)).isoformat())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("[role=alert]").first).to_be_visible()
    assert not Appointment.objects.exists()
    assert_accessible(page)
    page.locator("#id_take_office_date").fill((today + datetime.timedelta(days=14)).isoformat())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    appointment = Appointment.objects.get()
    expect(page).to_have_url(f"{server}/appointments/{appointment.pk}/")
    assert_accessible(page)
    page.goto(f"{server}/appointments/")
    expect(page.get_by_role("main")).to_contain_text(official.full_name)
    assert_accessible(page)

    # 2. On a phone the appointee opens the course from the checklist, studies the lesson,
    # takes and passes the test, then signs the pledge.
    from quizzes.models import Attempt

    page.context.clear_cookies()
    login_as(official)
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/appointments/mine/")
    assert_accessible(page)
    no_sideways_scroll(page)
    expect(page.get_by_role("main")).to_contain_text("预算科副科长")
    with page.expect_navigation():
        page.locator(f"main a[href$='{programme.course.url}']").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(programme.course.title)
    assert_accessible(page)
    no_sideways_scroll(page)
    page.get_by_role("main").get_by_role("link", name=zh("Start")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(programme.lesson.title)
    assert_accessible(page)
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.get_by_role("button", name=zh("Mark as studied")).click()
    expect(page.get_by_role("main")).to_contain_text(zh("You have completed this lesson."))
    assert_accessible(page)

    page.goto(f"{server}/appointments/mine/")
    assert_accessible(page)
    with page.expect_navigation():
        page.locator(f"main a[href*='/quizzes/{programme.quiz.slug}/']").click()
    assert_accessible(page)
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator("form.quiz-start button[type=submit]").click()
    assert_accessible(page)
    no_sideways_scroll(page)
    answer_rightly(page, Attempt.objects.get(user=official, quiz=programme.quiz))
    with page.expect_navigation():
        page.locator("button[value=finish]").click()
    expect(page.locator(".message--success")).to_be_visible()
    assert_accessible(page)
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator("form#quiz-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/review/$"))
    assert_accessible(page)
    no_sideways_scroll(page)
    attempt = Attempt.objects.get(user=official, quiz=programme.quiz)
    assert attempt.status == "submitted" and attempt.passed
    # The course counts as completed once its lesson is studied and its test passed.
    steps = dict(appointment.steps.values_list("kind", "status"))
    assert steps["course"] == steps["quiz"] == StepStatus.DONE

    page.goto(f"{server}/appointments/mine/")
    assert_accessible(page)
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator(f"main a[href*='/pledges/sign/{programme.pledge.pk}/']").click()
    assert_accessible(page)
    no_sideways_scroll(page)
    page.locator("input[name=typed_name]").fill(official.full_name)
    page.locator("input[name=confirm]").check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert_accessible(page)
    steps = dict(appointment.steps.values_list("kind", "status"))
    assert steps == {
        "course": StepStatus.DONE,
        "quiz": StepStatus.DONE,
        "talk": StepStatus.PENDING,
        "pledge": StepStatus.DONE,
    }

    # 3. The discipline officer schedules the talk, then records it, in the talk pages.
    page.context.clear_cookies()
    login_as(org.discipline)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}/en/talk-records/new/")
    page.get_by_label("Kind of talk").select_option(TalkKind.PRE_APPOINTMENT.value)
    page.get_by_label("Official", exact=True).select_option(str(official.pk))
    page.get_by_label("Appointment").select_option(str(appointment.pk))
    held = timezone.localtime() - datetime.timedelta(hours=1)
    page.get_by_label("Time").fill(held.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place").fill("纪委谈话室")
    page.get_by_label("Outline").fill("谈话提纲：新岗位廉政风险。")
    assert_accessible(page)
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("main")).to_contain_text(official.full_name)
    talk_id = TalkRecord.objects.get(appointment=appointment).pk
    assert page.url.rstrip("/").endswith(f"/talk-records/{talk_id}")
    assert_accessible(page)
    page.goto(f"{server}/en/talk-records/{talk_id}/record/")
    page.get_by_label("Record of the talk").fill("谈话记录：严守财经纪律。")
    page.get_by_label("Summary for the official").fill("组织提出三点要求。")
    assert_accessible(page)
    page.get_by_role("button", name="Save the record").click()
    expect(page.get_by_role("main")).to_contain_text("谈话记录：严守财经纪律。")
    # The talk's page once the talk is recorded (the record, the summary, the follow-up).
    assert page.url.rstrip("/").endswith(f"/talk-records/{talk_id}")
    assert_accessible(page)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLEARED

    # 4. The dashboard shows the official cleared.
    page.context.clear_cookies()
    login_as(org.discipline)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}/appointments/?status=cleared")
    expect(page.get_by_role("main")).to_contain_text(official.full_name)
    expect(page.locator("main table .step-state--done").last).to_be_visible()
    assert_accessible(page)
    page.goto(f"{server}/appointments/{appointment.pk}/")
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/appointments/")
    assert_accessible(page)
    no_sideways_scroll(page)
