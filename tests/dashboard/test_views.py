"""The dashboard pages (/dashboard/, people/, enrolments/) against the hand-counted data
set of ``tests/dashboard/factories.py``: who may open them, the numbers they show, that a
unit admin never sees another bureau's names or numbers, that every drill-down link
opens a list as long as the figure it sits on, paging, a fixed number of queries, and
the English version."""

from __future__ import annotations

import datetime
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import Enrolment
from people.factories import UserFactory, rank, unit_create
from people.models import Role
from people.services import role_grant

from .factories import EXPECTED, EXPECTED_PEOPLE, dashboard_world

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
TODAY = datetime.date(YEAR, 6, 15)

# Data attributes of a table row → the figure they carry (see _row.html).
ATTRS = {
    "people": "people",
    "required": "required",
    "completed": "completed",
    "overdue": "overdue",
    "overdue-people": "overdue_people",
    "quiz-taken": "quiz_taken",
    "quiz-passed": "quiz_passed",
    "attendance-expected": "attendance_expected",
    "attendance-attended": "attendance_attended",
    "actions-required": "actions_required",
    "actions-done": "actions_done",
    "hours-people": "hours_people",
    "hours-met": "hours_met",
    "appointees-pending": "appointees_pending",
    "appointees-overdue": "appointees_overdue",
    "appointees-cleared": "appointees_cleared",
    "certificates": "certificates",
}


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> datetime.date:
    """The pages' "today" (filters_from_params reads it) is 15 June of this year, the day
    the data set is counted for."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    return TODAY


@pytest.fixture
def world(org: Any, today: datetime.date) -> Any:
    return dashboard_world(org, today=today, year=YEAR)


def soup(response: Any) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def row_figures(tr: Any) -> dict[str, int]:
    return {name: int(tr[f"data-{attr}"]) for attr, name in ATTRS.items()}


def expected(key: str) -> dict[str, int]:
    return {name: EXPECTED[key][name] for name in ATTRS.values()}


def table_rows(page: BeautifulSoup) -> dict[str, Any]:
    """The dashboard table's rows by unit pk ("own", "total")."""
    rows: dict[str, Any] = {}
    for tr in page.select("table.dashboard-table tr.dashboard-row"):
        key = "total" if tr.get("data-total") else "own" if tr.get("data-own") else tr["data-unit"]
        rows[key] = tr
    return rows


