"""Who an event is for.

*Audience.* Active people whose unit lies in the subtree of ``event.audience_unit``;
with a minimum rank level, only people whose rank ``order`` is at least that level's
(people without a rank level are then outside the audience). Cancelled events keep
their audience (reminders and registration check the status themselves).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from people.models import User

from ..models import Event


def event_audience_q(*, event: Event, prefix: str = "") -> Q:
    """The audience rule as a ``Q`` on users (``prefix`` e.g. ``"user__"`` for rows that
    point at a user)."""
    q = Q(**{f"{prefix}is_active": True}) & Q(
        **{f"{prefix}unit__path__startswith": event.audience_unit.path}
    )
    if event.min_rank_id is not None:
        q &= Q(**{f"{prefix}rank_level__order__gte": event.min_rank.order})  # type: ignore[union-attr]
    return q


def event_audience(*, event: Event) -> QuerySet[User]:
    """Active people in the event's audience unit subtree at or above its minimum rank."""
    return User.objects.filter(event_audience_q(event=event))


def event_in_audience(*, event: Event, user: object) -> bool:
    """Whether ``user`` belongs to the event's audience (no query: reads the user's unit
    and rank level, and the event's audience unit and minimum rank)."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return False
    unit = user.unit
    if unit is None or not unit.path.startswith(event.audience_unit.path):
        return False
    if event.min_rank_id is not None:
        rank = user.rank_level
        if rank is None or rank.order < event.min_rank.order:  # type: ignore[union-attr]
            return False
    return True
