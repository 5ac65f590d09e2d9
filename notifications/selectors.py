"""Reads of the notifications app: always one person's own notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from .models import Notification


def notification_list(*, user: Any) -> QuerySet[Notification]:
    """``user``'s notifications, unread first, newest first within each."""
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return Notification.objects.filter(user=user).order_by(unread_first, "-created_at", "-id")


def notification_get(*, user: Any, pk: int) -> Notification | None:
    """One of ``user``'s own notifications, or ``None`` (someone else's id included)."""
    return Notification.objects.filter(user=user, pk=pk).first()


UNREAD_TTL = 300


def unread_cache_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def notification_unread_count(*, user: Any) -> int:
    """How many of ``user``'s notifications are unread. Kept in the cache (the services
    forget it whenever a notification is created or read), so the header badge costs no
    query on most pages and one COUNT on the others."""
    if not getattr(user, "is_authenticated", False):
        return 0
    from django.core.cache import cache

    key = unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return int(count)
