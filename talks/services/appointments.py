"""Recording appointments: the row, the profile's new rank level, the four steps, the
pre-appointment course enrolment and the appointee's notification, in one transaction.

Double submits: recording the same person, position and decision date again while the
first appointment is not cancelled returns the first one (``reused = True``). The
person's row is locked first, so two requests racing on PostgreSQL are serialised.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from courses.models import CourseKind, CoursePage
from courses.services.assignments import enrolment_assign_person
from people.models import RankLevel, User
from people.selectors import person_can_change, unit_can_manage

from ..models import (
    STEP_ORDER,
    Appointment,
    AppointmentStatus,
    PositionKind,
    ProgrammeStep,
)
from .programme import programme_evaluate

TITLE_MAX = 120


def pre_appointment_courses() -> Any:
    """Published pre-appointment courses, newest first."""
    return (
        CoursePage.objects.live()
        .filter(kind=CourseKind.PRE_APPOINTMENT)
        .defer_streamfields()
        .order_by("-first_published_at", "-pk")
    )


def appointment_check(
    *,
    by: User,
    person: User | None,
    position_title: str,
    position_kind: str,
    rank_level: RankLevel | None,
    decision_date: datetime.date | None,
    take_office_date: datetime.date | None,
    course: CoursePage | None,
) -> dict[str, str]:
    """Every problem with these terms, by field (empty when they are fine)."""
    errors: dict[str, str] = {}
    if (
        person is None
        or not person.is_active
        or not person_can_change(viewer=by, person=person)
        or person.unit is None
        or not unit_can_manage(viewer=by, unit=person.unit)
    ):
        errors["person"] = _("Choose a person in your scope.")
    if not position_title:
        errors["position_title"] = _("Give the new position.")
    elif len(position_title) > TITLE_MAX:
        errors["position_title"] = _("The position is too long: at most %(max)s characters.") % {
            "max": TITLE_MAX
        }
    if position_kind not in PositionKind.values:
        errors["position_kind"] = _("Choose the kind of position.")
    if rank_level is None:
        errors["rank_level"] = _("Choose the new rank level.")
    if decision_date is None:
        errors["decision_date"] = _("Give the date of the appointment decision.")
    if take_office_date is None:
        errors["take_office_date"] = _("Give the take-office date.")
    elif decision_date is not None and take_office_date < decision_date:
        errors["take_office_date"] = _("The take-office date cannot be before the decision date.")
    if course is None:
        errors["course"] = _("Choose the pre-appointment course.")
    elif not course.live or course.kind != CourseKind.PRE_APPOINTMENT:
        errors["course"] = _("Choose a published pre-appointment course.")
    return errors


@transaction.atomic
def appointment_create(
    *,
    by: User,
    person: User,
    position_title: str,
    position_kind: str,
    rank_level: RankLevel,
    decision_date: datetime.date,
    take_office_date: datetime.date,
    course: CoursePage,
    note: str = "",
) -> Appointment:
    """Record an appointment and start the programme (see the module docstring).
    Raises ValidationError (by field; nothing written) for bad terms or a person
    outside ``by``'s scope."""
    position_title = (position_title or "").strip()
    errors = appointment_check(
        by=by,
        person=person,
        position_title=position_title,
        position_kind=position_kind,
        rank_level=rank_level,
        decision_date=decision_date,
        take_office_date=take_office_date,
        course=course,
    )
    if errors:
        raise ValidationError(errors)
    # Serialise appointments of this person (double submits racing in two requests).
    locked = User.objects.select_for_update(of=("self",)).select_related("unit").get(pk=person.pk)
    existing = (
        Appointment.objects.filter(
            person=locked,
            position_title=position_title,
            decision_date=decision_date,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        existing.reused = True  # type: ignore[attr-defined]
        return existing
    assert locked.unit is not None  # checked above
    appointment = Appointment.objects.create(
        person=locked,
        unit=locked.unit,
        position_title=position_title,
        position_kind=position_kind,
        rank_level=rank_level,
        previous_rank_level_id=locked.rank_level_id,
        decision_date=decision_date,
        take_office_date=take_office_date,
        course=course,
        note=(note or "").strip()[:300],
        created_by=by,
    )
    ProgrammeStep.objects.bulk_create(
        [ProgrammeStep(appointment=appointment, kind=kind) for kind in STEP_ORDER]
    )
    if locked.rank_level_id != rank_level.pk:
        # The profile follows the appointment; a plain save so that the courses
        # receivers re-sync the person's enrolments for the new rank level on commit.
        locked.rank_level = rank_level
        locked.save(update_fields=["rank_level"])
    enrolment, _created = enrolment_assign_person(
        user=locked, course=course, due_date=take_office_date, required=True
    )
    Appointment.objects.filter(pk=appointment.pk).update(enrolment=enrolment)
    appointment.enrolment = enrolment
    _notify_appointee(appointment)
    programme_evaluate(appointment=appointment)  # the course may be done already
    appointment.refresh_from_db()
    appointment.reused = False  # type: ignore[attr-defined]
    return appointment


def _notify_appointee(appointment: Appointment) -> None:
    from notifications.services import notification_send, user_language

    person = appointment.person
    with translation.override(user_language(user=person)):
        title = _("Pre-appointment programme: %(position)s") % {
            "position": appointment.position_title
        }
        body = _(
            "Before you take office on %(date)s: complete the course “%(course)s”, pass "
            "its test, attend the integrity talk and sign the integrity pledge."
        ) % {
            "date": appointment.take_office_date.isoformat(),
            "course": appointment.course.title if appointment.course else "",
        }
        url = reverse("appointments:mine")
    notification_send(
        user=person,
        key=f"appointment-started:{appointment.pk}",
        kind="appointment-started",
        title=title,
        body=body,
        url=url,
    )
