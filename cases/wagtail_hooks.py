"""Wagtail admin for regulations, articles and the case taxonomies."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Article, DisciplineCategory, Region, Regulation


class RegulationViewSet(SnippetViewSet):
    model = Regulation
    icon = "doc-full"
    menu_label = _("Regulations")
    list_display = ["title", "short_name", "version", "effective_date"]
    search_fields = ["title", "short_name"]


class ArticleViewSet(SnippetViewSet):
    model = Article
    icon = "openquote"
    menu_label = _("Articles")
    list_display = ["__str__", "chapter"]
    list_filter = ["regulation"]
    ordering = ["regulation", "number"]


class DisciplineCategoryViewSet(SnippetViewSet):
    model = DisciplineCategory
    icon = "tag"
    menu_label = _("Discipline categories")
    list_display = ["__str__", "code", "order"]
    ordering = ["parent__order", "order"]


class RegionViewSet(SnippetViewSet):
    model = Region
    icon = "site"
    menu_label = _("Regions")
    list_display = ["name", "order"]


class CaseLibraryGroup(SnippetViewSetGroup):
    menu_label = _("Case library")
    menu_icon = "folder-open-inverse"
    menu_order = 230
    items = (RegulationViewSet, ArticleViewSet, DisciplineCategoryViewSet, RegionViewSet)


register_snippet(CaseLibraryGroup)
