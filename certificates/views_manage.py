"""The managers' certificate pages (unit admins and discipline officers, in their scope):
the list with filters, a certificate's detail and history, its PDF, revoke and reissue.

Who may see which certificate is decided in ``certificates.selectors`` only: a certificate
outside the viewer's scope (or one that does not exist) is a 404; a person without a
manager role gets 403. Changes are POST-only with a confirmation page before them, and the
services refuse a second revoke or reissue without changing anything.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from people.access import role_required
from people.models import Role, User

from .forms_manage import CertificateFilterForm, CertificateRevokeForm
from .models import Certificate, RenderStatus
from .selectors.manage import (
    certificate_get_manageable,
    certificate_history,
    certificate_list_filtered,
)
from .services.lifecycle import (
    REVOKED,
    SUPERSEDED,
    certificate_reissue,
    certificate_revoke,
    certificate_state,
)

PAGE_SIZE = 50
MANAGER = role_required(Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _certificate(request: HttpRequest, pk: int) -> Certificate:
    certificate = certificate_get_manageable(viewer=_viewer(request), pk=pk)
    if certificate is None:
        raise Http404
    return certificate


def _query_string(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _add_service_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@MANAGER
@never_cache
def certificate_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    today = timezone.localdate()
    form = CertificateFilterForm(request.GET or None, viewer=viewer)
    qs = certificate_list_filtered(viewer=viewer, today=today, **form.filters())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(c, certificate_state(c, today=today)) for c in page.object_list]
    return render(
        request,
        "certificates/certificate_list.html",
        {
            "rows": rows,
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "filter_form": form,
            "query_string": _query_string(request),
        },
    )


def _detail_context(certificate: Certificate) -> dict[str, Any]:
    state = certificate_state(certificate)
    return {
        "certificate": certificate,
        "state": state,
        "history": certificate_history(certificate=certificate),
        "can_download": certificate.status == RenderStatus.READY and bool(certificate.file),
        "can_revoke": state not in (REVOKED, SUPERSEDED),
        "can_reissue": state not in (REVOKED, SUPERSEDED),
    }


@MANAGER
@never_cache
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate(request, pk)
    return render(request, "certificates/certificate_detail.html", _detail_context(certificate))


@MANAGER  # type: ignore[type-var]  # a FileResponse streams
@never_cache
def certificate_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The PDF as an attachment named ``<serial>.pdf``; 404 until it is rendered."""
    certificate = _certificate(request, pk)
    if certificate.status != RenderStatus.READY or not certificate.file:
        raise Http404
    try:
        handle = certificate.file.open("rb")
    except FileNotFoundError as exc:
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


@MANAGER
@never_cache
def certificate_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation form; POST: revoke with the reason given."""
    certificate = _certificate(request, pk)
    if certificate.revoked_at is not None:
        messages.info(
            request,
            _("This certificate was already revoked on %(date)s; nothing was changed.")
            % {"date": timezone.localtime(certificate.revoked_at).strftime("%Y-%m-%d")},
        )
        return redirect("certificates:certificate_detail", pk=certificate.pk)
    form = CertificateRevokeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            revoked = certificate_revoke(
                certificate=certificate,
                by=_viewer(request),
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            if revoked:
                messages.success(
                    request,
                    _("Certificate %(serial)s is revoked.") % {"serial": certificate.serial},
                )
            else:
                messages.info(
                    request, _("This certificate was already revoked; nothing was changed.")
                )
            return redirect("certificates:certificate_detail", pk=certificate.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "certificates/certificate_revoke.html",
        {**_detail_context(certificate), "form": form},
        status=status,
    )


@MANAGER
@never_cache
def certificate_reissue_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation; POST: replace the certificate by a new one (rendered with the
    template as it is now) and show the new one."""
    certificate = _certificate(request, pk)
    if not certificate.is_current and certificate.superseded_by_id:
        messages.info(
            request,
            _("This certificate was already replaced by %(serial)s; nothing was changed.")
            % {"serial": certificate.superseded_by.serial if certificate.superseded_by else ""},
        )
        return redirect("certificates:certificate_detail", pk=certificate.superseded_by_id)
    error = ""
    if request.method == "POST":
        try:
            new = certificate_reissue(certificate=certificate, by=_viewer(request), request=request)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _(
                    "Certificate %(old)s is superseded by %(new)s. Its PDF is being prepared "
                    "and the holder will be told when it is ready."
                )
                % {"old": certificate.serial, "new": new.serial},
            )
            return redirect("certificates:certificate_detail", pk=new.pk)
    return render(
        request,
        "certificates/certificate_reissue.html",
        {**_detail_context(certificate), "error": error},
        status=400 if error else 200,
    )
