"""The dashboard keeps no figures of its own (every figure is counted from the other
apps' rows when asked); it stores only the XLSX exports too large to build in a request."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils.translation import gettext_lazy as _


def private_storage() -> Storage:
    """Exports list people's records: served only through a view that checks the requester."""
    return storages["private"]


class ExportKind(models.TextChoices):
    UNITS = "units", _("Figures by unit")
    PEOPLE = "people", _("People")
    ENROLMENTS = "enrolments", _("Required courses")


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def export_upload_to(instance: ExportJob, filename: str) -> str:
    return f"dashboard-exports/{instance.pk}.{instance.format}"


class ExportJob(models.Model):
    """A large dashboard export built by a Celery task that reports progress. The rows are
    chosen with the requester's scope when the task runs; only the requester downloads."""

    wagtail_reference_index_ignore = True

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="dashboard_exports",
    )
    kind = models.CharField(_("table"), max_length=16, choices=ExportKind.choices)
    format = models.CharField(_("format"), max_length=8, choices=ExportFormat.choices)
    # The filters as the request gave them (year, unit, show/status), already validated.
    params = models.JSONField(_("filters"), default=dict)
    # Identifies "the same export again" so a double click reuses the running job.
    fingerprint = models.CharField(_("fingerprint"), max_length=64, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(
        _("file"), upload_to=export_upload_to, storage=private_storage, blank=True, max_length=255
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("dashboard export")
        verbose_name_plural = _("dashboard exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.format}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return 100 * self.done // self.total if self.total else 0
