"""Registration: audience members automatically, others while places remain.

*Audience.* ``event_audience_register`` registers every audience member of a scheduled
event that has not started (``source=audience``), in bulk with ``ignore_conflicts``: safe
to run twice, and it never re-opens a registration someone cancelled or overwrites a
self-registration. It runs as a Celery task on commit after an event is created or
changed, and for people when they change (a new person, a move, a change of rank level,
reactivation: user ``post_save`` with ``pre_save`` remembering the old values, and
``people.signals.people_changed`` after bulk imports), registering them for the upcoming
events whose audience they joined. People who leave an audience keep their registration
(the trainer or unit admin can still excuse them).

*Self-registration.* Any active person may register for a scheduled event that has not
started while places remain. ``capacity`` counts every active registration, audience
included. The event row is locked (``select_for_update``) while counting, so two requests
for the last place cannot both win; a double click returns the existing registration.

*Cancelling.* A person may cancel a registration they made themselves before the start;
audience members ask for leave instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people.models import User

from ..models import Event, EventStatus, Registration, RegistrationSource
from ..selectors.audience import event_audience, event_in_audience

logger = logging.getLogger(__name__)
BATCH_SIZE = 500


# --- Audience ----------------------------------------------------------------------------


def event_audience_register(*, event: Event) -> int:
    """Register the event's audience (those not registered yet). Returns how many rows
    were attempted (existing ones are skipped by the database)."""
    if event.status != EventStatus.SCHEDULED or event.starts_at <= timezone.now():
        return 0
    existing = Registration.objects.filter(event=event).values("user_id")
    ids = list(event_audience(event=event).exclude(pk__in=existing).values_list("pk", flat=True))
    rows = [Registration(event=event, user_id=pk, source=RegistrationSource.AUDIENCE) for pk in ids]
    Registration.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return len(rows)


def person_register_matching(*, user: User) -> int:
    """Register ``user`` for the upcoming scheduled events whose audience they are in."""
    if not user.is_active or user.unit_id is None:
        return 0
    events = (
        Event.objects.filter(status=EventStatus.SCHEDULED, starts_at__gt=timezone.now())
        .exclude(registrations__user=user)
        .select_related("audience_unit", "min_rank")
    )
    matching = [e for e in events if event_in_audience(event=e, user=user)]
    rows = [Registration(event=e, user=user, source=RegistrationSource.AUDIENCE) for e in matching]
    Registration.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _enqueue_event(event_id: int) -> None:
    from ..tasks import event_audience_register_task

    event_audience_register_task.delay(event_id)


def _enqueue_people(user_ids: list[int]) -> None:
    from ..tasks import event_registrations_sync_person

    for user_id in user_ids:
        event_registrations_sync_person.delay(user_id)


def event_audience_sync_on_commit(*, event_id: int) -> None:
    """Once the current transaction commits, register the event's audience."""
    transaction.on_commit(lambda: _enqueue_event(event_id), robust=True)


def people_register_on_commit(*, user_ids: Iterable[int]) -> None:
    ids = sorted({int(pk) for pk in user_ids if pk is not None})
    if ids:
        transaction.on_commit(lambda: _enqueue_people(ids), robust=True)


# --- Self-registration -------------------------------------------------------------------


def event_places_left(*, event: Event) -> int | None:
    """Places left (``None``: no limit)."""
    if event.capacity is None:
        return None
    taken = Registration.objects.filter(event=event, cancelled_at__isnull=True).count()
    return max(event.capacity - taken, 0)


def registration_open(*, event: Event) -> bool:
    return event.status == EventStatus.SCHEDULED and event.starts_at > timezone.now()


def registration_self(*, event: Event, user: User) -> tuple[Registration, bool]:
    """Register ``user`` for ``event`` while places remain. Returns (registration,
    created); an active registration is returned unchanged (double click)."""
    if not user.is_authenticated or not user.is_active:
        raise ValidationError(_("Log in to register."))
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        existing = Registration.objects.filter(event=locked, user=user).first()
        if existing is not None and existing.cancelled_at is None:
            return existing, False
        if not registration_open(event=locked):
            raise ValidationError(_("Registration for this event is closed."))
        left = event_places_left(event=locked)
        if left is not None and left <= 0:
            raise ValidationError(_("Sorry, there are no places left at this event."))
        if existing is not None:
            existing.cancelled_at = None
            existing.registered_at = timezone.now()
            existing.save(update_fields=["cancelled_at", "registered_at"])
            return existing, True
        try:
            with transaction.atomic():
                registration = Registration.objects.create(
                    event=locked, user=user, source=RegistrationSource.SELF
                )
        except IntegrityError:  # the audience task registered them meanwhile
            return Registration.objects.get(event=locked, user=user), False
    return registration, True


@transaction.atomic
def registration_cancel(*, event: Event, user: User) -> Registration:
    """Cancel the person's own self-registration before the event starts."""
    registration = Registration.objects.select_for_update().filter(event=event, user=user).first()
    if registration is None or registration.cancelled_at is not None:
        raise ValidationError(_("You are not registered for this event."))
    if event.starts_at <= timezone.now():
        raise ValidationError(
            _("The event has started; a registration can no longer be cancelled.")
        )
    if registration.source != RegistrationSource.SELF:
        raise ValidationError(
            _("You are in this event's audience: ask for leave instead of cancelling.")
        )
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["cancelled_at"])
    return registration


# --- Receivers ---------------------------------------------------------------------------

_WATCHED_FIELDS = frozenset({"unit", "unit_id", "rank_level", "rank_level_id", "is_active"})
_PREVIOUS = "_events_registration_previous"


def _user_pre_save(sender: Any, instance: User, raw: bool = False, **kwargs: Any) -> None:
    instance.__dict__.pop(_PREVIOUS, None)
    if raw or instance._state.adding or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not (_WATCHED_FIELDS & set(update_fields)):
        return
    # courses' receiver (connected first) has just read the same values: reuse them.
    previous = instance.__dict__.get("_courses_enrolment_previous")
    if previous is None:
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
        people_register_on_commit(user_ids=[instance.pk])


def _people_changed(sender: Any, user_ids: Iterable[int] = (), **kwargs: Any) -> None:
    people_register_on_commit(user_ids=user_ids)


def connect_receivers() -> None:
    """Connect this module's signal receivers (called once from the app's ``ready``)."""
    from django.db.models.signals import post_save, pre_save

    from people.signals import people_changed

    pre_save.connect(_user_pre_save, sender=User, dispatch_uid="events_registration_user_pre")
    post_save.connect(_user_post_save, sender=User, dispatch_uid="events_registration_user_post")
    people_changed.connect(_people_changed, dispatch_uid="events_registration_people_changed")
