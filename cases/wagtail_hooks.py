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


# --- Regulation import: upload → preview → confirm (cases.admin_views) ---------------
# Trainers and superusers; registered from a function so this block needs no imports at
# the top of the module.


def _register_regulation_import() -> None:
    from django.urls import include, path, reverse
    from wagtail import hooks
    from wagtail.admin.menu import MenuItem

    from people.selectors import user_has_role

    from . import admin_views

    class RegulationImportMenuItem(MenuItem):
        def is_shown(self, request: object) -> bool:
            return user_has_role(user=getattr(request, "user", None), roles=("trainer",))

    @hooks.register("register_admin_urls")
    def register_regulation_import_urls() -> list[object]:
        return [
            path(
                "regulations/import/",
                include(
                    (admin_views.urlpatterns, admin_views.app_name),
                    namespace=admin_views.app_name,
                ),
            )
        ]

    @hooks.register("register_admin_menu_item")
    def register_regulation_import_menu_item() -> MenuItem:
        return RegulationImportMenuItem(
            _("Import a regulation"),
            reverse("cases_regulation_import:upload"),
            name="regulation-import",
            icon_name="upload",
            order=231,
        )


_register_regulation_import()
