"""Template helpers for the course, lesson and talk pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def media_percent(tracker: Any, media_id: int) -> int | None:
    """The share of a media item the viewer has watched (0–100), or ``None`` when the
    item is not tracked for them."""
    if tracker is None or media_id not in tracker.tracked_ids:
        return None
    return tracker.percent_by_media.get(media_id, 0)


@register.filter
def is_tracked(tracker: Any, media_id: int) -> bool:
    return tracker is not None and media_id in tracker.tracked_ids


@register.filter
def duration(seconds: float | int | None) -> str:
    """``754.2`` → ``12:34``; ``3725`` → ``1:02:05``; empty for an unknown duration."""
    if not seconds:
        return ""
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def filesize(num: int | None) -> str:
    """A document's size for people: ``1.2 MB``, ``340 KB``."""
    if not num:
        return ""
    if num >= 1024 * 1024:
        return _("%(size).1f MB") % {"size": num / (1024 * 1024)}
    return _("%(size)d KB") % {"size": max(1, round(num / 1024))}
