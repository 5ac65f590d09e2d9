"""A cadre takes a timed quiz on a phone (360×740): starts it, answers questions, reloads
in the middle without losing the autosaved answers, submits from the confirmation page
and reads the review. Every page is checked with axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, no_sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def timed_quiz(org: Any) -> Any:
    from tests.quizzes.conftest import bank_create, quiz_create

    bank = bank_create(name="浏览器题库", per_type=1)  # one question of each type
    return quiz_create(
        category=bank.category,
        draw=4,
        slug="lianzheng-test",
        title="廉政知识测试",
        time_limit_minutes=20,
        questions_per_page=2,
        shuffle_questions=False,
        review_answers_after_submit=True,
        review_explanations_after_submit=True,
    )


def shot(page: Page, name: str) -> None:
    """With QINGLIAN_QUIZ_SHOTS=<dir>, keep a full-page screenshot for a human to look at."""
    import os

    folder = os.environ.get("QINGLIAN_QUIZ_SHOTS")
    if folder:
        page.screenshot(path=f"{folder}/quiz-{name}.png", full_page=True)


def test_cadre_takes_a_timed_quiz_on_a_phone(
    page: Page, server: str, org: Any, timed_quiz: Any, login_as: Any
) -> None:
    from quizzes.models import Attempt

    page.set_viewport_size(PHONE)
    login_as(org.finance_learner)

    page.goto(f"{server}/quizzes/{timed_quiz.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("廉政知识测试")
    assert_accessible(page)
    no_sideways_scroll(page)
    shot(page, "landing")
    with page.expect_navigation():
        page.locator("form.quiz-start button[type=submit]").click()

    # Page 1: the server's countdown is running
    expect(page.locator("fieldset.quiz-question")).to_have_count(2)
    timer = page.locator("#quiz-timer")
    first_reading = timer.inner_text()
    assert re.fullmatch(r"(19|20):\d\d", first_reading)
    expect(timer).not_to_have_text(first_reading, timeout=3000)
    assert_accessible(page)
    no_sideways_scroll(page)
    shot(page, "page1")

    attempt = Attempt.objects.get(user=org.finance_learner)
    slots = list(attempt.slots.select_related("version").order_by("position"))
    by_type = {s.version.content["qtype"]: s for s in slots}
    assert [s.version.content["qtype"] for s in slots[:2]] == ["single", "multiple"]

    def right_keys(slot: Any) -> list[str]:
        from quizzes.grading import correct_option_ids

        correct = correct_option_ids(slot.version.content)
        return [k for k, option_id in slot.option_keys if option_id in correct]

    # answer page 1 by tapping the labels, then "Save and next"
    for key in right_keys(by_type["single"]) + right_keys(by_type["multiple"]):
        page.locator(f"label[for='o-{key}']").click()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Save and next|保存并")).click()
    expect(page).to_have_url(re.compile(r"page=2"))

    # page 2: answer, wait for the autosave, reload: nothing is lost
    tf_key = right_keys(by_type["truefalse"])[0]
    page.locator(f"label[for='o-{tf_key}']").click()
    fill_text = by_type["fill"].version.content["options"][0]["text"]
    page.locator(f"#t-{by_type['fill'].key}").fill("　" + fill_text.lower() + " ")
    expect(page.locator("#quiz-status")).to_contain_text(re.compile(r"\d"), timeout=30_000)
    page.reload()
    expect(page.locator(f"#o-{tf_key}")).to_be_checked()
    expect(page.locator(f"#t-{by_type['fill'].key}")).to_have_value(fill_text.lower())
    assert_accessible(page)
    shot(page, "page2-reloaded")

    # back to page 1 through the page list: the answers saved by the form are there too
    with page.expect_navigation():
        page.locator("nav.quiz-pages button", has_text="1").click()
    for key in right_keys(by_type["single"]) + right_keys(by_type["multiple"]):
        expect(page.locator(f"#o-{key}")).to_be_checked()
    assert_accessible(page)

    # finish → confirmation (nothing unanswered) → submit
    with page.expect_navigation():
        page.locator("button[value=finish]").click()
    expect(page.locator(".message--success")).to_be_visible()
    assert_accessible(page)
    no_sideways_scroll(page)
    shot(page, "confirm")
    with page.expect_navigation():
        page.locator("form#quiz-form button[type=submit]").click()

    # the review: full marks, the right answers and the explanations are shown
    expect(page).to_have_url(re.compile(r"/review/$"))
    expect(page.locator(".quiz-score")).to_contain_text("100")
    expect(page.locator(".quiz-explanation")).to_have_count(4)
    assert_accessible(page)
    no_sideways_scroll(page)
    shot(page, "review")
    attempt.refresh_from_db()
    assert attempt.status == "submitted" and attempt.score == attempt.max_score

    # the landing page lists the result
    page.goto(f"{server}/quizzes/{timed_quiz.slug}/")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    assert_accessible(page)
