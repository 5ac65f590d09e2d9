"""The certificate PDF: what a holder and a verifier see in it (name, serial, achievement,
QR link), that its fonts are embedded subsets, its size and metadata, page sizes,
languages, the transcript layout, images, and that nothing a template says can make the
renderer fetch anything."""

from __future__ import annotations

import datetime
import io
import logging
import re
from decimal import Decimal

import pytest
import segno
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import translation
from PIL import Image as PILImage
from pypdf import PdfReader
from wagtail.images import get_image_model

from certificates import pdf as certificates_pdf
from certificates.factories import (
    CertificateFactory,
    CertificateTemplateFactory,
    SignatoryFactory,
)
from certificates.pdf import (
    CertificateImageError,
    certificate_html,
    certificate_pdf,
    template_preview_pdf,
    template_text_problems,
    verification_url,
)
from qinglian import pdf as qinglian_pdf
from qinglian.pdf import MissingGlyphError, StaticOnlyURLFetcher

pytestmark = pytest.mark.django_db


# --- helpers ------------------------------------------------------------------------


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def pdf_text(data: bytes) -> str:
    """The text of every page, white space removed (WeasyPrint spaces CJK runs)."""
    return "".join("".join((page.extract_text() or "").split()) for page in reader(data).pages)


def pdf_fonts(data: bytes) -> list[tuple[str, list[str]]]:
    """(BaseFont, embedded font files) of every font of every page, descendants included."""
    fonts: dict[str, list[str]] = {}
    for page in reader(data).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            targets = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for target in targets:
                descriptor = target.get("/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor is not None else {}
                fonts[str(target.get("/BaseFont", font["/BaseFont"]))] = [
                    k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor
                ]
    return list(fonts.items())


def link_uris(data: bytes) -> list[str]:
    uris = []
    for page in reader(data).pages:
        for annotation in page.get("/Annots", []) or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def image_bytes(kind: str, size: tuple[int, int] = (40, 40)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, (200, 20, 20)).save(buf, kind)
    return buf.getvalue()


def wagtail_image(data: bytes, name: str):
    """A Wagtail image row over ``data`` as it is (no check: the tests smuggle files)."""
    image = get_image_model()(title=name)
    image.file.save(name, ContentFile(data), save=False)
    image.width = image.height = 40  # Pillow cannot size some of them (SVG)
    image.save()
    return image


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle r="9"/></svg>'


@pytest.fixture
def certificate(org):
    return CertificateFactory(
        user=org.finance_learner,
        achievement_title="党纪学习教育专题课程",
        achieved_on=datetime.date(2026, 11, 20),
        hours=Decimal("2.0"),
        serial="QL-2026-000123",
        code="7K3M9Q2X8R4T6W1Z",
    )


@pytest.fixture
def fetched(monkeypatch):
    """Every URL the renderer asks the fetcher for."""
    urls: list[str] = []
    original = StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticOnlyURLFetcher, "fetch", spy)
    return urls


# --- the built-in design ------------------------------------------------------------


def test_the_certificate_shows_name_serial_achievement_and_embeds_subset_fonts(certificate, caplog):
    caplog.set_level(logging.WARNING, logger="weasyprint")
    rendered = certificate_pdf(certificate)
    data = rendered.data
    assert data.startswith(b"%PDF") and rendered.page_count == 1
    text = pdf_text(data)
    assert "张三丰" in text
    assert "QL-2026-000123" in text
    assert "党纪学习教育专题课程" in text
    assert "结业证书" in text
    assert "2026年11月20日" in text and "计2学时" in text
    assert "7K3M9Q2X8R4T6W1Z" in text
    fonts = pdf_fonts(data)
    assert fonts
    for name, files in fonts:
        assert files, f"font {name} is not embedded"
        assert name.lstrip("/")[6:7] == "+" and name.lstrip("/")[:6].isupper(), name
    assert not [r for r in caplog.records if ".notdef" in r.getMessage()]
    # Chinese in AR PL UMing (TrueType, small subsets), Latin in DejaVu Serif; Noto CJK only
    # for characters UMing lacks (none here). QUALITY.md: at most 150 KB.
    names = {name.lstrip("/")[7:] for name, _files in fonts}
    assert any(n.startswith("AR-PL-UMing") for n in names), names
    assert not any("Noto" in n for n in names), names
    assert len(data) < 150_000, len(data)


