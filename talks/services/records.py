"""Writes (and audited reads) of confidential talk records.

Every function here decides access with ``talks.selectors.records`` and writes its audit
row (``audit.services.audit_record``) inside the same transaction as the read or write it
records: if the audit row cannot be written, the whole action fails and nothing is
changed or shown. Refusals write a ``denied`` row and nothing else.

Scheduling is done by discipline officers for officials in their subtree; rescheduling,
cancelling (both while the talk is still scheduled), recording, follow-up and closing by
anyone with full access (the discipline officers in scope and the talkers); the
official's own statement on a pre-appointment talk by the official, until the talk is
closed. A cancelled talk is kept (and shown as cancelled) but can no longer be changed;
its appointment may be given a new pre-appointment talk.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from courses.models import CoursePage
from notifications.services import notification_send, user_language
from people.models import User

from ..models import Appointment, AppointmentStatus, TalkKind, TalkRecord, TalkStatus
from ..selectors.records import (
    FULL,
    OFFICIAL,
    Access,
    official_may_see_summary,
    talk_access,
    talk_get_for_viewer,
    talk_is_discipline_officer_for,
)
from ..signals import talk_recorded

PLACE_MAX = 200
TEXT_MAX = 20_000
REASON_MAX = 500
OBJECT_TYPE = "talks.talkrecord"


# --- Audited reads -------------------------------------------------------------------


def talk_denied(*, request: Any, pk: int | str, detail: dict[str, Any] | None = None) -> None:
    """Record a refused access to talk ``pk`` (no subject: a refusal reveals nothing)."""
    audit_record(
        action=AuditAction.DENIED,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=str(pk),
        detail=detail or {},
    )


def talk_read(
    *, viewer: Any, pk: int, request: Any = None, need: Access | None = None, view: str = "detail"
) -> tuple[TalkRecord, Access] | None:
    """The talk ``pk`` for ``viewer`` with their access, the read audited in the same
    transaction; ``None`` (and a ``denied`` row) when it does not exist, the viewer may not
    see it, or ``need`` asks for a level the viewer does not have."""
    with transaction.atomic():
        found = talk_get_for_viewer(viewer=viewer, pk=pk)
        if found is None or (need is not None and found[1] != need):
            found = None
        else:
            talk, access = found
            audit_record(
                action=AuditAction.READ,
                request=request,
                actor=viewer,
                obj=talk,
                subject=talk.official,
                detail={"view": view, "access": access},
            )
    if found is None:
        talk_denied(request=request, pk=pk, detail={"view": view})
    return found


def talk_list_read(
    *, viewer: Any, talks: Iterable[TalkRecord], request: Any = None, view: str = "list"
) -> list[TalkRecord]:
    """Evaluate a list of talks for ``viewer`` and audit the read (one row naming the ids
    shown) in the same transaction. An empty list reads no record and writes no row."""
    with transaction.atomic():
        rows = list(talks)
        if not rows:
            return rows
        audit_record(
            action=AuditAction.READ,
            request=request,
            actor=viewer,
            object_type=OBJECT_TYPE,
            detail={"view": view, "ids": [t.pk for t in rows]},
        )
    return rows


# --- Checks --------------------------------------------------------------------------


def _check_full(*, by: User, talk: TalkRecord) -> None:
    if talk_access(viewer=by, talk=talk) != FULL:
        raise ValidationError(_("You may not change this talk record."))


def _locked(talk: TalkRecord) -> TalkRecord:
    return (
        TalkRecord.objects.select_for_update(of=("self",))
        .select_related("official__unit", "unit", "appointment")
        .get(pk=talk.pk)
    )


def _refuse_cancelled(talk: TalkRecord) -> None:
    if talk.status == TalkStatus.CANCELLED:
        raise ValidationError(_("This talk was cancelled and can no longer be changed."))


def _clean_text(value: str | None, *, field: str, errors: dict[str, str], required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        errors[field] = _("This field is required.")
    elif len(text) > TEXT_MAX:
        errors[field] = _("The text is too long: at most %(max)s characters.") % {"max": TEXT_MAX}
    return text


def _audit_write(
    *, action: str, by: User, talk: TalkRecord, request: Any, step: str, **extra: Any
) -> None:
    audit_record(
        action=action,
        request=request,
        actor=by,
        obj=talk,
        subject=talk.official,
        detail={"step": step, **extra},
    )


# --- Scheduling ----------------------------------------------------------------------


def _mine_url(talk: TalkRecord) -> str:
    return reverse("talk_records:mine_detail", args=[talk.pk])


def _notify_scheduled(talk: TalkRecord, *, rescheduled: bool = False) -> None:
    """Tell the official the time and place (never the outline or anything internal).

    A rescheduled talk is told again under a key of its own per change
    (``reschedule_count``), so every new time or place reaches the official once, and a
    repeated call for the same change sends nothing."""
    official = talk.official
    when = timezone.localtime(talk.scheduled_at)
    with translation.override(user_language(user=official)):
        if rescheduled:
            title = _("Your talk has been moved: %(kind)s") % {"kind": talk.get_kind_display()}
        else:
            title = _("A talk has been scheduled with you: %(kind)s") % {
                "kind": talk.get_kind_display()
            }
        body = _("Time: %(time)s. Place: %(place)s.") % {
            "time": when.strftime("%Y-%m-%d %H:%M"),
            "place": talk.place,
        }
        url = _mine_url(talk)
    stamp = when.strftime("%Y%m%d%H%M")
    key = f"talk-scheduled:{talk.pk}:{stamp}"
    if rescheduled:
        key = f"talk-rescheduled:{talk.pk}:{talk.reschedule_count}:{stamp}"
    notification_send(
        user=official,
        key=key,
        kind="talk-rescheduled" if rescheduled else "talk-scheduled",
        title=title,
        body=body,
        url=url,
    )


def _notify_cancelled(talk: TalkRecord) -> None:
    """Tell the official the talk will not take place (the reason stays internal)."""
    official = talk.official
    when = timezone.localtime(talk.scheduled_at)
    with translation.override(user_language(user=official)):
        title = _("Your talk has been cancelled: %(kind)s") % {"kind": talk.get_kind_display()}
        body = _(
            "The talk planned for %(time)s at %(place)s will not take place. "
            "If a new talk is needed, you will be told its time and place."
        ) % {"time": when.strftime("%Y-%m-%d %H:%M"), "place": talk.place}
        url = _mine_url(talk)
    notification_send(
        user=official,
        key=f"talk-cancelled:{talk.pk}",
        kind="talk-cancelled",
        title=title,
        body=body,
        url=url,
    )


def _check_time_and_place(
    scheduled_at: datetime.datetime | None, place: str, *, errors: dict[str, str]
) -> None:
    """A talk's time and (stripped) place, as scheduling and rescheduling check them."""
    if scheduled_at is None:
        errors["scheduled_at"] = _("Choose the time of the talk.")
    if not place:
        errors["place"] = _("Enter the place of the talk.")
    elif len(place) > PLACE_MAX:
        errors["place"] = _("The place is too long: at most %(max)s characters.") % {
            "max": PLACE_MAX
        }


