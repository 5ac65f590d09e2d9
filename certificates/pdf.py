"""The certificate PDF: ``certificate_html``, ``certificate_pdf``, ``template_preview_pdf``,
``verification_url``, and ``template_text_problems`` (the check that keeps markup and
resource references out of a template's wording).

Rendered as ``qinglian.pdf.pdf_render`` does (WeasyPrint with the shared font
configuration, the CJK fonts embedded as subsets, the static-only URL fetcher and an
error when a character has no glyph), with the stylesheet parsed once per process
(:func:`stylesheet`) rather than in every render.

* The wording of a template is plain text. Placeholders (``{name}``, ``{achievement}``,
  ``{date}``, ``{hours}``, ``{serial}``) are cut out of the text and the pieces go into an
  auto-escaped Django template: nothing a trainer writes is ever parsed as HTML or CSS.
* The images (background, seal, signatures) are read here from the image's storage,
  checked by content (PNG or JPEG, by Pillow), and handed to the renderer under URLs of
  our own choosing (``extra=``); the fetcher refuses every other URL. Checking and scaling
  are done once per image content (cached by SHA-256), not once per certificate.
* The QR code (segno) of :func:`verification_url` is a PNG with one pixel per module,
  handed over the same way and drawn unsmoothed; the link around it stays.
* The same certificate renders to the same bytes: the document carries no render time.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import segno
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from weasyprint import CSS

from qinglian.pdf import (
    FONT_CONFIG,
    PDFRenderError,
    RenderedPDF,
    StaticOnlyURLFetcher,
    document_base_url,
    organisation_name,
    pdf_render,
)

from .achievements import AchievementKind

if TYPE_CHECKING:
    from .models import Certificate, CertificateTemplate

CERTIFICATE_TEMPLATE = "pdf/certificate.html"
TRANSCRIPT_TEMPLATE = "pdf/certificate_transcript.html"
STYLESHEET = "pdf/certificate.css"

PLACEHOLDERS = ("name", "achievement", "date", "hours", "serial")
# ``{word}``: a placeholder; any other brace is a mistake.
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# What would make a renderer fetch something, or looks like markup. Checked
# case-insensitively on the text with white space removed (``u r l (`` is ``url(``).
FORBIDDEN = ("<", ">", "url(", "http:", "https:", "file:", "data:", "//", "@import", "src=")

# Images: the formats we accept, by content, and the most we read.
IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000  # a 5 MB file that unpacks to gigabytes is refused
# Pixels on the longer side, for print at about 200 dpi: the background fills an A4
# page (297 mm), the seal is 38 mm wide, a signature at most 45 mm.
BACKGROUND_PX = 2000
SEAL_PX = 320
SIGNATURE_PX = 360
# The URLs the document uses for the images read here (never fetched from anywhere).
RESOURCE_PATH = "_certificate-resources/"
# Images scaled and checked, by content hash: a template's seal is scaled once per process,
# not once per certificate. Small: a few templates, a few images each.
FITTED_CACHE_SIZE = 32
FITTED_CACHE_BYTES = 24 * 1024 * 1024

ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# The built-in design (no template): Chinese wording per kind. Its wording and the
# labels avoid “”, ： and （）: in Noto CJK SC those glyphs sit at the end of the font
# (gid 58,956-63,163) and WeasyPrint's subset keeps every glyph id up to the highest one
# used, so each of them costs several KB in every PDF (QUALITY.md: ≤ 150 KB).
DEFAULT_WORDING: dict[str, dict[str, str]] = {
    AchievementKind.COURSE: {
        "kicker": "",
        "title": "结业证书",
        "body": "兹证明{name}同志于{date}完成《{achievement}》课程学习，经考核合格，特发此证。",
        "body_hours": (
            "兹证明{name}同志于{date}完成《{achievement}》课程学习，计{hours}学时，"
            "经考核合格，特发此证。"
        ),
    },
    AchievementKind.CAMPAIGN: {
        "kicker": "党风廉政建设宣传教育月",
        "title": "参加证明",
        "body": "兹证明{name}同志参加{achievement}，完成规定的学习教育内容，特此证明。",
        "body_hours": (
            "兹证明{name}同志参加{achievement}，完成规定的学习教育内容，计{hours}学时，特此证明。"
        ),
    },
    AchievementKind.APPOINTMENT: {
        "kicker": "",
        "title": "任前廉政教育合格证书",
        "body": "兹证明{name}同志于{date}完成{achievement}，经考核合格，特发此证。",
        "body_hours": (
            "兹证明{name}同志于{date}完成{achievement}，计{hours}学时，经考核合格，特发此证。"
        ),
    },
    AchievementKind.TRANSCRIPT: {"kicker": "", "title": "学时证明", "body": "", "body_hours": ""},
}

TRANSCRIPT_SOURCES = {
    "course": "课程学习",
    "event": "培训活动",
    "campaign": "宣传教育月",
    "appointment": "任前廉政教育",
    "quiz": "测试",
    "manual": "补录",
    "other": "其他",
}

# The author when neither the template nor the site settings name an issuer.
DEFAULT_ISSUER = "清廉"

# Sample data for the admin preview.
SAMPLE_ACHIEVEMENTS = {
    AchievementKind.COURSE: ("党纪学习教育专题课程", "Party Discipline Study Course"),
    AchievementKind.CAMPAIGN: ("2026年党风廉政建设宣传教育月", "2026 Integrity Education Month"),
    AchievementKind.APPOINTMENT: ("任前廉政教育", "Pre-appointment integrity education"),
    AchievementKind.TRANSCRIPT: ("2026年度学时证明", "Study hours 2026"),
}


class CertificateImageError(PDFRenderError):
    """An image of the template is missing, too large, or not a PNG or JPEG."""


# --- Template text ------------------------------------------------------------------


def template_text_problems(text: str) -> list[str]:
    """What is wrong with a template's wording, as messages for the person editing it:
    unknown placeholders, unbalanced braces, and anything that looks like markup or a
    reference to a resource. Empty when the text is fine."""
    problems: list[str] = []
    if not text:
        return problems
    squeezed = "".join(text.split()).lower()
    found = [token for token in FORBIDDEN if token in squeezed]
    if found:
        problems.append(
            _(
                "Write plain text only: markup and references to web addresses or files "
                "are not allowed (found “%(found)s”)."
            )
            % {"found": "”, “".join(found)}
        )
    unknown = sorted({m for m in PLACEHOLDER_RE.findall(text) if m not in PLACEHOLDERS})
    if unknown:
        problems.append(
            _("Unknown placeholder %(unknown)s: use %(known)s.")
            % {
                "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
            }
        )
    rest = PLACEHOLDER_RE.sub("", text)
    if "{" in rest or "}" in rest:
        problems.append(_("Unbalanced braces: a placeholder is a word in braces, such as {name}."))
    return problems


@dataclass(frozen=True)
class TextPart:
    text: str
    placeholder: str = ""


def text_parts(text: str, values: Mapping[str, str]) -> list[TextPart]:
    """``text`` cut at its placeholders, each replaced by its value. The parts are plain
    strings: the template escapes them. An unknown placeholder stays as it is written."""
    parts: list[TextPart] = []
    position = 0
    for match in PLACEHOLDER_RE.finditer(text):
        if match.start() > position:
            parts.append(TextPart(text[position : match.start()]))
        name = match.group(1)
        if name in values:
            parts.append(TextPart(values[name], placeholder=name))
        else:
            parts.append(TextPart(match.group(0)))
        position = match.end()
    if position < len(text):
        parts.append(TextPart(text[position:]))
    return parts


def _plain(text: str, values: Mapping[str, str]) -> str:
    return "".join(part.text for part in text_parts(text, values))


# --- Values -------------------------------------------------------------------------


def date_zh(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def date_en(day: datetime.date) -> str:
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"


def hours_text(hours: Any) -> str:
    """``Decimal("2.0")`` → ``"2"``, ``"52.5"`` → ``"52.5"``; empty for none."""
    if hours is None or hours == "":
        return ""
    try:
        value = Decimal(str(hours))
    except InvalidOperation:
        return str(hours)
    text = f"{value.quantize(Decimal('0.1'))}"
    return text[:-2] if text.endswith(".0") else text


def verification_url(certificate: Certificate) -> str:
    """The absolute address of the certificate's public verification page (the QR code's
    content): ``WAGTAILADMIN_BASE_URL`` + ``/verify/<code>/`` (``/en/verify/<code>/`` for
    an English certificate)."""
    language = "en" if certificate.language == "en" else "zh-hans"
    with translation.override(language):
        try:
            path = reverse("verify:detail", kwargs={"code": certificate.code})
        except NoReverseMatch:
            prefix = "/en" if language == "en" else ""
            path = f"{prefix}/verify/{certificate.code}/"
    return document_base_url().rstrip("/") + path


QR_BORDER = 2  # modules of quiet zone


def qr_png(url: str) -> bytes:
    """A QR code of ``url`` as a PNG with one pixel per module (segno chooses version and
    mask), drawn without smoothing (``image-rendering: pixelated``): sharp at any size, and
    a fraction of the cost of laying out a vector path of a few hundred runs."""
    qr = segno.make(url, error="m", micro=False)
    width, height = qr.symbol_size(scale=1, border=QR_BORDER)
    size = (int(width), int(height))
    pixels = bytes(
        0 if dark else 255 for row in qr.matrix_iter(scale=1, border=QR_BORDER) for dark in row
    )
    out = io.BytesIO()
    PILImage.frombytes("L", size, pixels).save(out, "PNG", compress_level=9)
    return out.getvalue()


# --- Images -------------------------------------------------------------------------


def image_read(image: Any, *, label: str) -> tuple[bytes, str]:
    """The bytes and content type of a Wagtail image's original file, read through its
    storage and checked by content: PNG or JPEG only (else :class:`CertificateImageError`)."""
    data = _image_file_bytes(image, label=label)
    return data, _image_checked_type(data, label=label)


def _image_file_bytes(image: Any, *, label: str) -> bytes:
    try:
        with image.file.open("rb") as handle:
            data: bytes = handle.read(MAX_IMAGE_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise CertificateImageError(f"{label}: the image file cannot be read") from exc
    if len(data) > MAX_IMAGE_BYTES:
        raise CertificateImageError(f"{label}: the image file is too large")
    return data


def _image_checked_type(data: bytes, *, label: str) -> str:
    content_type = image_content_type(data)
    if content_type is None:
        raise CertificateImageError(f"{label}: only PNG and JPEG images can be used")
    return content_type


_fitted: OrderedDict[tuple[str, int, bool], tuple[bytes, str]] = OrderedDict()
_fitted_lock = threading.Lock()


def image_resource(
    image: Any, *, label: str, max_pixels: int, palette: bool = False
) -> tuple[bytes, str]:
    """:func:`image_read`, scaled down to ``max_pixels`` (see :func:`image_fit`).

    The file is read every time (it may have been replaced); the check and the scaling
    are done once per content (SHA-256) and kept for the next certificates."""
    data = _image_file_bytes(image, label=label)
    key = (hashlib.sha256(data).hexdigest(), max_pixels, palette)
    with _fitted_lock:
        cached = _fitted.get(key)
        if cached is not None:
            _fitted.move_to_end(key)
            return cached
    content_type = _image_checked_type(data, label=label)
    result = image_fit(data, content_type, max_pixels=max_pixels, palette=palette), content_type
    with _fitted_lock:
        _fitted[key] = result
        while len(_fitted) > FITTED_CACHE_SIZE or (
            len(_fitted) > 1 and sum(len(v[0]) for v in _fitted.values()) > FITTED_CACHE_BYTES
        ):
            _fitted.popitem(last=False)
    return result


def image_fit(data: bytes, content_type: str, *, max_pixels: int, palette: bool) -> bytes:
    """``data`` no larger than the print needs (``max_pixels`` on its longer side); a
    one-colour image such as a seal as a 64-colour PNG (a quarter of the bytes). Pillow's
    output depends only on its input, so the PDF stays the same from render to render."""
    with PILImage.open(io.BytesIO(data)) as image:
        image.load()
        if max(image.size) <= max_pixels and not (palette and content_type == "image/png"):
            return _as_embedded(data, content_type)
        if max(image.size) > max_pixels:
            image.thumbnail((max_pixels, max_pixels), PILImage.Resampling.LANCZOS)
        out = io.BytesIO()
        if content_type == "image/jpeg":
            image.convert("RGB").save(out, "JPEG", quality=85)
        else:
            result: PILImage.Image = image
            if palette and image.mode not in ("P", "1"):
                rgba = image.convert("RGBA")
                result = rgba.quantize(colors=64, method=PILImage.Quantize.FASTOCTREE)
            result.save(out, "PNG", optimize=True)
        fitted = out.getvalue()
    return _as_embedded(fitted if len(fitted) < len(data) else data, content_type)


def _as_embedded(data: bytes, content_type: str) -> bytes:
    """A PNG as WeasyPrint embeds it: a palette or transparent-colour PNG converted once,
    here, to RGB(A) (the conversion WeasyPrint would otherwise redo in every render).
    Same pixels, so the same PDF."""
    if content_type != "image/png":
        return data
    with PILImage.open(io.BytesIO(data)) as image:
        if "transparency" in image.info:
            converted = image.convert("RGBA")
        elif image.mode in ("1", "P", "I"):
            converted = image.convert("RGB")
        else:
            return data
    out = io.BytesIO()
    converted.save(out, "PNG", compress_level=1)
    return out.getvalue()


def image_content_type(data: bytes) -> str | None:
    """``image/png`` or ``image/jpeg`` when Pillow reads ``data`` as one, else ``None``."""
    try:
        with PILImage.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    except PILImage.DecompressionBombError:
        return None
    if width * height > MAX_IMAGE_PIXELS:
        return None
    return IMAGE_FORMATS.get(kind or "")


@dataclass
class Resources:
    """Images read and checked here, by the URL the document uses for them."""

    base: str
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def add(
        self, image: Any, *, name: str, label: str, max_pixels: int, palette: bool = False
    ) -> str:
        if image is None:
            return ""
        data, content_type = image_resource(
            image, label=label, max_pixels=max_pixels, palette=palette
        )
        return self.put(name, data, content_type)

    def put(self, name: str, data: bytes, content_type: str) -> str:
        extension = "png" if content_type == "image/png" else "jpg"
        url = f"{self.base}{RESOURCE_PATH}{name}.{extension}"
        self.files[url] = (data, content_type)
        return url


# --- The document -------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    name: str
    title: str
    signature_url: str


def _wording(certificate: Certificate, template: CertificateTemplate | None) -> dict[str, str]:
    if template is not None:
        return {
            "kicker": "",
            "title": template.title,
            "body": template.body,
            "title_en": template.title_en,
            "body_en": template.body_en,
        }
    default = DEFAULT_WORDING.get(certificate.kind, DEFAULT_WORDING[AchievementKind.COURSE])
    has_hours = certificate.hours is not None
    return {
        "kicker": default["kicker"],
        "title": default["title"],
        "body": default["body_hours" if has_hours else "body"],
        "title_en": "",
        "body_en": "",
    }


def certificate_context(
    certificate: Certificate, *, template: CertificateTemplate | None = None
) -> tuple[dict[str, Any], dict[str, tuple[bytes, str]]]:
    """The template context of a certificate's document, and the images it uses."""
    if template is None:
        template = certificate.template
    base = document_base_url()
    resources = Resources(base=base)
    language = certificate.language or (template.language if template else "zh-hans")
    show_zh = language in ("zh-hans", "bilingual")
    show_en = language in ("en", "bilingual")
    wording = _wording(certificate, template)
    issuer = (
        certificate.issuer
        or (template.issuer if template else "")
        or organisation_name()
        or DEFAULT_ISSUER
    )
    achieved_on = certificate.achieved_on
    issued_on = timezone.localdate(certificate.issued_at) if certificate.issued_at else achieved_on
    hours = hours_text(certificate.hours)
    values_zh = {
        "name": certificate.holder_name,
        "achievement": certificate.achievement_title,
        "date": date_zh(achieved_on),
        "hours": hours,
        "serial": certificate.serial or "",
    }
    values_en = {
        **values_zh,
        "achievement": certificate.achievement_title_en or certificate.achievement_title,
        "date": date_en(achieved_on),
    }
    title_en = _plain(wording["title_en"], values_en) or ("Certificate" if show_en else "")
    body_en = wording["body_en"]
    if show_en and not body_en:
        body_en = "{name} completed “{achievement}” on {date}."
    title = _plain(wording["title"], values_zh) if show_zh else title_en
    signers: list[Signer] = []
    orientation = "landscape"
    seal_url = background_url = ""
    if template is not None:
        orientation = template.orientation
        background_url = resources.add(
            template.background, name="background", label="background", max_pixels=BACKGROUND_PX
        )
        seal_url = resources.add(
            template.seal, name="seal", label="seal", max_pixels=SEAL_PX, palette=True
        )
        for index, signatory in enumerate(template.signatories.all()):
            signers.append(
                Signer(
                    name=signatory.name,
                    title=signatory.title,
                    signature_url=resources.add(
                        signatory.signature,
                        name=f"signature-{index}",
                        label="signature",
                        max_pixels=SIGNATURE_PX,
                    ),
                )
            )
    is_transcript = certificate.kind == AchievementKind.TRANSCRIPT
    if is_transcript:
        orientation = "portrait"
    url = verification_url(certificate)
    context: dict[str, Any] = {
        "certificate": certificate,
        "lang": "en" if language == "en" else "zh-Hans",
        "show_zh": show_zh,
        "show_en": show_en,
        "bilingual": show_zh and show_en,
        "orientation": orientation,
        "kicker": wording["kicker"] if show_zh else "",
        "title": title,
        "title_en": title_en if show_zh and show_en else "",
        "body_parts": text_parts(wording["body"], values_zh) if show_zh else [],
        "body_en_parts": text_parts(body_en, values_en) if show_en else [],
        "document_title": f"{title} · {certificate.holder_name}",
        "issuer": issuer,
        "issued_on_zh": date_zh(issued_on),
        "issued_on_en": date_en(issued_on),
        "signers": signers,
        "seal_url": seal_url,
        "background_url": background_url,
        "verification_url": url,
        "qr_url": resources.put("qr", qr_png(url), "image/png"),
    }
    if is_transcript:
        context.update(transcript_context(certificate))
    return context, resources.files


