"""Writes about events: create, change, cancel.

Rules (checked here, the form only collects input):

* times in order (ends after it starts), check-in window sensible: it closes after it
  opens, opens at most a day before the start and before the end, closes after the start
  and at most 12 hours after the end;
* the audience unit lies where the person creating the event holds the trainer or unit
  admin role (superusers anywhere);
* the trainer is the creator or holds the trainer role on a unit containing the audience
  unit;
* a make-up course or lesson must be published.

Moving an event (start, end, venue, online link) or cancelling it raises ``sequence``
(RFC 5545) and notifies every active registrant once per sequence
(``event-changed:<pk>:<seq>`` / ``event-cancelled:<pk>:<seq>``). Creating or changing an
event enqueues the audience registration on commit
(``events.services.registration.event_audience_sync_on_commit``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.services import notification_send, user_language
from people.models import Role, User
from people.selectors import role_unit_paths

from ..models import Event, EventStatus, Registration
from ..selectors.scope import MANAGE_ROLES
from .registration import event_audience_sync_on_commit

#: The fields a create / change form may set.
EVENT_FIELDS = (
    "campaign",
    "kind",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "venue",
    "online_url",
    "capacity",
    "audience_unit",
    "min_rank",
    "trainer",
    "credit_hours",
    "required",
    "checkin_opens_at",
    "checkin_closes_at",
    "late_after_minutes",
    "makeup_course",
    "makeup_lesson",
)
#: A change of one of these moves the event: sequence rises, registrants are told.
MOVING_FIELDS = ("starts_at", "ends_at", "venue", "online_url")
CHECKIN_EARLIEST = datetime.timedelta(hours=24)
CHECKIN_LATEST = datetime.timedelta(hours=12)


def _path_in(path: str, paths: list[str]) -> bool:
    return any(path.startswith(p) for p in paths)


def event_check(*, by: User, data: dict[str, Any], event: Event | None = None) -> None:
    """Raise a ``ValidationError`` by field for every broken rule in ``data``."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    starts, ends = data.get("starts_at"), data.get("ends_at")
    opens, closes = data.get("checkin_opens_at"), data.get("checkin_closes_at")
    if starts and ends and ends <= starts:
        add("ends_at", _("The event must end after it starts."))
    if opens and closes and closes <= opens:
        add("checkin_closes_at", _("Check-in must close after it opens."))
    if starts and ends and opens and closes and not errors:
        if opens < starts - CHECKIN_EARLIEST:
            add("checkin_opens_at", _("Check-in may open at most 24 hours before the start."))
        if opens >= ends:
            add("checkin_opens_at", _("Check-in must open before the event ends."))
        if closes <= starts:
            add("checkin_closes_at", _("Check-in must close after the event starts."))
        if closes > ends + CHECKIN_LATEST:
            add("checkin_closes_at", _("Check-in must close at most 12 hours after the end."))
    capacity = data.get("capacity")
    if capacity is not None and capacity < 0:
        add("capacity", _("The capacity cannot be negative."))
    unit = data.get("audience_unit")
    if unit is not None and not by.is_superuser:
        unchanged = event is not None and event.audience_unit_id == unit.pk
        if not unchanged and not _path_in(unit.path, role_unit_paths(user=by, roles=MANAGE_ROLES)):
            add("audience_unit", _("You can only plan events for units in your scope."))
    trainer = data.get("trainer")
    if trainer is not None and unit is not None:
        creator = event.created_by_id if event is not None else by.pk
        allowed = trainer.pk == creator or (
            trainer.is_active
            and _path_in(unit.path, role_unit_paths(user=trainer, roles=[Role.TRAINER]))
        )
        if not allowed:
            add(
                "trainer",
                _("The trainer must hold the trainer role for the audience unit, or be you."),
            )
    course, lesson = data.get("makeup_course"), data.get("makeup_lesson")
    if course is not None and not course.live:
        add("makeup_course", _("The make-up course must be published."))
    if lesson is not None and not lesson.live:
        add("makeup_lesson", _("The make-up lesson must be published."))
    if errors:
        raise ValidationError(errors)


def _notify_registrants(*, event: Event, key: str, text: Callable[[], tuple[str, str]]) -> int:
    """Notify everyone registered; ``text()`` gives (title, body) and is called in each
    person's language."""
    url = reverse("events:event_detail", args=[event.pk])
    sent = 0
    registrations = Registration.objects.filter(event=event, cancelled_at__isnull=True)
    for registration in registrations.select_related("user"):
        with translation.override(user_language(user=registration.user)):
            title, body = text()
        sent += notification_send(
            user=registration.user, key=key, kind="event", title=title, body=body, url=url
        )
    return sent


@transaction.atomic
def event_create(*, by: User, data: dict[str, Any]) -> Event:
    """Create an event from ``data`` (``EVENT_FIELDS``); audience registration follows
    on commit."""
    event_check(by=by, data=data)
    event = Event(created_by=by, **{f: data[f] for f in EVENT_FIELDS if f in data})
    event.save()
    event_audience_sync_on_commit(event_id=event.pk)
    return event


@transaction.atomic
def event_update(*, by: User, event: Event, data: dict[str, Any]) -> Event:
    """Change an event. A cancelled event cannot be changed. Moving it raises the sequence
    and notifies the registrants (once per sequence)."""
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if locked.is_cancelled:
        raise ValidationError(_("A cancelled event cannot be changed."))
    event_check(by=by, data=data, event=locked)
    moved = any(f in data and data[f] != getattr(locked, f) for f in MOVING_FIELDS)
    for field in EVENT_FIELDS:
        if field in data:
            setattr(locked, field, data[field])
    if moved:
        locked.sequence += 1
    locked.save()
    if moved:
        start = timezone.localtime(locked.starts_at)
        _notify_registrants(
            event=locked,
            key=f"event-changed:{locked.pk}:{locked.sequence}",
            text=lambda: (
                _("Changed: %(title)s") % {"title": locked.title},
                _("The event now takes place on %(when)s at %(where)s.")
                % {
                    "when": start.strftime("%Y-%m-%d %H:%M"),
                    "where": locked.venue or locked.online_url or "-",
                },
            ),
        )
    event_audience_sync_on_commit(event_id=locked.pk)
    return locked


@transaction.atomic
def event_cancel(*, by: User, event: Event, reason: str) -> Event:
    """Cancel an event (a reason is required). Cancelling twice changes nothing."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for cancelling.")})
    locked = Event.objects.select_for_update().get(pk=event.pk)
    if locked.is_cancelled:
        return locked
    locked.status = EventStatus.CANCELLED
    locked.cancelled_reason = reason[:300]
    locked.sequence += 1
    locked.save(update_fields=["status", "cancelled_reason", "sequence", "updated_at"])
    _notify_registrants(
        event=locked,
        key=f"event-cancelled:{locked.pk}:{locked.sequence}",
        text=lambda: (_("Cancelled: %(title)s") % {"title": locked.title}, reason),
    )
    return locked
