"""The cleared-before-office dashboard, one appointment's page with the waiver form, the
exports and the appointee's own checklist: scope, order, filters, query counts."""

from __future__ import annotations

import datetime
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEntry
from talks.models import AppointmentStatus, StepKind, StepStatus, TalkKind, TalkRecord

from .test_appointment_support import (  # noqa: F401
    appoint,
    programme_fixture,
    record_talk,
)

TODAY = timezone.localdate()


def past(org, programme, person=None, **kwargs):
    """An appointment whose take-office date has passed."""
    return appoint(
        org,
        programme,
        person=person,
        decision_date=TODAY - datetime.timedelta(days=30),
        take_office_date=TODAY - datetime.timedelta(days=2),
        **kwargs,
    )


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_overdue_first_and_highlighted(org, programme, client):
    soon = appoint(org, programme, days=3)
    late = past(org, programme, person=org.budget_learner)
    client.force_login(org.finance_admin)
    response = client.get("/en/appointments/")
    assert response.status_code == 200
    rows = list(response.context["appointments"])
    assert [a.pk for a in rows] == [late.pk, soon.pk]
    assert b"appointment-row--overdue" in response.content
    assert b"past, not cleared" in response.content


def test_filters(org, programme, client):
    finance = appoint(org, programme)
    budget = past(org, programme, person=org.budget_learner)
    client.force_login(org.city_admin)
    overdue = client.get("/en/appointments/", {"status": "overdue"})
    assert [a.pk for a in overdue.context["appointments"]] == [budget.pk]
    by_unit = client.get("/en/appointments/", {"unit": org.finance_budget.pk})
    assert [a.pk for a in by_unit.context["appointments"]] == [budget.pk]
    in_progress = client.get("/en/appointments/", {"status": "in_progress"})
    assert {a.pk for a in in_progress.context["appointments"]} == {finance.pk, budget.pk}
    cleared = client.get("/en/appointments/", {"status": "cleared"})
    assert list(cleared.context["appointments"]) == []


def test_housing_admin_never_sees_finance(org, programme, client):
    appointment = appoint(org, programme)
    client.force_login(org.housing_admin)
    response = client.get("/en/appointments/")
    assert list(response.context["appointments"]) == []
    assert "张三丰" not in response.content.decode()
    assert client.get(f"/en/appointments/{appointment.pk}/").status_code == 404
    assert "张三丰" not in csv_text(client.get("/en/appointments/export.csv"))
    # A unit of finance in the filter is refused as an invalid choice: still nothing.
    response = client.get("/en/appointments/", {"unit": org.finance.pk})
    assert list(response.context["appointments"]) == []
    step = appointment.steps.get(kind=StepKind.TALK)
    assert (
        client.post(
            f"/en/appointments/{appointment.pk}/steps/{step.pk}/waive/",
            {f"step{step.pk}-reason": "x"},
        ).status_code
        == 403
    )


def test_discipline_officer_and_city_admin_see_finance(org, programme, client):
    appointment = appoint(org, programme)
    for user in (org.discipline, org.city_admin, org.finance_admin):
        client.force_login(user)
        response = client.get("/en/appointments/")
        assert [a.pk for a in response.context["appointments"]] == [appointment.pk]
        assert client.get(f"/en/appointments/{appointment.pk}/").status_code == 200


def test_learners_get_403_and_guessed_ids_404(org, programme, client):
    appointment = appoint(org, programme)
    client.force_login(org.finance_learner)
    assert client.get("/en/appointments/").status_code == 403
    assert client.get(f"/en/appointments/{appointment.pk}/").status_code == 403
    client.force_login(org.finance_admin)
    assert client.get(f"/en/appointments/{appointment.pk + 100}/").status_code == 404


