"""Dashboard exports: every table as CSV (streamed) and XLSX holds exactly the rows of the
page it comes from, with the page's filters, within the viewer's scope; formula-looking
cells are escaped; headers are in the request's language."""

from __future__ import annotations

import csv
import datetime
import io
import time
import tracemalloc
from dataclasses import dataclass

import pytest
from django.http import StreamingHttpResponse
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from courses.factories import CourseIndexPageFactory, CoursePageFactory
from courses.models import CoursePage, Enrolment
from dashboard.exports import enrolments_header, people_header, units_header
from dashboard.models import ExportJob
from people.factories import UserFactory, rank
from people.models import User
from qinglian.exports import XLSX_CONTENT_TYPE
from qinglian.models import HomePage

EVIL_NAME = '=HYPERLINK("x")'


@dataclass
class World:
    year: int
    today: datetime.date
    past: datetime.date
    ethics: CoursePage
    plus: CoursePage
    evil: object


def _enrol(user, course, *, due=None, completed=None) -> Enrolment:
    return Enrolment.objects.create(
        user=user, course=course, required=True, due_date=due, completed_at=completed
    )


def build_world(org) -> World:
    """Required courses of year Y (this year), counted by hand:

    finance (own members: 财政管理员, 纪检员, 张三丰)
      张三丰  廉洁从政专题课程  due yesterday, not completed  → overdue
      张三丰  +1               no due date, completed today   → completed
    finance_budget (李四, =HYPERLINK("x"))
      李四    廉洁从政专题课程  no due date, completed today   → completed
      =HYP…   +1               no due date, not completed     → not completed (not overdue)
    housing_office (王五)
      王五    廉洁从政专题课程  due yesterday, not completed  → overdue
    Not counted: an elective of 李四; a course of 张三丰 due next year.
    """
    today = timezone.localdate()
    if today.month == 1 and today.day == 1:
        pytest.skip("no day of this year lies before today")
    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    ethics = CoursePageFactory(parent=index, title="廉洁从政专题课程", slug="ethics")
    plus = CoursePageFactory(parent=index, title="+1", slug="plus-one")
    other = CoursePageFactory(parent=index, title="明年的课程", slug="next-year")
    evil = UserFactory(
        email="evil@example.gov.cn",
        full_name=EVIL_NAME,
        unit=org.finance_budget,
        rank_level=rank("KY"),
    )
    past = today - datetime.timedelta(days=1)
    now = timezone.now()
    _enrol(org.finance_learner, ethics, due=past)
    _enrol(org.finance_learner, plus, completed=now)
    _enrol(org.budget_learner, ethics, completed=now)
    _enrol(evil, plus)
    _enrol(org.housing_learner, ethics, due=past)
    Enrolment.objects.create(user=org.budget_learner, course=plus, required=False)
    _enrol(org.finance_learner, other, due=datetime.date(today.year + 1, 3, 1))
    return World(year=today.year, today=today, past=past, ethics=ethics, plus=plus, evil=evil)


@pytest.fixture
def world(org) -> World:
    return build_world(org)


def export_url(table: str, fmt: str, *, lang: str = "zh-hans", **params) -> str:
    with translation.override(lang):
        path = reverse("dashboard:export", kwargs={"table": table, "fmt": fmt})
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{path}?{query}" if query else path


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response) -> list[list[object]]:
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def get(client, user, url: str):
    client.force_login(user)
    return client.get(url)


# --- Required courses (enrolments) ---------------------------------------------------


