"""Reads about course assignments: who an assignment is for, which assignments a viewer
may see or change, and how far the people of an assignment have got.

Rules decided here (the views and exports only call these):

*Audience.* Active people whose unit lies in the assignment unit's subtree; with a
minimum rank level, only people whose rank ``order`` is at least that level's; with
"leading cadres only", only people whose rank level ``is_leading`` (``User.is_leading_cadre``
is derived from the rank level, so this is a SQL filter on the rank). People without a
rank level are in the audience only when neither a minimum rank nor "leading only" is set.

*Members.* The people an assignment reports on are its current audience plus everyone
whose enrolment came from it (``Enrolment.assignment``): someone who moved away keeps
their enrolment and still shows, with their history, on the assignment they got it from.

*Visibility.* Unit admins and discipline officers see an assignment when its unit's
subtree overlaps their scope: the unit is inside their scope, or it is an ancestor of a
unit where they hold the role (a city-wide assignment is visible to the finance bureau's
admin, who follows their own people on it). Every count, row and export is limited to
people in the viewer's scope, so the finance admin sees only finance people. Only a unit
admin whose scope contains the assignment's unit may change it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from people.models import OrgUnit, Role, User
from people.selectors import (
    PEOPLE_READ_ROLES,
    PEOPLE_WRITE_ROLES,
    role_unit_paths,
    unit_can_manage,
    unit_paths_q,
)

from ..models import (
    Assignment,
    CompletionRule,
    CoursePage,
    Enrolment,
    LessonPage,
    LessonProgress,
)

ASSIGNMENT_READ_ROLES = (Role.UNIT_ADMIN, Role.DISCIPLINE_OFFICER)


class ProgressStatus:
    """The status filter of an assignment's progress page."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    OVERDUE = "overdue"
    ALL = (NOT_STARTED, IN_PROGRESS, COMPLETED, OVERDUE)


# --- Scope ---------------------------------------------------------------------------


def _ancestor_paths(path: str) -> list[str]:
    """``path`` and the paths of all its ancestors (treebeard paths have a fixed step)."""
    step = OrgUnit.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def _viewer_paths(viewer: User, roles: Iterable[str] = PEOPLE_READ_ROLES) -> list[str] | None:
    """The viewer's scope as unit paths; ``None`` means unlimited (superuser)."""
    if viewer.is_superuser:
        return None
    return role_unit_paths(user=viewer, roles=roles)


def _people_scope_q(viewer: User, field: str) -> Q:
    """People (through ``field``, a path to ``OrgUnit.path``) in the viewer's read scope."""
    paths = _viewer_paths(viewer)
    if paths is None:
        return Q()
    return unit_paths_q(paths, field)


def assignment_list_visible(*, viewer: User) -> QuerySet[Assignment]:
    """Assignments whose unit subtree overlaps the viewer's scope (see the module doc)."""
    qs = Assignment.objects.select_related("course", "unit", "min_rank", "created_by")
    if not viewer.is_authenticated or not viewer.is_active:
        return qs.none()
    paths = _viewer_paths(viewer)
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    ancestors = sorted({a for p in paths for a in _ancestor_paths(p)})
    return qs.filter(unit_paths_q(paths, "unit__path") | Q(unit__path__in=ancestors))


def assignment_can_manage(*, viewer: User, assignment: Assignment) -> bool:
    """A unit admin whose scope contains the assignment's unit (or a superuser)."""
    return unit_can_manage(viewer=viewer, unit=assignment.unit)


def assignment_list_manageable(*, viewer: User) -> QuerySet[Assignment]:
    qs = assignment_list_visible(viewer=viewer)
    paths = _viewer_paths(viewer, PEOPLE_WRITE_ROLES)
    if paths is None:
        return qs
    return qs.filter(unit_paths_q(paths, "unit__path"))


# --- Audience ------------------------------------------------------------------------


def audience_q(*, assignment: Assignment, prefix: str = "") -> Q:
    """The audience as a filter on users, or (``prefix="user__"``) on enrolments."""
    q = Q(**{f"{prefix}is_active": True, f"{prefix}unit__path__startswith": assignment.unit.path})
    if assignment.min_rank_id is not None:
        q &= Q(**{f"{prefix}rank_level__order__gte": assignment.min_rank.order})  # type: ignore[union-attr]
    if assignment.leading_only:
        q &= Q(**{f"{prefix}rank_level__is_leading": True})
    return q


def assignment_audience(*, assignment: Assignment) -> QuerySet[User]:
    """Everyone the assignment is for, in one query (see the module doc for the rules)."""
    return User.objects.filter(audience_q(assignment=assignment))


def assignment_list_matching_person(*, person: User) -> QuerySet[Assignment]:
    """Active assignments of published courses whose audience includes ``person``."""
    if not person.is_active or person.unit_id is None:
        return Assignment.objects.none()
    unit = person.unit
    assert unit is not None
    qs = Assignment.objects.filter(
        is_active=True, course__live=True, unit__path__in=_ancestor_paths(unit.path)
    ).select_related("course", "unit", "min_rank")
    rank = person.rank_level
    if rank is None:
        return qs.filter(min_rank__isnull=True, leading_only=False)
    qs = qs.filter(Q(min_rank__isnull=True) | Q(min_rank__order__lte=rank.order))
    if not rank.is_leading:
        qs = qs.filter(leading_only=False)
    return qs


# --- Counts for the list -------------------------------------------------------------

_E = "course__enrolments__"


