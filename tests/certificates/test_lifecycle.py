"""The life cycle services: state and its precedence, the masked name, verification code
normalising, revoke and reissue with their scope checks, locks and audit rows."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from certificates.factories import CertificateFactory, CertificateTemplateFactory
from certificates.models import Certificate, RenderStatus
from certificates.selectors.manage import certificate_list_filtered
from certificates.services.lifecycle import (
    STATES,
    certificate_reissue,
    certificate_revoke,
    certificate_state,
    name_mask,
    verification_code_normalise,
)

TODAY = datetime.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张*丰"),
        ("张三", "张*"),
        ("欧阳娜娜", "欧**娜"),
        ("张", "*"),
        ("Zhang Sanfeng", "Z**** S******"),
        ("  Li   Si ", "L* S*"),
        ("", ""),
    ],
)
def test_name_mask(name, masked):
    assert name_mask(name) == masked


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("7k3m-9q2x-a8bc-d4ef", "7K3M9Q2XA8BCD4EF"),
        (" 7K3M 9Q2X A8BC D4EF ", "7K3M9Q2XA8BCD4EF"),
        ("iloO7K3M9Q2XA8BC", "1100" + "7K3M9Q2XA8BC"),  # Crockford: I, L → 1; O → 0
    ],
)
def test_code_normalise_reads_leniently(typed, stored):
    assert verification_code_normalise(typed) == stored


@pytest.mark.parametrize("junk", ["", "abc", "U" * 16, "7K3M9Q2X'; DROP", "x" * 80])
def test_code_normalise_refuses_what_cannot_be_a_code(junk):
    assert verification_code_normalise(junk) is None


def _cert(user, **kwargs):
    kwargs.setdefault("status", RenderStatus.READY)
    return CertificateFactory(user=user, **kwargs)


def test_state_precedence(org):
    person = org.finance_learner
    now = timezone.now()
    yesterday = TODAY - datetime.timedelta(days=1)
    assert certificate_state(_cert(person), today=TODAY) == "valid"
    assert certificate_state(_cert(person, expires_on=TODAY), today=TODAY) == "valid"
    assert certificate_state(_cert(person, status=RenderStatus.PENDING), today=TODAY) == "pending"
    assert certificate_state(_cert(person, status=RenderStatus.RENDERING), today=TODAY) == "pending"
    assert certificate_state(_cert(person, status=RenderStatus.FAILED), today=TODAY) == "failed"
    # expired wins over pending/failed, revoked over expired, superseded over everything
    expired = _cert(person, status=RenderStatus.FAILED, expires_on=yesterday)
    assert certificate_state(expired, today=TODAY) == "expired"
    revoked = _cert(person, expires_on=yesterday, revoked_at=now)
    assert certificate_state(revoked, today=TODAY) == "revoked"
    superseded = _cert(person, expires_on=yesterday, revoked_at=now, is_current=False)
    assert certificate_state(superseded, today=TODAY) == "superseded"


def test_state_filter_matches_the_state_function(org):
    """The list's state filter (SQL) puts every row in exactly the state Python gives it."""
    person = org.finance_learner
    now = timezone.now()
    yesterday = TODAY - datetime.timedelta(days=1)
    rows = [
        _cert(person),
        _cert(person, status=RenderStatus.PENDING),
        _cert(person, status=RenderStatus.RENDERING),
        _cert(person, status=RenderStatus.FAILED),
        _cert(person, expires_on=yesterday, status=RenderStatus.FAILED),
        _cert(person, revoked_at=now, expires_on=yesterday),
        _cert(person, is_current=False, revoked_at=now),
    ]
    for state in STATES:
        listed = set(
            certificate_list_filtered(viewer=org.superuser, state=state, today=TODAY).values_list(
                "pk", flat=True
            )
        )
        expected = {c.pk for c in rows if certificate_state(c, today=TODAY) == state}
        assert listed == expected, state
        assert expected, f"no row in state {state}"