def test_a_rare_character_the_main_chinese_face_lacks_comes_from_the_fallback_face(org):
    # Most CJK Extension A characters (such as 㐂) are missing from AR PL UMing CN: the Noto
    # CJK face fills in, embedded too, and nothing renders as a box.
    certificate = CertificateFactory(user=org.finance_learner, holder_name="张㐂丰")
    rendered = certificate_pdf(certificate)
    assert "张㐂丰" in pdf_text(rendered.data)
    fonts = pdf_fonts(rendered.data)
    assert any("Noto" in name for name, _files in fonts), fonts
    assert all(files for _name, files in fonts)


def test_the_pdf_has_title_author_and_language(certificate):
    data = certificate_pdf(certificate).data
    pdf = reader(data)
    assert pdf.metadata.title == "结业证书 · 张三丰"
    assert pdf.metadata.author  # the site's organisation, or 清廉
    assert str(pdf.trailer["/Root"]["/Lang"]) == "zh-Hans"


def test_the_same_certificate_renders_to_the_same_bytes(certificate):
    assert certificate_pdf(certificate).data == certificate_pdf(certificate).data


def test_the_qr_code_links_to_the_verification_page(certificate, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://qinglian.example.gov.cn"
    url = verification_url(certificate)
    assert url == "https://qinglian.example.gov.cn/verify/7K3M9Q2X8R4T6W1Z/"
    html = certificate_html(certificate)
    assert f'<a class="qr" href="{url}"><img class="qr__code"' in html
    data = certificate_pdf(certificate).data
    assert url in link_uris(data)
    assert url in pdf_text(data)
    # The QR image holds the URL: one pixel per module, black on white, square.
    (qr,) = reader(data).pages[0].images
    expected = segno.make(url, error="m", micro=False)
    assert qr.image.size == expected.symbol_size(scale=1, border=2)
    modules = [[pixel < 128 for pixel in row] for row in _rows(qr.image.convert("L"))]
    assert modules == [[bool(m) for m in row] for row in expected.matrix_iter(border=2)]


def _rows(image):
    width, height = image.size
    return [[image.getpixel((x, y)) for x in range(width)] for y in range(height)]


def test_an_english_certificate_verifies_on_the_english_page(org):
    cert = CertificateFactory(user=org.finance_learner, language="en", code="ABCDEF")
    assert verification_url(cert).endswith("/en/verify/ABCDEF/")


@pytest.mark.parametrize(
    ("kind", "title", "wording"),
    [
        ("course", "结业证书", "课程学习"),
        ("campaign", "参加证明", "党风廉政建设宣传教育月"),
        ("appointment", "任前廉政教育合格证书", "经考核合格"),
    ],
)
def test_the_built_in_design_words_each_kind(org, kind, title, wording):
    cert = CertificateFactory(user=org.finance_learner, kind=kind, hours=None)
    html = certificate_html(cert)
    assert re.search(rf'<h1 class="title[^"]*">{title}</h1>', html), html
    assert wording in html
    assert "学时" not in html  # no hours, no mention of them


def test_a_name_with_a_character_no_font_has_is_an_error(org):
    cert = CertificateFactory(user=org.finance_learner, holder_name="张\U00013000丰")
    with pytest.raises(MissingGlyphError):
        certificate_pdf(cert)


# --- templates ----------------------------------------------------------------------


def test_a_bilingual_template_prints_both_texts_and_dates(org):
    template = CertificateTemplateFactory(language="bilingual")
    SignatoryFactory(template=template, name="王清正", title="市纪委监委宣传部部长")
    cert = CertificateFactory(
        user=org.finance_learner,
        template=template,
        language="bilingual",
        achievement_title_en="Party Discipline Course",
        achieved_on=datetime.date(2026, 11, 20),
        hours=Decimal("2.0"),
    )
    text = pdf_text(certificate_pdf(cert).data)
    assert "张三丰同志" in text and "2026年11月20日" in text
    assert "completed“PartyDisciplineCourse”on20November2026" in text
    assert "CertificateofCompletion" in text
    assert "市纪委监委宣传部部长王清正" in text


def test_an_english_template_is_english(org):
    template = CertificateTemplateFactory(language="en")
    cert = CertificateFactory(user=org.finance_learner, template=template, language="en")
    pdf = reader(certificate_pdf(cert).data)
    assert str(pdf.trailer["/Root"]["/Lang"]) == "en"
    assert pdf.metadata.title == "Certificate of Completion · 张三丰"
    text = "".join((pdf.pages[0].extract_text() or "").split())
    assert "20November2026" in text and "同志" not in text


@pytest.mark.parametrize(("orientation", "landscape"), [("landscape", True), ("portrait", False)])
def test_the_page_follows_the_template_orientation(org, orientation, landscape):
    template = CertificateTemplateFactory(orientation=orientation)
    cert = CertificateFactory(user=org.finance_learner, template=template)
    rendered = certificate_pdf(cert)
    box = reader(rendered.data).pages[0].mediabox
    assert rendered.page_count == 1
    assert (float(box.width) > float(box.height)) is landscape
    assert sorted([round(float(box.width)), round(float(box.height))]) == [595, 842]  # A4


def test_placeholders_are_filled_after_escaping(org):
    template = CertificateTemplateFactory()
    # Set directly, past validation: what a template says is text, never markup.
    template.body = '{name} <b onload="x">粗体</b> & {serial}\n第二行'
    template.save()
    cert = CertificateFactory(
        user=org.finance_learner, template=template, holder_name="<i>张三丰</i>"
    )
    html = certificate_html(cert)
    assert "&lt;i&gt;张三丰&lt;/i&gt;" in html
    assert "&lt;b onload=&quot;x&quot;&gt;粗体&lt;/b&gt; &amp; " in html
    assert "<b " not in html and "<i>" not in html
    assert cert.serial in html and "第二行" in html


def test_a_url_smuggled_into_a_template_is_never_fetched(org, fetched):
    template = CertificateTemplateFactory(
        title='证书<img src="https://evil.example/t.png">',
        body=(
            '<link rel="stylesheet" href="http://evil.example/x.css">'
            '<img src="file:///etc/passwd"><style>@import url(//evil.example/y.css);</style>'
            '<div style="background: url(data:image/png;base64,AAAA)">{name}</div>'
        ),
        issuer='<img src="http://127.0.0.1:6379/">',
    )
    SignatoryFactory(template=template, name='<img src="https://evil.example/s.png">')
    cert = CertificateFactory(user=org.finance_learner, template=template)
    certificates_pdf._stylesheets.clear()  # parsed once per process: parse it here
    text = pdf_text(certificate_pdf(cert).data)
    assert "evil.example" in text  # printed as text
    assert fetched, "the stylesheet is fetched through the fetcher"
    # Only our own: the stylesheet and the QR code made here.
    assert sorted(url.rsplit("/", 1)[1] for url in fetched) == ["certificate.css", "qr.png"]
    assert all(url.startswith("http://testserver/") for url in fetched), fetched


def test_the_fetcher_refuses_outside_urls_and_files():
    fetcher = StaticOnlyURLFetcher()
    for url in (
        "https://evil.example/x.png",
        "file:///etc/passwd",
        "data:image/png;base64,AAAA",
        qinglian_pdf.static_prefix() + "../../etc/passwd",
    ):
        with pytest.raises(ValueError, match="Refused"):
            fetcher.fetch(url)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{name}同志：于{date}完成{achievement}，计{hours}学时，编号{serial}。", None),
        ("{name}同志，{rank}", "Unknown placeholder {rank}"),
        ("{name 同志", "Unbalanced braces"),
        ("同志}", "Unbalanced braces"),
        ("<b>{name}</b>", "plain text only"),
        ("见 https://evil.example", "plain text only"),
        ("URL (x.png)", "plain text only"),
        ("file:///etc/passwd", "plain text only"),
        ("data:image/png;base64,AA", "plain text only"),
        ("//evil.example/x", "plain text only"),
        ("@import 'x.css'", "plain text only"),
        ("src = x.png", "plain text only"),
    ],
)
def test_template_text_problems(text, problem):
    with translation.override("en"):
        problems = template_text_problems(text)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_a_template_with_a_resource_reference_cannot_be_saved():
    template = CertificateTemplateFactory.build(
        body="{name} url(http://evil.example/x.png)", title_en="<script>", kinds=["course"]
    )
    with pytest.raises(ValidationError) as caught:
        template.full_clean()
    assert set(caught.value.message_dict) >= {"body", "title_en"}


