"""Who sees which talk records (need-to-know), through the selectors, the list, the full
detail and its forms, the official's view and guessed ids; refusals audited as ``denied``
with no read row; never cached; never in search or any admin; pinned query counts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from talks.models import TalkKind, TalkStatus
from talks.selectors.records import (
    talk_access,
    talk_list_for_official,
    talk_list_visible,
)
from tests.talks.test_records import (
    CLOSE_NOTE,
    CONTENT,
    OUTLINE,
    SUMMARY,
    audit_rows,
    make_talk,
    other_officer,
)

# viewer name -> expected access to a talk with 张三丰 (finance) held by the trainer.
MATRIX = {
    "discipline": "full",  # discipline officer of the finance subtree
    "other_officer": None,  # discipline officer of the housing subtree
    "trainer": "full",  # a talker
    "finance_learner": "official",  # the official
    "finance_admin": None,  # unit admin of the same unit
    "city_admin": None,  # unit admin above it
    "superuser": None,  # superuser without the discipline role
    "budget_learner": None,  # another learner
}


def viewer(org, name):
    return other_officer(org) if name == "other_officer" else getattr(org, name)


@pytest.fixture
def talk(org):
    return make_talk(
        org,
        kind=TalkKind.PRE_APPOINTMENT,
        status=TalkStatus.CLOSED,
        held_at=timezone.now() - datetime.timedelta(days=1),
        closed_at=timezone.now(),
        closure_note=CLOSE_NOTE,
        official_statement="本人表态：坚决服从",
    )


@pytest.mark.parametrize(("name", "expected"), MATRIX.items())
def test_selectors(org, talk, name, expected):
    user = viewer(org, name)
    assert talk_access(viewer=user, talk=talk) == expected
    assert talk_list_visible(viewer=user).filter(pk=talk.pk).exists() == (expected == "full")
    assert talk_list_for_official(official=user).filter(pk=talk.pk).exists() == (
        expected == "official"
    )


def test_recorder_has_full_access_and_the_official_never_does(org):
    talk = make_talk(org, official=org.discipline, talkers=[org.trainer], recorder=org.city_admin)
    # The discipline officer's own talk (their unit is in their subtree): official view only.
    assert talk_access(viewer=org.discipline, talk=talk) == "official"
    assert not talk_list_visible(viewer=org.discipline).exists()
    assert talk_access(viewer=org.city_admin, talk=talk) == "full"


def test_inactive_and_anonymous_see_nothing(org, talk):
    from django.contrib.auth.models import AnonymousUser

    org.trainer.is_active = False
    assert talk_access(viewer=org.trainer, talk=talk) is None
    assert talk_access(viewer=AnonymousUser(), talk=talk) is None
    assert not talk_list_visible(viewer=AnonymousUser()).exists()


@pytest.mark.parametrize(("name", "expected"), MATRIX.items())
def test_pages(client, org, talk, name, expected):
    user = viewer(org, name)
    client.force_login(user)
    full_urls = [
        "/en/talk-records/",
        f"/en/talk-records/{talk.pk}/",
        f"/en/talk-records/{talk.pk}/record/",
        f"/en/talk-records/{talk.pk}/follow-up/",
        f"/en/talk-records/{talk.pk}/close/",
    ]
    mine = f"/en/talk-records/mine/{talk.pk}/"
    pages = {}
    for url in [*full_urls, mine, "/en/talk-records/mine/"]:
        response = client.get(url)
        pages[url] = response
        if response.status_code != 404:  # a 404 page holds nothing to cache
            assert "no-store" in response["Cache-Control"], url
            assert "private" in response["Cache-Control"], url
        html = response.content.decode()
        if expected != "full":
            for secret in (OUTLINE, CONTENT, CLOSE_NOTE):
                assert secret not in html, url
    if expected == "full":
        for url in full_urls:
            assert pages[url].status_code == 200, url
        assert CONTENT in pages[f"/en/talk-records/{talk.pk}/"].content.decode()
        assert OUTLINE in pages[f"/en/talk-records/{talk.pk}/"].content.decode()
        assert pages[mine].status_code == 404
    elif expected == "official":
        assert pages["/en/talk-records/"].status_code == 404
        assert pages[f"/en/talk-records/{talk.pk}/"].status_code == 302
        assert pages[f"/en/talk-records/{talk.pk}/"]["Location"].endswith(mine)
        for url in full_urls[2:]:
            assert pages[url].status_code == 404, url
        html = pages[mine].content.decode()
        assert pages[mine].status_code == 200
        assert SUMMARY in html and "本人表态：坚决服从" in html and "纪委谈话室" in html
        assert talk.get_kind_display() in pages["/en/talk-records/mine/"].content.decode()
    else:
        listing = pages["/en/talk-records/"]
        if name == "other_officer":  # their own (empty) list, without this talk
            assert listing.status_code == 200 and talk.pk not in {
                t.pk for t in listing.context["talks"]
            }
        else:
            assert listing.status_code == 404
        for url in [*full_urls[1:], mine]:
            assert pages[url].status_code == 404, url
        assert talk.place not in pages["/en/talk-records/mine/"].content.decode()


@pytest.mark.parametrize("name", [n for n, e in MATRIX.items() if e is None])
def test_refusals_write_denied_rows_and_no_read_row(client, org, talk, name):
    client.force_login(viewer(org, name))
    assert client.get(f"/en/talk-records/{talk.pk}/").status_code == 404
    assert client.get(f"/en/talk-records/mine/{talk.pk}/").status_code == 404
    assert (
        client.post(f"/en/talk-records/{talk.pk}/close/", {"closure_note": "x"}).status_code == 404
    )
    assert client.post(f"/en/talk-records/mine/{talk.pk}/", {"statement": "x"}).status_code == 404
    assert not audit_rows("read").exists()
    assert not audit_rows("update").exists()
    denied = audit_rows("denied")
    assert denied.count() == 4
    assert all(row.subject_id is None for row in denied)
    talk.refresh_from_db()
    assert talk.closure_note == CLOSE_NOTE and talk.official_statement == "本人表态：坚决服从"


def test_official_sees_no_summary_of_other_kinds(client, org):
    talk = make_talk(org, kind=TalkKind.ADMONISHMENT, status=TalkStatus.RECORDED,
                     official_statement="内部记录的表态")  # fmt: skip
    client.force_login(org.finance_learner)
    html = client.get(f"/en/talk-records/mine/{talk.pk}/").content.decode()
    for secret in (OUTLINE, CONTENT, SUMMARY, "内部记录的表态"):
        assert secret not in html
    assert "纪委谈话室" in html


def test_guessed_and_missing_ids_are_404(client, org, talk):
    client.force_login(org.discipline)
    for pk in (talk.pk + 1000, 0):
        assert client.get(f"/en/talk-records/{pk}/").status_code == 404
        assert client.get(f"/en/talk-records/mine/{pk}/").status_code == 404
    assert client.get("/en/talk-records/abc/").status_code == 404
    assert not audit_rows("read").exists()


def test_list_filters_and_scope(client, org, talk):
    other = make_talk(org, official=org.housing_learner, kind=TalkKind.INTERVIEW)
    budget = make_talk(org, official=org.budget_learner, kind=TalkKind.ROUTINE)
    client.force_login(org.discipline)

    def ids(query=""):
        response = client.get(f"/en/talk-records/{query}")
        assert response.status_code == 200
        return {t.pk for t in response.context["talks"]}

    assert ids() == {talk.pk, budget.pk}  # not the housing talk
    assert ids("?kind=routine") == {budget.pk}
    assert ids("?status=closed") == {talk.pk}
    assert ids(f"?unit={org.finance_budget.pk}") == {budget.pk}
    assert ids("?q=张三") == {talk.pk}
    # A unit outside the scope is not a choice: the filter is ignored, never widened.
    assert other.pk not in ids(f"?unit={org.housing.pk}")
    # The trainer (talker of all three) sees all three.
    client.force_login(org.trainer)
    assert ids() == {talk.pk, other.pk, budget.pk}


def test_talk_records_are_not_in_search(client, org, talk):
    response = client.get("/en/search/", {"q": "机密内容"})
    assert response.status_code == 200
    html = response.content.decode()
    assert CONTENT not in html and OUTLINE not in html
    assert f"/talk-records/{talk.pk}/" not in html


def test_talk_records_are_in_no_admin(client, org, talk):
    client.force_login(org.superuser)
    html = client.get("/admin/").content.decode()
    assert "talkrecord" not in html.lower()
    assert "Talk records" not in html
    for url in (
        "/admin/talks/talkrecord/",
        "/admin/snippets/talks/talkrecord/",
        f"/admin/snippets/talks/talkrecord/edit/{talk.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url


def test_superuser_without_the_role_gets_404_everywhere(client, org, talk):
    client.force_login(org.superuser)
    for url in (
        "/en/talk-records/",
        "/en/talk-records/new/",
        f"/en/talk-records/{talk.pk}/",
        f"/en/talk-records/{talk.pk}/record/",
        f"/en/talk-records/{talk.pk}/follow-up/",
        f"/en/talk-records/{talk.pk}/close/",
        f"/en/talk-records/mine/{talk.pk}/",
    ):
        assert client.get(url).status_code == 404, url


def test_query_counts_are_pinned(client, org, django_assert_max_num_queries):
    for i in range(3):
        make_talk(org, official=org.budget_learner if i % 2 else org.finance_learner,
                  talkers=[org.trainer, org.discipline])  # fmt: skip
    first = make_talk(org, kind=TalkKind.PRE_APPOINTMENT)
    client.force_login(org.discipline)
    client.get("/en/talk-records/")  # warm caches (site, locale)
    with django_assert_max_num_queries(20):
        assert client.get("/en/talk-records/").status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(f"/en/talk-records/{first.pk}/").status_code == 200
    for _i in range(6):
        make_talk(org, talkers=[org.trainer])
    with django_assert_max_num_queries(20):
        assert client.get("/en/talk-records/").status_code == 200
    client.force_login(org.finance_learner)
    client.get("/en/talk-records/mine/")
    with django_assert_max_num_queries(18):
        assert client.get("/en/talk-records/mine/").status_code == 200
    with django_assert_max_num_queries(18):
        assert client.get(f"/en/talk-records/mine/{first.pk}/").status_code == 200
