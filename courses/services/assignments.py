"""Writes about course assignments and enrolments.

An assignment enrols its audience (``courses.selectors.assignments``) in its course. The
rules for a person reached by more than one order for the same course (an elective they
chose themselves, several assignments): one enrolment per person and course, *required
wins* and *the earlier due date wins*; the enrolment points (``Enrolment.assignment``) at
the assignment whose due date it carries, and an enrolment an assignment reaches becomes
``source="assigned"``. Completed enrolments are history and are never changed. People who
leave an audience (moved, demoted, made inactive, or the assignment withdrawn) keep their
enrolment and its history: nothing here deletes an enrolment.

Enrolment follows the audience: a new person, a move to another unit, a change of rank
level or reactivation (``post_save`` on the user, with the previous values read in
``pre_save``) and bulk imports (``people.signals.people_changed``) enqueue
``enrolments_sync_person`` once the transaction commits.

Double submits: creating an assignment identical to an active one (same course, unit,
minimum rank, "leading only" and due date) returns the existing assignment
(``reused = True``) instead of a second one. Creation locks the unit's row first, so two
requests racing on PostgreSQL are serialised and the second finds the first.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from people.models import OrgUnit, RankLevel, User
from people.selectors import unit_can_manage

from ..models import Assignment, CoursePage, Enrolment, EnrolmentSource
from ..selectors.assignments import (
    assignment_audience,
    assignment_list_matching_person,
)

logger = logging.getLogger(__name__)

#: A bulk change of more people than this re-syncs every active assignment (one pass per
#: assignment) instead of enqueuing one task per person.
PERSON_SYNC_LIMIT = 50
BATCH_SIZE = 500
NOTE_MAX = 300


# --- Checks --------------------------------------------------------------------------


def _check_terms(
    *,
    by: User,
    course: CoursePage,
    unit: OrgUnit,
    due_date: datetime.date | None,
    note: str,
    check_due_date: bool = True,
) -> None:
    """Raise one ValidationError (by field) listing every problem; nothing is written."""
    errors: dict[str, str] = {}
    if not course.live:
        errors["course"] = _(
            "This course is not published; only published courses can be assigned."
        )
    if not unit.is_active:
        errors["unit"] = _("This unit is no longer active.")
    elif not unit_can_manage(viewer=by, unit=unit):
        errors["unit"] = _("You may only assign courses to units within your own scope.")
    if due_date is None:
        errors["due_date"] = _("Choose a due date.")
    elif check_due_date and due_date < timezone.localdate():
        errors["due_date"] = _("The due date is in the past: choose today or a later day.")
    if len(note or "") > NOTE_MAX:
        errors["note"] = _("The note is too long: at most %(max)s characters.") % {"max": NOTE_MAX}
    if errors:
        raise ValidationError(errors)


# --- Enqueuing -----------------------------------------------------------------------


def _enqueue_assignment_sync(assignment_id: int) -> None:
    from ..tasks import enrolments_sync_assignment

    enrolments_sync_assignment.delay(assignment_id)


def _enqueue_person_sync(user_ids: list[int]) -> None:
    from ..tasks import enrolments_sync_assignment, enrolments_sync_person

    if len(user_ids) > PERSON_SYNC_LIMIT:
        active = Assignment.objects.filter(is_active=True).values_list("pk", flat=True)
        for assignment_id in active:
            enrolments_sync_assignment.delay(assignment_id)
        return
    for user_id in user_ids:
        enrolments_sync_person.delay(user_id)


def people_sync_on_commit(*, user_ids: Iterable[int]) -> None:
    """Once the current transaction commits, enrol these people in the assignments they
    now match (a failure to enqueue is logged, never breaks the caller's save)."""
    ids = sorted({int(pk) for pk in user_ids if pk is not None})
    if ids:
        transaction.on_commit(lambda: _enqueue_person_sync(ids), robust=True)


# --- Assignments ---------------------------------------------------------------------


@transaction.atomic
def assignment_create(
    *,
    by: User,
    course: CoursePage,
    unit: OrgUnit,
    min_rank: RankLevel | None = None,
    leading_only: bool = False,
    required: bool | None = None,
    due_date: datetime.date,
    note: str = "",
) -> Assignment:
    """Assign ``course`` to ``unit``'s subtree (at ``min_rank`` or above, optionally
    leading cadres only) by ``due_date``. ``required=None`` takes the course's default.
    Refuses (ValidationError by field, nothing written) a unit outside ``by``'s scope, a
    due date in the past and an unpublished course. The enrolments are created by a task
    after commit. An identical active assignment is returned instead of a duplicate."""
    note = (note or "").strip()
    _check_terms(by=by, course=course, unit=unit, due_date=due_date, note=note)
    # Serialise creates on this unit (double submits racing in two requests).
    list(OrgUnit.objects.select_for_update().filter(pk=unit.pk).values_list("pk", flat=True))
    existing = (
        Assignment.objects.filter(
            course=course,
            unit=unit,
            min_rank=min_rank,
            leading_only=leading_only,
            due_date=due_date,
            is_active=True,
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        existing.reused = True  # type: ignore[attr-defined]
        return existing
    assignment = Assignment.objects.create(
        course=course,
        unit=unit,
        min_rank=min_rank,
        leading_only=leading_only,
        required=course.default_required if required is None else required,
        due_date=due_date,
        note=note,
        created_by=by,
    )
    assignment.reused = False  # type: ignore[attr-defined]
    pk = assignment.pk
    transaction.on_commit(lambda: _enqueue_assignment_sync(pk))
    return assignment


@transaction.atomic
def assignment_update(
    *,
    by: User,
    assignment: Assignment,
    unit: OrgUnit,
    min_rank: RankLevel | None = None,
    leading_only: bool = False,
    required: bool,
    due_date: datetime.date,
    note: str = "",
) -> Assignment:
    """Change an active assignment (its course stays). Same checks as creating; the due
    date is checked against today only when it changes. A new due date or required flag
    reaches the enrolments that came from this assignment and are not completed (other
    active assignments of the course still win where they are stricter); a new audience
    is enrolled by a task after commit. Nobody is un-enrolled."""
    locked = (
        Assignment.objects.select_for_update()
        .select_related("course", "unit")
        .get(pk=assignment.pk)
    )
    if not locked.is_active:
        raise ValidationError(_("This assignment has been withdrawn and can no longer be changed."))
    if not unit_can_manage(viewer=by, unit=locked.unit):
        raise ValidationError({"unit": _("You may only change assignments within your own scope.")})
    note = (note or "").strip()
    _check_terms(
        by=by,
        course=locked.course,
        unit=unit,
        due_date=due_date,
        note=note,
        check_due_date=due_date != locked.due_date,
    )
    terms_changed = (due_date, required) != (locked.due_date, locked.required)
    locked.unit = unit
    locked.min_rank = min_rank
    locked.leading_only = leading_only
    locked.required = required
    locked.due_date = due_date
    locked.note = note
    locked.save()
    if terms_changed:
        own = Enrolment.objects.filter(assignment=locked, completed_at__isnull=True)
        affected = list(own.values_list("user_id", flat=True))
        own.update(due_date=due_date, required=required)
        others = (
            Assignment.objects.filter(course_id=locked.course_id, is_active=True)
            .exclude(pk=locked.pk)
            .select_related("unit", "min_rank")
        )
        for other in others:
            _enrolments_upgrade(assignment=other, user_ids=affected)
    pk = locked.pk
    transaction.on_commit(lambda: _enqueue_assignment_sync(pk))
    return locked


@transaction.atomic
def assignment_deactivate(*, by: User, assignment: Assignment) -> Assignment:
    """Withdraw an assignment: nobody new is enrolled by it; existing enrolments, their
    progress and completions stay as they are. Withdrawing twice changes nothing."""
    if not unit_can_manage(viewer=by, unit=assignment.unit):
        raise ValidationError(_("You may only change assignments within your own scope."))
    Assignment.objects.filter(pk=assignment.pk, is_active=True).update(
        is_active=False, updated_at=timezone.now()
    )
    assignment.refresh_from_db()
    return assignment


# --- Enrolling -----------------------------------------------------------------------


def _enrolments_upgrade(*, assignment: Assignment, user_ids: Iterable[int] | None = None) -> int:
    """Apply ``assignment``'s terms to the existing, not completed enrolments of its
    audience in its course: the earlier due date wins (and the enrolment then points at
    this assignment), required wins. Two UPDATE statements; returns rows touched."""
    base = Enrolment.objects.filter(
        course_id=assignment.course_id,
        completed_at__isnull=True,
        user__in=assignment_audience(assignment=assignment).values("pk"),
    )
    if user_ids is not None:
        base = base.filter(user_id__in=list(user_ids))
    touched = base.filter(
        Q(due_date__isnull=True)
        | Q(due_date__gt=assignment.due_date)
        | Q(due_date=assignment.due_date, assignment__isnull=True)
    ).update(assignment=assignment, source=EnrolmentSource.ASSIGNED, due_date=assignment.due_date)
    if assignment.required:
        touched += base.filter(required=False).update(
            required=True, source=EnrolmentSource.ASSIGNED
        )
    return touched


def assignment_enrol_audience(*, assignment: Assignment) -> int:
    """Enrol everyone in the assignment's audience who is not enrolled in its course yet,
    and apply its terms to those who are. Idempotent: running it twice leaves the same
    rows. Returns how many enrolments it created (0 for a withdrawn assignment or an
    unpublished course)."""
    assignment = Assignment.objects.select_related("course", "unit", "min_rank").get(
        pk=assignment.pk
    )
    if not assignment.is_active or not assignment.course.live:
        return 0
    audience = assignment_audience(assignment=assignment)
    with transaction.atomic():
        enrolled = set(
            Enrolment.objects.filter(
                course_id=assignment.course_id, user__in=audience.values("pk")
            ).values_list("user_id", flat=True)
        )
        now = timezone.now()
        new = [
            Enrolment(
                user_id=user_id,
                course_id=assignment.course_id,
                assignment=assignment,
                source=EnrolmentSource.ASSIGNED,
                required=assignment.required,
                due_date=assignment.due_date,
                enrolled_at=now,
            )
            for user_id in audience.values_list("pk", flat=True).iterator(chunk_size=2000)
            if user_id not in enrolled
        ]
        Enrolment.objects.bulk_create(new, batch_size=BATCH_SIZE, ignore_conflicts=True)
        _enrolments_upgrade(assignment=assignment)
    _notify(Enrolment.objects.filter(assignment=assignment))
    return len(new)


def _notify(enrolments: QuerySet[Enrolment]) -> None:
    """Tell people of the courses just assigned to them (once per enrolment: the
    notification key is the enrolment's, so a re-run sends nothing)."""
    from .reminders import notify_enrolled

    notify_enrolled(enrolments=enrolments.filter(completed_at__isnull=True).only("pk"))


def person_enrol_matching(*, person: User) -> int:
    """Enrol ``person`` (new, moved, promoted) in the course of every active assignment
    whose audience they are now in, on the strictest terms among them, and apply those
    terms to enrolments they already have. Returns how many enrolments it created."""
    person = User.objects.select_related("unit", "rank_level").get(pk=person.pk)
    matching = list(assignment_list_matching_person(person=person).order_by("due_date", "pk"))
    if not matching:
        return 0
    by_course: dict[int, list[Assignment]] = {}
    for assignment in matching:
        by_course.setdefault(assignment.course_id, []).append(assignment)
    with transaction.atomic():
        enrolled = set(
            Enrolment.objects.filter(user=person, course_id__in=by_course).values_list(
                "course_id", flat=True
            )
        )
        now = timezone.now()
        new = []
        for course_id, group in by_course.items():
            if course_id in enrolled:
                continue
            first = group[0]  # earliest due date (ordered above)
            new.append(
                Enrolment(
                    user=person,
                    course_id=course_id,
                    assignment=first,
                    source=EnrolmentSource.ASSIGNED,
                    required=any(a.required for a in group),
                    due_date=first.due_date,
                    enrolled_at=now,
                )
            )
        Enrolment.objects.bulk_create(new, ignore_conflicts=True)
        for assignment in matching:
            _enrolments_upgrade(assignment=assignment, user_ids=[person.pk])
    _notify(Enrolment.objects.filter(user=person, assignment__in=matching))
    return len(new)


def enrolment_self_enrol(*, user: User, course: CoursePage) -> tuple[Enrolment, bool]:
    """Enrol ``user`` in ``course`` as an elective (not required, no due date), when the
    course is published and open for self-enrolment. Idempotent: an existing enrolment
    (chosen before or assigned) is returned unchanged. Returns (enrolment, created)."""
    if not user.is_authenticated or not user.is_active:
        raise ValidationError(_("Log in to enrol in a course."))
    if not course.live or not course.self_enrol:
        raise ValidationError(_("This course is not open for self-enrolment."))
    existing = Enrolment.objects.filter(user=user, course=course).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                user=user,
                course=course,
                source=EnrolmentSource.SELF,
                required=False,
                due_date=None,
            )
    except IntegrityError:  # a double click raced us: the first one won
        return Enrolment.objects.get(user=user, course=course), False
    return enrolment, True


def enrolment_assign_person(
    *, user: User, course: CoursePage, due_date: datetime.date | None, required: bool = True
) -> tuple[Enrolment, bool]:
    """Enrol one person in ``course`` (a pre-appointment course, a remedial course after a
    talk), as assigned, by ``due_date``; no unit-wide assignment is made. An enrolment
    they already have (not completed) is upgraded (required wins, the earlier due date
    wins); a completed one is history and is returned unchanged. Idempotent and safe
    against a double submit. Returns (enrolment, created); notifying is the caller's job."""
    if not course.live:
        raise ValidationError(
            {"course": _("This course is not published; only published courses can be assigned.")}
        )
    try:
        with transaction.atomic():
            enrolment, created = Enrolment.objects.get_or_create(
                user=user,
                course=course,
                defaults={
                    "source": EnrolmentSource.ASSIGNED,
                    "required": required,
                    "due_date": due_date,
                },
            )
    except IntegrityError:  # a double click raced us: the first one won
        enrolment, created = Enrolment.objects.get(user=user, course=course), False
    if created or enrolment.completed_at is not None:
        return enrolment, created
    changes: dict[str, Any] = {}
    if required and not enrolment.required:
        changes["required"] = True
    if due_date is not None and (enrolment.due_date is None or due_date < enrolment.due_date):
        changes["due_date"] = due_date
    if changes:
        changes["source"] = EnrolmentSource.ASSIGNED
        Enrolment.objects.filter(pk=enrolment.pk).update(**changes)
        enrolment.refresh_from_db()
    return enrolment, False


# --- Receivers -----------------------------------------------------------------------

_WATCHED_FIELDS = frozenset({"unit", "unit_id", "rank_level", "rank_level_id", "is_active"})
_PREVIOUS = "_courses_enrolment_previous"


def _user_pre_save(sender: Any, instance: User, raw: bool = False, **kwargs: Any) -> None:
    """Remember a person's unit, rank level and active flag before the save, so that
    ``post_save`` can tell a move, a promotion or a reactivation from any other save."""
    instance.__dict__.pop(_PREVIOUS, None)
    if raw or instance._state.adding or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not (_WATCHED_FIELDS & set(update_fields)):
        return
    previous = (
        User.objects.filter(pk=instance.pk)
        .values_list("unit_id", "rank_level_id", "is_active")
        .first()
    )
    instance.__dict__[_PREVIOUS] = previous


def _user_post_save(
    sender: Any, instance: User, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    previous = instance.__dict__.pop(_PREVIOUS, None)
    if not instance.is_active or instance.unit_id is None:
        return
    now = (instance.unit_id, instance.rank_level_id, instance.is_active)
    if created or (previous is not None and tuple(previous) != now):
        people_sync_on_commit(user_ids=[instance.pk])


def _people_changed(sender: Any, user_ids: Iterable[int] = (), **kwargs: Any) -> None:
    people_sync_on_commit(user_ids=user_ids)


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from ``CoursesConfig.ready``)."""
    from django.db.models.signals import post_save, pre_save

    from people.signals import people_changed

    pre_save.connect(_user_pre_save, sender=User, dispatch_uid="courses_enrolment_user_pre")
    post_save.connect(_user_post_save, sender=User, dispatch_uid="courses_enrolment_user_post")
    people_changed.connect(_people_changed, dispatch_uid="courses_enrolment_people_changed")
