"""Paper sign-in sheet import: CSV (UTF-8, GBK) and XLSX, all or nothing, an error per
row for each bad input, and the ledger follows."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from courses.models import StudyHourEntry
from events.factories import EventFactory
from events.models import Attendance

pytestmark = pytest.mark.django_db


def url(event):
    return f"/en/events/{event.pk}/roster/import/"


def csv_file(text, encoding="utf-8", name="sheet.csv"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("sheet.xlsx", out.getvalue())


def post(client, event, upload):
    return client.post(url(event), {"file": upload})


def test_import_page_shows_the_form(client, org, event):
    client.force_login(org.trainer)
    response = client.get(url(event))
    assert response.status_code == 200 and b'type="file"' in response.content


def test_csv_sheet_marks_everyone_and_credits_hours(client, org, event):
    fin, bud, hou = org.finance_learner, org.budget_learner, org.housing_learner
    text = (
        "工号,姓名,状态,时间\n"
        f"{fin.employee_number},{fin.full_name},出席,08:55\n"
        f"{bud.employee_number},{bud.full_name},迟到,09:20\n"
        f"{hou.employee_number},{hou.full_name},请假,\n"
    )
    client.force_login(org.trainer)
    response = post(client, event, csv_file(text))
    assert response.status_code == 302
    rows = {a.user_id: a for a in Attendance.objects.all()}
    assert rows[fin.pk].status == "present" and rows[fin.pk].method == "sheet"
    local = timezone.localtime(rows[fin.pk].checked_in_at)
    assert local.strftime("%H:%M") == "08:55"
    assert local.date() == timezone.localtime(event.starts_at).date()
    assert rows[bud.pk].status == "late" and rows[hou.pk].status == "excused"
    assert rows[hou.pk].checked_in_at is None
    assert StudyHourEntry.objects.filter(source_key=f"event:{event.pk}").count() == 2
    # The same sheet again changes nothing.
    before = list(Attendance.objects.order_by("pk").values())
    assert post(client, event, csv_file(text)).status_code == 302
    assert list(Attendance.objects.order_by("pk").values()) == before


def test_gbk_csv_with_email_and_english_words(client, org, event):
    fin = org.finance_learner
    text = f"邮箱,姓名,状态\n{fin.email.upper()},{fin.full_name},Present\n"
    client.force_login(org.trainer)
    assert post(client, event, csv_file(text, "gbk")).status_code == 302
    assert Attendance.objects.get().user == fin


def test_xlsx_sheet(client, org, event):
    fin = org.finance_learner
    upload = xlsx_file(
        [
            ["工号", "姓名", "状态", "签到时间"],
            [fin.employee_number, fin.full_name, "到", "2026-11-26 09:01"],
        ]
    )
    client.force_login(org.trainer)
    assert post(client, event, upload).status_code == 302
    assert Attendance.objects.get().status == "present"


def test_the_sheet_overrides_a_scan(client, org, event):
    from events.services.attendance import attendance_checkin

    fin = org.finance_learner
    attendance_checkin(event=event, user=fin, scanned_at=event.starts_at)
    client.force_login(org.trainer)
    post(client, event, csv_file(f"工号,姓名,状态\n{fin.employee_number},{fin.full_name},缺席\n"))
    row = Attendance.objects.get()
    assert row.status == "absent" and row.method == "sheet"
    assert not StudyHourEntry.objects.filter(user=fin).exists()


def _bad_rows(org):
    fin, bud = org.finance_learner, org.budget_learner
    return [
        ("工号,姓名,状态\nNOPE,某人,出席\n", "Row 2: Nobody with this employee number"),
        (f"工号,姓名,状态\n{fin.employee_number},李鬼,出席\n", "does not match this person"),
        (f"工号,姓名,状态\n{fin.employee_number},{fin.full_name},出席\n"
         f"{fin.employee_number},{fin.full_name},迟到\n", "Row 3: This person already appears in row 2."),
        (f"工号,姓名,状态\n{fin.employee_number},{fin.full_name},旷工\n", "Unknown status “旷工”"),
        (f"工号,姓名,状态,时间\n{fin.employee_number},{fin.full_name},出席,25:99\n", "is not a time"),
        (f"工号,姓名,状态\n{fin.employee_number},=HYPERLINK(\"x\"),出席\n", "looks like a spreadsheet formula"),
        (f"工号,姓名,状态\n{fin.employee_number},{fin.full_name},@SUM(A1)\n", "looks like a spreadsheet formula"),
        (f"姓名,状态\n{fin.full_name},出席\n", "Add a column 工号"),
        (f"工号,状态\n{fin.employee_number},出席\n", "The required column “姓名 / name” is missing."),
        (f"工号,姓名,状态,部门\n{fin.employee_number},{fin.full_name},出席,x\n", "Unknown column “部门”."),
        ("工号,姓名,状态\n", "The file has a header row but no people."),
        (f"工号,姓名,状态\n,{bud.full_name},出席\n", "The employee number or e-mail is missing."),
    ]  # fmt: skip


@pytest.mark.parametrize("case", range(12))
def test_bad_sheets_change_nothing(client, org, event, case):
    fin = org.finance_learner
    good = f"{org.budget_learner.employee_number},{org.budget_learner.full_name},出席\n"
    text, message = _bad_rows(org)[case]
    if text.count("\n") > 1 and "\n" in text.split("\n", 1)[1]:
        text = text + good if text.startswith("工号,姓名,状态\n") else text
    client.force_login(org.trainer)
    response = post(client, event, csv_file(text))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html, html[html.find("message--error") : html.find("message--error") + 800]
    assert not Attendance.objects.exists()
    assert not StudyHourEntry.objects.filter(user=fin).exists()


def test_every_bad_row_is_listed_and_good_rows_are_not_applied(client, org, event):
    fin, bud = org.finance_learner, org.budget_learner
    text = (
        "工号,姓名,状态\n"
        f"{fin.employee_number},{fin.full_name},出席\n"
        "NOPE,某人,出席\n"
        f"{bud.employee_number},{bud.full_name},旷工\n"
    )
    client.force_login(org.trainer)
    html = post(client, event, csv_file(text)).content.decode()
    assert "Row 3:" in html and "Row 4:" in html and "Row 2:" not in html
    assert "Nothing was imported" in html
    assert not Attendance.objects.exists()


def test_person_outside_the_audience_is_refused(client, org):
    event = EventFactory(audience_unit=org.finance, trainer=org.trainer)
    hou = org.housing_learner
    client.force_login(org.trainer)
    html = post(
        client, event, csv_file(f"工号,姓名,状态\n{hou.employee_number},{hou.full_name},出席\n")
    ).content.decode()
    assert "Nobody with this employee number" in html
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: csv_file(""), "The file is empty"),
        (lambda: csv_file("\n\n"), "The file is empty"),
        (
            lambda: SimpleUploadedFile("sheet.pdf", b"%PDF-1.4"),
            "Upload a CSV (.csv) or Excel (.xlsx) file.",
        ),
        (
            lambda: SimpleUploadedFile("sheet.xlsx", b"not a zip"),
            "Upload a CSV (.csv) or Excel (.xlsx) file.",
        ),
        (lambda: SimpleUploadedFile("sheet.xlsx", b"PK\x03\x04broken"), "could not be opened"),
        (lambda: SimpleUploadedFile("sheet.xls", b"\xd0\xcf\x11\xe0"), "Old Excel (.xls)"),
    ],
)
def test_unreadable_files_are_refused(client, org, event, upload, message):
    client.force_login(org.trainer)
    response = post(client, event, upload())
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Attendance.objects.exists()


def test_no_file(client, org, event):
    client.force_login(org.trainer)
    response = client.post(url(event), {})
    assert response.status_code == 400 and "Choose a file to import." in response.content.decode()


def test_too_large(client, org, event, settings):
    settings.QINGLIAN_IMPORT_MAX_BYTES = 100
    client.force_login(org.trainer)
    response = post(client, event, csv_file("工号,姓名,状态\n" + "x,y,出席\n" * 50))
    assert response.status_code == 400 and "The file is too large" in response.content.decode()


def test_only_managers_import(client, org, event):
    client.force_login(org.finance_admin)
    assert client.get(url(event)).status_code == 404
    client.force_login(org.finance_learner)
    assert client.get(url(event)).status_code == 403