def transcript_context(certificate: Certificate) -> dict[str, Any]:
    details = certificate.details or {}
    rows = []
    for row in details.get("rows") or []:
        day = row.get("date") or ""
        try:
            day_text = date_zh(datetime.date.fromisoformat(str(day)))
        except ValueError:
            day_text = str(day)
        source = str(row.get("source") or "")
        rows.append(
            {
                "date": day_text,
                "title": str(row.get("title") or ""),
                "source": TRANSCRIPT_SOURCES.get(source, source),
                "hours": hours_text(row.get("hours")),
                "required": bool(row.get("required")),
            }
        )
    year = details.get("year") or certificate.achieved_on.year
    required = hours_text(details.get("required_hours"))
    total = hours_text(details.get("total_hours") or certificate.hours)
    met = None
    try:
        if required and total:
            met = Decimal(total) >= Decimal(required)
    except InvalidOperation:
        met = None
    return {
        "year": year,
        "rows": rows,
        "required_hours": required,
        "total_hours": total,
        "requirement_met": met,
    }


def certificate_html(certificate: Certificate) -> str:
    """The certificate's document as HTML (what WeasyPrint lays out)."""
    context, _resources = certificate_context(certificate)
    return _render(context)


def _render(context: dict[str, Any]) -> str:
    template = (
        TRANSCRIPT_TEMPLATE
        if context["certificate"].kind == AchievementKind.TRANSCRIPT
        else CERTIFICATE_TEMPLATE
    )
    with translation.override("zh-hans"):
        return render_to_string(template, context)