def test_list_queries_constant(org, programme, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.city_admin)
    appoint(org, programme)
    client.get("/en/appointments/")  # warm the per-process caches (site, settings)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/en/appointments/").status_code == 200
    for i in range(6):
        appoint(org, programme, position_title=f"职务{i}")
        past(
            org, programme, person=org.housing_learner, by=org.city_admin, position_title=f"职务{i}"
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get("/en/appointments/")
    assert len(response.context["appointments"]) == 13
    assert len(many) == len(one) <= 25


def test_detail_queries(org, programme, client, django_assert_max_num_queries):
    appointment = appoint(org, programme)
    client.force_login(org.discipline)
    with django_assert_max_num_queries(25):
        response = client.get(f"/en/appointments/{appointment.pk}/")
    assert response.status_code == 200
    assert b"Waive this step" in response.content


def test_exports_escape_and_follow_filters(org, programme, client):
    appoint(org, programme, position_title="=HYPERLINK(1)")
    past(org, programme, person=org.budget_learner)
    client.force_login(org.finance_admin)
    text = csv_text(client.get("/en/appointments/export.csv"))
    assert "'=HYPERLINK(1)" in text
    assert "张三丰" in text and "李四" in text
    text = csv_text(client.get("/en/appointments/export.csv", {"status": "overdue"}))
    assert "李四" in text and "张三丰" not in text
    response = client.get("/en/appointments/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "'=HYPERLINK(1)" in values


def test_waive_through_the_page(org, programme, client):
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.TALK)
    url = f"/en/appointments/{appointment.pk}/steps/{step.pk}/waive/"
    client.force_login(org.discipline)
    response = client.post(url, {f"step{step.pk}-reason": ""})
    assert response.status_code == 200
    assert b"This field is required" in response.content
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING
    response = client.post(url, {f"step{step.pk}-reason": "已在上级党校参加任前谈话"}, follow=True)
    assert b"The step is waived" in response.content
    step.refresh_from_db()
    assert step.status == StepStatus.WAIVED


def test_superuser_without_the_role_is_refused_with_a_message(org, programme, client):
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.TALK)
    client.force_login(org.superuser)
    detail = client.get(f"/en/appointments/{appointment.pk}/")
    assert b"Waive this step" not in detail.content
    response = client.post(
        f"/en/appointments/{appointment.pk}/steps/{step.pk}/waive/",
        {f"step{step.pk}-reason": "想豁免"},
    )
    assert response.status_code == 200
    assert b"Only a discipline officer" in response.content
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING


def test_unit_admin_cannot_waive(org, programme, client):
    appointment = appoint(org, programme)
    step = appointment.steps.get(kind=StepKind.TALK)
    client.force_login(org.finance_admin)
    assert b"Waive this step" not in client.get(f"/en/appointments/{appointment.pk}/").content
    response = client.post(
        f"/en/appointments/{appointment.pk}/steps/{step.pk}/waive/",
        {f"step{step.pk}-reason": "想豁免"},
    )
    assert response.status_code == 403
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING


def test_mine_shows_the_checklist_links_and_talk(
    org, programme, client, django_assert_max_num_queries
):
    appointment = appoint(org, programme)
    TalkRecord.objects.create(
        kind=TalkKind.PRE_APPOINTMENT,
        official=appointment.person,
        unit=appointment.unit,
        appointment=appointment,
        scheduled_at=timezone.now() + datetime.timedelta(days=1),
        place="市纪委三楼谈话室",
        content="内部记录不应出现",
    )
    client.force_login(org.finance_learner)
    with django_assert_max_num_queries(35):
        response = client.get("/en/appointments/mine/")
    page = response.content.decode()
    assert "副科长" in page
    assert "市纪委三楼谈话室" in page
    assert "内部记录不应出现" not in page
    assert f"/pledges/sign/{programme.pledge.pk}/?appointment={appointment.pk}" in page
    assert "/quizzes/pre-appointment-test/" in page
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert AuditEntry.objects.filter(action="read", actor=org.finance_learner).exists()
    # Nobody else's programme shows on their page.
    client.force_login(org.budget_learner)
    assert "副科长" not in client.get("/en/appointments/mine/").content.decode()
    assert not AuditEntry.objects.filter(actor=org.budget_learner, action="read").exists()


def test_cleared_appointment_shows_cleared(org, programme, client):
    appointment = appoint(org, programme)
    for step in appointment.steps.all():
        from talks.services.programme import step_waive

        step_waive(by=org.discipline, step=step, reason="集中培训已完成")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLEARED
    client.force_login(org.finance_admin)
    response = client.get("/en/appointments/", {"status": "cleared"})
    assert [a.pk for a in response.context["appointments"]] == [appointment.pk]
    assert b"Cleared" in response.content


@pytest.mark.parametrize("path", ["/en/appointments/", "/en/appointments/mine/"])
def test_anonymous_is_sent_to_login(client, path, db):
    response = client.get(path)
    assert response.status_code == 302
    assert "login" in response.url


# --- Waiting at each step: counts, the step filter, the step cells -------------------


