"""Regulation and article pages: public reading, stable addresses.

``/regulations/<slug>/`` shows a regulation's full text grouped by part (编), chapter (章)
and section (节), every article with an anchor (``#article-27``);
``/regulations/<slug>/<number>/`` is one article's permanent address, with the article
before and after it and everything that cites it.
"""

from __future__ import annotations

from typing import Any, Final

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from people.access import PublicMixin

from .models import Article, CasePage, Regulation
from .selectors import article_cited_by, regulation_outline

# Largest article number a URL may ask for (beyond it: 404, never a database overflow).
NUMBER_MAX: Final = 2_147_483_647


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
