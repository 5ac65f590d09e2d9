"""Services of the quiz engine: the functions that change things.

* ``question_content`` / ``question_version_current``: the immutable snapshot of a question
  a cadre answers.
* ``attempt_start``: draws the questions, shuffles, stores the slots with opaque keys,
  sets the server-owned deadline. One transaction; a fixed number of queries whatever the
  number of questions.
* ``attempt_save_page``: stores the answers of one page; page submissions carry a
  ``sequence`` that must grow (a conditional UPDATE, so two tabs cannot both win).
* ``attempt_submit``: claims the attempt (``open`` → ``submitted``, a conditional UPDATE),
  saves the last page, grades (``quizzes.grading``), all in one transaction; a second
  submit returns the same result and writes nothing.
* ``attempt_submit_expired``: the periodic sweep that submits attempts past their
  deadline plus the grace period.

Errors are ``QuizError`` (a clear, translatable message; nothing was written).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .grading import response_mark
from .models import (
    Attempt,
    AttemptSlot,
    AttemptStatus,
    Question,
    QuestionType,
    QuestionVersion,
    Quiz,
    QuizOverride,
)
from .signals import attempt_graded

KEY_BYTES = 9  # 12 URL-safe characters, 72 random bits per key
MAX_FILL_LENGTH = 500


class QuizError(Exception):
    """A refused request; ``message`` says why (nothing was written)."""

    code = "refused"

    def __init__(self, message: Any, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code


class StaleSequence(QuizError):
    code = "stale"


class TamperedAnswer(QuizError):
    code = "tampered"


class AttemptClosed(QuizError):
    code = "closed"


def grace_period() -> timedelta:
    return timedelta(seconds=getattr(settings, "QINGLIAN_QUIZ_GRACE_SECONDS", 30))


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


# =====================================================================================
# Question versions
# =====================================================================================


def question_content(question: Question) -> dict[str, Any]:
    """The ``QuestionVersion.content`` of ``question`` as it is now. Option ids are the
    option pks (stable within a version). Uses ``question.options.all()`` and
    ``question.articles.all()``, so prefetch them when building many."""
    options = sorted(question.options.all(), key=lambda o: (o.sort_order or 0, o.pk or 0))
    return {
        "qtype": question.qtype,
        "stem": str(question.stem or ""),
        "explanation": str(question.explanation or ""),
        "mark": str(Decimal(question.default_mark).quantize(Decimal("0.01"))),
        "options": [
            {"id": o.pk, "text": o.text, "correct": bool(o.is_correct), "feedback": o.feedback}
            for o in options
        ],
        "true_false_answer": question.true_false_answer,
        "article_ids": sorted(a.pk for a in question.articles.all()),
    }


def _version_used(version: QuestionVersion) -> bool:
    """Answered by someone, or part of a submitted attempt: then it must never change."""
    return (
        AttemptSlot.objects.filter(version=version)
        .filter(Q(response__isnull=False) | Q(attempt__status=AttemptStatus.SUBMITTED))
        .exists()
    )


def question_version_current(*, question: Question) -> QuestionVersion:
    """The version matching the question's current content: the latest one updated in
    place while nobody has answered it, otherwise a new version n+1 when the content
    differs. Past attempts keep the version they saw."""
    content = question_content(question)
    for _try in range(3):
        latest = question.versions.order_by("-number").first()
        if latest is not None and latest.content == content:
            return latest
        if latest is not None and not _version_used(latest):
            latest.content = content
            latest.save(update_fields=["content"])
            return latest
        number = latest.number + 1 if latest is not None else 1
        try:
            with transaction.atomic():
                return QuestionVersion.objects.create(
                    question=question, number=number, content=content
                )
        except IntegrityError:
            continue  # someone else made this number at the same moment: look again
    raise QuizError(_("The question is being changed by someone else; try again."))


def _versions_for(question_ids: list[int]) -> dict[int, QuestionVersion]:
    """The latest version of each question, creating version 1 for questions never
    snapshotted. A fixed number of queries whatever the number of questions."""
    if not question_ids:
        return {}
    latest_number = (
        QuestionVersion.objects.filter(question_id=OuterRef("question_id"))
        .order_by("-number")
        .values("number")[:1]
    )
    found = {
        v.question_id: v
        for v in QuestionVersion.objects.filter(question_id__in=question_ids).filter(
            number=Subquery(latest_number)
        )
    }
    missing = [qid for qid in question_ids if qid not in found]
    if missing:
        questions = Question.objects.filter(pk__in=missing).prefetch_related("options", "articles")
        QuestionVersion.objects.bulk_create(
            [QuestionVersion(question=q, number=1, content=question_content(q)) for q in questions],
            ignore_conflicts=True,  # a concurrent start made them first: use theirs
        )
        found.update(
            {
                v.question_id: v
                for v in QuestionVersion.objects.filter(question_id__in=missing, number=1)
            }
        )
    return found


# =====================================================================================
# Starting an attempt
# =====================================================================================


@dataclass(frozen=True)
class AttemptAllowance:
    """How many attempts a person has at a quiz (``allowed`` None = unlimited)."""

    used: int
    allowed: int | None
    extra_minutes: int

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - self.used)


def attempt_allowance(*, quiz: Quiz, user: Any) -> AttemptAllowance:
    override = QuizOverride.objects.filter(quiz=quiz, user=user).first()
    used = Attempt.objects.filter(quiz=quiz, user=user).count()
    extra_attempts = override.extra_attempts if override else 0
    allowed = quiz.attempts_allowed + extra_attempts if quiz.attempts_allowed else None
    return AttemptAllowance(
        used=used, allowed=allowed, extra_minutes=override.extra_minutes if override else 0
    )


def quiz_window_error(*, quiz: Quiz, now: datetime) -> Any:
    """Why the quiz cannot be started at ``now`` (a message), or None."""
    if not quiz.is_active:
        return _("This quiz is not published.")
    if quiz.opens_at and now < quiz.opens_at:
        return _("This quiz has not opened yet.")
    if quiz.closes_at and now >= quiz.closes_at:
        return _("This quiz has closed.")
    return None


def _draw(*, quiz: Quiz, user: Any, rng: random.Random) -> list[int]:
    """Question ids for a new attempt, section by section (fixed questions first)."""
    sections = list(quiz.sections.select_related("category").prefetch_related("fixed_questions"))
    seen = set(
        AttemptSlot.objects.filter(attempt__quiz=quiz, attempt__user=user).values_list(
            "version__question_id", flat=True
        )
    )
    chosen: list[int] = []
    taken: set[int] = set()
    for section in sections:
        ids = [q.pk for q in section.fixed_questions.all() if q.is_active and q.pk not in taken]
        taken.update(ids)
        if section.category_id and section.draw_count:
            bank = Question.objects.filter(is_active=True)
            if section.include_subcategories:
                bank = bank.filter(category__path__startswith=section.category.path)
            else:
                bank = bank.filter(category_id=section.category_id)
            pool = [qid for qid in bank.values_list("id", flat=True) if qid not in taken]
            fresh = [qid for qid in pool if qid not in seen]
            old = [qid for qid in pool if qid in seen]
            rng.shuffle(fresh)
            rng.shuffle(old)
            # Questions this person has not seen first, then (bank too small) seen ones.
            drawn = (fresh + old)[: section.draw_count]
            if not quiz.shuffle_questions:
                chosen_set = set(drawn)
                drawn = [qid for qid in pool if qid in chosen_set]  # the bank's order
            taken.update(drawn)
            ids += drawn
        if quiz.shuffle_questions:
            rng.shuffle(ids)
        chosen += ids
    return chosen


def _option_keys(content: dict[str, Any], *, shuffle: bool, rng: random.Random) -> list[list]:
    qtype = content.get("qtype")
    if qtype == QuestionType.FILL:
        return []
    if qtype == QuestionType.TRUE_FALSE:
        return [[_new_key(), "true"], [_new_key(), "false"]]
    ids = [o["id"] for o in content.get("options", [])]
    if shuffle:
        rng.shuffle(ids)
    return [[_new_key(), option_id] for option_id in ids]


def attempt_start(*, quiz: Quiz, user: Any, now: datetime | None = None) -> Attempt:
    """Start an attempt, or return the person's open one (starting is idempotent; a
    concurrent second start hits the one-open-attempt constraint and gets the winner's).

    One transaction, a fixed number of queries whatever the number of questions (the
    slots are inserted with one ``bulk_create``). Raises ``QuizError`` outside the quiz
    window, when no attempt is left, or when the quiz has no question to draw."""
    with transaction.atomic():
        return _attempt_start(quiz=quiz, user=user, now=_now(now))


def _attempt_start(*, quiz: Quiz, user: Any, now: datetime) -> Attempt:
    existing = Attempt.objects.filter(quiz=quiz, user=user, status=AttemptStatus.OPEN).first()
    if existing is not None:
        return existing
    error = quiz_window_error(quiz=quiz, now=now)
    if error:
        raise QuizError(error, "window")
    allowance = attempt_allowance(quiz=quiz, user=user)
    if allowance.left == 0:
        raise QuizError(_("You have used all your attempts at this quiz."), "limit")

    rng = random.SystemRandom()
    question_ids = _draw(quiz=quiz, user=user, rng=rng)
    versions = _versions_for(question_ids)
    question_ids = [qid for qid in question_ids if qid in versions]
    if not question_ids:
        raise QuizError(_("This quiz has no questions yet."), "empty")

    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timedelta(minutes=quiz.time_limit_minutes + allowance.extra_minutes)
    if quiz.closes_at and (deadline is None or deadline > quiz.closes_at):
        deadline = quiz.closes_at

    per_page = max(1, quiz.questions_per_page or 1)
    slots: list[AttemptSlot] = []
    max_score = Decimal(0)
    keys: set[str] = set()
    for index, qid in enumerate(question_ids):
        version = versions[qid]
        mark = Decimal(str(version.content.get("mark", "1")))
        max_score += mark
        key = _new_key()
        while key in keys:
            key = _new_key()
        keys.add(key)
        slots.append(
            AttemptSlot(
                position=index + 1,
                page=index // per_page + 1,
                version=version,
                key=key,
                option_keys=_option_keys(version.content, shuffle=quiz.shuffle_options, rng=rng),
                max_mark=mark,
            )
        )

    number = (Attempt.objects.filter(quiz=quiz, user=user).aggregate(n=Max("number"))["n"] or 0) + 1
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                quiz=quiz,
                user=user,
                number=number,
                started_at=now,
                deadline=deadline,
                max_score=max_score,
            )
            for slot in slots:
                slot.attempt = attempt
            AttemptSlot.objects.bulk_create(slots)
    except IntegrityError:
        # A concurrent start won (one open attempt per person and quiz): return theirs.
        winner = Attempt.objects.filter(quiz=quiz, user=user, status=AttemptStatus.OPEN).first()
        if winner is None:
            raise QuizError(_("The attempt could not be started; try again."), "busy") from None
        return winner
    return attempt


# =====================================================================================
# Saving answers
# =====================================================================================


def _parse_answer(slot: AttemptSlot, value: Any) -> Any:
    """The stored ``response`` for ``value`` (opaque option keys or text); raises
    ``TamperedAnswer`` for anything that is not one of this slot's keys."""
    qtype = slot.version.content.get("qtype")
    if qtype == QuestionType.FILL:
        if isinstance(value, list):
            if len(value) > 1:
                raise TamperedAnswer(_("An answer was not valid. Reload the page and try again."))
            value = value[0] if value else ""
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise TamperedAnswer(_("An answer was not valid. Reload the page and try again."))
        # NUL cannot be stored in PostgreSQL's jsonb; other control characters are noise.
        text = "".join(c for c in value if c in "\t\n" or c >= " ").strip()[:MAX_FILL_LENGTH]
        return {"text": text} if text else None
    if value is None or value == "":
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TamperedAnswer(_("An answer was not valid. Reload the page and try again."))
    shown = {k for k, _option_id in slot.option_keys}
    if any(v not in shown for v in value):
        raise TamperedAnswer(_("An answer was not valid. Reload the page and try again."))
    if qtype != QuestionType.MULTIPLE and len(set(value)) > 1:
        raise TamperedAnswer(_("Choose only one option for this question."))
    # Stored in display order, without duplicates.
    chosen = set(value)
    ids = [option_id for k, option_id in slot.option_keys if k in chosen]
    return ids or None


