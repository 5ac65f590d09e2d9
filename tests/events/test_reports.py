"""Attendance reports per event and per campaign: every figure against a small data set
computed by hand (below), scope (pages and exports), exports and formula escaping, and
query counts that do not grow with the number of units and people."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courses.factories import CourseIndexPageFactory, CoursePageFactory
from events.factories import CampaignActionFactory, EventFactory
from events.models import (
    ActionKind,
    ActionReport,
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    Campaign,
    CampaignCompletion,
    Event,
    EventStatus,
    MakeUp,
    Registration,
)
from events.selectors.reports import (
    campaign_report,
    campaign_report_people,
    event_report,
    event_report_people,
)
from people.factories import UserFactory, unit_create
from people.models import User
from qinglian.models import HomePage

P, L, E, A = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.EXCUSED,
    AttendanceStatus.ABSENT,
)


@dataclass
class Data:
    org: object
    campaign: Campaign
    event: Event  # city-wide, required, held
    event2: Event  # finance only, required, held
    f2: User
    f3: User
    h2: User


def _event(campaign, audience, trainer, *, hours_ago=3, **kwargs) -> Event:
    starts = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=hours_ago)
    event = EventFactory(
        campaign=campaign, audience_unit=audience, trainer=trainer, starts_at=starts, **kwargs
    )
    # Whatever registration receivers did on save, the test decides who is registered.
    Registration.objects.filter(event=event).delete()
    Attendance.objects.filter(event=event).delete()
    return event


def _register(event, *people, cancelled=False):
    for person in people:
        Registration.objects.create(
            event=event, user=person, cancelled_at=timezone.now() if cancelled else None
        )


def _mark(event, person, status, **kwargs):
    kwargs.setdefault("method", AttendanceMethod.ROSTER)
    return Attendance.objects.create(
        event=event, user=person, status=status, checked_in_at=event.starts_at, **kwargs
    )


def build(org, campaign) -> Data:
    """The data set. Units (direct members) and the figures they must show:

    event (city-wide): registered city_admin, finance_learner, f2, f3, budget_learner,
    housing_learner, h2; finance_admin registered but cancelled (not counted);
    discipline a confirmed walk-in without registration (counted), housing_admin an
    unconfirmed walk-in (not counted).

    ===============  ====  ====  ====  ====  ====  ====  ======  ====
    unit             exp   pres  late  exc   abs   n.r.  rate    m-u
    ===============  ====  ====  ====  ====  ====  ====  ======  ====
    某市 city          1     0     0     0     1     0     0 %     0
    市财政局 finance   4     2     1     0     1     0     75 %    0
    预算科 budget      1     0     0     1     0     0     0 %     1
    市住建局 housing   0     0     0     0     0     0     —       0
    办公室 office      2     1     0     0     0     1     50 %    0
    total             8     3     1     1     2     1     50 %    1
    ===============  ====  ====  ====  ====  ====  ====  ======  ====
    """
    f2 = UserFactory(email="f2@example.gov.cn", full_name="财政二", unit=org.finance)
    f3 = UserFactory(email="f3@example.gov.cn", full_name="财政三", unit=org.finance)
    h2 = UserFactory(email="h2@example.gov.cn", full_name="住建二", unit=org.housing_office)

    event = _event(campaign, org.city, org.trainer)
    _register(
        event,
        org.city_admin,
        org.finance_learner,
        f2,
        f3,
        org.budget_learner,
        org.housing_learner,
        h2,
    )
    _register(event, org.finance_admin, cancelled=True)
    _mark(event, org.city_admin, A)
    _mark(event, org.finance_learner, P)
    _mark(event, f2, L)
    _mark(event, f3, A)
    _mark(event, org.budget_learner, E, method=AttendanceMethod.LEAVE)
    _mark(event, org.housing_learner, P, method=AttendanceMethod.QR)
    _mark(
        event,
        org.discipline,
        P,
        method=AttendanceMethod.QR,
        walk_in=True,
        walk_in_confirmed_at=timezone.now(),
    )
    _mark(event, org.housing_admin, P, method=AttendanceMethod.QR, walk_in=True)
    index = CourseIndexPageFactory(parent=HomePage.objects.get())
    course = CoursePageFactory(parent=index, title="警示教育录像", slug="recording")
    MakeUp.objects.create(
        event=event, user=org.budget_learner, course=course, completed_at=timezone.now()
    )
    MakeUp.objects.create(event=event, user=f3, course=course)  # assigned, not done

    event2 = _event(campaign, org.finance, org.trainer, hours_ago=30)
    _register(event2, org.finance_learner, f2)
    _mark(event2, org.finance_learner, P)
    _mark(event2, f2, A)

    # Not counted by the campaign: a future required event, a past optional one, a past
    # cancelled one.
    future = _event(campaign, org.city, org.trainer, hours_ago=-48)
    optional = _event(campaign, org.city, org.trainer, hours_ago=50, required=False)
    cancelled = _event(campaign, org.city, org.trainer, hours_ago=70)
    Event.objects.filter(pk=cancelled.pk).update(status=EventStatus.CANCELLED)
    for other in (future, optional, cancelled):
        _register(other, org.finance_learner, org.housing_learner)
        _mark(other, org.housing_learner, A)

    CampaignCompletion.objects.create(campaign=campaign, user=org.finance_learner)
    CampaignCompletion.objects.create(campaign=campaign, user=org.housing_learner)

    a1 = CampaignActionFactory(campaign=campaign, title="召开警示教育大会", order=1)
    a2 = CampaignActionFactory(campaign=campaign, title="签订廉政承诺书", order=2)
    c1 = CampaignActionFactory(
        campaign=campaign, kind=ActionKind.CHOSEN, unit=org.finance, title="财政廉政书画展"
    )
    CampaignActionFactory(
        campaign=campaign, kind=ActionKind.CHOSEN, unit=org.housing, title="工地廉政走访"
    )
    today = timezone.localdate()
    for action, unit in (
        (a1, org.finance),
        (a2, org.finance),
        (a1, org.housing),
        (c1, org.finance),
    ):
        ActionReport.objects.create(action=action, unit=unit, done_on=today, summary="已完成")
    return Data(org=org, campaign=campaign, event=event, event2=event2, f2=f2, f3=f3, h2=h2)


@pytest.fixture
def data(org, campaign) -> Data:
    return build(org, campaign)


def _figures(row):
    return (
        row.expected,
        row.present,
        row.late,
        row.excused,
        row.absent,
        row.not_recorded,
        row.rate,
        row.makeup_done,
    )


# --- Event figures -------------------------------------------------------------------


def test_event_report_figures_by_unit(data):
    org = data.org
    report = event_report(viewer=org.city_admin, event=data.event)
    by_name = {row.name: _figures(row) for row in report.rows}
    assert by_name == {
        "某市": (1, 0, 0, 0, 1, 0, 0, 0),
        "市财政局": (4, 2, 1, 0, 1, 0, 75, 0),
        "预算科": (1, 0, 0, 1, 0, 0, 0, 1),
        "市住建局": (0, 0, 0, 0, 0, 0, None, 0),
        "办公室": (2, 1, 0, 0, 0, 1, 50, 0),
    }
    assert [row.name for row in report.rows] == ["某市", "市财政局", "预算科", "市住建局", "办公室"]
    assert [row.depth for row in report.rows] == [0, 1, 2, 1, 2]
    assert _figures(report.total) == (8, 3, 1, 1, 2, 1, 50, 1)


def test_event_report_unit_filter_narrows_to_subtree(data):
    org = data.org
    report = event_report(viewer=org.city_admin, event=data.event, unit=org.finance)
    assert [row.name for row in report.rows] == ["市财政局", "预算科"]
    assert _figures(report.total) == (5, 2, 1, 1, 1, 0, 60, 1)


def test_event_report_people_statuses(data):
    org = data.org
    people = event_report_people(viewer=org.trainer, event=data.event)
    status = {p.full_name: p.att_status or "not_recorded" for p in people}
    assert status == {
        "市级管理员": A,
        "张三丰": P,
        "财政二": L,
        "财政三": A,
        "纪检员": P,
        "李四": E,
        "王五": P,
        "住建二": "not_recorded",
    }
    absent = event_report_people(viewer=org.trainer, event=data.event, status=A)
    assert sorted(p.full_name for p in absent) == ["市级管理员", "财政三"]
    nr = event_report_people(viewer=org.trainer, event=data.event, status="not_recorded")
    assert [p.full_name for p in nr] == ["住建二"]


def test_event_report_scope_for_unit_admins_and_discipline(data):
    org = data.org
    housing = event_report(viewer=org.housing_admin, event=data.event)
    assert [row.name for row in housing.rows] == ["市住建局", "办公室"]
    assert _figures(housing.total) == (2, 1, 0, 0, 0, 1, 50, 0)
    finance = event_report(viewer=org.discipline, event=data.event)
    assert [row.name for row in finance.rows] == ["市财政局", "预算科"]
    assert _figures(finance.total) == (5, 2, 1, 1, 1, 0, 60, 1)
    names = {p.full_name for p in event_report_people(viewer=org.housing_admin, event=data.event)}
    assert names == {"王五", "住建二"}


# --- Campaign figures ----------------------------------------------------------------


def test_campaign_report_figures_by_unit(data):
    org = data.org
    report = campaign_report(viewer=org.city_admin, campaign=data.campaign)
    rows = {row.name: row for row in report.rows}
    # People of the audience (direct members) and completions.
    assert {n: (r.people, r.complete) for n, r in rows.items()} == {
        "某市": (2, 0),
        "市财政局": (5, 1),
        "预算科": (1, 0),
        "市住建局": (1, 0),
        "办公室": (2, 1),
    }
    # Registrations of the two held required events (event and event2).
    assert {n: _figures(r) for n, r in rows.items()} == {
        "某市": (1, 0, 0, 0, 1, 0, 0, 0),
        "市财政局": (5, 2, 1, 0, 2, 0, 60, 0),
        "预算科": (1, 0, 0, 1, 0, 0, 0, 1),
        "市住建局": (0, 0, 0, 0, 0, 0, None, 0),
        "办公室": (2, 1, 0, 0, 0, 1, 50, 0),
    }
    assert {n: (r.actions_done, r.actions_missing) for n, r in rows.items()} == {
        "某市": (0, 2),
        "市财政局": (2, 0),
        "预算科": (0, 2),
        "市住建局": (1, 1),
        "办公室": (0, 2),
    }
    assert rows["市住建局"].missing_titles == ["签订廉政承诺书"]
    assert {n: (r.chosen, r.chosen_reported) for n, r in rows.items() if r.chosen} == {
        "市财政局": (1, 1),
        "市住建局": (1, 0),
    }
    total = report.total
    assert (total.people, total.complete, total.expected, total.rate) == (11, 2, 9, 44)
    assert (total.actions_done, total.actions_missing) == (3, 7)
    assert report.held_count == 2
    events = {row.event.pk: row for row in report.events}
    assert set(events) == {data.event.pk, data.event2.pk, *events} and len(events) == 3
    first = events[data.event.pk]
    assert (first.expected, first.attended, first.excused, first.absent) == (7, 3, 1, 2)
    assert (first.not_recorded, first.makeup_done, first.rate) == (1, 1, 43)
    second = events[data.event2.pk]
    assert (second.expected, second.attended, second.absent, second.rate) == (2, 1, 1, 50)


def test_campaign_report_people(data):
    org = data.org
    people = {
        p.full_name: p
        for p in campaign_report_people(viewer=org.city_admin, campaign=data.campaign)
    }
    zs = people["张三丰"]
    assert (zs.events_expected, zs.events_attended, zs.events_absent, zs.complete) == (
        2,
        2,
        0,
        True,
    )
    ls = people["李四"]
    assert (ls.events_expected, ls.events_excused, ls.events_made_up, ls.complete) == (
        1,
        1,
        1,
        False,
    )
    assert people["财政二"].events_absent == 1 and people["财政二"].events_attended == 1
    assert "超级管理员" not in people  # no unit: outside the audience


def test_campaign_report_scope(data):
    org = data.org
    report = campaign_report(viewer=org.housing_admin, campaign=data.campaign)
    assert [row.name for row in report.rows] == ["市住建局", "办公室"]
    assert (report.total.people, report.total.expected, report.total.complete) == (3, 2, 1)
    # The finance-only event shows nothing for the housing admin.
    assert [row.expected for row in report.events if row.event.pk == data.event2.pk] == [0]
    names = {
        p.full_name
        for p in campaign_report_people(viewer=org.housing_admin, campaign=data.campaign)
    }
    assert names == {"住建管理员", "王五", "住建二"}


# --- Pages ---------------------------------------------------------------------------


def _en(url: str) -> str:
    """The English version of a URL (Chinese, the default language, has no prefix)."""
    return "/en" + url.removeprefix("/en")


def test_event_report_page(client, data, django_assert_max_num_queries):
    client.force_login(data.org.city_admin)
    url = reverse("events:report_event", args=[data.event.pk])
    client.get(url)  # first request of the session: caches warm up
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "财政三" in html and "住建二" in html
    assert "50%" in html and "75%" in html
    rows = response.context["report"].rows
    assert len(rows) == 5


def test_event_report_page_english_labels(client, data):
    client.force_login(data.org.trainer)
    response = client.get(_en(reverse("events:report_event", args=[data.event.pk])))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Attendance rate" in html and "Not recorded" in html


def test_event_report_page_housing_admin_never_sees_finance(client, data):
    client.force_login(data.org.housing_admin)
    response = client.get(reverse("events:report_event", args=[data.event.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for secret in (
        "张三丰",
        "财政二",
        "财政三",
        "李四",
        "纪检员",
        "市财政局",
        "预算科",
        "市级管理员",
    ):
        assert secret not in html
    assert "王五" in html


def test_event_report_page_status_filter(client, data):
    client.force_login(data.org.city_admin)
    response = client.get(
        reverse("events:report_event", args=[data.event.pk]), {"status": "not_recorded"}
    )
    assert [p.full_name for p in response.context["people"]] == ["住建二"]


def test_event_report_bad_filter_is_ignored_not_500(client, data):
    client.force_login(data.org.housing_admin)
    url = reverse("events:report_event", args=[data.event.pk])
    response = client.get(url, {"unit": str(data.org.finance.pk), "status": "<script>"})
    assert response.status_code == 200
    # The finance unit is not a choice for the housing admin: the filter is refused.
    assert response.context["filter_form"].errors
    assert "张三丰" not in response.content.decode()


def test_event_out_of_scope_is_404(client, org, campaign, data):
    finance_only = data.event2
    client.force_login(org.housing_admin)
    assert client.get(reverse("events:report_event", args=[finance_only.pk])).status_code == 404
    url = reverse("events:report_event_export", args=[finance_only.pk, "csv"])
    assert client.get(url).status_code == 404
    assert client.get(reverse("events:report_event", args=[999999])).status_code == 404


def test_learner_gets_403(client, data):
    client.force_login(data.org.finance_learner)
    assert client.get(reverse("events:report_event", args=[data.event.pk])).status_code == 403
    assert client.get(reverse("events:report_campaign", args=[data.campaign.pk])).status_code == 403


def test_campaign_report_page(client, data, django_assert_max_num_queries):
    client.force_login(data.org.city_admin)
    url = reverse("events:report_campaign", args=[data.campaign.pk])
    client.get(url)  # first request of the session: caches warm up
    with django_assert_max_num_queries(18):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "签订廉政承诺书" in html and "44%" in html


def test_campaign_report_page_scope(client, data, org):
    client.force_login(org.housing_admin)
    response = client.get(reverse("events:report_campaign", args=[data.campaign.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "市财政局" not in html and "预算科" not in html
    other_root = unit_create(code="OTHER", name="外市")
    other = Campaign.objects.create(
        year=2026,
        title="外市教育月",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        audience_unit=other_root,
    )
    response = client.get(reverse("events:report_campaign", args=[other.pk]))
    assert response.status_code == 404


def test_report_index(client, data):
    client.force_login(data.org.housing_admin)
    response = client.get(reverse("events:report_index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert data.campaign.title in html
    assert reverse("events:report_event", args=[data.event.pk]) in html
    assert reverse("events:report_event", args=[data.event2.pk]) not in html


# --- Exports -------------------------------------------------------------------------


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _xlsx(response):
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_event_export_people_csv_and_xlsx(client, data):
    client.force_login(data.org.housing_admin)
    url = _en(reverse("events:report_event_export", args=[data.event.pk, "csv"]))
    rows = _csv(client.get(url))
    assert rows[0][:5] == ["Full name", "Employee number", "Unit", "Rank level", "Status"]
    expected = {("王五", "Present"), ("住建二", "Not recorded")}
    assert {(r[0], r[4]) for r in rows[1:]} == expected and len(rows) == 3
    xlsx = _xlsx(client.get(url.replace("export.csv", "export.xlsx")))
    assert {(r[0], r[4]) for r in xlsx[1:]} == expected and len(xlsx) == 3


def test_event_export_units_with_filter(client, data):
    client.force_login(data.org.city_admin)
    url = _en(reverse("events:report_event_export", args=[data.event.pk, "xlsx"]))
    rows = _xlsx(client.get(url, {"what": "units", "unit": data.org.finance.pk}))
    assert rows[0][0] == "Unit" and rows[0][7] == "Attendance rate"
    assert rows[1:] == [
        ["市财政局", 4, 2, 1, 0, 1, 0, "75%", 0],
        ["预算科", 1, 0, 0, 1, 0, 0, "0%", 1],
        ["Total", 5, 2, 1, 1, 1, 0, "60%", 1],
    ]


def test_event_export_people_make_up_and_leave_columns(client, data):
    client.force_login(data.org.discipline)
    url = _en(reverse("events:report_event_export", args=[data.event.pk, "csv"]))
    rows = {r[0]: r for r in _csv(client.get(url))[1:]}
    assert set(rows) == {"张三丰", "财政二", "财政三", "纪检员", "李四"}
    assert rows["李四"][6] == "Approved leave" and rows["李四"][8] == "Yes"
    assert rows["财政三"][8] == "No"  # assigned, not done
    assert rows["张三丰"][8] == ""


def test_exports_escape_formulas(client, data):
    org = data.org
    evil_unit = unit_create(code="EVIL", name='=HYPERLINK("http://x")', parent=org.housing)
    evil = UserFactory(email="evil@example.gov.cn", full_name="=1+2", unit=evil_unit)
    _register(data.event, evil)
    client.force_login(org.housing_admin)
    for fmt in ("csv", "xlsx"):
        url = reverse("events:report_event_export", args=[data.event.pk, fmt])
        rows = (_csv if fmt == "csv" else _xlsx)(client.get(url))
        evil_row = next(r for r in rows if r[0].endswith("=1+2"))
        assert evil_row[0] == "'=1+2"
        assert evil_row[2] == '\'=HYPERLINK("http://x")'
        units = (_csv if fmt == "csv" else _xlsx)(client.get(url, {"what": "units"}))
        assert any(r[0] == '\'=HYPERLINK("http://x")' for r in units)
    url = reverse("events:report_campaign_export", args=[data.campaign.pk, "csv"])
    rows = _csv(client.get(url, {"what": "units"}))
    assert any(r[0] == '\'=HYPERLINK("http://x")' for r in rows)


def test_campaign_export_units_and_people(client, data):
    client.force_login(data.org.housing_admin)
    base = _en(reverse("events:report_campaign_export", args=[data.campaign.pk, "xlsx"]))
    units = _xlsx(client.get(base, {"what": "units"}))
    assert units[0][:4] == ["Unit", "People", "Complete", "Expected attendances"]
    assert [r[0] for r in units[1:]] == ["市住建局", "办公室", "Total"]
    assert units[1][11:14] == [1, 1, "签订廉政承诺书"]
    people = _csv(client.get(base.replace("export.xlsx", "export.csv")))
    assert people[0][-1] == "Complete"
    by_name = {r[0]: r for r in people[1:]}
    assert set(by_name) == {"住建管理员", "王五", "住建二"}
    assert by_name["王五"][4:] == ["1", "1", "0", "0", "0", "Yes"]


def test_campaign_export_out_of_scope_is_404(client, data, org):
    other_root = unit_create(code="OTHER", name="外市")
    other = Campaign.objects.create(
        year=2026,
        title="外市教育月",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        audience_unit=other_root,
    )
    client.force_login(org.finance_admin)
    url = reverse("events:report_campaign_export", args=[other.pk, "xlsx"])
    assert client.get(url).status_code == 404


# --- Query counts constant in units and people ---------------------------------------


def _grow(data, n: int) -> None:
    """``n`` more units under finance, each with two registered people (one present, one
    absent), and the units' reports of the first required action."""
    org = data.org
    actions = list(data.campaign.actions.filter(kind=ActionKind.REQUIRED))
    for i in range(n):
        unit = unit_create(code=f"CZJ-X{i}", name=f"科室{i}", parent=org.finance)
        for j, status in enumerate((P, A)):
            person = UserFactory(email=f"x{i}-{j}@example.gov.cn", unit=unit)
            _register(data.event, person)
            _register(data.event2, person)
            _mark(data.event, person, status)
        ActionReport.objects.create(
            action=actions[0], unit=unit, done_on=timezone.localdate(), summary="已完成"
        )


@pytest.mark.parametrize(
    "name", ["report_event", "report_campaign", "report_event_export", "report_campaign_export"]
)
def test_query_count_constant_in_size(client, data, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(data.org.finance_admin)
    obj = data.event if "event" in name else data.campaign
    args = [obj.pk, "xlsx"] if "export" in name else [obj.pk]
    url = reverse(f"events:{name}", args=args)

    def count(params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    count({})  # first request of the session: caches warm up
    small = [count({}), count({"what": "units"})]
    _grow(data, 12)
    large = [count({}), count({"what": "units"})]
    assert small == large
    assert max(large) <= 18
