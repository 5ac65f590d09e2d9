"""The events pages: "my events" and the event page for everyone logged in; register,
cancel a registration, ask for leave, download the ``.ics``; the manage list and the
create / edit / cancel forms for trainers and unit admins; the leave requests for unit
admins. Scope and rules live in ``events.selectors`` and ``events.services``; an event
outside the viewer's manage scope is a 404 on the manage pages, a leave request outside
the admin's scope is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people.access import login_required, role_required
from people.models import Role, User

from .calendar import CONTENT_TYPE, calendar_build
from .forms_events import EventCancelForm, EventForm, LeaveDecisionForm, LeaveRequestForm
from .models import Event, LeaveRequest, LeaveStatus
from .selectors.events import (
    event_for_person,
    event_list_for_person,
    event_taken,
    leave_list_decidable,
)
from .selectors.scope import MANAGE_ROLES, event_can_manage, event_list_manageable
from .services.events import event_cancel, event_create, event_update
from .services.leave import leave_decide, leave_request, leave_withdraw, makeup_refresh
from .services.registration import registration_cancel, registration_open, registration_self

MANAGE_PAGE_SIZE = 100


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _add_service_errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _event(pk: int) -> Event:
    return get_object_or_404(
        Event.objects.select_related(
            "trainer", "audience_unit", "min_rank", "campaign", "makeup_course", "makeup_lesson"
        ),
        pk=pk,
    )


# --- For everyone --------------------------------------------------------------------------


@login_required
def event_list_view(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    makeup_refresh(user=user)
    context = {
        "mine": event_list_for_person(user=user),
        "can_manage": _can_manage_any(user),
        "now": timezone.now(),
    }
    return render(request, "events/event_list.html", context)


def _can_manage_any(user: User) -> bool:
    from people.selectors import user_has_role

    return user_has_role(user=user, roles=MANAGE_ROLES)


@login_required
def event_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    event = _event(pk)
    mine = event_for_person(user=user, event=event)
    makeup = mine["makeup"]
    if makeup is not None and makeup.completed_at is None:  # type: ignore[attr-defined]
        makeup_refresh(user=user, makeups=[makeup])  # type: ignore[list-item]
    taken = event_taken(event=event)
    registration = mine["registration"]
    registered = registration is not None and registration.cancelled_at is None  # type: ignore[attr-defined]
    leave = mine["leave"]
    now = timezone.now()
    context = {
        "event": event,
        **mine,
        "registered": registered,
        "taken": taken,
        "places_left": None if event.capacity is None else max(event.capacity - taken, 0),
        "can_register": not registered and registration_open(event=event),
        "can_cancel_registration": registered
        and registration.source == "self"  # type: ignore[attr-defined]
        and event.starts_at > now,
        "can_ask_leave": registered
        and not event.is_cancelled
        and event.starts_at > now
        and (leave is None or leave.status == LeaveStatus.WITHDRAWN),  # type: ignore[attr-defined]
        "can_manage": event_can_manage(viewer=user, event=event),
        "started": event.starts_at <= now,
    }
    return render(request, "events/event_detail.html", context)


@require_POST
@login_required
def event_register_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    try:
        _registration, created = registration_self(event=event, user=_viewer(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if created:
            messages.success(request, _("You are registered."))
        else:
            messages.info(request, _("You were already registered."))
    return redirect("events:event_detail", pk=event.pk)


@require_POST
@login_required
def event_unregister_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    try:
        registration_cancel(event=event, user=_viewer(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your registration is cancelled."))
    return redirect("events:event_detail", pk=event.pk)


@login_required
def event_leave_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    user = _viewer(request)
    form = LeaveRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                leave_request(event=event, user=user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, _("Your leave request is sent to your unit admin."))
                return redirect("events:event_detail", pk=event.pk)
        status = 400
    return render(request, "events/leave_form.html", {"event": event, "form": form}, status=status)


@require_POST
@login_required
def event_leave_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _viewer(request)
    leave = get_object_or_404(LeaveRequest, event_id=pk, user=user)
    try:
        leave_withdraw(leave=leave, user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your leave request is withdrawn."))
    return redirect("events:event_detail", pk=pk)


@login_required
def event_ics_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event(pk)
    response = HttpResponse(calendar_build([event]), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


# --- Manage --------------------------------------------------------------------------------


@role_required(*MANAGE_ROLES)
def event_manage_view(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    show = request.GET.get("show", "upcoming")
    qs = event_list_manageable(viewer=viewer)
    if show == "past":
        qs = qs.filter(ends_at__lte=timezone.now()).order_by("-starts_at", "-pk")
    else:
        show = "upcoming"
        qs = qs.filter(ends_at__gt=timezone.now()).order_by("starts_at", "pk")
    from django.db.models import Count, Q

    events = list(
        qs.annotate(
            taken=Count("registrations", filter=Q(registrations__cancelled_at__isnull=True))
        )[:MANAGE_PAGE_SIZE]
    )
    return render(request, "events/event_manage.html", {"events": events, "show": show})


@role_required(*MANAGE_ROLES)
def event_create_view(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = EventForm(request.POST or None, viewer=viewer)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                event = event_create(by=viewer, data=form.service_data())
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The event is planned. Its audience is being registered.")
                )
                return redirect("events:event_detail", pk=event.pk)
        status = 400
    return render(request, "events/event_form.html", {"form": form}, status=status)


def _managed_event(request: HttpRequest, pk: int) -> Event:
    return get_object_or_404(event_list_manageable(viewer=_viewer(request)), pk=pk)


@role_required(*MANAGE_ROLES)
def event_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    event = _managed_event(request, pk)
    if event.is_cancelled:
        messages.error(request, _("A cancelled event cannot be changed."))
        return redirect("events:event_detail", pk=event.pk)
    form = EventForm(request.POST or None, viewer=viewer, event=event)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                event_update(by=viewer, event=event, data=form.service_data())
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, _("The event is saved."))
                return redirect("events:event_detail", pk=event.pk)
        status = 400
    return render(request, "events/event_form.html", {"form": form, "event": event}, status=status)


@role_required(*MANAGE_ROLES)
def event_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    event = _managed_event(request, pk)
    if event.is_cancelled:
        messages.info(request, _("This event is already cancelled."))
        return redirect("events:event_detail", pk=event.pk)
    form = EventCancelForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                event_cancel(by=_viewer(request), event=event, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, _("The event is cancelled; everyone registered is told."))
                return redirect("events:event_detail", pk=event.pk)
        status = 400
    return render(
        request, "events/event_cancel.html", {"form": form, "event": event}, status=status
    )


# --- Leave requests (unit admins) --------------------------------------------------------


@role_required(Role.UNIT_ADMIN)
def leave_list_view(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    show = request.GET.get("show", LeaveStatus.PENDING)
    if show not in LeaveStatus.values:
        show = LeaveStatus.PENDING
    leaves = list(leave_list_decidable(viewer=viewer, status=show)[:200])
    return render(
        request,
        "events/leave_list.html",
        {"leaves": leaves, "show": show, "statuses": LeaveStatus.choices},
    )


@role_required(Role.UNIT_ADMIN)
def leave_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    leave = get_object_or_404(leave_list_decidable(viewer=viewer, status=""), pk=pk)
    form = LeaveDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if leave.status != LeaveStatus.PENDING:
            messages.info(request, _("This request has already been decided."))
            return redirect("events:leave_list")
        if form.is_valid():
            try:
                leave_decide(
                    leave=leave,
                    by=viewer,
                    approve=form.cleaned_data["decision"] == LeaveDecisionForm.APPROVE,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, _("The decision is recorded and the person is told."))
                return redirect("events:leave_list")
        status = 400
    return render(
        request, "events/leave_decide.html", {"form": form, "leave": leave}, status=status
    )
