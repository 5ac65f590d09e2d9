"""The official's integrity pledges: the list, signing, and the signed pledge as a PDF.

Reads go through ``talks.selectors.pledges`` and writes through
``talks.services.pledges``. Every read of signatures (the list, a PDF) writes an audit row
in the same transaction as the read; a refused request (someone else's signature, someone
else's appointment to sign for) writes a ``denied`` row and nothing else. Pages are never
cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from audit.models import AuditAction
from audit.services import audit_denied, audit_record
from people.access import login_required
from people.models import User
from qinglian.http import client_ip

from .forms_pledges import PledgeSignForm
from .models import Appointment, AppointmentStatus, PledgeSignature
from .pdf import pdf_filename, pledge_pdf
from .selectors.pledges import (
    RESIGN,
    SIGNED,
    TO_SIGN,
    pledge_items_for_official,
    pledge_signature_get_for_viewer,
    pledge_text_signable,
)
from .services.pledges import pledge_sign, pledge_text_canonical

SIGNATURE_TYPE = "talks.pledgesignature"


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@never_cache
@login_required
def pledge_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    with transaction.atomic():
        items = pledge_items_for_official(user=viewer)
        audit_record(
            action=AuditAction.READ,
            request=request,
            object_type=SIGNATURE_TYPE,
            object_id="",
            subject=viewer,
            detail={"view": "list"},
        )
    return render(
        request,
        "talks/pledge_list.html",
        {"items": items, "TO_SIGN": TO_SIGN, "SIGNED": SIGNED, "RESIGN": RESIGN},
    )


def _appointment_param(request: HttpRequest, viewer: User) -> Appointment | None:
    raw = request.GET.get("appointment") or request.POST.get("appointment") or ""
    if not raw:
        return None
    appointment = None
    if raw.isdigit():
        appointment = Appointment.objects.filter(
            pk=int(raw), person_id=viewer.pk, status=AppointmentStatus.IN_PROGRESS
        ).first()
    if appointment is None:
        audit_denied(
            request=request,
            object_type="talks.appointment",
            object_id=raw[:64],
            detail={"view": "pledge-sign"},
        )
        raise Http404
    return appointment


@never_cache
@login_required
def pledge_sign_view(request: HttpRequest, text_id: int) -> HttpResponse:
    viewer = _viewer(request)
    text = pledge_text_signable(pk=text_id)
    if text is None:
        raise Http404
    appointment = _appointment_param(request, viewer)
    if appointment is not None and appointment.position_kind != text.position_kind:
        raise Http404
    already = PledgeSignature.objects.filter(user_id=viewer.pk, text_id=text.pk).exists()
    if request.method == "POST":
        form = PledgeSignForm(request.POST)
        if form.is_valid():
            try:
                signature = pledge_sign(
                    user=viewer,
                    text=text,
                    typed_name=form.cleaned_data["typed_name"],
                    confirmed=form.cleaned_data["confirm"],
                    appointment=appointment,
                    ip_address=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                    request=request,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errors in exc.error_dict.items():
                        form.add_error(name if name in form.fields else None, errors)
                else:
                    form.add_error(None, exc)
            else:
                if getattr(signature, "created", False):
                    messages.success(request, _("Thank you: your pledge is signed."))
                else:
                    messages.info(
                        request, _("You had already signed this pledge; nothing was changed.")
                    )
                return redirect("pledges:list")
    else:
        if already:
            messages.info(request, _("You have already signed this pledge."))
            return redirect("pledges:list")
        form = PledgeSignForm()
    return render(
        request,
        "talks/pledge_sign.html",
        {
            "text": text,
            "form": form,
            "appointment": appointment,
            "profile_name": viewer.full_name,
            "canonical": pledge_text_canonical(title=text.title, body=text.body),
        },
    )


@never_cache
@login_required
def pledge_signature_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    with transaction.atomic():
        signature = pledge_signature_get_for_viewer(viewer=viewer, pk=pk)
        if signature is not None:
            audit_record(
                action=AuditAction.READ,
                request=request,
                obj=signature,
                subject=signature.user,
                detail={"format": "pdf"},
            )
    if signature is None:
        audit_denied(
            request=request, object_type=SIGNATURE_TYPE, object_id=pk, detail={"format": "pdf"}
        )
        raise Http404
    rendered = pledge_pdf(signature=signature)
    response = HttpResponse(rendered.data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename("pledge", pk)}"'
    return response
