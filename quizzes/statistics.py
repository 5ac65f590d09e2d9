"""Quiz and item statistics for trainers (Moodle's quiz statistics report, simplified).

**Which attempts count.** Like Moodle's default ("Calculate statistics from: first
attempt"), only each person's *first submitted* attempt at the quiz counts: later attempts
are influenced by having seen the questions before. Open attempts never count.

**Per quiz:** the number of counted attempts, the mean and median percentage, the pass
rate (the attempt's ``passed``, or ``percent >= pass_percent`` when it was not recorded)
and the score distribution: a histogram of the percentages in 10 bins
``[0, 10), [10, 20), … [90, 100]`` (100 % falls in the last bin).

**Per question** (per ``Question``, pooling every version of it that was drawn):

* *facility index* — the mean of ``mark / max_mark`` over the attempts that drew the
  question, × 100. High means easy;
* *discrimination index* (Moodle's definition) — the Pearson correlation, over the same
  attempts, between the mark of the question and the mark of the *rest of the test*
  (attempt total minus this question's mark), × 100. It is undefined (``None``) with
  fewer than two attempts or when either side does not vary;
* the *option distribution* — how many attempts picked each option (multiple choice
  counts every picked option, so the counts may add up to more than the attempts), each
  true/false answer, or each distinct fill-in answer (the most frequent ones), plus "no
  answer";
* flags: facility < 20 "too hard", facility > 95 "too easy", discrimination < 0 "negative
  — check the key", otherwise discrimination < 20 "weak".

Everything is read with a constant number of queries (three), whatever the number of
attempts; the arithmetic is done in pure functions below.
"""

from __future__ import annotations

import math
import statistics as pystats
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Attempt, AttemptSlot, AttemptStatus, QuestionType, QuestionVersion, Quiz

BINS: Final = 10
FACILITY_TOO_HARD: Final = 20.0
FACILITY_TOO_EASY: Final = 95.0
DISCRIMINATION_WEAK: Final = 20.0
# Distinct fill-in answers listed per question (the most frequent first).
FILL_ANSWERS_SHOWN: Final = 10

FLAG_TOO_HARD: Final = "too_hard"
FLAG_TOO_EASY: Final = "too_easy"
FLAG_WEAK: Final = "weak"
FLAG_NEGATIVE: Final = "negative"
FLAG_LABELS: Final = {
    FLAG_TOO_HARD: _("Too hard"),
    FLAG_TOO_EASY: _("Too easy"),
    FLAG_WEAK: _("Weak discrimination"),
    FLAG_NEGATIVE: _("Negative discrimination — check the key"),
}


# --- Pure functions -----------------------------------------------------------------------


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def median(values: Sequence[float]) -> float | None:
    return float(pystats.median(values)) if values else None


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """The Pearson correlation of two equally long series; ``None`` when it is undefined
    (fewer than two pairs, or a series that does not vary)."""
    n = len(xs)
    if n != len(ys) or n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return sxy / math.sqrt(sxx * syy)


def facility_index(*, fractions: Sequence[float]) -> float | None:
    """Mean mark fraction (0 … 1) × 100."""
    value = mean(fractions)
    return None if value is None else value * 100


def discrimination_index(*, marks: Sequence[float], totals: Sequence[float]) -> float | None:
    """Moodle's discrimination index: 100 × the correlation between the question's mark
    and the rest of the test (``total - mark``) over the attempts that drew it."""
    rests = [t - m for m, t in zip(marks, totals, strict=True)]
    r = pearson(marks, rests)
    return None if r is None else r * 100


def score_histogram(*, percents: Iterable[float], bins: int = BINS) -> list[int]:
    """Counts of percentages in ``bins`` equal bins over 0 … 100; 100 falls in the last."""
    width = 100 / bins
    counts = [0] * bins
    for p in percents:
        index = min(bins - 1, max(0, math.floor(p / width)))
        counts[index] += 1
    return counts


def question_flags(*, facility: float | None, discrimination: float | None) -> tuple[str, ...]:
    flags: list[str] = []
    if facility is not None:
        if facility < FACILITY_TOO_HARD:
            flags.append(FLAG_TOO_HARD)
        elif facility > FACILITY_TOO_EASY:
            flags.append(FLAG_TOO_EASY)
    if discrimination is not None:
        if discrimination < 0:
            flags.append(FLAG_NEGATIVE)
        elif discrimination < DISCRIMINATION_WEAK:
            flags.append(FLAG_WEAK)
    return tuple(flags)


