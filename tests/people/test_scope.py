"""A unit admin sees and changes people of their own subtree only: through a page, the
Wagtail admin, an export or a guessed id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from people.factories import UserFactory
from people.models import User
from people.selectors import (
    person_can_change,
    person_can_view,
    person_list_visible,
    unit_can_manage,
)

pytestmark = pytest.mark.django_db


def names(response) -> str:
    return response.content.decode()


# --- selectors ------------------------------------------------------------------------


def test_scope_covers_the_subtree_and_nothing_else(org):
    visible = set(person_list_visible(viewer=org.finance_admin))
    assert org.finance_learner in visible
    assert org.budget_learner in visible  # a section below the bureau
    assert org.housing_learner not in visible
    assert org.housing_admin not in visible
    assert org.superuser not in visible  # no unit: superusers only


def test_city_admin_sees_both_bureaus(org):
    visible = set(person_list_visible(viewer=org.city_admin))
    assert {org.finance_learner, org.housing_learner, org.budget_learner} <= visible


def test_view_and_change_rules(org):
    assert person_can_view(viewer=org.finance_admin, person=org.budget_learner)
    assert not person_can_view(viewer=org.finance_admin, person=org.housing_learner)
    assert person_can_change(viewer=org.finance_admin, person=org.budget_learner)
    assert not person_can_change(viewer=org.finance_admin, person=org.housing_learner)
    # A discipline officer reads people in scope but does not change them.
    assert person_can_view(viewer=org.discipline, person=org.finance_learner)
    assert not person_can_change(viewer=org.discipline, person=org.finance_learner)
    # A learner sees only themself.
    assert person_can_view(viewer=org.finance_learner, person=org.finance_learner)
    assert not person_can_view(viewer=org.finance_learner, person=org.budget_learner)
    assert unit_can_manage(viewer=org.finance_admin, unit=org.finance_budget)
    assert not unit_can_manage(viewer=org.finance_admin, unit=org.housing)
    assert not unit_can_manage(viewer=org.finance_admin, unit=org.city)


def test_inactive_viewer_sees_nobody(org):
    org.finance_admin.is_active = False
    org.finance_admin.save()
    assert not person_list_visible(viewer=org.finance_admin).exists()


# --- pages ----------------------------------------------------------------------------


def test_people_list_shows_only_the_viewers_subtree(client, org):
    client.force_login(org.finance_admin)
    response = client.get(reverse("people:list"))
    assert response.status_code == 200
    html = names(response)
    assert org.finance_learner.full_name in html
    assert org.budget_learner.full_name in html
    assert org.housing_learner.full_name not in html


def test_people_list_filter_by_unit_outside_scope_is_ignored(client, org):
    client.force_login(org.finance_admin)
    response = client.get(reverse("people:list"), {"unit": org.housing.pk})
    html = names(response)
    assert org.housing_learner.full_name not in html
    assert response.status_code == 200


def test_guessed_id_outside_scope_is_not_found(client, org):
    client.force_login(org.finance_admin)
    assert client.get(reverse("people:detail", args=[org.housing_learner.pk])).status_code == 404
    assert client.get(reverse("people:detail", args=[org.budget_learner.pk])).status_code == 200
    assert client.get(reverse("people:detail", args=[999999])).status_code == 404


def test_learner_cannot_open_people_pages(client, org):
    client.force_login(org.finance_learner)
    assert client.get(reverse("people:list")).status_code == 403
    assert client.get(reverse("people:detail", args=[org.finance_learner.pk])).status_code == 403
    assert client.get(reverse("people:export")).status_code == 403


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(reverse("people:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_people_list_query_count_does_not_grow(client, org, django_assert_max_num_queries):
    client.force_login(org.finance_admin)
    client.get(reverse("people:list"))  # warm caches (site settings, content types)
    with django_assert_max_num_queries(12):
        client.get(reverse("people:list"))
    for i in range(30):
        UserFactory(unit=org.finance_budget, full_name=f"加人{i}")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("people:list"))
    assert "加人29" in names(response)


def test_person_detail_query_count(client, org, django_assert_max_num_queries):
    client.force_login(org.finance_admin)
    url = reverse("people:detail", args=[org.finance_learner.pk])
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


# --- export ---------------------------------------------------------------------------


def export_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_export_contains_only_people_in_scope(client, org):
    client.force_login(org.finance_admin)
    response = client.get(reverse("people:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = export_text(response)
    assert org.finance_learner.email in text
    assert org.budget_learner.email in text
    assert org.housing_learner.email not in text


def test_export_escapes_formula_cells(client, org):
    UserFactory(
        unit=org.finance,
        full_name='=HYPERLINK("http://x")',
        position_title="+1",
        employee_number="@E1",
    )
    client.force_login(org.finance_admin)
    text = export_text(client.get(reverse("people:export")))
    assert "'=HYPERLINK" in text
    assert ",'+1," in text
    assert "'@E1" in text
    assert "\n=" not in text and ",=" not in text


# --- Wagtail admin --------------------------------------------------------------------


def test_admin_people_list_is_scoped(client, org):
    client.force_login(org.finance_admin)
    response = client.get("/admin/users/")
    assert response.status_code == 200
    html = names(response)
    assert org.budget_learner.email in html
    assert org.housing_learner.email not in html


def test_admin_edit_outside_scope_is_not_found_and_changes_nothing(client, org):
    client.force_login(org.finance_admin)
    url = f"/admin/users/edit/{org.housing_learner.pk}/"
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"email": "hijack@example.gov.cn", "full_name": "被改", "unit": org.finance.pk}
    )
    assert response.status_code == 404
    org.housing_learner.refresh_from_db()
    assert org.housing_learner.email == "hou.learner@example.gov.cn"
    assert client.get(f"/admin/users/delete/{org.housing_learner.pk}/").status_code in (403, 404)


def test_admin_edit_inside_scope_works(client, org):
    client.force_login(org.finance_admin)
    url = f"/admin/users/edit/{org.budget_learner.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    html = names(response)
    # Units outside the admin's scope are not offered.
    assert "市住建局" not in html
    assert 'name="is_superuser"' not in html
    response = client.post(
        url,
        {
            "email": org.budget_learner.email,
            "full_name": "李四改",
            "unit": org.finance_budget.pk,
            "employee_number": org.budget_learner.employee_number,
            "position_title": "副科长",
            "rank_level": org.budget_learner.rank_level_id,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    org.budget_learner.refresh_from_db()
    assert org.budget_learner.full_name == "李四改"


def test_admin_cannot_move_a_person_out_of_scope(client, org):
    client.force_login(org.finance_admin)
    url = f"/admin/users/edit/{org.budget_learner.pk}/"
    response = client.post(
        url,
        {
            "email": org.budget_learner.email,
            "full_name": "李四",
            "unit": org.housing.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # form re-rendered with an error
    org.budget_learner.refresh_from_db()
    assert org.budget_learner.unit == org.finance_budget


BULK_SET_ACTIVE = "/admin/bulk/people/user/set_active_state/"


def test_admin_bulk_action_with_out_of_scope_id_is_refused(client, org):
    client.force_login(org.finance_admin)
    response = client.post(
        BULK_SET_ACTIVE + f"?id={org.housing_learner.pk}&id={org.budget_learner.pk}",
        {"mark_as_active": "False"},
    )
    # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response["Location"] == "/admin/"
    org.housing_learner.refresh_from_db()
    org.budget_learner.refresh_from_db()
    assert org.housing_learner.is_active
    assert org.budget_learner.is_active  # all or nothing


def test_admin_bulk_action_inside_scope_works(client, org):
    client.force_login(org.finance_admin)
    response = client.post(
        BULK_SET_ACTIVE + f"?id={org.budget_learner.pk}&next=/admin/users/",
        {"mark_as_active": "False"},
    )
    assert response.status_code == 302
    org.budget_learner.refresh_from_db()
    assert not org.budget_learner.is_active


def test_admin_org_units_are_scoped(client, org):
    client.force_login(org.finance_admin)
    response = client.get("/admin/org_units/")
    assert response.status_code == 200
    html = names(response)
    assert "预算科" in html
    assert "市住建局" not in html
    assert client.get(f"/admin/org_units/edit/{org.housing.pk}/").status_code == 404


def test_admin_add_unit_only_under_scope(client, org):
    client.force_login(org.finance_admin)
    response = client.post(
        "/admin/org_units/new/",
        {"name": "外来科", "code": "ZJJ-X", "parent": org.housing.pk, "is_active": "on"},
    )
    assert response.status_code == 200  # refused: parent not in choices
    assert not org.housing.get_children().filter(code="ZJJ-X").exists()
    response = client.post(
        "/admin/org_units/new/",
        {"name": "国库科", "code": "CZJ-GKK", "parent": org.finance.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    org.finance.refresh_from_db()
    assert org.finance.get_children().filter(code="CZJ-GKK").exists()


def test_discipline_officer_has_no_people_admin(client, org):
    client.force_login(org.discipline)
    assert client.get("/admin/users/").status_code in (302, 403)
    assert client.get(f"/admin/users/edit/{org.finance_learner.pk}/").status_code in (302, 403, 404)


def test_role_assignments_admin_is_for_superusers(client, org):
    client.force_login(org.city_admin)
    assert client.get("/admin/role_assignments/").status_code in (302, 403)
    client.force_login(org.superuser)
    assert client.get("/admin/role_assignments/").status_code == 200


def test_superuser_sees_everyone(client, org):
    client.force_login(org.superuser)
    html = names(client.get("/admin/users/"))
    assert org.housing_learner.email in html and org.finance_learner.email in html


@pytest.mark.parametrize(
    "query",
    ["'; DROP TABLE people_user; --", '"', "%%%", "😀🙂", "   ", "张" * 500, "\x00", "(((", "a\\b"],
)
def test_people_search_survives_hostile_input(client, org, query):
    client.force_login(org.finance_admin)
    response = client.get(reverse("people:list"), {"q": query})
    assert response.status_code == 200
    assert org.finance_learner.full_name in names(response) or "没有符合" in names(response)
    assert User.objects.filter(email=org.housing_learner.email).exists()