def _check_talkers(talkers: list[User], *, official_id: int | None, errors: dict[str, str]) -> None:
    """At least one talker, all active, none of them the official."""
    if not talkers:
        errors["talkers"] = _("Choose at least one talker.")
    elif official_id is not None and any(t.pk == official_id for t in talkers):
        errors["talkers"] = _("The official cannot be one of the talkers.")
    elif any(not t.is_active for t in talkers):
        errors["talkers"] = _("Every talker must be an active user.")


def talk_schedule(
    *,
    by: User,
    kind: str,
    official: User | None,
    talkers: Iterable[User],
    scheduled_at: datetime.datetime | None,
    place: str,
    outline: str = "",
    appointment: Appointment | None = None,
    request: Any = None,
) -> TalkRecord:
    """Schedule a talk with ``official`` (a discipline officer in scope only). Refuses
    (ValidationError by field, nothing written) an official outside ``by``'s discipline
    subtree or ``by`` themself, no talker, a missing time or place, a pre-appointment talk
    without one of the official's open appointments, or a second pre-appointment talk for
    the same appointment. A double submit returns the talk already scheduled. The official
    is notified of the time and place once the transaction commits."""
    talkers = list({t.pk: t for t in talkers}.values())
    place = (place or "").strip()
    errors: dict[str, str] = {}
    outline = _clean_text(outline, field="outline", errors=errors, required=False)
    if kind not in TalkKind.values:
        errors["kind"] = _("Choose the kind of talk.")
    if official is None:
        errors["official"] = _("Choose the official.")
    elif official.pk == by.pk:
        errors["official"] = _("You cannot schedule a talk with yourself.")
    elif (
        not official.is_active
        or official.unit is None
        or not talk_is_discipline_officer_for(viewer=by, unit_path=official.unit.path)
    ):
        errors["official"] = _("You may only schedule talks with officials in your own scope.")
    _check_talkers(talkers, official_id=official.pk if official else None, errors=errors)
    _check_time_and_place(scheduled_at, place, errors=errors)
    if kind == TalkKind.PRE_APPOINTMENT:
        if appointment is None:
            errors["appointment"] = _("Choose the appointment this pre-appointment talk is for.")
        elif (
            official is None
            or appointment.person_id != official.pk
            or appointment.status != AppointmentStatus.IN_PROGRESS
        ):
            errors["appointment"] = _("Choose one of the official's open appointments.")
    else:
        appointment = None
    if errors:
        raise ValidationError(errors)
    assert official is not None and official.unit is not None and scheduled_at is not None

    with transaction.atomic():
        # Serialise schedules for this official (double submits racing in two requests).
        list(User.objects.select_for_update().filter(pk=official.pk).values_list("pk", flat=True))
        existing = (
            TalkRecord.objects.filter(
                official=official,
                kind=kind,
                scheduled_at=scheduled_at,
                created_by=by,
                status=TalkStatus.SCHEDULED,
            )
            .order_by("pk")
            .first()
        )
        if existing is not None:
            existing.reused = True  # type: ignore[attr-defined]
            return existing
        if (
            appointment is not None
            and TalkRecord.objects.filter(appointment=appointment, kind=TalkKind.PRE_APPOINTMENT)
            .exclude(status=TalkStatus.CANCELLED)
            .exists()
        ):
            raise ValidationError(
                {"appointment": _("This appointment already has a pre-appointment talk.")}
            )
        try:
            with transaction.atomic():
                talk = TalkRecord.objects.create(
                    kind=kind,
                    official=official,
                    unit=official.unit,
                    appointment=appointment,
                    scheduled_at=scheduled_at,
                    place=place,
                    outline=outline,
                    created_by=by,
                )
        except IntegrityError as exc:  # the one-pre-appointment-talk constraint
            raise ValidationError(
                {"appointment": _("This appointment already has a pre-appointment talk.")}
            ) from exc
        talk.talkers.set(talkers)
        _audit_write(action=AuditAction.CREATE, by=by, talk=talk, request=request, step="schedule")
        _notify_scheduled(talk)
    talk.reused = False  # type: ignore[attr-defined]
    return talk