# --- images -------------------------------------------------------------------------


def test_background_seal_and_signature_are_drawn_from_the_image_files(org, fetched):
    template = CertificateTemplateFactory(
        seal=wagtail_image(image_bytes("PNG"), "seal.png"),
        background=wagtail_image(image_bytes("JPEG", (297, 210)), "paper.jpg"),
    )
    SignatoryFactory(template=template, signature=wagtail_image(image_bytes("PNG"), "sig.png"))
    template.full_clean()
    cert = CertificateFactory(user=org.finance_learner, template=template)
    data = certificate_pdf(cert).data
    images = reader(data).pages[0].images
    assert len(images) == 4  # and the QR code
    resources = [url for url in fetched if "/_certificate-resources/" in url]
    assert sorted(u.rsplit("/", 1)[1] for u in resources) == [
        "background.jpg",
        "qr.png",
        "seal.png",
        "signature-0.png",
    ]


def test_a_large_seal_is_embedded_no_larger_than_the_print_needs(org):
    template = CertificateTemplateFactory(
        seal=wagtail_image(image_bytes("PNG", (1600, 1600)), "big-seal.png")
    )
    cert = CertificateFactory(user=org.finance_learner, template=template)
    data = certificate_pdf(cert).data
    seal, _qr = sorted(reader(data).pages[0].images, key=lambda i: -i.image.size[0])
    assert max(seal.image.size) == 320
    assert certificate_pdf(cert).data == data  # scaling keeps the render deterministic


