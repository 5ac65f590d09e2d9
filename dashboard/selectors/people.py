"""The people and the required courses behind the dashboard's figures (drill-down pages
and their exports). The filters use the same definitions as ``metrics`` (its module doc),
so a row's number and the length of the list its link opens agree:

* ``overdue``: people with at least one overdue required enrolment of Y
  (= ``overdue_people``);
* ``incomplete``: people with at least one required enrolment of Y not completed;
* ``hours_short``: people with a requirement who have not met it
  (= ``hours_people - hours_met``);
* ``absent``: people expected at a started education-month event of Y who missed at
  least one (expected > attended);
* ``quiz_failed``: people with a (person, quiz) pair of Y without a passing attempt;
* ``appointee_pending``: people with an appointment in progress to a unit of the subtree,
  whatever the take-office date (= ``appointees_pending + appointees_overdue`` when nobody
  has two); ``appointee_overdue``: the take-office date has passed (= ``appointees_overdue``).
  These two lists go by the appointment's unit, like the figures, so an appointee whose own
  unit lies elsewhere is listed under the unit of the new post;
* ``certified``: people with at least one certificate of Y (their ``certificate_count``
  annotations add up to the row's ``certificates``).

Each person's figures are correlated subqueries: a page of people is one query, and the
whole list streams with ``.iterator()``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from certificates.models import Certificate
from courses.models import Enrolment
from events.models import Registration
from people.models import User
from quizzes.models import Attempt
from talks.models import Appointment, AppointmentStatus

from ..filters import DashboardFilters
from .metrics import (
    attended_exists,
    dashboard_check,
    held_registrations_q,
    hours_annotations,
    hours_short_q,
    in_year_q,
    overdue_q,
    people_q,
    quiz_attempts_q,
    required_enrolments_q,
    requirement_annotations,
)

_INT: Any = IntegerField()


def _count(qs: QuerySet[Any], expr: Any = None) -> Coalesce:
    """The number of rows of ``qs`` (filtered on ``OuterRef("pk")``) as a subquery."""
    sub = qs.order_by().values("user_id").annotate(c=expr or Count("pk")).values("c")
    return Coalesce(Subquery(sub, output_field=_INT), Value(0), output_field=_INT)


def _in_progress(filters: DashboardFilters) -> QuerySet[Appointment]:
    return Appointment.objects.filter(
        person_id=OuterRef("pk"),
        status=AppointmentStatus.IN_PROGRESS,
        unit__path__startswith=filters.unit.path,
    )


def dashboard_people(*, viewer: object, filters: DashboardFilters) -> QuerySet[User]:
    """The active people of ``filters.unit``'s subtree matching ``filters.show`` (see the
    module doc), each with their figures of ``filters.year``: ``req_total``, ``req_done``,
    ``req_overdue``, ``hours_done``, ``hours_required`` (None: no requirement),
    ``integrity_done``, ``integrity_required``, ``att_expected``, ``att_attended``,
    ``quiz_taken``, ``quiz_passed``, ``appointment_take_office`` (the earliest appointment
    in progress to a unit of the subtree), ``certificate_count`` (``certificates`` would
    clash with the reverse relation ``User.certificates``). Ordered by unit, then name.
    404 when the unit is outside the viewer's scope."""
    dashboard_check(viewer=viewer, unit=filters.unit)
    year, today, show = filters.year, filters.today, filters.show
    now = timezone.now()
    mine = Q(user_id=OuterRef("pk"))
    enrolments = Enrolment.objects.filter(mine & required_enrolments_q(year))
    registrations = Registration.objects.filter(mine & held_registrations_q(year, now))
    attempts = Attempt.objects.filter(mine & quiz_attempts_q(year))
    certificates = Certificate.objects.filter(
        mine & in_year_q("issued_at", year), is_current=True, revoked_at__isnull=True
    )
    in_progress = _in_progress(filters)

    if show in ("appointee_pending", "appointee_overdue"):
        wanted = in_progress
        if show == "appointee_overdue":
            wanted = wanted.filter(take_office_date__lt=today)
        qs = User.objects.filter(Exists(wanted), is_active=True)
    else:
        qs = User.objects.filter(people_q(filters.unit))

    qs = qs.annotate(
        req_total=_count(enrolments),
        req_done=_count(enrolments.filter(completed_at__isnull=False)),
        req_overdue=_count(enrolments.filter(overdue_q(today))),
        **hours_annotations(year),
        **requirement_annotations(),
        att_expected=_count(registrations),
        att_attended=_count(registrations.filter(attended_exists())),
        quiz_taken=_count(attempts, Count("quiz_id", distinct=True)),
        quiz_passed=_count(attempts.filter(passed=True), Count("quiz_id", distinct=True)),
        appointment_take_office=Subquery(
            in_progress.order_by("take_office_date").values("take_office_date")[:1]
        ),
        certificate_count=_count(certificates),
    )

    if show == "overdue":
        qs = qs.filter(Q(req_overdue__gt=0))
    elif show == "incomplete":
        qs = qs.filter(Q(req_total__gt=0, req_done__lt=F("req_total")))
    elif show == "hours_short":
        qs = qs.filter(hours_short_q())
    elif show == "absent":
        qs = qs.filter(Q(att_attended__lt=F("att_expected")))
    elif show == "quiz_failed":
        qs = qs.filter(Q(quiz_passed__lt=F("quiz_taken")))
    elif show == "certified":
        qs = qs.filter(Q(certificate_count__gt=0))
    return qs.select_related("unit", "rank_level").order_by("unit__path", "full_name", "pk")


ENROLMENT_STATUS_Q = {
    "all": Q(),
    "completed": Q(completed_at__isnull=False),
    "open": Q(completed_at__isnull=True),
}


def dashboard_enrolments(*, viewer: object, filters: DashboardFilters) -> QuerySet[Enrolment]:
    """The required enrolments of ``filters.year`` of the active people of the subtree
    (definition 1 of ``metrics``), by ``filters.status``: all, overdue, open (not
    completed) or completed. Ordered by unit, person, due date. 404 outside the scope."""
    dashboard_check(viewer=viewer, unit=filters.unit)
    qs = Enrolment.objects.filter(
        required_enrolments_q(filters.year), people_q(filters.unit, "user__")
    )
    if filters.status == "overdue":
        qs = qs.filter(overdue_q(filters.today))
    else:
        qs = qs.filter(ENROLMENT_STATUS_Q.get(filters.status, Q()))
    return qs.select_related("user", "user__unit", "course").order_by(
        "user__unit__path", "user__full_name", "due_date", "pk"
    )