def test_revoke_in_scope_records_who_when_why_and_audits(org):
    cert = _cert(org.budget_learner)
    assert certificate_revoke(certificate=cert, by=org.finance_admin, reason=" 伪造学时 ") is True
    cert.refresh_from_db()
    assert cert.revoked_at is not None
    assert cert.revoked_by == org.finance_admin
    assert cert.revoked_reason == "伪造学时"
    assert cert.is_current  # revoked, not superseded
    assert certificate_state(cert) == "revoked"
    entry = AuditEntry.objects.get(object_id=str(cert.pk), object_type="certificates.certificate")
    assert entry.actor == org.finance_admin
    assert entry.detail["event"] == "certificate_revoke"
    assert entry.subject_unit_path == org.finance_budget.path


def test_second_revoke_changes_nothing(org):
    cert = _cert(org.finance_learner)
    certificate_revoke(certificate=cert, by=org.finance_admin, reason="第一次")
    first = Certificate.objects.get(pk=cert.pk)
    stale = Certificate.objects.get(pk=cert.pk)
    stale.revoked_at = None  # a second request that loaded the row before the first one
    assert certificate_revoke(certificate=stale, by=org.discipline, reason="第二次") is False
    again = Certificate.objects.get(pk=cert.pk)
    assert (again.revoked_at, again.revoked_by, again.revoked_reason) == (
        first.revoked_at,
        org.finance_admin,
        "第一次",
    )
    assert (
        AuditEntry.objects.filter(
            object_type="certificates.certificate", object_id=str(cert.pk)
        ).count()
        == 1
    )


def test_revoke_needs_a_reason(org):
    cert = _cert(org.finance_learner)
    with pytest.raises(ValidationError) as exc:
        certificate_revoke(certificate=cert, by=org.finance_admin, reason="   ")
    assert "reason" in exc.value.error_dict
    cert.refresh_from_db()
    assert cert.revoked_at is None


@pytest.mark.parametrize("who", ["housing_admin", "finance_learner", "trainer", "budget_learner"])
def test_revoke_out_of_scope_refused(org, who):
    cert = _cert(org.finance_learner)
    with pytest.raises(PermissionDenied):
        certificate_revoke(certificate=cert, by=getattr(org, who), reason="x")
    cert.refresh_from_db()
    assert cert.revoked_at is None
    assert not AuditEntry.objects.filter(object_type="certificates.certificate").exists()


def test_revoke_refused_for_a_superseded_certificate(org):
    cert = _cert(org.finance_learner, is_current=False)
    with pytest.raises(ValidationError):
        certificate_revoke(certificate=cert, by=org.finance_admin, reason="x")
    cert.refresh_from_db()
    assert cert.revoked_at is None


def test_reissue_supersedes_and_uses_the_template_as_it_is_now(org):
    template = CertificateTemplateFactory(issuer="旧发证机关", validity_months=24)
    cert = _cert(org.finance_learner, template=template, achieved_on=datetime.date(2026, 1, 5))
    template.issuer = "市纪委监委"  # the fix the reissue is for
    template.save()
    new = certificate_reissue(certificate=cert, by=org.discipline)
    cert.refresh_from_db()
    assert not cert.is_current
    assert cert.superseded_by == new
    assert cert.superseded_at is not None
    assert certificate_state(cert) == "superseded"
    assert new.is_current
    assert new.status == RenderStatus.PENDING
    assert new.achievement_key == cert.achievement_key
    assert new.code != cert.code and new.serial != cert.serial
    assert new.issuer == "市纪委监委"
    assert new.expires_on == datetime.date(2028, 1, 5)
    entry = AuditEntry.objects.get(object_type="certificates.certificate", object_id=str(new.pk))
    assert entry.detail["replaces"] == cert.serial
    assert entry.actor == org.discipline


def test_reissue_twice_refused(org):
    cert = _cert(org.finance_learner)
    certificate_reissue(certificate=cert, by=org.finance_admin)
    stale = Certificate.objects.get(pk=cert.pk)
    stale.is_current = True
    with pytest.raises(ValidationError):
        certificate_reissue(certificate=stale, by=org.finance_admin)
    assert Certificate.objects.filter(achievement_key=cert.achievement_key).count() == 2


def test_reissue_refused_for_revoked_and_out_of_scope(org):
    cert = _cert(org.finance_learner, revoked_at=timezone.now())
    with pytest.raises(ValidationError):
        certificate_reissue(certificate=cert, by=org.finance_admin)
    other = _cert(org.housing_learner)
    with pytest.raises(PermissionDenied):
        certificate_reissue(certificate=other, by=org.finance_admin)
    assert Certificate.objects.count() == 2
