"""Reads for a person's own learning: the study-hour summary against the annual
requirement, the ledger, and the enrolments shown on "My learning" (/me/)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    DecimalField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from ..models import (
    CompletionRule,
    CourseCompletion,
    Enrolment,
    LessonPage,
    LessonProgress,
    StudyHourEntry,
    StudyRequirement,
)

ZERO = Decimal("0")


# --- Study hours ----------------------------------------------------------------------------


def requirement_for(*, user: Any) -> StudyRequirement | None:
    """The requirement of the person's rank level, or the default row (no rank level):
    one query."""
    rows = StudyRequirement.objects.filter(
        Q(rank_level__isnull=True) | Q(rank_level_id=getattr(user, "rank_level_id", None))
    ).order_by(F("rank_level_id").asc(nulls_last=True))
    return rows.first()


@dataclass(frozen=True)
class HoursSummary:
    """A person's hours in one year against their requirement."""

    year: int
    total: Decimal
    integrity: Decimal
    required: Decimal
    elective: Decimal
    requirement: StudyRequirement | None
    total_target: Decimal
    integrity_target: Decimal

    @property
    def total_remaining(self) -> Decimal:
        return max(self.total_target - self.total, ZERO)

    @property
    def integrity_remaining(self) -> Decimal:
        return max(self.integrity_target - self.integrity, ZERO)

    @property
    def total_met(self) -> bool:
        return self.total >= self.total_target

    @property
    def integrity_met(self) -> bool:
        return self.integrity >= self.integrity_target

    @property
    def met(self) -> bool:
        return self.total_met and self.integrity_met

    @property
    def total_percent(self) -> int:
        return _percent(self.total, self.total_target)

    @property
    def integrity_percent(self) -> int:
        return _percent(self.integrity, self.integrity_target)


def _percent(done: Decimal, target: Decimal) -> int:
    if target <= 0:
        return 100
    return min(100, int(done * 100 / target))


def hours_summary(*, user: Any, year: int) -> HoursSummary:
    """Total, integrity-education, required and elective hours of ``year``, with the
    requirement that applies to the person (two queries)."""
    dec: Any = DecimalField(max_digits=7, decimal_places=1)
    zero = Value(ZERO, output_field=dec)
    sums = StudyHourEntry.objects.filter(user=user, year=year).aggregate(
        sum_total=Coalesce(Sum("hours"), zero, output_field=dec),
        sum_integrity=Coalesce(Sum("hours", filter=Q(integrity=True)), zero, output_field=dec),
        sum_required=Coalesce(Sum("hours", filter=Q(required=True)), zero, output_field=dec),
        sum_elective=Coalesce(Sum("hours", filter=Q(required=False)), zero, output_field=dec),
    )
    requirement = requirement_for(user=user)
    return HoursSummary(
        year=year,
        total=_one_place(sums["sum_total"]),
        integrity=_one_place(sums["sum_integrity"]),
        required=_one_place(sums["sum_required"]),
        elective=_one_place(sums["sum_elective"]),
        requirement=requirement,
        total_target=requirement.total_hours if requirement else ZERO,
        integrity_target=requirement.integrity_hours if requirement else ZERO,
    )


def _one_place(value: Any) -> Decimal:
    """SQLite sums decimals as floats or integers: back to hours with one decimal place."""
    return Decimal(str(value or 0)).quantize(Decimal("0.1"))


def ledger_list(*, user: Any, year: int | None = None) -> QuerySet[StudyHourEntry]:
    """The person's ledger entries (of one year, when given), newest first."""
    qs = StudyHourEntry.objects.filter(user=user)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-recorded_at", "-id")


