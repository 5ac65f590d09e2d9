"""The pre-appointment programme: which checklist steps are done, waivers, clearing once.

:func:`programme_evaluate` looks at each *pending* step of an appointment in progress:

* **course** — a ``CourseCompletion`` of the appointment's course by the official. A
  completion counts whenever it was recorded: completion is recorded once per person and
  course, so a course finished before the decision date (an earlier appointment) cannot
  be finished again. To require fresh study, publish a newer pre-appointment course.
* **quiz** — a submitted, passed ``quizzes.Attempt`` at the course's quiz (any time, as
  above). A course without a quiz has nothing to pass: the step is done at once with the
  evidence ``no-quiz``.
* **talk** — the appointment's pre-appointment ``TalkRecord`` once recorded (or closed).
* **pledge** — a ``PledgeSignature`` by the official on the *current* pledge text for the
  appointment's kind of position, or any signature given for this appointment.

A step moves pending → done (or waived) with a conditional UPDATE, so two evaluations at
once mark it once. When no step is pending the appointment is cleared with a conditional
UPDATE on ``cleared_at IS NULL``: only the call that wins sends ``appointee_cleared``
(inside the transaction that clears it) and notifies the official and the unit admins
above the appointment's unit.

Receivers: ``courses.signals.course_completed`` (sent inside the transaction that
records the completion) and ``quizzes.signals.attempt_graded`` (sent on commit): each
evaluation runs in its own savepoint, a failure is logged and never breaks the sender;
``talks.signals.talk_recorded`` and ``talks.signals.pledge_signed``
(sent inside the writer's transaction: evaluated in it, so the step and the record commit
together).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from people.models import OrgUnit, Role, RoleAssignment, User

from ..models import (
    Appointment,
    AppointmentStatus,
    PledgeSignature,
    ProgrammeStep,
    StepKind,
    StepStatus,
    TalkKind,
    TalkRecord,
    TalkStatus,
)
from ..selectors.scope import discipline_covers
from ..signals import appointee_cleared

logger = logging.getLogger(__name__)

REASON_MAX = 300
NO_QUIZ = "no-quiz"


# --- Evidence ------------------------------------------------------------------------


def _course_evidence(appointment: Appointment) -> str:
    from courses.models import CourseCompletion

    if appointment.course_id is None:
        return ""
    pk = (
        CourseCompletion.objects.filter(
            user_id=appointment.person_id, course_id=appointment.course_id
        )
        .values_list("pk", flat=True)
        .first()
    )
    return f"completion:{pk}" if pk else ""


def _quiz_evidence(appointment: Appointment) -> str:
    from quizzes.models import Attempt, AttemptStatus

    course = appointment.course
    if course is None or course.quiz_id is None:
        return NO_QUIZ
    pk = (
        Attempt.objects.filter(
            quiz_id=course.quiz_id,
            user_id=appointment.person_id,
            status=AttemptStatus.SUBMITTED,
            passed=True,
        )
        .order_by("submitted_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return f"attempt:{pk}" if pk else ""


def _talk_evidence(appointment: Appointment) -> str:
    pk = (
        TalkRecord.objects.filter(
            appointment=appointment,
            kind=TalkKind.PRE_APPOINTMENT,
            status__in=[TalkStatus.RECORDED, TalkStatus.CLOSED],
        )
        .values_list("pk", flat=True)
        .first()
    )
    return f"talk:{pk}" if pk else ""


def _pledge_evidence(appointment: Appointment) -> str:
    pk = (
        PledgeSignature.objects.filter(user_id=appointment.person_id)
        .filter(
            Q(appointment=appointment)
            | Q(text__position_kind=appointment.position_kind, text__is_current=True)
        )
        .order_by("signed_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return f"pledge:{pk}" if pk else ""


EVIDENCE = {
    StepKind.COURSE: _course_evidence,
    StepKind.QUIZ: _quiz_evidence,
    StepKind.TALK: _talk_evidence,
    StepKind.PLEDGE: _pledge_evidence,
}


# --- Evaluating and clearing ---------------------------------------------------------


def programme_evaluate(*, appointment: Appointment) -> Appointment:
    """Mark every pending step whose evidence now exists as done, and clear the
    appointment (once) when no step is left pending. Safe to call any number of times,
    from concurrent receivers too. Returns the appointment as stored now."""
    with transaction.atomic():
        appt = Appointment.objects.select_related("course").get(pk=appointment.pk)
        if appt.status != AppointmentStatus.IN_PROGRESS:
            return appt
        now = timezone.now()
        pending = list(appt.steps.filter(status=StepStatus.PENDING))
        for step in pending:
            evidence = EVIDENCE[StepKind(step.kind)](appt)
            if evidence:
                ProgrammeStep.objects.filter(pk=step.pk, status=StepStatus.PENDING).update(
                    status=StepStatus.DONE, done_at=now, evidence=evidence
                )
        _clear_if_complete(appt, now=now)
    appt.refresh_from_db()
    return appt


def _clear_if_complete(appt: Appointment, *, now: Any) -> bool:
    if appt.steps.filter(status=StepStatus.PENDING).exists():
        return False
    won = Appointment.objects.filter(
        pk=appt.pk, cleared_at__isnull=True, status=AppointmentStatus.IN_PROGRESS
    ).update(status=AppointmentStatus.CLEARED, cleared_at=now, updated_at=now)
    if not won:
        return False
    appt.status, appt.cleared_at = AppointmentStatus.CLEARED, now
    _notify_cleared(appt)
    pk = appt.pk
    # Inside the transaction that clears it: the certificate commits with the clearing.
    cleared = Appointment.objects.select_related("person", "unit").get(pk=pk)
    appointee_cleared.send(sender=Appointment, appointment=cleared)
    logger.info("appointment %s cleared", pk)
    return True


def unit_admins_over(*, unit: OrgUnit) -> list[User]:
    """Active unit admins whose subtree holds ``unit`` (one query)."""
    steplen = OrgUnit.steplen
    ancestors = [unit.path[:i] for i in range(steplen, len(unit.path) + 1, steplen)]
    ids = RoleAssignment.objects.filter(
        role=Role.UNIT_ADMIN, unit__path__in=ancestors, unit__is_active=True
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def _notify_cleared(appt: Appointment) -> None:
    from notifications.services import notification_send, user_language

    appt = Appointment.objects.select_related("person", "unit").get(pk=appt.pk)
    person = appt.person
    with translation.override(user_language(user=person)):
        notification_send(
            user=person,
            key=f"appointment-cleared:{appt.pk}",
            kind="appointment-cleared",
            title=_("Pre-appointment programme complete: %(position)s")
            % {"position": appt.position_title},
            body=_("Every step is done. You are cleared to take office."),
            url=reverse("appointments:mine"),
        )
    for admin in unit_admins_over(unit=appt.unit):
        with translation.override(user_language(user=admin)):
            notification_send(
                user=admin,
                key=f"appointment-cleared:{appt.pk}",
                kind="appointment-cleared",
                title=_("%(name)s is cleared to take office as %(position)s")
                % {"name": person.full_name, "position": appt.position_title},
                body=_("Every step of the pre-appointment programme is done or waived."),
                url=reverse("appointments:detail", args=[appt.pk]),
            )


# --- Waivers -------------------------------------------------------------------------


def step_can_waive(*, viewer: Any, appointment: Appointment) -> bool:
    """Only a discipline officer covering the official may waive (superusers and unit
    admins without that role may not)."""
    return discipline_covers(viewer=viewer, person=appointment.person)


def step_waive(*, by: User, step: ProgrammeStep, reason: str) -> ProgrammeStep:
    """Waive a pending step, with a reason. Refused (PermissionDenied) unless ``by`` is a
    discipline officer covering the official; refused (ValidationError, by field) without
    a reason or for a step that is no longer pending. Waiving the last step clears."""
    from audit.services import audit_record

    appointment = Appointment.objects.select_related("person__unit").get(pk=step.appointment_id)
    if not step_can_waive(viewer=by, appointment=appointment):
        raise PermissionDenied(_("Only a discipline officer for this official may waive a step."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for waiving this step.")})
    if len(reason) > REASON_MAX:
        raise ValidationError(
            {
                "reason": _("The reason is too long: at most %(max)s characters.")
                % {"max": REASON_MAX}
            }
        )
    with transaction.atomic():
        if appointment.status != AppointmentStatus.IN_PROGRESS:
            raise ValidationError(_("This appointment is no longer in progress."))
        now = timezone.now()
        changed = ProgrammeStep.objects.filter(pk=step.pk, status=StepStatus.PENDING).update(
            status=StepStatus.WAIVED, done_at=now, waived_by=by, waive_reason=reason
        )
        if not changed:
            raise ValidationError(_("This step is already done or waived."))
        audit_record(
            action="update",
            actor=by,
            obj=step,
            subject=appointment.person,
            detail={"waived": step.kind, "appointment": appointment.pk},
        )
        programme_evaluate(appointment=appointment)
    step.refresh_from_db()
    return step


# --- Receivers -----------------------------------------------------------------------


def _open_appointments(**filters: Any) -> list[Appointment]:
    return list(Appointment.objects.filter(status=AppointmentStatus.IN_PROGRESS, **filters))


def _evaluate_logged(appointments: list[Appointment]) -> None:
    for appointment in appointments:
        try:
            programme_evaluate(appointment=appointment)
        except Exception:  # in its own savepoint: never break the sender; logged for a re-run
            logger.exception("could not evaluate appointment %s", appointment.pk)


def _on_course_completed(sender: Any, completion: Any, **kwargs: Any) -> None:
    _evaluate_logged(
        _open_appointments(person_id=completion.user_id, course_id=completion.course_id)
    )


def _on_attempt_graded(sender: Any, attempt: Any, **kwargs: Any) -> None:
    if not attempt.passed:
        return
    _evaluate_logged(_open_appointments(person_id=attempt.user_id, course__quiz_id=attempt.quiz_id))


def _on_talk_recorded(sender: Any, talk: TalkRecord, **kwargs: Any) -> None:
    if talk.appointment_id and talk.kind == TalkKind.PRE_APPOINTMENT:
        for appointment in _open_appointments(pk=talk.appointment_id):
            programme_evaluate(appointment=appointment)


def _on_pledge_signed(sender: Any, signature: PledgeSignature, **kwargs: Any) -> None:
    kind = (
        PledgeSignature.objects.filter(pk=signature.pk)
        .values_list("text__position_kind", flat=True)
        .first()
    )
    q = Q(position_kind=kind)
    if signature.appointment_id:
        q |= Q(pk=signature.appointment_id)
    for appointment in Appointment.objects.filter(
        q, person_id=signature.user_id, status=AppointmentStatus.IN_PROGRESS
    ):
        programme_evaluate(appointment=appointment)


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from the app's ``ready``)."""
    from courses.signals import course_completed
    from quizzes.signals import attempt_graded

    from ..signals import pledge_signed, talk_recorded

    course_completed.connect(_on_course_completed, dispatch_uid="talks.programme.course")
    attempt_graded.connect(_on_attempt_graded, dispatch_uid="talks.programme.attempt")
    talk_recorded.connect(_on_talk_recorded, dispatch_uid="talks.programme.talk")
    pledge_signed.connect(_on_pledge_signed, dispatch_uid="talks.programme.pledge")
