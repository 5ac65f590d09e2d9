"""Attendance writes: a QR check-in (:func:`attendance_checkin`), a roster, paper-sheet or
leave mark (:func:`attendance_mark`), confirming a walk-in
(:func:`attendance_walk_in_confirm`), and the study-hour credit that follows them.

Rules:

- One row per person and event (``events_attendance_unique``). A SELECT first (a repeated
  scan stops there), then a plain INSERT in its own savepoint; the loser of a race gets
  the ``IntegrityError``, reads the winner's row and reports "already checked in".
- A scan is *present*, or *late* when taken more than ``late_after_minutes`` after the
  start, by the server's clock at the moment of the scan (a scan followed by a login
  keeps its scan time). Outside the check-in window, or for a cancelled event, nothing is
  written (:class:`CheckinRefused`).
- Someone outside the audience and without a registration is recorded as a *walk-in*
  (with a ``walk_in`` registration); the row counts only after the trainer confirms it.
- A device id (a long-lived signed cookie on the phone) that already checked someone else
  in to the event flags both rows (``shared_device``) for the trainer.
- *Credit.* Whenever a row counts (:attr:`Attendance.attended`: present or late, walk-ins
  confirmed) the ledger holds ``event:<event id>`` for that person with the event's hours
  (``courses.services.ledger.ledger_ensure``, idempotent). A correction that makes the row
  stop counting (present → absent or excused) deletes that ledger entry in the same
  transaction. A recorded campaign completion is never taken back here (E1's rule).
- After a change that may complete a campaign, ``campaign_completion_evaluate`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import LedgerSource, StudyHourEntry
from courses.services.ledger import ledger_ensure
from people.models import User

from ..models import (
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    Event,
    Registration,
    RegistrationSource,
)
from ..selectors.audience import event_in_audience
from ..selectors.events import first_unordered
from .completion import campaign_completion_evaluate

# Reasons a scan is refused (the view shows a message for each).
REFUSED_CANCELLED = "cancelled"
REFUSED_NOT_OPEN = "not_open"
REFUSED_CLOSED = "closed"

RECORDED = "recorded"
ALREADY = "already"

# ``attendance_checkin(existing=...)`` default: the caller has not read the person's row.
NOT_READ: Final[object] = object()


class CheckinRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckinResult:
    attendance: Attendance
    outcome: str  # RECORDED or ALREADY

    @property
    def created(self) -> bool:
        return self.outcome == RECORDED


def ledger_key(*, event: Event) -> str:
    return f"event:{event.pk}"


def _ledger_sync(*, attendance: Attendance, event: Event) -> None:
    """The ledger entry of this attendance: written when it counts, removed when not."""
    if attendance.attended:
        ledger_ensure(
            user=attendance.user,
            year=timezone.localdate(event.starts_at).year,
            hours=event.credit_hours,
            source=LedgerSource.EVENT,
            source_key=ledger_key(event=event),
            title=event.title,
            required=event.required,
            integrity=True,
        )
    else:
        StudyHourEntry.objects.filter(
            user_id=attendance.user_id,
            source=LedgerSource.EVENT,
            source_key=ledger_key(event=event),
        ).delete()


def _completion_evaluate(*, attendance: Attendance, event: Event) -> None:
    """Let E1's rule decide whether this change completes the person's campaign (a
    present/late row, or an excused one whose make-up is already done)."""
    # Only the required events of a campaign count towards its completion: a change to
    # any other row cannot complete it (no query).
    if event.campaign_id is None or not event.required:
        return
    if attendance.walk_in and not attendance.attended:
        return
    campaign = event.campaign
    assert campaign is not None
    campaign_completion_evaluate(user=attendance.user, campaign=campaign, attendance=attendance)


def _with_unit_and_rank(user: Any) -> Any:
    """``user`` with unit and rank level loaded in one query (the audience check and the
    completion rule read both)."""
    cache = user._state.fields_cache
    if ("unit" in cache or user.unit_id is None) and (
        "rank_level" in cache or user.rank_level_id is None
    ):
        return user
    return User.objects.select_related("unit", "rank_level").get(pk=user.pk)


def status_for_scan(*, event: Event, scanned_at: datetime) -> str:
    """Present, or late when the scan came after ``starts_at + late_after_minutes``."""
    if scanned_at > event.starts_at + timedelta(minutes=event.late_after_minutes):
        return AttendanceStatus.LATE
    return AttendanceStatus.PRESENT


def checkin_refusal(*, event: Event, at: datetime) -> str | None:
    """Why a scan at ``at`` is refused, or ``None``."""
    if event.is_cancelled:
        return REFUSED_CANCELLED
    if at < event.checkin_opens_at:
        return REFUSED_NOT_OPEN
    if at > event.checkin_closes_at:
        return REFUSED_CLOSED
    return None


def attendance_checkin(
    *,
    event: Event,
    user: Any,
    scanned_at: datetime,
    device_id: str = "",
    ip: str | None = None,
    user_agent: str = "",
    existing: Attendance | None | object = NOT_READ,
    device_new: bool = False,
) -> CheckinResult:
    """Record ``user``'s QR check-in to ``event`` scanned at ``scanned_at``.

    Raises :class:`CheckinRefused` (nothing written) for a cancelled event or a scan
    outside the window. A second scan (or a concurrent duplicate) returns the existing row
    with outcome ``ALREADY`` and changes nothing.

    ``existing``: the person's row at the event (or ``None``: no row) when the caller has
    just read it (the scan view reads it with the event); not read again then. It only
    spares the repeated scan the INSERT: a row inserted since is found by the constraint.
    ``device_new``: the caller has just minted ``device_id`` (the phone had no device
    cookie), so no other row can carry it and the shared-device check is skipped.
    """
    reason = checkin_refusal(event=event, at=scanned_at)
    if reason is not None:
        raise CheckinRefused(reason)
    device_id = (device_id or "")[:64]
    # Fast path: the repeated scan is one indexed SELECT (unordered: the model's ordering
    # would join the event table), or none when the caller read the row.
    if existing is NOT_READ:
        existing = first_unordered(Attendance.objects.filter(event=event, user=user))
    if isinstance(existing, Attendance):
        return CheckinResult(existing, ALREADY)

    shared = False
    if device_id and not device_new:
        # One query: the person with unit and rank level (the audience check and the
        # completion rule read both) and whether someone else already checked in to this
        # event from this device (then both rows are flagged).
        others = Attendance.objects.filter(event=event, device_id=device_id).exclude(
            user=OuterRef("pk")
        )
        user = (
            User.objects.select_related("unit", "rank_level")
            .annotate(device_shared=Exists(others))
            .get(pk=user.pk)
        )
        shared = bool(user.device_shared)
    else:
        user = _with_unit_and_rank(user)
    walk_in = False
    if not event_in_audience(event=event, user=user):
        walk_in = not Registration.objects.filter(
            event=event, user=user, cancelled_at__isnull=True
        ).exists()
    defaults = {
        "status": status_for_scan(event=event, scanned_at=scanned_at),
        "method": AttendanceMethod.QR,
        "checked_in_at": scanned_at,
        "walk_in": walk_in,
        "device_id": device_id,
        "ip_address": ip or None,
        "user_agent": (user_agent or "")[:300],
    }
    try:
        with transaction.atomic():
            # We just saw no row; a concurrent scan that inserted since then makes this
            # INSERT fail on the constraint (handled below).
            attendance = Attendance.objects.create(
                event=event, user=user, shared_device=shared, **defaults
            )
            if walk_in:
                Registration.objects.get_or_create(
                    event=event, user=user, defaults={"source": RegistrationSource.WALK_IN}
                )
            if shared:
                Attendance.objects.filter(
                    event=event, device_id=device_id, shared_device=False
                ).exclude(pk=attendance.pk).update(shared_device=True)
            _ledger_sync(attendance=attendance, event=event)
            _completion_evaluate(attendance=attendance, event=event)
    except IntegrityError:
        # A concurrent scan of the same person won the insert: theirs is the row.
        attendance = Attendance.objects.get(event=event, user=user)
        return CheckinResult(attendance, ALREADY)
    return CheckinResult(attendance, RECORDED)


def attendance_mark(
    *,
    event: Event,
    user: Any,
    status: str,
    by: Any,
    method: str,
    note: str = "",
    checked_in_at: datetime | None = None,
) -> Attendance:
    """Set ``user``'s attendance at ``event`` (roster, paper sheet or approved leave).

    Idempotent: marking the same status again writes nothing. The ledger entry follows
    the row (written when it counts, deleted when a correction makes it stop counting).
    An existing walk-in row stays a walk-in (the trainer confirms it separately).
    """
    if status not in AttendanceStatus.values:
        raise ValidationError({"status": _("Choose a valid attendance status.")})
    if method not in AttendanceMethod.values or method == AttendanceMethod.QR:
        raise ValidationError({"method": _("Choose how the attendance was recorded.")})
    note = (note or "")[:300]
    with transaction.atomic():
        attendance = Attendance.objects.select_for_update().filter(event=event, user=user).first()
        if attendance is None:
            try:
                with transaction.atomic():
                    attendance = Attendance.objects.create(
                        event=event,
                        user=user,
                        status=status,
                        method=method,
                        checked_in_at=checked_in_at,
                        marked_by=by,
                        note=note,
                    )
            except IntegrityError:
                attendance = Attendance.objects.select_for_update().get(event=event, user=user)
            else:
                _ledger_sync(attendance=attendance, event=event)
                _completion_evaluate(attendance=attendance, event=event)
                return attendance
        if attendance.status == status and (not note or attendance.note == note):
            return attendance
        attendance.status = status
        attendance.method = method
        attendance.marked_by = by
        if note:
            attendance.note = note
        if checked_in_at is not None and attendance.checked_in_at is None:
            attendance.checked_in_at = checked_in_at
        attendance.save(
            update_fields=["status", "method", "marked_by", "note", "checked_in_at", "updated_at"]
        )
        _ledger_sync(attendance=attendance, event=event)
        _completion_evaluate(attendance=attendance, event=event)
    return attendance


def attendance_walk_in_confirm(*, attendance: Attendance, by: Any) -> Attendance:
    """The trainer confirms a walk-in: from now on the row counts (and earns the hours).
    Confirming twice changes nothing."""
    with transaction.atomic():
        row = Attendance.objects.select_for_update().select_related("event").get(pk=attendance.pk)
        if not row.walk_in or row.walk_in_confirmed_at is not None:
            return row
        row.walk_in_confirmed_at = timezone.now()
        row.marked_by = by
        row.save(update_fields=["walk_in_confirmed_at", "marked_by", "updated_at"])
        _ledger_sync(attendance=row, event=row.event)
        _completion_evaluate(attendance=row, event=row.event)
    return row


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from the app's ``ready``)."""
