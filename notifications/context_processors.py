"""The unread-notification count for the header badge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest


def notifications(request: HttpRequest) -> dict[str, Any]:
    """``notifications_unread``: a callable the template resolves when the header shows
    it, so anonymous visitors and responses that never render the header cost nothing;
    the count comes from the cache, or from one COUNT query (then kept on the request)."""
    return {"notifications_unread": _lazy_unread(request)}


def _lazy_unread(request: HttpRequest) -> Callable[[], int]:
    def unread() -> int:
        cached = getattr(request, "_notifications_unread", None)
        if cached is None:
            from .selectors import notification_unread_count

            cached = notification_unread_count(user=getattr(request, "user", None))
            request._notifications_unread = cached  # type: ignore[attr-defined]
        return cached

    return unread
