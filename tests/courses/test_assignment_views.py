"""The unit admin's assignment pages: access, scope, the form (refusals re-render and
write nothing, a double submit makes one), the progress page, exports and query counts;
and the self-enrol button."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse as django_reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from courses.models import Assignment, Enrolment, EnrolmentSource, LessonProgress
from courses.services.assignments import assignment_enrol_audience
from people.factories import UserFactory, rank

pytestmark = pytest.mark.django_db


def reverse(name: str, args: list | None = None) -> str:
    """The English URL (``/en/…``): the assertions below read English messages."""
    with translation.override("en"):
        return django_reverse(name, args=args)


LIST = reverse("assignments:list")
NEW = reverse("assignments:new")


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def assign(course, unit, *, by=None, due=30, **kwargs) -> Assignment:
    a = Assignment.objects.create(
        course=course, unit=unit, due_date=in_days(due), created_by=by, **kwargs
    )
    assignment_enrol_audience(assignment=a)
    return a


@pytest.fixture
def assignments(org, course_tree):
    return {
        "city": assign(course_tree.course, org.city, by=org.city_admin),
        "finance": assign(course_tree.course, org.finance, by=org.finance_admin, due=10),
        "housing": assign(course_tree.course, org.housing, by=org.housing_admin),
    }


def form_data(org, course_tree, **overrides) -> dict:
    data = {
        "course": course_tree.course.pk,
        "unit": org.finance.pk,
        "min_rank": "",
        "required": "",
        "due_date": in_days(14).isoformat(),
        "note": "请按时完成",
    }
    data.update(overrides)
    return data


# --- Access --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["finance_learner", "trainer"])
def test_learners_and_trainers_are_refused(client, org, assignments, who):
    client.force_login(getattr(org, who))
    for url in (
        LIST,
        NEW,
        reverse("assignments:detail", args=[assignments["finance"].pk]),
        reverse("assignments:export_csv", args=[assignments["finance"].pk]),
        reverse("assignments:edit", args=[assignments["finance"].pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(client, assignments):
    response = client.get(reverse("assignments:detail", args=[assignments["finance"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_discipline_officers_read_but_do_not_change(client, org, assignments):
    client.force_login(org.discipline)
    assert client.get(LIST).status_code == 200
    detail = client.get(reverse("assignments:detail", args=[assignments["finance"].pk]))
    assert detail.status_code == 200
    assert (
        reverse("assignments:edit", args=[assignments["finance"].pk]) not in detail.content.decode()
    )
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {}).status_code == 403


def test_out_of_scope_ids_are_404(client, org, assignments):
    client.force_login(org.finance_admin)
    housing = assignments["housing"].pk
    for name in ("detail", "edit", "export_csv", "export_xlsx"):
        assert client.get(reverse(f"assignments:{name}", args=[housing])).status_code == 404, name
    assert client.post(reverse("assignments:deactivate", args=[housing])).status_code == 404
    # The city-wide assignment is visible (read only) but not changeable.
    city = assignments["city"].pk
    assert client.get(reverse("assignments:detail", args=[city])).status_code == 200
    assert client.get(reverse("assignments:edit", args=[city])).status_code == 404
    assert client.post(reverse("assignments:deactivate", args=[city])).status_code == 404
    assert Assignment.objects.get(pk=city).is_active


# --- List ----------------------------------------------------------------------------


def test_list_shows_the_scope_and_counts_only_people_in_it(client, org, assignments):
    done = Enrolment.objects.get(user=org.finance_learner)
    done.started_at = done.completed_at = timezone.now()
    done.save()
    late = Enrolment.objects.get(user=org.budget_learner)
    late.due_date = in_days(-1)
    late.started_at = timezone.now()
    late.save()
    client.force_login(org.finance_admin)
    response = client.get(LIST)
    rows = {a.pk: a for a in response.context["assignments"]}
    assert set(rows) == {assignments["city"].pk, assignments["finance"].pk}
    # The city-wide assignment, seen from finance: finance's four people only.
    city = rows[assignments["city"].pk]
    assert (city.enrolled, city.started, city.completed, city.overdue) == (4, 2, 1, 1)
    assert city.can_manage is False and rows[assignments["finance"].pk].can_manage is True
    html = response.content.decode()
    assert "某市 and its sub-units" in html or "某市" in html
    # The city admin sees all three, and the whole city's people on the city assignment.
    client.force_login(org.city_admin)
    rows = {a.pk: a for a in client.get(LIST).context["assignments"]}
    assert len(rows) == 3
    assert rows[assignments["city"].pk].enrolled == 8


def add_people(org, course, n: int, *, unit=None) -> None:
    for _ in range(n):
        person = UserFactory(unit=unit or org.finance_budget, rank_level=rank("KY"))
        Enrolment.objects.create(
            user=person, course=course, required=True, due_date=in_days(-1),
            started_at=timezone.now(),
        )  # fmt: skip


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_and_detail_query_counts_do_not_grow_with_people(
    client, org, course_tree, assignments
):
    client.force_login(org.finance_admin)
    detail = reverse("assignments:detail", args=[assignments["city"].pk])
    add_people(org, course_tree.course, 5)
    queries_for(client, LIST)  # the first request of a test also fills per-process caches
    small = (queries_for(client, LIST), queries_for(client, detail))
    add_people(org, course_tree.course, 15)
    large = (queries_for(client, LIST), queries_for(client, detail))
    assert small == large


@pytest.mark.parametrize("people", [5, 20])
def test_list_query_count_is_pinned(
    client, org, course_tree, assignments, people, django_assert_max_num_queries
):
    add_people(org, course_tree.course, people)
    client.force_login(org.finance_admin)
    client.get(LIST)  # the first request of a test also fills per-process caches
    with django_assert_max_num_queries(11):
        response = client.get(LIST)
    assert response.status_code == 200


@pytest.mark.parametrize("people", [5, 20])
def test_detail_query_count_is_pinned(
    client, org, course_tree, assignments, people, django_assert_max_num_queries
):
    add_people(org, course_tree.course, people)
    client.force_login(org.finance_admin)
    url = reverse("assignments:detail", args=[assignments["city"].pk])
    client.get(url)  # the first request of a test also fills per-process caches
    with django_assert_max_num_queries(15):
        response = client.get(url + "?status=overdue")
    assert response.status_code == 200
    assert response.context["paginator"].count == people


# --- Form ----------------------------------------------------------------------------


def test_the_form_offers_only_live_courses_and_units_in_scope(client, org, course_tree):
    from courses.factories import CoursePageFactory

    draft = CoursePageFactory(parent=course_tree.index, live=False, title="草稿课程")
    client.force_login(org.finance_admin)
    response = client.get(NEW)
    form = response.context["form"]
    assert list(form.fields["course"].queryset) == [course_tree.course]
    assert {u.code for u in form.fields["unit"].queryset} == {"CZJ", "CZJ-YSK"}
    html = response.content.decode()
    assert 'type="date"' in html and draft.title not in html


def test_creating_in_the_form(client, org, course_tree, django_capture_on_commit_callbacks):
    client.force_login(org.finance_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, form_data(org, course_tree, min_rank=rank("FKJ").pk))
    a = Assignment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assignments:detail", args=[a.pk])
    assert (a.unit, a.min_rank, a.required, a.note) == (
        org.finance,
        rank("FKJ"),
        True,
        "请按时完成",
    )
    assert {e.user.email for e in Enrolment.objects.all()} == {
        "fin.admin@example.gov.cn", "jw@example.gov.cn", "budget.learner@example.gov.cn",
    }  # fmt: skip
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "预算科" in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"due_date": "2020-01-01"}, "due_date", "The due date is in the past"),
        ({"unit": "HOUSING"}, "unit", "Select a valid choice"),
        ({"due_date": ""}, "due_date", "This field is required"),
        ({"course": ""}, "course", "This field is required"),
    ],
)
def test_refusals_re_render_with_the_message_and_write_nothing(
    client, org, course_tree, overrides, field, message, django_capture_on_commit_callbacks
):
    if overrides.get("unit") == "HOUSING":
        overrides = {"unit": org.housing.pk}
    client.force_login(org.finance_admin)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(NEW, form_data(org, course_tree, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert message in html
    assert "nothing was saved" in html
    assert not Assignment.objects.exists() and not Enrolment.objects.exists()
    assert callbacks == []


def test_a_double_submitted_form_makes_one_assignment(client, org, course_tree):
    client.force_login(org.finance_admin)
    first = client.post(NEW, form_data(org, course_tree))
    second = client.post(NEW, form_data(org, course_tree), follow=True)
    assert Assignment.objects.count() == 1
    assert first["Location"] == second.redirect_chain[0][0]
    assert "already exists" in second.content.decode()


def test_editing_and_withdrawing(client, org, course_tree, assignments):
    a = assignments["finance"]
    client.force_login(org.finance_admin)
    url = reverse("assignments:edit", args=[a.pk])
    page = client.get(url)
    assert page.status_code == 200 and "course" not in page.context["form"].fields
    response = client.post(
        url,
        {"unit": org.finance.pk, "min_rank": "", "required": "elective",
         "due_date": in_days(60).isoformat(), "note": "延期"},
    )  # fmt: skip
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.required, a.due_date, a.note) == (False, in_days(60), "延期")
    bad = client.post(
        url, {"unit": org.finance.pk, "required": "required", "due_date": "2001-01-01"}
    )
    assert bad.status_code == 200 and "due_date" in bad.context["form"].errors
    response = client.post(reverse("assignments:deactivate", args=[a.pk]))
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.is_active is False
    # Finance people keep their enrolments (now carrying the city's earlier due date).
    assert Enrolment.objects.filter(user=org.finance_learner, due_date=in_days(30)).exists()


# --- Progress page -------------------------------------------------------------------


def test_progress_shows_people_in_scope_with_lessons_and_filters(
    client, org, course_tree, assignments
):
    lessons = course_tree.lessons
    for lesson in lessons[:2]:
        LessonProgress.objects.create(
            user=org.budget_learner, lesson=lesson, completed_at=timezone.now()
        )
    e = Enrolment.objects.get(user=org.budget_learner)
    e.started_at = timezone.now()
    e.save()
    client.force_login(org.finance_admin)
    url = reverse("assignments:detail", args=[assignments["city"].pk])
    response = client.get(url)
    rows = {r.user.email: r for r in response.context["enrolments"]}
    assert set(rows) == {
        "fin.admin@example.gov.cn", "jw@example.gov.cn", "fin.learner@example.gov.cn",
        "budget.learner@example.gov.cn",
    }  # fmt: skip
    assert rows["budget.learner@example.gov.cn"].lessons_done == 2
    assert response.context["lessons_total"] == 3
    html = response.content.decode()
    assert "2/3" in html and "王五" not in html
    rollup = {r["unit_code"]: r for r in response.context["rollup"]}
    assert set(rollup) == {"CZJ", "CZJ-YSK"}
    assert rollup["CZJ-YSK"]["started"] == 1 and rollup["CZJ"]["enrolled"] == 3
    # Filters: unit subtree and status.
    response = client.get(url, {"unit": org.finance_budget.pk})
    assert [r.user for r in response.context["enrolments"]] == [org.budget_learner]
    response = client.get(url, {"status": "in_progress"})
    assert [r.user for r in response.context["enrolments"]] == [org.budget_learner]
    response = client.get(url, {"status": "not_started"})
    assert len(response.context["enrolments"]) == 3
    # A unit outside the viewer's scope is not a valid filter (no widening).
    response = client.get(url, {"unit": org.housing_office.pk})
    assert len(response.context["enrolments"]) == 4


def test_progress_is_paginated(client, org, course_tree, assignments):
    add_people(org, course_tree.course, 55)
    client.force_login(org.finance_admin)
    url = reverse("assignments:detail", args=[assignments["finance"].pk])
    first = client.get(url)
    assert len(first.context["enrolments"]) == 50
    second = client.get(url, {"page": 2})
    assert len(second.context["enrolments"]) == 59 - 50


# --- Exports -------------------------------------------------------------------------


@pytest.fixture
def hostile(org, course_tree, assignments):
    person = UserFactory(
        email="evil@example.gov.cn",
        full_name='=HYPERLINK("http://x","点我")',
        employee_number="+123",
        unit=org.finance,
        rank_level=rank("KY"),
    )
    Enrolment.objects.create(user=person, course=course_tree.course, due_date=in_days(-3))
    return person


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_content_escaping_and_scope(client, org, course_tree, assignments, hostile):
    client.force_login(org.finance_admin)
    response = client.get(reverse("assignments:export_csv", args=[assignments["city"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert header[0] == "Full name" and "Lessons done" in header
    names = {r[0] for r in body}
    assert names == {"财政管理员", "纪检员", "张三丰", "李四", '\'=HYPERLINK("http://x","点我")'}
    evil = next(r for r in body if r[0].startswith("'="))
    assert evil[1] == "'+123"
    assert evil[-1] == "Yes"  # overdue
    assert evil[6:8] == ["0", "3"]
    # Filters apply to the export.
    response = client.get(
        reverse("assignments:export_csv", args=[assignments["city"].pk]), {"status": "overdue"}
    )
    assert [r[0] for r in read_csv(response)[1:]] == ['\'=HYPERLINK("http://x","点我")']


def test_xlsx_export_content_escaping_and_scope(client, org, course_tree, assignments, hostile):
    client.force_login(org.housing_admin)
    response = client.get(reverse("assignments:export_xlsx", args=[assignments["city"].pk]))
    assert response.status_code == 404 or response.status_code == 200
    # The housing admin sees the city assignment, with housing people only.
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "Full name"
    assert {r[0] for r in rows[1:]} == {"住建管理员", "王五"}
    client.force_login(org.finance_admin)
    response = client.get(reverse("assignments:export_xlsx", args=[assignments["city"].pk]))
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    evil = cells['\'=HYPERLINK("http://x","点我")']
    assert evil[0].data_type == "s"  # text, not a formula
    assert evil[1].value == "'+123"
    assert len(cells) == 5


# --- Self-enrolment ------------------------------------------------------------------


def test_self_enrol_button(client, org, course_tree):
    url = reverse("assignments:self_enrol", args=[course_tree.course.pk])
    assert client.post(url).status_code == 302  # to the login page
    assert not Enrolment.objects.exists()
    client.force_login(org.housing_learner)
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0].endswith(course_tree.course.url)
    e = Enrolment.objects.get()
    assert (e.user, e.source, e.required) == (org.housing_learner, EnrolmentSource.SELF, False)
    assert any("elective" in str(m) for m in response.context["messages"])
    again = client.post(url, follow=True)
    assert Enrolment.objects.count() == 1
    assert any("already enrolled" in str(m) for m in again.context["messages"])
    assert client.post(reverse("assignments:self_enrol", args=[999999])).status_code == 404