def test_enrolments_csv_streams_exactly_the_rows_in_chinese(client, org, world):
    response = get(client, org.finance_admin, export_url("enrolments", "csv", unit=org.finance.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="dashboard-CZJ-{world.year}-enrolments.csv"'
    )
    rows = read_csv(response)
    assert rows[0] == ["单位", "姓名", "工号", "课程", "截止日期", "完成日期", "状态"]
    with translation.override("zh-hans"):
        assert rows[0] == enrolments_header()
        done, overdue, open_ = "已完成", "已逾期", str(translation.gettext("Not completed"))
    number = {
        u.full_name: u.employee_number or ""
        for u in [org.finance_learner, org.budget_learner, world.evil]
    }
    today, past = world.today.isoformat(), world.past.isoformat()
    assert sorted(rows[1:]) == sorted(
        [
            ["市财政局", "张三丰", number["张三丰"], "廉洁从政专题课程", past, "", overdue],
            ["市财政局", "张三丰", number["张三丰"], "'+1", "", today, done],
            ["预算科", "李四", number["李四"], "廉洁从政专题课程", "", today, done],
            ["预算科", "'" + EVIL_NAME, number[EVIL_NAME], "'+1", "", "", open_],
        ]
    )
    # Unit order as on the page: the unit's own members, then the sub-unit.
    assert [r[0] for r in rows[1:]] == ["市财政局", "市财政局", "预算科", "预算科"]


def test_enrolments_status_filter_and_english_under_en(client, org, world):
    url = export_url("enrolments", "csv", lang="en", unit=org.finance.pk, status="completed")
    rows = read_csv(get(client, org.finance_admin, url))
    assert rows[0] == [
        "Unit",
        "Full name",
        "Employee number",
        "Course",
        "Due date",
        "Completed on",
        "State",
    ]
    assert sorted((r[1], r[3], r[6]) for r in rows[1:]) == [
        ("张三丰", "'+1", "Completed"),
        ("李四", "廉洁从政专题课程", "Completed"),
    ]
    rows = read_csv(
        get(
            client,
            org.finance_admin,
            export_url("enrolments", "csv", lang="en", unit=org.finance.pk, status="overdue"),
        )
    )
    assert [(r[1], r[6]) for r in rows[1:]] == [("张三丰", "Overdue")]
    rows = read_csv(
        get(
            client,
            org.finance_admin,
            export_url("enrolments", "csv", lang="en", unit=org.finance.pk, status="open"),
        )
    )
    assert sorted(r[1] for r in rows[1:]) == sorted(["张三丰", "'" + EVIL_NAME])


def test_enrolments_xlsx_inline_has_date_cells_and_escaped_formulas(client, org, world):
    response = get(
        client, org.finance_admin, export_url("enrolments", "xlsx", lang="en", unit=org.finance.pk)
    )
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Cache-Control"] == "no-store"
    assert f"dashboard-CZJ-{world.year}-enrolments.xlsx" in response["Content-Disposition"]
    rows = read_xlsx(response)
    assert rows[0][:4] == ["Unit", "Full name", "Employee number", "Course"]
    body = {(r[1], r[3]): r for r in rows[1:]}
    assert len(rows) == 5 and len(body) == 4
    overdue = body[("张三丰", "廉洁从政专题课程")]
    assert overdue[4].date() == world.past and overdue[5] is None and overdue[6] == "Overdue"
    completed = body[("张三丰", "'+1")]
    assert completed[4] is None and completed[5].date() == world.today
    assert ("'" + EVIL_NAME, "'+1") in body
    assert not ExportJob.objects.exists()


# --- People ----------------------------------------------------------------------------


def test_people_csv_all_and_filters(client, org, world):
    url = export_url("people", "csv", lang="en", unit=org.finance.pk)
    rows = read_csv(get(client, org.finance_admin, url))
    with translation.override("en"):
        assert rows[0] == people_header()
    by_name = {r[1]: r for r in rows[1:]}
    assert sorted(by_name) == sorted(["财政管理员", "纪检员", "张三丰", "李四", "'" + EVIL_NAME])
    zhang = by_name["张三丰"]
    assert zhang[0] == "市财政局"
    assert zhang[4:7] == ["2", "1", "1"]  # required, completed, overdue
    assert by_name["李四"][4:7] == ["1", "1", "0"]
    assert by_name["'" + EVIL_NAME][4:7] == ["1", "0", "0"]
    assert by_name["纪检员"][4:7] == ["0", "0", "0"]

    rows = read_csv(
        get(
            client,
            org.finance_admin,
            export_url("people", "csv", unit=org.finance.pk, show="overdue"),
        )
    )
    assert [r[1] for r in rows[1:]] == ["张三丰"]
    rows = read_csv(
        get(
            client,
            org.finance_admin,
            export_url("people", "csv", unit=org.finance.pk, show="incomplete"),
        )
    )
    assert sorted(r[1] for r in rows[1:]) == sorted(["张三丰", "'" + EVIL_NAME])


def test_people_xlsx_inline_escapes_the_name(client, org, world):
    url = export_url("people", "xlsx", unit=org.finance_budget.pk, show="all")
    response = get(client, org.finance_admin, url)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    rows = read_xlsx(response)
    with translation.override("zh-hans"):
        assert rows[0] == people_header()
    assert sorted(r[1] for r in rows[1:]) == sorted(["李四", "'" + EVIL_NAME])
    assert "dashboard-CZJ-YSK-" in response["Content-Disposition"]


# --- Figures by unit -------------------------------------------------------------------

# Columns 1–6: people, required, completed, completion rate, overdue, people overdue.
FINANCE_UNITS = [
    ("预算科", [2, 2, 1, 50, 0, 0]),
    ("市财政局", [3, 2, 1, 50, 1, 1]),  # the unit's own members
    ("total", [5, 4, 2, 50, 1, 1]),
]


def test_units_csv_one_line_per_row_and_the_total(client, org, world):
    rows = read_csv(
        get(client, org.finance_admin, export_url("units", "csv", lang="en", unit=org.finance.pk))
    )
    with translation.override("en"):
        assert rows[0] == units_header()
    assert len(rows) == 4 and all(len(r) == len(rows[0]) for r in rows)
    assert rows[1][0] == "预算科"
    assert rows[2][0].startswith("市财政局") and rows[2][0] != "市财政局"  # "(own members)"
    assert rows[3][0].startswith("Total")
    for line, (_name, figures) in zip(rows[1:], FINANCE_UNITS, strict=True):
        assert [int(v) for v in line[1:7]] == figures
    # No test taken: no pass rate, no average (empty cells, not 0).
    assert rows[3][9] == "" and rows[3][10] == ""


def test_units_xlsx_numbers_are_numbers(client, org, world):
    response = get(client, org.finance_admin, export_url("units", "xlsx", unit=org.finance.pk))
    assert response.status_code == 200 and response["Content-Type"] == XLSX_CONTENT_TYPE
    rows = read_xlsx(response)
    with translation.override("zh-hans"):
        assert rows[0] == units_header()
    for line, (_name, figures) in zip(rows[1:], FINANCE_UNITS, strict=True):
        assert line[1:7] == figures
    assert rows[3][9] is None


def test_units_city_admin_sees_both_bureaus(client, org, world):
    rows = read_csv(get(client, org.city_admin, export_url("units", "csv", unit=org.city.pk)))
    names = [r[0] for r in rows[1:]]
    assert names[:2] == ["市财政局", "市住建局"]
    housing = rows[2]
    assert [int(v) for v in housing[1:7]] == [2, 1, 0, 0, 1, 1]  # 住建管理员, 王五


# --- Scope -----------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["units", "people", "enrolments"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_out_of_scope_unit_is_404(client, org, world, table, fmt):
    assert (
        get(client, org.finance_admin, export_url(table, fmt, unit=org.housing.pk)).status_code
        == 404
    )
    assert (
        get(client, org.finance_admin, export_url(table, fmt, unit=org.city.pk)).status_code == 404
    )
    assert get(client, org.finance_admin, export_url(table, fmt, unit="x")).status_code == 404


def test_learner_and_anonymous_get_no_export(client, org, world):
    response = client.get(export_url("people", "csv", unit=org.finance.pk))
    assert response.status_code == 302  # to the login page
    assert (
        get(
            client, org.finance_learner, export_url("people", "csv", unit=org.finance.pk)
        ).status_code
        == 403
    )


@pytest.mark.parametrize("table", ["units", "people", "enrolments"])
def test_no_housing_name_in_finance_export_but_in_the_city_one(client, org, world, table):
    finance = b"".join(get(client, org.finance_admin, export_url(table, "csv")).streaming_content)
    text = finance.decode("utf-8")
    assert "张三丰" in text or table == "units"
    for name in ("王五", "住建管理员", "市住建局", "办公室"):
        assert name not in text
    city = b"".join(
        get(client, org.city_admin, export_url(table, "csv")).streaming_content
    ).decode()
    if table == "units":
        assert "市财政局" in city and "市住建局" in city
    else:
        assert "张三丰" in city and "王五" in city


@pytest.mark.parametrize(
    ("table", "fmt"), [("nope", "csv"), ("people", "pdf"), ("people", "CSV"), ("units", "")]
)
def test_unknown_table_or_format_is_404(client, org, world, table, fmt):
    path = f"/dashboard/export/{table}.{fmt}?unit={org.finance.pk}"
    assert get(client, org.finance_admin, path).status_code == 404


def test_only_get(client, org, world):
    client.force_login(org.finance_admin)
    assert client.post(export_url("people", "csv", unit=org.finance.pk)).status_code == 405


# --- Large XLSX goes to a job (the job itself: test_export_jobs.py) ---------------------


@override_settings(DASHBOARD_EXPORT_INLINE_ROWS=1)
def test_large_xlsx_redirects_to_a_job_but_csv_still_streams(client, org, world):
    client.force_login(org.finance_admin)
    response = client.get(export_url("enrolments", "xlsx", unit=org.finance.pk))
    assert response.status_code == 303
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("dashboard:export_job", args=[job.pk])
    assert response["Cache-Control"] == "no-store"
    assert isinstance(
        client.get(export_url("enrolments", "csv", unit=org.finance.pk)), StreamingHttpResponse
    )
    # The units table is always small: inline.
    assert client.get(export_url("units", "xlsx", unit=org.finance.pk)).status_code == 200
    assert ExportJob.objects.count() == 1


# --- Memory --------------------------------------------------------------------------


def test_csv_of_20000_enrolments_streams_in_flat_memory(client, org):
    """20,000 required courses as CSV: the peak of Python allocations stays far below
    what holding the rows would take (the benchmark measures 100,000)."""
    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    courses = [
        CoursePageFactory(parent=index, title=f"课程{i}", slug=f"mem-{i}") for i in range(20)
    ]
    ky = rank("KY")
    people = User.objects.bulk_create(
        [
            User(
                email=f"m{i}@example.gov.cn",
                full_name=f"人员{i}",
                employee_number=f"M{i:05d}",
                unit=org.finance_budget,
                rank_level=ky,
                password="!",
            )
            for i in range(1000)
        ]
    )
    now = timezone.now()
    Enrolment.objects.bulk_create(
        [
            Enrolment(user=p, course=c, required=True, completed_at=now if i % 3 == 0 else None)
            for i, (p, c) in enumerate((p, c) for p in people for c in courses)
        ],
        batch_size=2000,
    )
    client.force_login(org.finance_admin)
    url = export_url("enrolments", "csv", unit=org.finance.pk)
    tracemalloc.start()
    try:
        started = time.perf_counter()
        response = client.get(url)
        rows = 0
        size = 0
        for chunk in response.streaming_content:
            rows += chunk.count(b"\n")
            size += len(chunk)
        elapsed = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == 20_001
    assert size > 1_000_000
    assert peak < 20 * 1024 * 1024, peak
    print(f"20,000 rows: {size} bytes in {elapsed:.2f} s, peak {peak / 1e6:.1f} MB")