def _apply_answers(
    *,
    attempt: Attempt,
    slots: list[AttemptSlot],
    answers: Mapping[str, Any],
    page: int | None,
    now: datetime,
    late: bool,
) -> list[AttemptSlot]:
    """Validate every answer first, then set them on the slot objects (in memory)."""
    if not isinstance(answers, Mapping):
        raise TamperedAnswer(_("An answer was not valid. Reload the page and try again."))
    by_key = {s.key: s for s in slots}
    parsed: list[tuple[AttemptSlot, Any]] = []
    for key, value in answers.items():
        slot = by_key.get(key) if isinstance(key, str) else None
        if slot is None or (page is not None and slot.page != page):
            raise TamperedAnswer(_("An answer was not valid. Reload the page and try again."))
        parsed.append((slot, _parse_answer(slot, value)))
    changed = []
    for slot, response in parsed:
        if late:
            slot.late_response = response
            slot.late_at = now
        else:
            slot.response = response
            slot.answered_at = now
        changed.append(slot)
    return changed


def _claim_sequence(*, attempt: Attempt, sequence: Any) -> None:
    """Accept ``sequence`` only if it is greater than the last accepted one."""
    try:
        sequence = int(sequence)
    except (TypeError, ValueError):
        raise StaleSequence(_("This page is out of date. Reload it to continue.")) from None
    if sequence <= 0 or sequence > 2_000_000_000:
        raise StaleSequence(_("This page is out of date. Reload it to continue."))
    won = Attempt.objects.filter(pk=attempt.pk, sequence__lt=sequence).update(sequence=sequence)
    if not won:
        raise StaleSequence(
            _(
                "These answers were already replaced by a newer save (another tab or "
                "window?). Reload the page to continue."
            )
        )
    attempt.sequence = sequence


