"""Bulk import of people: encodings, every bad input, scope, all-or-nothing, double confirm,
the background path and the pages."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from people.importing import (
    ImportFileError,
    ImportRejected,
    file_parse,
    import_job_run,
    job_claim,
    job_create,
    job_issues,
    records_import,
    records_validate,
)
from people.models import ImportJob, OrgUnit, Role, RoleAssignment, User
from people.tasks import import_apply, import_expire_stale, import_send_invitations

HEADER_ZH = ["工号", "姓名", "邮箱", "单位代码", "职务", "职级"]
HEADER_EN = ["employee_number", "full_name", "email", "unit_code", "position_title", "rank_level"]
GOOD_ROWS = [
    ["F1001", "赵一", "zhao1@example.gov.cn", "CZJ", "科员", "科员"],
    ["F1002", "钱二", "Qian2@Example.gov.cn", "CZJ-YSK", "副科长", "FKJ"],
    ["F1003", "孙三", "sun3@example.gov.cn", "czj-ysk", "", ""],
]


@pytest.fixture(autouse=True)
def _default_language():
    """Requests under /en/ leave English active in this thread; start each test in Chinese."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def en(name: str, *args: object) -> str:
    """The URL of ``name`` under /en/."""
    with translation.override("en"):
        return reverse(name, args=args)


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def counts() -> tuple[int, int]:
    return User.objects.count(), RoleAssignment.objects.count()


def preview(viewer: User, name: str, data: bytes) -> ImportJob:
    return job_create(viewer=viewer, filename=name, parsed=file_parse(name=name, data=data))


def run_import(viewer: User, name: str, data: bytes) -> ImportJob:
    """Upload, preview, confirm and apply through the service functions."""
    job = preview(viewer, name, data)
    assert job.errors == [], [str(i) for i in job_issues(job=job)]
    assert job_claim(job_id=job.pk, viewer=viewer)
    result = import_job_run(job_id=job.pk)
    assert result is not None
    return result


def issues_of(viewer: User, name: str, data: bytes) -> list[tuple[str, int | None, str]]:
    """(code, row, column key) of every problem, or of the file-level problem."""
    try:
        parsed = file_parse(name=name, data=data)
    except ImportFileError as exc:
        return [(exc.issue.code, exc.issue.row, exc.issue.column)]
    job = job_create(viewer=viewer, filename=name, parsed=parsed)
    return [(i.code, i.row, i.column) for i in job_issues(job=job)]


# --- Good files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "encoding"),
    [
        ("people.csv", lambda rows: csv_bytes(rows), "utf-8"),
        ("people.csv", lambda rows: csv_bytes(rows, encoding="utf-8-sig"), "utf-8-sig"),
        ("people.csv", lambda rows: csv_bytes(rows, encoding="gbk"), "gb18030"),
        ("PEOPLE.XLSX", lambda rows: xlsx_bytes(rows), "xlsx"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "xlsx"],
)
def test_good_file_imports_every_row(org, django_capture_on_commit_callbacks, name, make, encoding):
    data = make([HEADER_ZH, *GOOD_ROWS])
    users_before, roles_before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        job = run_import(org.finance_admin, name, data)

    assert job.status == ImportJob.Status.DONE
    assert job.encoding == encoding
    assert (job.created_count, job.updated_count, job.total_rows) == (3, 0, 3)
    assert counts() == (users_before + 3, roles_before + 3)
    zhao = User.objects.get(employee_number="F1001")
    assert (zhao.full_name, zhao.email, zhao.unit, zhao.rank_level.code) == (
        "赵一", "zhao1@example.gov.cn", org.finance, "KY",
    )  # fmt: skip
    qian = User.objects.get(employee_number="F1002")
    assert qian.email == "qian2@example.gov.cn"  # stored lower-case
    assert (qian.unit, qian.rank_level.name, qian.position_title) == (
        org.finance_budget, "副科级", "副科长",
    )  # fmt: skip
    sun = User.objects.get(employee_number="F1003")
    assert sun.unit == org.finance_budget  # unit codes match case-insensitively
    assert sun.rank_level is None
    assert not zhao.has_usable_password()
    assert RoleAssignment.objects.filter(
        user=zhao, role=Role.LEARNER, unit=org.finance, granted_by=org.finance_admin
    ).exists()
    # Each new person gets the set-password e-mail, after commit.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "qian2@example.gov.cn", "sun3@example.gov.cn", "zhao1@example.gov.cn",
    ]  # fmt: skip


