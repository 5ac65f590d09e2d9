"""Leave requests and make-up study.

*Asking.* A person registered for an event (or in its audience) may ask for leave before
it starts, with a reason; one request per person and event (a constraint: a double
submit finds the first). After the start the request is refused. A withdrawn request may
be asked again.

*Deciding.* A unit admin whose scope contains the person decides a pending request, with
a note (required when rejecting). Approval marks the attendance excused
(``attendance_mark(status=excused, method=leave)``, E3's service) and, when the event
names a make-up course or lesson, assigns the make-up (``makeup_assign``). The person is
notified either way.

*Make-up.* ``makeup_assign`` creates the ``MakeUp`` once and enrols the person in the
course (for a lesson: the course it belongs to, since lessons are studied inside their
course). It counts when done:

* a course: the receiver of ``courses.signals.course_completed`` sets ``completed_at``;
* a lesson: there is no lesson-completed signal, so ``makeup_refresh(user=)`` checks
  ``LessonProgress.completed_at`` lazily; the "my events" page and the event page call it
  (and it also catches a course completed before the make-up was assigned).

``completed_at`` is set once (a conditional UPDATE), then
``campaign_completion_evaluate`` runs when the event belongs to a campaign.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.services import notification_send, user_language
from people.models import User
from people.selectors import PEOPLE_WRITE_ROLES, role_unit_paths

from ..models import (
    AttendanceMethod,
    AttendanceStatus,
    Event,
    LeaveRequest,
    LeaveStatus,
    MakeUp,
    Registration,
)
from ..selectors.audience import event_in_audience

REASON_MAX = 2000
NOTE_MAX = 300


def leave_can_decide(*, viewer: object, leave: LeaveRequest) -> bool:
    """A unit admin whose scope contains the person (superusers: everyone)."""
    if not isinstance(viewer, User) or not viewer.is_authenticated or not viewer.is_active:
        return False
    if viewer.is_superuser:
        return True
    unit = leave.user.unit
    if unit is None or leave.user_id == viewer.pk:
        return False
    return any(
        unit.path.startswith(p) for p in role_unit_paths(user=viewer, roles=PEOPLE_WRITE_ROLES)
    )


def leave_request(*, event: Event, user: User, reason: str) -> LeaveRequest:
    """Ask for leave from ``event``. Raises ``ValidationError`` (by field) when refused."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for your leave request.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Keep the reason under 2000 characters.")})
    if event.is_cancelled:
        raise ValidationError(_("This event is cancelled."))
    if event.starts_at <= timezone.now():
        raise ValidationError(
            _("The event has already started: leave must be asked for before the start.")
        )
    registered = Registration.objects.filter(
        event=event, user=user, cancelled_at__isnull=True
    ).exists()
    if not registered and not event_in_audience(event=event, user=user):
        raise ValidationError(_("You are not registered for this event."))
    with transaction.atomic():
        existing = LeaveRequest.objects.select_for_update().filter(event=event, user=user).first()
        if existing is not None:
            if existing.status != LeaveStatus.WITHDRAWN:
                raise ValidationError(_("You have already asked for leave from this event."))
            existing.reason = reason
            existing.status = LeaveStatus.PENDING
            existing.requested_at = timezone.now()
            existing.decided_by, existing.decided_at, existing.decision_note = None, None, ""
            existing.save()
            return existing
        try:
            with transaction.atomic():
                return LeaveRequest.objects.create(event=event, user=user, reason=reason)
        except IntegrityError:  # a double submit: the first request stands
            raise ValidationError(_("You have already asked for leave from this event.")) from None


@transaction.atomic
def leave_withdraw(*, leave: LeaveRequest, user: User) -> LeaveRequest:
    """The person withdraws their own pending request."""
    locked = LeaveRequest.objects.select_for_update().get(pk=leave.pk)
    if locked.user_id != user.pk or locked.status != LeaveStatus.PENDING:
        raise ValidationError(_("Only a pending request can be withdrawn."))
    locked.status = LeaveStatus.WITHDRAWN
    locked.save(update_fields=["status"])
    return locked


