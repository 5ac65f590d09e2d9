"""Writes of the notifications app: create a notification once, e-mail it once, mark read."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from qinglian.http import url_in_language

from .models import Notification

logger = logging.getLogger(__name__)


def user_language(*, user: Any) -> str:
    """The language to write to ``user`` in: their own when the profile records one,
    otherwise the site's default (Chinese)."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def absolute_url(url: str) -> str:
    """``url`` made absolute with the site's base URL (links in e-mails)."""
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/" + url.lstrip("/")


def notification_send(
    *, user: Any, key: str, kind: str, title: str, body: str = "", url: str = ""
) -> bool:
    """Notify ``user`` once per ``key``: create the in-app notification and e-mail it.

    Returns ``True`` when the notification is new. When ``user`` already has one with
    ``key`` (a second run of a schedule, a retried task, two workers at once) nothing is
    written or sent and the answer is ``False``.

    The e-mail goes after the surrounding transaction commits (so a rolled-back
    notification is never mailed), in the person's language; ``emailed_at`` is then set
    with a conditional UPDATE. A failing mail server is logged and leaves ``emailed_at``
    empty; the in-app notification stands.
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                key=key[:120],
                kind=kind[:40],
                title=title[:200],
                body=body,
                url=url[:500],
            )
    except IntegrityError:
        return False
    unread_forget(user_id=notification.user_id)
    transaction.on_commit(lambda: unread_forget(user_id=notification.user_id))
    transaction.on_commit(lambda: notification_email(notification=notification), robust=True)
    return True


def unread_forget(*, user_id: int) -> None:
    """Drop the cached unread count of ``user_id`` (it is counted again when next shown)."""
    from django.core.cache import cache

    from .selectors import unread_cache_key

    cache.delete(unread_cache_key(user_id))


def notification_email(*, notification: Notification, now: datetime.datetime | None = None) -> bool:
    """E-mail ``notification`` to its person unless it has been e-mailed already."""
    if notification.emailed_at is not None:
        return False
    user = notification.user
    if not user.email or not user.is_active:
        return False
    language = user_language(user=user)
    with translation.override(language):
        context = {
            "user": user,
            "notification": notification,
            # The link opens the page in the reader's language, whatever the language
            # the sender built it in.
            "url": absolute_url(url_in_language(notification.url, language))
            if notification.url
            else "",
            "notifications_url": absolute_url(_notifications_path()),
        }
        subject = f"[{_site_name()}] {notification.title}"
        text = render_to_string("emails/notification.txt", context)
        html = render_to_string("emails/notification.html", context)
    message = EmailMultiAlternatives(subject, text, None, [user.email])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:  # the mail server is down: the in-app notification stands
        logger.exception("E-mail for notification %s failed", notification.pk)
        _email_failed(notification, now=now or timezone.now())
        return False
    now = timezone.now()
    marked = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        emailed_at=now
    )
    notification.emailed_at = now
    return bool(marked)


def email_retry_delay(failures: int) -> datetime.timedelta:
    """How long after its ``failures``-th failure an e-mail is tried again: 5 minutes, then
    15, 45, 135 …"""
    return datetime.timedelta(minutes=5 * 3 ** max(failures - 1, 0))


def _email_failed(notification: Notification, *, now: datetime.datetime) -> None:
    """Count the failure and schedule the next try, unless this was the last one allowed
    (``NOTIFICATIONS_EMAIL_MAX_ATTEMPTS``); then the e-mail is given up (logged) and the
    in-app notification stands alone."""
    failures = notification.email_failures + 1
    attempts = getattr(settings, "NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", 5)
    retry_at = now + email_retry_delay(failures) if failures < attempts else None
    Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
        email_failures=F("email_failures") + 1, email_retry_at=retry_at
    )
    notification.email_failures = failures
    notification.email_retry_at = retry_at
    if retry_at is None:
        logger.error(
            "E-mail for notification %s given up after %d attempts", notification.pk, failures
        )


def notification_emails_retry(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Send again the e-mails that failed and whose next try is due. Each one is claimed
    with a conditional UPDATE first (its ``email_retry_at`` cleared), so two runs at once
    never send the same e-mail twice. Returns how many were sent."""
    now = now or timezone.now()
    due = list(
        Notification.objects.filter(emailed_at__isnull=True, email_retry_at__lte=now)
        .order_by("email_retry_at", "pk")
        .values_list("pk", "email_retry_at")[:limit]
    )
    sent = 0
    for pk, retry_at in due:
        claimed = Notification.objects.filter(
            pk=pk, emailed_at__isnull=True, email_retry_at=retry_at
        ).update(email_retry_at=None)
        if not claimed:
            continue  # another run took it
        notification = Notification.objects.select_related("user").get(pk=pk)
        sent += notification_email(notification=notification, now=now)
    return sent


def _notifications_path() -> str:
    from django.urls import reverse

    return reverse("notifications:list")


def _site_name() -> str:
    from django.utils.translation import gettext

    return gettext("Qinglian")


def notification_mark_read(*, notification: Notification) -> None:
    """Mark one notification read (a no-op when it already is)."""
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
        unread_forget(user_id=notification.user_id)


def notification_mark_all_read(*, user: Any) -> int:
    """Mark all of ``user``'s unread notifications read; returns how many."""
    marked = Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    unread_forget(user_id=user.pk)
    return marked
