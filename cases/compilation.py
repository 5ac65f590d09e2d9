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

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from qinglian.pdf import (  # noqa: F401  (re-exported: the booklet's tests and bench use them)
    FONT_CONFIG,
    MAX_STATIC_BYTES,
    MissingGlyphError,
    PDFRenderError,
    RenderedPDF,
    StaticOnlyURLFetcher,
    document_base_url,
    missing_glyphs,
    organisation_name,
    pdf_render,
    static_prefix,
    weasyprint_warnings,
)

from .models import Article, CaseCompilation, CasePage

TEMPLATE = "pdf/compilation.html"


class CompilationRenderError(PDFRenderError):
    """The booklet could not be rendered correctly."""


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
