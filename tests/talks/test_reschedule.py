"""Rescheduling and cancelling a scheduled talk: the new time and place reach the official
once per change, the audit row holds the old and the new values, every refusal changes
nothing (and a refused person gets a 404 with a ``denied`` row), a cancelled talk stays
shown as cancelled, and a cancelled pre-appointment talk leaves its programme step
pending so that a new talk can be scheduled."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from notifications.models import Notification
from talks.models import StepKind, StepStatus, TalkKind, TalkRecord, TalkStatus
from talks.services.records import (
    talk_cancel,
    talk_close,
    talk_follow_up,
    talk_record,
    talk_reschedule,
    talk_schedule,
    talk_statement_save,
)

from .test_appointment_support import appoint, programme_fixture  # noqa: F401
from .test_records import audit_rows, local, make_talk, other_officer

NEW_PLACE = "五楼第二谈话室"


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(f"talk_records:{name}", args=args)


def later(days: int = 5, hour: int = 9) -> datetime.datetime:
    day = timezone.localtime() + datetime.timedelta(days=days)
    return day.replace(hour=hour, minute=30, second=0, microsecond=0)


def notes(org):
    return Notification.objects.filter(user=org.finance_learner)


@pytest.fixture(autouse=True)
def _english():
    """Service messages in English (the pages are requested under /en/)."""
    with translation.override("en"):
        yield


@pytest.fixture
def talk(org):
    """A reminder talk with 张三丰 (finance) in two days, held by the trainer."""
    return make_talk(org)


def reschedule_data(talk, **overrides):
    data = {
        "scheduled_at": local(later()),
        "place": NEW_PLACE,
        "talkers": [t.pk for t in talk.talkers.all()],
        "reason": "领导临时出差",
        "version": talk.reschedule_count,
    }
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Rescheduling (service) ----------------------------------------------------------


def test_reschedule_moves_time_and_place_tells_the_official_and_is_audited(org, talk):
    old_place = talk.place
    old_time = timezone.localtime(talk.scheduled_at).strftime("%Y-%m-%d %H:%M")
    when = later()
    moved = talk_reschedule(
        by=org.discipline, talk=talk, scheduled_at=when, place=NEW_PLACE, reason="会议冲突"
    )
    assert moved.reused is False
    talk.refresh_from_db()
    assert talk.scheduled_at == when and talk.place == NEW_PLACE
    assert talk.status == TalkStatus.SCHEDULED and talk.reschedule_count == 1
    assert list(talk.talkers.all()) == [org.trainer]  # talkers=None keeps them
    note = notes(org).get()
    assert note.kind == "talk-rescheduled"
    assert NEW_PLACE in note.body and when.strftime("%Y-%m-%d %H:%M") in note.body
    assert note.url.endswith(f"/talk-records/mine/{talk.pk}/")
    assert "会议冲突" not in note.title + note.body  # the reason stays internal
    row = audit_rows("update").get()
    assert row.actor == org.discipline and row.subject == org.finance_learner
    assert row.detail["step"] == "reschedule"
    assert row.detail["reason"] == "会议冲突"
    assert row.detail["old"] == {"time": old_time, "place": old_place, "talkers": [org.trainer.pk]}
    assert row.detail["new"]["place"] == NEW_PLACE
    assert row.detail["new"]["time"] == when.strftime("%Y-%m-%d %H:%M")


def test_each_change_is_told_once_even_back_and_forth(org, talk):
    first, second = later(5), later(6)
    for when, place in ((first, "甲室"), (second, "乙室"), (first, "甲室")):
        talk = talk_reschedule(
            by=org.discipline, talk=talk, scheduled_at=when, place=place, reason="调整"
        )
    assert notes(org).count() == 3  # A → B → A: the official hears of every move
    # A new place at the same time is told as well.
    talk_reschedule(by=org.discipline, talk=talk, scheduled_at=first, place="丙室", reason="换房间")
    assert notes(org).count() == 4
    assert "丙室" in notes(org).order_by("-pk").first().body
    assert audit_rows("update").count() == 4


def test_a_double_submit_changes_and_notifies_once(org, talk):
    seen = talk.reschedule_count
    when = later()
    for _ in range(2):
        result = talk_reschedule(
            by=org.discipline,
            talk=TalkRecord.objects.get(pk=talk.pk),
            scheduled_at=when,
            place=NEW_PLACE,
            reason="重复点击",
            seen_version=seen,
        )
    assert result.reused is True
    assert TalkRecord.objects.get(pk=talk.pk).reschedule_count == 1
    assert notes(org).count() == 1
    assert audit_rows("update").count() == 1


def test_a_change_made_meanwhile_is_not_overwritten(org, talk):
    seen = talk.reschedule_count
    talk_reschedule(by=org.discipline, talk=talk, scheduled_at=later(5), place="甲室", reason="一")
    with pytest.raises(ValidationError, match="meanwhile"):
        talk_reschedule(
            by=org.trainer, talk=talk, scheduled_at=later(7), place="乙室", reason="二",
            seen_version=seen,
        )  # fmt: skip
    assert TalkRecord.objects.get(pk=talk.pk).place == "甲室"


def test_talkers_can_change_without_telling_the_official(org, talk):
    talk_reschedule(
        by=org.discipline,
        talk=talk,
        scheduled_at=talk.scheduled_at,
        place=talk.place,
        talkers=[org.discipline, org.trainer],
        reason="增加谈话人",
    )
    assert set(talk.talkers.all()) == {org.discipline, org.trainer}
    assert not notes(org).exists()  # time and place are unchanged
    row = audit_rows("update").get()
    assert row.detail["new"]["talkers"] == sorted([org.discipline.pk, org.trainer.pk])


def test_a_talker_with_full_access_may_reschedule(org, talk):
    talk_reschedule(by=org.trainer, talk=talk, scheduled_at=later(), place=NEW_PLACE, reason="改期")
    assert TalkRecord.objects.get(pk=talk.pk).place == NEW_PLACE


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": "  "}, "reason", "Give the reason."),
        ({"scheduled_at": None}, "scheduled_at", "Choose the time of the talk."),
        ({"place": " "}, "place", "Enter the place of the talk."),
        ({"place": "长" * 201}, "place", "The place is too long"),
        ({"talkers": []}, "talkers", "Choose at least one talker."),
        ({"talkers": "official"}, "talkers", "The official cannot be one of the talkers."),
    ],
)
def test_bad_reschedule_input_changes_nothing(org, talk, changes, field, message):
    values = {"scheduled_at": later(), "place": NEW_PLACE, "reason": "理由"}
    values.update(changes)
    if values.get("talkers") == "official":
        values["talkers"] = [org.finance_learner]
    with pytest.raises(ValidationError) as exc:
        talk_reschedule(by=org.discipline, talk=talk, **values)
    assert message in " ".join(exc.value.message_dict[field])
    _assert_unchanged(org, talk)


def test_nothing_changed_is_refused_with_a_message(org, talk):
    with pytest.raises(ValidationError, match="Nothing has changed"):
        talk_reschedule(
            by=org.discipline,
            talk=talk,
            # seconds never make a new time (the form's precision is the minute)
            scheduled_at=talk.scheduled_at.replace(second=0, microsecond=0),
            place=f"  {talk.place} ",
            talkers=[org.trainer],
            reason="没有变化",
            seen_version=talk.reschedule_count,
        )
    _assert_unchanged(org, talk)


@pytest.mark.parametrize("status", [TalkStatus.RECORDED, TalkStatus.CLOSED, TalkStatus.CANCELLED])
def test_only_a_scheduled_talk_can_be_rescheduled(org, status):
    extra = {"held_at": timezone.now()} if status != TalkStatus.CANCELLED else {}
    if status == TalkStatus.CANCELLED:
        extra = {"cancelled_at": timezone.now(), "cancel_reason": "取消"}
    talk = make_talk(org, status=status, **extra)
    with pytest.raises(ValidationError, match="no longer"):
        talk_reschedule(
            by=org.discipline, talk=talk, scheduled_at=later(), place=NEW_PLACE, reason="改期"
        )
    _assert_unchanged(org, talk)


@pytest.mark.parametrize("who", ["finance_admin", "superuser", "finance_learner", "other"])
def test_the_service_refuses_anyone_without_full_access(org, talk, who):
    user = other_officer(org) if who == "other" else getattr(org, who)
    with pytest.raises(ValidationError, match="may not change"):
        talk_reschedule(by=user, talk=talk, scheduled_at=later(), place=NEW_PLACE, reason="改期")
    with pytest.raises(ValidationError, match="may not change"):
        talk_cancel(by=user, talk=talk, reason="取消")
    _assert_unchanged(org, talk)


def _assert_unchanged(org, talk):
    fresh = TalkRecord.objects.get(pk=talk.pk)
    assert fresh.scheduled_at == talk.scheduled_at
    assert fresh.place == talk.place
    assert fresh.status == talk.status
    assert fresh.reschedule_count == talk.reschedule_count
    assert list(fresh.talkers.all()) == [org.trainer]
    assert not notes(org).exists()
    assert not audit_rows("update").exists()


# --- Rescheduling (pages) ------------------------------------------------------------


def test_the_detail_page_offers_reschedule_and_cancel_while_scheduled(client, org, talk):
    client.force_login(org.discipline)
    html = client.get(url("detail", talk.pk)).content.decode()
    assert url("reschedule", talk.pk) in html and url("cancel", talk.pk) in html
    TalkRecord.objects.filter(pk=talk.pk).update(status=TalkStatus.RECORDED, held_at=timezone.now())
    html = client.get(url("detail", talk.pk)).content.decode()
    assert url("reschedule", talk.pk) not in html and url("cancel", talk.pk) not in html


def test_reschedule_page(client, org, talk):
    client.force_login(org.discipline)
    response = client.get(url("reschedule", talk.pk))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html and 'method="post"' in html
    assert 'type="hidden" name="version" value="0"' in html
    assert response.context["form"].initial["place"] == talk.place
    data = reschedule_data(talk)
    response = client.post(url("reschedule", talk.pk), data)
    assert response.status_code == 302 and response["Location"] == url("detail", talk.pk)
    assert any("told the new time and place" in m for m in messages_of(response))
    talk.refresh_from_db()
    assert talk.place == NEW_PLACE and local(talk.scheduled_at) == data["scheduled_at"]
    # A double click: the same form posted again is recognised, nothing sent twice.
    response = client.post(url("reschedule", talk.pk), data)
    assert response.status_code == 302
    assert any("already saved" in m for m in messages_of(response))
    assert notes(org).count() == 1
    assert audit_rows("update").count() == 1
    # The official's own pages show the new time and place.
    client.force_login(org.finance_learner)
    for page in (url("mine_detail", talk.pk), url("mine")):
        html = client.get(page).content.decode()
        assert NEW_PLACE in html and data["scheduled_at"].replace("T", " ") in html


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"reason": ""}, "reason", "Give the reason."),
        ({"scheduled_at": ""}, "scheduled_at", "Choose the time of the talk."),
        ({"scheduled_at": "not a time"}, "scheduled_at", "Enter a valid date/time."),
        ({"place": ""}, "place", "Enter the place of the talk."),
        ({"talkers": []}, "talkers", "Choose at least one talker."),
        ({"talkers": ["999999"]}, "talkers", "Select a valid choice."),
    ],
)
def test_bad_reschedule_form_is_rerendered_with_the_message(
    client, org, talk, overrides, field, message
):
    client.force_login(org.discipline)
    response = client.post(url("reschedule", talk.pk), reschedule_data(talk, **overrides))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    html = response.content.decode()
    assert "nothing was saved" in html
    assert f'id="id_{field}_errors"' in html
    _assert_unchanged(org, talk)


def test_unchanged_form_is_rerendered_with_the_message(client, org, talk):
    client.force_login(org.discipline)
    data = reschedule_data(talk, scheduled_at=local(talk.scheduled_at), place=talk.place)
    response = client.post(url("reschedule", talk.pk), data)
    assert response.status_code == 200
    assert "Nothing has changed" in response.content.decode()
    _assert_unchanged(org, talk)


def test_a_recorded_talk_shows_no_reschedule_form(client, org):
    talk = make_talk(org, status=TalkStatus.RECORDED, held_at=timezone.now())
    client.force_login(org.discipline)
    response = client.get(url("reschedule", talk.pk))
    assert response.status_code == 200 and response.context["can_change"] is False
    assert "<form" not in response.content.decode().split("<main", 1)[1].split("</main>")[0]
    response = client.post(url("reschedule", talk.pk), reschedule_data(talk))
    assert response.status_code == 200
    assert "Only a talk that is still scheduled" in response.content.decode()
    assert TalkRecord.objects.get(pk=talk.pk).place != NEW_PLACE


@pytest.mark.parametrize("who", ["finance_admin", "superuser", "finance_learner", "other"])
def test_pages_refuse_anyone_without_full_access_with_a_404_and_a_denied_row(
    client, org, talk, who
):
    user = other_officer(org) if who == "other" else getattr(org, who)
    client.force_login(user)
    assert client.get(url("reschedule", talk.pk)).status_code == 404
    assert client.post(url("reschedule", talk.pk), reschedule_data(talk)).status_code == 404
    assert client.get(url("cancel", talk.pk)).status_code == 404
    assert client.post(url("cancel", talk.pk), {"reason": "取消"}).status_code == 404
    denied = audit_rows("denied")
    assert denied.count() == 4
    assert {row.detail["view"] for row in denied} == {"reschedule", "cancel"}
    assert all(row.subject_id is None for row in denied)
    assert not audit_rows("read").exists()
    _assert_unchanged(org, talk)


def test_anonymous_visitors_are_sent_to_log_in(client, org, talk):
    for name in ("reschedule", "cancel"):
        response = client.post(url(name, talk.pk), {"reason": "x"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    _assert_unchanged(org, talk)


# --- Cancelling ----------------------------------------------------------------------


def test_cancel_tells_the_official_is_audited_and_is_final(org, talk):
    result = talk_cancel(by=org.discipline, talk=talk, reason="谈话对象调离")
    assert result.reused is False
    talk.refresh_from_db()
    assert talk.status == TalkStatus.CANCELLED
    assert talk.cancelled_at is not None and talk.cancel_reason == "谈话对象调离"
    note = notes(org).get()
    assert note.kind == "talk-cancelled"
    assert talk.place in note.body
    assert "谈话对象调离" not in note.title + note.body
    row = audit_rows("update").get()
    assert row.detail["step"] == "cancel" and row.detail["reason"] == "谈话对象调离"
    assert row.detail["place"] == talk.place
    # Cancelling again (a double click) writes and sends nothing more.
    assert talk_cancel(by=org.discipline, talk=talk, reason="再次").reused is True
    assert notes(org).count() == 1 and audit_rows("update").count() == 1
    # A cancelled talk can no longer be recorded, followed up, closed or stated on.
    for call in (
        lambda: talk_record(by=org.discipline, talk=talk, held_at=timezone.now(), content="记录"),
        lambda: talk_follow_up(
            by=org.discipline, talk=talk, course=None, follow_up_date=timezone.localdate()
        ),
        lambda: talk_close(by=org.discipline, talk=talk, note="结案"),
    ):
        with pytest.raises(ValidationError, match="cancelled"):
            call()
    assert TalkRecord.objects.get(pk=talk.pk).status == TalkStatus.CANCELLED


def test_the_official_cannot_state_on_a_cancelled_pre_appointment_talk(org):
    talk = make_talk(org, kind=TalkKind.PRE_APPOINTMENT)
    talk_cancel(by=org.discipline, talk=talk, reason="取消")
    with pytest.raises(ValidationError, match="cancelled"):
        talk_statement_save(official=org.finance_learner, talk=talk, statement="表态")


@pytest.mark.parametrize("status", [TalkStatus.RECORDED, TalkStatus.CLOSED])
def test_a_held_talk_cannot_be_cancelled(org, status):
    talk = make_talk(org, status=status, held_at=timezone.now())
    with pytest.raises(ValidationError, match="can no longer be cancelled"):
        talk_cancel(by=org.discipline, talk=talk, reason="取消")
    assert TalkRecord.objects.get(pk=talk.pk).status == status
    assert not notes(org).exists() and not audit_rows("update").exists()


def test_cancel_needs_a_reason(org, talk):
    with pytest.raises(ValidationError) as exc:
        talk_cancel(by=org.discipline, talk=talk, reason="  ")
    assert "Give the reason." in exc.value.message_dict["reason"]
    _assert_unchanged(org, talk)


def test_cancel_page(client, org, talk):
    client.force_login(org.discipline)
    response = client.get(url("cancel", talk.pk))
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    response = client.post(url("cancel", talk.pk), {"reason": ""})
    assert response.status_code == 200
    assert "Give the reason." in str(response.context["form"].errors["reason"])
    assert "nothing was saved" in response.content.decode()
    _assert_unchanged(org, talk)
    response = client.post(url("cancel", talk.pk), {"reason": "对象请假"})
    assert response.status_code == 302 and response["Location"] == url("detail", talk.pk)
    assert any("cancelled and the official" in m for m in messages_of(response))
    response = client.post(url("cancel", talk.pk), {"reason": "对象请假"})  # a double click
    assert any("already cancelled" in m for m in messages_of(response))
    assert notes(org).count() == 1
    html = client.get(url("detail", talk.pk)).content.decode()
    assert "Cancelled" in html and "对象请假" in html
    assert url("record", talk.pk) not in html
    # The list filters on the new status.
    listing = client.get(url("list") + "?status=cancelled")
    assert [t.pk for t in listing.context["talks"]] == [talk.pk]
    # The official sees it as cancelled, without the internal reason.
    client.force_login(org.finance_learner)
    for page in (url("mine_detail", talk.pk), url("mine")):
        html = client.get(page).content.decode()
        assert "Cancelled" in html and "对象请假" not in html
    with translation.override("en"):
        file_url = reverse("integrity_file:mine")
    html = client.get(file_url).content.decode()
    assert "Cancelled" in html and "对象请假" not in html


def test_a_cancelled_pre_appointment_talk_leaves_the_step_pending_and_a_new_one_can_be_scheduled(
    client, org, programme
):
    appointment = appoint(org, programme)
    first = talk_schedule(
        by=org.discipline,
        kind=TalkKind.PRE_APPOINTMENT,
        official=org.finance_learner,
        talkers=[org.discipline],
        scheduled_at=later(3),
        place="纪委谈话室",
        appointment=appointment,
    )
    talk_cancel(by=org.discipline, talk=first, reason="时间冲突")
    step = appointment.steps.get(kind=StepKind.TALK)
    assert step.status == StepStatus.PENDING
    # The official's programme says the talk was cancelled and a new time will come.
    client.force_login(org.finance_learner)
    with translation.override("en"):
        mine = reverse("appointments:mine")
    html = client.get(mine).content.decode()
    assert "was cancelled" in html
    # A new pre-appointment talk for the same appointment is accepted ...
    second = talk_schedule(
        by=org.discipline,
        kind=TalkKind.PRE_APPOINTMENT,
        official=org.finance_learner,
        talkers=[org.discipline],
        scheduled_at=later(4),
        place="新谈话室",
        appointment=appointment,
    )
    assert second.pk != first.pk and second.status == TalkStatus.SCHEDULED
    # ... the programme page shows it rather than the cancelled one ...
    html = client.get(mine).content.decode()
    assert "新谈话室" in html and "was cancelled" not in html
    # ... a third (while the second is live) is still refused ...
    with pytest.raises(ValidationError, match="already has a pre-appointment talk"):
        talk_schedule(
            by=org.discipline,
            kind=TalkKind.PRE_APPOINTMENT,
            official=org.finance_learner,
            talkers=[org.discipline],
            scheduled_at=later(8),
            place="另一个谈话室",
            appointment=appointment,
        )
    # ... and recording the new talk completes the step.
    talk_record(by=org.discipline, talk=second, held_at=timezone.now(), content="谈话内容")
    step.refresh_from_db()
    assert step.status == StepStatus.DONE


def test_the_database_keeps_one_live_pre_appointment_talk_and_cancel_details(org, programme):
    from django.db import IntegrityError, transaction

    appointment = appoint(org, programme)
    make_talk(org, kind=TalkKind.PRE_APPOINTMENT, appointment=appointment,
              status=TalkStatus.CANCELLED, cancelled_at=timezone.now(), cancel_reason="取消")  # fmt: skip
    make_talk(org, kind=TalkKind.PRE_APPOINTMENT, appointment=appointment)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_talk(org, kind=TalkKind.PRE_APPOINTMENT, appointment=appointment)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_talk(org, status=TalkStatus.CANCELLED)  # no time, no reason


@pytest.mark.parametrize("page", ["reschedule", "cancel"])
def test_change_pages_run_a_fixed_number_of_queries(
    client, org, talk, page, django_assert_num_queries
):
    """The page costs the same however many talkers the talk has (the choices are one
    query, the talk's talkers another)."""
    client.force_login(org.discipline)
    client.get(url(page, talk.pk))  # sessions, caches warmed
    expected = {"reschedule": 18, "cancel": 16}[page]
    with django_assert_num_queries(expected):
        assert client.get(url(page, talk.pk)).status_code == 200
    talk.talkers.add(org.city_admin, org.housing_admin)
    with django_assert_num_queries(expected):
        assert client.get(url(page, talk.pk)).status_code == 200
