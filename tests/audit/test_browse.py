"""Browsing /audit/: discipline officers see rows about people in their subtrees plus their
own actions; auditors see rows whose subject or actor is in their subtrees; filters,
pagination with a pinned query count, the CSV export; reading the log is itself audited."""

from __future__ import annotations

import csv
import io

import pytest

from audit.models import AuditAction, AuditEntry
from audit.services import audit_record, audit_verify
from people.factories import UserFactory
from people.models import Role
from people.services import role_grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(org):
    """Rows about people in finance, in housing, and the officer's own action elsewhere."""
    return {
        "budget": audit_record(
            action=AuditAction.READ,
            actor=org.housing_admin,
            object_type="talks.talkrecord",
            object_id=11,
            subject=org.budget_learner,
        ),
        "finance": audit_record(
            action=AuditAction.UPDATE,
            actor=org.city_admin,
            object_type="talks.pledgesignature",
            object_id=12,
            subject=org.finance_learner,
        ),
        "housing": audit_record(
            action=AuditAction.READ,
            actor=org.housing_admin,
            object_type="talks.talkrecord",
            object_id=13,
            subject=org.housing_learner,
        ),
        "own": audit_record(
            action=AuditAction.READ,
            actor=org.discipline,
            object_type="talks.talkrecord",
            object_id=14,
            subject=org.housing_learner,
        ),
        "nobody": audit_record(action=AuditAction.LOGIN_FAILED, actor_label="=HYPERLINK(1)"),
    }


@pytest.fixture
def auditor(org):
    user = UserFactory(email="audit@example.gov.cn", full_name="审计员", unit=org.housing)
    role_grant(user=user, role=Role.AUDITOR, unit=org.housing)
    return user


def shown_ids(response) -> set[int]:
    return {e.id for e in response.context["entries"]}


def test_a_discipline_officer_sees_their_subtree_and_their_own_actions(client, org, log):
    client.force_login(org.discipline)
    response = client.get("/en/audit/")
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    ids = shown_ids(response)
    assert {log["budget"].id, log["finance"].id, log["own"].id} <= ids
    assert log["housing"].id not in ids and log["nobody"].id not in ids


def test_an_auditor_sees_rows_whose_subject_or_actor_is_in_scope(client, org, log, auditor):
    client.force_login(auditor)
    ids = shown_ids(client.get("/en/audit/"))
    # housing subjects, and the housing admin's read of a finance record
    assert {log["housing"].id, log["own"].id, log["budget"].id} <= ids
    assert log["finance"].id not in ids and log["nobody"].id not in ids


@pytest.mark.parametrize("who", ["finance_learner", "finance_admin", "trainer", "superuser"])
def test_others_are_refused(client, org, log, who):
    client.force_login(getattr(org, who))
    assert client.get("/en/audit/").status_code == 403
    assert client.get("/en/audit/export.csv").status_code == 403


def test_browsing_writes_a_read_row_with_the_filters(client, org, log):
    client.force_login(org.discipline)
    client.get("/en/audit/?action=update")
    row = AuditEntry.objects.filter(action=AuditAction.READ, object_type="audit.auditentry").get()
    assert row.actor == org.discipline
    assert row.detail == {"filters": {"action": "update"}, "page": 1}
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=update", {"finance"}),
        ("actor=住建管理员", {"budget"}),
        ("actor=hou.admin@EXAMPLE", {"budget"}),
        ("person=李四", {"budget"}),
        ("person=fin.learner@example.gov.cn", {"finance"}),
        ("object_type=talks.PledgeSignature", {"finance"}),
        ("object_id=11", {"budget"}),
    ],
)
def test_filters(client, org, log, query, expected):
    client.force_login(org.discipline)
    response = client.get(f"/en/audit/?{query}")
    ids = shown_ids(response)
    assert ids == {log[k].id for k in expected}


def test_date_filters(client, org, log):
    client.force_login(org.discipline)
    today = log["budget"].at.astimezone().date()
    assert shown_ids(client.get(f"/en/audit/?date_from={today}&date_to={today}"))
    assert not shown_ids(client.get("/en/audit/?date_to=2000-01-01"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-05-02&date_to=2026-05-01", "The end date is before the start date."),
        ("date_from=yesterday", "Enter a valid date."),
        ("action=peek", "Select a valid choice."),
    ],
)
def test_bad_filters_show_a_message(client, org, log, query, message):
    client.force_login(org.discipline)
    before = AuditEntry.objects.exclude(object_type="audit.auditentry").count()
    response = client.get(f"/en/audit/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert AuditEntry.objects.exclude(object_type="audit.auditentry").count() == before


def test_odd_search_text_is_harmless(client, org, log):
    client.force_login(org.discipline)
    for text in ["'; DROP TABLE audit_auditentry; --", "%_\\", "😀" * 30, "<script>"]:
        response = client.get("/en/audit/", {"actor": text, "person": text})
        assert response.status_code == 200
        assert "<script>" not in response.content.decode().split("</header>")[1]


def test_a_page_out_of_range_is_a_404(client, org, log):
    client.force_login(org.discipline)
    assert client.get("/en/audit/?page=99").status_code == 404


def test_the_query_count_does_not_grow_with_the_rows(client, org, django_assert_max_num_queries):
    """Session, user, roles, count, page, two site-settings reads, the audit write (head
    lock, insert, head update, savepoints) and the session save: 17, whatever the rows."""
    client.force_login(org.discipline)

    def add(n: int) -> None:
        for i in range(n):
            audit_record(action=AuditAction.READ, actor=org.trainer, subject=org.budget_learner,
                         object_type="talks.talkrecord", object_id=i)  # fmt: skip

    add(3)
    client.get("/en/audit/")  # warm caches (content types, site)
    with django_assert_max_num_queries(17) as few:
        client.get("/en/audit/")
    add(60)
    with django_assert_max_num_queries(17) as many:
        response = client.get("/en/audit/")
    assert len(response.context["entries"]) == 50
    assert len(many) == len(few)
    with django_assert_max_num_queries(17):
        assert client.get("/en/audit/?page=2").status_code == 200


def test_the_page_shows_the_rows(client, org, log):
    client.force_login(org.discipline)
    html = client.get("/en/audit/").content.decode()
    assert "李四" in html and "talks.talkrecord" in html
    assert 'href="/en/audit/export.csv' in html


def test_export_streams_the_filtered_rows_in_scope_and_is_recorded(client, org, log, auditor):
    client.force_login(auditor)
    response = client.get("/en/audit/export.csv?object_type=talks.talkrecord")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert table[0][:4] == ["Entry", "Time", "Who", "Action"]
    ids = {int(r[0]) for r in table[1:]}
    assert ids == {log["housing"].id, log["own"].id, log["budget"].id}
    export = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert export.actor == auditor
    assert export.detail == {"filters": {"object_type": "talks.talkrecord"}, "format": "csv"}


def test_export_escapes_formula_cells(client, org, log, auditor):
    role_grant(user=auditor, role=Role.AUDITOR, unit=org.city)
    # the failed login has no unit: give the auditor a row whose label looks like a formula
    audit_record(action=AuditAction.READ, actor=org.housing_admin, actor_label="=1+2",
                 subject=org.housing_learner)  # fmt: skip
    client.force_login(auditor)
    body = b"".join(client.get("/en/audit/export.csv").streaming_content).decode("utf-8-sig")
    assert "'=1+2" in body
    assert "\n=1+2" not in body and ",=1+2" not in body