@pytest.fixture
def waiting(org, programme):
    """Three appointees in the city admin's scope at different steps, and one cleared:

    - fresh (张三丰, finance): every step pending;
    - studied (李四, budget, past its take-office date): course and test done;
    - housing (王五, housing): test passed, talk waived;
    - cleared (赵六, finance): every step waived (counted nowhere).

    Waiting: course 2 (fresh, housing), test 1 (fresh), talk 2 (fresh, studied),
    pledge 3 (fresh, studied, housing).
    """
    from people.factories import UserFactory
    from talks.services.programme import step_waive

    from .test_appointment_support import pass_quiz, study
    from .test_records import other_officer

    fresh = appoint(org, programme)
    studied = past(org, programme, person=org.budget_learner)
    study(org.budget_learner, programme)
    pass_quiz(org.budget_learner, programme)
    housing = appoint(org, programme, person=org.housing_learner, by=org.city_admin)
    pass_quiz(org.housing_learner, programme)
    step_waive(
        by=other_officer(org),
        step=housing.steps.get(kind=StepKind.TALK),
        reason="已在上级党校参加任前谈话",
    )
    cleared = appoint(org, programme, person=UserFactory(full_name="赵六", unit=org.finance))
    for step in cleared.steps.all():
        step_waive(by=org.discipline, step=step, reason="集中培训已完成")
    cleared.refresh_from_db()
    assert cleared.status == AppointmentStatus.CLEARED
    return {"fresh": fresh, "studied": studied, "housing": housing, "cleared": cleared}


def step_counts(response) -> dict[str, int]:
    return {item["kind"]: item["count"] for item in response.context["step_links"]}


def listed(response) -> set[int]:
    return {a.pk for a in response.context["appointments"]}


def test_counts_of_appointees_waiting_at_each_step(org, waiting, client):
    client.force_login(org.city_admin)
    response = client.get("/en/appointments/")
    assert step_counts(response) == {"course": 2, "quiz": 1, "talk": 2, "pledge": 3}
    html = response.content.decode()
    assert "Waiting at each step" in html
    assert 'href="?step=quiz"' in html
    # The counts follow the other filters: a unit, the overdue ones.
    finance = client.get("/en/appointments/", {"unit": org.finance.pk})
    assert step_counts(finance) == {"course": 1, "quiz": 1, "talk": 2, "pledge": 2}
    assert f'href="?unit={org.finance.pk}&amp;step=talk"' in finance.content.decode()
    overdue = client.get("/en/appointments/", {"status": "overdue"})
    assert step_counts(overdue) == {"course": 0, "quiz": 0, "talk": 1, "pledge": 1}
    cleared = client.get("/en/appointments/", {"status": "cleared"})
    assert step_counts(cleared) == {"course": 0, "quiz": 0, "talk": 0, "pledge": 0}
    # A unit admin of finance counts only finance's appointees.
    client.force_login(org.finance_admin)
    response = client.get("/en/appointments/")
    assert step_counts(response) == {"course": 1, "quiz": 1, "talk": 2, "pledge": 2}
    # Another unit's admin counts nothing of finance.
    client.force_login(org.housing_admin)
    response = client.get("/en/appointments/")
    assert step_counts(response) == {"course": 1, "quiz": 0, "talk": 0, "pledge": 1}


def test_each_count_links_to_the_appointees_waiting_there(org, waiting, client):
    client.force_login(org.city_admin)
    expected = {
        "course": {waiting["fresh"].pk, waiting["housing"].pk},
        "quiz": {waiting["fresh"].pk},
        "talk": {waiting["fresh"].pk, waiting["studied"].pk},
        "pledge": {waiting["fresh"].pk, waiting["studied"].pk, waiting["housing"].pk},
    }
    base = client.get("/en/appointments/")
    for item in base.context["step_links"]:
        response = client.get(f"/en/appointments/?{item['query']}")
        assert listed(response) == expected[item["kind"]], item["kind"]
        assert len(listed(response)) == item["count"]
        active = [i for i in response.context["step_links"] if i["active"]]
        assert [i["kind"] for i in active] == [item["kind"]]
        assert 'aria-current="true"' in response.content.decode()
        assert "Show every step" in response.content.decode()
    # Combined with another filter.
    response = client.get("/en/appointments/", {"step": "talk", "status": "overdue"})
    assert listed(response) == {waiting["studied"].pk}
    response = client.get("/en/appointments/", {"step": "course", "unit": org.housing.pk})
    assert listed(response) == {waiting["housing"].pk}


@pytest.mark.parametrize("value", ["bogus", "PLEDGE", "pending", "'; drop table x;--", "course "])
def test_an_unknown_step_lists_everyone(org, waiting, client, value):
    client.force_login(org.city_admin)
    response = client.get("/en/appointments/", {"step": value})
    assert response.status_code == 200
    assert len(listed(response)) == 4
    assert not any(i["active"] for i in response.context["step_links"])
    text = csv_text(client.get("/en/appointments/export.csv", {"step": value}))
    assert len(text.strip().splitlines()) == 1 + 4
    # The other filters still apply.
    response = client.get("/en/appointments/", {"step": value, "status": "cleared"})
    assert listed(response) == {waiting["cleared"].pk}


