"""The managers' certificate pages: scope (403 for non-managers, 404 outside the scope),
the list's filters and query count, the PDF download, revoke and reissue through the
pages (forms re-render with their errors, double submits change nothing)."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from audit.models import AuditEntry
from certificates.achievements import AchievementKind
from certificates.factories import CertificateFactory
from certificates.models import Certificate, RenderStatus

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n% test certificate\n%%EOF\n"


def _cert(user, **kwargs):
    kwargs.setdefault("status", RenderStatus.READY)
    return CertificateFactory(user=user, **kwargs)


def _with_file(cert):
    cert.file.save(f"{cert.serial}.pdf", ContentFile(PDF_BYTES), save=True)
    return cert


def _url(name, cert=None):
    base = {
        "list": "/en/certificates/",
        "detail": "/en/certificates/{pk}/",
        "pdf": "/en/certificates/{pk}/pdf/",
        "revoke": "/en/certificates/{pk}/revoke/",
        "reissue": "/en/certificates/{pk}/reissue/",
    }[name]
    return base.format(pk=cert.pk) if cert is not None else base


# --- Who gets in ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["list", "detail", "pdf", "revoke", "reissue"])
def test_anonymous_goes_to_login(client, org, page):
    cert = _with_file(_cert(org.finance_learner))
    response = client.get(_url(page, None if page == "list" else cert))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("who", ["finance_learner", "trainer"])
@pytest.mark.parametrize("page", ["list", "detail", "pdf", "revoke", "reissue"])
def test_learners_and_trainers_are_refused(client, org, who, page):
    cert = _with_file(_cert(org.finance_learner))
    client.force_login(getattr(org, who))
    response = client.get(_url(page, None if page == "list" else cert))
    assert response.status_code == 403


@pytest.mark.parametrize("page", ["detail", "pdf", "revoke", "reissue"])
def test_out_of_scope_and_unknown_ids_are_404(client, org, page):
    cert = _with_file(_cert(org.finance_learner))
    client.force_login(org.housing_admin)
    assert client.get(_url(page, cert)).status_code == 404
    missing = Certificate(pk=cert.pk + 1000)
    client.force_login(org.finance_admin)
    assert client.get(_url(page, missing)).status_code == 404


def test_out_of_scope_posts_change_nothing(client, org):
    cert = _cert(org.finance_learner)
    client.force_login(org.housing_admin)
    assert client.post(_url("revoke", cert), {"reason": "x", "confirm": "on"}).status_code == 404
    assert client.post(_url("reissue", cert)).status_code == 404
    client.force_login(org.finance_learner)
    assert client.post(_url("revoke", cert), {"reason": "x", "confirm": "on"}).status_code == 403
    cert.refresh_from_db()
    assert cert.revoked_at is None and cert.is_current
    assert Certificate.objects.count() == 1


# --- The list -------------------------------------------------------------------------------


def test_list_shows_only_the_scope(client, org):
    mine = _cert(org.budget_learner, achievement_title="预算管理廉政课")
    theirs = _cert(org.housing_learner, achievement_title="住建廉政课")
    client.force_login(org.finance_admin)
    body = client.get(_url("list")).content.decode()
    assert mine.serial in body and "预算管理廉政课" in body
    assert theirs.serial not in body and "住建廉政课" not in body
    client.force_login(org.city_admin)
    body = client.get(_url("list")).content.decode()
    assert mine.serial in body and theirs.serial in body


def test_list_filters(client, org):
    now = timezone.now()
    valid = _cert(org.finance_learner, achievement_title="党章学习")
    revoked = _cert(org.budget_learner, revoked_at=now, achievement_title="廉洁从政")
    campaign = _cert(
        org.budget_learner,
        kind=AchievementKind.CAMPAIGN,
        achievement_title="警示教育月",
        status=RenderStatus.PENDING,
    )
    client.force_login(org.finance_admin)

    def listed(**params):
        body = client.get(_url("list"), params).content.decode()
        return {c.serial for c in (valid, revoked, campaign) if c.serial in body}

    assert listed() == {valid.serial, revoked.serial, campaign.serial}
    assert listed(state="revoked") == {revoked.serial}
    assert listed(state="valid") == {valid.serial}
    assert listed(state="pending") == {campaign.serial}
    assert listed(kind="campaign") == {campaign.serial}
    assert listed(unit=org.finance_budget.pk) == {revoked.serial, campaign.serial}
    assert listed(q="张三") == {valid.serial}
    assert listed(q=revoked.serial.lower()) == {revoked.serial}
    assert listed(achievement="警示") == {campaign.serial}
    assert listed(achievement=valid.achievement_key) == {valid.serial}
    # a unit outside the scope is not a choice: the filter says so and hides nothing
    response = client.get(_url("list"), {"unit": org.housing.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(client, org, django_assert_max_num_queries):
    client.force_login(org.finance_admin)
    for _ in range(3):
        _cert(org.finance_learner)
    client.get(_url("list"))  # warm the site settings
    with django_assert_max_num_queries(14) as few:
        client.get(_url("list"))
    for _ in range(20):
        _cert(org.budget_learner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(_url("list"))
    assert response.content.decode().count("cert-state--valid") == 23


def test_list_paginates(client, org):
    CertificateFactory.create_batch(51, user=org.finance_learner, status=RenderStatus.READY)
    client.force_login(org.finance_admin)
    first = client.get(_url("list")).content.decode()
    assert "Page 1 of 2" in first
    second = client.get(_url("list"), {"page": 2, "state": ""}).content.decode()
    assert "Page 2 of 2" in second


# --- Detail and PDF -----------------------------------------------------------------------


def test_detail_shows_state_holder_and_history(client, org, django_assert_max_num_queries):
    revoked_at = timezone.make_aware(datetime.datetime(2026, 11, 25, 9, 30))
    old = _cert(org.finance_learner, is_current=False, superseded_at=revoked_at)
    cert = _with_file(
        _cert(
            org.finance_learner,
            achievement_key=old.achievement_key,
            revoked_at=revoked_at,
            revoked_by=org.discipline,
            revoked_reason="学时造假",
        )
    )
    old.superseded_by = cert
    old.save()
    client.force_login(org.discipline)
    client.get(_url("detail", cert))
    with django_assert_max_num_queries(14):
        response = client.get(_url("detail", cert))
    body = response.content.decode()
    assert response.status_code == 200
    assert "张三丰" in body
    assert "Revoked on 2026-11-25" in body
    assert "纪检员" in body and "学时造假" in body
    assert old.serial in body  # replaces an earlier one
    assert f"/verify/{cert.code}/" in body
    assert _url("revoke", cert) not in body  # already revoked: no revoke button
    assert _url("reissue", cert) not in body
    old_body = client.get(_url("detail", old)).content.decode()
    assert "Superseded" in old_body and cert.serial in old_body


def test_pdf_download(client, org):
    cert = _with_file(_cert(org.budget_learner))
    client.force_login(org.finance_admin)
    response = client.get(_url("pdf", cert))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{cert.serial}.pdf"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.parametrize(
    "status", [RenderStatus.PENDING, RenderStatus.RENDERING, RenderStatus.FAILED]
)
def test_pdf_404_while_not_ready(client, org, status):
    cert = _cert(org.finance_learner, status=status)
    client.force_login(org.finance_admin)
    assert client.get(_url("pdf", cert)).status_code == 404
    assert "The PDF is not ready yet." in client.get(_url("detail", cert)).content.decode()


# --- Revoke ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["finance_admin", "discipline", "city_admin", "superuser"])
def test_revoke_in_scope(client, org, who):
    cert = _cert(org.budget_learner)
    client.force_login(getattr(org, who))
    page = client.get(_url("revoke", cert))
    assert page.status_code == 200
    assert "not the reason" in page.content.decode()
    response = client.post(
        _url("revoke", cert), {"reason": "学时记录与签到不符", "confirm": "on"}, follow=True
    )
    assert response.redirect_chain[-1][0] == _url("detail", cert)
    assert f"Certificate {cert.serial} is revoked." in response.content.decode()
    cert.refresh_from_db()
    assert cert.revoked_by == getattr(org, who)
    assert cert.revoked_reason == "学时记录与签到不符"
    verify = client.get(f"/en/verify/{cert.code}/").content.decode()
    assert "Revoked on" in verify and "签到不符" not in verify


def test_revoke_form_rerenders_with_errors(client, org):
    cert = _cert(org.finance_learner)
    client.force_login(org.finance_admin)
    response = client.post(_url("revoke", cert), {"reason": "   "})
    assert response.status_code == 400
    body = response.content.decode()
    assert body.count("This field is required.") == 2  # the reason and the confirmation
    response = client.post(_url("revoke", cert), {"reason": "写了理由"})
    assert response.status_code == 400
    assert "写了理由" in response.content.decode()  # what was typed is kept
    cert.refresh_from_db()
    assert cert.revoked_at is None


def test_second_revoke_says_so_and_changes_nothing(client, org):
    cert = _cert(org.finance_learner)
    client.force_login(org.finance_admin)
    data = {"reason": "第一次", "confirm": "on"}
    client.post(_url("revoke", cert), data)
    first = Certificate.objects.get(pk=cert.pk)
    response = client.post(_url("revoke", cert), {"reason": "第二次", "confirm": "on"}, follow=True)
    assert "already revoked" in response.content.decode()
    again = Certificate.objects.get(pk=cert.pk)
    assert (again.revoked_at, again.revoked_reason) == (first.revoked_at, "第一次")
    assert (
        AuditEntry.objects.filter(
            object_type="certificates.certificate", object_id=str(cert.pk)
        ).count()
        == 1
    )


def test_revoke_is_post_only_for_changes(client, org):
    cert = _cert(org.finance_learner)
    client.force_login(org.finance_admin)
    client.get(_url("revoke", cert), {"reason": "x", "confirm": "on"})
    cert.refresh_from_db()
    assert cert.revoked_at is None


# --- Reissue --------------------------------------------------------------------------------


def test_reissue_then_old_code_verifies_as_superseded(client, org):
    cert = _with_file(_cert(org.finance_learner))
    client.force_login(org.finance_admin)
    confirm = client.get(_url("reissue", cert))
    assert confirm.status_code == 200
    response = client.post(_url("reissue", cert), follow=True)
    new = Certificate.objects.get(achievement_key=cert.achievement_key, is_current=True)
    assert new.pk != cert.pk
    assert response.redirect_chain[-1][0] == _url("detail", new)
    assert f"superseded by {new.serial}" in response.content.decode()
    cert.refresh_from_db()
    assert not cert.is_current and cert.superseded_by == new
    old_verify = client.get(f"/en/verify/{cert.code}/").content.decode()
    assert "Superseded" in old_verify and new.code not in old_verify
    new_verify = client.get(f"/en/verify/{new.code}/").content.decode()
    assert "Being prepared" in new_verify
    # a double submit changes nothing and leads to the new certificate
    again = client.post(_url("reissue", cert), follow=True)
    assert again.redirect_chain[-1][0] == _url("detail", new)
    assert "already replaced" in again.content.decode()
    assert Certificate.objects.filter(achievement_key=cert.achievement_key).count() == 2


def test_reissue_refused_for_a_revoked_certificate(client, org):
    cert = _cert(org.finance_learner, revoked_at=timezone.now())
    client.force_login(org.finance_admin)
    response = client.post(_url("reissue", cert))
    assert response.status_code == 400
    assert "A revoked certificate cannot be reissued." in response.content.decode()
    assert Certificate.objects.count() == 1
