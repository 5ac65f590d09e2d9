"""Integrity pledges: versions, signing (name check, double submit, re-signing a new
version), immutability, and the audit rows of every read and write."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEntry
from people.factories import rank
from talks.factories import AppointmentFactory, PledgeTextFactory
from talks.models import AppointmentStatus, PledgeSignature, PledgeText, PositionKind
from talks.services.pledges import (
    name_normalise,
    pledge_sign,
    pledge_text_canonical,
    pledge_text_publish,
    pledge_text_sha256,
    pledge_text_update,
)
from talks.signals import pledge_signed

SIG = "talks.pledgesignature"


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(name, args=args)


@pytest.fixture
def text(db):
    return PledgeTextFactory()


@pytest.fixture
def appointment(org, text):
    return AppointmentFactory(
        person=org.finance_learner,
        unit=org.finance,
        rank_level=rank("FKJ"),
        created_by=org.finance_admin,
    )


def sign_post(client, text, name="张三丰", confirm=True, **extra):
    data = {"typed_name": name}
    if confirm:
        data["confirm"] = "on"
    return client.post(url("pledges:sign", text.pk), data, **extra)


# --- The text and its hash -----------------------------------------------------------


def test_the_hash_covers_the_title_and_body_as_shown(text):
    canonical = pledge_text_canonical(title=text.title, body=text.body)
    assert canonical == f"{text.title}\n\n{text.body}"
    assert pledge_text_sha256(text=text) == hashlib.sha256(canonical.encode()).hexdigest()
    # Windows line endings from the admin's textarea do not change what was signed.
    assert pledge_text_canonical(title="T", body="a\r\nb") == pledge_text_canonical(
        title="T", body="a\nb"
    )


def test_name_normalise_drops_ascii_and_full_width_spaces():
    assert name_normalise(" 张\u3000三 丰\t") == "张三丰"


# --- Publishing versions -------------------------------------------------------------


def test_publishing_makes_the_next_version_current(org):
    v1 = pledge_text_publish(
        position_kind=PositionKind.KEY, title="关键岗位廉政承诺书", body="承诺一", by=org.discipline
    )
    v2 = pledge_text_publish(
        position_kind=PositionKind.KEY, title="关键岗位廉政承诺书", body="承诺二", by=org.discipline
    )
    v1.refresh_from_db()
    assert (v1.version, v1.is_current) == (1, False)
    assert (v2.version, v2.is_current, v2.created_by) == (2, True, org.discipline)
    # Another kind keeps its own numbering.
    other = pledge_text_publish(position_kind=PositionKind.GENERAL, title="一般", body="承诺")
    assert other.version == 1 and other.is_current


def test_publish_refuses_an_empty_text(org):
    with pytest.raises(ValidationError) as exc:
        pledge_text_publish(position_kind=PositionKind.KEY, title=" ", body="")
    assert set(exc.value.error_dict) == {"title", "body"}
    assert not PledgeText.objects.filter(position_kind=PositionKind.KEY).exists()


def test_an_unsigned_version_can_be_corrected(text):
    pledge_text_update(text=text, title="新标题", body="新内容")
    text.refresh_from_db()
    assert (text.title, text.body) == ("新标题", "新内容")


def test_a_signed_version_cannot_be_changed(org, text):
    pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        pledge_text_update(text=text, title="新标题", body="新内容")
    assert "cannot be changed" in exc.value.messages[0]
    fresh = PledgeText.objects.get(pk=text.pk)
    assert fresh.title == PledgeTextFactory.title
    assert fresh.body == PledgeTextFactory.body


# --- Signing (service) ---------------------------------------------------------------


def test_sign_stores_version_hash_time_ip_and_browser(org, text, appointment):
    signature = pledge_sign(
        user=org.finance_learner,
        text=text,
        typed_name="张三丰",
        confirmed=True,
        ip_address="10.1.2.3",
        user_agent="Mozilla/5.0 (iPhone)" + "x" * 400,
    )
    signature.refresh_from_db()
    assert signature.text == text and signature.text.version == 1
    assert signature.text_sha256 == pledge_text_sha256(text=text)
    assert signature.ip_address == "10.1.2.3"
    assert signature.user_agent.startswith("Mozilla/5.0 (iPhone)")
    assert len(signature.user_agent) == 300
    assert signature.signed_at is not None
    # The open appointment of the same kind of position is found by itself.
    assert signature.appointment == appointment
    entry = AuditEntry.objects.get(action="create", object_type=SIG)
    assert entry.object_id == str(signature.pk)
    assert entry.subject == org.finance_learner
    assert entry.detail["sha256"] == signature.text_sha256


@pytest.mark.parametrize("typed", ["张三", "张三丰丰", "Zhang Sanfeng", ""])
def test_a_name_that_does_not_match_is_refused(org, text, typed):
    with pytest.raises(ValidationError) as exc:
        pledge_sign(user=org.finance_learner, text=text, typed_name=typed, confirmed=True)
    assert "typed_name" in exc.value.error_dict
    assert not PledgeSignature.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("typed", ["张 三 丰", "\u3000张三丰\u3000", "  张\u3000三丰 "])
def test_spaces_and_full_width_spaces_are_ignored(org, text, typed):
    signature = pledge_sign(user=org.finance_learner, text=text, typed_name=typed, confirmed=True)
    assert signature.created
    assert PledgeSignature.objects.count() == 1


def test_the_pledge_must_be_confirmed(org, text):
    with pytest.raises(ValidationError) as exc:
        pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=False)
    assert "confirm" in exc.value.error_dict
    assert not PledgeSignature.objects.exists()


def test_signing_twice_returns_the_first_signature(org, text):
    first = pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    second = pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    assert first.created and not second.created
    assert second.pk == first.pk
    assert PledgeSignature.objects.count() == 1
    assert AuditEntry.objects.filter(action="create").count() == 1


def test_a_lost_race_returns_the_winning_signature(org, text, monkeypatch):
    """The second of two simultaneous submits passes the "already signed?" check, then
    hits the (user, text) constraint: it returns the first signature, not a 500."""
    winner = pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    real_filter = PledgeSignature.objects.filter
    calls = {"n": 0}

    class Manager:
        def filter(self, *args, **kwargs):
            calls["n"] += 1
            qs = real_filter(*args, **kwargs)
            return qs.none() if calls["n"] == 1 else qs

    monkeypatch.setattr(PledgeSignature, "objects", Manager(), raising=False)
    again = pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    monkeypatch.undo()
    assert again.pk == winner.pk and not again.created
    assert PledgeSignature.objects.count() == 1
    assert AuditEntry.objects.filter(action="create").count() == 1


def test_an_old_version_cannot_be_signed(org, text):
    pledge_text_publish(position_kind=text.position_kind, title=text.title, body="新版本")
    text.refresh_from_db()
    with pytest.raises(ValidationError):
        pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    assert not PledgeSignature.objects.exists()


def test_pledge_signed_is_sent_inside_the_signing_transaction(org, text):
    seen = []

    def receiver(sender, signature, **kwargs):
        seen.append((signature.pk, connection.in_atomic_block))

    pledge_signed.connect(receiver)
    try:
        signature = pledge_sign(
            user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True
        )
    finally:
        pledge_signed.disconnect(receiver)
    assert seen == [(signature.pk, True)]


def test_a_failing_receiver_leaves_no_signature_and_no_audit_row(org, text):
    def receiver(sender, signature, **kwargs):
        raise RuntimeError("programme step could not be updated")

    pledge_signed.connect(receiver)
    try:
        with pytest.raises(RuntimeError):
            pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    finally:
        pledge_signed.disconnect(receiver)
    assert not PledgeSignature.objects.exists()
    assert not AuditEntry.objects.filter(object_type=SIG).exists()


def test_a_failing_audit_row_leaves_no_signature(org, text, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("talks.services.pledges.audit_record", broken)
    with pytest.raises(RuntimeError):
        pledge_sign(user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True)
    assert not PledgeSignature.objects.exists()


def test_an_appointment_of_someone_else_is_refused(org, text):
    theirs = AppointmentFactory(
        person=org.budget_learner, unit=org.finance_budget, rank_level=rank("KY")
    )
    with pytest.raises(ValidationError):
        pledge_sign(
            user=org.finance_learner,
            text=text,
            typed_name="张三丰",
            confirmed=True,
            appointment=theirs,
        )
    assert not PledgeSignature.objects.exists()


# --- Immutability --------------------------------------------------------------------


def test_a_signature_cannot_be_changed_or_deleted(org, text):
    signature = pledge_sign(
        user=org.finance_learner, text=text, typed_name="张三丰", confirmed=True
    )
    signature.typed_name = "李四"
    with pytest.raises(ValueError, match="cannot be changed"):
        signature.save()
    with pytest.raises(ValueError, match="cannot be deleted"):
        signature.delete()
    fresh = PledgeSignature.objects.get(pk=signature.pk)
    assert fresh.typed_name == "张三丰"
    # The text it points at cannot be deleted either (PROTECT).
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        text.delete()


# --- The pages -----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, text):
    for target in (url("pledges:list"), url("pledges:sign", text.pk)):
        response = client.get(target)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_the_list_shows_the_pledge_to_sign_and_audits_the_read(client, org, text, appointment):
    client.force_login(org.finance_learner)
    response = client.get(url("pledges:list"))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    assert text.title in body
    assert "Not signed yet." in body
    assert url("pledges:sign", text.pk) + f"?appointment={appointment.pk}" in body
    entry = AuditEntry.objects.get(action="read", object_type=SIG)
    assert entry.subject == org.finance_learner and entry.actor == org.finance_learner


def test_the_sign_page_signs_with_ip_and_browser(client, org, text, appointment):
    client.force_login(org.finance_learner)
    page = client.get(url("pledges:sign", text.pk) + f"?appointment={appointment.pk}")
    assert page.status_code == 200
    assert text.body in page.content.decode()
    response = client.post(
        url("pledges:sign", text.pk) + f"?appointment={appointment.pk}",
        {"typed_name": "张三丰", "confirm": "on", "appointment": appointment.pk},
        REMOTE_ADDR="192.0.2.7",
        HTTP_USER_AGENT="TestPhone/1.0",
    )
    assert response.status_code == 302 and response["Location"] == url("pledges:list")
    signature = PledgeSignature.objects.get()
    assert (signature.ip_address, signature.user_agent) == ("192.0.2.7", "TestPhone/1.0")
    assert signature.appointment == appointment
    listing = client.get(url("pledges:list")).content.decode()
    assert "Thank you: your pledge is signed." in listing
    assert url("pledges:pdf", signature.pk) in listing


def test_a_wrong_name_on_the_page_shows_a_message_and_saves_nothing(client, org, text):
    client.force_login(org.finance_learner)
    response = sign_post(client, text, name="张三")
    assert response.status_code == 200
    body = response.content.decode()
    assert "does not match the full name in your profile" in body
    assert "nothing was saved" in body
    assert not PledgeSignature.objects.exists()
    assert not AuditEntry.objects.filter(action="create").exists()


def test_a_missing_confirmation_on_the_page_shows_a_message(client, org, text):
    client.force_login(org.finance_learner)
    response = sign_post(client, text, confirm=False)
    assert response.status_code == 200
    assert "Confirm that you have read the pledge" in response.content.decode()
    assert not PledgeSignature.objects.exists()


def test_full_width_spaces_on_the_page_are_accepted(client, org, text):
    client.force_login(org.finance_learner)
    response = sign_post(client, text, name="\u3000张\u3000三丰 ")
    assert response.status_code == 302
    assert PledgeSignature.objects.get().typed_name == "张 三丰"


def test_a_double_submit_keeps_one_signature(client, org, text):
    client.force_login(org.finance_learner)
    assert sign_post(client, text).status_code == 302
    second = sign_post(client, text)
    assert second.status_code == 302
    assert PledgeSignature.objects.count() == 1
    listing = client.get(url("pledges:list")).content.decode()
    assert "already signed this pledge; nothing was changed" in listing
    # Opening the signing page again goes back to the list.
    again = client.get(url("pledges:sign", text.pk))
    assert again.status_code == 302


def test_a_new_version_asks_for_a_new_signature(client, org, text, appointment):
    client.force_login(org.finance_learner)
    assert sign_post(client, text).status_code == 302
    old = PledgeSignature.objects.get()
    v2 = pledge_text_publish(
        position_kind=text.position_kind, title=text.title, body=text.body + "严守廉洁纪律。"
    )
    body = client.get(url("pledges:list")).content.decode()
    assert "New version — please sign again." in body
    assert url("pledges:sign", v2.pk) in body
    # The old version can no longer be signed.
    assert client.get(url("pledges:sign", text.pk)).status_code == 404
    assert sign_post(client, v2).status_code == 302
    assert PledgeSignature.objects.count() == 2
    new = PledgeSignature.objects.get(text=v2)
    assert new.text_sha256 != old.text_sha256
    assert PledgeSignature.objects.get(pk=old.pk).text_sha256 == old.text_sha256
    body = client.get(url("pledges:list")).content.decode()
    assert "New version — please sign again." not in body
    assert "Earlier versions you signed:" in body


def test_the_sign_page_refuses_a_foreign_or_bad_appointment(client, org, text, appointment):
    client.force_login(org.budget_learner)
    assert (
        client.get(url("pledges:sign", text.pk) + f"?appointment={appointment.pk}").status_code
        == 404
    )
    assert client.get(url("pledges:sign", text.pk) + "?appointment=abc").status_code == 404
    assert client.get(url("pledges:sign", 999999)).status_code == 404


def test_a_failing_audit_row_makes_the_list_fail(client, org, text, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("talks.views_pledges.audit_record", broken)
    client.force_login(org.finance_learner)
    with pytest.raises(RuntimeError):
        client.get(url("pledges:list"))


def test_the_list_needs_the_same_queries_for_one_or_many_pledges(
    client, org, django_assert_max_num_queries
):
    user = org.finance_learner

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("pledges:list")).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(user)
    kinds = list(PositionKind)
    t = pledge_text_publish(position_kind=kinds[0], title="承诺书", body="内容")
    pledge_sign(user=user, text=t, typed_name="张三丰", confirmed=True)
    count()  # the first request after logging in does some one-off work
    one = count()
    for kind in kinds[1:]:
        t = pledge_text_publish(position_kind=kind, title="承诺书", body="内容")
        pledge_sign(user=user, text=t, typed_name="张三丰", confirmed=True)
        AppointmentFactory(person=user, unit=org.finance, rank_level=rank("KY"), position_kind=kind)
    t = pledge_text_publish(position_kind=kinds[0], title="承诺书", body="内容二")
    many = count()
    assert many == one
    with django_assert_max_num_queries(19):
        client.get(url("pledges:list"))
    assert AppointmentStatus.IN_PROGRESS  # appointments above are open


def test_the_sign_page_needs_a_fixed_number_of_queries(
    client, org, text, appointment, django_assert_max_num_queries
):
    client.force_login(org.finance_learner)
    target = url("pledges:sign", text.pk) + f"?appointment={appointment.pk}"
    client.get(target)
    with django_assert_max_num_queries(12):
        assert client.get(target).status_code == 200
