""" "My certificates" (/me/certificates/): the holder's own certificates, their PDFs and
verification links. The holder sees only their own; any other certificate is a 404."""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from people.access import login_required

from .models import Certificate, RenderStatus
from .selectors.holder import certificate_get_own, certificate_list_for_holder
from .services.notify import certificate_verification_url

#: While a certificate is being prepared the page reloads itself (with JavaScript) this
#: often; without JavaScript it says to come back.
PENDING_REFRESH_SECONDS = 10


def qr_svg(url: str) -> SafeString:
    """A small inline SVG QR code of ``url`` (decorative: the link around it names it)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", xmldecl=False, svgns=True, scale=2, border=2, svgclass="qr"
    )
    svg = buffer.getvalue().decode("ascii")
    # segno's output holds only the path it drew: no user text reaches it.
    return mark_safe(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))


def certificate_downloadable(certificate: Certificate) -> bool:
    """The holder downloads a ready, current, unrevoked certificate (an expired one too:
    it is a record of what was achieved)."""
    return bool(
        certificate.status == RenderStatus.READY
        and certificate.file
        and certificate.is_current
        and certificate.revoked_at is None
    )


@login_required
@require_GET
def my_certificates_view(request: HttpRequest) -> HttpResponse:
    certificates = certificate_list_for_holder(user=request.user, today=timezone.localdate())
    for certificate in certificates.current:
        url = certificate_verification_url(certificate)
        certificate.verify_url = url  # type: ignore[attr-defined]
        certificate.qr = qr_svg(url)  # type: ignore[attr-defined]
        certificate.downloadable = certificate_downloadable(certificate)  # type: ignore[attr-defined]
    for certificate in certificates.past:
        certificate.verify_url = certificate_verification_url(certificate)  # type: ignore[attr-defined]
    return render(
        request,
        "certificates/my_certificates.html",
        {
            "certificates": certificates,
            "refresh_seconds": PENDING_REFRESH_SECONDS if certificates.any_pending else None,
        },
    )


@login_required  # type: ignore[type-var]  # a FileResponse streams
@require_GET
def my_certificate_pdf_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The holder's PDF as ``<serial>.pdf``; anyone else's certificate is a 404. One still
    being prepared sends the holder back to the list with a word."""
    certificate = certificate_get_own(user=request.user, pk=pk)
    if certificate is None:
        raise Http404
    if certificate.status in (RenderStatus.PENDING, RenderStatus.RENDERING) and (
        certificate.is_current and certificate.revoked_at is None
    ):
        messages.info(request, _("This certificate is still being prepared. Try again shortly."))
        return redirect("my_certificates:list")
    if not certificate_downloadable(certificate):
        raise Http404
    try:
        handle = certificate.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{certificate.serial}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
