"""Site-wide pages and settings."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    """The site's home page: a welcome and the ways into the product."""

    intro = models.CharField(_("introduction"), max_length=255, blank=True)
    body = RichTextField(_("body"), blank=True)

    content_panels: ClassVar[list] = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields: ClassVar[list] = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]

    max_count = 1
    parent_page_types: ClassVar[list[str]] = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")

    def route(self, request: Any, path_components: list[str]) -> Any:
        """Find a page two or more levels down (a case, a lesson) by its URL path in one
        query, instead of Wagtail's query per path segment plus one per ``specific``.

        The page found answers for itself through its own ``route`` (so its own rules,
        e.g. "live only", still hold); when no page has that URL path (a routable page's
        sub-path, a typo) Wagtail's segment-by-segment routing takes over unchanged."""
        if len(path_components) >= 2:
            url_path = f"{self.url_path}{'/'.join(path_components)}/"
            page = (
                Page.objects.filter(url_path=url_path, path__startswith=self.path)
                .only("id", "content_type_id")
                .first()
            )
            if page is not None and page.specific_class is not None:
                specific = page.specific_class.objects.get(pk=page.pk)
                return specific.route(request, [])
        return super().route(request, path_components)


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    """Footer text an administrator can edit without a deploy."""

    organisation_name = models.CharField(
        _("organisation name"),
        max_length=120,
        blank=True,
        help_text=_("Shown in the footer, e.g. the commission that runs this site."),
    )
    footer_note = models.CharField(_("footer note"), max_length=255, blank=True)
    contact = models.CharField(_("contact"), max_length=255, blank=True)

    panels: ClassVar[list] = [
        FieldPanel("organisation_name"),
        FieldPanel("footer_note"),
        FieldPanel("contact"),
    ]

    class Meta:
        verbose_name = _("site settings")
