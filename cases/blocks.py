"""Case body blocks: the shared set plus facts annotated with the article they breach."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from qinglian.blocks import base_blocks


class ArticleQuoteBlock(blocks.StructBlock):
    """Quotes a regulation article in full, linked to its page."""

    article = SnippetChooserBlock("cases.Article", label=_("Article"))
    note = blocks.CharBlock(label=_("Note"), required=False, max_length=200)

    class Meta:
        icon = "openquote"
        label = _("Regulation article")
        template = "components/blocks/article_quote.html"


class FactBlock(blocks.StructBlock):
    """A fact of the case, annotated with the article(s) it breaches."""

    text = blocks.RichTextBlock(label=_("Fact"), features=["bold", "italic"])
    articles = blocks.ListBlock(
        SnippetChooserBlock("cases.Article"), label=_("Articles breached"), min_num=0
    )

    class Meta:
        icon = "warning"
        label = _("Annotated fact")
        template = "components/blocks/fact.html"


def case_body_blocks() -> list[tuple[str, blocks.Block]]:
    return [*base_blocks(), ("fact", FactBlock()), ("article_quote", ArticleQuoteBlock())]
