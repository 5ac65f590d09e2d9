"""Regulation and article pages: public reading, stable addresses.

``/regulations/<slug>/`` shows a regulation's full text grouped by part (编), chapter (章)
and section (节), every article with an anchor (``#article-27``);
``/regulations/<slug>/<number>/`` is one article's permanent address, with the article
before and after it and everything that cites it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from django.contrib.contenttypes.models import ContentType
from django.db.models import IntegerField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView
from wagtail.models import Page, PageViewRestriction, ReferenceIndex

from people.access import PublicMixin

from .models import Article, CasePage, Regulation

# Largest article number a URL may ask for (beyond it: 404, never a database overflow).
NUMBER_MAX: Final = 2_147_483_647


# --- Reads (candidates for cases.selectors) ------------------------------------------


@dataclass
class Section:
    title: str
    anchor: str
    level: int  # heading level (h2–h4): no level is skipped when a text has no 编
    articles: list[Article] = field(default_factory=list)


@dataclass
class Chapter:
    title: str
    anchor: str
    level: int
    sections: list[Section] = field(default_factory=list)

    @property
    def first(self) -> Article:
        return self.sections[0].articles[0]

    @property
    def last(self) -> Article:
        return self.sections[-1].articles[-1]


@dataclass
class Part:
    title: str
    anchor: str
    level: int = 2
    chapters: list[Chapter] = field(default_factory=list)

    @property
    def titled_chapters(self) -> list[Chapter]:
        return [c for c in self.chapters if c.title]


def regulation_outline(*, articles: list[Article]) -> list[Part]:
    """Articles (in number order) grouped into parts → chapters → sections. A text
    without 编, 章 or 节 gets one untitled group at that level."""
    parts: list[Part] = []
    for article in articles:
        if not parts or parts[-1].title != article.part:
            parts.append(Part(article.part, f"part-{len(parts) + 1}"))
        part = parts[-1]
        if not part.chapters or part.chapters[-1].title != article.chapter:
            level = part.level + 1 if part.title else part.level
            anchor = f"{part.anchor}-chapter-{len(part.chapters) + 1}"
            part.chapters.append(Chapter(article.chapter, anchor, level))
        chapter = part.chapters[-1]
        if not chapter.sections or chapter.sections[-1].title != article.section:
            level = chapter.level + 1 if chapter.title else chapter.level
            anchor = f"{chapter.anchor}-section-{len(chapter.sections) + 1}"
            chapter.sections.append(Section(article.section, anchor, level))
        chapter.sections[-1].articles.append(article)
    return parts


def _viewer_may_see(
    page: Page, restrictions: list[PageViewRestriction], request: HttpRequest
) -> bool:
    return all(r.accept_request(request) for r in restrictions if page.path.startswith(r.page.path))


def article_cited_by(*, article: Article, request: HttpRequest) -> list[Page]:
    """Live pages that cite ``article`` and that the viewer may see: case pages through
    ``articles_breached``, and any page (cases, and later lessons or quiz pages) whose
    fields or StreamField blocks reference it in Wagtail's reference index. Specific
    pages, cases first, then by title. A fixed number of queries, however many cite it."""
    page_type = ContentType.objects.get_for_model(Page)
    referencing = ReferenceIndex.get_references_to(article).filter(base_content_type=page_type)
    through = CasePage.articles_breached.through.objects.filter(article=article)
    pages = list(
        Page.objects.live()
        .filter(
            # object_id is text: cast it so PostgreSQL compares integers.
            Q(
                pk__in=referencing.annotate(page_id=Cast("object_id", IntegerField())).values(
                    "page_id"
                )
            )
            | Q(pk__in=through.values("casepage_id"))
        )
        .specific()
    )
    if not pages:
        return []
    prefixes = {
        p.path[:i] for p in pages for i in range(Page.steplen, len(p.path) + 1, Page.steplen)
    }
    restrictions = list(
        PageViewRestriction.objects.filter(page__path__in=prefixes).select_related("page")
    )
    visible = [p for p in pages if _viewer_may_see(p, restrictions, request)]
    visible.sort(key=lambda p: (not isinstance(p, CasePage), p.title, p.pk))
    return visible


# --- Views ---------------------------------------------------------------------------


class RegulationListView(PublicMixin, ListView):
    template_name = "cases/regulation_list.html"
    context_object_name = "regulations"

    def get_queryset(self) -> QuerySet[Regulation]:
        return Regulation.objects.order_by("short_name", "-version")


class RegulationDetailView(PublicMixin, DetailView):
    template_name = "cases/regulation_detail.html"
    context_object_name = "regulation"
    model = Regulation

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        articles = list(self.object.articles.order_by("number"))
        context["articles"] = articles
        outline = regulation_outline(articles=articles)
        context["outline"] = outline
        context["has_contents"] = any(p.title or p.titled_chapters for p in outline)
        return context


class ArticleDetailView(PublicMixin, DetailView):
    template_name = "cases/article_detail.html"
    context_object_name = "article"

    def get_queryset(self) -> QuerySet[Article]:
        return Article.objects.select_related("regulation")

    def get_object(self, queryset: QuerySet[Article] | None = None) -> Article:
        number = self.kwargs["number"]
        if not 1 <= number <= NUMBER_MAX:
            raise Http404
        return get_object_or_404(
            self.get_queryset(), regulation__slug=self.kwargs["slug"], number=number
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        article: Article = self.object
        siblings = Article.objects.filter(regulation_id=article.regulation_id).only(
            "number", "label", "regulation_id"
        )
        previous = siblings.filter(number__lt=article.number).order_by("-number").first()
        following = siblings.filter(number__gt=article.number).order_by("number").first()
        for neighbour in (previous, following):
            if neighbour is not None:
                neighbour.regulation = article.regulation  # its URL needs the slug
        cited_by = article_cited_by(article=article, request=self.request)
        context.update(
            previous_article=previous,
            next_article=following,
            paragraphs=[p for p in article.text.split("\n") if p.strip()],
            cited_by_cases=[p for p in cited_by if isinstance(p, CasePage)],
            cited_by_other=[p for p in cited_by if not isinstance(p, CasePage)],
        )
        return context
