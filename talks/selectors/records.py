"""Who may see which talk records, and how much of them (need-to-know).

Two levels of access:

``"full"``      everything, internal outline and record included: discipline officers whose
                subtree holds the talk's unit, and the people who held (talkers) or wrote
                down (recorder) the talk;
``"official"``  the official the talk was held with: kind, time, place and status and, for
                a pre-appointment talk only, the summary written for them and their own
                statement; never the outline, the record or internal follow-up notes.

Nobody else sees anything: not unit admins of the same unit, not superusers without the
discipline officer role. The official never gets full access to a talk about themself,
even when they are also a discipline officer of their own unit.

Every view and export decides with these functions only.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q, QuerySet

from people.models import OrgUnit, User
from people.selectors import unit_paths_q, viewer_user

from ..models import Appointment, AppointmentStatus, TalkKind, TalkRecord, TalkStatus
from .scope import discipline_paths, discipline_people_q

Access = Literal["full", "official"]
FULL: Access = "full"
OFFICIAL: Access = "official"

#: The only columns loaded for the official's own view.
OFFICIAL_FIELDS = (
    "id",
    "kind",
    "official_id",
    "unit_id",
    "appointment_id",
    "status",
    "scheduled_at",
    "place",
    "held_at",
    "summary",
    "official_statement",
    "closed_at",
)


def _full_q(user: User) -> Q:
    talker_ids = TalkRecord.talkers.through.objects.filter(user_id=user.pk).values("talkrecord_id")
    return (
        discipline_people_q(viewer=user, field="unit__path")
        | Q(pk__in=talker_ids)
        | Q(recorder_id=user.pk)
    ) & ~Q(official_id=user.pk)


def talk_list_visible(*, viewer: Any) -> QuerySet[TalkRecord]:
    """Talks ``viewer`` may see in full (see the module docstring); none for anyone else."""
    u = viewer_user(viewer)
    if u is None:
        return TalkRecord.objects.none()
    return TalkRecord.objects.filter(_full_q(u))


def talk_list_for_official(*, official: Any) -> QuerySet[TalkRecord]:
    """The talks held with ``official``, loading only the fields they may see."""
    u = viewer_user(official)
    if u is None:
        return TalkRecord.objects.none()
    return TalkRecord.objects.filter(official_id=u.pk).only(*OFFICIAL_FIELDS)


def talks_by_appointment(talks: Any) -> dict[int, TalkRecord]:
    """The talk that stands for each appointment among ``talks``: the live one (at most
    one, by the one-pre-appointment-talk constraint), a cancelled one only when the
    appointment has no other."""
    chosen: dict[int, TalkRecord] = {}
    for talk in talks:
        if talk.appointment_id is None:
            continue
        current = chosen.get(talk.appointment_id)
        if current is None or current.status == TalkStatus.CANCELLED:
            chosen[talk.appointment_id] = talk
    return chosen


def talk_access(*, viewer: Any, talk: TalkRecord) -> Access | None:
    """``"full"``, ``"official"`` or ``None`` for ``viewer`` on ``talk``."""
    u = viewer_user(viewer)
    if u is None:
        return None
    if talk.official_id == u.pk:
        return OFFICIAL
    if talk.recorder_id == u.pk:
        return FULL
    if any(talk.unit.path.startswith(p) for p in discipline_paths(viewer=u)):
        return FULL
    if TalkRecord.talkers.through.objects.filter(talkrecord_id=talk.pk, user_id=u.pk).exists():
        return FULL
    return None


def talk_get_for_viewer(*, viewer: Any, pk: int) -> tuple[TalkRecord, Access] | None:
    """The talk ``pk`` and the viewer's access to it, or ``None`` when it does not exist or
    the viewer may not see it (callers answer 404 either way)."""
    u = viewer_user(viewer)
    if u is None:
        return None
    talk = (
        TalkRecord.objects.select_related("official__unit", "unit", "appointment", "recorder")
        .filter(pk=pk)
        .first()
    )
    if talk is None:
        return None
    access = talk_access(viewer=u, talk=talk)
    if access is None:
        return None
    return talk, access


def talk_is_own(*, viewer: Any, pk: int) -> bool:
    """Whether talk ``pk`` was held with ``viewer`` (they get the official's view of it)."""
    u = viewer_user(viewer)
    return u is not None and TalkRecord.objects.filter(pk=pk, official_id=u.pk).exists()


def official_may_see_summary(*, talk: TalkRecord) -> bool:
    """The official sees the summary (and writes a statement) of pre-appointment talks only."""
    return talk.kind == TalkKind.PRE_APPOINTMENT


def talk_is_discipline_officer_for(*, viewer: Any, unit_path: str) -> bool:
    """Whether ``viewer`` may schedule talks for people in the unit at ``unit_path``."""
    u = viewer_user(viewer)
    return u is not None and any(unit_path.startswith(p) for p in discipline_paths(viewer=u))


# --- Choices for the forms (discipline officers) -------------------------------------


def talk_official_choices(*, viewer: Any) -> QuerySet[User]:
    """Active people in ``viewer``'s discipline subtrees, ``viewer`` excluded."""
    u = viewer_user(viewer)
    if u is None:
        return User.objects.none()
    return (
        User.objects.filter(discipline_people_q(viewer=u, field="unit__path"), is_active=True)
        .exclude(pk=u.pk)
        .select_related("unit")
        .order_by("unit__path", "full_name", "pk")
    )


def talk_talker_choices(*, viewer: Any) -> QuerySet[User]:
    """Who may hold a talk scheduled by ``viewer``: active people in their discipline
    subtrees, and themself."""
    u = viewer_user(viewer)
    if u is None:
        return User.objects.none()
    return (
        User.objects.filter(
            discipline_people_q(viewer=u, field="unit__path") | Q(pk=u.pk), is_active=True
        )
        .select_related("unit")
        .order_by("unit__path", "full_name", "pk")
    )


def talk_appointment_choices(*, viewer: Any) -> QuerySet[Appointment]:
    """Open appointments of people in ``viewer``'s discipline subtrees."""
    u = viewer_user(viewer)
    if u is None:
        return Appointment.objects.none()
    return (
        Appointment.objects.filter(
            discipline_people_q(viewer=u, field="person__unit__path"),
            status=AppointmentStatus.IN_PROGRESS,
        )
        .exclude(person_id=u.pk)
        .select_related("person")
        .order_by("person__full_name", "take_office_date", "pk")
    )


def talk_unit_choices(*, viewer: Any) -> QuerySet[OrgUnit]:
    """Units in ``viewer``'s discipline subtrees (the list's unit filter)."""
    u = viewer_user(viewer)
    if u is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(unit_paths_q(discipline_paths(viewer=u), "path")).order_by("path")


def talk_list_filtered(
    *,
    viewer: Any,
    kind: str = "",
    status: str = "",
    unit: OrgUnit | None = None,
    name: str = "",
) -> QuerySet[TalkRecord]:
    """:func:`talk_list_visible` narrowed by kind, status, unit subtree and the official's
    name, with what the list shows loaded (no internal text)."""
    qs = talk_list_visible(viewer=viewer)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if name:
        qs = qs.filter(official__full_name__icontains=name.strip())
    return (
        qs.select_related("official", "unit")
        .defer("outline", "content", "summary", "official_statement", "closure_note")
        .order_by("-scheduled_at", "-pk")
    )
