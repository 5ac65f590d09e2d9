"""Bulk import of people: upload → preview (every problem listed) → confirm → status.

Unit admins only (superusers too); each job is visible to its creator and superusers,
anyone else gets a 404. The rules live in ``people.importing``; these views only call it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View

from qinglian.exports import stream_csv

from .access import RoleRequiredMixin
from .importing import (
    COLUMNS,
    ImportFileError,
    Issue,
    file_parse,
    job_claim,
    job_create,
    job_issues,
    template_rows,
)
from .models import ImportJob, Role, User
from .tasks import import_apply

# Rows shown on the preview page; the counts always cover the whole file.
PREVIEW_ROWS = 200
IN_PROGRESS = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def job_list_for(*, viewer: User) -> QuerySet[ImportJob]:
    """Jobs the viewer may see: their own; superusers see every job."""
    if viewer.is_superuser:
        return ImportJob.objects.all()
    return ImportJob.objects.filter(created_by=viewer)


class ImportAccessMixin(RoleRequiredMixin):
    access_roles = (Role.UNIT_ADMIN,)
    request: HttpRequest
    kwargs: dict[str, Any]

    def get_job(self) -> ImportJob:
        if not hasattr(self, "_job"):
            user = self.request.user
            assert isinstance(user, User)
            self._job = get_object_or_404(job_list_for(viewer=user), pk=self.kwargs["pk"])
        return self._job


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet file"),
        help_text=gettext_lazy(
            "CSV (UTF-8 or GBK) or Excel .xlsx; the first row holds the column names."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.QINGLIAN_IMPORT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large: the limit is %(limit)s.")
                % {"limit": filesizeformat(limit)}
            )
        return upload


class ImportUploadView(ImportAccessMixin, FormView):
    template_name = "people/import_upload.html"
    form_class = ImportUploadForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["columns"] = COLUMNS
        context["max_size"] = settings.QINGLIAN_IMPORT_MAX_BYTES
        return context

    def form_valid(self, form: ImportUploadForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        limit = settings.QINGLIAN_IMPORT_MAX_BYTES
        data = upload.read(limit + 1)
        try:
            parsed = file_parse(name=upload.name or "", data=data, max_bytes=limit)
        except ImportFileError as exc:
            form.add_error("file", exc.issue.message)
            return self.form_invalid(form)
        user = self.request.user
        assert isinstance(user, User)
        job = job_create(viewer=user, filename=upload.name or "", parsed=parsed)
        return redirect("people:import_preview", pk=job.pk)


class ImportTemplateView(ImportAccessMixin, View):
    """A CSV to fill in: the Chinese column names and one example row."""

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        rows = list(template_rows())
        return stream_csv(filename="people-import-template.csv", header=rows[0], rows=rows[1:])


class ImportPreviewView(ImportAccessMixin, TemplateView):
    template_name = "people/import_preview.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        job = self.get_job()
        if job.status != ImportJob.Status.PREVIEW:
            return redirect("people:import_status", pk=job.pk)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = self.get_job()
        issues = job_issues(job=job)
        rows = job.rows or []
        unchanged = sum(1 for r in rows if r.get("action") == "unchanged")
        context.update(
            job=job,
            issues=issues,
            rows=rows[:PREVIEW_ROWS],
            rows_hidden=max(0, len(rows) - PREVIEW_ROWS),
            unchanged_count=unchanged,
            can_confirm=not issues and bool(rows),
            runs_in_background=job.total_rows >= settings.QINGLIAN_IMPORT_ASYNC_ROWS,
        )
        return context


class ImportConfirmView(ImportAccessMixin, View):
    """POST only. The conditional PREVIEW → QUEUED update makes a double click, a retry or
    a second tab import nothing twice."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_job()
        user = request.user
        assert isinstance(user, User)
        status_url = reverse("people:import_status", kwargs={"pk": job.pk})
        if job.errors:
            messages.error(request, _("This file has problems; fix them and upload it again."))
            return redirect("people:import_preview", pk=job.pk)
        if not job_claim(job_id=job.pk, viewer=user):
            job.refresh_from_db()
            if job.status in (ImportJob.Status.EXPIRED, ImportJob.Status.PREVIEW):
                messages.error(request, _("This preview has expired. Upload the file again."))
            else:
                messages.info(request, _("This import was already confirmed; it runs only once."))
            return HttpResponseRedirect(status_url)
        if job.total_rows >= settings.QINGLIAN_IMPORT_ASYNC_ROWS:
            job_id = job.pk
            transaction.on_commit(lambda: import_apply.delay(job_id))
            messages.info(request, _("The import has started. This page shows its progress."))
        else:
            from .importing import import_job_run

            import_job_run(job_id=job.pk)
        return HttpResponseRedirect(status_url)


class ImportStatusView(ImportAccessMixin, TemplateView):
    template_name = "people/import_status.html"
    refresh_seconds = 2

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = self.get_job()
        context.update(
            job=job,
            in_progress=job.status in IN_PROGRESS,
            refresh_seconds=self.refresh_seconds,
            issues=job_issues(job=job) if job.status == ImportJob.Status.FAILED else [],
        )
        return context


class ImportStatusJsonView(ImportAccessMixin, View):
    """The job's progress as JSON, for scripts or a progress bar that polls."""

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = self.get_job()
        issues: list[Issue] = job_issues(job=job)
        response = JsonResponse(
            {
                "id": job.pk,
                "status": job.status,
                "status_label": job.get_status_display(),
                "total_rows": job.total_rows,
                "processed_rows": job.processed_rows,
                "percent": job.progress_percent,
                "created": job.created_count,
                "updated": job.updated_count,
                "finished": job.status not in (*IN_PROGRESS, ImportJob.Status.PREVIEW),
                "errors": [
                    {"row": i.row, "column": i.column_name, "message": i.message} for i in issues
                ],
            },
            json_dumps_params={"ensure_ascii": False},
        )
        response["Cache-Control"] = "no-store"
        return response
