"""Check-in pages: the scan link a phone opens (``/checkin/<token>/``) and its
after-login completion, the trainer's full-screen display with its JSON state, the
roster (mark one by one or in bulk, confirm walk-ins) and the paper-sheet import.

Views hold no rules: tokens are ``events.checkin``, writes ``events.services.attendance``
and ``events.services.sheet_import``, reads ``events.selectors.attendance``; scope is
``events.selectors.scope`` (an event outside it is a 404).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from people.access import login_required, public, role_required
from people.models import Role, User
from qinglian.http import client_ip

from .checkin import _TOKEN_RE, TokenRefused, seconds_left, token_make, token_verify
from .forms_checkin import RosterMarkForm, SheetImportForm
from .models import Attendance, AttendanceMethod, AttendanceStatus, Event
from .selectors.attendance import (
    ScanTarget,
    checkin_state,
    roster_markable,
    roster_rows,
    scan_target,
)
from .selectors.scope import event_can_manage, event_can_report
from .services.attendance import (
    NOT_READ,
    REFUSED_CANCELLED,
    REFUSED_CLOSED,
    REFUSED_NOT_OPEN,
    CheckinRefused,
    attendance_checkin,
    attendance_mark,
    attendance_walk_in_confirm,
    checkin_refusal,
)
from .services.sheet_import import ImportFileError, SheetRejected, sheet_import

PENDING_KEY = "events_checkin_pending"
DEVICE_COOKIE = "ql_device"
DEVICE_SALT = "qinglian.events.checkin.device"
DEVICE_MAX_AGE = 5 * 365 * 24 * 3600
MANAGE_ROLES = (Role.TRAINER, Role.UNIT_ADMIN)
REPORT_ROLES = (Role.TRAINER, Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)


def _event_for(request: HttpRequest, pk: int, *, manage: bool) -> Event:
    event = get_object_or_404(
        Event.objects.select_related("audience_unit", "min_rank", "trainer", "campaign"), pk=pk
    )
    allowed = event_can_manage if manage else event_can_report
    if not allowed(viewer=request.user, event=event):
        raise Http404
    return event


# --- Scan ---------------------------------------------------------------------------------


def _token_message(reason: str) -> str:
    messages_by_reason = {
        "malformed": _("This is not a check-in code of this platform."),
        "unknown_event": _("This check-in code belongs to no event."),
        "bad_signature": _("This check-in code is not valid. Scan the code on the screen again."),
        "expired": _("This check-in code has expired. Scan the code on the screen again."),
        "future": _("This check-in code is not valid yet. Scan the code on the screen again."),
        "login_expired": _("The scan is too old to count after logging in. Scan the code again."),
        "no_scan": _("There is no scan waiting to be recorded. Scan the code on the screen."),
    }
    return messages_by_reason.get(reason, messages_by_reason["malformed"])


def _window_message(reason: str, event: Event) -> str:
    if reason == REFUSED_CANCELLED:
        return _("This event has been cancelled; there is no check-in.")
    if reason == REFUSED_NOT_OPEN:
        opens = timezone.localtime(event.checkin_opens_at)
        return _("Check-in has not opened yet: it opens at %(time)s.") % {
            "time": f"{opens:%Y-%m-%d %H:%M}"
        }
    if reason == REFUSED_CLOSED:
        return _("Check-in for this event has closed.")
    return _("Check-in is not possible now.")


def _result_page(context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """The phone's result page. It is a page of its own without the site's header, so it
    is rendered without the request's context processors (menus, counters, settings):
    the scan at the door stays as cheap as the write it makes."""
    return HttpResponse(render_to_string("events/checkin_result.html", context), status=status)


def _refused(
    request: HttpRequest, message: str, *, event: Event | None, status: int
) -> HttpResponse:
    return _result_page({"ok": False, "message": message, "event": event}, status=status)


def _record(
    request: HttpRequest,
    event: Event,
    scanned_at: datetime,
    existing: Attendance | None | object = NOT_READ,
) -> HttpResponse:
    """Record the scan; ``existing``: the person's row at the event if read with it."""
    user = request.user
    assert isinstance(user, User)
    device_id = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_SALT) or ""
    new_device = not device_id
    if new_device:
        device_id = secrets.token_urlsafe(16)
    try:
        result = attendance_checkin(
            event=event,
            user=user,
            scanned_at=scanned_at,
            device_id=device_id,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            existing=existing,
            device_new=new_device,
        )
    except CheckinRefused as refused:
        return _refused(request, _window_message(refused.reason, event), event=event, status=403)
    attendance = result.attendance
    response = _result_page(
        {"ok": True, "created": result.created, "attendance": attendance, "event": event}
    )
    if new_device:
        response.set_signed_cookie(
            DEVICE_COOKIE,
            device_id,
            salt=DEVICE_SALT,
            max_age=DEVICE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _scan_target(request: HttpRequest, event_id: int) -> ScanTarget | None:
    """The event and the logged-in person's row at it (``scan_target``)."""
    user = request.user
    return scan_target(event_id=event_id, user=user if isinstance(user, User) else None)


@public
@never_cache
def checkin_scan(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the QR code. Anonymous: the scan is kept in the session for
    ``QINGLIAN_CHECKIN_LOGIN_SECONDS`` and the person logs in first; the scan time still
    decides present or late."""
    now = timezone.now()
    match = _TOKEN_RE.match(token or "")
    target = _scan_target(request, int(match.group(1))) if match is not None else None
    try:
        check = token_verify(
            token=token, moment=now, event=target.event if target is not None else None
        )
    except TokenRefused as refused:
        return _refused(request, _token_message(refused.reason), event=None, status=400)
    event = check.event
    reason = checkin_refusal(event=event, at=now)
    if reason is not None:
        return _refused(request, _window_message(reason, event), event=event, status=403)
    if not request.user.is_authenticated:
        request.session[PENDING_KEY] = {"event": event.pk, "at": now.isoformat()}
        login = reverse(settings.LOGIN_URL)
        return redirect(f"{login}?next={reverse('checkin:complete')}")
    return _record(request, event, now, target.attendance if target is not None else NOT_READ)


@login_required
@never_cache
def checkin_complete(request: HttpRequest) -> HttpResponse:
    """Where the login returns to: records the scan kept in the session."""
    pending = request.session.pop(PENDING_KEY, None)
    if not isinstance(pending, dict):
        return _refused(request, _token_message("no_scan"), event=None, status=400)
    try:
        scanned_at = datetime.fromisoformat(str(pending["at"]))
        event_id = int(pending["event"])
    except (KeyError, TypeError, ValueError):
        return _refused(request, _token_message("no_scan"), event=None, status=400)
    age = (timezone.now() - scanned_at).total_seconds()
    if age > settings.QINGLIAN_CHECKIN_LOGIN_SECONDS or age < -5:
        return _refused(request, _token_message("login_expired"), event=None, status=400)
    target = _scan_target(request, event_id)
    if target is None:
        return _refused(request, _token_message("unknown_event"), event=None, status=400)
    return _record(request, target.event, scanned_at, target.attendance)


# --- Display ------------------------------------------------------------------------------


def _state_payload(request: HttpRequest, event: Event) -> dict[str, Any]:
    now = timezone.now()
    state = checkin_state(event=event, viewer=request.user)
    is_open = checkin_refusal(event=event, at=now) is None
    url = qr_svg = ""
    if is_open:
        url = request.build_absolute_uri(
            reverse("checkin:scan", args=[token_make(event=event, moment=now)])
        )
        qr_svg = segno.make(url, error="m").svg_inline(
            scale=8, border=2, dark="#000", light="#fff", omitsize=True
        )
    return {
        "open": is_open,
        "qr_svg": qr_svg,
        "url": url,
        "expires_in": seconds_left(now) if is_open else 0,
        "count": state.count,
        "expected": state.expected,
        "missing": [{"unit": g.unit, "names": g.names} for g in state.missing],
        "walk_ins": state.walk_ins,
        "flagged": state.flagged,
    }


@role_required(*MANAGE_ROLES)
@never_cache
def checkin_display(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_for(request, pk, manage=True)
    return render(
        request,
        "events/checkin_display.html",
        {
            "event": event,
            "state": _state_payload(request, event),
            "opens_at": timezone.localtime(event.checkin_opens_at),
            "closes_at": timezone.localtime(event.checkin_closes_at),
        },
    )


@role_required(*MANAGE_ROLES)
@never_cache
def checkin_state_json(request: HttpRequest, pk: int) -> JsonResponse:
    event = _event_for(request, pk, manage=True)
    return JsonResponse(_state_payload(request, event))


# --- Roster -------------------------------------------------------------------------------


@role_required(*REPORT_ROLES)
@never_cache
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_for(request, pk, manage=False)
    viewer = request.user
    assert isinstance(viewer, User)
    markable = set(roster_markable(event=event, viewer=viewer).values_list("pk", flat=True))
    form = RosterMarkForm(request.POST if request.method == "POST" else None, person_ids=markable)
    if request.method == "POST":
        if not markable:
            raise Http404
        if form.is_valid():
            people = {
                u.pk: u
                for u in User.objects.filter(pk__in=form.cleaned_data["person"]).select_related(
                    "unit", "rank_level"
                )
            }
            if form.cleaned_data["action"] == RosterMarkForm.ACTION_CONFIRM:
                rows = Attendance.objects.filter(event=event, user_id__in=people, walk_in=True)
                for attendance in rows:
                    attendance_walk_in_confirm(attendance=attendance, by=viewer)
                messages.success(request, _("Walk-in confirmed."))
            else:
                status = form.cleaned_data["status"]
                for person in people.values():
                    attendance_mark(
                        event=event,
                        user=person,
                        status=status,
                        by=viewer,
                        method=AttendanceMethod.ROSTER,
                    )
                messages.success(
                    request,
                    _("Marked %(count)s as “%(status)s”.")
                    % {"count": len(people), "status": AttendanceStatus(status).label},
                )
            return redirect(reverse("events:roster_list", args=[event.pk]))
        status_code = 400
    else:
        status_code = 200
    roster = roster_rows(event=event, viewer=viewer)
    counts = dict.fromkeys(AttendanceStatus.values, 0)
    for row in roster:
        if row.attendance:
            counts[row.attendance.status] += 1
    return render(
        request,
        "events/roster_list.html",
        {
            "event": event,
            "rows": roster,
            "form": form,
            "markable": markable,
            "can_mark": bool(markable),
            "can_import": event_can_manage(viewer=viewer, event=event),
            "statuses": AttendanceStatus.choices,
            "counts": counts,
            "unmarked": sum(1 for row in roster if row.attendance is None),
        },
        status=status_code,
    )


@role_required(*MANAGE_ROLES)
def roster_import(request: HttpRequest, pk: int) -> HttpResponse:
    event = _event_for(request, pk, manage=True)
    posted = request.method == "POST"
    form = SheetImportForm(request.POST if posted else None, request.FILES if posted else None)
    issues: list[str] = []
    status_code = 200
    if request.method == "POST":
        status_code = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            limit = settings.QINGLIAN_IMPORT_MAX_BYTES
            data = upload.read(limit + 1)
            try:
                outcome = sheet_import(
                    event=event, viewer=request.user, name=upload.name, data=data
                )
            except ImportFileError as error:
                form.add_error("file", error.issue.message)
            except SheetRejected as rejected:
                issues = [str(issue) for issue in rejected.issues]
                form.add_error(
                    None,
                    _("Nothing was imported: correct the rows below and upload the file again."),
                )
            else:
                messages.success(
                    request,
                    _("Imported the sign-in sheet: %(rows)s people marked.")
                    % {"rows": outcome.rows},
                )
                return redirect(reverse("events:roster_list", args=[event.pk]))
    return render(
        request,
        "events/roster_import.html",
        {"event": event, "form": form, "issues": issues},
        status=status_code,
    )
