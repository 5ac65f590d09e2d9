"""Campaign completion: a person has completed a campaign when they attended
(``Attendance.attended``: present or late, a walk-in only once confirmed) or finished the
make-up study (``MakeUp.completed_at``) of every *required*, non-cancelled event of the
campaign whose audience includes them.

``campaign_completion_evaluate`` records that once: the ``CampaignCompletion`` row is
unique per person and campaign (a constraint; a concurrent second insert finds the first
row), and ``events.signals.campaign_completed`` is sent inside the transaction that
creates the row (a receiver that fails rolls the completion back), never again. Callers
(attendance marking, the make-up receiver) call it after every change; calling it again
costs one query once the completion exists.

A recorded completion is never withdrawn by a later correction (a certificate may already
have been issued from it); the evaluation returns the existing row. A person outside the
campaign's audience, or a campaign without any required event for them, never completes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from people.models import User

from ..models import (
    Attendance,
    Campaign,
    CampaignCompletion,
    Event,
    EventStatus,
    MakeUp,
)
from ..selectors.audience import event_in_audience
from ..selectors.campaigns import campaign_includes
from ..selectors.events import first_unordered
from ..signals import campaign_completed


class EventState(enum.StrEnum):
    ATTENDED = "attended"
    MADE_UP = "made_up"
    EXCUSED_PENDING = "excused_pending"
    MISSING = "missing"

    @property
    def label(self) -> str:
        return str(_STATE_LABELS[self])

    @property
    def counts(self) -> bool:
        return self in (EventState.ATTENDED, EventState.MADE_UP)


_STATE_LABELS = {
    EventState.ATTENDED: _("Attended"),
    EventState.MADE_UP: _("Made up"),
    EventState.EXCUSED_PENDING: _("Excused, make-up pending"),
    EventState.MISSING: _("Not yet attended"),
}


@dataclass
class EventProgress:
    event: Event
    state: EventState
    attendance: Attendance | None = None
    makeup: MakeUp | None = None

    @property
    def is_past(self) -> bool:
        return self.event.ends_at <= timezone.now()


@dataclass
class CampaignStatus:
    """A person's progress in a campaign, for pages."""

    campaign: Campaign
    included: bool
    events: list[EventProgress] = field(default_factory=list)
    completion: CampaignCompletion | None = None

    @property
    def done_count(self) -> int:
        return sum(1 for e in self.events if e.state.counts)

    @property
    def total(self) -> int:
        return len(self.events)

    @property
    def all_done(self) -> bool:
        return bool(self.events) and self.done_count == self.total

    @property
    def completed(self) -> bool:
        return self.completion is not None


def _required_events(*, campaign: Campaign, user: User) -> list[Event]:
    events = (
        Event.objects.filter(campaign=campaign, required=True)
        .exclude(status=EventStatus.CANCELLED)
        .select_related("audience_unit", "min_rank")
        .order_by("starts_at", "pk")
    )
    return [e for e in events if event_in_audience(event=e, user=user)]


def _progress(
    *, events: list[Event], user: User, known: Attendance | None = None
) -> list[EventProgress]:
    """The state of each event for ``user``. ``known`` is a row the caller has just
    written (its event is not read again); make-ups are read only for events without a
    counting attendance."""
    if not events:
        return []
    attendance: dict[int, Attendance] = {}
    if known is not None and known.user_id == user.pk:
        attendance[known.event_id] = known
    ids = [e.pk for e in events if e.pk not in attendance]
    if ids:
        attendance.update(
            (a.event_id, a) for a in Attendance.objects.filter(user=user, event_id__in=ids)
        )
    open_ids = [e.pk for e in events if not (e.pk in attendance and attendance[e.pk].attended)]
    makeups = (
        {m.event_id: m for m in MakeUp.objects.filter(user=user, event_id__in=open_ids)}
        if open_ids
        else {}
    )
    rows = []
    for event in events:
        a, m = attendance.get(event.pk), makeups.get(event.pk)
        if a is not None and a.attended:
            state = EventState.ATTENDED
        elif m is not None and m.completed_at is not None:
            state = EventState.MADE_UP
        elif (a is not None and a.status == "excused") or m is not None:
            state = EventState.EXCUSED_PENDING
        else:
            state = EventState.MISSING
        rows.append(EventProgress(event=event, state=state, attendance=a, makeup=m))
    return rows


def _load_user(user: User) -> User:
    """``user`` with its unit and rank level loaded (one query if they are not)."""
    state = getattr(user, "_state", None)
    cached = getattr(state, "fields_cache", {}) if state else {}
    if ("unit" in cached or user.unit_id is None) and (
        "rank_level" in cached or user.rank_level_id is None
    ):
        return user
    return User.objects.select_related("unit", "rank_level").get(pk=user.pk)


def campaign_status_for(*, user: User, campaign: Campaign) -> CampaignStatus:
    """Each required, non-cancelled event of the campaign for ``user`` with its state
    (attended / made up / excused, make-up pending / missing) and the completion if
    recorded. A fixed number of queries."""
    user = _load_user(user)
    completion = CampaignCompletion.objects.filter(campaign=campaign, user=user).first()
    if not campaign_includes(campaign=campaign, user=user):
        return CampaignStatus(campaign=campaign, included=False, completion=completion)
    events = _required_events(campaign=campaign, user=user)
    return CampaignStatus(
        campaign=campaign,
        included=True,
        events=_progress(events=events, user=user),
        completion=completion,
    )


def _with_audience(campaign: Campaign) -> Campaign:
    """``campaign`` with its audience unit and minimum rank loaded (one query if they
    are not; the check-in view loads them with the event)."""
    cache = campaign._state.fields_cache
    if "audience_unit" in cache and ("min_rank" in cache or campaign.min_rank_id is None):
        return campaign
    return Campaign.objects.select_related("audience_unit", "min_rank").get(pk=campaign.pk)


def campaign_completion_evaluate(
    *, user: User, campaign: Campaign, attendance: Attendance | None = None
) -> CampaignCompletion | None:
    """Record ``user``'s completion of ``campaign`` if every required event for them is
    attended or made up; the existing completion if already recorded; else ``None``.

    ``attendance``: a row of ``user`` the caller has just written, used as it is (not
    read again)."""
    existing = first_unordered(CampaignCompletion.objects.filter(campaign=campaign, user=user))
    if existing is not None:
        return existing
    user = _load_user(user)
    campaign = _with_audience(campaign)
    if not campaign_includes(campaign=campaign, user=user):
        return None
    events = _required_events(campaign=campaign, user=user)
    progress = _progress(events=events, user=user, known=attendance)
    if not progress or not all(p.state.counts for p in progress):
        return None
    created: CampaignCompletion | None = None
    try:
        # One savepoint for the row and the signal: a receiver that fails rolls the
        # completion back; the certificate is created with the completion.
        with transaction.atomic():
            created = CampaignCompletion.objects.create(campaign=campaign, user=user)
            campaign_completed.send(sender=CampaignCompletion, completion=created)
    except IntegrityError:
        if created is not None:
            raise  # a receiver's error, not the race below
        # Another request recorded it first (and sends the signal itself).
        return CampaignCompletion.objects.get(campaign=campaign, user=user)
    return created


def connect_receivers() -> None:
    """Nothing to connect: attendance and make-up services call
    ``campaign_completion_evaluate`` themselves after each change."""


__all__ = [
    "CampaignStatus",
    "EventProgress",
    "EventState",
    "campaign_completion_evaluate",
    "campaign_status_for",
    "connect_receivers",
]