_stylesheets: dict[tuple[str, str], tuple[Path, int, CSS]] = {}
_stylesheets_lock = threading.Lock()


def stylesheet(base: str) -> CSS:
    """``static/pdf/certificate.css``, parsed once per process and again when the file
    changes. Read through the static-only fetcher like any other resource; parsing it and
    compiling its selectors in every render was a sixth of the cost of a certificate."""
    url = urljoin(base, static(STYLESHEET))
    key = (base, url)
    with _stylesheets_lock:
        cached = _stylesheets.get(key)
    if cached is not None:
        path, version, css = cached
        try:
            if path.stat().st_mtime_ns == version:
                return css
        except OSError:
            pass
    fetcher = StaticOnlyURLFetcher(base)
    path = fetcher.local_path(url)
    version = path.stat().st_mtime_ns
    css = CSS(url=url, url_fetcher=fetcher, font_config=FONT_CONFIG)
    with _stylesheets_lock:
        _stylesheets.clear()
        _stylesheets[key] = (path, version, css)
    return css


def _pdf(certificate: Certificate, *, template: CertificateTemplate | None) -> RenderedPDF:
    """``qinglian.pdf.pdf_render`` with our images as ``extra`` resources and the
    stylesheet parsed once per process."""
    context, resources = certificate_context(certificate, template=template)
    base = document_base_url()
    return pdf_render(
        _render(context), base_url=base, extra=resources, stylesheets=[stylesheet(base)]
    )


