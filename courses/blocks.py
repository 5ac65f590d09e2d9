"""Lesson body blocks: the shared set, cases and articles from the case library, media,
documents and honesty talks. Each renders its own template under ``templates/components/``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtailmedia.blocks import AudioChooserBlock, VideoChooserBlock

from cases.blocks import ArticleQuoteBlock
from qinglian.blocks import ParagraphBlock, base_blocks


class VideoBlock(blocks.StructBlock):
    """A video whose watching is tracked (see ``courses.services.progress``)."""

    video = VideoChooserBlock(label=_("Video"))
    transcript = blocks.RichTextBlock(
        label=_("Transcript"), required=False, features=["bold", "italic", "ol", "ul"]
    )

    class Meta:
        icon = "media"
        label = _("Video")
        template = "components/blocks/video.html"


class AudioBlock(blocks.StructBlock):
    audio = AudioChooserBlock(label=_("Audio"))
    transcript = blocks.RichTextBlock(
        label=_("Transcript"), required=False, features=["bold", "italic", "ol", "ul"]
    )

    class Meta:
        icon = "media"
        label = _("Audio")
        template = "components/blocks/audio.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    description = blocks.CharBlock(label=_("Description"), required=False, max_length=200)

    class Meta:
        icon = "doc-full"
        label = _("Document")
        template = "components/blocks/document.html"


class CaseEmbedBlock(blocks.StructBlock):
    """A warning-education case from the case library, shown as a card with its summary."""

    case = blocks.PageChooserBlock(page_type="cases.CasePage", label=_("Case"))
    note = blocks.CharBlock(label=_("Why this case"), required=False, max_length=300)

    class Meta:
        icon = "warning"
        label = _("Case study")
        template = "components/blocks/case_embed.html"


class TalkEmbedBlock(blocks.StructBlock):
    """An honesty talk from the talk library, played inside the lesson."""

    talk = blocks.PageChooserBlock(page_type="courses.TalkPage", label=_("Honesty talk"))

    class Meta:
        icon = "user"
        label = _("Honesty talk")
        template = "components/blocks/talk_embed.html"


def lesson_body_blocks() -> list[tuple[str, blocks.Block]]:
    return [
        *base_blocks(),
        ("video", VideoBlock()),
        ("audio", AudioBlock()),
        ("document", DocumentBlock()),
        ("case", CaseEmbedBlock()),
        ("article_quote", ArticleQuoteBlock()),
        ("talk", TalkEmbedBlock()),
    ]


def objectives_blocks() -> list[tuple[str, blocks.Block]]:
    return [
        ("objective", blocks.CharBlock(label=_("Objective"), max_length=200)),
        ("text", ParagraphBlock()),
    ]
