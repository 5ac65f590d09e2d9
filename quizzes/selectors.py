"""Reads of the quiz engine for the cadre's pages.

Everything here is built for one person's own attempt. What a page may show before the
review options allow it is decided here, never in a template: the attempt page gets the
stem and the option texts under opaque keys, nothing else from the version (no option
ids, no ``correct`` flags, no feedback, no explanation, no accepted fill-in answers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from .grading import correct_option_ids
from .models import Attempt, AttemptSlot, AttemptStatus, QuestionType, Quiz
from .services import AttemptAllowance, attempt_allowance, grace_period, quiz_window_error


def quiz_get_published(*, slug: str) -> Quiz:
    quiz = Quiz.objects.filter(slug=slug, is_active=True).first()
    if quiz is None:
        raise Http404
    return quiz


def attempt_get_own(*, token: str, user: Any) -> Attempt:
    """The viewer's own attempt by token; anyone else's (or none) is a 404."""
    attempt = (
        Attempt.objects.select_related("quiz").filter(token=token, user_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    if attempt is None:
        raise Http404
    return attempt


def attempt_list_own(*, quiz: Quiz, user: Any) -> QuerySet[Attempt]:
    return Attempt.objects.filter(quiz=quiz, user=user).order_by("-number")


# --- Review options --------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewOptions:
    score: bool
    answers: bool
    explanations: bool


def review_options(*, attempt: Attempt, now: datetime | None = None) -> ReviewOptions:
    """What the quiz's review options allow for this attempt at ``now``: nothing while it
    is open; the "after submitting" set once submitted; the "after closing" set too once
    the quiz has a close time that has passed."""
    if attempt.status != AttemptStatus.SUBMITTED:
        return ReviewOptions(score=False, answers=False, explanations=False)
    now = now or timezone.now()
    quiz = attempt.quiz
    closed = quiz.closes_at is not None and now >= quiz.closes_at
    return ReviewOptions(
        score=quiz.review_score_after_submit or (closed and quiz.review_score_after_close),
        answers=quiz.review_answers_after_submit or (closed and quiz.review_answers_after_close),
        explanations=quiz.review_explanations_after_submit
        or (closed and quiz.review_explanations_after_close),
    )


# --- The quiz landing page ----------------------------------------------------------------


@dataclass
class QuizLanding:
    quiz: Quiz
    allowance: AttemptAllowance
    open_attempt: Attempt | None
    attempts: list[dict[str, Any]]
    start_error: Any
    time_limit_minutes: int | None


def quiz_landing(*, quiz: Quiz, user: Any, now: datetime | None = None) -> QuizLanding:
    now = now or timezone.now()
    allowance = attempt_allowance(quiz=quiz, user=user)
    attempts = list(attempt_list_own(quiz=quiz, user=user).select_related("quiz"))
    open_attempt = next((a for a in attempts if a.status == AttemptStatus.OPEN), None)
    rows = []
    for a in attempts:
        options = review_options(attempt=a, now=now)
        rows.append({"attempt": a, "show_score": options.score})
    start_error = None
    if open_attempt is None:
        start_error = quiz_window_error(quiz=quiz, now=now)
        if start_error is None and allowance.left == 0:
            from django.utils.translation import gettext_lazy as _

            start_error = _("You have used all your attempts at this quiz.")
    limit = quiz.time_limit_minutes
    if limit and allowance.extra_minutes:
        limit += allowance.extra_minutes
    return QuizLanding(
        quiz=quiz,
        allowance=allowance,
        open_attempt=open_attempt,
        attempts=rows,
        start_error=start_error,
        time_limit_minutes=limit,
    )


# --- The attempt page ---------------------------------------------------------------------


@dataclass
class OptionView:
    key: str
    text: str
    checked: bool


@dataclass
class QuestionView:
    key: str
    number: int
    qtype: str
    stem: str
    mark: Decimal
    options: list[OptionView] = field(default_factory=list)
    text: str = ""
    answered: bool = False


@dataclass
class AttemptPage:
    attempt: Attempt
    page: int
    page_count: int
    questions: list[QuestionView]
    answered: int
    total: int
    unanswered_numbers: list[int]
    remaining_seconds: int | None
    unanswered: list[tuple[int, int]] = field(default_factory=list)  # (number, page)

    @property
    def remaining_display(self) -> str:
        """``H:MM:SS`` or ``MM:SS`` (the server's count; the script counts down from it)."""
        if self.remaining_seconds is None:
            return ""
        hours, rest = divmod(self.remaining_seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"

    @property
    def pages(self) -> range:
        return range(1, self.page_count + 1)


def _option_texts(content: dict[str, Any]) -> dict[Any, str]:
    return {o["id"]: o["text"] for o in content.get("options", [])}


def _tf_labels() -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {"true": _("True"), "false": _("False")}


def _question_view(slot: AttemptSlot, response: Any) -> QuestionView:
    """What the attempt page may show of a slot: no ids, flags, feedback or explanations."""
    content = slot.version.content
    qtype = content.get("qtype")
    view = QuestionView(
        key=slot.key,
        number=slot.position,
        qtype=qtype,
        stem=content.get("stem", ""),
        mark=slot.max_mark,
        answered=response is not None,
    )
    if qtype == QuestionType.FILL:
        view.text = response.get("text", "") if isinstance(response, dict) else ""
        return view
    texts = _tf_labels() if qtype == QuestionType.TRUE_FALSE else _option_texts(content)
    chosen = set(response) if isinstance(response, list) else set()
    view.options = [
        OptionView(key=key, text=texts.get(option_id, ""), checked=option_id in chosen)
        for key, option_id in slot.option_keys
    ]
    return view


def remaining_seconds(*, attempt: Attempt, now: datetime | None = None) -> int | None:
    """Seconds left before the deadline, by the server's clock (None: no time limit)."""
    if attempt.deadline is None:
        return None
    now = now or timezone.now()
    return max(0, int((attempt.deadline - now).total_seconds()))


def attempt_page(*, attempt: Attempt, page: int, now: datetime | None = None) -> AttemptPage:
    """One page of an open attempt, with the saved answers. Two queries whatever the
    number of questions: the page/answered summary of all slots and this page's slots."""
    summary = list(attempt.slots.order_by("position").values_list("position", "page", "response"))
    page_count = max((p for _pos, p, _r in summary), default=1)
    page = min(max(1, page), page_count)
    slots = attempt.slots.filter(page=page).select_related("version").order_by("position")
    questions = [_question_view(slot, slot.response) for slot in slots]
    unanswered = [(pos, p) for pos, p, response in summary if response is None]
    return AttemptPage(
        attempt=attempt,
        page=page,
        page_count=page_count,
        questions=questions,
        answered=len(summary) - len(unanswered),
        total=len(summary),
        unanswered_numbers=[pos for pos, _p in unanswered],
        unanswered=unanswered,
        remaining_seconds=remaining_seconds(attempt=attempt, now=now),
    )


def attempt_page_keys(*, attempt: Attempt, page: int) -> list[tuple[str, str]]:
    """``(slot key, qtype)`` of the questions on ``page``, for reading a posted form."""
    return [
        (key, content.get("qtype"))
        for key, content in attempt.slots.filter(page=page)
        .order_by("position")
        .values_list("key", "version__content")
    ]


# --- Review ---------------------------------------------------------------------------------


@dataclass
class ReviewOption:
    text: str
    chosen: bool
    correct: bool | None = None
    feedback: str = ""


@dataclass
class ReviewQuestion:
    number: int
    qtype: str
    stem: str
    max_mark: Decimal
    options: list[ReviewOption]
    response_text: str = ""
    answered: bool = False
    mark: Decimal | None = None
    is_right: bool | None = None
    accepted: list[str] = field(default_factory=list)
    explanation: str = ""
    late: bool = False


@dataclass
class AttemptReview:
    attempt: Attempt
    options: ReviewOptions
    questions: list[ReviewQuestion]
    score: Decimal | None = None
    max_score: Decimal | None = None
    percent: Decimal | None = None
    passed: bool | None = None


def attempt_review(*, attempt: Attempt, now: datetime | None = None) -> AttemptReview:
    """What may be shown of a submitted attempt at ``now``: always the cadre's own
    answers; the score, the correct answers (with per-question marks and option
    feedback) and the explanations only as far as the quiz's review options allow."""
    options = review_options(attempt=attempt, now=now)
    review = AttemptReview(attempt=attempt, options=options, questions=[])
    if attempt.status != AttemptStatus.SUBMITTED:
        return review
    if options.score:
        review.score = attempt.score
        review.max_score = attempt.max_score
        review.percent = attempt.percent
        review.passed = attempt.passed
    labels = _tf_labels()
    for slot in attempt.slots.select_related("version").order_by("position"):
        content = slot.version.content
        qtype = content.get("qtype")
        response = slot.response
        item = ReviewQuestion(
            number=slot.position,
            qtype=qtype,
            stem=content.get("stem", ""),
            max_mark=slot.max_mark,
            options=[],
            answered=response is not None,
            late=slot.late_response is not None,
        )
        if qtype == QuestionType.FILL:
            item.response_text = response.get("text", "") if isinstance(response, dict) else ""
            if options.answers:
                item.accepted = [o["text"] for o in content.get("options", [])]
        else:
            chosen = set(response) if isinstance(response, list) else set()
            correct = correct_option_ids(content)
            by_id = {o["id"]: o for o in content.get("options", [])}
            for _key, option_id in slot.option_keys:
                option = by_id.get(option_id, {})
                text = labels.get(option_id, "") if qtype == QuestionType.TRUE_FALSE else ""
                item.options.append(
                    ReviewOption(
                        text=text or option.get("text", ""),
                        chosen=option_id in chosen,
                        correct=(option_id in correct) if options.answers else None,
                        feedback=(option.get("feedback", "") if options.answers else ""),
                    )
                )
        if options.answers:
            item.mark = slot.mark
            item.is_right = slot.mark is not None and slot.mark >= slot.max_mark
        if options.explanations:
            item.explanation = content.get("explanation", "")
        review.questions.append(item)
    return review


def attempt_grace_seconds() -> int:
    return int(grace_period().total_seconds())
