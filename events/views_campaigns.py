"""Campaign pages (``/events/campaigns/…``): the list, create and edit, the detail page
with required and chosen actions, the roll-up by unit, the campaign's events and the
viewer's own progress; actions; unit reports with evidence and the evidence download.

Reads go through ``events.selectors.campaigns`` (a campaign, report or evidence file
outside the viewer's scope is a 404), writes through ``events.services.campaigns``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people.access import login_required, role_required
from people.models import OrgUnit, Role, User
from people.selectors import user_has_role

from .forms_campaigns import ActionForm, CampaignForm, ReportForm
from .models import ActionEvidence, ActionKind, ActionReport, CampaignAction, CampaignCompletion
from .selectors.campaigns import (
    CAMPAIGN_STAFF_ROLES,
    REPORT_READ_ROLES,
    action_list_chosen_visible,
    action_list_required,
    campaign_can_manage,
    campaign_events,
    campaign_includes,
    campaign_list_manageable,
    campaign_list_mine,
    campaign_list_visible,
    campaign_rollup,
    campaign_units_reportable,
    evidence_visible,
    report_detail,
    unit_can_report,
)
from .services.campaigns import (
    action_can_edit,
    action_create_chosen,
    action_create_required,
    action_update,
    campaign_create,
    campaign_update,
    evidence_delete,
    report_save,
)
from .services.completion import campaign_status_for

PAGE_SIZE = 30
WRITE = (Role.UNIT_ADMIN,)


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _add_service_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _visible_campaign(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(campaign_list_visible(viewer=_viewer(request)), pk=pk)


def _manageable_campaign(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(campaign_list_manageable(viewer=_viewer(request)), pk=pk)


# --- List ----------------------------------------------------------------------------


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    mine = list(campaign_list_mine(user=viewer)[:20])
    done = dict(
        CampaignCompletion.objects.filter(
            user=viewer, campaign__in=[c.pk for c in mine]
        ).values_list("campaign_id", "completed_at")
    )
    for c in mine:
        c.my_completed_at = done.get(c.pk)  # type: ignore[attr-defined]
    is_staff = user_has_role(user=viewer, roles=CAMPAIGN_STAFF_ROLES)
    page = None
    if is_staff:
        qs = (
            campaign_list_visible(viewer=viewer)
            .annotate(
                required_count=Count(
                    "actions", filter=Q(actions__kind=ActionKind.REQUIRED), distinct=True
                ),
                event_count=Count("events", distinct=True),
            )
            .order_by("-year", "-starts_on", "pk")
        )
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "events/campaign_list.html",
        {
            "mine": mine,
            "is_staff": is_staff,
            "page_obj": page,
            "campaigns": page.object_list if page else [],
            "can_create": user_has_role(user=viewer, roles=WRITE),
        },
    )


# --- Create and edit -------------------------------------------------------------------


@role_required(*WRITE)
def campaign_create_view(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = CampaignForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(by=viewer, **form.service_kwargs())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            if getattr(campaign, "reused", False):
                messages.info(
                    request, _("This campaign already exists: here it is. No second one was made.")
                )
            else:
                messages.success(
                    request, _("The campaign is created. Add its required actions next.")
                )
            return redirect("events:campaign_detail", pk=campaign.pk)
    return render(request, "events/campaign_form.html", {"form": form, "campaign": None})


@role_required(*WRITE)
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    campaign = _manageable_campaign(request, pk)
    form = CampaignForm(request.POST or None, viewer=viewer, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            campaign_update(by=viewer, campaign=campaign, **form.service_kwargs())
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("The campaign is saved."))
            return redirect("events:campaign_detail", pk=campaign.pk)
    return render(request, "events/campaign_form.html", {"form": form, "campaign": campaign})


# --- Detail ----------------------------------------------------------------------------


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    campaign = _visible_campaign(request, pk)
    required = list(action_list_required(campaign=campaign))
    reads_reports = user_has_role(user=viewer, roles=REPORT_READ_ROLES)
    chosen = (
        list(action_list_chosen_visible(viewer=viewer, campaign=campaign)) if reads_reports else []
    )
    rollup = (
        campaign_rollup(viewer=viewer, campaign=campaign, required=required, chosen=chosen)
        if reads_reports
        else []
    )
    can_manage = campaign_can_manage(viewer=viewer, campaign=campaign)
    can_report = (
        user_has_role(user=viewer, roles=WRITE)
        and campaign_units_reportable(viewer=viewer, campaign=campaign).exists()
    )
    my_status = None
    if campaign_includes(campaign=campaign, user=viewer):
        my_status = campaign_status_for(user=viewer, campaign=campaign)
    return render(
        request,
        "events/campaign_detail.html",
        {
            "campaign": campaign,
            "required": required,
            "chosen": chosen,
            "rollup": rollup,
            "rollup_done": sum(1 for r in rollup if r.complete),
            "reads_reports": reads_reports,
            "can_manage": can_manage,
            "can_report": can_report,
            "events": list(campaign_events(campaign=campaign)),
            "my_status": my_status,
        },
    )


# --- Actions ---------------------------------------------------------------------------


@role_required(*WRITE)
def campaign_action_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A required action, added by the campaign's managers."""
    viewer = _viewer(request)
    campaign = _manageable_campaign(request, pk)
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            action_create_required(
                by=viewer,
                campaign=campaign,
                title=d["title"],
                description=d.get("description", ""),
                due_date=d.get("due_date"),
                order=d.get("order") or 0,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("The required action is added."))
            return redirect("events:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "events/campaign_action_form.html",
        {"form": form, "campaign": campaign, "kind": ActionKind.REQUIRED, "action": None},
    )


