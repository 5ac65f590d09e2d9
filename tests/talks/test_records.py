"""Talk records: scheduling, recording, follow-up, closing, the official's statement, the
audit rows of every read and write, and bad input (nothing changed, message shown)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from courses.models import Enrolment
from notifications.models import Notification
from people.factories import UserFactory, rank
from people.models import Role
from people.services import role_grant
from talks.factories import AppointmentFactory
from talks.models import TalkKind, TalkRecord, TalkStatus
from talks.services.records import talk_record, talk_schedule
from talks.signals import talk_recorded

OUTLINE = "提纲机密内容甲乙丙"
CONTENT = "谈话记录机密内容丁戊己"
SUMMARY = "谈话摘要：严守纪律"
CLOSE_NOTE = "整改到位，结案备注庚辛"


def make_talk(org, *, official=None, kind=TalkKind.REMINDER, talkers=None, **fields) -> TalkRecord:
    """A talk with ``official`` (default 张三丰, finance) held by the trainer."""
    official = official or org.finance_learner
    values = {
        "kind": kind,
        "official": official,
        "unit": official.unit,
        "scheduled_at": timezone.now() + datetime.timedelta(days=2),
        "place": "纪委谈话室",
        "outline": OUTLINE,
        "content": CONTENT,
        "summary": SUMMARY,
        "created_by": org.discipline,
    }
    values.update(fields)
    talk = TalkRecord.objects.create(**values)
    talk.talkers.set(talkers if talkers is not None else [org.trainer])
    return talk


def other_officer(org):
    """A discipline officer of the housing subtree (another subtree than finance)."""
    user = UserFactory(
        email="jw.housing@example.gov.cn",
        full_name="住建纪检员",
        unit=org.housing,
        rank_level=rank("ZKJ"),
    )
    role_grant(user=user, role=Role.DISCIPLINE_OFFICER, unit=org.housing)
    return user


def local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def audit_rows(action: str | None = None):
    qs = AuditEntry.objects.filter(object_type="talks.talkrecord")
    return qs.filter(action=action) if action else qs


# --- Scheduling ----------------------------------------------------------------------


def schedule_data(org, **overrides):
    data = {
        "kind": TalkKind.REMINDER,
        "official": org.finance_learner.pk,
        "talkers": [org.discipline.pk],
        "scheduled_at": local(timezone.now() + datetime.timedelta(days=3)),
        "place": "三楼谈话室",
        "outline": OUTLINE,
    }
    data.update(overrides)
    return data


def test_officer_schedules_a_talk_and_the_official_is_told_time_and_place(client, org):
    client.force_login(org.discipline)
    response = client.post("/en/talk-records/new/", schedule_data(org))
    talk = TalkRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/talk-records/{talk.pk}/")
    assert talk.status == TalkStatus.SCHEDULED
    assert talk.unit == org.finance
    assert list(talk.talkers.all()) == [org.discipline]
    assert talk.created_by == org.discipline
    note = Notification.objects.get(user=org.finance_learner)
    assert "三楼谈话室" in note.body
    assert timezone.localtime(talk.scheduled_at).strftime("%Y-%m-%d %H:%M") in note.body
    assert OUTLINE not in note.title + note.body
    assert note.url.endswith(f"/talk-records/mine/{talk.pk}/")
    row = audit_rows("create").get()
    assert row.actor == org.discipline and row.subject == org.finance_learner
    assert OUTLINE not in str(row.detail)


def test_schedule_form_defaults_to_the_officer_as_talker(client, org):
    client.force_login(org.discipline)
    response = client.get("/en/talk-records/new/")
    assert response.status_code == 200
    assert response.context["form"].initial["talkers"] == [org.discipline.pk]
    assert response["Cache-Control"].count("no-store") == 1


def test_double_submit_schedules_one_talk(client, org):
    client.force_login(org.discipline)
    data = schedule_data(org)
    client.post("/en/talk-records/new/", data)
    client.post("/en/talk-records/new/", data)
    assert TalkRecord.objects.count() == 1
    assert Notification.objects.filter(user=org.finance_learner).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"talkers": []}, "talkers", "Choose at least one talker."),
        ({"scheduled_at": ""}, "scheduled_at", "Choose the time of the talk."),
        ({"place": "  "}, "place", "Enter the place of the talk."),
        ({"kind": TalkKind.PRE_APPOINTMENT}, "appointment", "Choose the appointment"),
        ({"scheduled_at": "not a time"}, "scheduled_at", "Enter a valid date/time."),
    ],
)
def test_bad_schedule_input_is_refused_and_nothing_changes(client, org, overrides, field, message):
    client.force_login(org.discipline)
    response = client.post("/en/talk-records/new/", schedule_data(org, **overrides))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert "nothing was saved" in response.content.decode()
    assert not TalkRecord.objects.exists()
    assert not Notification.objects.exists()
    assert not audit_rows("create").exists()


def test_official_out_of_scope_is_refused(client, org):
    client.force_login(org.discipline)  # finance subtree only
    response = client.post(
        "/en/talk-records/new/", schedule_data(org, official=org.housing_learner.pk)
    )
    assert response.status_code == 200
    assert "officials in your own scope" in str(response.context["form"].errors["official"])
    assert not TalkRecord.objects.exists()


def test_service_refuses_an_out_of_scope_official_and_oneself(org):
    from django.core.exceptions import ValidationError

    when = timezone.now() + datetime.timedelta(days=1)
    for official in (org.housing_learner, org.discipline):
        with pytest.raises(ValidationError) as exc:
            talk_schedule(
                by=org.discipline,
                kind=TalkKind.REMINDER,
                official=official,
                talkers=[org.discipline],
                scheduled_at=when,
                place="谈话室",
            )
        assert "official" in exc.value.error_dict
    assert not TalkRecord.objects.exists()


def test_pre_appointment_talk_links_one_open_appointment(client, org):
    appointment = AppointmentFactory(
        person=org.finance_learner,
        unit=org.finance,
        rank_level=rank("FKJ"),
        created_by=org.finance_admin,
    )
    other = AppointmentFactory(
        person=org.budget_learner, unit=org.finance_budget, rank_level=rank("FKJ")
    )
    client.force_login(org.discipline)
    # Another person's appointment is refused.
    response = client.post(
        "/en/talk-records/new/",
        schedule_data(org, kind=TalkKind.PRE_APPOINTMENT, appointment=other.pk),
    )
    assert "open appointments" in str(response.context["form"].errors["appointment"])
    assert not TalkRecord.objects.exists()
    data = schedule_data(org, kind=TalkKind.PRE_APPOINTMENT, appointment=appointment.pk)
    assert client.post("/en/talk-records/new/", data).status_code == 302
    talk = TalkRecord.objects.get()
    assert talk.appointment == appointment
    # A second pre-appointment talk for the same appointment (another time) is refused.
    data["scheduled_at"] = local(timezone.now() + datetime.timedelta(days=5))
    response = client.post("/en/talk-records/new/", data)
    assert response.status_code == 200
    assert "already has a pre-appointment talk" in str(response.context["form"].errors)
    assert TalkRecord.objects.count() == 1


def test_unit_admin_cannot_schedule(client, org):
    client.force_login(org.finance_admin)
    assert client.get("/en/talk-records/new/").status_code in (403, 404)
    assert client.post("/en/talk-records/new/", schedule_data(org)).status_code in (403, 404)
    assert not TalkRecord.objects.exists()


# --- Recording -----------------------------------------------------------------------


def record_data(org, **overrides):
    data = {
        "held_at": local(timezone.now() - datetime.timedelta(hours=1)),
        "recorder": org.trainer.pk,
        "content": CONTENT,
        "summary": SUMMARY,
        "official_statement": "本人表示接受组织提醒",
    }
    data.update(overrides)
    return data


def test_talker_records_the_talk_and_the_signal_is_sent_inside_the_transaction(client, org):
    talk = make_talk(org, content="", summary="")
    seen = []

    def receiver(sender, talk, **kwargs):
        from django.db import connection

        seen.append((talk.pk, talk.status, connection.in_atomic_block))

    talk_recorded.connect(receiver)
    try:
        client.force_login(org.trainer)
        response = client.post(f"/en/talk-records/{talk.pk}/record/", record_data(org))
    finally:
        talk_recorded.disconnect(receiver)
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.status == TalkStatus.RECORDED
    assert talk.content == CONTENT and talk.recorder == org.trainer
    assert seen == [(talk.pk, TalkStatus.RECORDED, True)]
    assert audit_rows("update").get().detail["step"] == "record"


def test_correcting_a_record_sends_no_second_signal(org):
    talk = make_talk(org)
    seen = []

    def receiver(sender, **kwargs):
        seen.append(1)

    talk_recorded.connect(receiver)
    try:
        for text in ("第一次记录", "更正后的记录"):
            talk_record(
                by=org.discipline,
                talk=talk,
                held_at=timezone.now(),
                content=text,
            )
    finally:
        talk_recorded.disconnect(receiver)
    assert seen == [1]
    talk.refresh_from_db()
    assert talk.content == "更正后的记录"
    assert talk.recorder == org.discipline


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"content": ""}, "content", "This field is required."),
        ({"held_at": ""}, "held_at", "Enter when the talk was held."),
        ({"recorder": "999999"}, "recorder", "Select a valid choice"),
    ],
)
def test_bad_record_input_changes_nothing(client, org, overrides, field, message):
    talk = make_talk(org, content="")
    client.force_login(org.trainer)
    response = client.post(f"/en/talk-records/{talk.pk}/record/", record_data(org, **overrides))
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    talk.refresh_from_db()
    assert talk.status == TalkStatus.SCHEDULED and talk.content == ""
    assert not audit_rows("update").exists()


def test_a_future_time_of_holding_is_refused(org):
    from django.core.exceptions import ValidationError

    talk = make_talk(org)
    with pytest.raises(ValidationError):
        talk_record(
            by=org.trainer,
            talk=talk,
            held_at=timezone.now() + datetime.timedelta(days=1),
            content="x",
        )
    talk.refresh_from_db()
    assert talk.status == TalkStatus.SCHEDULED


# --- Follow-up and closing -----------------------------------------------------------


@pytest.fixture
def course(org):
    from tests.courses.conftest import build_course_tree

    return build_course_tree().course


def test_follow_up_enrols_the_official_in_a_remedial_course(client, org, course):
    talk = make_talk(org, status=TalkStatus.RECORDED, held_at=timezone.now())
    due = timezone.localdate() + datetime.timedelta(days=30)
    client.force_login(org.discipline)
    response = client.post(
        f"/en/talk-records/{talk.pk}/follow-up/",
        {"course": course.pk, "follow_up_date": due.isoformat()},
    )
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.follow_up_course_id == course.pk and talk.follow_up_date == due
    enrolment = Enrolment.objects.get(user=org.finance_learner, course=course)
    assert enrolment.required and enrolment.due_date == due
    assert Notification.objects.filter(user=org.finance_learner, kind="course-assigned").exists()
    assert audit_rows("update").get().detail["step"] == "follow-up"


def test_follow_up_needs_a_course_or_a_date_and_a_recorded_talk(client, org, course):
    client.force_login(org.discipline)
    talk = make_talk(org, status=TalkStatus.RECORDED, held_at=timezone.now())
    response = client.post(f"/en/talk-records/{talk.pk}/follow-up/", {})
    assert "Choose a remedial course or a follow-up date" in response.content.decode()
    scheduled = make_talk(org, kind=TalkKind.INTERVIEW)
    response = client.post(f"/en/talk-records/{scheduled.pk}/follow-up/", {"course": course.pk})
    assert response.status_code == 200
    assert "Record the talk before setting its follow-up." in response.content.decode()
    assert not Enrolment.objects.exists()
    assert not audit_rows("update").exists()


def test_close_with_a_note_then_nothing_changes(client, org):
    talk = make_talk(org, status=TalkStatus.RECORDED, held_at=timezone.now())
    client.force_login(org.discipline)
    response = client.post(f"/en/talk-records/{talk.pk}/close/", {"closure_note": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = client.post(f"/en/talk-records/{talk.pk}/close/", {"closure_note": CLOSE_NOTE})
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.status == TalkStatus.CLOSED and talk.closed_at and talk.closure_note == CLOSE_NOTE
    response = client.post(f"/en/talk-records/{talk.pk}/close/", {"closure_note": "again"})
    assert "already closed" in response.content.decode()
    response = client.post(f"/en/talk-records/{talk.pk}/record/", record_data(org))
    assert "closed and can no longer be changed" in response.content.decode()
    talk.refresh_from_db()
    assert talk.closure_note == CLOSE_NOTE and talk.content == CONTENT
    assert [r.detail["step"] for r in audit_rows("update")] == ["close"]


# --- The official's statement --------------------------------------------------------


def test_official_writes_and_changes_their_statement_until_closed(client, org):
    talk = make_talk(org, kind=TalkKind.PRE_APPOINTMENT, status=TalkStatus.RECORDED)
    client.force_login(org.finance_learner)
    url = f"/en/talk-records/mine/{talk.pk}/"
    response = client.post(url, {"statement": "本人将严格遵守廉洁纪律"})
    assert response.status_code == 302
    talk.refresh_from_db()
    assert talk.official_statement == "本人将严格遵守廉洁纪律"
    row = audit_rows("update").get()
    assert row.actor == org.finance_learner and row.detail["step"] == "statement"
    # Empty statement: refused, nothing changed.
    response = client.post(url, {"statement": " "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    # Closed: refused.
    TalkRecord.objects.filter(pk=talk.pk).update(status=TalkStatus.CLOSED, closed_at=timezone.now())
    response = client.get(url)
    assert "can no longer be changed" in response.content.decode()
    assert "<textarea" not in response.content.decode()
    response = client.post(url, {"statement": "修改"})
    assert response.status_code == 200
    assert "the statement can no longer be changed" in response.content.decode()
    talk.refresh_from_db()
    assert talk.official_statement == "本人将严格遵守廉洁纪律"
    assert audit_rows("update").count() == 1


def test_no_statement_on_other_kinds_of_talk(client, org):
    talk = make_talk(org, kind=TalkKind.ADMONISHMENT, status=TalkStatus.RECORDED)
    client.force_login(org.finance_learner)
    response = client.post(f"/en/talk-records/mine/{talk.pk}/", {"statement": "试图写入"})
    assert response.status_code == 200
    assert "You may not add a statement to this talk." in response.content.decode()
    talk.refresh_from_db()
    assert talk.official_statement == ""


# --- Audit ---------------------------------------------------------------------------


def test_every_read_writes_one_read_row(client, org):
    talk = make_talk(org, kind=TalkKind.PRE_APPOINTMENT)
    client.force_login(org.discipline)
    for url in (
        "/en/talk-records/",
        f"/en/talk-records/{talk.pk}/",
        f"/en/talk-records/{talk.pk}/record/",
    ):
        assert client.get(url).status_code == 200
    client.force_login(org.finance_learner)
    for url in ("/en/talk-records/mine/", f"/en/talk-records/mine/{talk.pk}/"):
        assert client.get(url).status_code == 200
    reads = list(audit_rows("read").order_by("id"))
    # One row per page: a list read names the ids it showed and no single record; a
    # record read names the record, whose it is, and the access it was read with. The
    # official's list and the official's view of the talk both say "mine".
    assert [
        (r.actor, r.detail["view"], r.object_id, r.detail.get("ids"), r.detail.get("access"))
        for r in reads
    ] == [
        (org.discipline, "list", "", [talk.pk], None),
        (org.discipline, "detail", str(talk.pk), None, "full"),
        (org.discipline, "record", str(talk.pk), None, "full"),
        (org.finance_learner, "mine", "", [talk.pk], None),
        (org.finance_learner, "mine", str(talk.pk), None, "official"),
    ]
    assert all(r.subject == org.finance_learner for r in reads if r.object_id)
    assert not audit_rows("denied").exists()


def test_a_failing_audit_row_fails_the_read(client, org, monkeypatch):
    talk = make_talk(org)

    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("talks.services.records.audit_record", broken)
    client.force_login(org.discipline)
    client.raise_request_exception = False
    response = client.get(f"/en/talk-records/{talk.pk}/")
    assert response.status_code == 500
    assert CONTENT not in response.content.decode()


def test_a_failing_audit_row_rolls_the_write_back(client, org, monkeypatch):
    talk = make_talk(org, content="")

    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("talks.services.records.audit_record", broken)
    with pytest.raises(RuntimeError):
        talk_record(by=org.trainer, talk=talk, held_at=timezone.now(), content="新记录")
    talk.refresh_from_db()
    assert talk.status == TalkStatus.SCHEDULED and talk.content == ""
    with pytest.raises(RuntimeError):
        talk_schedule(
            by=org.discipline,
            kind=TalkKind.ROUTINE,
            official=org.budget_learner,
            talkers=[org.discipline],
            scheduled_at=timezone.now() + datetime.timedelta(days=1),
            place="谈话室",
        )
    assert TalkRecord.objects.count() == 1
    assert not Notification.objects.exists()


def test_an_empty_list_reads_nothing_and_writes_no_row(client, org):
    client.force_login(org.budget_learner)
    response = client.get("/en/talk-records/mine/")
    assert response.status_code == 200
    assert "No talks" in response.content.decode()
    assert not audit_rows().exists()
