"""Dashboard exports (CSV streamed, XLSX inline or as a job). TODO(helper: exports)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from people.access import role_required

from .selectors.scope import DASHBOARD_ROLES


@role_required(*DASHBOARD_ROLES)
def export_view(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    raise Http404


@role_required(*DASHBOARD_ROLES)
def export_job_view(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


@role_required(*DASHBOARD_ROLES)
def export_job_download_view(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
