"""PDF plumbing shared by every PDF of the project (case booklets, pledges, clean-government
files, certificates, transcripts): WeasyPrint with one font configuration per process, CJK
fonts embedded as subsets, a URL fetcher that serves only the project's own static files
(and resources the caller hands over by URL), and an error when a glyph is missing.

Rules (``shared/design/STACK.md``, ``QUALITY.md``):

* CJK fonts come from the system (Debian ``fonts-noto-cjk``) and are embedded as subsets:
  ``full_fonts`` is never turned on (tens of MB per PDF otherwise).
* One ``FontConfiguration`` per process (``FONT_CONFIG``): memory stays flat across renders.
* A missing glyph is an error: WeasyPrint only logs a ``.notdef`` warning and draws boxes,
  so the render watches its log and raises :class:`MissingGlyphError`.
* WeasyPrint fetches resources through :class:`StaticOnlyURLFetcher`, which serves the
  project's own static files from disk and refuses every other URL (``file:``, ``http:``,
  ``data:``, other hosts, ``..``): documents are built from user content, so the fetcher
  is otherwise a file-read and SSRF surface.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# One per process: building a FontConfiguration per document grows memory past 600 MB
# over a batch (STACK.md).
FONT_CONFIG = FontConfiguration()
# Resources larger than this are refused (the PDF stylesheet is a few KB).
MAX_STATIC_BYTES = 2 * 1024 * 1024


class PDFRenderError(Exception):
    """A PDF could not be rendered correctly."""


class MissingGlyphError(PDFRenderError):
    """WeasyPrint drew a ``.notdef`` box: a character has no glyph in the fonts."""


# --- URL fetcher --------------------------------------------------------------------


def document_base_url() -> str:
    """The base URL of a document: the site's address, so links in the PDF point at the
    site and ``{% static %}`` URLs resolve under :func:`static_prefix`."""
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "http://localhost"
    return base.rstrip("/") + "/"


def static_prefix(base_url: str | None = None) -> str:
    return urljoin(base_url or document_base_url(), settings.STATIC_URL)


class StaticOnlyURLFetcher(URLFetcher):
    """Serves URLs under the project's ``STATIC_URL`` from local disk (the static finders,
    or the collected ``STATIC_ROOT``) and refuses everything else. Never opens a network
    connection or an arbitrary file."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        extra: Mapping[str, tuple[bytes, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.prefix = static_prefix(base_url)
        self.refused: list[str] = []
        # Resources the caller has already read and checked (e.g. a certificate's seal
        # image from the media storage), by the exact URL the document uses.
        self.extra = dict(extra or {})

    def refuse(self, url: str, reason: str) -> ValueError:
        self.refused.append(url)
        logger.warning("PDF resource refused (%s): %.200s", reason, url)
        return ValueError(f"Refused URL ({reason}): {url[:200]}")

    def local_path(self, url: str) -> Path:
        """The file on disk for a static URL, or raise ``ValueError``."""
        if not url.startswith(self.prefix):
            raise self.refuse(url, "not a static file of this project")
        parts = urlsplit(url)
        prefix_path = urlsplit(self.prefix).path
        relative = unquote(parts.path)[len(prefix_path) :]
        if not relative or "\\" in relative or "\x00" in relative:
            raise self.refuse(url, "bad path")
        normalised = posixpath.normpath(relative)
        if normalised != relative or normalised.startswith(("/", "..")) or "/../" in relative:
            raise self.refuse(url, "path traversal")
        found = finders.find(normalised)
        candidate: str | None = found if isinstance(found, str) else None
        if candidate is None:
            try:
                candidate = staticfiles_storage.path(normalised)
            except NotImplementedError:
                candidate = None
        if candidate is None or not Path(candidate).is_file():
            raise self.refuse(url, "no such static file")
        return Path(candidate)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url in self.extra:
            body, content_type = self.extra[url]
            return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})
        path = self.local_path(url)
        if path.stat().st_size > MAX_STATIC_BYTES:
            raise self.refuse(url, "too large")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


# --- Catching missing glyphs --------------------------------------------------------


class _WarningCollector(logging.Handler):
    """Collects WeasyPrint's warnings logged by one thread."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextmanager
def weasyprint_warnings() -> Iterator[list[str]]:
    """The warnings (and errors) WeasyPrint logs inside the block."""
    wp_logger = logging.getLogger("weasyprint")
    collector = _WarningCollector()
    previous_level = wp_logger.level
    if wp_logger.getEffectiveLevel() > logging.WARNING:
        wp_logger.setLevel(logging.WARNING)
    wp_logger.addHandler(collector)
    try:
        yield collector.messages
    finally:
        wp_logger.removeHandler(collector)
        wp_logger.setLevel(previous_level)


def missing_glyphs(messages: Iterable[str]) -> list[str]:
    return [m for m in messages if ".notdef" in m or "glyph" in m.lower()]


@dataclass
class RenderedPDF:
    data: bytes
    page_count: int
    warnings: list[str]


def pdf_render(
    html: str,
    *,
    base_url: str | None = None,
    extra: Mapping[str, tuple[bytes, str]] | None = None,
    stylesheets: Sequence[Any] = (),
) -> RenderedPDF:
    """Lay out ``html`` and write the PDF, with subset fonts and the static-only fetcher
    (plus the ``extra`` resources, by URL), and ``stylesheets`` already parsed by the caller
    (``weasyprint.CSS`` objects, e.g. kept for the life of the process). Raises :class:`MissingGlyphError` when a
    character had no glyph."""
    base = base_url or document_base_url()
    fetcher = StaticOnlyURLFetcher(base, extra=extra)
    with weasyprint_warnings() as messages:
        document = HTML(string=html, base_url=base, url_fetcher=fetcher).render(
            font_config=FONT_CONFIG, stylesheets=list(stylesheets)
        )
        data = document.write_pdf(full_fonts=False)
    glyphs = missing_glyphs(messages)
    if glyphs:
        raise MissingGlyphError("; ".join(glyphs[:5]))
    assert isinstance(data, bytes)
    return RenderedPDF(data=data, page_count=len(document.pages), warnings=messages)


def organisation_name() -> str:
    from wagtail.models import Site

    from qinglian.models import SiteSettings

    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        return ""
    return SiteSettings.for_site(site).organisation_name
