"""The cadre's quiz pages: landing, attempt pages, the autosave endpoint, submit, review.

Every view is for the logged-in person's own attempts (``attempt_get_own``: anyone
else's token is a 404). Rules live in ``quizzes.services`` and ``quizzes.selectors``;
these views read the request, call them and render. The pages work without JavaScript
(``static/js/quiz.js`` adds the countdown, the autosave and the auto-submit).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from people.access import login_required

from .models import AttemptStatus, QuestionType
from .selectors import (
    attempt_get_own,
    attempt_page,
    attempt_page_keys,
    attempt_review,
    quiz_get_published,
    quiz_landing,
)
from .services import (
    AttemptClosed,
    QuizError,
    StaleSequence,
    TamperedAnswer,
    attempt_close_if_expired,
    attempt_save_page,
    attempt_start,
    attempt_submit,
)

MAX_JSON_BYTES = 256 * 1024


def _page_url(attempt: Any, page: int) -> str:
    return f"{reverse('quizzes:attempt', args=[attempt.token])}?page={page}"


def _review_url(attempt: Any) -> str:
    return reverse("quizzes:review", args=[attempt.token])


def _int(value: Any, default: int = 1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
@require_http_methods(["GET"])
def quiz_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The quiz landing page: instructions, window, time limit, attempts, start button."""
    quiz = quiz_get_published(slug=slug)
    landing = quiz_landing(quiz=quiz, user=request.user)
    return render(request, "quizzes/quiz_detail.html", {"quiz": quiz, "landing": landing})


@login_required
@require_POST
def quiz_start(request: HttpRequest, slug: str) -> HttpResponse:
    """Start (or continue) an attempt; starting twice returns the same attempt."""
    quiz = quiz_get_published(slug=slug)
    try:
        attempt = attempt_start(quiz=quiz, user=request.user)
    except QuizError as error:
        messages.error(request, error.message)
        return redirect("quizzes:detail", slug=quiz.slug)
    return redirect(_page_url(attempt, 1))


def _answers_from_form(request: HttpRequest, attempt: Any, page: int) -> dict[str, Any]:
    """The answers of ``page`` as posted (a question left empty clears its answer)."""
    answers: dict[str, Any] = {}
    for key, qtype in attempt_page_keys(attempt=attempt, page=page):
        if qtype == QuestionType.FILL:
            answers[key] = request.POST.get(key, "")
        else:
            answers[key] = request.POST.getlist(key)
    return answers


@login_required
@require_http_methods(["GET", "POST"])
def attempt_view(request: HttpRequest, token: str) -> HttpResponse:
    """One page of an open attempt (``?page=N``). The form posts back here: the page's
    answers are saved, then the person goes to the previous / next / chosen page or to
    the submit confirmation."""
    attempt = attempt_get_own(token=token, user=request.user)
    if attempt.status != AttemptStatus.OPEN:
        return redirect(_review_url(attempt))
    if attempt_close_if_expired(attempt=attempt):
        messages.info(request, _("Time is up: your attempt was submitted automatically."))
        return redirect(_review_url(attempt))
    page = _int(request.GET.get("page"), 1)
    if request.method == "POST":
        page = _int(request.POST.get("page"), page)
        action = "goto" if "goto" in request.POST else request.POST.get("action", "next")
        answers = _answers_from_form(request, attempt, page)
        sequence = request.POST.get("sequence")
        try:
            if action == "submit_now":
                attempt_submit(attempt=attempt, answers=answers, sequence=sequence, page=page)
                return redirect(_review_url(attempt))
            result = attempt_save_page(
                attempt=attempt, page=page, sequence=sequence, answers=answers
            )
        except AttemptClosed:
            return redirect(_review_url(attempt))
        except QuizError as error:
            messages.error(request, error.message)
            return redirect(_page_url(attempt, page))
        if result.late:
            messages.warning(
                request,
                _(
                    "Time was up: these answers were kept but not graded. Your attempt is submitted."
                ),
            )
            return redirect(_review_url(attempt))
        if action == "finish":
            return redirect("quizzes:submit", token=attempt.token)
        if action == "prev":
            return redirect(_page_url(attempt, page - 1))
        if action == "goto":
            return redirect(_page_url(attempt, _int(request.POST.get("goto"), page)))
        messages.success(request, _("Your answers were saved."))
        return redirect(_page_url(attempt, page + 1))
    view = attempt_page(attempt=attempt, page=page)
    return render(
        request,
        "quizzes/attempt_page.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "view": view,
            "next_sequence": attempt.sequence + 1,
        },
    )


@login_required
@require_POST
def attempt_save_json(request: HttpRequest, token: str) -> JsonResponse:
    """Autosave: ``{"page", "sequence", "answers": {slot key: [option keys] | text}}``.
    Answers 200 with the accepted sequence, or 4xx with a message (stale sequence,
    tampered key, attempt already submitted or time up)."""
    attempt = attempt_get_own(token=token, user=request.user)
    if len(request.body) > MAX_JSON_BYTES:
        return JsonResponse({"error": _("The request is too large.")}, status=413)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("answers", {}), dict):
        return JsonResponse({"error": _("The request was not valid.")}, status=400)
    page = data.get("page")
    try:
        result = attempt_save_page(
            attempt=attempt,
            page=_int(page) if page is not None else None,
            sequence=data.get("sequence"),
            answers=data.get("answers", {}),
        )
    except AttemptClosed as error:
        return JsonResponse(
            {"error": str(error.message), "code": error.code, "redirect": _review_url(attempt)},
            status=409,
        )
    except StaleSequence as error:
        return JsonResponse({"error": str(error.message), "code": error.code}, status=409)
    except TamperedAnswer as error:
        return JsonResponse({"error": str(error.message), "code": error.code}, status=400)
    except QuizError as error:
        return JsonResponse({"error": str(error.message), "code": error.code}, status=400)
    if result.late:
        return JsonResponse(
            {
                "error": _("Time is up: these answers were kept but not graded."),
                "code": "late",
                "redirect": _review_url(attempt),
            },
            status=409,
        )
    return JsonResponse({"ok": True, "sequence": result.sequence, "saved": result.saved})


@login_required
@require_http_methods(["GET", "POST"])
def attempt_submit_view(request: HttpRequest, token: str) -> HttpResponse:
    """The confirmation page (unanswered questions listed) and the final submit. A
    double-clicked or repeated submit lands on the same result."""
    attempt = attempt_get_own(token=token, user=request.user)
    if attempt_close_if_expired(attempt=attempt):
        return redirect(_review_url(attempt))
    if request.method == "POST":
        try:
            attempt_submit(attempt=attempt, sequence=request.POST.get("sequence"))
        except AttemptClosed:
            pass
        except QuizError as error:
            messages.error(request, error.message)
            return redirect("quizzes:submit", token=attempt.token)
        return redirect(_review_url(attempt))
    view = attempt_page(attempt=attempt, page=1)
    return render(
        request,
        "quizzes/attempt_submit.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "view": view,
            "next_sequence": attempt.sequence + 1,
        },
    )


@login_required
@require_http_methods(["GET"])
def attempt_review_view(request: HttpRequest, token: str) -> HttpResponse:
    """The result and review, as far as the quiz's review options allow."""
    attempt = attempt_get_own(token=token, user=request.user)
    attempt_close_if_expired(attempt=attempt)
    if attempt.status != AttemptStatus.SUBMITTED:
        return redirect(_page_url(attempt, 1))
    review = attempt_review(attempt=attempt)
    return render(
        request,
        "quizzes/attempt_review.html",
        {"attempt": attempt, "quiz": attempt.quiz, "review": review},
    )
