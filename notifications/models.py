"""In-app notifications, each also sent by e-mail once.

``key`` makes every notification idempotent: the reminder for enrolment 12, seven days
before its due date, is ``course-due:12:7``; a second run of the schedule or a retried task
finds the row and sends nothing more.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    key = models.CharField(
        _("key"), max_length=120, help_text=_("Unique per person: what makes sending idempotent.")
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    # A failed e-mail is tried again later (``notification_emails_retry``): how often it
    # failed, and when the next try is due (empty: none due, sent or given up).
    email_failures = models.PositiveSmallIntegerField(_("failed e-mail attempts"), default=0)
    email_retry_at = models.DateTimeField(_("next e-mail attempt"), null=True, blank=True)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["user", "key"], name="notifications_unique_key"),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["user", "read_at"], name="notifications_unread"),
            models.Index(fields=["email_retry_at"], name="notifications_email_retry"),
        ]

    def __str__(self) -> str:
        return self.title