def attempt_is_late(*, attempt: Attempt, now: datetime) -> bool:
    """Past the deadline plus the grace period: answers are kept but no longer graded."""
    return attempt.deadline is not None and now > attempt.deadline + grace_period()


@dataclass(frozen=True)
class SaveResult:
    saved: int
    late: bool
    sequence: int


def attempt_save_page(
    *,
    attempt: Attempt,
    page: int | None,
    sequence: Any,
    answers: Mapping[str, Any],
    now: datetime | None = None,
) -> SaveResult:
    """Save the answers of one page (``answers``: opaque slot key → opaque option keys, or
    text for fill-in). Refuses, writing nothing, an unknown or tampered key, a key of
    another page or attempt, a stale ``sequence`` or a submitted attempt. After the
    deadline plus grace the answers go to ``late_response`` (kept, not graded) and the
    attempt is submitted."""
    now = _now(now)
    late = attempt_is_late(attempt=attempt, now=now)
    with transaction.atomic():
        status = (
            Attempt.objects.select_for_update()
            .filter(pk=attempt.pk)
            .values_list("status", flat=True)
        ).first()
        if status != AttemptStatus.OPEN:
            raise AttemptClosed(_("This attempt has already been submitted."))
        slots = list(attempt.slots.select_related("version"))
        changed = _apply_answers(
            attempt=attempt, slots=slots, answers=answers, page=page, now=now, late=late
        )
        _claim_sequence(attempt=attempt, sequence=sequence)
        if changed:
            fields = ["late_response", "late_at"] if late else ["response", "answered_at"]
            AttemptSlot.objects.bulk_update(changed, fields)
    if late:
        attempt_submit(attempt=attempt, now=now, auto=True)
    return SaveResult(saved=len(changed), late=late, sequence=attempt.sequence)


