""" "My certificates" (/me/certificates/): the holder's own certificates with their state,
download, verification link and QR code; nobody else's; superseded and revoked ones apart."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation

from certificates.factories import CertificateFactory
from certificates.models import Certificate, RenderStatus


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def ready(user, **kwargs) -> Certificate:
    certificate = CertificateFactory(user=user, status=RenderStatus.READY, **kwargs)
    data = f"%PDF-1.7 {certificate.serial}".encode()
    certificate.file.save(f"{certificate.serial}.pdf", ContentFile(data), save=True)
    return certificate


@pytest.fixture
def settings_base(settings):
    settings.WAGTAILADMIN_BASE_URL = "https://qinglian.example.gov.cn"
    return settings


def test_the_holder_sees_their_certificate_with_download_link_and_qr(client, org, settings_base):
    mine = ready(org.finance_learner, achievement_title="党纪学习教育专题课程")
    ready(org.budget_learner, achievement_title="别人的课程")
    client.force_login(org.finance_learner)
    response = client.get(url("my_certificates:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "党纪学习教育专题课程" in body and mine.serial in body
    assert "别人的课程" not in body
    assert "Valid" in body
    assert url("my_certificates:pdf", mine.pk) in body
    verify = f"https://qinglian.example.gov.cn/verify/{mine.code}/"
    # The QR code is an inline SVG inside a link to the verification page.
    qr_link = re.search(r'<a class="certificate-card__qr" href="([^"]+)">\s*<svg', body)
    assert qr_link is not None and qr_link.group(1) == verify
    assert "data-refresh-seconds" not in body


def test_a_certificate_being_prepared_says_so_and_offers_no_download(client, org):
    pending = CertificateFactory(user=org.finance_learner, status=RenderStatus.PENDING)
    client.force_login(org.finance_learner)
    body = client.get(url("my_certificates:list")).content.decode()
    assert "Being prepared" in body and "The PDF is being prepared." in body
    assert url("my_certificates:pdf", pending.pk) not in body
    assert "data-refresh-seconds" in body and "come back later" in body
    # Asking for its PDF anyway leads back to the list with a word.
    response = client.get(url("my_certificates:pdf", pending.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("my_certificates:list")
    assert "still being prepared" in response.content.decode()


def test_superseded_and_revoked_certificates_are_listed_apart_and_marked(client, org):
    new = ready(org.finance_learner, achievement_title="新证书课程", source_id=7001)
    old = ready(
        org.finance_learner,
        achievement_title="旧证书课程",
        source_id=7002,
        is_current=False,
        superseded_at=timezone.now(),
    )
    revoked = ready(
        org.finance_learner,
        achievement_title="撤销的证书",
        source_id=7003,
        revoked_at=datetime.datetime(2026, 11, 21, 9, tzinfo=datetime.UTC),
        revoked_reason="弄虚作假",
    )
    client.force_login(org.finance_learner)
    body = client.get(url("my_certificates:list")).content.decode()
    current_part, past_part = body.split("Superseded and revoked certificates", 1)
    assert "新证书课程" in current_part and url("my_certificates:pdf", new.pk) in current_part
    assert "旧证书课程" in past_part and "Superseded" in past_part
    assert "撤销的证书" in past_part and "Revoked" in past_part and "2026-11-21" in past_part
    assert "旧证书课程" not in current_part and "撤销的证书" not in current_part
    # Neither can be downloaded any more; their verification pages say why.
    for gone in (old, revoked):
        assert url("my_certificates:pdf", gone.pk) not in body
        assert client.get(url("my_certificates:pdf", gone.pk)).status_code == 404
        assert f"/verify/{gone.code}/" in past_part


def test_the_empty_page_explains_how_certificates_are_earned(client, org):
    client.force_login(org.housing_learner)
    body = client.get(url("my_certificates:list")).content.decode()
    assert "You have no certificate yet." in body
    assert "issued automatically when you complete a course" in body


def test_the_holder_downloads_the_stored_pdf_as_an_attachment(client, org):
    certificate = ready(org.finance_learner)
    client.force_login(org.finance_learner)
    response = client.get(url("my_certificates:pdf", certificate.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.serial}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == f"%PDF-1.7 {certificate.serial}".encode()


@pytest.mark.parametrize("who", ["budget_learner", "finance_admin", "superuser"])
def test_nobody_else_downloads_it_from_my_certificates(client, org, who):
    certificate = ready(org.finance_learner)
    client.force_login(getattr(org, who))
    assert client.get(url("my_certificates:pdf", certificate.pk)).status_code == 404
    assert client.get(url("my_certificates:pdf", certificate.pk + 999)).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, org):
    certificate = ready(org.finance_learner)
    for target in (url("my_certificates:list"), url("my_certificates:pdf", certificate.pk)):
        response = client.get(target)
        assert response.status_code == 302 and "login" in response["Location"]


def test_my_learning_links_to_my_certificates(client, org):
    client.force_login(org.finance_learner)
    body = client.get(url("me:learning")).content.decode()
    assert f'href="{url("my_certificates:list")}"' in body


def test_the_list_needs_the_same_queries_for_one_or_many(
    client, org, django_assert_max_num_queries
):
    client.force_login(org.finance_learner)
    target = url("my_certificates:list")
    ready(org.finance_learner, source_id=8000)
    client.get(target)
    with django_assert_max_num_queries(10) as one:
        client.get(target)
    for n in range(1, 6):
        ready(org.finance_learner, source_id=8000 + n)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(target).status_code == 200
