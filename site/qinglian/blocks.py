"""The shared StreamField blocks. Each renders its own template under
``templates/components/``; apps add their own blocks to these (see ``cases.blocks``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "blockquote"]


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        label = _("Paragraph")
        template = "components/blocks/paragraph.html"


class KeyPointsBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), required=False, max_length=80)
    points = blocks.ListBlock(blocks.CharBlock(label=_("Point"), max_length=300), label=_("Points"))

    class Meta:
        icon = "list-ul"
        label = _("Key points")
        template = "components/blocks/key_points.html"


def base_blocks() -> list[tuple[str, blocks.Block]]:
    return [("paragraph", ParagraphBlock()), ("key_points", KeyPointsBlock())]
