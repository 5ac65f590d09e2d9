"""Who may open the dashboard and for which units (``dashboard.selectors.scope``), and
how the filters are read from a query string (``dashboard.filters``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, QueryDict
from django.utils import timezone

from dashboard.filters import DashboardFilters, filters_from_params, year_choices
from dashboard.selectors.scope import (
    DASHBOARD_ROLES,
    dashboard_breadcrumbs,
    dashboard_root_units,
    dashboard_scope_paths,
    dashboard_unit_allowed,
    dashboard_unit_get,
    dashboard_units_in_scope,
)
from people.factories import unit_create
from people.models import Role
from people.services import role_grant

pytestmark = pytest.mark.django_db


def test_roles():
    assert set(DASHBOARD_ROLES) == {Role.UNIT_ADMIN, Role.UNIT_LEADER, Role.DISCIPLINE_OFFICER}


def test_scope_paths_by_role(org):
    assert dashboard_scope_paths(viewer=org.finance_admin) == [org.finance.path]
    assert dashboard_scope_paths(viewer=org.discipline) == [org.finance.path]
    assert dashboard_scope_paths(viewer=org.city_admin) == [org.city.path]
    assert dashboard_scope_paths(viewer=org.trainer) == []
    assert dashboard_scope_paths(viewer=org.finance_learner) == []
    assert dashboard_scope_paths(viewer=AnonymousUser()) == []
    assert dashboard_scope_paths(viewer=None) == []
    assert dashboard_scope_paths(viewer=org.superuser) is None


def test_unit_leader(org):
    leader = org.housing_learner
    role_grant(user=leader, role=Role.UNIT_LEADER, unit=org.housing)
    assert dashboard_scope_paths(viewer=leader) == [org.housing.path]
    assert dashboard_unit_allowed(viewer=leader, unit=org.housing_office)
    assert not dashboard_unit_allowed(viewer=leader, unit=org.finance)


def test_a_person_with_two_role_units(org):
    person = org.housing_admin
    role_grant(user=person, role=Role.UNIT_LEADER, unit=org.finance_budget)
    assert dashboard_scope_paths(viewer=person) == sorted(
        [org.housing.path, org.finance_budget.path]
    )
    assert [u.pk for u in dashboard_root_units(viewer=person)] == [
        org.finance_budget.pk,
        org.housing.pk,
    ]
    assert dashboard_unit_allowed(viewer=person, unit=org.finance_budget)
    assert not dashboard_unit_allowed(viewer=person, unit=org.finance)
    assert [u.pk for u in dashboard_units_in_scope(viewer=person)] == [
        org.finance_budget.pk,
        org.housing.pk,
        org.housing_office.pk,
    ]
    # Without a unit: the first unit at the top of the scope, in tree order.
    assert dashboard_unit_get(viewer=person, pk=None) == org.finance_budget
    # Breadcrumbs never climb above the scope.
    assert dashboard_breadcrumbs(viewer=person, unit=org.finance_budget) == [org.finance_budget]


def test_a_unit_inside_another_adds_nothing(org):
    role_grant(user=org.city_admin, role=Role.DISCIPLINE_OFFICER, unit=org.finance)
    assert dashboard_scope_paths(viewer=org.city_admin) == [org.city.path]


def test_root_units_and_units_in_scope(org):
    assert dashboard_root_units(viewer=org.city_admin) == [org.city]
    assert dashboard_root_units(viewer=org.superuser) == [org.city]
    assert dashboard_root_units(viewer=org.trainer) == []
    assert list(dashboard_units_in_scope(viewer=org.finance_admin)) == [
        org.finance,
        org.finance_budget,
    ]
    closed = unit_create(code="CZJ-OLD", name="撤销科", parent=org.finance)
    closed.is_active = False
    closed.save()
    assert closed not in list(dashboard_units_in_scope(viewer=org.finance_admin))
    assert dashboard_unit_get(viewer=org.finance_admin, pk=closed.pk) is None
    assert len(dashboard_units_in_scope(viewer=org.superuser)) == 5
    assert not dashboard_units_in_scope(viewer=org.trainer).exists()


def test_unit_get(org):
    fa = org.finance_admin
    assert dashboard_unit_get(viewer=fa, pk=None) == org.finance
    assert dashboard_unit_get(viewer=fa, pk=org.finance_budget.pk) == org.finance_budget
    assert dashboard_unit_get(viewer=fa, pk=org.housing.pk) is None
    assert dashboard_unit_get(viewer=fa, pk=org.city.pk) is None
    assert dashboard_unit_get(viewer=fa, pk=999_999) is None
    assert dashboard_unit_get(viewer=org.trainer, pk=None) is None
    assert dashboard_unit_get(viewer=org.superuser, pk=org.housing.pk) == org.housing


def test_breadcrumbs(org):
    assert dashboard_breadcrumbs(viewer=org.finance_admin, unit=org.finance_budget) == [
        org.finance,
        org.finance_budget,
    ]
    assert dashboard_breadcrumbs(viewer=org.city_admin, unit=org.finance_budget) == [
        org.city,
        org.finance,
        org.finance_budget,
    ]
    assert dashboard_breadcrumbs(viewer=org.finance_admin, unit=org.finance) == [org.finance]


# --- filters_from_params -----------------------------------------------------------------


def test_defaults(org):
    f = filters_from_params(viewer=org.finance_admin, params=QueryDict(""))
    today = timezone.localdate()
    assert (f.year, f.unit, f.show, f.status, f.today) == (
        today.year,
        org.finance,
        "all",
        "all",
        today,
    )


@pytest.mark.parametrize("year", ["abc", "1999", "", "3000", "2026.5"])
def test_a_bad_year_is_this_year(org, year):
    f = filters_from_params(viewer=org.finance_admin, params={"year": year})
    assert f.year == timezone.localdate().year


def test_a_past_year_in_the_picker_is_kept(org):
    last = timezone.localdate().year - 1
    assert last in year_choices()
    f = filters_from_params(viewer=org.finance_admin, params=QueryDict(f"year={last}"))
    assert f.year == last


@pytest.mark.parametrize("unit", ["abc", "1e3", "-", " "])
def test_a_non_numeric_unit_is_404(org, unit):
    with pytest.raises(Http404):
        filters_from_params(viewer=org.finance_admin, params={"unit": unit})


def test_a_unit_outside_the_scope_or_missing_is_404(org):
    for pk in (org.housing.pk, org.city.pk, 999_999):
        with pytest.raises(Http404):
            filters_from_params(viewer=org.finance_admin, params={"unit": str(pk)})
    with pytest.raises(Http404):  # no role: no unit at all
        filters_from_params(viewer=org.trainer, params={})


def test_unknown_show_and_status_fall_back(org):
    f = filters_from_params(
        viewer=org.city_admin,
        params={"unit": str(org.housing.pk), "show": "nope", "status": "x"},
    )
    assert (f.unit, f.show, f.status) == (org.housing, "all", "all")
    f = filters_from_params(
        viewer=org.city_admin, params={"show": "overdue", "status": "completed"}
    )
    assert (f.show, f.status) == ("overdue", "completed")


def test_as_params_round_trip(org):
    f = filters_from_params(
        viewer=org.city_admin,
        params={"unit": str(org.finance.pk), "show": "absent", "status": "open"},
    )
    again = filters_from_params(viewer=org.city_admin, params=f.as_params())
    assert again == f
    assert isinstance(again, DashboardFilters)
