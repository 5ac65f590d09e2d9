"""The study endpoints a lesson page calls (mounted at ``/study/``).

``POST /study/lessons/<id>/heartbeat/``: a playback report from ``lesson-progress.js``
(JSON body ``{"media": id, "seq": n, "start": s, "end": e, "rate": r, "visible": bool}``).
``POST /study/lessons/<id>/studied/``: "Mark as studied" for a lesson without media; a
plain form post (redirects back to the lesson with a message, so it works without
JavaScript) or a JSON request (``Accept: application/json``).

Both need a logged-in person (an anonymous request gets 401 JSON, or the login page for
the form post), the CSRF token, and an enrolment in the lesson's course (403 otherwise:
enrolling is a deliberate act — the course page and the lesson page offer the
self-enrolment button when the course allows it). Bad input gets a 4xx JSON answer with
a translated message and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people.access import LOGGED_IN

from .models import LessonPage
from .services import progress as progress_service

MAX_BODY_BYTES = 2048
SEQ_MAX = 2_000_000_000


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "") or (
        request.content_type == "application/json"
    )


def _error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"ok": False, "reason": code, "message": message, **extra}, status=status)


def login_required_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Any logged-in person. Anonymous: 401 JSON for script requests, the login page for
    a plain form post."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if _wants_json(request):
                return _error(401, "login", _("Log in to record your progress."))
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.access_rule = LOGGED_IN  # type: ignore[attr-defined]
    wrapped.access_roles = ()  # type: ignore[attr-defined]
    return wrapped


def _lesson(lesson_id: int) -> LessonPage:
    # Live lessons only; who may record progress is decided by the enrolment (a page
    # privacy setting on the course does not stop its enrolled learners).
    return get_object_or_404(LessonPage.objects.live(), pk=lesson_id)


HEARTBEAT_MESSAGES = {
    progress_service.STALE: (409, "This report arrived out of order and was ignored."),
    progress_service.RANGE: (400, "The reported playback interval is not valid."),
    progress_service.UNKNOWN_MEDIA: (400, "This lesson has no such video or audio."),
    progress_service.TOO_FAST: (
        422,
        "More playback was reported than time has passed; it was not counted.",
    ),
    progress_service.HIDDEN: (200, "Playback while the page is hidden does not count."),
    progress_service.RATE: (200, "Playback faster than the allowed speed does not count."),
}


def _number(data: dict[str, Any], name: str) -> float:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(name)
    return float(value)


@require_POST
@login_required_json
def lesson_heartbeat(request: HttpRequest, lesson_id: int) -> HttpResponse:
    if len(request.body) > MAX_BODY_BYTES:
        return _error(400, "invalid", _("The progress report is not valid."))
    try:
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("body")
        seq = data.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq < SEQ_MAX:
            raise ValueError("seq")
        media = data.get("media")
        if media is not None and (isinstance(media, bool) or not isinstance(media, int)):
            raise ValueError("media")
        start, end, rate = _number(data, "start"), _number(data, "end"), _number(data, "rate")
        visible = data.get("visible")
        if not isinstance(visible, bool):
            raise ValueError("visible")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "invalid", _("The progress report is not valid."))
    lesson = _lesson(lesson_id)
    try:
        result = progress_service.lesson_heartbeat(
            user=request.user,
            lesson=lesson,
            media_id=media,
            seq=seq,
            start=start,
            end=end,
            rate=rate,
            visible=visible,
        )
    except progress_service.NotEnrolledError as exc:
        return _error(403, "not_enrolled", str(exc))
    payload = {
        "ok": result.accepted,
        "reason": result.reason,
        "seq": result.seq,
        "watched_seconds": result.watched_seconds,
        "media_duration": result.media_duration,
        "media_percent": result.media_percent,
        "lesson_completed": result.lesson_completed,
        "course_completed": result.course_completed,
    }
    if result.accepted:
        return JsonResponse(payload)
    status, message = HEARTBEAT_MESSAGES[result.reason]
    return JsonResponse({**payload, "message": _(message)}, status=status)


@require_POST
@login_required_json
def lesson_studied(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _lesson(lesson_id)
    as_json = _wants_json(request)
    try:
        progress = progress_service.lesson_mark_studied(user=request.user, lesson=lesson)
    except progress_service.NotEnrolledError as exc:
        if as_json:
            return _error(403, "not_enrolled", str(exc))
        messages.error(request, str(exc))
        return redirect(lesson.url)
    except progress_service.LessonHasMediaError as exc:
        if as_json:
            return _error(400, "has_media", exc.messages[0])
        messages.error(request, exc.messages[0])
        return redirect(lesson.url)
    if as_json:
        return JsonResponse(
            {"ok": True, "lesson_completed": True, "completed_at": progress.completed_at}
        )
    messages.success(request, _("Lesson marked as studied."))
    return redirect(lesson.url)
