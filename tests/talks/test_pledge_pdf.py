"""The signed pledge as a PDF: who may download it, its audit row, its text and fonts."""

from __future__ import annotations

import io
import logging

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from audit.models import AuditEntry
from talks.factories import PledgeTextFactory
from talks.models import TalkKind, TalkRecord
from talks.pdf import pledge_html, pledge_pdf
from talks.services.pledges import pledge_sign

SIG = "talks.pledgesignature"


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts(data: bytes) -> list[dict]:
    """Every font resource of every page (and its descendant font's descriptor)."""
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts[str(font["/BaseFont"])] = [
                k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor
            ]
    return [{"name": name, "files": files} for name, files in fonts.items()]


@pytest.fixture
def signature(org):
    text = PledgeTextFactory()
    return pledge_sign(
        user=org.finance_learner,
        text=text,
        typed_name="张三丰",
        confirmed=True,
        ip_address="10.0.0.9",
    )


@pytest.fixture
def talker(org):
    """The trainer held a talk with the official: that opens the talk, not the pledge."""
    talk = TalkRecord.objects.create(
        kind=TalkKind.REMINDER,
        official=org.finance_learner,
        unit=org.finance,
        scheduled_at=timezone.now(),
        place="谈话室",
    )
    talk.talkers.add(org.trainer)
    return org.trainer


def test_the_pdf_holds_the_text_name_time_version_and_hash(signature, caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    rendered = pledge_pdf(signature=signature)
    assert rendered.data.startswith(b"%PDF")
    assert len(rendered.data) < 400_000
    text = "".join(pdf_text(rendered.data).split())
    assert "张三丰" in text
    assert "".join(signature.text.title.split()) in text
    assert "不利用职权为本人及亲属谋取私利" in text
    assert signature.text_sha256 in text
    assert timezone.localtime(signature.signed_at).strftime("%Y-%m-%d") in text
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]
    assert not rendered.warnings or not [m for m in rendered.warnings if "glyph" in m.lower()]
    # Metadata.
    meta = PdfReader(io.BytesIO(rendered.data)).metadata
    assert signature.text.title in meta.title and "张三丰" in meta.title
    assert meta.author


def test_every_font_is_embedded_as_a_subset(signature):
    fonts = pdf_fonts(pledge_pdf(signature=signature).data)
    assert fonts
    for font in fonts:
        assert font["files"], f"{font['name']} is not embedded"
        # A subset font's name carries a six-letter tag: ABCDEF+NotoSerifCJKsc-Regular.
        assert "+" in font["name"], f"{font['name']} is not a subset"


def test_the_document_is_escaped(org):
    text = PledgeTextFactory(title="<script>alert(1)</script>承诺书", body="<img src=x>内容")
    signature = pledge_sign(
        user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True
    )
    html = pledge_html(signature=signature)
    assert "<script>" not in html and "<img src=x>" not in html


# --- Who may download it -------------------------------------------------------------


def test_the_official_downloads_their_pledge_and_a_read_row_is_written(client, org, signature):
    client.force_login(org.finance_learner)
    before = AuditEntry.objects.filter(action="read").count()
    response = client.get(url("pledges:pdf", signature.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert "张三丰" in "".join(pdf_text(response.content).split())
    rows = AuditEntry.objects.filter(action="read", object_type=SIG, object_id=str(signature.pk))
    assert AuditEntry.objects.filter(action="read").count() == before + 1
    entry = rows.get()
    assert entry.actor == org.finance_learner and entry.subject == org.finance_learner
    assert entry.detail == {"format": "pdf"}


def test_a_discipline_officer_covering_the_official_downloads_it(client, org, signature):
    client.force_login(org.discipline)
    response = client.get(url("pledges:pdf", signature.pk))
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="read", object_type=SIG)
    assert entry.actor == org.discipline and entry.subject == org.finance_learner


@pytest.mark.parametrize(
    "who",
    ["finance_admin", "city_admin", "superuser", "budget_learner", "trainer", "housing_learner"],
)
def test_nobody_else_gets_it_and_no_read_row_is_written(client, org, signature, talker, who):
    viewer = getattr(org, who)
    client.force_login(viewer)
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(url("pledges:pdf", signature.pk))
    assert response.status_code == 404
    rows = list(AuditEntry.objects.filter(id__gt=before))
    # Exactly one ``denied`` row: who asked for which signature; no read row.
    assert [(r.action, r.actor, r.object_type, r.object_id, r.detail) for r in rows] == [
        ("denied", viewer, "talks.pledgesignature", str(signature.pk), {"format": "pdf"})
    ]
    assert rows[0].subject_id is None


def test_a_discipline_officer_outside_the_scope_gets_a_404(client, org):
    text = PledgeTextFactory()
    theirs = pledge_sign(user=org.housing_learner, text=text, typed_name="王五", confirmed=True)
    client.force_login(org.discipline)  # discipline officer of the finance bureau
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    assert client.get(url("pledges:pdf", theirs.pk)).status_code == 404
    assert client.get(url("pledges:pdf", 999999)).status_code == 404
    rows = AuditEntry.objects.filter(id__gt=before).order_by("id")
    assert list(rows.values_list("action", "actor", "object_id")) == [
        ("denied", org.discipline.pk, str(theirs.pk)),
        ("denied", org.discipline.pk, "999999"),
    ]


def test_anonymous_visitors_are_sent_to_log_in(client, signature):
    response = client.get(url("pledges:pdf", signature.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_failing_audit_row_means_no_pdf(client, org, signature, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("talks.views_pledges.audit_record", broken)
    client.force_login(org.finance_learner)
    with pytest.raises(RuntimeError):
        client.get(url("pledges:pdf", signature.pk))
