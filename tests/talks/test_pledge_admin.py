"""Pledge texts in the Wagtail admin: discipline officers and superusers publish versions;
a signed version cannot be edited; nobody deletes one; everyone else is refused."""

from __future__ import annotations

import pytest
from wagtail.users.models import UserProfile

from talks.factories import PledgeTextFactory
from talks.models import PledgeText, PositionKind
from talks.services.pledges import pledge_sign
from talks.wagtail_hooks import PledgeTextPolicy

ADMIN = "/admin/pledge-texts/"


def login(client, user):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(user)
    return user


def test_a_discipline_officer_publishes_versions(client, org):
    login(client, org.discipline)
    assert client.get(ADMIN).status_code == 200
    assert client.get(ADMIN + "new/").status_code == 200
    data = {"position_kind": PositionKind.KEY, "title": "关键岗位廉政承诺书", "body": "第一版"}
    response = client.post(ADMIN + "new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    v1 = PledgeText.objects.get(position_kind=PositionKind.KEY)
    assert (v1.version, v1.is_current, v1.created_by) == (1, True, org.discipline)
    # "Copy" publishes the next version, prefilled with this one.
    page = client.get(ADMIN + f"copy/{v1.pk}/")
    assert page.status_code == 200 and "第一版" in page.content.decode()
    response = client.post(ADMIN + f"copy/{v1.pk}/", {**data, "body": "第二版"})
    assert response.status_code == 302
    v1.refresh_from_db()
    v2 = PledgeText.objects.get(position_kind=PositionKind.KEY, version=2)
    assert not v1.is_current and v2.is_current and v1.body == "第一版"


def test_a_superuser_manages_pledge_texts(client, org):
    login(client, org.superuser)
    assert client.get(ADMIN).status_code == 200


def test_an_unsigned_version_can_be_corrected_in_the_admin(client, org):
    text = PledgeTextFactory()
    login(client, org.discipline)
    response = client.post(
        ADMIN + f"edit/{text.pk}/",
        {"position_kind": text.position_kind, "title": "更正后的标题", "body": text.body},
    )
    assert response.status_code == 302
    text.refresh_from_db()
    assert text.title == "更正后的标题" and text.version == 1


def test_a_signed_version_cannot_be_edited_in_the_admin(client, org):
    text = PledgeTextFactory()
    pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    login(client, org.discipline)
    response = client.post(
        ADMIN + f"edit/{text.pk}/",
        {"position_kind": text.position_kind, "title": "改过的标题", "body": "改过的内容"},
    )
    assert response.status_code == 200
    assert "already been signed, so it cannot be changed" in response.content.decode()
    fresh = PledgeText.objects.get(pk=text.pk)
    assert fresh.title == text.title and fresh.body == text.body


def test_nobody_deletes_a_pledge_text(client, org):
    text = PledgeTextFactory()
    login(client, org.discipline)
    assert client.get(ADMIN + f"delete/{text.pk}/").status_code == 404
    assert not PledgeTextPolicy(PledgeText).user_has_permission(org.superuser, "delete")
    assert PledgeText.objects.filter(pk=text.pk).exists()


@pytest.mark.parametrize("who", ["finance_admin", "trainer"])
def test_other_staff_are_refused(client, org, who):
    text = PledgeTextFactory()
    login(client, getattr(org, who))
    for path in (ADMIN, ADMIN + "new/", ADMIN + f"edit/{text.pk}/"):
        response = client.get(path)
        assert response.status_code in (302, 403), path
        if response.status_code == 302:
            assert "/admin/pledge-texts/" not in response["Location"]
    response = client.post(
        ADMIN + "new/", {"position_kind": PositionKind.KEY, "title": "T", "body": "B"}
    )
    assert response.status_code in (302, 403)
    assert not PledgeText.objects.filter(position_kind=PositionKind.KEY).exists()


def test_the_admin_list_needs_the_same_queries_for_few_or_many_versions(client, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from talks.services.pledges import pledge_text_publish

    login(client, org.discipline)
    pledge_text_publish(position_kind=PositionKind.KEY, title="承诺书", body="v1")
    client.get(ADMIN)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(ADMIN).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for i in range(5):
        pledge_text_publish(position_kind=PositionKind.GENERAL, title="承诺书", body=f"v{i}")
    assert count() == one
