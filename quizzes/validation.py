"""The rules a question and a quiz section must satisfy before they are saved.

Pure functions over plain values (plus one read), so the admin forms, the importer and
tests share the same rules and messages:

* single choice — at least two options, exactly one of them correct;
* multiple choice — at least two options, at least one correct;
* true / false — the answer (true or false) is set, and there are no options;
* fill in the blank — at least one accepted answer, and every one is marked correct;
* a quiz section draws ``draw_count`` > 0 questions from a category or has fixed
  questions; the category must hold enough active questions to draw from;
* a quiz closes after it opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Question, QuestionCategory, QuestionType


def question_shape_errors(
    *,
    qtype: str,
    options: Sequence[tuple[str, bool]],
    true_false_answer: bool | None,
) -> dict[str | None, list[str]]:
    """Problems with a question's answers, keyed by the field they concern (``None`` for
    the options as a whole). ``options``: ``(text, is_correct)`` of the options that will
    be saved. Empty when the question is well formed."""
    errors: dict[str | None, list[str]] = {}

    def add(field: str | None, message: str) -> None:
        errors.setdefault(field, []).append(message)

    correct = sum(1 for _text, ok in options if ok)
    if qtype == QuestionType.SINGLE:
        if len(options) < 2:
            add(None, _("A single-choice question needs at least two options."))
        if correct != 1:
            add(
                None,
                _("A single-choice question needs exactly one correct option (it has %(n)s).")
                % {"n": correct},
            )
    elif qtype == QuestionType.MULTIPLE:
        if len(options) < 2:
            add(None, _("A multiple-choice question needs at least two options."))
        if correct < 1:
            add(None, _("A multiple-choice question needs at least one correct option."))
    elif qtype == QuestionType.TRUE_FALSE:
        if true_false_answer is None:
            add("true_false_answer", _("Choose the correct answer of the true/false question."))
        if options:
            add(None, _("A true/false question has no options: remove them."))
    elif qtype == QuestionType.FILL:
        if not options:
            add(None, _("A fill-in-the-blank question needs at least one accepted answer."))
        elif correct != len(options):
            add(
                None,
                _(
                    "Every answer of a fill-in-the-blank question is an accepted answer: "
                    "mark them all correct."
                ),
            )
    if qtype != QuestionType.TRUE_FALSE and true_false_answer is not None:
        add(
            "true_false_answer",
            _("Only true/false questions have a true/false answer: leave it empty."),
        )
    return errors


def category_active_question_count(
    *,
    category: QuestionCategory,
    include_subcategories: bool = True,
    exclude_ids: Iterable[int] = (),
) -> int:
    """Active questions a section can draw from ``category``."""
    if include_subcategories:
        where = Q(category__path__startswith=category.path)
    else:
        where = Q(category=category)
    return Question.objects.filter(where, is_active=True).exclude(pk__in=list(exclude_ids)).count()


def section_errors(
    *,
    category: QuestionCategory | None,
    include_subcategories: bool,
    draw_count: int,
    fixed_question_ids: Sequence[int],
) -> dict[str | None, list[str]]:
    """Problems with a quiz section, keyed by field (``None`` for the section itself)."""
    errors: dict[str | None, list[str]] = {}
    draw_count = draw_count or 0
    if draw_count > 0 and category is None:
        errors.setdefault("category", []).append(
            _("Choose the category to draw %(n)s questions from.") % {"n": draw_count}
        )
    elif category is not None and draw_count <= 0 and not fixed_question_ids:
        errors.setdefault("draw_count", []).append(
            _("Set how many questions to draw from the category.")
        )
    elif category is None and not fixed_question_ids:
        errors.setdefault(None, []).append(
            _("A section draws questions from a category or has fixed questions.")
        )
    if category is not None and draw_count > 0:
        available = category_active_question_count(
            category=category,
            include_subcategories=include_subcategories,
            exclude_ids=fixed_question_ids,
        )
        if available < draw_count:
            errors.setdefault("draw_count", []).append(
                ngettext(
                    "The category holds only %(available)s active question to draw, not %(n)s.",
                    "The category holds only %(available)s active questions to draw, not %(n)s.",
                    available,
                )
                % {"available": available, "n": draw_count}
            )
    return errors


def quiz_window_errors(
    *, opens_at: datetime | None, closes_at: datetime | None
) -> dict[str | None, list[str]]:
    if opens_at and closes_at and closes_at <= opens_at:
        return {"closes_at": [_("The quiz must close after it opens.")]}
    return {}
