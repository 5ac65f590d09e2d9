"""Recording appointments by form and by import: the profile's rank level follows, the
course enrolment and notification, double submits, and bad input (message shown,
nothing written)."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from courses.models import Enrolment, EnrolmentSource
from notifications.models import Notification
from people.factories import rank
from talks.models import Appointment, ProgrammeStep

from .test_appointment_support import appoint, programme_fixture  # noqa: F401

TODAY = timezone.localdate()


def form_data(person, **overrides):
    data = {
        "person": person.email,
        "position_title": "副科长",
        "position_kind": "leading",
        "rank_level": rank("FKJ").pk,
        "decision_date": TODAY.isoformat(),
        "take_office_date": (TODAY + datetime.timedelta(days=10)).isoformat(),
    }
    data.update(overrides)
    return data


def test_recording_sets_rank_enrols_and_notifies(org, programme):
    person = org.finance_learner
    before = person.rank_level
    appointment = appoint(org, programme)
    person.refresh_from_db()
    assert person.rank_level == rank("FKJ")
    assert appointment.previous_rank_level == before
    assert appointment.unit == org.finance
    assert ProgrammeStep.objects.filter(appointment=appointment).count() == 4
    enrolment = Enrolment.objects.get(user=person, course=programme.course)
    assert appointment.enrolment == enrolment
    assert enrolment.due_date == appointment.take_office_date
    assert enrolment.required and enrolment.source == EnrolmentSource.ASSIGNED
    note = Notification.objects.get(user=person, key=f"appointment-started:{appointment.pk}")
    assert note.url == "/appointments/mine/"


def test_an_existing_elective_enrolment_is_upgraded(org, programme):
    person = org.finance_learner
    Enrolment.objects.create(
        user=person, course=programme.course, source=EnrolmentSource.SELF, required=False
    )
    appointment = appoint(org, programme)
    enrolment = Enrolment.objects.get(user=person, course=programme.course)
    assert enrolment.required and enrolment.due_date == appointment.take_office_date


def test_double_submit_returns_the_first(org, programme, client):
    client.force_login(org.finance_admin)
    data = form_data(org.finance_learner, course=programme.course.pk)
    first = client.post("/en/appointments/new/", data)
    assert first.status_code == 302
    second = client.post("/en/appointments/new/", data, follow=True)
    assert Appointment.objects.count() == 1
    assert b"already recorded" in second.content


def test_form_records_and_redirects(org, programme, client):
    client.force_login(org.finance_admin)
    response = client.get("/en/appointments/new/")
    assert response.status_code == 200
    assert response.context["form"].fields["course"].initial == programme.course.pk
    response = client.post(
        "/en/appointments/new/", form_data(org.budget_learner, course=programme.course.pk)
    )
    appointment = Appointment.objects.get()
    assert response.url == f"/en/appointments/{appointment.pk}/"
    assert appointment.person == org.budget_learner


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"person": "hou.learner@example.gov.cn"}, b"Nobody with this employee number"),
        ({"person": "nobody@example.gov.cn"}, b"Nobody with this employee number"),
        (
            {"take_office_date": (TODAY - datetime.timedelta(days=1)).isoformat()},
            b"cannot be before the decision date",
        ),
        ({"decision_date": "2026-13-45"}, b"Enter a valid date"),
        ({"position_title": ""}, b"This field is required"),
        ({"course": "999999"}, b"Select a valid choice"),
    ],
)
def test_bad_form_input_changes_nothing(org, programme, client, overrides, message):
    client.force_login(org.finance_admin)
    person = org.finance_learner
    data = form_data(person, course=programme.course.pk)
    data.update(overrides)
    response = client.post("/en/appointments/new/", data)
    assert response.status_code == 200
    assert message in response.content
    assert not Appointment.objects.exists()
    person.refresh_from_db()
    assert person.rank_level == rank("KY")


def test_learners_and_discipline_officers_cannot_record(org, programme, client):
    for user in (org.finance_learner, org.discipline):
        client.force_login(user)
        assert client.get("/en/appointments/new/").status_code == 403
        assert client.post("/en/appointments/import/").status_code == 403


# --- Import --------------------------------------------------------------------------

HEADER = "工号,姓名,新职务,职位类别,职级,决定日期,到任日期\n"


@pytest.fixture
def numbered(org):
    for user, number in (
        (org.finance_learner, "F001"),
        (org.budget_learner, "F002"),
        (org.housing_learner, "H001"),
    ):
        user.employee_number = number
        user.save(update_fields=["employee_number"])
    return org


def upload(client, programme, text, *, name="appointments.csv", encoding="utf-8"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post(
        "/en/appointments/import/",
        {"file": SimpleUploadedFile(name, data), "course": programme.course.pk},
    )


def test_import_records_every_row(numbered, programme, client):
    org = numbered
    client.force_login(org.finance_admin)
    text = HEADER + (
        "F001,张三丰,副科长,领导职务,FKJ,2026-03-01,2026-03-15\n"
        "F002,李四,科员,general,科员,2026/3/1,2026年3月20日\n"
    )
    response = upload(client, programme, text, encoding="gbk")
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = {a.person_id: a for a in Appointment.objects.all()}
    assert set(rows) == {org.finance_learner.pk, org.budget_learner.pk}
    assert rows[org.budget_learner.pk].take_office_date == datetime.date(2026, 3, 20)
    assert rows[org.budget_learner.pk].position_kind == "general"


def test_import_xlsx(numbered, programme, client):
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["工号", "姓名", "新职务", "职位类别", "职级", "决定日期", "到任日期"])
    sheet.append(["F001", "张三丰", "副科长", "领导职务", "FKJ",
                  datetime.datetime(2026, 3, 1), datetime.datetime(2026, 3, 15)])  # fmt: skip
    buffer = BytesIO()
    workbook.save(buffer)
    client.force_login(numbered.finance_admin)
    response = upload(client, programme, buffer.getvalue(), name="a.xlsx")
    assert response.status_code == 302
    assert Appointment.objects.get().take_office_date == datetime.date(2026, 3, 15)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            "H001,王五,副科长,领导职务,FKJ,2026-03-01,2026-03-15\n",
            "Nobody with the employee number",
        ),
        (
            "X999,某人,副科长,领导职务,FKJ,2026-03-01,2026-03-15\n",
            "Nobody with the employee number",
        ),
        ("F001,张三,副科长,领导职务,FKJ,2026-03-01,2026-03-15\n", "does not match"),
        ("F001,张三丰,副科长,领导职务,XXX,2026-03-01,2026-03-15\n", "Unknown rank level"),
        ("F001,张三丰,副科长,总统,FKJ,2026-03-01,2026-03-15\n", "Unknown kind of position"),
        ("F001,张三丰,副科长,领导职务,FKJ,2026-02-30,2026-03-15\n", "is not a date"),
        ("F001,张三丰,副科长,领导职务,FKJ,2026-03-15,2026-03-01\n", "cannot be before"),
        ("F001,张三丰,=HYPERLINK(1),领导职务,FKJ,2026-03-01,2026-03-15\n", "formula"),
        (
            "F001,张三丰,副科长,领导职务,FKJ,2026-03-01,2026-03-15\n" * 2,
            "already appears in row 3",
        ),
    ],
)
def test_import_bad_rows_change_nothing(numbered, programme, client, rows, message):
    org = numbered
    client.force_login(org.finance_admin)
    good = "F002,李四,科员,general,KY,2026-03-01,2026-03-15\n"
    response = upload(client, programme, HEADER + good + rows)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appointment.objects.exists()
    org.budget_learner.refresh_from_db()
    assert org.budget_learner.rank_level == rank("FKJ")  # unchanged (was FKJ)


def test_import_refuses_an_appointment_already_recorded(numbered, programme, client):
    appoint(numbered, programme, decision_date=datetime.date(2026, 3, 1),
            take_office_date=datetime.date(2026, 3, 15))  # fmt: skip
    client.force_login(numbered.finance_admin)
    response = upload(
        client, programme, HEADER + "F001,张三丰,副科长,领导职务,FKJ,2026-03-01,2026-03-15\n"
    )
    assert b"already been recorded" in response.content
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.csv", b"", "empty"),
        ("a.xls", b"\xd0\xcf\x11\xe0", "Old Excel"),
        ("a.xlsx", b"not a zip", "Upload a CSV"),
        ("a.csv", "工号,姓名\nF001,张三丰\n".encode(), "is missing"),
        (
            "a.csv",
            "工号,姓名,新职务,职位类别,职级,决定日期,到任日期,备注\n".encode(),
            "Unknown column",
        ),
        ("a.csv", HEADER.encode(), "no appointments"),
    ],
)
def test_import_bad_files(numbered, programme, client, name, data, message):
    client.force_login(numbered.finance_admin)
    response = upload(client, programme, data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_import_template_downloads(org, client):
    client.force_login(org.finance_admin)
    response = client.get("/en/appointments/import/template.csv")
    assert response.status_code == 200
    assert "工号" in b"".join(response.streaming_content).decode("utf-8-sig")