@role_required(*WRITE)
def campaign_chosen_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A chosen action (自选动作) for one of the viewer's units in the audience."""
    viewer = _viewer(request)
    campaign = _visible_campaign(request, pk)
    units = campaign_units_reportable(viewer=viewer, campaign=campaign)
    if not units.exists():
        raise Http404
    form = ActionForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            action_create_chosen(
                by=viewer,
                campaign=campaign,
                unit=d["unit"],
                title=d["title"],
                description=d.get("description", ""),
                due_date=d.get("due_date"),
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(
                request, _("The chosen action is added for %(unit)s.") % {"unit": d["unit"].name}
            )
            return redirect("events:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "events/campaign_action_form.html",
        {"form": form, "campaign": campaign, "kind": ActionKind.CHOSEN, "action": None},
    )


@role_required(*WRITE)
def campaign_action_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    action = get_object_or_404(
        CampaignAction.objects.select_related("campaign", "campaign__audience_unit", "unit"),
        pk=pk,
        campaign__in=campaign_list_visible(viewer=viewer),
    )
    if not action_can_edit(viewer=viewer, action=action):
        raise Http404
    form = ActionForm(request.POST or None, action=action)
    if action.kind == ActionKind.CHOSEN:
        del form.fields["order"]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            action_update(
                by=viewer,
                action=action,
                title=d["title"],
                description=d.get("description", ""),
                due_date=d.get("due_date"),
                order=d.get("order") if "order" in form.fields else None,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("The action is saved."))
            return redirect("events:campaign_detail", pk=action.campaign_id)
    return render(
        request,
        "events/campaign_action_form.html",
        {"form": form, "campaign": action.campaign, "kind": action.kind, "action": action},
    )


# --- Reports and evidence ----------------------------------------------------------------


@role_required(*WRITE)
def campaign_report_edit(request: HttpRequest, action_pk: int, unit_pk: int) -> HttpResponse:
    """Create or update ``unit``'s report on an action and add evidence files."""
    viewer = _viewer(request)
    action = get_object_or_404(
        CampaignAction.objects.select_related("campaign", "campaign__audience_unit", "unit"),
        pk=action_pk,
    )
    unit = get_object_or_404(OrgUnit, pk=unit_pk)
    if not unit_can_report(viewer=viewer, campaign=action.campaign, unit=unit):
        raise Http404
    if action.kind == ActionKind.CHOSEN and action.unit_id != unit.pk:
        raise Http404
    report = (
        ActionReport.objects.filter(action=action, unit=unit)
        .annotate(evidence_count=Count("evidence"))
        .first()
    )
    form = ReportForm(request.POST or None, request.FILES or None, report=report)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        caption = d.get("caption", "")
        try:
            saved = report_save(
                by=viewer,
                action=action,
                unit=unit,
                done_on=d["done_on"],
                summary=d["summary"],
                participants=d.get("participants"),
                files=form.checked_files,
                captions=[caption] * len(form.checked_files),
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            n = len(form.checked_files)
            if getattr(saved, "created", False):
                messages.success(request, _("The report is saved."))
            else:
                messages.success(request, _("The report is updated."))
            if n:
                messages.info(request, _("Evidence files added: %(n)s.") % {"n": n})
            return redirect("events:campaign_report_detail", pk=saved.pk)
    return render(
        request,
        "events/campaign_report_form.html",
        {
            "form": form,
            "action": action,
            "unit": unit,
            "report": report,
            "campaign": action.campaign,
        },
    )


@role_required(*REPORT_READ_ROLES)
def campaign_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    report = report_detail(viewer=viewer, pk=pk)
    if report is None:
        raise Http404
    campaign = report.action.campaign
    return render(
        request,
        "events/campaign_report_detail.html",
        {
            "report": report,
            "action": report.action,
            "campaign": campaign,
            "evidence": list(report.evidence.all()),
            "can_edit": unit_can_report(viewer=viewer, campaign=campaign, unit=report.unit),
        },
    )


@role_required(*REPORT_READ_ROLES)  # type: ignore[type-var]  # a FileResponse streams
def campaign_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """An evidence file, to people who may see its report only. Images are shown inline;
    everything else is an attachment. The browser may not sniff another type."""
    evidence = evidence_visible(viewer=_viewer(request), pk=pk)
    if evidence is None:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    is_image = evidence.content_type in ("image/jpeg", "image/png")
    response = FileResponse(
        handle,
        as_attachment=not is_image,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(*WRITE)
@require_POST
def campaign_evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    evidence = get_object_or_404(
        ActionEvidence.objects.select_related(
            "report",
            "report__unit",
            "report__action",
            "report__action__campaign",
            "report__action__campaign__audience_unit",
        ),
        pk=pk,
    )
    report = evidence.report
    if not unit_can_report(viewer=viewer, campaign=report.action.campaign, unit=report.unit):
        raise Http404
    try:
        evidence_delete(by=viewer, evidence=evidence)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The file is removed."))
    return redirect(reverse("events:campaign_report_detail", args=[report.pk]))