def _fill_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split())


# --- Results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistogramBin:
    lower: int
    upper: int
    count: int

    @property
    def label(self) -> str:
        return f"{self.lower}–{self.upper}%"


@dataclass(frozen=True)
class OptionCount:
    label: str
    correct: bool | None  # None: not an option ("no answer")
    count: int
    share: float  # percent of the attempts that drew the question


@dataclass
class QuestionStatistics:
    question_id: int
    name: str
    qtype: str
    attempts: int
    versions: list[int]
    max_mark: float
    mean_mark: float | None
    facility: float | None
    discrimination: float | None
    flags: tuple[str, ...]
    options: list[OptionCount] = field(default_factory=list)

    @property
    def qtype_label(self) -> str:
        return str(QuestionType(self.qtype).label) if self.qtype in QuestionType.values else ""

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[f]) for f in self.flags]

    @property
    def flag_items(self) -> list[tuple[str, str]]:
        return [(f, str(FLAG_LABELS[f])) for f in self.flags]


@dataclass
class QuizStatistics:
    quiz: Quiz
    attempt_count: int
    mean_percent: float | None
    median_percent: float | None
    stdev_percent: float | None
    pass_rate: float | None
    histogram: list[HistogramBin]
    questions: list[QuestionStatistics]


# --- Selectors ----------------------------------------------------------------------------


def attempt_list_first_submitted(*, quiz: Quiz) -> QuerySet[Attempt]:
    """Each person's first submitted attempt at ``quiz`` (one query when evaluated)."""
    earlier = Attempt.objects.filter(
        quiz_id=OuterRef("quiz_id"),
        user_id=OuterRef("user_id"),
        status=AttemptStatus.SUBMITTED,
        number__lt=OuterRef("number"),
    )
    return Attempt.objects.filter(quiz=quiz, status=AttemptStatus.SUBMITTED).filter(
        ~Exists(earlier)
    )


def _percent_of(row: Any) -> float:
    if row["percent"] is not None:
        return float(row["percent"])
    if row["max_score"]:
        return float((row["score"] or Decimal(0)) / row["max_score"] * 100)
    return 0.0


def _option_counts(
    qtype: str,
    picks: list[tuple[dict[str, Any], Any, float, float]],
) -> list[OptionCount]:
    """How often each answer was given. ``picks``: (version content, response, mark, max
    mark) per attempt that drew the question."""
    n = len(picks)

    def share(count: int) -> float:
        return count * 100 / n if n else 0.0

    no_answer = 0
    rows: list[OptionCount] = []
    if qtype == QuestionType.FILL:
        answers: dict[str, list[Any]] = {}
        for _content, response, mark, max_mark in picks:
            text = response.get("text", "") if isinstance(response, dict) else ""
            key = _fill_key(text)
            if not key:
                no_answer += 1
                continue
            entry = answers.setdefault(key, [text.strip(), 0, False])
            entry[1] += 1
            entry[2] = entry[2] or (max_mark > 0 and mark >= max_mark)
        top = sorted(answers.values(), key=lambda e: (-e[1], e[0]))[:FILL_ANSWERS_SHOWN]
        rows = [OptionCount(text, bool(ok), count, share(count)) for text, count, ok in top]
    elif qtype == QuestionType.TRUE_FALSE:
        answer = next(
            (c["true_false_answer"] for c, *_ in picks if c.get("true_false_answer") is not None),
            None,
        )
        counts = {"true": 0, "false": 0}
        for _content, response, _mark, _max in picks:
            chosen = [str(x) for x in response] if isinstance(response, list) else []
            chosen = [x for x in chosen if x in counts]
            if not chosen:
                no_answer += 1
            for value in chosen:
                counts[value] += 1
        labels = {"true": _("True"), "false": _("False")}
        rows = [
            OptionCount(
                str(labels[value]),
                None if answer is None else answer == (value == "true"),
                counts[value],
                share(counts[value]),
            )
            for value in ("true", "false")
        ]
    else:
        # Every option of every version drawn, in the version's order, even if unchosen;
        # the same text and key in two versions is one row.
        tally: dict[tuple[str, bool], int] = {}
        for content, _response, _mark, _max in picks:
            for option in content.get("options", []):
                tally.setdefault((str(option.get("text", "")), bool(option.get("correct"))), 0)
        for content, response, _mark, _max in picks:
            by_id: dict[str, dict[str, Any]] = {
                str(o.get("id")): o for o in content.get("options", [])
            }
            picked = response if isinstance(response, list) else []
            options_chosen = [by_id[str(x)] for x in picked if str(x) in by_id]
            if not options_chosen:
                no_answer += 1
            for option in options_chosen:
                tally[(str(option.get("text", "")), bool(option.get("correct")))] += 1
        rows = [OptionCount(text, ok, count, share(count)) for (text, ok), count in tally.items()]
    if no_answer:
        rows.append(OptionCount(str(_("No answer")), None, no_answer, share(no_answer)))
    return rows