def count_on(client: Any, url: str) -> int:
    """The length of the list a drill-down link opens (all its pages)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return int(soup(response).select_one("[data-count]")["data-count"])


# --- Access ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/people/", "/dashboard/enrolments/"])
def test_who_may_open_the_pages(client: Any, org: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response["Location"]
    for user in (org.finance_learner, org.trainer):
        client.force_login(user)
        assert client.get(path).status_code == 403
    leader = UserFactory(email="leader@example.gov.cn", full_name="局长", unit=org.finance)
    role_grant(user=leader, role=Role.UNIT_LEADER, unit=org.finance)
    for user in (org.finance_admin, org.discipline, leader, org.city_admin, org.superuser):
        client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200, user
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/people/", "/dashboard/enrolments/"])
def test_a_unit_outside_the_scope_is_a_404(client: Any, org: Any, path: str) -> None:
    client.force_login(org.finance_admin)
    assert client.get(path, {"unit": org.housing.pk}).status_code == 404
    assert client.get(path, {"unit": org.city.pk}).status_code == 404
    assert client.get(path, {"unit": 999_999}).status_code == 404
    assert client.get(path, {"unit": org.finance_budget.pk}).status_code == 200


# --- The numbers ----------------------------------------------------------------------


def test_city_dashboard_shows_the_hand_counted_figures(client: Any, org: Any, world: Any) -> None:
    client.force_login(org.city_admin)
    response = client.get("/dashboard/")
    rows = table_rows(soup(response))
    assert list(rows) == [str(org.finance.pk), str(org.housing.pk), "own", "total"]
    assert row_figures(rows[str(org.finance.pk)]) == expected("city/finance")
    assert row_figures(rows[str(org.housing.pk)]) == expected("city/housing")
    assert row_figures(rows["own"]) == expected("city/own")
    assert row_figures(rows["total"]) == expected("city/total")
    # Averages as printed: 230/3 → 76.7, 128.9/2 → 64.5 (halves up), 434.4/6 → 72.4.
    assert rows[str(org.finance.pk)]["data-quiz-average"] == "76.7"
    assert rows[str(org.housing.pk)]["data-quiz-average"] == "64.5"
    assert rows["total"]["data-quiz-average"] == "72.4"
    # Cards: completion 4 of 10 = 40 %, attendance 6 of 10 = 60 %, hours 2 of 10 = 20 %.
    cards = {
        li["data-card"]: li.select_one(".dashboard-card__figure").get_text(" ", strip=True)
        for li in soup(response).select("[data-card]")
    }
    assert cards["courses"].startswith("40%")
    assert cards["attendance"].startswith("60%")
    assert cards["hours"].startswith("20%")
    assert cards["quizzes"].startswith("72.4")
    assert cards["certificates"].startswith("4")


def test_rows_with_overdue_people_are_marked_in_words_too(
    client: Any, org: Any, world: Any
) -> None:
    client.force_login(org.city_admin)
    response = client.get("/en/dashboard/")
    rows = table_rows(soup(response))
    finance = rows[str(org.finance.pk)]
    assert "dashboard-row--overdue" in finance["class"]
    assert "Overdue" in finance.th.get_text()
    own = rows["own"]  # the city's own two people: nothing overdue
    assert "dashboard-row--overdue" not in own["class"]
    assert "Overdue" not in own.th.get_text()


def test_finance_admin_never_sees_housing(client: Any, org: Any, world: Any) -> None:
    client.force_login(org.finance_admin)
    pages = [
        client.get("/dashboard/"),
        client.get("/dashboard/people/"),
        client.get("/dashboard/people/", {"show": "absent"}),
        client.get("/dashboard/enrolments/"),
    ]
    # 钱七 of the housing office is appointed to a post in finance: finance's appointee
    # list shows her (as the appointments pages do), and nobody else from housing.
    appointees = client.get("/dashboard/people/", {"show": "appointee_pending"})
    names = [th.get_text(strip=True) for th in soup(appointees).select("th.dashboard-person__name")]
    assert sorted(names) == sorted(["李四", "钱七"])
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        for name in ("市住建局", "办公室", "王五", "钱七", "住建管理员", "某市", "市级管理员"):
            assert name not in html, name
    rows = table_rows(soup(pages[0]))
    assert list(rows) == [str(org.finance_budget.pk), "own", "total"]
    assert row_figures(rows[str(org.finance_budget.pk)]) == expected("finance/budget")
    assert row_figures(rows["own"]) == expected("finance/own")
    assert row_figures(rows["total"]) == expected("finance/total")
    # The unit picker offers the finance bureau and its section only.
    options = [o["value"] for o in soup(pages[0]).select("#id_unit option")]
    assert options == [str(org.finance.pk), str(org.finance_budget.pk)]


def test_every_drill_down_link_opens_a_list_as_long_as_its_figure(
    client: Any, org: Any, world: Any
) -> None:
    client.force_login(org.city_admin)
    page = soup(client.get("/dashboard/"))
    checked = 0
    for tr in page.select("table.dashboard-table tr.dashboard-row"):
        for a in tr.select("td a"):
            text = a.find(string=True, recursive=False) or a.get_text()
            if not re.fullmatch(r"\s*\d+\s*", str(text)):
                continue  # "who" links: no number to agree with
            assert count_on(client, a["href"]) == int(text), (a["href"], text)
            checked += 1
    assert checked >= 15
    # The own row (people directly in the city) has no drill-down links at all.
    own = table_rows(page)["own"]
    assert own.select("td a") == []


def test_the_people_lists_hold_exactly_the_people_behind_the_total(
    client: Any, org: Any, world: Any
) -> None:
    client.force_login(org.city_admin)
    for show, codes in EXPECTED_PEOPLE.items():
        response = client.get("/dashboard/people/", {"show": show, "year": YEAR})
        names = [
            th.get_text(strip=True) for th in soup(response).select("th.dashboard-person__name")
        ]
        assert sorted(names) == sorted(p.full_name for p in world.people(*codes)), show


def test_links_keep_year_and_unit(client: Any, org: Any, world: Any) -> None:
    client.force_login(org.city_admin)
    page = soup(client.get("/dashboard/", {"year": YEAR - 1, "unit": org.city.pk}))
    rows = table_rows(page)
    # A sub-unit with sub-units of its own opens its own dashboard; the year stays.
    href = rows[str(org.finance.pk)].th.a["href"]
    assert urlsplit(href).path == "/dashboard/"
    assert parse_qs(urlsplit(href).query) == {
        "year": [str(YEAR - 1)],
        "unit": [str(org.finance.pk)],
    }
    assert row_figures(rows["total"]) == expected("last/total")
    # Export links carry the filters.
    exports = [a["href"] for a in page.select(".dashboard-exports a")]
    assert f"/dashboard/export/units.xlsx?year={YEAR - 1}&unit={org.city.pk}" in exports
    assert f"/dashboard/export/units.csv?year={YEAR - 1}&unit={org.city.pk}" in exports


def test_a_leaf_sub_unit_links_to_its_people(client: Any, org: Any, world: Any) -> None:
    client.force_login(org.finance_admin)
    page = soup(client.get("/dashboard/"))
    href = table_rows(page)[str(org.finance_budget.pk)].th.a["href"]
    assert urlsplit(href).path == "/dashboard/people/"
    names = [
        th.get_text(strip=True) for th in soup(client.get(href)).select("th.dashboard-person__name")
    ]
    assert sorted(names) == sorted(["李四", "赵六"])
    # Breadcrumbs lead back up, never above the viewer's scope.
    crumbs = [a.get_text(strip=True) for a in soup(client.get(href)).select("nav.breadcrumb a")]
    assert crumbs == ["市财政局", "预算科"]


def test_enrolment_list_states(client: Any, org: Any, world: Any) -> None:
    client.force_login(org.finance_admin)
    response = client.get("/dashboard/enrolments/", {"status": "overdue"})
    states = [tr["data-state"] for tr in soup(response).select("tr.dashboard-enrolment")]
    assert states == ["overdue", "overdue"]  # F1's c2, B1's c1
    response = client.get("/dashboard/enrolments/")
    states = sorted(tr["data-state"] for tr in soup(response).select("tr.dashboard-enrolment"))
    assert states == ["completed"] * 3 + ["open"] + ["overdue"] * 2
    exports = [a["href"] for a in soup(response).select(".dashboard-exports a")]
    assert exports[0].startswith("/dashboard/export/enrolments.xlsx?")
    assert "status=all" in exports[0]


def test_charts_and_their_tables(client: Any, org: Any, world: Any) -> None:
    client.force_login(org.city_admin)
    page = soup(client.get("/dashboard/"))
    charts = page.select("section.chart")
    assert len(charts) == 4
    for chart in charts:
        svg = chart.find("svg")
        assert svg is not None and svg["role"] == "img"
        assert chart.select_one("details table caption")
    # The completion chart names the rows as the table does (the city's own people as such).
    page = soup(client.get("/en/dashboard/"))
    labels = [th.get_text(strip=True) for th in page.select("section.chart")[0].select("tbody th")]
    assert labels == ["市财政局", "市住建局", "某市 (its own staff)"]
    # Nothing in a year without data: a note instead of an empty chart (the hours chart
    # still shows everyone with a requirement at 0 %).
    page = soup(client.get("/dashboard/", {"year": YEAR - 4}))
    assert len(page.select("section.chart svg")) == 1
    assert len(page.select(".chart__empty")) == 3
    assert page.select_one("section.chart svg")["aria-labelledby"].startswith("chart-hours")


# --- Paging and queries ---------------------------------------------------------------


def test_people_are_paged_50_at_a_time(client: Any, org: Any, today: datetime.date) -> None:
    ky = rank("KY")
    for i in range(52):
        UserFactory(
            email=f"p{i}@example.gov.cn",
            full_name=f"人员{i:03d}",
            unit=org.finance_budget,
            rank_level=ky,
        )
    client.force_login(org.finance_admin)
    # finance: 4 people of the org fixture + 52 = 56.
    first = soup(client.get("/dashboard/people/"))
    assert first.select_one("[data-count]")["data-count"] == "56"
    assert len(first.select("tr.dashboard-person")) == 50
    second = soup(client.get("/dashboard/people/", {"page": 2}))
    assert len(second.select("tr.dashboard-person")) == 6
    # A page past the end shows the last page; nonsense shows the first.
    assert (
        len(soup(client.get("/dashboard/people/", {"page": 99})).select("tr.dashboard-person")) == 6
    )
    assert (
        len(soup(client.get("/dashboard/people/", {"page": "x"})).select("tr.dashboard-person"))
        == 50
    )
    # The next-page link keeps the filters.
    nxt = first.select_one("a[rel=next]")["href"]
    assert parse_qs(urlsplit(nxt).query)["show"] == ["all"]


def _grow(org: Any, world: Any) -> None:
    """Double the sub-units and people: a second section under finance and under housing,
    with people who have required courses."""
    ky = rank("KY")
    course = world.courses[0]
    for parent in (org.finance, org.housing):
        for n in range(2):
            unit = unit_create(code=f"{parent.code}-X{n}", name=f"新科室{n}", parent=parent)
            for i in range(5):
                user = UserFactory(
                    email=f"{parent.code}.{n}.{i}@example.gov.cn".lower(),
                    full_name=f"新人{n}{i}",
                    unit=unit,
                    rank_level=ky,
                )
                Enrolment.objects.create(user=user, course=course, required=True, due_date=TODAY)


def test_query_count_is_fixed(
    client: Any, org: Any, world: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(org.city_admin)
    for path in ("/dashboard/", "/dashboard/people/", "/dashboard/enrolments/"):
        client.get(path)  # warm caches (site, translations)
    counts = {}
    for path in ("/dashboard/", "/dashboard/people/", "/dashboard/enrolments/"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        counts[path] = len(ctx.captured_queries)
    with django_assert_max_num_queries(21):
        client.get("/dashboard/")
    with django_assert_max_num_queries(12):
        client.get("/dashboard/people/")
    with django_assert_max_num_queries(12):
        client.get("/dashboard/enrolments/")
    _grow(org, world)
    for path, before in counts.items():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        assert len(ctx.captured_queries) == before, path


# --- Language -------------------------------------------------------------------------


def test_english(client: Any, org: Any, world: Any) -> None:
    client.force_login(org.finance_admin)
    html = client.get("/en/dashboard/").content.decode()
    assert "Compliance dashboard" in html
    assert "By sub-unit" in html
    assert "Show as table" in html
    html = client.get("/en/dashboard/people/", {"show": "overdue"}).content.decode()
    assert "With an overdue required course" in html