# --- Rescheduling and cancelling -----------------------------------------------------


def _minute(value: datetime.datetime) -> datetime.datetime:
    """``value`` to the minute (the form's precision: seconds never make a new time)."""
    return value.replace(second=0, microsecond=0)


def _clean_reason(reason: str | None, *, errors: dict[str, str]) -> str:
    text = (reason or "").strip()
    if not text:
        errors["reason"] = _("Give the reason.")
    elif len(text) > REASON_MAX:
        errors["reason"] = _("The reason is too long: at most %(max)s characters.") % {
            "max": REASON_MAX
        }
    return text


def _refuse_unless_scheduled(talk: TalkRecord) -> None:
    if talk.status == TalkStatus.CANCELLED:
        raise ValidationError(_("This talk was cancelled and can no longer be changed."))
    if talk.status != TalkStatus.SCHEDULED:
        raise ValidationError(
            _("This talk has been held and recorded: its time and place can no longer change.")
        )


def _when(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def talk_reschedule(
    *,
    by: User,
    talk: TalkRecord,
    scheduled_at: datetime.datetime | None,
    place: str,
    talkers: Iterable[User] | None = None,
    reason: str,
    seen_version: int | None = None,
    request: Any = None,
) -> TalkRecord:
    """Move a scheduled talk to a new time and/or place, or change its talkers (full access
    only, while the talk is *scheduled*). A reason is required; the time and place are
    checked as :func:`talk_schedule` checks them (``talkers=None`` keeps the talkers).
    Nothing changed is refused with a message and writes nothing. The official is told
    the new time and place once the transaction commits; the audit row holds the old and
    the new time, place and talkers, and the reason.

    ``seen_version`` is the ``reschedule_count`` the form was shown with. A repeat of the
    change already saved (a double click: the talk now holds exactly what is asked) returns
    the talk with ``reused = True`` and sends nothing; a different change made meanwhile
    by someone else is refused rather than overwritten."""
    place = (place or "").strip()
    errors: dict[str, str] = {}
    reason = _clean_reason(reason, errors=errors)
    _check_time_and_place(scheduled_at, place, errors=errors)
    new_talkers = None if talkers is None else list({t.pk: t for t in talkers}.values())
    with transaction.atomic():
        locked = _locked(talk)
        _check_full(by=by, talk=locked)
        _refuse_unless_scheduled(locked)
        old_talker_ids = sorted(locked.talkers.values_list("pk", flat=True))
        if new_talkers is not None:
            _check_talkers(new_talkers, official_id=locked.official_id, errors=errors)
        if errors:
            raise ValidationError(errors)
        assert scheduled_at is not None
        new_talker_ids = (
            old_talker_ids if new_talkers is None else sorted(t.pk for t in new_talkers)
        )
        same_time = _minute(scheduled_at) == _minute(locked.scheduled_at)
        unchanged = same_time and place == locked.place and new_talker_ids == old_talker_ids
        if seen_version is not None and seen_version != locked.reschedule_count:
            if unchanged:  # the same change, submitted again
                locked.reused = True  # type: ignore[attr-defined]
                return locked
            raise ValidationError(
                _(
                    "This talk was rescheduled by someone else meanwhile: "
                    "check its new time and place before changing it again."
                )
            )
        if unchanged:
            raise ValidationError(
                _(
                    "Nothing has changed: choose a new time, place or talkers, "
                    "or go back to the talk."
                )
            )
        old = {"time": _when(locked.scheduled_at), "place": locked.place}
        tell_official = not same_time or place != locked.place
        if not same_time:
            locked.scheduled_at = scheduled_at
        locked.place = place
        locked.reschedule_count += 1
        locked.save(update_fields=["scheduled_at", "place", "reschedule_count", "updated_at"])
        if new_talkers is not None and new_talker_ids != old_talker_ids:
            locked.talkers.set(new_talkers)
        _audit_write(
            action=AuditAction.UPDATE,
            by=by,
            talk=locked,
            request=request,
            step="reschedule",
            reason=reason,
            old={**old, "talkers": old_talker_ids},
            new={
                "time": _when(locked.scheduled_at),
                "place": locked.place,
                "talkers": new_talker_ids,
            },
        )
        if tell_official:
            _notify_scheduled(locked, rescheduled=True)
    locked.reused = False  # type: ignore[attr-defined]
    return locked


def talk_cancel(*, by: User, talk: TalkRecord, reason: str, request: Any = None) -> TalkRecord:
    """Cancel a scheduled talk (full access only) with a reason, kept internal. The talk
    stays, shown as cancelled, and can no longer be changed; the official is told it will
    not take place. A pre-appointment talk's programme step stays pending, so a new talk
    can be scheduled for the appointment. Cancelling a talk already cancelled (a double
    click) returns it with ``reused = True`` and writes nothing; a recorded talk cannot be
    cancelled."""
    errors: dict[str, str] = {}
    reason = _clean_reason(reason, errors=errors)
    with transaction.atomic():
        locked = _locked(talk)
        _check_full(by=by, talk=locked)
        if locked.status == TalkStatus.CANCELLED:
            locked.reused = True  # type: ignore[attr-defined]
            return locked
        if locked.status != TalkStatus.SCHEDULED:
            raise ValidationError(
                _("This talk has been held and recorded: it can no longer be cancelled.")
            )
        if errors:
            raise ValidationError(errors)
        locked.status = TalkStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancel_reason = reason
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        _audit_write(
            action=AuditAction.UPDATE,
            by=by,
            talk=locked,
            request=request,
            step="cancel",
            reason=reason,
            time=_when(locked.scheduled_at),
            place=locked.place,
        )
        _notify_cancelled(locked)
    locked.reused = False  # type: ignore[attr-defined]
    return locked


# --- Recording -----------------------------------------------------------------------


def talk_record(
    *,
    by: User,
    talk: TalkRecord,
    held_at: datetime.datetime | None,
    content: str,
    summary: str = "",
    official_statement: str = "",
    recorder: User | None = None,
    request: Any = None,
) -> TalkRecord:
    """Write down what was said (full access only). A scheduled talk becomes *recorded*
    and ``talks.signals.talk_recorded`` is sent inside this transaction; a recorded talk
    may be corrected (no second signal). A closed talk cannot be changed; a time in the
    future, an empty record or a recorder who is neither a talker nor ``by`` is refused."""
    errors: dict[str, str] = {}
    content = _clean_text(content, field="content", errors=errors, required=True)
    summary = _clean_text(summary, field="summary", errors=errors, required=False)
    official_statement = _clean_text(
        official_statement, field="official_statement", errors=errors, required=False
    )
    if held_at is None:
        errors["held_at"] = _("Enter when the talk was held.")
    elif held_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["held_at"] = _("The talk cannot have been held in the future.")
    recorder = recorder or by
    with transaction.atomic():
        locked = _locked(talk)
        _check_full(by=by, talk=locked)
        _refuse_cancelled(locked)
        if locked.status == TalkStatus.CLOSED:
            raise ValidationError(_("This talk is closed and can no longer be changed."))
        allowed = set(locked.talkers.values_list("pk", flat=True)) | {by.pk}
        if recorder.pk not in allowed:
            errors["recorder"] = _("The recorder must be one of the talkers or yourself.")
        if errors:
            raise ValidationError(errors)
        first = locked.status == TalkStatus.SCHEDULED
        locked.held_at = held_at
        locked.content = content
        locked.summary = summary
        locked.official_statement = official_statement
        locked.recorder = recorder
        locked.status = TalkStatus.RECORDED
        locked.save(
            update_fields=[
                "held_at",
                "content",
                "summary",
                "official_statement",
                "recorder",
                "status",
                "updated_at",
            ]
        )
        _audit_write(
            action=AuditAction.UPDATE,
            by=by,
            talk=locked,
            request=request,
            step="record" if first else "record-correct",
        )
        if first:
            talk_recorded.send(sender=TalkRecord, talk=locked)
    return locked


# --- The official's statement --------------------------------------------------------


def talk_statement_save(
    *, official: User, talk: TalkRecord, statement: str, request: Any = None
) -> TalkRecord:
    """The official adds or changes their own statement on a pre-appointment talk held
    with them, until the talk is closed."""
    errors: dict[str, str] = {}
    statement = _clean_text(statement, field="statement", errors=errors, required=True)
    with transaction.atomic():
        locked = _locked(talk)
        if talk_access(viewer=official, talk=locked) != OFFICIAL or not official_may_see_summary(
            talk=locked
        ):
            raise ValidationError(_("You may not add a statement to this talk."))
        _refuse_cancelled(locked)
        if locked.status == TalkStatus.CLOSED:
            raise ValidationError(_("This talk is closed: the statement can no longer be changed."))
        if errors:
            raise ValidationError(errors)
        locked.official_statement = statement
        locked.save(update_fields=["official_statement", "updated_at"])
        _audit_write(
            action=AuditAction.UPDATE, by=official, talk=locked, request=request, step="statement"
        )
    return locked


# --- Follow-up and closing -----------------------------------------------------------


def talk_follow_up(
    *,
    by: User,
    talk: TalkRecord,
    course: CoursePage | None,
    follow_up_date: datetime.date | None,
    request: Any = None,
) -> TalkRecord:
    """Set the follow-up of a recorded talk: a remedial course the official is enrolled in
    (required, due by the follow-up date) and/or a follow-up date."""
    errors: dict[str, str] = {}
    if course is None and follow_up_date is None:
        errors["course"] = _("Choose a remedial course or a follow-up date (or both).")
    if course is not None and not course.live:
        errors["course"] = _(
            "This course is not published; only published courses can be assigned."
        )
    if follow_up_date is not None and follow_up_date < timezone.localdate():
        errors["follow_up_date"] = _(
            "The follow-up date is in the past: choose today or a later day."
        )
    with transaction.atomic():
        locked = _locked(talk)
        _check_full(by=by, talk=locked)
        _refuse_cancelled(locked)
        if locked.status == TalkStatus.SCHEDULED:
            raise ValidationError(_("Record the talk before setting its follow-up."))
        if locked.status == TalkStatus.CLOSED:
            raise ValidationError(_("This talk is closed and can no longer be changed."))
        if errors:
            raise ValidationError(errors)
        enrolment = None
        if course is not None:
            from courses.services.assignments import enrolment_assign_person

            enrolment, _created = enrolment_assign_person(
                user=locked.official, course=course, due_date=follow_up_date
            )
            locked.follow_up_course = course
        locked.follow_up_date = follow_up_date
        locked.save(update_fields=["follow_up_course", "follow_up_date", "updated_at"])
        _audit_write(
            action=AuditAction.UPDATE,
            by=by,
            talk=locked,
            request=request,
            step="follow-up",
            course=course.pk if course is not None else None,
        )
        if enrolment is not None and enrolment.completed_at is None:
            from courses.services.reminders import notify_enrolled

            notify_enrolled(enrolments=[enrolment])
    return locked


def talk_close(*, by: User, talk: TalkRecord, note: str, request: Any = None) -> TalkRecord:
    """Close a recorded talk with a note (full access only). Closing twice is refused."""
    errors: dict[str, str] = {}
    note = _clean_text(note, field="closure_note", errors=errors, required=True)
    with transaction.atomic():
        locked = _locked(talk)
        _check_full(by=by, talk=locked)
        _refuse_cancelled(locked)
        if locked.status == TalkStatus.SCHEDULED:
            raise ValidationError(_("Record the talk before closing it."))
        if locked.status == TalkStatus.CLOSED:
            raise ValidationError(_("This talk is already closed."))
        if errors:
            raise ValidationError(errors)
        locked.status = TalkStatus.CLOSED
        locked.closed_at = timezone.now()
        locked.closure_note = note
        locked.save(update_fields=["status", "closed_at", "closure_note", "updated_at"])
        _audit_write(action=AuditAction.UPDATE, by=by, talk=locked, request=request, step="close")
    return locked