def _member_q_for_list() -> Q:
    """``audience_q`` | "came from this assignment", written against each assignment row
    (``F``) so one query counts every assignment of the list."""
    in_audience = (
        Q(**{f"{_E}user__is_active": True})
        & Q(**{f"{_E}user__unit__path__startswith": F("unit__path")})
        & (
            Q(min_rank__isnull=True)
            | Q(**{f"{_E}user__rank_level__order__gte": F("min_rank__order")})
        )
        & (Q(leading_only=False) | Q(**{f"{_E}user__rank_level__is_leading": True}))
    )
    return Q(**{f"{_E}assignment": F("pk")}) | in_audience


def assignment_list_with_counts(*, viewer: User) -> QuerySet[Assignment]:
    """The visible assignments, each with ``enrolled``, ``started``, ``completed`` and
    ``overdue`` counted in SQL over the members in the viewer's scope (one query)."""
    today = timezone.localdate()
    member = _member_q_for_list() & _people_scope_q(viewer, f"{_E}user__unit__path")
    started = Q(**{f"{_E}started_at__isnull": False}) | Q(**{f"{_E}completed_at__isnull": False})
    completed = Q(**{f"{_E}completed_at__isnull": False})
    overdue = Q(**{f"{_E}completed_at__isnull": True, f"{_E}due_date__lt": today})
    return (
        assignment_list_visible(viewer=viewer)
        .annotate(
            enrolled=Count("course__enrolments", filter=member),
            started=Count("course__enrolments", filter=member & started),
            completed=Count("course__enrolments", filter=member & completed),
            overdue=Count("course__enrolments", filter=member & overdue),
        )
        .order_by("-is_active", "due_date", "pk")
    )


# --- Progress of one assignment ------------------------------------------------------


def course_lesson_ids(*, course: CoursePage) -> list[int]:
    """The live lessons of ``course`` that count toward its completion rule (all lessons,
    or the required ones), in tree order: the "lessons done n/m" of the progress pages."""
    lessons = LessonPage.objects.live().child_of(course)
    if course.completion_rule != CompletionRule.ALL_LESSONS:
        lessons = lessons.filter(is_required=True)
    return list(lessons.order_by("path").values_list("pk", flat=True))


def assignment_enrolments(
    *,
    viewer: User,
    assignment: Assignment,
    unit: OrgUnit | None = None,
    status: str = "",
    lesson_ids: list[int] | None = None,
) -> QuerySet[Enrolment]:
    """The enrolments of the assignment's members in the viewer's scope, narrowed by a unit
    subtree and a status, each annotated with ``lessons_done`` (live lessons of the course
    the person completed) and ``is_overdue``. Ordered by unit, then name."""
    today = timezone.localdate()
    if lesson_ids is None:
        lesson_ids = course_lesson_ids(course=assignment.course)
    qs = (
        Enrolment.objects.filter(course_id=assignment.course_id)
        .filter(Q(assignment=assignment) | audience_q(assignment=assignment, prefix="user__"))
        .filter(_people_scope_q(viewer, "user__unit__path"))
        .select_related("user__unit", "user__rank_level")
    )
    if unit is not None:
        qs = qs.filter(user__unit__path__startswith=unit.path)
    if status == ProgressStatus.COMPLETED:
        qs = qs.filter(completed_at__isnull=False)
    elif status == ProgressStatus.OVERDUE:
        qs = qs.filter(completed_at__isnull=True, due_date__lt=today)
    elif status == ProgressStatus.IN_PROGRESS:
        qs = qs.filter(completed_at__isnull=True, started_at__isnull=False)
    elif status == ProgressStatus.NOT_STARTED:
        qs = qs.filter(completed_at__isnull=True, started_at__isnull=True)
    done = (
        LessonProgress.objects.filter(
            user_id=OuterRef("user_id"), lesson_id__in=lesson_ids, completed_at__isnull=False
        )
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        lessons_done=Coalesce(Subquery(done, output_field=IntegerField()), Value(0)),
    ).order_by("user__unit__path", "user__full_name", "pk")


def enrolment_is_overdue(*, enrolment: Enrolment, today: Any = None) -> bool:
    today = today or timezone.localdate()
    return (
        enrolment.completed_at is None
        and enrolment.due_date is not None
        and enrolment.due_date < today
    )


def assignment_unit_rollup(*, viewer: User, assignment: Assignment) -> list[dict[str, Any]]:
    """Per unit (the person's own unit) of the members in the viewer's scope: enrolled,
    started, completed, overdue and the completion percentage. One query."""
    today = timezone.localdate()
    rows = (
        assignment_enrolments(viewer=viewer, assignment=assignment, lesson_ids=[])
        .order_by()
        .values("user__unit__pk", "user__unit__name", "user__unit__code", "user__unit__path")
        .annotate(
            enrolled=Count("pk"),
            started=Count("pk", filter=Q(started_at__isnull=False) | Q(completed_at__isnull=False)),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
            overdue=Count("pk", filter=Q(completed_at__isnull=True, due_date__lt=today)),
        )
        .order_by("user__unit__path")
    )
    result = []
    for row in rows:
        enrolled = row["enrolled"]
        result.append(
            {
                "unit_pk": row["user__unit__pk"],
                "unit_name": row["user__unit__name"],
                "unit_code": row["user__unit__code"],
                "enrolled": enrolled,
                "started": row["started"],
                "completed": row["completed"],
                "overdue": row["overdue"],
                "percent": round(100 * row["completed"] / enrolled) if enrolled else 0,
            }
        )
    return result


def assignment_filter_units(*, viewer: User, assignment: Assignment) -> QuerySet[OrgUnit]:
    """Units offered by the progress page's unit filter: the assignment's subtree within
    the viewer's scope."""
    qs = OrgUnit.objects.filter(path__startswith=assignment.unit.path)
    paths = _viewer_paths(viewer)
    if paths is not None:
        qs = qs.filter(unit_paths_q(paths, "path"))
    return qs.order_by("path")