def test_english_headers_any_order_and_xlsx_numbers(org):
    rows = [
        ["Email", "Unit code", "Full name", "Employee number", "Rank level"],
        ["n1@example.gov.cn", "CZJ", "周四", 20240001, "正科级"],
        ["n2@example.gov.cn", "CZJ", "吴五", 20240002.0, "zkj"],
    ]
    job = run_import(org.finance_admin, "en.xlsx", xlsx_bytes(rows))
    assert job.status == ImportJob.Status.DONE
    assert User.objects.get(employee_number="20240001").rank_level.code == "ZKJ"
    assert User.objects.get(employee_number="20240002").full_name == "吴五"


def test_blank_rows_are_skipped_and_row_numbers_follow_the_sheet(org):
    rows = [
        HEADER_ZH,
        GOOD_ROWS[0],
        ["", "", "", "", "", ""],
        ["F1009", "", "x@example.gov.cn", "CZJ"],
    ]
    assert issues_of(org.finance_admin, "p.csv", csv_bytes(rows)) == [
        ("name_missing", 4, "full_name")
    ]


def test_reimport_updates_by_employee_number(org, django_capture_on_commit_callbacks):
    run_import(org.finance_admin, "a.csv", csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    mail.outbox.clear()
    changed = [
        ["F1001", "赵一鸣", "zhao.new@example.gov.cn", "CZJ-YSK", "副科长", "正科级"],
        GOOD_ROWS[1],
        GOOD_ROWS[2],
    ]
    users_before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        job = run_import(org.finance_admin, "b.csv", csv_bytes([HEADER_ZH, *changed]))
    assert (job.created_count, job.updated_count) == (0, 1)
    assert User.objects.count() == users_before
    zhao = User.objects.get(employee_number="F1001")
    assert (zhao.full_name, zhao.email, zhao.unit, zhao.rank_level.code) == (
        "赵一鸣", "zhao.new@example.gov.cn", org.finance_budget, "ZKJ",
    )  # fmt: skip
    assert RoleAssignment.objects.filter(
        user=zhao, role=Role.LEARNER, unit=org.finance_budget
    ).exists()
    assert mail.outbox == []  # only new people are invited


def test_existing_person_in_scope_is_updated(org):
    person = org.budget_learner
    rows = [HEADER_ZH, [person.employee_number, "李四新", person.email, "CZJ-YSK", "科长", "ZKJ"]]
    job = run_import(org.finance_admin, "p.csv", csv_bytes(rows))
    assert job.updated_count == 1
    person.refresh_from_db()
    assert (person.full_name, person.rank_level.code) == ("李四新", "ZKJ")


# --- Bad input: every problem is named and nothing is written ---------------------------


def bad_corpus(org) -> list[tuple[str, str, bytes, str, int | None, str]]:
    """(id, file name, content, code, row, column) — one per kind of bad input."""
    g = GOOD_ROWS
    housing = org.housing_learner
    big = csv_bytes([HEADER_ZH, *g])
    return [
        ("unknown-unit", "p.csv", csv_bytes([HEADER_ZH, g[0], ["F2", "甲", "a@example.gov.cn", "NOPE"]]), "unit_unknown", 3, "unit_code"),
        ("unit-out-of-scope", "p.csv", csv_bytes([HEADER_ZH, ["F2", "甲", "a@example.gov.cn", "ZJJ-BGS"]]), "unit_out_of_scope", 2, "unit_code"),
        ("dup-employee-number", "p.csv", csv_bytes([HEADER_ZH, g[0], [*g[1][:1], "乙", "b@example.gov.cn", "CZJ"], ["F1002", "丙", "c@example.gov.cn", "CZJ"]]), "employee_number_duplicate", 4, "employee_number"),
        ("dup-email", "p.csv", csv_bytes([HEADER_ZH, g[0], ["F9", "乙", "ZHAO1@example.gov.cn", "CZJ"]]), "email_duplicate", 3, "email"),
        ("email-taken", "p.csv", csv_bytes([HEADER_ZH, ["F9", "乙", org.finance_learner.email.upper(), "CZJ"]]), "email_taken", 2, "email"),
        ("number-outside-scope", "p.csv", csv_bytes([HEADER_ZH, [housing.employee_number, "冒名", "fake@example.gov.cn", "CZJ"]]), "employee_number_taken", 2, "employee_number"),
        ("bad-rank", "p.csv", csv_bytes([HEADER_ZH, [*g[0][:5], "处长级"]]), "rank_unknown", 2, "rank_level"),
        ("missing-name", "p.csv", csv_bytes([HEADER_ZH, ["F9", "", "d@example.gov.cn", "CZJ"]]), "name_missing", 2, "full_name"),
        ("missing-email", "p.csv", csv_bytes([HEADER_ZH, ["F9", "丁", " ", "CZJ"]]), "required", 2, "email"),
        ("missing-number", "p.csv", csv_bytes([HEADER_ZH, ["", "丁", "d@example.gov.cn", "CZJ"]]), "required", 2, "employee_number"),
        ("invalid-email", "p.csv", csv_bytes([HEADER_ZH, ["F9", "丁", "not-an-email", "CZJ"]]), "email_invalid", 2, "email"),
        ("too-long", "p.csv", csv_bytes([HEADER_ZH, ["F9", "丁" * 61, "d@example.gov.cn", "CZJ"]]), "too_long", 2, "full_name"),
        ("formula-equals", "p.csv", csv_bytes([HEADER_ZH, ["F9", '=HYPERLINK("http://evil","x")', "d@example.gov.cn", "CZJ"]]), "formula", 2, "full_name"),
        ("formula-plus", "p.csv", csv_bytes([HEADER_ZH, ["F9", "丁", "d@example.gov.cn", "CZJ", "+1+1"]]), "formula", 2, "position_title"),
        ("formula-minus", "p.csv", csv_bytes([HEADER_ZH, ["-2+3", "丁", "d@example.gov.cn", "CZJ"]]), "formula", 2, "employee_number"),
        ("formula-at", "p.csv", csv_bytes([HEADER_ZH, ["F9", "丁", "d@example.gov.cn", "@SUM(A1)"]]), "formula", 2, "unit_code"),
        ("formula-xlsx", "p.xlsx", xlsx_bytes([HEADER_ZH, ["F9", "=A1&B1", "d@example.gov.cn", "CZJ"]]), "formula", 2, "full_name"),
        ("unknown-column", "p.csv", csv_bytes([[*HEADER_ZH, "备注"], g[0]]), "column_unknown", 1, ""),
        ("missing-column", "p.csv", csv_bytes([["工号", "姓名", "单位代码"], ["F9", "丁", "CZJ"]]), "column_missing", 1, "email"),
        ("duplicate-column", "p.csv", csv_bytes([[*HEADER_ZH, "email"], [*g[0], "x@example.gov.cn"]]), "column_duplicate", 1, "email"),
        ("empty-file", "p.csv", b"", "file_empty", None, ""),
        ("blank-file", "p.csv", "\ufeff\r\n \r\n".encode(), "file_empty", None, ""),
        ("header-only", "p.xlsx", xlsx_bytes([HEADER_ZH]), "file_no_rows", None, ""),
        ("wrong-type-pdf", "p.pdf", b"%PDF-1.4\n", "file_type", None, ""),
        ("wrong-type-xls", "p.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "file_xls", None, ""),
        ("csv-named-xlsx", "p.xlsx", big, "file_type", None, ""),
        ("zip-named-csv", "p.csv", xlsx_bytes([HEADER_ZH, g[0]]), "file_type", None, ""),
        ("binary-named-csv", "p.csv", b"\x00\x01\x02binary", "file_type", None, ""),
        ("broken-xlsx", "p.xlsx", b"PK\x03\x04" + b"\x00garbage" * 20, "file_unreadable", None, ""),
        ("undecodable-csv", "p.csv", "工号,姓名".encode() + b"\x81\x20\xff\xff\n", "file_encoding", None, ""),
    ]  # fmt: skip


BAD_CASES = [
    "unknown-unit", "unit-out-of-scope", "dup-employee-number", "dup-email", "email-taken",
    "number-outside-scope", "bad-rank", "missing-name", "missing-email", "missing-number",
    "invalid-email", "too-long", "formula-equals", "formula-plus", "formula-minus",
    "formula-at", "formula-xlsx", "unknown-column", "missing-column", "duplicate-column",
    "empty-file", "blank-file", "header-only", "wrong-type-pdf", "wrong-type-xls",
    "csv-named-xlsx", "zip-named-csv", "binary-named-csv", "broken-xlsx", "undecodable-csv",
]  # fmt: skip


def test_bad_corpus_lists_every_case(org):
    assert [case[0] for case in bad_corpus(org)] == BAD_CASES


@pytest.mark.parametrize("case_id", BAD_CASES)
def test_bad_input_is_refused_with_row_and_column_and_writes_nothing(org, case_id):
    _id, name, data, code, row, column = next(c for c in bad_corpus(org) if c[0] == case_id)
    before = counts()
    found = issues_of(org.finance_admin, name, data)
    assert (code, row, column) in found, found
    job = ImportJob.objects.order_by("-pk").first()
    if row is not None:
        # A preview with problems can never be confirmed or applied.
        assert not job_claim(job_id=job.pk, viewer=org.finance_admin)
        assert import_job_run(job_id=job.pk).status == ImportJob.Status.PREVIEW
    else:
        assert job is None  # a file that cannot be read leaves no job behind either
    assert counts() == before


def test_file_too_large_is_refused(org):
    data = csv_bytes([HEADER_ZH, *GOOD_ROWS])
    with override_settings(QINGLIAN_IMPORT_MAX_BYTES=len(data) - 1):
        assert issues_of(org.finance_admin, "p.csv", data) == [("file_too_large", None, "")]


def test_every_error_is_collected_not_only_the_first(org):
    rows = [
        HEADER_ZH,
        ["F1", "", "bad", "NOPE", "", "X"],
        ["F1", "乙", "b@example.gov.cn", "ZJJ"],
        GOOD_ROWS[0],
    ]
    before = counts()
    found = issues_of(org.finance_admin, "p.csv", csv_bytes(rows))
    assert found == [
        ("name_missing", 2, "full_name"),
        ("email_invalid", 2, "email"),
        ("unit_unknown", 2, "unit_code"),
        ("rank_unknown", 2, "rank_level"),
        ("employee_number_duplicate", 3, "employee_number"),
        ("unit_out_of_scope", 3, "unit_code"),
    ]
    assert counts() == before
    # One good row among bad ones is not imported either.
    assert not User.objects.filter(employee_number="F1001").exists()


def test_out_of_scope_message_does_not_leak_the_other_person(org):
    housing = org.housing_learner
    rows = [HEADER_ZH, [housing.employee_number, "冒名", "fake@example.gov.cn", "CZJ"]]
    job = preview(org.finance_admin, "p.csv", csv_bytes(rows))
    with translation.override("en"):
        text = " ".join(str(i) for i in job_issues(job=job))
    assert "already in use" in text
    for secret in (housing.full_name, housing.email, org.housing_office.name, "ZJJ"):
        assert secret not in text


def test_finance_admin_cannot_import_into_housing_or_overwrite_a_housing_person(org):
    housing = org.housing_learner
    before = counts()
    for rows in (
        [HEADER_ZH, ["F9", "甲", "a@example.gov.cn", "ZJJ"]],
        [HEADER_ZH, [housing.employee_number, "改名", housing.email, "CZJ"]],
        [HEADER_ZH, [housing.employee_number, "改名", housing.email, "ZJJ-BGS"]],
    ):
        with pytest.raises(ImportRejected):
            records_import(
                viewer=org.finance_admin,
                records=file_parse(name="p.csv", data=csv_bytes(rows)).records,
            )
    housing.refresh_from_db()
    assert (housing.full_name, housing.unit) == ("王五", org.housing_office)
    assert counts() == before
    # The city admin's scope covers both bureaus.
    rows = [HEADER_ZH, [housing.employee_number, "王五", housing.email, "CZJ", "", "KY"]]
    run_import(org.city_admin, "p.csv", csv_bytes(rows))
    housing.refresh_from_db()
    assert housing.unit == org.finance


def test_a_non_superuser_cannot_overwrite_a_superuser(org):
    root = org.superuser
    root.employee_number = "ROOT1"
    root.save()
    rows = [HEADER_ZH, ["ROOT1", "x", root.email, "CITY"]]
    found = issues_of(org.city_admin, "p.csv", csv_bytes(rows))
    assert ("employee_number_taken", 2, "employee_number") in found


def test_changes_after_the_preview_are_caught_at_apply_and_nothing_is_written(org):
    job = preview(org.finance_admin, "p.csv", csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    assert job.errors == []
    User.objects.create_user(email="sun3@example.gov.cn", full_name="抢先", unit=org.finance)
    before = counts()
    assert job_claim(job_id=job.pk, viewer=org.finance_admin)
    job = import_job_run(job_id=job.pk)
    assert job.status == ImportJob.Status.FAILED
    assert [(i.code, i.row) for i in job_issues(job=job)] == [("email_taken", 4)]
    assert counts() == before
    assert not User.objects.filter(employee_number__in=["F1001", "F1002"]).exists()


# --- Double confirm, re-runs and expiry ------------------------------------------------


def test_running_a_job_twice_imports_once(org):
    job = run_import(org.finance_admin, "p.csv", csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    before = counts()
    assert not job_claim(job_id=job.pk, viewer=org.finance_admin)
    assert import_job_run(job_id=job.pk).status == ImportJob.Status.DONE
    assert import_apply.delay(job.pk).get() == ImportJob.Status.DONE
    assert counts() == before


def test_only_the_creator_may_confirm(org):
    job = preview(org.finance_admin, "p.csv", csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    assert not job_claim(job_id=job.pk, viewer=org.housing_admin)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.PREVIEW


def test_stale_previews_expire_and_cannot_be_confirmed(org, client):
    job = preview(org.finance_admin, "p.csv", csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    fresh = preview(org.finance_admin, "q.csv", csv_bytes([HEADER_ZH, GOOD_ROWS[0]]))
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=7))
    before = counts()
    # Not yet swept: still too old to confirm.
    assert not job_claim(job_id=job.pk, viewer=org.finance_admin)
    assert import_expire_stale.delay().get() == 1
    job.refresh_from_db()
    assert (job.status, job.rows) == (ImportJob.Status.EXPIRED, [])
    assert ImportJob.objects.get(pk=fresh.pk).status == ImportJob.Status.PREVIEW
    client.force_login(org.finance_admin)
    response = client.post(en("people:import_confirm", job.pk), follow=True)
    assert "This preview has expired" in response.content.decode()
    assert counts() == before


# --- Pages -----------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "people.csv", prefix: str = ""):
    return client.post(
        en("people:import") if prefix == "/en" else reverse("people:import"),
        {"file": _named(data, name)},
        follow=True,
    )


def _named(data: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def test_upload_page_describes_columns_and_offers_a_template(org, client):
    client.force_login(org.finance_admin)
    response = client.get(reverse("people:import"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in html
    for header in HEADER_ZH:
        assert header in html
    assert 'enctype="multipart/form-data"' in html
    template = client.get(reverse("people:import_template"))
    body = b"".join(template.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff工号,姓名,邮箱,单位代码,职务,职级")
    # The template itself is importable.
    assert issues_of(org.finance_admin, "t.csv", body.encode("utf-8")) == []


def test_preview_then_confirm_through_the_pages(
    org, client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(org.finance_admin)
    before = counts()
    response = upload(client, csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert response.redirect_chain[-1][0] == reverse("people:import_preview", args=[job.pk])
    html = response.content.decode()
    assert "赵一" in html and "预算科" in html
    assert reverse("people:import_confirm", args=[job.pk]) in html
    assert counts() == before  # a preview writes no people

    with django_assert_max_num_queries(10):
        client.get(reverse("people:import_preview", args=[job.pk]))

    confirm = reverse("people:import_confirm", args=[job.pk])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(confirm)
    assert first.status_code == 302
    assert first["Location"] == reverse("people:import_status", args=[job.pk])
    second = client.post(confirm, follow=True)  # the double click
    assert counts() == (before[0] + 3, before[1] + 3)
    assert len(mail.outbox) == 3
    html = second.content.decode()
    assert 'data-status="done"' in html
    assert 'http-equiv="refresh"' not in html
    # The preview of a confirmed job leads to its status.
    assert client.get(reverse("people:import_preview", args=[job.pk]))["Location"] == reverse(
        "people:import_status", args=[job.pk]
    )
    status = client.get(reverse("people:import_status_json", args=[job.pk])).json()
    assert status | {"id": 0} == status | {
        "id": 0, "status": "done", "created": 3, "updated": 0, "percent": 100,
        "finished": True, "errors": [],
    }  # fmt: skip


def test_preview_query_count_does_not_grow_with_rows(org, client, django_assert_max_num_queries):
    client.force_login(org.finance_admin)
    rows = [[f"Q{i:05d}", f"人员{i}", f"q{i}@example.gov.cn", "CZJ", "", "KY"] for i in range(400)]
    upload(client, csv_bytes([HEADER_ZH, *rows]))
    job = ImportJob.objects.get()
    with django_assert_max_num_queries(10):
        response = client.get(reverse("people:import_preview", args=[job.pk]))
    assert response.content.decode().count("<tr>") == 201  # header + the first 200 rows
    english = client.get(en("people:import_preview", job.pk)).content.decode()
    assert "…and 200 more rows." in english
    bad = [*rows, ["Q00001", "", "x", "NOPE"]]
    upload(client, csv_bytes([HEADER_ZH, *bad]))
    job = ImportJob.objects.latest("pk")
    with django_assert_max_num_queries(10):
        client.get(reverse("people:import_preview", args=[job.pk]))


def test_validation_and_apply_take_a_fixed_number_of_queries(org, django_assert_max_num_queries):
    rows = [
        [f"B{i:05d}", f"人员{i}", f"b{i}@example.gov.cn", "CZJ-YSK", "", "FKJ"] for i in range(2000)
    ]
    records = file_parse(name="p.csv", data=csv_bytes([HEADER_ZH, *rows])).records
    with django_assert_max_num_queries(12):
        plan = records_validate(viewer=org.finance_admin, records=records)
    assert plan.created == 2000 and not plan.issues
    seen: list[int] = []
    # Bulk statements, not one per row (SQLite caps an INSERT at 999 parameters, so it
    # splits 2,000 rows into ~25 INSERTs; PostgreSQL needs 4).
    with django_assert_max_num_queries(60):
        outcome = records_import(
            viewer=org.finance_admin, records=records, progress=seen.append, send_invitations=False
        )
    assert outcome.created == 2000
    assert seen == [500, 1000, 1500, 2000]


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_bad_file_shows_row_column_and_message_in_the_users_language(org, client, prefix):
    client.force_login(org.finance_admin)
    rows = [
        HEADER_ZH,
        GOOD_ROWS[0],
        ["F2", "甲", "a@example.gov.cn", "NOPE"],
        ["F3", "=1+1", "b@example.gov.cn", "CZJ"],
    ]
    before = counts()
    response = upload(client, csv_bytes([*rows]), prefix=prefix)
    assert response.status_code == 200
    html = response.content.decode()
    job = ImportJob.objects.get()
    assert reverse("people:import_confirm", args=[job.pk]) not in html
    if prefix == "/en":
        assert '<html lang="en">' in html
        assert "2 problems were found. Nothing will be imported" in html
        assert "Unknown unit code “NOPE”." in html
        assert "A cell may not start with =, +, - or @" in html
        assert '<td data-label="Column">Unit code (D)</td>' in html
    else:
        assert '<html lang="zh-Hans">' in html
        # row 3, column D (单位代码); row 4, column B (姓名)
        cells = [c.split("<", 1)[0] for c in html.split('">')]
        assert cells[cells.index("3") : cells.index("3") + 2] == ["3", "单位代码 (D)"]
        assert cells[cells.index("4") : cells.index("4") + 2] == ["4", "姓名 (B)"]
    # Confirming anyway changes nothing.
    client.post(reverse("people:import_confirm", args=[job.pk]))
    assert counts() == before


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_unreadable_file_is_refused_on_the_form(org, client, prefix):
    client.force_login(org.finance_admin)
    before = counts()
    response = upload(client, b"%PDF-1.4", name="people.pdf", prefix=prefix)
    assert response.status_code == 200
    assert response.redirect_chain == []
    assert ImportJob.objects.count() == 0
    assert counts() == before
    if prefix == "/en":
        assert "Upload a CSV (.csv) or Excel (.xlsx) file." in response.content.decode()
    else:
        assert 'class="errorlist' in response.content.decode()
    with override_settings(QINGLIAN_IMPORT_MAX_BYTES=10):
        response = upload(client, csv_bytes([HEADER_ZH, *GOOD_ROWS]), prefix=prefix)
    assert ImportJob.objects.count() == 0
    if prefix == "/en":
        assert "The file is too large: the limit is 10" in response.content.decode()


def test_jobs_are_private_to_their_creator(org, client):
    job = preview(org.finance_admin, "p.csv", csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    urls = [
        reverse("people:import_preview", args=[job.pk]),
        reverse("people:import_status", args=[job.pk]),
        reverse("people:import_status_json", args=[job.pk]),
    ]
    client.force_login(org.housing_admin)
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(reverse("people:import_confirm", args=[job.pk])).status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.PREVIEW
    client.force_login(org.superuser)
    for url in urls:
        assert client.get(url).status_code in (200, 302)
    # Not a unit admin at all: forbidden; anonymous: sent to log in.
    client.force_login(org.finance_learner)
    assert client.get(reverse("people:import")).status_code == 403
    client.logout()
    assert client.get(reverse("people:import")).status_code == 302
    assert client.get(reverse("people:import_confirm", args=[job.pk])).status_code == 302


def test_status_page_refreshes_and_shows_progress_while_running(org, client):
    job = preview(org.finance_admin, "p.csv", csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, processed_rows=1)
    client.force_login(org.finance_admin)
    html = client.get(reverse("people:import_status", args=[job.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress id="import-progress" class="progress" max="3" value="1">' in html
    status = client.get(reverse("people:import_status_json", args=[job.pk])).json()
    assert (status["status"], status["processed_rows"], status["percent"], status["finished"]) == (
        "running", 1, 33, False,
    )  # fmt: skip


# --- The background path: large files go through Celery ----------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@override_settings(QINGLIAN_IMPORT_ASYNC_ROWS=50)
def test_large_file_runs_as_a_celery_task_with_progress(org, celery_mode, client):
    units = OrgUnit.objects.count()
    rows = [
        [f"L{i:05d}", f"人员{i}", f"l{i}@example.gov.cn", "CZJ-YSK", "科员", "KY"]
        for i in range(1200)
    ]
    client.force_login(org.finance_admin)
    before = counts()
    response = upload(client, csv_bytes([HEADER_ZH, *rows]))
    job = ImportJob.objects.get()
    assert (
        "This is a large file" in client.get(en("people:import_preview", job.pk)).content.decode()
    )
    assert response.status_code == 200
    confirm = reverse("people:import_confirm", args=[job.pk])
    assert client.post(confirm).status_code == 302
    client.post(confirm)  # double click: queued once
    status_url = reverse("people:import_status_json", args=[job.pk])
    deadline = time.monotonic() + 120
    status = client.get(status_url).json()
    while not status["finished"] and time.monotonic() < deadline:
        time.sleep(0.3)
        status = client.get(status_url).json()
    assert status["status"] == "done", (celery_mode, status)
    assert (status["processed_rows"], status["percent"], status["created"]) == (1200, 100, 1200)
    assert counts() == (before[0] + 1200, before[1] + 1200)
    assert OrgUnit.objects.count() == units
    assert (
        User.objects.filter(employee_number__startswith="L", unit=org.finance_budget).count()
        == 1200
    )
    # Delivered again (a worker died after finishing): nothing twice.
    assert import_apply.apply(args=[job.pk]).get() == "done"
    assert counts() == (before[0] + 1200, before[1] + 1200)
    if celery_mode == "broker":
        wait_for_worker_idle()  # it is still e-mailing the new people; let it finish


def wait_for_worker_idle(timeout: float = 120) -> None:
    """The test worker runs ``--pool=solo``: it answers a ping only between tasks."""
    from qinglian.celery_app import app

    deadline = time.monotonic() + timeout
    answered = 0
    while time.monotonic() < deadline:
        # Twice in a row: the import task queues the invitations task before it ends.
        answered = answered + 1 if app.control.ping(timeout=1) else 0
        if answered == 2:
            return
        time.sleep(0.5)
    pytest.fail("The Celery worker stayed busy")


def test_invitations_run_twice_skip_people_who_already_acted(org):
    job = run_import(org.finance_admin, "p.csv", csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    assert job.created_count == 3
    ids = list(User.objects.filter(employee_number__startswith="F100").values_list("pk", flat=True))
    zhao = User.objects.get(employee_number="F1001")
    zhao.set_password("chosen-by-zhao-123")
    zhao.save()
    mail.outbox.clear()
    assert import_send_invitations.delay(ids, "en").get() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["qian2@example.gov.cn", "sun3@example.gov.cn"]


def test_the_sweep_runs_a_confirmed_job_that_got_stuck(org):
    job = preview(org.finance_admin, "p.csv", csv_bytes([HEADER_ZH, *GOOD_ROWS]))
    assert job_claim(job_id=job.pk, viewer=org.finance_admin)  # queued, but the message was lost
    recent = preview(org.finance_admin, "q.csv", csv_bytes([HEADER_ZH, GOOD_ROWS[0]]))
    ImportJob.objects.filter(pk=recent.pk).update(status=ImportJob.Status.RUNNING)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=8))
    before = counts()
    import_expire_stale.delay().get()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE
    assert ImportJob.objects.get(pk=recent.pk).status == ImportJob.Status.RUNNING  # left alone
    assert counts() == (before[0] + 3, before[1] + 3)
