"""Regulation and article pages: public reading, stable addresses."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView

from people.access import PublicMixin

from .models import Article, Regulation


class RegulationDetailView(PublicMixin, DetailView):
    template_name = "cases/regulation_detail.html"
    context_object_name = "regulation"
    model = Regulation

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["articles"] = self.object.articles.all()
        return context


class ArticleDetailView(PublicMixin, DetailView):
    template_name = "cases/article_detail.html"
    context_object_name = "article"

    def get_queryset(self) -> QuerySet[Article]:
        return Article.objects.select_related("regulation")

    def get_object(self, queryset: QuerySet[Article] | None = None) -> Article:
        return get_object_or_404(
            self.get_queryset(), regulation__slug=self.kwargs["slug"], number=self.kwargs["number"]
        )