def test_a_seal_is_scaled_once_and_a_replaced_seal_file_is_read_again(org, monkeypatch):
    # The scaled seal is kept by content: the next certificate reuses it (no second
    # scaling), but the file is read every time, so a replaced image shows at once.
    image = wagtail_image(image_bytes("PNG", (1600, 1600)), "seal.png")
    template = CertificateTemplateFactory(seal=image)
    first = CertificateFactory(user=org.finance_learner, template=template)
    second = CertificateFactory(user=org.budget_learner, template=template)
    calls = []
    original = certificates_pdf.image_fit
    monkeypatch.setattr(
        certificates_pdf, "image_fit", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    certificates_pdf._fitted.clear()
    certificate_pdf(first)
    certificate_pdf(second)
    assert len(calls) == 1
    buf = io.BytesIO()
    PILImage.new("RGB", (1600, 800), (20, 20, 200)).save(buf, "PNG")
    with image.file.storage.open(image.file.name, "wb") as handle:
        handle.write(buf.getvalue())
    data = certificate_pdf(first).data
    assert len(calls) == 2
    sizes = sorted(i.image.size for i in reader(data).pages[0].images)
    assert (320, 160) in sizes


@pytest.mark.parametrize(("data", "name"), [(SVG, "seal.svg"), (None, "seal.gif")])
def test_a_seal_that_is_not_png_or_jpeg_is_refused(org, data, name):
    seal = wagtail_image(data or image_bytes("GIF"), name)
    template = CertificateTemplateFactory.build(seal=seal)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        template.full_clean()
    assert caught.value.message_dict["seal"] == ["Choose a PNG or JPEG image."]
    # Smuggled past validation: the render fails rather than embed or fetch it.
    template.save()
    cert = CertificateFactory(user=org.finance_learner, template=template)
    with pytest.raises(CertificateImageError):
        certificate_pdf(cert)


def test_a_png_renamed_gif_is_judged_by_its_content():
    seal = wagtail_image(image_bytes("PNG"), "seal.gif")
    CertificateTemplateFactory.build(seal=seal).full_clean()


# --- transcripts --------------------------------------------------------------------


def test_a_long_transcript_spans_pages_with_headers_totals_and_page_numbers(org):
    rows = [
        {
            "date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "title": f"廉政教育专题第{i + 1}讲",
            "source": "course" if i % 2 else "event",
            "hours": "1.5",
            "required": i % 3 == 0,
        }
        for i in range(45)
    ]
    cert = CertificateFactory(
        user=org.finance_learner,
        kind="transcript",
        achievement_key="transcript:2026",
        achievement_title="2026年度学时证明",
        hours=Decimal("67.5"),
        details={"year": 2026, "required_hours": "50.0", "total_hours": "67.5", "rows": rows},
    )
    rendered = certificate_pdf(cert)
    assert rendered.page_count >= 2
    pdf = reader(rendered.data)
    pages = ["".join((p.extract_text() or "").split()) for p in pdf.pages]
    box = pdf.pages[0].mediabox
    assert float(box.height) > float(box.width)  # portrait
    for number, text in enumerate(pages, start=1):
        assert "学习内容" in text  # the table header repeats
        assert f"第{number}页/共{len(pages)}页" in text
    everything = "".join(pages)
    assert "学时证明" in everything and "张三丰" in everything
    assert "廉政教育专题第1讲" in everything and "廉政教育专题第45讲" in everything
    assert "应修学时50" in everything and "合计67.5" in everything
    assert "已完成年度学习任务" in everything
    assert cert.serial in pages[-1]
    assert verification_url(cert) in link_uris(rendered.data)


# --- preview ------------------------------------------------------------------------


def test_the_preview_renders_a_sample_certificate_of_an_unsaved_template():
    template = CertificateTemplateFactory.build(kinds=["campaign"], title="参加证书")
    rendered = template_preview_pdf(template)
    text = pdf_text(rendered.data)
    assert "张三丰" in text and "QL-2026-000000" in text and "参加证书" in text
