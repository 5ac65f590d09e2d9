"""On a 360 px phone: a unit admin prepares the ZIP of a course's certificates and
downloads it; a cadre reads "My certificates" with a current and a superseded certificate.
axe reports no violation on any of the pages."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from .conftest import PHONE, assert_accessible, no_sideways_scroll

pytestmark = pytest.mark.browser


def zh(text: str) -> re.Pattern[str]:
    with translation.override("zh-hans"):
        return re.compile(re.escape(translation.gettext(text)))


def ready(user: Any, source_id: int = 501, **kwargs: Any) -> Any:
    from django.core.files.base import ContentFile

    from certificates.factories import CertificateFactory
    from certificates.models import RenderStatus

    certificate = CertificateFactory(
        user=user,
        source_id=source_id,
        status=RenderStatus.READY,
        achievement_title="习近平新时代中国特色社会主义思想专题学习课程",
        **kwargs,
    )
    certificate.file.save(f"{certificate.serial}.pdf", ContentFile(b"%PDF-1.7"), save=True)
    return certificate


def test_a_unit_admin_prepares_and_downloads_a_zip_on_a_phone(
    page: Page, server: str, org: Any, login_as: Any, tmp_path: Path
) -> None:
    mine = [ready(org.finance_learner), ready(org.budget_learner)]
    ready(org.housing_learner)  # another bureau's: not in the ZIP
    login_as(org.finance_admin)
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/certificates/batches/")
    assert_accessible(page)
    no_sideways_scroll(page)
    page.get_by_role("button", name=re.compile("习近平新时代")).click()
    # Built on commit (Celery runs eagerly in tests): the page offers the download.
    link = page.get_by_role("link", name=zh("Download ZIP"))
    expect(link).to_be_visible(timeout=30_000)
    assert_accessible(page)
    no_sideways_scroll(page)
    with page.expect_download() as info:
        link.click()
    target = tmp_path / "batch.zip"
    info.value.save_as(target)
    names = zipfile.ZipFile(io.BytesIO(target.read_bytes())).namelist()
    assert sorted(names) == sorted(
        [f"{mine[0].serial}-张三丰.pdf", f"{mine[1].serial}-李四.pdf", "manifest.csv"]
    )


def test_my_certificates_on_a_phone(page: Page, server: str, org: Any, login_as: Any) -> None:
    from django.utils import timezone

    current = ready(org.finance_learner)
    old = ready(org.finance_learner, source_id=502, is_current=False, superseded_at=timezone.now())
    login_as(org.finance_learner)
    page.set_viewport_size(PHONE)
    page.goto(f"{server}/me/certificates/")
    assert_accessible(page)
    no_sideways_scroll(page)
    card = page.locator(".certificate-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(current.serial)
    expect(page.get_by_role("table")).to_contain_text(old.serial)
