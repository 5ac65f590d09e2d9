"""ZIP batches of a course's or campaign's certificates (/certificates/batches/), for unit
admins and discipline officers. A batch holds only the certificates of people in the
requester's scope, and only its requester sees or downloads it (anyone else: 404)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from people.access import role_required

from .models import BatchStatus
from .selectors.scope import MANAGER_ROLES
from .services.batches import batch_choices, batch_get_own, batch_list_for, batch_request

#: How often a batch's page reloads itself (with JavaScript) while the ZIP is built.
BATCH_REFRESH_SECONDS = 2


@role_required(*MANAGER_ROLES)
@require_GET
def batch_list_view(request: HttpRequest) -> HttpResponse:
    """The courses and campaigns with certificates in the viewer's scope, and the viewer's
    recent batches. ``?kind=&source=`` picks one out (the link from a report page)."""
    choices = batch_choices(viewer=request.user)
    kind = request.GET.get("kind", "")
    source = request.GET.get("source", "")
    if kind and source.isdigit():
        choices = [c for c in choices if c["kind"] == kind and c["source_id"] == int(source)]
    return render(
        request,
        "certificates/batch_list.html",
        {
            "choices": choices,
            "filtered": bool(kind and source),
            "batches": batch_list_for(viewer=request.user),
        },
    )


@role_required(*MANAGER_ROLES)
@require_POST
def batch_create_view(request: HttpRequest) -> HttpResponse:
    """POST ``kind`` and ``source_id``: ask for the ZIP, then watch its progress. A double
    click lands on the batch already being built."""
    kind = request.POST.get("kind", "")
    source = request.POST.get("source_id", "")
    if not (source.isdigit() and len(source) <= 18):  # an id fits a bigint
        messages.error(request, _("Choose a course or an education month."))
        return redirect("certificates:batch_list")
    try:
        batch = batch_request(by=request.user, kind=kind, source_id=int(source))  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("certificates:batch_list")
    if getattr(batch, "reused", False):
        messages.info(request, _("This ZIP is already being prepared."))
    return redirect("certificates:batch_detail", pk=batch.pk)


@role_required(*MANAGER_ROLES)
@require_GET
def batch_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    batch = batch_get_own(viewer=request.user, pk=pk)
    if batch is None:
        raise Http404
    in_progress = batch.status in (BatchStatus.PENDING, BatchStatus.RUNNING)
    return render(
        request,
        "certificates/batch_detail.html",
        {
            "batch": batch,
            "in_progress": in_progress,
            "refresh_seconds": BATCH_REFRESH_SECONDS if in_progress else None,
        },
    )


def zip_filename(title: str, pk: int) -> str:
    name = re.sub(r"[\x00-\x1f\x7f/\\:*?\"<>|]+", " ", title).strip(" .") or "certificates"
    return f"{name[:100]}-{pk}.zip"


@role_required(*MANAGER_ROLES)  # type: ignore[type-var]  # a FileResponse streams
@require_GET
def batch_download_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The finished ZIP, to its requester only."""
    batch = batch_get_own(viewer=request.user, pk=pk)
    if batch is None or batch.status != BatchStatus.DONE or not batch.file:
        raise Http404
    try:
        handle = batch.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=zip_filename(batch.title, batch.pk),
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
