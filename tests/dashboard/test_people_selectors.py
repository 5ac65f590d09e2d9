"""The drill-down lists: each ``show`` filter lists exactly the people the figures count
(the hand-counted data set of ``factories.py``), nobody outside the viewer's scope, the
per-person annotations, the required-course list, and one query per page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from dashboard.filters import ENROLMENT_FILTERS, PEOPLE_FILTERS, DashboardFilters
from dashboard.selectors.metrics import dashboard_build
from dashboard.selectors.people import dashboard_enrolments, dashboard_people

from .factories import EXPECTED_PEOPLE, dashboard_world

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
TODAY = datetime.date(YEAR, 6, 15)


@pytest.fixture
def world(org):
    return dashboard_world(org, today=TODAY, year=YEAR)


def filters(unit, show="all", status="all", year=YEAR):
    return DashboardFilters(year=year, unit=unit, show=show, status=status, today=TODAY)


def names(qs) -> list[str]:
    return [p.full_name for p in qs]


def test_every_filter_lists_the_hand_counted_people(world, org):
    assert set(EXPECTED_PEOPLE) == set(PEOPLE_FILTERS)
    for show, codes in EXPECTED_PEOPLE.items():
        got = list(dashboard_people(viewer=org.city_admin, filters=filters(org.city, show)))
        assert sorted(p.pk for p in got) == sorted(p.pk for p in world.people(*codes)), show


def test_list_lengths_agree_with_the_figures(world, org):
    for unit, viewer in (
        (org.city, org.city_admin),
        (org.finance, org.finance_admin),
        (org.finance_budget, org.finance_admin),
        (org.housing, org.housing_admin),
    ):
        total = dashboard_build(viewer=viewer, filters=filters(unit)).total

        def count(show: str, unit=unit, viewer=viewer) -> int:
            return dashboard_people(viewer=viewer, filters=filters(unit, show)).count()

        assert count("all") == total.people
        assert count("overdue") == total.overdue_people
        assert count("hours_short") == total.hours_people - total.hours_met
        assert count("appointee_overdue") == total.appointees_overdue
        assert count("appointee_pending") == total.appointees_pending + total.appointees_overdue
        people = dashboard_people(viewer=viewer, filters=filters(unit, "certified"))
        assert sum(p.certificate_count for p in people) == total.certificates
        everyone = list(dashboard_people(viewer=viewer, filters=filters(unit)))
        assert sum(p.req_total for p in everyone) == total.required
        assert sum(p.req_done for p in everyone) == total.completed
        assert sum(p.req_overdue for p in everyone) == total.overdue
        assert sum(p.att_expected for p in everyone) == total.attendance_expected
        assert sum(p.att_attended for p in everyone) == total.attendance_attended
        assert sum(p.quiz_taken for p in everyone) == total.quiz_taken
        assert sum(p.quiz_passed for p in everyone) == total.quiz_passed
        enrolments = dashboard_enrolments(viewer=viewer, filters=filters(unit))
        assert enrolments.count() == total.required


def test_rows_drill_down_to_the_same_numbers(world, org):
    d = dashboard_build(viewer=org.city_admin, filters=filters(org.city))
    finance_row = d.rows[0]
    assert finance_row.unit_pk == org.finance.pk
    overdue = dashboard_people(viewer=org.city_admin, filters=filters(org.finance, "overdue"))
    assert overdue.count() == finance_row.overdue_people == 2


def test_names_outside_the_scope_never_appear(world, org):
    housing_people = {p.pk for p in world.people("HA", "H1", "H2", "X")}
    for show in PEOPLE_FILTERS:
        got = {
            p.pk
            for p in dashboard_people(viewer=org.finance_admin, filters=filters(org.finance, show))
        }
        # H2 is an appointee to a finance post: listed for finance under the appointee
        # filters (the figure counts the appointment by the post's unit), never otherwise.
        if show == "appointee_pending":
            assert got & housing_people == {world.qian.pk}
        else:
            assert not got & housing_people, show
    enrolments = dashboard_enrolments(viewer=org.finance_admin, filters=filters(org.finance))
    assert not {e.user_id for e in enrolments} & housing_people
    for fn in (dashboard_people, dashboard_enrolments):
        with pytest.raises(Http404):
            fn(viewer=org.finance_admin, filters=filters(org.housing))
        with pytest.raises(Http404):
            fn(viewer=org.housing_admin, filters=filters(org.finance_budget))
        with pytest.raises(Http404):
            fn(viewer=org.trainer, filters=filters(org.city))


def test_annotations_of_two_people(world, org):
    people = {p.pk: p for p in dashboard_people(viewer=org.city_admin, filters=filters(org.city))}
    f1 = people[org.finance_learner.pk]
    assert (f1.req_total, f1.req_done, f1.req_overdue) == (2, 1, 1)
    assert (f1.hours_done, f1.hours_required) == (Decimal(21), Decimal(20))
    assert (f1.integrity_done, f1.integrity_required) == (Decimal(15), Decimal(5))
    assert (f1.att_expected, f1.att_attended) == (2, 2)
    assert (f1.quiz_taken, f1.quiz_passed) == (1, 1)
    assert f1.appointment_take_office is None  # cleared
    assert f1.certificate_count == 2
    assert f1.unit == org.finance and f1.rank_level.code == "KY"

    b1 = people[org.budget_learner.pk]
    assert (b1.req_total, b1.req_done, b1.req_overdue) == (2, 1, 1)
    assert (b1.hours_done, b1.hours_required) == (Decimal(50), Decimal(50))
    assert (b1.att_expected, b1.att_attended) == (2, 1)
    assert (b1.quiz_taken, b1.quiz_passed) == (1, 0)
    assert b1.appointment_take_office == TODAY + datetime.timedelta(days=10)
    assert b1.certificate_count == 0  # revoked


def test_order_is_unit_then_name(world, org):
    got = list(dashboard_people(viewer=org.city_admin, filters=filters(org.city)))
    keys = [(p.unit.path, p.full_name, p.pk) for p in got]
    assert keys == sorted(keys)


def test_enrolment_filters(world, org):
    assert set(ENROLMENT_FILTERS) == {"all", "overdue", "open", "completed"}

    def pairs(status: str) -> set[tuple[str, str]]:
        qs = dashboard_enrolments(viewer=org.city_admin, filters=filters(org.city, status=status))
        return {(e.user.full_name, e.course.slug) for e in qs}

    f1, fa, b1, b2, h1, h2, ca = (
        p.full_name for p in world.people("F1", "FA", "B1", "B2", "H1", "H2", "CA")
    )
    assert pairs("overdue") == {
        (f1, "dash-course-2"),
        (b1, "dash-course-1"),
        (h1, "dash-course-1"),
        (h1, "dash-course-2"),
    }
    assert pairs("completed") == {
        (f1, "dash-course-1"),
        (b1, "dash-course-2"),
        (b2, "dash-course-1"),
        (ca, "dash-course-1"),
    }
    assert pairs("open") == pairs("overdue") | {(fa, "dash-course-1"), (h2, "dash-course-2")}
    assert pairs("all") == pairs("open") | pairs("completed")
    qs = list(dashboard_enrolments(viewer=org.city_admin, filters=filters(org.city)))
    keys = [(e.user.unit.path, e.user.full_name) for e in qs]
    assert keys == sorted(keys)


def test_a_page_of_people_is_one_query(world, org, django_assert_num_queries):
    viewer = org.city_admin
    dashboard_people(viewer=viewer, filters=filters(org.city))  # roles cached on the viewer
    for show in PEOPLE_FILTERS:
        qs = dashboard_people(viewer=viewer, filters=filters(org.city, show))
        with django_assert_num_queries(1):
            page = list(qs[:50])
            for p in page:
                assert p.unit.name and p.rank_level.name
    with django_assert_num_queries(1):
        rows = list(dashboard_enrolments(viewer=viewer, filters=filters(org.city))[:50])
        for e in rows:
            assert e.user.unit.name and e.course.title
    with django_assert_num_queries(1):
        assert len(list(dashboard_people(viewer=viewer, filters=filters(org.city)).iterator()))


def test_last_year(world, org):
    people = dashboard_people(viewer=org.city_admin, filters=filters(org.city, year=YEAR - 1))
    by = {p.pk: p for p in people}
    assert by[world.qian.pk].req_total == 1  # undated enrolment of Y-1
    assert by[org.finance_learner.pk].hours_done == Decimal(5)
    certified = dashboard_people(
        viewer=org.city_admin, filters=filters(org.city, "certified", year=YEAR - 1)
    )
    assert [p.pk for p in certified] == [org.housing_learner.pk]
