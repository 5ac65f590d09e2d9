"""The case compilation booklet (警示教育读本): HTML from ``templates/pdf/compilation.html``,
laid out and written to PDF by WeasyPrint.

Rules (``shared/design/STACK.md``, ``QUALITY.md``):

* CJK fonts come from the system (Debian ``fonts-noto-cjk``) and are embedded as subsets:
  ``full_fonts`` is never turned on (tens of MB per PDF otherwise).
* One ``FontConfiguration`` per process (``FONT_CONFIG``): memory stays flat across renders.
* A missing glyph is an error: WeasyPrint only logs a ``.notdef`` warning and draws boxes,
  so the render watches its log and raises :class:`MissingGlyphError`.
* WeasyPrint fetches resources through :class:`StaticOnlyURLFetcher`, which serves the
  project's own static files from disk and refuses every other URL (``file:``, ``http:``,
  ``data:``, other hosts, ``..``): the document is built from user content, so the fetcher
  is otherwise a file-read and SSRF surface.
* The template is a normal, auto-escaped Django template.

The output is deterministic: the same cases at the same revisions give byte-identical PDFs
(no render time anywhere in the file), so a duplicate render is harmless.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .models import Article, CaseCompilation, CasePage

logger = logging.getLogger(__name__)

TEMPLATE = "pdf/compilation.html"
# One per process: building a FontConfiguration per document grows memory past 600 MB
# over a batch (STACK.md).
FONT_CONFIG = FontConfiguration()
# Resources larger than this are refused (the PDF stylesheet is a few KB).
MAX_STATIC_BYTES = 2 * 1024 * 1024


class CompilationRenderError(Exception):
    """The booklet could not be rendered correctly."""


class MissingGlyphError(CompilationRenderError):
    """WeasyPrint drew a ``.notdef`` box: a character has no glyph in the fonts."""


# --- URL fetcher --------------------------------------------------------------------


def document_base_url() -> str:
    """The base URL of the booklet: the site's address, so links in the PDF point at the
    site and ``{% static %}`` URLs resolve under :func:`static_prefix`."""
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "http://localhost"
    return base.rstrip("/") + "/"


def static_prefix(base_url: str | None = None) -> str:
    return urljoin(base_url or document_base_url(), settings.STATIC_URL)


class StaticOnlyURLFetcher(URLFetcher):
    """Serves URLs under the project's ``STATIC_URL`` from local disk (the static finders,
    or the collected ``STATIC_ROOT``) and refuses everything else. Never opens a network
    connection or an arbitrary file."""

    def __init__(self, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prefix = static_prefix(base_url)
        self.refused: list[str] = []

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


# --- Content ------------------------------------------------------------------------


@dataclass
class CaseChapter:
    number: int
    anchor: str
    page: CasePage
    categories: list[Any]
    articles: list[Article]
    blocks: list[dict[str, Any]]


@dataclass
class Booklet:
    title: str
    date: Any
    organisation: str
    chapters: list[CaseChapter] = field(default_factory=list)
    appendix: list[Article] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.chapters)


def case_queryset() -> Any:
    return (
        CasePage.objects.live()
        .select_related("region", "sector", "rank_level")
        .prefetch_related("categories__parent", "articles_breached__regulation")
    )


def _block_dicts(page: CasePage) -> tuple[list[dict[str, Any]], list[int]]:
    """The body as plain data for the PDF template (articles as ids, resolved later in one
    query), and the ids of the articles it cites."""
    blocks: list[dict[str, Any]] = []
    cited: list[int] = []
    for block in page.body:
        kind = block.block_type
        value = block.value
        if kind == "paragraph":
            blocks.append({"type": "paragraph", "html": value})
        elif kind == "key_points":
            blocks.append(
                {"type": "key_points", "heading": value.get("heading"), "points": value["points"]}
            )
        elif kind == "fact":
            ids = [a.pk for a in value.get("articles") or [] if a is not None]
            cited.extend(ids)
            blocks.append({"type": "fact", "html": value["text"], "articles": ids})
        elif kind == "article_quote":
            article = value.get("article")
            ids = [article.pk] if article is not None else []
            cited.extend(ids)
            blocks.append({"type": "article_quote", "articles": ids, "note": value.get("note")})
    return blocks, cited


def _appendix_order(article: Article) -> tuple[Any, ...]:
    regulation = article.regulation
    return (regulation.short_name, regulation.version, regulation.pk, article.number)


def booklet_build(
    *,
    title: str,
    cases: Sequence[CasePage],
    date: Any,
    organisation: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> Booklet:
    """Gather everything the template shows. ``progress(done, total)`` after each case.
    The appendix holds every article cited: those breached and those in the bodies."""
    booklet = Booklet(title=title, date=date, organisation=organisation)
    cited: list[int] = []
    for number, page in enumerate(cases, start=1):
        blocks, body_articles = _block_dicts(page)
        breached = list(page.articles_breached.all())
        cited.extend(a.pk for a in breached)
        cited.extend(body_articles)
        booklet.chapters.append(
            CaseChapter(
                number=number,
                anchor=f"case-{number}",
                page=page,
                categories=list(page.categories.all()),
                articles=breached,
                blocks=blocks,
            )
        )
        if progress is not None:
            progress(number, len(cases))
    articles = Article.objects.select_related("regulation").in_bulk(set(cited))
    for chapter in booklet.chapters:
        for block in chapter.blocks:
            if "articles" in block:
                block["articles"] = [articles[pk] for pk in block["articles"] if pk in articles]
    booklet.appendix = sorted(articles.values(), key=_appendix_order)
    return booklet


def booklet_html(booklet: Booklet) -> str:
    # The booklet is Chinese whatever language the person ordering it browses in.
    with translation.override("zh-hans"):
        return render_to_string(TEMPLATE, {"booklet": booklet})


@dataclass
class RenderedPDF:
    data: bytes
    page_count: int
    warnings: list[str]


def pdf_render(html: str, *, base_url: str | None = None) -> RenderedPDF:
    """Lay out ``html`` and write the PDF, with subset fonts and the static-only fetcher.
    Raises :class:`MissingGlyphError` when a character had no glyph."""
    base = base_url or document_base_url()
    fetcher = StaticOnlyURLFetcher(base)
    with weasyprint_warnings() as messages:
        document = HTML(string=html, base_url=base, url_fetcher=fetcher).render(
            font_config=FONT_CONFIG
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


def cases_in_order(case_ids: Sequence[int]) -> list[CasePage]:
    """The live case pages with these ids, in this order (unpublished ones are left out)."""
    pages = case_queryset().in_bulk(list(case_ids))
    return [pages[pk] for pk in case_ids if pk in pages]


def compilation_pdf(
    compilation: CaseCompilation,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> RenderedPDF:
    """The booklet for a compilation row."""
    cases = cases_in_order(compilation.case_ids)
    if not cases:
        raise CompilationRenderError("None of the selected cases is published any more.")
    date = compilation.created_at
    if date is not None and settings.USE_TZ:
        from django.utils import timezone

        date = timezone.localtime(date)
    booklet = booklet_build(
        title=compilation.title,
        cases=cases,
        date=date.date() if date is not None else None,
        organisation=organisation_name(),
        progress=progress,
    )
    return pdf_render(booklet_html(booklet))
