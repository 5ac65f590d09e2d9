"""Refusals of sensitive things write one ``denied`` row (who, what was asked for) and no
read or write row: someone else's clean-government file (page and PDF, in test_file),
someone else's pledge PDF (in test_pledge_pdf) or appointment to sign a pledge for, a
waiver refused on the appointment page. Writes of pledge texts are audited in the same
transaction; the clean-government file's read row names the talks it showed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEntry
from talks.factories import PledgeTextFactory
from talks.models import PledgeSignature, PledgeText, PositionKind, StepKind, StepStatus
from talks.services.pledges import pledge_sign, pledge_text_publish, pledge_text_update

from .test_appointment_support import appoint, programme_fixture  # noqa: F401
from .test_records import make_talk

ADMIN = "/admin/pledge-texts/"


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def last_id() -> int:
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def rows_after(before: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=before).order_by("id"))


# --- Waivers -------------------------------------------------------------------------


def test_a_waiver_refused_on_the_page_writes_one_denied_row(org, programme, client):
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.TALK)
    client.force_login(org.superuser)  # passes the page's role check, holds no discipline scope
    before = last_id()
    response = client.post(
        f"/en/appointments/{appointment.pk}/steps/{step.pk}/waive/",
        {f"step{step.pk}-reason": "想豁免"},
    )
    assert response.status_code == 200
    assert b"Only a discipline officer" in response.content
    rows = rows_after(before)
    assert [(r.action, r.actor, r.object_type, r.object_id) for r in rows] == [
        ("denied", org.superuser, "talks.programmestep", str(step.pk))
    ]
    assert rows[0].detail["waive"] == "talk"
    assert rows[0].detail["appointment"] == appointment.pk
    assert "Only a discipline officer" in rows[0].detail["reason"]
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING


def test_a_waiver_refused_by_the_role_check_writes_one_denied_row(org, programme, client):
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.TALK)
    client.force_login(org.finance_admin)  # a unit admin: refused before the view (403)
    before = last_id()
    response = client.post(
        f"/en/appointments/{appointment.pk}/steps/{step.pk}/waive/",
        {f"step{step.pk}-reason": "想豁免"},
    )
    assert response.status_code == 403
    rows = rows_after(before)
    assert [(r.action, r.actor) for r in rows] == [("denied", org.finance_admin)]
    assert rows[0].path.endswith(f"/steps/{step.pk}/waive/")


def test_a_granted_waiver_writes_no_denied_row(org, programme, client):
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.TALK)
    client.force_login(org.discipline)
    before = last_id()
    client.post(
        f"/en/appointments/{appointment.pk}/steps/{step.pk}/waive/",
        {f"step{step.pk}-reason": "已在上级党校参加任前谈话"},
    )
    rows = rows_after(before)
    assert [(r.action, r.object_type) for r in rows] == [("update", "talks.programmestep")]


# --- Signing for someone else's appointment -------------------------------------------


def test_signing_for_someone_elses_appointment_is_a_404_with_one_denied_row(org, programme, client):
    theirs = appoint(org, programme, person=org.budget_learner)
    client.force_login(org.finance_learner)
    sign = url("pledges:sign", programme.pledge.pk)
    before = last_id()
    assert client.get(f"{sign}?appointment={theirs.pk}").status_code == 404
    response = client.post(
        sign, {"appointment": theirs.pk, "typed_name": "张三丰", "confirm": "on"}
    )
    assert response.status_code == 404
    assert client.get(f"{sign}?appointment=abc").status_code == 404
    rows = rows_after(before)
    assert [(r.action, r.actor, r.object_type, r.object_id) for r in rows] == [
        ("denied", org.finance_learner, "talks.appointment", str(theirs.pk)),
        ("denied", org.finance_learner, "talks.appointment", str(theirs.pk)),
        ("denied", org.finance_learner, "talks.appointment", "abc"),
    ]
    assert all(r.subject_id is None for r in rows)
    assert not PledgeSignature.objects.exists()


def test_signing_for_ones_own_appointment_writes_no_denied_row(org, programme, client):
    mine = appoint(org, programme)
    client.force_login(org.finance_learner)
    sign = url("pledges:sign", programme.pledge.pk)
    before = last_id()
    assert client.get(f"{sign}?appointment={mine.pk}").status_code == 200
    response = client.post(sign, {"appointment": mine.pk, "typed_name": "张三丰", "confirm": "on"})
    assert response.status_code == 302
    actions = [r.action for r in rows_after(before)]
    assert "denied" not in actions and "create" in actions


# --- The clean-government file's read row names the talks shown ------------------------


def test_the_file_read_row_lists_the_talks_shown(org, client):
    shown = [make_talk(org, official=org.budget_learner) for _ in range(2)]
    make_talk(org, official=org.finance_learner)  # someone else's: not in this file
    client.force_login(org.discipline)
    assert client.get(url("integrity_file:person", org.budget_learner.pk)).status_code == 200
    row = AuditEntry.objects.get(action="read", object_type="talks.integrityfile")
    assert sorted(row.detail["talks"]) == sorted(t.pk for t in shown)
    assert row.detail["format"] == "html"
    # The official's own file: the talks as the official sees them.
    client.force_login(org.budget_learner)
    assert client.get(url("integrity_file:mine_pdf")).status_code == 200
    mine = AuditEntry.objects.filter(action="read", object_type="talks.integrityfile").latest("id")
    assert sorted(mine.detail["talks"]) == sorted(t.pk for t in shown)
    assert mine.detail["format"] == "pdf"


def test_a_file_without_talks_says_so(org, client):
    client.force_login(org.housing_learner)
    assert client.get(url("integrity_file:mine")).status_code == 200
    row = AuditEntry.objects.get(action="read", object_type="talks.integrityfile")
    assert row.detail["talks"] == []


# --- Pledge texts ----------------------------------------------------------------------


def test_publishing_and_correcting_a_text_write_audit_rows(org):
    before = last_id()
    text = pledge_text_publish(
        position_kind=PositionKind.KEY, title="关键岗位廉政承诺书", body="第一版", by=org.discipline
    )
    pledge_text_update(
        text=text, title="关键岗位廉政承诺书", body="第一版（更正）", by=org.discipline
    )
    rows = rows_after(before)
    assert [(r.action, r.actor, r.object_type, r.object_id) for r in rows] == [
        ("create", org.discipline, "talks.pledgetext", str(text.pk)),
        ("update", org.discipline, "talks.pledgetext", str(text.pk)),
    ]
    from talks.services.pledges import pledge_text_sha256

    text.refresh_from_db()
    assert rows[1].detail == {
        "position_kind": "key",
        "version": 1,
        "sha256": pledge_text_sha256(text=text),
    }
    assert rows[0].detail["sha256"] != rows[1].detail["sha256"]


def test_a_refused_correction_writes_no_row(org):
    text = PledgeTextFactory()
    pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    before = last_id()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        pledge_text_update(text=text, title="改", body="改", by=org.discipline)
    with pytest.raises(ValidationError):
        pledge_text_publish(position_kind=PositionKind.KEY, title=" ", body="", by=org.discipline)
    assert rows_after(before) == []


def test_a_failing_audit_row_undoes_the_publication(org, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("talks.services.pledges.audit_record", broken)
    with pytest.raises(RuntimeError):
        pledge_text_publish(position_kind=PositionKind.KEY, title="承诺书", body="内容")
    assert not PledgeText.objects.exists()
    text = PledgeTextFactory(body="原文")
    with pytest.raises(RuntimeError):
        pledge_text_update(text=text, title=text.title, body="改过")
    text.refresh_from_db()
    assert text.body == "原文"


def test_the_admin_path_writes_the_rows_with_who_and_where(org, client):
    from .test_pledge_admin import login

    login(client, org.discipline)
    before = last_id()
    data = {"position_kind": PositionKind.KEY, "title": "关键岗位廉政承诺书", "body": "第一版"}
    assert client.post(ADMIN + "new/", data).status_code == 302
    text = PledgeText.objects.get(position_kind=PositionKind.KEY)
    assert client.post(ADMIN + f"edit/{text.pk}/", {**data, "body": "更正"}).status_code == 302
    assert client.post(ADMIN + f"copy/{text.pk}/", {**data, "body": "第二版"}).status_code == 302
    v2 = PledgeText.objects.get(position_kind=PositionKind.KEY, version=2)
    rows = [r for r in rows_after(before) if r.object_type == "talks.pledgetext"]
    assert [(r.action, r.actor, r.object_id) for r in rows] == [
        ("create", org.discipline, str(text.pk)),
        ("update", org.discipline, str(text.pk)),
        ("create", org.discipline, str(v2.pk)),
    ]
    assert rows[0].path == ADMIN + "new/"