# =====================================================================================
# Submitting and grading
# =====================================================================================


def _grade(attempt: Attempt, slots: list[AttemptSlot]) -> None:
    total = Decimal(0)
    for slot in slots:
        slot.mark = response_mark(slot.version.content, slot.response, slot.max_mark)
        total += slot.mark
    attempt.score = total
    if attempt.max_score:
        attempt.percent = (total * 100 / attempt.max_score).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    else:
        attempt.percent = Decimal(0)
    attempt.passed = attempt.percent >= attempt.quiz.pass_percent


def _slots_write(*, changed: list[AttemptSlot], slots: list[AttemptSlot], late: bool) -> None:
    """Write the graded slots cheaply. Django's ``bulk_update`` compiles a CASE per field
    and row, which took two thirds of a submit's CPU; a plain UPDATE per answer just
    posted (at most one page) and one UPDATE per distinct mark for the other slots
    (usually "full marks" and "no marks") cost far less, in the same transaction."""
    for slot in changed:
        if late:
            values = {"late_response": slot.late_response, "late_at": slot.late_at}
        else:
            values = {"response": slot.response, "answered_at": slot.answered_at}
        AttemptSlot.objects.filter(pk=slot.pk).update(mark=slot.mark, **values)
    done = {slot.pk for slot in changed}
    by_mark: dict[Decimal | None, list[int]] = {}
    for slot in slots:
        if slot.pk not in done:
            by_mark.setdefault(slot.mark, []).append(slot.pk)
    for mark, ids in by_mark.items():
        AttemptSlot.objects.filter(pk__in=ids).update(mark=mark)


