"""Small helpers for the dashboard templates: a figure linked to the people behind it,
and rates printed the same way everywhere."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def figure_link(href: str, value: int, label: Any = "") -> SafeString:
    """``value`` as a link to ``href`` (the list of exactly those people or records),
    with ``label`` read out after the number; a plain number when there is no list to
    open (0, or no link for this row)."""
    if not href or not value:
        return format_html("{}", value)
    if label:
        return format_html(
            '<a href="{}">{}<span class="visually-hidden"> {}</span></a>', href, value, label
        )
    return format_html('<a href="{}">{}</a>', href, value)


@register.filter
def percent(value: int | None) -> str:
    """``63`` → "63%"; nothing to count → "—"."""
    return "—" if value is None else f"{value}%"


@register.filter
def score(value: Decimal | None) -> str:
    """An average score with one decimal place; "—" when there is none."""
    return "—" if value is None else f"{Decimal(value):.1f}"


@register.filter
def hours(value: Decimal | float | int | None) -> str:
    """Study hours without trailing zeros (12, 12.5)."""
    if value is None:
        return "—"
    text = f"{Decimal(value):.1f}"
    return text[:-2] if text.endswith(".0") else text