def test_step_cells_in_the_list(org, waiting, client):
    client.force_login(org.city_admin)
    response = client.get("/en/appointments/", {"step": "talk"})
    html = response.content.decode()
    rows = {a.pk: a for a in response.context["appointments"]}
    studied = rows[waiting["studied"].pk]
    assert [(str(label), step.status) for label, step in studied.checklist] == [
        ("Pre-appointment course completed", StepStatus.DONE),
        ("Test passed", StepStatus.DONE),
        ("Integrity talk held and recorded", StepStatus.PENDING),
        ("Integrity pledge signed", StepStatus.PENDING),
    ]
    # With the talk filter the rows are 张三丰's (nothing done) and 李四's (course and test).
    assert cell(html, "Test passed", "done", "Done") == 1
    assert cell(html, "Test passed", "pending", "Pending") == 1
    assert cell(html, "Integrity talk held and recorded", "pending", "Pending") == 2
    assert cell(html, "Integrity talk held and recorded", "done", "Done") == 0
    response = client.get("/en/appointments/", {"step": "course", "unit": org.housing.pk})
    html = response.content.decode()
    assert cell(html, "Integrity talk held and recorded", "waived", "Waived") == 1
    assert cell(html, "Test passed", "done", "Done") == 1
    assert cell(html, "Pre-appointment course completed", "pending", "Pending") == 1


def cell(html: str, label: str, state: str, text: str) -> int:
    """How many step cells of the list under ``label`` show ``text`` in state ``state``."""
    import re

    pattern = (
        rf'<td data-label="{re.escape(label)}">\s*'
        rf'<span class="step-state step-state--{state}">{re.escape(text)}</span>\s*</td>'
    )
    return len(re.findall(pattern, html))


def _export_rows(response) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(csv_text(response))))


def test_step_filter_and_cells_in_the_exports(org, waiting, client):
    client.force_login(org.city_admin)
    header, *rows = _export_rows(client.get("/en/appointments/export.csv", {"step": "talk"}))
    first = header.index("Pre-appointment course completed")
    assert header[first : first + 4] == [
        "Pre-appointment course completed",
        "Test passed",
        "Integrity talk held and recorded",
        "Integrity pledge signed",
    ]
    cells = {row[0]: row[first : first + 4] for row in rows}
    assert cells == {
        "张三丰": ["Pending", "Pending", "Pending", "Pending"],
        "李四": ["Done", "Done", "Pending", "Pending"],
    }
    _header, *rows = _export_rows(
        client.get("/en/appointments/export.csv", {"step": "pledge", "unit": org.housing.pk})
    )
    assert [(row[0], row[first : first + 4]) for row in rows] == [
        ("王五", ["Pending", "Done", "Waived", "Pending"])
    ]
    response = client.get("/en/appointments/export.xlsx", {"step": "quiz"})
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [(row[0], row[first : first + 4]) for row in rows] == [
        ("张三丰", ["Pending", "Pending", "Pending", "Pending"])
    ]
    # Without a step: everyone, the cleared one with every step waived.
    _header, *rows = _export_rows(client.get("/en/appointments/export.csv"))
    cells = {row[0]: row[first : first + 4] for row in rows}
    assert len(cells) == 4 and cells["赵六"] == ["Waived"] * 4


#: Queries of the dashboard page (session, user, roles, the waiting counts, the page's
#: count, the rows, their steps, the units of the filter, site chrome): the same for 4 rows
#: or 16, with or without a step filter.
DASHBOARD_QUERIES = 13
#: Queries of a CSV export (the rows and their steps in chunks): the same for 3 rows or 9.
EXPORT_QUERIES = 8


@pytest.mark.parametrize("query", [{}, {"step": "pledge"}, {"step": "talk", "status": "overdue"}])
def test_dashboard_queries_pinned(
    org, programme, waiting, client, django_assert_num_queries, query
):
    client.force_login(org.city_admin)
    client.get("/en/appointments/", query)  # warm the per-process caches (site, settings)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get("/en/appointments/", query).status_code == 200
    for i in range(6):
        appoint(org, programme, position_title=f"职务{i}")
        past(
            org, programme, person=org.housing_learner, by=org.city_admin, position_title=f"职务{i}"
        )
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get("/en/appointments/", query)
    assert response.context["appointments"]


def test_export_queries_pinned(org, programme, waiting, client, django_assert_num_queries):
    client.force_login(org.city_admin)
    with django_assert_num_queries(EXPORT_QUERIES):
        csv_text(client.get("/en/appointments/export.csv", {"step": "pledge"}))
    for i in range(6):
        appoint(org, programme, position_title=f"职务{i}")
    with django_assert_num_queries(EXPORT_QUERIES):
        text = csv_text(client.get("/en/appointments/export.csv", {"step": "pledge"}))
    assert len(text.strip().splitlines()) == 1 + 3 + 6
