"""Issue #8's end-to-end check: a cadre studies an assigned course to completion in the
pages, opens "My certificates", finds the certificate the completion issued (rendered by
the task, downloaded as a PDF), follows the QR code's link to the public verification page
and sees it valid with the name masked (张*丰); the verification page also fits a 360 px
phone. axe reports no violation on any page on the way."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, no_sideways_scroll

pytestmark = pytest.mark.browser

COURSE_TITLE = "中央八项规定精神学习"


def zh(text: str) -> re.Pattern[str]:
    """The Chinese label (the site's default language) as a pattern."""
    with translation.override("zh-hans"):
        return re.compile(re.escape(translation.gettext(text)))


@pytest.fixture
def assigned_course(org: Any) -> Any:
    from django.utils import timezone

    from certificates.demo import demo_certificate_templates_build
    from courses.factories import CourseIndexPageFactory, CoursePageFactory, LessonPageFactory
    from courses.models import Enrolment
    from qinglian.models import HomePage

    demo_certificate_templates_build()  # the demo's templates: signatories and the seal
    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    course = CoursePageFactory(
        parent=index, title=COURSE_TITLE, slug="bxgd", credit_hours=Decimal("3.0")
    )
    LessonPageFactory(parent=course, title="第一课 八项规定的主要内容", slug="bxgd-1")
    LessonPageFactory(parent=course, title="第二课 实施细则要点", slug="bxgd-2")
    Enrolment.objects.create(
        user=org.finance_learner,
        course=course,
        required=True,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    return course


def test_course_completion_to_certificate_and_its_verification(
    page: Page,
    server: str,
    org: Any,
    assigned_course: Any,
    login_as: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    from certificates.models import Certificate

    # The QR code holds the absolute address of the verification page: this server's.
    settings.WAGTAILADMIN_BASE_URL = server
    learner = org.finance_learner
    assert learner.full_name == "张三丰"
    login_as(learner)

    # 1. Study the course to completion in the pages.
    page.goto(f"{server}/me/")
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name=COURSE_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE_TITLE)
    assert_accessible(page)
    page.get_by_role("main").get_by_role("link", name=zh("Start")).click()
    for title in ("第一课 八项规定的主要内容", "第二课 实施细则要点"):
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        assert_accessible(page)
        with page.expect_navigation():
            page.get_by_role("button", name=zh("Mark as studied")).click()
        expect(page.get_by_role("main")).to_contain_text(zh("You have completed this lesson."))
        assert_accessible(page)
        next_link = page.locator("a[rel=next]")
        if next_link.count():
            next_link.click()

    # One certificate, issued by the completion (not by the test).
    certificate = Certificate.objects.get(user=learner, is_current=True)
    assert certificate.achievement_title == COURSE_TITLE
    assert certificate.template is not None and certificate.template.title == "结业证书"

    # 2. "My certificates": the certificate, its PDF once rendered (the page reloads
    # itself while the PDF is being prepared).
    page.goto(f"{server}/me/certificates/")
    assert_accessible(page)
    card = page.locator(".certificate-card").filter(has_text=COURSE_TITLE)
    expect(card).to_have_count(1)
    download_link = card.locator(f"a[href$='/me/certificates/{certificate.pk}/pdf/']")
    expect(download_link).to_be_visible(timeout=60_000)
    assert_accessible(page)  # the page as it is now (after any reload)
    expect(card).to_contain_text(certificate.serial)
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == f"{certificate.serial}.pdf"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.read_bytes()[:5] == b"%PDF-"

    # 3. The QR code's link: the public verification page, valid, the name masked.
    with page.expect_navigation():
        card.locator("a.certificate-card__qr").click()
    assert re.search(rf"/verify/{certificate.code}/$", page.url), page.url
    assert_accessible(page)
    result = page.locator(".verify__result")
    expect(result.locator(".verify__status")).to_contain_text(zh("Valid"))
    expect(result).to_contain_text("张*丰")
    expect(page.get_by_role("main")).not_to_contain_text("张三丰")
    expect(result).to_contain_text(certificate.serial)

    # 4. The same page on a phone, signed out (as whoever scans the QR code sees it).
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.reload()
    expect(result.locator(".verify__status")).to_contain_text(zh("Valid"))
    expect(result).to_contain_text("张*丰")
    assert_accessible(page)
    no_sideways_scroll(page)