def ledger_years(*, user: Any, current: int) -> list[int]:
    """Years with ledger entries, and ``current``, newest first."""
    years = set(
        StudyHourEntry.objects.filter(user=user)
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    years.add(current)
    return sorted(years, reverse=True)


# --- Enrolments ("My learning") -------------------------------------------------------------


class _Count(Func):
    """``COUNT(expr)`` that Django does not treat as an aggregate, so a subquery can
    count its rows without a GROUP BY."""

    function = "COUNT"
    output_field = IntegerField()


def _lessons_of_course() -> QuerySet[LessonPage]:
    return LessonPage.objects.filter(
        live=True,
        depth=OuterRef("course__depth") + 1,
        path__startswith=OuterRef("course__path"),
    )


def _progress_done() -> QuerySet[LessonProgress]:
    return LessonProgress.objects.filter(
        user_id=OuterRef("user_id"),
        completed_at__isnull=False,
        lesson__live=True,
        lesson__depth=OuterRef("course__depth") + 1,
        lesson__path__startswith=OuterRef("course__path"),
    )


def _count(qs: QuerySet[Any]) -> Coalesce:
    return Coalesce(
        Subquery(qs.order_by().annotate(n=_Count("pk")).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def enrolment_list_for_learner(*, user: Any) -> QuerySet[Enrolment]:
    """The person's enrolments with the course, the lessons that count toward completion
    (``lessons_total``), those the person has completed (``lessons_done``) and the hours
    credited on completion (``completion_hours``), all in one query."""
    lessons = _lessons_of_course()
    done = _progress_done()
    completion_hours = CourseCompletion.objects.filter(
        user_id=OuterRef("user_id"), course_id=OuterRef("course_id")
    ).values("hours")[:1]
    all_rule = Q(course__completion_rule=CompletionRule.ALL_LESSONS)
    return (
        Enrolment.objects.filter(user=user)
        .select_related("course", "assignment")
        .annotate(
            lessons_total=Case(
                When(all_rule, then=_count(lessons)),
                default=_count(lessons.filter(is_required=True)),
                output_field=IntegerField(),
            ),
            lessons_done=Case(
                When(all_rule, then=_count(done)),
                default=_count(done.filter(lesson__is_required=True)),
                output_field=IntegerField(),
            ),
            completion_hours=Subquery(
                completion_hours, output_field=DecimalField(max_digits=5, decimal_places=1)
            ),
        )
        .order_by(F("due_date").asc(nulls_last=True), "id")
    )


def due_soon_days() -> int:
    """How many days ahead a due date counts as "due soon": the first reminder's."""
    return max(getattr(settings, "QINGLIAN_REMINDER_DAYS", [7]) or [7])


@dataclass
class MyLearning:
    """The sections of "My learning", each a list of annotated enrolments."""

    assigned: list[Enrolment] = field(default_factory=list)
    in_progress: list[Enrolment] = field(default_factory=list)
    electives: list[Enrolment] = field(default_factory=list)
    completed: list[Enrolment] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(1 for e in self.assigned if getattr(e, "is_overdue", False))


def my_learning(*, user: Any, today: datetime.date) -> MyLearning:
    """The person's enrolments split into the sections of /me/:

    - ``assigned``: required and not completed, nearest due date first (so the overdue
      come first), those without a due date last;
    - ``in_progress``: electives started and not completed;
    - ``electives``: electives not started yet;
    - ``completed``: newest completion first.

    Each enrolment gets ``status`` ("not_started" / "in_progress" / "completed"),
    ``days_left`` (negative when overdue), ``is_overdue`` and ``is_due_soon``.
    """
    soon = due_soon_days()
    result = MyLearning()
    for enrolment in enrolment_list_for_learner(user=user):
        status = _decorate(enrolment, today=today, soon=soon)
        if enrolment.completed_at is not None:
            result.completed.append(enrolment)
        elif enrolment.required:
            result.assigned.append(enrolment)
        elif status == "in_progress":
            result.in_progress.append(enrolment)
        else:
            result.electives.append(enrolment)
    result.completed.sort(key=lambda e: (e.completed_at, e.pk), reverse=True)
    return result


def _decorate(enrolment: Any, *, today: datetime.date, soon: int) -> str:
    if enrolment.completed_at is not None:
        status = "completed"
    elif enrolment.started_at is not None or enrolment.lessons_done:
        status = "in_progress"
    else:
        status = "not_started"
    enrolment.status = status
    due = enrolment.due_date
    open_ = enrolment.completed_at is None
    enrolment.days_left = (due - today).days if due is not None else None
    enrolment.is_overdue = bool(open_ and due is not None and due < today)
    enrolment.days_overdue = (today - due).days if enrolment.is_overdue else 0
    enrolment.is_due_soon = bool(open_ and due is not None and 0 <= enrolment.days_left <= soon)
    return status
