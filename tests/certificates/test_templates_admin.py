"""Certificate templates in the Wagtail admin: trainers (and superusers) write them, with
the kinds as checkboxes and a PDF preview; wording with markup or resource references
and seals that are not PNG or JPEG are refused with a message on the form; everyone else
is kept out."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image as PILImage
from pypdf import PdfReader
from wagtail.images import get_image_model
from wagtail.users.models import UserProfile

from certificates.factories import CertificateFactory, CertificateTemplateFactory
from certificates.models import CertificateTemplate

pytestmark = pytest.mark.django_db

NS = "wagtailsnippets_certificates_certificatetemplate"


def url(name: str, *args) -> str:
    return reverse(f"{NS}:{name}", args=args)


def login(client, user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(user)
    return user


def form_data(**overrides) -> dict:
    data = {
        "name": "课程结业证书",
        "kinds": ["course", "campaign"],
        "language": "zh-hans",
        "orientation": "landscape",
        "title": "结业证书",
        "body": "{name}同志：\n你于{date}完成“{achievement}”学习，计{hours}学时。",
        "title_en": "",
        "body_en": "",
        "issuer": "示范市纪委监委",
        "background": "",
        "seal": "",
        "validity_months": "",
        "is_active": "on",
        "signatories-TOTAL_FORMS": "1",
        "signatories-INITIAL_FORMS": "0",
        "signatories-MIN_NUM_FORMS": "0",
        "signatories-MAX_NUM_FORMS": "1000",
        "signatories-0-name": "王清正",
        "signatories-0-title": "宣传部部长",
        "signatories-0-signature": "",
        "signatories-0-id": "",
        "signatories-0-ORDER": "1",
        "signatories-0-DELETE": "",
    }
    data.update(overrides)
    return data


def image(kind: str, name: str):
    buf = io.BytesIO()
    PILImage.new("RGB", (40, 40), (200, 20, 20)).save(buf, kind)
    img = get_image_model()(title=name)
    img.file.save(name, ContentFile(buf.getvalue()), save=False)
    img.width = img.height = 40
    img.save()
    return img


def test_a_trainer_adds_a_template_with_kinds_as_checkboxes(client, org):
    login(client, org.trainer)
    index = client.get(url("list"))
    assert index.status_code == 200
    page = client.get(url("add"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="checkbox" name="kinds" value="appointment"' in html
    response = client.post(url("add"), form_data())
    assert response.status_code == 302, response.content.decode()[:3000]
    template = CertificateTemplate.objects.get(name="课程结业证书")
    assert template.kinds == ["course", "campaign"]
    assert [(s.name, s.title) for s in template.signatories.all()] == [("王清正", "宣传部部长")]
    # The menu shows the templates to the trainer.
    assert "Certificate templates" in client.get("/admin/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("body", "{name} url(https://evil.example/x.png)", "plain text only"),
        ("body", "{name}<img src=file:///etc/passwd>", "plain text only"),
        ("title", "结业证书 @import x", "plain text only"),
        ("body", "{name} {rank}", "Unknown placeholder {rank}"),
        ("body_en", "{name completed", "Unbalanced braces"),
        ("signatories-0-title", "//evil.example", "plain text only"),
    ],
)
def test_a_template_with_markup_or_a_resource_reference_is_refused(
    client, org, field, value, message
):
    login(client, org.trainer)
    response = client.post(url("add"), form_data(**{field: value}))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert value.replace("&", "&amp;").replace("<", "&lt;")[:12] in html  # kept in the form
    assert not CertificateTemplate.objects.exists()


@pytest.mark.parametrize("kind", ["GIF", "BMP"])
def test_a_seal_that_is_not_png_or_jpeg_is_refused_on_the_form(client, org, kind):
    seal = image(kind, f"seal.{kind.lower()}")
    login(client, org.trainer)
    response = client.post(url("add"), form_data(seal=str(seal.pk)))
    assert response.status_code == 200
    assert "Choose a PNG or JPEG image." in response.content.decode()
    assert not CertificateTemplate.objects.exists()


def test_the_preview_is_the_pdf_of_a_sample_certificate(client, org):
    login(client, org.trainer)
    seal = image("PNG", "seal.png")
    answer = client.post(url("preview_on_add"), form_data(seal=str(seal.pk)))
    assert json.loads(answer.content) == {"is_valid": True, "is_available": True}
    response = client.get(url("preview_on_add"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(
        "".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(response.content)).pages
    )
    assert "张三丰" in text and "QL-2026-000000" in text and "示范市纪委监委" in text


def test_the_preview_of_a_saved_template_shows_the_edits(client, org):
    template = CertificateTemplateFactory(title="旧标题")
    login(client, org.trainer)
    answer = client.post(
        url("preview_on_edit", template.pk), form_data(title="新标题", name=template.name)
    )
    assert json.loads(answer.content)["is_valid"] is True
    response = client.get(url("preview_on_edit", template.pk))
    assert response["Content-Type"] == "application/pdf"
    text = "".join((PdfReader(io.BytesIO(response.content)).pages[0].extract_text() or "").split())
    assert "新标题" in text
    template.refresh_from_db()
    assert template.title == "旧标题"  # a preview saves nothing


def test_a_template_in_use_cannot_be_deleted_but_an_unused_one_can(client, org):
    used = CertificateTemplateFactory()
    CertificateFactory(user=org.finance_learner, template=used)
    unused = CertificateTemplateFactory()
    login(client, org.trainer)
    assert client.post(url("delete", used.pk)).status_code in (302, 403)
    assert CertificateTemplate.objects.filter(pk=used.pk).exists()
    assert client.post(url("delete", unused.pk)).status_code == 302
    assert not CertificateTemplate.objects.filter(pk=unused.pk).exists()


@pytest.mark.parametrize("who", ["finance_admin", "discipline", "finance_learner"])
def test_people_who_are_not_trainers_cannot_reach_the_templates(client, org, who):
    template = CertificateTemplateFactory(name="只给培训管理员看的模板")
    login(client, getattr(org, who))
    for target in (url("list"), url("add"), url("edit", template.pk)):
        response = client.get(target)
        assert response.status_code in (302, 403), target
        assert "只给培训管理员看的模板" not in response.content.decode()
    response = client.post(url("preview_on_add"), form_data())
    assert response.status_code in (302, 403)
    response = client.get(url("preview_on_edit", template.pk))
    assert response.status_code in (302, 403)
    assert response.get("Content-Type") != "application/pdf"
    response = client.post(url("edit", template.pk), form_data(name="改名"))
    assert response.status_code in (302, 403)
    template.refresh_from_db()
    assert template.name == "只给培训管理员看的模板"


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(url("list"))
    assert response.status_code == 302 and "login" in response["Location"]