def quiz_statistics(*, quiz: Quiz) -> QuizStatistics:
    """The statistics of ``quiz`` from each person's first submitted attempt. Three
    queries, whatever the number of attempts."""
    attempts = list(
        attempt_list_first_submitted(quiz=quiz).values(
            "id", "score", "max_score", "percent", "passed"
        )
    )
    percents = [_percent_of(a) for a in attempts]
    passed = [
        bool(a["passed"]) if a["passed"] is not None else p >= quiz.pass_percent
        for a, p in zip(attempts, percents, strict=True)
    ]
    slot_rows = list(
        AttemptSlot.objects.filter(attempt_id__in=[a["id"] for a in attempts])
        .order_by("attempt_id", "position")
        .values_list("attempt_id", "version_id", "position", "mark", "max_mark", "response")
        if attempts
        else []
    )
    version_ids = {row[1] for row in slot_rows}
    versions = (
        {
            v["id"]: v
            for v in QuestionVersion.objects.filter(id__in=version_ids).values(
                "id", "number", "content", "question_id", "question__name", "question__qtype"
            )
        }
        if version_ids
        else {}
    )

    totals: dict[int, float] = defaultdict(float)
    # per question: attempt id -> [mark, max mark, version content, response]
    per_question: dict[int, dict[int, list[Any]]] = defaultdict(dict)
    for attempt_id, version_id, _position, mark, max_mark, response in slot_rows:
        version = versions[version_id]
        m = float(mark or 0)
        mm = float(max_mark or 0)
        totals[attempt_id] += m
        entry = per_question[version["question_id"]].setdefault(
            attempt_id, [0.0, 0.0, version["content"] or {}, response]
        )
        entry[0] += m
        entry[1] += mm

    question_meta: dict[int, Any] = {}
    question_versions: dict[int, set[int]] = defaultdict(set)
    positions: dict[int, list[int]] = defaultdict(list)
    for _attempt_id, version_id, position, *_rest in slot_rows:
        version = versions[version_id]
        qid = version["question_id"]
        question_meta.setdefault(qid, version)
        question_versions[qid].add(version["number"])
        positions[qid].append(position)

    questions: list[QuestionStatistics] = []
    for qid, by_attempt in per_question.items():
        meta = question_meta[qid]
        marks = [e[0] for e in by_attempt.values()]
        maxes = [e[1] for e in by_attempt.values()]
        fractions = [m / mm if mm else 0.0 for m, mm in zip(marks, maxes, strict=True)]
        facility = facility_index(fractions=fractions)
        discrimination = discrimination_index(marks=marks, totals=[totals[a] for a in by_attempt])
        qtype = meta["question__qtype"]
        questions.append(
            QuestionStatistics(
                question_id=qid,
                name=meta["question__name"],
                qtype=qtype,
                attempts=len(by_attempt),
                versions=sorted(question_versions[qid]),
                max_mark=max(maxes) if maxes else 0.0,
                mean_mark=mean(marks),
                facility=facility,
                discrimination=discrimination,
                flags=question_flags(facility=facility, discrimination=discrimination),
                options=_option_counts(
                    qtype, [(e[2], e[3], e[0], e[1]) for e in by_attempt.values()]
                ),
            )
        )
    # In the order the questions usually appear (shuffled quizzes: their mean position).
    questions.sort(key=lambda q: (mean(positions[q.question_id]) or 0, q.question_id))

    width = 100 // BINS
    histogram = [
        HistogramBin(lower=i * width, upper=(i + 1) * width, count=c)
        for i, c in enumerate(score_histogram(percents=percents))
    ]
    return QuizStatistics(
        quiz=quiz,
        attempt_count=len(attempts),
        mean_percent=mean(percents),
        median_percent=median(percents),
        stdev_percent=pystats.pstdev(percents) if len(percents) > 1 else None,
        pass_rate=(sum(passed) * 100 / len(passed)) if passed else None,
        histogram=histogram,
        questions=questions,
    )
