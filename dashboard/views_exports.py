"""Dashboard exports: /dashboard/export/<table>.<fmt> with the page's filters, within the
viewer's scope. CSV always streams; XLSX is built in the request for the units table and
for lists up to ``DASHBOARD_EXPORT_INLINE_ROWS`` rows, otherwise by a Celery job whose
progress page (/dashboard/exports/<pk>/) only its requester sees."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from people.access import role_required
from people.models import OrgUnit
from qinglian.exports import XLSX_CONTENT_TYPE, stream_csv, xlsx_response

from .exports import FORMATS, TABLES, export_filename, export_table
from .filters import DashboardFilters, filters_from_params
from .models import ExportJob, ExportKind, ExportStatus
from .selectors.scope import DASHBOARD_ROLES
from .services.exports import export_job_get_own, export_job_request

#: How often the progress page reloads itself (a meta refresh; no script needed).
EXPORT_REFRESH_SECONDS = 2


@role_required(*DASHBOARD_ROLES)  # type: ignore[type-var]  # a FileResponse streams
@require_GET
def export_view(request: HttpRequest, table: str, fmt: str) -> HttpResponseBase:
    """The table with the page's filters (``year``, ``unit``, ``show``, ``status``). A unit
    outside the viewer's scope is a 404, like an unknown table or format."""
    if table not in TABLES or fmt not in FORMATS:
        raise Http404
    filters = filters_from_params(viewer=request.user, params=request.GET)
    export = export_table(viewer=request.user, table=table, filters=filters)
    filename = export_filename(filters=filters, table=table, fmt=fmt)
    if fmt == "csv":
        return stream_csv(filename=filename, header=export.header, rows=export.rows())
    if table != ExportKind.UNITS and export.count() > settings.DASHBOARD_EXPORT_INLINE_ROWS:
        job = export_job_request(
            user=request.user,  # type: ignore[arg-type]  # role_required: a logged-in User
            kind=table,
            fmt=fmt,
            filters=filters,
        )
        response = HttpResponseRedirect(reverse("dashboard:export_job", args=[job.pk]))
        response.status_code = 303
        response["Cache-Control"] = "no-store"
        return response
    return xlsx_response(
        filename=filename, title=export.title, header=export.header, rows=export.rows()
    )


def _back_link(job: ExportJob) -> str:
    """The dashboard page the export was asked from, with the same filters."""
    params = job.params
    query: dict[str, object] = {"year": params.get("year"), "unit": params.get("unit")}
    if job.kind == ExportKind.PEOPLE:
        name = "dashboard:people"
        query["show"] = params.get("show") or "all"
    elif job.kind == ExportKind.ENROLMENTS:
        name = "dashboard:enrolments"
        query["status"] = params.get("status") or "all"
    else:
        name = "dashboard:index"
    clean = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{reverse(name)}?{urlencode(clean)}"


def _job_filename(job: ExportJob) -> str:
    unit = OrgUnit.objects.filter(pk=job.params.get("unit")).first()
    year = job.params.get("year")
    if unit is None or not isinstance(year, int):
        return f"dashboard-export-{job.pk}.{job.format}"
    filters = DashboardFilters(year=year, unit=unit)
    return export_filename(filters=filters, table=job.kind, fmt=job.format)


@role_required(*DASHBOARD_ROLES)
@require_GET
def export_job_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A large export's progress (reloading itself until it is finished), then its
    download button, or the reason it failed. Anyone but the requester: 404."""
    job = export_job_get_own(viewer=request.user, pk=pk)
    if job is None:
        raise Http404
    in_progress = job.status in (ExportStatus.PENDING, ExportStatus.RUNNING)
    response = render(
        request,
        "dashboard/export_job.html",
        {
            "job": job,
            "in_progress": in_progress,
            "refresh_seconds": EXPORT_REFRESH_SECONDS if in_progress else None,
            "back_url": _back_link(job),
            "filename": _job_filename(job),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@role_required(*DASHBOARD_ROLES)  # type: ignore[type-var]  # a FileResponse streams
@require_GET
def export_job_download_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The finished file, to its requester only; anything else is a 404."""
    job = export_job_get_own(viewer=request.user, pk=pk)
    if job is None or job.status != ExportStatus.DONE or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    content_type = XLSX_CONTENT_TYPE if job.format == "xlsx" else "text/csv; charset=utf-8"
    response = FileResponse(
        handle, as_attachment=True, filename=_job_filename(job), content_type=content_type
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
