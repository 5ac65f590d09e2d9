"""The verification page's other answers (revoked, a miss, the lookup form) and the
managers' certificate pages on a 360 px phone: a unit admin finds a certificate, the
revoke form shows its errors, the certificate is revoked and its verification page says
so. axe reports no violation on any page."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, no_sideways_scroll

pytestmark = pytest.mark.browser


def test_revoke_on_a_phone_then_verify(page: Page, server: str, org: Any, login_as: Any) -> None:
    from certificates.factories import CertificateFactory
    from certificates.models import Certificate, RenderStatus

    certificate = CertificateFactory(
        user=org.budget_learner,
        status=RenderStatus.READY,
        code="7K3M9Q2XA8BCD4EF",
        achievement_title="党纪学习教育专题课程（长标题用于检查手机上的换行是否正常显示）",
        issuer="某市纪委监委",
    )
    page.set_viewport_size(PHONE)

    # The public lookup: the form, then a miss, on a phone and without logging in.
    page.goto(f"{server}/verify/")
    assert_accessible(page)
    no_sideways_scroll(page)
    page.locator("input[name=code]").fill("zzzz-zzzz-zzzz-zzzz")
    with page.expect_navigation():
        page.locator("form.verify__form [type=submit]").click()
    assert page.url.endswith("/verify/ZZZZZZZZZZZZZZZZ/"), page.url
    expect(page.locator(".verify__result--miss")).to_be_visible()
    assert_accessible(page)
    no_sideways_scroll(page)

    # The unit admin's list, the certificate, the revoke form with its errors.
    login_as(org.finance_admin)
    page.goto(f"{server}/certificates/")
    assert_accessible(page)
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.get_by_role("link", name=certificate.serial).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(certificate.serial)
    assert_accessible(page)
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator(f"a[href$='/certificates/{certificate.pk}/revoke/']").click()
    assert_accessible(page)
    no_sideways_scroll(page)
    with page.expect_navigation():
        page.locator("form.form-card [type=submit]").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_accessible(page)
    no_sideways_scroll(page)
    page.locator("textarea[name=reason]").fill("学时记录与签到记录不符")
    page.locator("input[name=confirm]").check()
    with page.expect_navigation():
        page.locator("form.form-card [type=submit]").click()
    expect(page.locator(".cert-state--revoked").first).to_be_visible()
    assert_accessible(page)
    no_sideways_scroll(page)
    assert Certificate.objects.get(pk=certificate.pk).revoked_at is not None

    # What anyone scanning the QR code now sees: revoked, with the date, not the reason.
    page.context.clear_cookies()
    page.goto(f"{server}/verify/{certificate.code.lower()}/")
    status = page.locator(".verify__result .verify__status")
    expect(status).to_contain_text(timezone.localdate().isoformat())
    expect(page.locator(".cert-state--revoked")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("李*")
    expect(page.get_by_role("main")).not_to_contain_text("签到记录不符")
    assert_accessible(page)
    no_sideways_scroll(page)
