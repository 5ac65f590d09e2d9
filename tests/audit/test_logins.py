"""Logins, failed logins, logouts and refused requests write audit rows; a failed login
keeps the address tried and never the password."""

from __future__ import annotations

import pytest

from audit.models import AuditAction, AuditEntry
from audit.services import audit_verify
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def rows(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_a_login_writes_a_row(client, org):
    response = client.post(
        "/en/accounts/login/",
        {"login": org.finance_learner.email, "password": PASSWORD},
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 302
    [row] = rows(AuditAction.LOGIN)
    assert row.actor == org.finance_learner and row.subject == org.finance_learner
    assert row.actor_label == f"张三丰 <{org.finance_learner.email}>"
    assert row.ip_address == "192.0.2.7"
    assert row.path == "/en/accounts/login/"
    assert row.subject_unit_path == org.finance.path
    assert audit_verify().ok


def test_a_failed_login_keeps_the_address_tried_and_never_the_password(client, org):
    secret = "Wrong-Password-123"
    response = client.post(
        "/en/accounts/login/", {"login": org.budget_learner.email, "password": secret}
    )
    assert response.status_code == 200
    assert not rows(AuditAction.LOGIN)
    [row] = rows(AuditAction.LOGIN_FAILED)
    assert row.actor is None
    assert row.actor_label == org.budget_learner.email
    assert row.subject == org.budget_learner  # the account tried, for scoped readers
    assert row.subject_unit_path == org.finance_budget.path
    stored = " ".join(
        str(v) for v in AuditEntry.objects.values_list(
            "actor_label", "object_type", "object_id", "path", "detail"
        ).get(pk=row.pk)
    )  # fmt: skip
    assert secret not in stored and "*****" not in stored


def test_a_failed_login_for_an_unknown_address(client, db):
    client.post("/en/accounts/login/", {"login": "nobody@example.com", "password": "x" * 12})
    [row] = rows(AuditAction.LOGIN_FAILED)
    assert row.actor_label == "nobody@example.com"
    assert row.subject is None and row.subject_unit_path == ""


def test_a_logout_writes_a_row(client, org):
    client.force_login(org.finance_learner)
    response = client.post("/en/accounts/logout/")
    assert response.status_code == 302
    [row] = rows(AuditAction.LOGOUT)
    assert row.actor == org.finance_learner
    assert audit_verify().ok


def test_a_logout_without_a_session_writes_nothing(client, db):
    client.post("/en/accounts/logout/")
    assert not rows(AuditAction.LOGOUT)


def test_a_refused_request_writes_a_denied_row_and_shows_the_403_page(client, org):
    client.force_login(org.finance_learner)
    response = client.get("/en/audit/?action=read")
    assert response.status_code == 403
    assert b"Access refused" in response.content
    [row] = rows(AuditAction.DENIED)
    assert row.actor == org.finance_learner
    assert row.path == "/en/audit/?action=read"
    assert not rows(AuditAction.READ)


def test_a_superuser_without_a_role_is_refused_and_recorded(client, org):
    client.force_login(org.superuser)
    assert client.get("/en/audit/").status_code == 403
    assert client.get("/en/audit/export.csv").status_code == 403
    assert len(rows(AuditAction.DENIED)) == 2
    assert not rows(AuditAction.READ) and not rows(AuditAction.EXPORT)


def test_anonymous_visitors_go_to_the_login_page(client, db):
    response = client.get("/en/audit/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not rows(AuditAction.DENIED)