def certificate_pdf(certificate: Certificate) -> RenderedPDF:
    """The certificate as a PDF. Raises ``MissingGlyphError`` when a character has no
    glyph, :class:`CertificateImageError` when an image is not a readable PNG or JPEG."""
    return _pdf(certificate, template=certificate.template)


def sample_certificate(template: CertificateTemplate) -> Certificate:
    """An unsaved certificate with sample data (张三丰, QL-2026-000000) for ``template``."""
    from .models import Certificate

    kinds = [k for k in (template.kinds or []) if k in AchievementKind.values]
    kind = kinds[0] if kinds else AchievementKind.COURSE
    title, title_en = SAMPLE_ACHIEVEMENTS[AchievementKind(kind)]
    today = timezone.localdate()
    details: dict[str, Any] = {}
    if kind == AchievementKind.TRANSCRIPT:
        details = {
            "year": today.year,
            "required_hours": "50.0",
            "total_hours": "6.5",
            "rows": [
                {
                    "date": f"{today.year}-03-01",
                    "title": "党纪学习教育专题课程",
                    "source": "course",
                    "hours": "4.0",
                    "required": True,
                },
                {
                    "date": f"{today.year}-04-12",
                    "title": "警示教育大会",
                    "source": "event",
                    "hours": "2.5",
                    "required": False,
                },
            ],
        }
    return Certificate(
        holder_name="张三丰",
        kind=kind,
        achievement_key=f"{kind}:0",
        achievement_title=title,
        achievement_title_en=title_en,
        achieved_on=today,
        hours=Decimal("6.5") if kind == AchievementKind.TRANSCRIPT else Decimal("2.0"),
        details=details,
        language=template.language,
        issuer=template.issuer,
        serial="QL-2026-000000",
        code="SAMPLE0000000000",
        issued_at=timezone.now(),
    )


def template_preview_pdf(template: CertificateTemplate) -> RenderedPDF:
    """``template`` (saved or not) rendered for a sample person, for the admin preview."""
    return _pdf(sample_certificate(template), template=template)
