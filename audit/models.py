"""The tamper-evident audit log (审计日志).

Every read and write of a confidential record (talk records, integrity pledges,
clean-government files), every login and failed login, and every refused request writes
an :class:`AuditEntry` in the same transaction as the action. Rows are append-only and
hash-chained: ``entry_hash`` is the SHA-256 of the row's content and ``prev_hash``, the
hash of the row before it, so a changed, deleted or inserted row breaks the chain, which
``python manage.py verify_audit_log`` reports. :class:`AuditHead` is a single row that
holds the end of the chain; writers lock it, so the chain has no forks.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditAction(models.TextChoices):
    READ = "read", _("Read")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    DENIED = "denied", _("Permission refused")
    PURGE = "purge", _("Retention purge")


class AuditLogImmutable(Exception):
    """An attempt to change or delete an audit row outside the retention purge."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogImmutable("audit rows are never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("audit rows are deleted only by audit_purge_expired()")


class AuditEntry(models.Model):
    """One audited action. Never updated or deleted except by the retention purge (which
    uses ``_raw_delete``); on PostgreSQL a trigger refuses UPDATE and DELETE too. The
    person columns are plain ids without a foreign-key constraint (``DO_NOTHING``):
    deleting a person must not rewrite hashed rows, and ``actor_label`` keeps who it was."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(
        _("who (as recorded)"),
        max_length=200,
        blank=True,
        help_text=_("Name and e-mail at the time, or the login tried."),
    )
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(_("record type"), max_length=60, blank=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("whose record"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    subject_unit_path = models.CharField(
        _("unit path of the record"), max_length=255, blank=True, db_index=True
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("address"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    entry_hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering: ClassVar[list[str]] = ["-id"]
        default_permissions = ("view",)
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["object_type", "object_id"], name="audit_entry_object"),
            models.Index(fields=["action", "at"], name="audit_entry_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogImmutable("audit rows are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogImmutable("audit rows are deleted only by audit_purge_expired()")


class AuditHead(models.Model):
    """The end of the chain (one row, ``pk=1``), locked by every writer. After a retention
    purge ``anchor_hash`` is the ``prev_hash`` the first remaining row must carry."""

    last_id = models.BigIntegerField(_("last entry"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, default=GENESIS_HASH)
    anchor_id = models.BigIntegerField(_("first kept entry"), default=0)
    anchor_hash = models.CharField(_("anchor hash"), max_length=64, default=GENESIS_HASH)

    # A per-person record: Wagtail's "used by" index has nothing to learn from it,
    # and indexing it would cost queries on every save.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.last_id}"
