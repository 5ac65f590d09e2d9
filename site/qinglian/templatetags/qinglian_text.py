"""Small text helpers for templates."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_noop, pgettext

register = template.Library()

# Django's form label suffix (``label_tag``): Django's own Chinese catalogue keeps the
# ASCII colon; ours gives the full-width one (单位：), which Chinese text uses.
LABEL_SUFFIX = gettext_noop(":")


@register.simple_tag
def colon() -> str:
    """What separates a label from its value: ": " in English, "：" in Chinese."""
    return pgettext("label separator", ": ")
