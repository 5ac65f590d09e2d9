"""The clean-government file (廉政档案) of one official: everything the platform knows
about their integrity education and supervision, gathered for a page or a PDF.

Who sees a file: the official (their own, with the limited view of talks that
``talks.selectors.records`` gives them) and discipline officers whose subtree holds the
official's unit (with the talks they may see in full). Nobody else: not superusers
without the discipline role, not unit admins. Every section is loaded with a fixed number
of queries, whatever the number of records in it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from certificates.models import Certificate
from certificates.selectors.holder import certificate_list_for_holder
from courses.models import CourseCompletion, StudyHourEntry
from events.models import Attendance
from people.models import User
from people.selectors import viewer_user
from quizzes.models import Attempt, AttemptStatus

from ..models import Appointment, PledgeSignature, TalkRecord
from .records import talk_list_for_official, talk_list_visible
from .scope import discipline_covers


@dataclass
class HoursYear:
    year: int
    total: Decimal
    integrity: Decimal
    required: Decimal
    entries: int


@dataclass
class IntegrityFile:
    person: User
    #: True when the official reads their own file (talks in the official's view).
    own: bool
    generated_at: datetime.datetime
    hours_by_year: list[HoursYear] = field(default_factory=list)
    completions: list[CourseCompletion] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    attendance: list[Attendance] = field(default_factory=list)
    talks: list[TalkRecord] = field(default_factory=list)
    signatures: list[PledgeSignature] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    #: Certificates (证书): current ones first, then superseded and revoked ones, each with
    #: ``state`` and ``state_label``.
    certificates: list[Certificate] = field(default_factory=list)


def file_person_for_viewer(*, viewer: Any, person_id: int) -> User | None:
    """The official ``person_id`` if ``viewer`` may open their file (themself, or a
    discipline officer covering them); ``None`` otherwise (answer 404)."""
    u = viewer_user(viewer)
    if u is None:
        return None
    person = User.objects.select_related("unit", "rank_level").filter(pk=person_id).first()
    if person is None:
        return None
    if person.pk == u.pk or discipline_covers(viewer=u, person=person):
        return person
    return None


def _hours_by_year(person: User) -> list[HoursYear]:
    rows = (
        StudyHourEntry.objects.filter(user_id=person.pk)
        .values("year")
        .annotate(
            total=Sum("hours"),
            integrity=Sum("hours", filter=Q(integrity=True)),
            required=Sum("hours", filter=Q(required=True)),
            entries=Count("id"),
        )
        .order_by("-year")
    )
    zero = Decimal("0")
    return [
        HoursYear(
            year=r["year"],
            total=r["total"] or zero,
            integrity=r["integrity"] or zero,
            required=r["required"] or zero,
            entries=r["entries"],
        )
        for r in rows
    ]


def _talks(viewer: User, person: User) -> list[TalkRecord]:
    if viewer.pk == person.pk:
        return list(talk_list_for_official(official=person).order_by("-scheduled_at", "-id"))
    return list(
        talk_list_visible(viewer=viewer)
        .filter(official_id=person.pk)
        .prefetch_related("talkers")
        .order_by("-scheduled_at", "-id")
    )


def _certificates(person: User) -> list[Certificate]:
    held = certificate_list_for_holder(user=person)
    return [*held.current, *held.past]


def file_build(*, viewer: User, person: User) -> IntegrityFile:
    """Everything in ``person``'s file as ``viewer`` may see it. The caller has checked
    access with :func:`file_person_for_viewer` (or ``person`` is the viewer)."""
    return IntegrityFile(
        person=person,
        own=viewer.pk == person.pk,
        generated_at=timezone.localtime(),
        hours_by_year=_hours_by_year(person),
        completions=list(
            CourseCompletion.objects.filter(user_id=person.pk)
            .select_related("course")
            .order_by("-completed_at", "-id")
        ),
        attempts=list(
            Attempt.objects.filter(
                user_id=person.pk, status=AttemptStatus.SUBMITTED, score__isnull=False
            )
            .select_related("quiz")
            .order_by("-submitted_at", "-id")
        ),
        attendance=list(
            Attendance.objects.filter(user_id=person.pk)
            .select_related("event")
            .order_by("-event__starts_at", "-id")
        ),
        talks=_talks(viewer, person),
        signatures=list(
            PledgeSignature.objects.filter(user_id=person.pk)
            .select_related("text", "appointment")
            .order_by("-signed_at", "-id")
        ),
        appointments=list(
            Appointment.objects.filter(person_id=person.pk)
            .select_related("unit", "rank_level")
            .prefetch_related("steps")
            .order_by("-decision_date", "-id")
        ),
        certificates=_certificates(person),
    )