def _submit(
    *,
    attempt: Attempt,
    answers: Mapping[str, Any] | None,
    sequence: Any,
    page: int | None,
    now: datetime,
    auto: bool,
) -> bool:
    """The body of ``attempt_submit``; True when this call submitted the attempt."""
    with transaction.atomic():
        claimed = Attempt.objects.filter(pk=attempt.pk, status=AttemptStatus.OPEN).update(
            status=AttemptStatus.SUBMITTED, submitted_at=now, auto_submitted=auto
        )
        if not claimed:
            attempt.refresh_from_db()
            return False
        slots = list(attempt.slots.select_related("version"))
        late = attempt_is_late(attempt=attempt, now=now)
        changed: list[AttemptSlot] = []
        if answers is not None or sequence is not None:
            # Raises (and so rolls the claim back) on a tampered key or a stale sequence.
            changed = _apply_answers(
                attempt=attempt,
                slots=slots,
                answers=answers or {},
                page=page,
                now=now,
                late=late,
            )
            _claim_sequence(attempt=attempt, sequence=sequence)
        _grade(attempt, slots)
        _slots_write(changed=changed, slots=slots, late=late)
        Attempt.objects.filter(pk=attempt.pk).update(
            score=attempt.score, percent=attempt.percent, passed=attempt.passed
        )
        attempt.status = AttemptStatus.SUBMITTED
        attempt.submitted_at = now
        attempt.auto_submitted = auto
        graded = attempt
        transaction.on_commit(lambda: attempt_graded.send(sender=Attempt, attempt=graded))
    return True


def attempt_submit(
    *,
    attempt: Attempt,
    answers: Mapping[str, Any] | None = None,
    sequence: Any = None,
    page: int | None = None,
    now: datetime | None = None,
    auto: bool = False,
) -> Attempt:
    """Submit and grade ``attempt`` (saving the last page's ``answers`` first when given)
    in one transaction. The attempt is claimed with a conditional UPDATE (``open`` →
    ``submitted``), so a double submit, a second tab, a retry or the periodic sweep
    returns the same result and writes nothing more. ``attempt_graded`` is sent once,
    on commit. Answers arriving after the deadline plus grace are kept in
    ``late_response`` and not graded."""
    _submit(
        attempt=attempt,
        answers=answers,
        sequence=sequence,
        page=page,
        now=_now(now),
        auto=auto,
    )
    return attempt


def attempt_close_if_expired(*, attempt: Attempt, now: datetime | None = None) -> bool:
    """Submit an open attempt whose deadline plus grace has passed; True if it is closed."""
    now = _now(now)
    if attempt.status == AttemptStatus.OPEN and attempt_is_late(attempt=attempt, now=now):
        attempt_submit(attempt=attempt, now=now, auto=True)
        return True
    return attempt.status != AttemptStatus.OPEN


def attempt_submit_expired(*, now: datetime | None = None) -> int:
    """Submit (``auto``) every open attempt past its deadline plus grace. Safe to run
    twice, and alongside a cadre's own submit. Returns how many this call submitted."""
    now = _now(now)
    due = Attempt.objects.filter(
        status=AttemptStatus.OPEN, deadline__lt=now - grace_period()
    ).select_related("quiz")
    count = 0
    for attempt in due.iterator(chunk_size=200):
        count += _submit(
            attempt=attempt, answers=None, sequence=None, page=None, now=now, auto=True
        )
    return count