def leave_decide(*, leave: LeaveRequest, by: User, approve: bool, note: str = "") -> LeaveRequest:
    """Approve or reject a pending request (a note is required to reject). Deciding a
    request already decided is refused (a double submit changes nothing)."""
    from .attendance import attendance_mark

    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why the request is rejected.")})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep the note under 300 characters.")})
    if not leave_can_decide(viewer=by, leave=leave):
        raise ValidationError(_("You cannot decide this request."))
    with transaction.atomic():
        locked = (
            LeaveRequest.objects.select_for_update()
            .select_related("event", "user")
            .get(pk=leave.pk)
        )
        if locked.status != LeaveStatus.PENDING:
            raise ValidationError(_("This request has already been decided."))
        locked.status = LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = by, timezone.now(), note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        event = locked.event
        if approve:
            attendance_mark(
                event=event,
                user=locked.user,
                status=AttendanceStatus.EXCUSED,
                by=by,
                method=AttendanceMethod.LEAVE,
                note=note,
            )
            if event.makeup_course_id or event.makeup_lesson_id:
                makeup_assign(event=event, user=locked.user, by=by)
        with translation.override(user_language(user=locked.user)):
            if approve:
                title = _("Leave approved: %(title)s") % {"title": event.title}
            else:
                title = _("Leave not approved: %(title)s") % {"title": event.title}
        notification_send(
            user=locked.user,
            key=f"event-leave:{locked.pk}:{locked.status}",
            kind="event",
            title=title,
            body=note,
            url=reverse("events:event_detail", args=[event.pk]),
        )
    return locked


# --- Make-up -----------------------------------------------------------------------------


def makeup_assign(*, event: Event, user: User, by: User) -> MakeUp:
    """Assign the event's make-up study to ``user`` (once) and enrol them in the course."""
    from courses.selectors.progress import lesson_course
    from courses.services.assignments import enrolment_assign_person

    course, lesson = event.makeup_course, event.makeup_lesson
    if course is None and lesson is None:
        raise ValidationError(_("This event has no make-up study."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                makeup, created = MakeUp.objects.get_or_create(
                    event=event, user=user, defaults={"course": course, "lesson": lesson}
                )
        except IntegrityError:
            makeup, created = MakeUp.objects.get(event=event, user=user), False
        if not created:
            return makeup
        enrol_in = course if course is not None else lesson_course(lesson=lesson)  # type: ignore[arg-type]
        if enrol_in is not None:
            enrolment_assign_person(user=user, course=enrol_in, due_date=None, required=True)
        with translation.override(user_language(user=user)):
            title = _("Make-up study for %(title)s") % {"title": event.title}
            body = _("Study “%(study)s” to make up for the event you were excused from.") % {
                "study": (course or lesson).title  # type: ignore[union-attr]
            }
        notification_send(
            user=user,
            key=f"event-makeup:{event.pk}:{user.pk}",
            kind="event",
            title=title,
            body=body,
            url=reverse("events:event_detail", args=[event.pk]),
        )
    makeup_refresh(user=user, makeups=[makeup])
    return makeup


def _makeup_done(makeup: MakeUp, *, now: Any) -> bool:
    """Set ``completed_at`` once and evaluate the campaign. True if this call set it."""
    updated = MakeUp.objects.filter(pk=makeup.pk, completed_at__isnull=True).update(
        completed_at=now
    )
    makeup.completed_at = makeup.completed_at or now
    if updated:
        event = Event.objects.select_related("campaign").get(pk=makeup.event_id)
        if event.campaign is not None:
            from .completion import campaign_completion_evaluate

            campaign_completion_evaluate(user=makeup.user, campaign=event.campaign)
    return bool(updated)


def makeup_refresh(*, user: User, makeups: list[MakeUp] | None = None) -> int:
    """Mark the person's open make-ups done whose course or lesson they have completed.
    Returns how many were marked now. Two queries when nothing is open."""
    from courses.models import CourseCompletion, LessonProgress

    if makeups is None:
        makeups = list(MakeUp.objects.filter(user=user, completed_at__isnull=True))
    makeups = [m for m in makeups if m.completed_at is None]
    if not makeups:
        return 0
    course_ids = {m.course_id for m in makeups if m.course_id}
    lesson_ids = {m.lesson_id for m in makeups if m.lesson_id and not m.course_id}
    done_courses = set(
        CourseCompletion.objects.filter(user=user, course_id__in=course_ids).values_list(
            "course_id", flat=True
        )
    )
    done_lessons = set(
        LessonProgress.objects.filter(
            user=user, lesson_id__in=lesson_ids, completed_at__isnull=False
        ).values_list("lesson_id", flat=True)
    )
    now = timezone.now()
    marked = 0
    for makeup in makeups:
        done = (
            makeup.course_id in done_courses
            if makeup.course_id
            else makeup.lesson_id in done_lessons
        )
        if done:
            makeup.user = user
            marked += _makeup_done(makeup, now=now)
    return marked


def _course_completed(sender: Any, completion: Any = None, **kwargs: Any) -> None:
    if completion is None:
        return
    open_makeups = MakeUp.objects.filter(
        user_id=completion.user_id, course_id=completion.course_id, completed_at__isnull=True
    ).select_related("user")
    now = timezone.now()
    for makeup in open_makeups:
        _makeup_done(makeup, now=now)


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from the app's ``ready``)."""
    from courses.signals import course_completed

    course_completed.connect(_course_completed, dispatch_uid="events_makeup_course_completed")
