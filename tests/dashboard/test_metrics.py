"""Every figure of the dashboard against the hand-counted data set of
``tests/dashboard/factories.py`` (the counting is written out there), for the city and
the finance bureau, this year and last year; scope (404 outside it); and a number of
queries that does not grow with the data."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone, translation

from dashboard.filters import DashboardFilters
from dashboard.selectors.metrics import Figures, dashboard_build, rate
from people.factories import UserFactory, rank, unit_create
from people.models import Role
from people.services import role_grant

from .factories import (
    EXPECTED,
    EXPECTED_HOURS_BUCKETS,
    EXPECTED_QUIZ_BUCKETS,
    EXPECTED_SERIES,
    EXPECTED_SERIES_FINANCE,
    FIELDS,
    dashboard_world,
)

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
TODAY = datetime.date(YEAR, 6, 15)


@pytest.fixture
def world(org):
    return dashboard_world(org, today=TODAY, year=YEAR)


def filters(unit, year=YEAR, today=TODAY):
    return DashboardFilters(year=year, unit=unit, today=today)


def figures(row: Figures) -> dict:
    return {name: getattr(row, name) for name in FIELDS}


def test_city_rows_and_total_match_the_hand_count(world, org):
    d = dashboard_build(viewer=org.city_admin, filters=filters(org.city))
    assert [(r.unit_pk, r.name, r.own) for r in d.rows] == [
        (org.finance.pk, org.finance.name, False),
        (org.housing.pk, org.housing.name, False),
        (org.city.pk, org.city.name, True),
    ]
    assert [r.has_children for r in d.rows] == [True, True, False]
    assert d.total.unit_pk is None and d.total.has_children
    assert figures(d.rows[0]) == EXPECTED["city/finance"]
    assert figures(d.rows[1]) == EXPECTED["city/housing"]
    assert figures(d.rows[2]) == EXPECTED["city/own"]
    assert figures(d.total) == EXPECTED["city/total"]
    assert (d.year, d.unit, d.today) == (YEAR, org.city, TODAY)


def test_rates_and_averages(world, org):
    d = dashboard_build(viewer=org.city_admin, filters=filters(org.city))
    finance, housing, own = d.rows
    total = d.total
    # completion 3/6, 0/3, 1/1, 4/10
    assert [r.completion_rate for r in (finance, housing, own, total)] == [50, 0, 100, 40]
    # pass 2/3 = 66.7 -> 67; 2/2; 1/1; 5/6 = 83.3 -> 83
    assert [r.pass_rate for r in (finance, housing, own, total)] == [67, 100, 100, 83]
    # averages: 230/3 = 76.67 -> 76.7; 128.9/2 = 64.45 -> 64.5 (half up); 75.5; 434.4/6
    assert [r.quiz_average for r in (finance, housing, own, total)] == [
        Decimal("76.7"),
        Decimal("64.5"),
        Decimal("75.5"),
        Decimal("72.4"),
    ]
    # attendance 4/6 = 66.7 -> 67; 2/3 -> 67; 0/1; 6/10
    assert [r.attendance_rate for r in (finance, housing, own, total)] == [67, 67, 0, 60]
    # actions 3/4 = 75; 1/2 = 50; 0/2; 4/8
    assert [r.actions_rate for r in (finance, housing, own, total)] == [75, 50, 0, 50]
    # hours 2/5 = 40; 0/3; 0/2; 2/10
    assert [r.hours_rate for r in (finance, housing, own, total)] == [40, 0, 0, 20]
    assert rate(5, 8) == 63 and rate(1, 8) == 13 and rate(0, 0) is None
    empty = Figures(unit_pk=None, name="", path="")
    assert empty.quiz_average is None and empty.completion_rate is None


def test_charts(world, org):
    d = dashboard_build(viewer=org.city_admin, filters=filters(org.city))
    assert [b.count for b in d.hours_buckets] == EXPECTED_HOURS_BUCKETS
    assert [b.count for b in d.quiz_buckets] == EXPECTED_QUIZ_BUCKETS
    with translation.override("en"):
        assert [str(b.label) for b in d.hours_buckets] == [
            "0 %",
            "1–49 %",
            "50–99 %",
            "≥ 100 %",
        ]
        assert [str(b.label) for b in d.quiz_buckets] == [
            "<60",
            "60–69",
            "70–79",
            "80–89",
            "90–100",
        ]
    series = [(p.title[:2], p.expected, p.attended) for p in d.attendance_series]
    assert series == EXPECTED_SERIES
    assert [p.rate for p in d.attendance_series] == [50, 75]
    assert d.attendance_series[0].pk == world.events["E1"].pk
    assert d.attendance_series[0].starts_at == world.events["E1"].starts_at


def test_finance_admin_sees_budget_and_own_rows(world, org):
    d = dashboard_build(viewer=org.finance_admin, filters=filters(org.finance))
    assert [(r.unit_pk, r.own) for r in d.rows] == [
        (org.finance_budget.pk, False),
        (org.finance.pk, True),
    ]
    assert [r.has_children for r in d.rows] == [False, False]
    assert figures(d.rows[0]) == EXPECTED["finance/budget"]
    assert figures(d.rows[1]) == EXPECTED["finance/own"]
    assert figures(d.total) == EXPECTED["finance/total"]
    # The same numbers as the finance row of the city's dashboard.
    assert figures(d.total) == EXPECTED["city/finance"]
    series = [(p.title[:2], p.expected, p.attended) for p in d.attendance_series]
    assert series == EXPECTED_SERIES_FINANCE
    # Budget: B1 58.9? no — B1 55 (<60), B2 95; own: F1 80.
    assert [b.count for b in d.quiz_buckets] == [1, 0, 0, 1, 1]
    # Budget: B1 100 %+, B2 100 %+; own: F1 100 %+, FA 20 %, D 0 %.
    assert [b.count for b in d.hours_buckets] == [1, 1, 0, 3]


def test_a_unit_without_direct_members_has_no_own_row(world, org):
    d = dashboard_build(viewer=org.housing_admin, filters=filters(org.housing_office))
    # housing_office has no sub-units: no rows but the own one (H1, H2).
    assert [(r.unit_pk, r.own) for r in d.rows] == [(org.housing_office.pk, True)]
    assert not d.total.has_children
    assert (d.total.people, d.total.required, d.total.overdue) == (2, 3, 2)
    sub = unit_create(code="ZJJ-BGS-1", name="文书组", parent=org.housing_office)
    d = dashboard_build(viewer=org.housing_admin, filters=filters(org.housing_office))
    assert d.total.has_children
    assert [(r.unit_pk, r.people, r.own) for r in d.rows] == [
        (sub.pk, 0, False),
        (org.housing_office.pk, 2, True),
    ]
    # An empty unit: nobody, and no own row.
    d = dashboard_build(viewer=org.housing_admin, filters=filters(sub))
    assert d.rows == [] and d.total.people == 0 and d.total.completion_rate is None


def test_last_year_gives_last_years_numbers(world, org):
    d = dashboard_build(viewer=org.city_admin, filters=filters(org.city, year=YEAR - 1))
    assert figures(d.total) == EXPECTED["last/total"]
    assert [p.title[:2] for p in d.attendance_series] == ["E0"]
    # F1 5 h of 20 (1–49 %), everyone else 0 %.
    assert [b.count for b in d.hours_buckets] == [9, 1, 0, 0]
    assert [b.count for b in d.quiz_buckets] == [0, 0, 0, 0, 1]
    assert figures(d.total) != figures(
        dashboard_build(viewer=org.city_admin, filters=filters(org.city)).total
    )


def test_overdue_depends_on_today(world, org):
    # A day later than TODAY + 1: the enrolments due "soon" are overdue too (FA c1, H2 c2;
    # B2 c1 is completed), and B1's take-office date is still ahead (TODAY + 10).
    later = TODAY + datetime.timedelta(days=2)
    d = dashboard_build(viewer=org.city_admin, filters=filters(org.city, today=later))
    assert (d.total.overdue, d.total.overdue_people) == (6, 5)
    assert (d.total.appointees_pending, d.total.appointees_overdue) == (2, 1)
    much_later = TODAY + datetime.timedelta(days=11)
    d = dashboard_build(viewer=org.city_admin, filters=filters(org.city, today=much_later))
    # H2 takes office at TODAY + 3, B1 at TODAY + 10: both overdue now.
    assert (d.total.appointees_pending, d.total.appointees_overdue) == (0, 3)


def test_scope_housing_admin_gets_404_for_finance(world, org):
    with pytest.raises(Http404):
        dashboard_build(viewer=org.housing_admin, filters=filters(org.finance))
    with pytest.raises(Http404):
        dashboard_build(viewer=org.finance_admin, filters=filters(org.city))
    with pytest.raises(Http404):
        dashboard_build(viewer=org.trainer, filters=filters(org.city))
    with pytest.raises(Http404):
        dashboard_build(viewer=org.finance_learner, filters=filters(org.finance))


def test_discipline_officer_and_unit_leader_see_their_scope(world, org):
    d = dashboard_build(viewer=org.discipline, filters=filters(org.finance))
    assert figures(d.total) == EXPECTED["finance/total"]
    role_grant(user=org.housing_learner, role=Role.UNIT_LEADER, unit=org.housing)
    d = dashboard_build(viewer=org.housing_learner, filters=filters(org.housing))
    assert figures(d.total) == EXPECTED["city/housing"]


def test_superuser_sees_everything(world, org):
    d = dashboard_build(viewer=org.superuser, filters=filters(org.city))
    assert figures(d.total) == EXPECTED["city/total"]
    d = dashboard_build(viewer=org.superuser, filters=filters(org.housing))
    assert figures(d.total) == EXPECTED["city/housing"]


def _grow(org, n: int) -> None:
    """Add ``n`` sub-units under housing_office's sibling tree with a person each, with
    an enrolment, an attempt, a registration, ledger hours, an appointment and a
    certificate: more rows and more people, the same kinds of records."""
    from certificates.factories import CertificateFactory
    from courses.models import CoursePage, Enrolment, StudyHourEntry
    from events.models import Event, Registration
    from quizzes.models import Attempt, Quiz
    from talks.factories import AppointmentFactory

    course = CoursePage.objects.get(slug="dash-course-1")
    quiz = Quiz.objects.get(slug="dash-quiz-1")
    event = Event.objects.get(title__startswith="E1")
    for i in range(n):
        unit = unit_create(code=f"GROW-{n}-{i}", name=f"科室{i}", parent=org.city)
        person = UserFactory(unit=unit, rank_level=rank("KY"))
        Enrolment.objects.create(user=person, course=course, due_date=TODAY, required=True)
        Attempt.objects.create(
            quiz=quiz,
            user=person,
            number=1,
            status="submitted",
            submitted_at=timezone.make_aware(datetime.datetime(YEAR, 3, 1)),
            max_score=100,
            percent=70,
            passed=True,
        )
        Registration.objects.create(event=event, user=person)
        StudyHourEntry.objects.create(
            user=person, year=YEAR, hours=3, source="other", source_key="g", title="学习"
        )
        AppointmentFactory(
            person=person,
            unit=unit,
            rank_level=rank("KY"),
            decision_date=TODAY,
            take_office_date=TODAY,
        )
        CertificateFactory(user=person)


def test_query_count_is_constant(world, org, django_assert_num_queries):
    viewer = org.city_admin
    dashboard_build(viewer=viewer, filters=filters(org.city))  # the viewer's roles cached
    with django_assert_num_queries(11):
        small = dashboard_build(viewer=viewer, filters=filters(org.city))
    _grow(org, 3)
    with django_assert_num_queries(11):
        big = dashboard_build(viewer=viewer, filters=filters(org.city))
    assert len(big.rows) == len(small.rows) + 3
    assert big.total.people == small.total.people + 3
    assert big.total.required == small.total.required + 1 * 3
    assert big.total.appointees_pending == small.total.appointees_pending + 3


def test_without_a_default_requirement_only_ranks_with_one_count(world, org):
    from courses.models import StudyRequirement

    StudyRequirement.objects.filter(rank_level__isnull=True).delete()
    d = dashboard_build(viewer=org.city_admin, filters=filters(org.city))
    # Only KY has a requirement: F1, B2, H1, H2 (X inactive). Met: F1.
    assert (d.total.hours_people, d.total.hours_met) == (4, 1)
    # F1 100 %+, B2 100 %+, H1 50–99 %, H2 1–49 %.
    assert [b.count for b in d.hours_buckets] == [0, 1, 1, 2]
