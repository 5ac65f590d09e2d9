"""Campaign pages: list and detail by scope, the create/edit form with its refusals, actions,
the roll-up by unit (done / missing), unit reports with evidence (bad files refused,
nothing saved; a double submit makes one report), evidence served only in scope, and
pinned query counts."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse as django_reverse
from django.utils import timezone, translation
from PIL import Image

from events.factories import CampaignActionFactory, CampaignFactory, EventFactory
from events.models import (
    ActionEvidence,
    ActionKind,
    ActionReport,
    Attendance,
    AttendanceMethod,
    AttendanceStatus,
    Campaign,
    CampaignAction,
)
from events.selectors.campaigns import campaign_list_visible, campaign_rollup
from events.services.campaigns import report_save
from events.uploads import evidence_check

pytestmark = pytest.mark.django_db


def reverse(name: str, args: list | None = None) -> str:
    """The English URL (``/en/…``): the assertions below read English messages."""
    with translation.override("en"):
        return django_reverse(name, args=args)


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (180, 20, 20)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def actions(campaign):
    return [
        CampaignActionFactory(campaign=campaign, title="召开警示教育大会", order=1),
        CampaignActionFactory(campaign=campaign, title="开展廉政谈话", order=2),
    ]


def make_report(action, unit, by, **kwargs) -> ActionReport:
    return ActionReport.objects.create(
        action=action,
        unit=unit,
        done_on=kwargs.pop("done_on", days(-1)),
        summary=kwargs.pop("summary", "组织全体干部参加。"),
        reported_by=by,
        **kwargs,
    )


# --- List and visibility ------------------------------------------------------------


def test_visibility_by_scope_and_audience(org, campaign):
    housing_only = CampaignFactory(audience_unit=org.housing, title="住建局专项教育")
    # Unit admins see campaigns overlapping their scope (the city's, their own).
    assert set(campaign_list_visible(viewer=org.housing_admin)) == {campaign, housing_only}
    assert set(campaign_list_visible(viewer=org.finance_admin)) == {campaign}
    # A learner sees the campaigns that include them.
    assert set(campaign_list_visible(viewer=org.housing_learner)) == {campaign, housing_only}
    assert set(campaign_list_visible(viewer=org.finance_learner)) == {campaign}


def test_list_page_for_a_cadre_shows_own_campaigns(
    client, org, campaign, django_assert_max_num_queries
):
    CampaignFactory(audience_unit=org.housing, title="住建局专项教育")
    client.force_login(org.finance_learner)
    client.get(reverse("events:campaign_list"))  # warm the caches (site, navigation)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("events:campaign_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert campaign.title in body
    assert "住建局专项教育" not in body
    assert "Not complete yet" in body
    assert "Campaigns in your scope" not in body


def test_list_page_for_an_admin_query_count_is_constant(
    client, org, campaign, django_assert_max_num_queries
):
    client.force_login(org.city_admin)
    client.get(reverse("events:campaign_list"))  # warm the caches (site, navigation)
    for i in range(12):
        c = CampaignFactory(audience_unit=org.city, title=f"专项{i}")
        CampaignActionFactory(campaign=c)
        EventFactory(campaign=c, audience_unit=org.city, trainer=org.trainer)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("events:campaign_list"))
    assert response.status_code == 200
    assert "Campaigns in your scope" in response.content.decode()
    assert "专项11" in response.content.decode()


def test_detail_out_of_scope_is_404(client, org):
    housing_only = CampaignFactory(audience_unit=org.housing)
    client.force_login(org.finance_admin)
    assert client.get(reverse("events:campaign_detail", [housing_only.pk])).status_code == 404
    client.force_login(org.finance_learner)
    assert client.get(reverse("events:campaign_detail", [housing_only.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, campaign):
    response = client.get(reverse("events:campaign_detail", [campaign.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


# --- Create and edit ---------------------------------------------------------------


def form_data(org, **overrides) -> dict:
    data = {
        "title": "2026年党风廉政建设宣传教育月",
        "year": str(days(0).year),
        "theme": "严守纪律",
        "starts_on": days(0).isoformat(),
        "ends_on": days(25).isoformat(),
        "audience_unit": str(org.finance.pk),
        "min_rank": "",
        "description": "",
    }
    data.update(overrides)
    return data


def test_create_campaign_and_double_submit(client, org):
    client.force_login(org.finance_admin)
    url = reverse("events:campaign_create")
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(org))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("events:campaign_detail", [campaign.pk]))
    assert campaign.created_by == org.finance_admin
    response = client.post(url, form_data(org), follow=True)
    assert Campaign.objects.count() == 1
    assert "already exists" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"ends_on": "2000-01-01"}, "cannot end before it starts"),
        ({"year": "2001"}, "does not match the period"),
        ({"starts_on": "", "title": ""}, "This field is required"),
        ({"starts_on": "not-a-date"}, "Enter a valid date"),
        ({"year": "abc"}, "Enter a whole number"),
    ],
)
def test_create_refusals(client, org, overrides, field_message):
    client.force_login(org.finance_admin)
    response = client.post(reverse("events:campaign_create"), form_data(org, **overrides))
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert "nothing was saved" in response.content.decode()
    assert not Campaign.objects.exists()


def test_create_for_a_unit_outside_scope_is_refused(client, org):
    client.force_login(org.finance_admin)
    response = client.post(
        reverse("events:campaign_create"), form_data(org, audience_unit=str(org.housing.pk))
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Campaign.objects.exists()


def test_learner_cannot_create(client, org):
    client.force_login(org.finance_learner)
    assert client.get(reverse("events:campaign_create")).status_code == 403


def test_edit_only_by_managers(client, org, campaign):
    url = reverse("events:campaign_edit", [campaign.pk])
    client.force_login(org.finance_admin)  # sees the city campaign, but does not manage it
    assert client.get(url).status_code == 404
    client.force_login(org.city_admin)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        form_data(
            org,
            title="改名后的教育月",
            audience_unit=str(org.city.pk),
            starts_on=campaign.starts_on.isoformat(),
            ends_on=campaign.ends_on.isoformat(),
            year=str(campaign.starts_on.year),
            is_active="on",
        ),
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "改名后的教育月"
    assert campaign.is_active


# --- Actions -----------------------------------------------------------------------


def test_required_action_added_by_manager_only(client, org, campaign):
    url = reverse("events:campaign_action_create", [campaign.pk])
    client.force_login(org.finance_admin)
    assert client.post(url, {"title": "x"}).status_code == 404
    client.force_login(org.city_admin)
    response = client.post(url, {"title": "召开专题民主生活会", "order": "1"})
    assert response.status_code == 302
    action = CampaignAction.objects.get()
    assert (action.kind, action.unit, action.title) == (
        ActionKind.REQUIRED,
        None,
        "召开专题民主生活会",
    )
    # Bad input: a due date before the campaign starts.
    response = client.post(
        url,
        {
            "title": "另一项",
            "due_date": (campaign.starts_on - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "before the campaign starts" in response.content.decode()
    assert CampaignAction.objects.count() == 1


def test_chosen_action_for_own_unit_only(client, org, campaign):
    url = reverse("events:campaign_chosen_create", [campaign.pk])
    client.force_login(org.finance_admin)
    response = client.post(url, {"unit": org.housing.pk, "title": "参观廉政教育基地"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not CampaignAction.objects.exists()
    response = client.post(url, {"unit": org.finance_budget.pk, "title": "参观廉政教育基地"})
    assert response.status_code == 302
    action = CampaignAction.objects.get()
    assert (action.kind, action.unit) == (ActionKind.CHOSEN, org.finance_budget)
    # Double submit: still one.
    client.post(url, {"unit": org.finance_budget.pk, "title": "参观廉政教育基地"})
    assert CampaignAction.objects.count() == 1
    # The housing admin cannot change it.
    client.force_login(org.housing_admin)
    assert client.get(reverse("events:campaign_action_edit", [action.pk])).status_code == 404


# --- Roll-up -----------------------------------------------------------------------


def test_rollup_done_and_missing_by_unit(org, campaign, actions):
    make_report(actions[0], org.finance, org.finance_admin)
    make_report(actions[1], org.finance, org.finance_admin)
    make_report(actions[0], org.housing, org.housing_admin)
    chosen = CampaignActionFactory(
        campaign=campaign, kind=ActionKind.CHOSEN, unit=org.finance_budget, title="读书班"
    )
    rows = {r.unit: r for r in campaign_rollup(viewer=org.city_admin, campaign=campaign)}
    # The audience unit, its direct children, and the budget section (it chose an action).
    assert list(rows) == [org.city, org.finance, org.finance_budget, org.housing]
    assert (rows[org.finance].done_count, rows[org.finance].missing_count) == (2, 0)
    assert rows[org.finance].complete
    assert [c.done for c in rows[org.housing].required] == [True, False]
    assert [c.done for c in rows[org.city].required] == [False, False]
    assert [(c.action, c.done) for c in rows[org.finance_budget].chosen] == [(chosen, False)]
    assert all(c.can_report for c in rows[org.housing].required)

    # The finance admin sees only finance's units, and may report for them.
    rows = {r.unit: r for r in campaign_rollup(viewer=org.finance_admin, campaign=campaign)}
    assert list(rows) == [org.finance, org.finance_budget]
    assert rows[org.finance].required[0].can_report
    # The discipline officer of finance reads the same rows but may not report.
    rows = campaign_rollup(viewer=org.discipline, campaign=campaign)
    assert [r.unit for r in rows] == [org.finance, org.finance_budget]
    assert not any(c.can_report for r in rows for c in r.required)
    # A learner has no roll-up.
    assert campaign_rollup(viewer=org.finance_learner, campaign=campaign) == []


def test_detail_page_query_count_is_constant(
    client, org, campaign, actions, event, django_assert_max_num_queries
):
    client.force_login(org.city_admin)
    url = reverse("events:campaign_detail", [campaign.pk])
    make_report(actions[0], org.finance, org.finance_admin)
    client.get(url)  # warm the caches (site, navigation)
    with django_assert_max_num_queries(21) as first:
        response = client.get(url)
    assert response.status_code == 200
    baseline = len(first.captured_queries)
    # Double the units, actions, reports and events: the same number of queries.
    for i in range(4):
        from people.factories import unit_create

        unit = unit_create(code=f"X{i}", name=f"新单位{i}", parent=org.city)
        a = CampaignActionFactory(campaign=campaign, title=f"规定动作X{i}")
        make_report(a, unit, org.city_admin)
        CampaignActionFactory(
            campaign=campaign, kind=ActionKind.CHOSEN, unit=unit, title=f"自选{i}"
        )
        EventFactory(campaign=campaign, audience_unit=unit, trainer=org.trainer)
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    body = response.content.decode()
    assert "新单位3" in body and "自选3" in body
    assert event.title in body


def test_detail_page_shows_rollup_status(client, org, campaign, actions):
    make_report(actions[0], org.housing, org.housing_admin)
    client.force_login(org.housing_admin)
    body = client.get(reverse("events:campaign_detail", [campaign.pk])).content.decode()
    assert "市住建局" in body and "市财政局" not in body
    assert "Done" in body and "Missing" in body
    assert reverse("events:campaign_report_edit", [actions[1].pk, org.housing.pk]) in body
    # Required actions are changed by the campaign's managers only, not from the roll-up.
    assert reverse("events:campaign_action_edit", [actions[0].pk]) not in body


def test_my_progress_on_the_detail_page(
    client, org, campaign, event, django_assert_max_num_queries
):
    second = EventFactory(
        campaign=campaign, audience_unit=org.city, trainer=org.trainer, title="第二场讲座"
    )
    Attendance.objects.create(
        event=event,
        user=org.finance_learner,
        status=AttendanceStatus.PRESENT,
        method=AttendanceMethod.QR,
        checked_in_at=timezone.now(),
    )
    client.force_login(org.finance_learner)
    client.get(reverse("events:campaign_list"))  # warm the caches (site, navigation)
    with django_assert_max_num_queries(17):
        response = client.get(reverse("events:campaign_detail", [campaign.pk]))
    body = response.content.decode()
    assert "My progress" in body
    assert "1 of 2 required events" in body
    assert "Attended" in body and "Not yet attended" in body
    assert second.title in body
    assert "By unit" not in body  # no roll-up for a learner


# --- Reports and evidence ------------------------------------------------------------


def report_url(action, unit) -> str:
    return reverse("events:campaign_report_edit", [action.pk, unit.pk])


def report_data(**overrides) -> dict:
    data = {
        "done_on": days(-2).isoformat(),
        "summary": "全局干部集中观看警示教育片。",
        "participants": "56",
    }
    data.update(overrides)
    return data


def test_report_with_evidence_and_double_submit(client, org, campaign, actions):
    client.force_login(org.finance_admin)
    url = report_url(actions[0], org.finance)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            **report_data(),
            "evidence": [
                jpeg("会场.jpg"),
                SimpleUploadedFile("纪要.pdf", PDF, content_type="application/pdf"),
            ],
            "caption": "会场照片",
        },
    )
    report = ActionReport.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(reverse("events:campaign_report_detail", [report.pk]))
    assert (report.unit, report.participants, report.reported_by) == (
        org.finance,
        56,
        org.finance_admin,
    )
    evidence = list(report.evidence.order_by("pk"))
    assert [(e.original_name, e.content_type) for e in evidence] == [
        ("会场.jpg", "image/jpeg"),
        ("纪要.pdf", "application/pdf"),
    ]
    assert all(e.file.name.startswith("events/evidence/") for e in evidence)
    assert "会场" not in evidence[0].file.name  # stored under a random name

    # Submitted again (double click, or an update): still one report, updated.
    response = client.post(url, report_data(summary="更新后的说明", participants="60"))
    assert response.status_code == 302
    assert ActionReport.objects.count() == 1
    report.refresh_from_db()
    assert (report.summary, report.participants) == ("更新后的说明", 60)
    assert report.evidence.count() == 2


def test_report_save_twice_in_the_service_makes_one_row(org, campaign, actions):
    files = [evidence_check(name="a.pdf", data=PDF)]
    first = report_save(
        by=org.finance_admin,
        action=actions[0],
        unit=org.finance,
        done_on=days(-1),
        summary="一",
        files=files,
    )
    second = report_save(
        by=org.finance_admin, action=actions[0], unit=org.finance, done_on=days(-1), summary="二"
    )
    assert first.pk == second.pk
    assert (first.created, second.created) == (True, False)
    assert ActionReport.objects.count() == 1


EXE = b"MZ\x90\x00\x03" + b"\x00" * 200


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: SimpleUploadedFile(
                "x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"
            ),
            "SVG, HTML",
        ),
        (lambda: SimpleUploadedFile("holiday.jpg", EXE, "image/jpeg"), "programs and scripts"),
        (lambda: SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "empty"),
        (lambda: SimpleUploadedFile("notes.txt", b"plain text", "text/plain"), "not accepted"),
        (lambda: SimpleUploadedFile("page.html", b"<html></html>", "text/html"), "SVG, HTML"),
    ],
)
def test_bad_evidence_refused_nothing_saved(client, org, campaign, actions, upload, message):
    client.force_login(org.finance_admin)
    url = report_url(actions[0], org.finance)
    response = client.post(url, {**report_data(), "evidence": [jpeg(), upload()]})
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "nothing was saved" in body
    assert not ActionReport.objects.exists()
    assert not ActionEvidence.objects.exists()


def test_oversized_evidence_refused(client, org, campaign, actions, settings):
    settings.QINGLIAN_EVIDENCE_MAX_BYTES = 200
    client.force_login(org.finance_admin)
    response = client.post(
        report_url(actions[0], org.finance), {**report_data(), "evidence": [jpeg()]}
    )
    assert response.status_code == 200
    assert "too large" in response.content.decode()
    assert not ActionReport.objects.exists()


def test_report_form_refusals(client, org, campaign, actions):
    client.force_login(org.finance_admin)
    url = report_url(actions[0], org.finance)
    response = client.post(url, report_data(done_on=days(3).isoformat(), summary=""))
    body = response.content.decode()
    assert response.status_code == 200
    assert "cannot be in the future" in body
    assert "This field is required" in body
    assert not ActionReport.objects.exists()


def test_reports_and_evidence_are_scoped(client, org, campaign, actions):
    report = make_report(actions[0], org.finance, org.finance_admin)
    report_save(
        by=org.finance_admin,
        action=actions[0],
        unit=org.finance,
        done_on=days(-1),
        summary="补充",
        files=[evidence_check(name="纪要.pdf", data=PDF)],
    )
    evidence = report.evidence.get()
    client.force_login(org.housing_admin)
    assert client.get(reverse("events:campaign_report_detail", [report.pk])).status_code == 404
    assert client.get(reverse("events:campaign_evidence", [evidence.pk])).status_code == 404
    assert client.get(report_url(actions[0], org.finance)).status_code == 404
    assert client.post(report_url(actions[0], org.finance), report_data()).status_code == 404
    assert client.post(reverse("events:campaign_evidence_delete", [evidence.pk])).status_code == 404
    assert ActionEvidence.objects.filter(pk=evidence.pk).exists()
    # A learner of finance: no access at all.
    client.force_login(org.finance_learner)
    assert client.get(reverse("events:campaign_evidence", [evidence.pk])).status_code == 403

    # The discipline officer of finance reads them (read-only).
    client.force_login(org.discipline)
    response = client.get(reverse("events:campaign_report_detail", [report.pk]))
    assert response.status_code == 200
    assert "Update the report" not in response.content.decode()
    response = client.get(reverse("events:campaign_evidence", [evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_images_are_served_inline(client, org, campaign, actions):
    photo = jpeg()
    report = report_save(
        by=org.finance_admin,
        action=actions[0],
        unit=org.finance,
        done_on=days(-1),
        summary="照片",
        files=[evidence_check(name="会场.jpg", data=photo.read())],
    )
    evidence = report.evidence.get()
    client.force_login(org.finance_admin)
    response = client.get(reverse("events:campaign_evidence", [evidence.pk]))
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_report_detail_query_count(client, org, campaign, actions, django_assert_max_num_queries):
    files = [evidence_check(name=f"纪要{i}.pdf", data=PDF) for i in range(5)]
    report = report_save(
        by=org.finance_admin,
        action=actions[0],
        unit=org.finance,
        done_on=days(-1),
        summary="x",
        files=files,
    )
    client.force_login(org.finance_admin)
    client.get(reverse("events:campaign_list"))  # warm the caches (site, navigation)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("events:campaign_report_detail", [report.pk]))
    assert response.status_code == 200
    assert "纪要4.pdf" in response.content.decode()


def test_evidence_delete_by_unit_admin(
    client, org, campaign, actions, django_capture_on_commit_callbacks
):
    report = report_save(
        by=org.finance_admin,
        action=actions[0],
        unit=org.finance,
        done_on=days(-1),
        summary="x",
        files=[evidence_check(name="a.pdf", data=PDF)],
    )
    evidence = report.evidence.get()
    storage, name = evidence.file.storage, evidence.file.name
    client.force_login(org.finance_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:campaign_evidence_delete", [evidence.pk]))
    assert response.status_code == 302
    assert not ActionEvidence.objects.exists()
    assert not storage.exists(name)


def test_chosen_action_reported_only_by_its_unit(client, org, campaign):
    chosen = CampaignActionFactory(
        campaign=campaign, kind=ActionKind.CHOSEN, unit=org.finance_budget, title="读书班"
    )
    client.force_login(org.finance_admin)
    assert client.get(report_url(chosen, org.finance)).status_code == 404
    response = client.post(report_url(chosen, org.finance_budget), report_data())
    assert response.status_code == 302
    assert ActionReport.objects.get().unit == org.finance_budget


def test_pages_render_in_chinese(client, org, campaign, actions):
    make_report(actions[0], org.finance, org.finance_admin)
    client.force_login(org.city_admin)
    with translation.override("zh-hans"):
        urls = [
            django_reverse("events:campaign_list"),
            django_reverse("events:campaign_detail", args=[campaign.pk]),
            django_reverse("events:campaign_report_edit", args=[actions[1].pk, org.housing.pk]),
        ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert campaign.title in response.content.decode() or "report" in url
