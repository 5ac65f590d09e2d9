"""Large dashboard XLSX exports run as a Celery job: the request redirects to a progress
page, the task writes exactly the rows the inline export would, only the requester sees
and downloads the file, a double click makes one job, a second delivery of the task
changes nothing, failures are shown, and the sweep re-runs lost jobs and deletes old ones."""

from __future__ import annotations

import datetime
import io
import time

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

import dashboard.services.exports as exports_service
from dashboard.filters import filters_from_params
from dashboard.models import ExportJob, ExportStatus
from dashboard.services.exports import (
    EXPORT_TIME_LIMIT,
    export_job_build,
    export_job_request,
    export_jobs_sweep,
)
from dashboard.tasks_exports import export_job_build_task, export_jobs_sweep_task
from people.models import Role
from people.services import role_revoke
from tests.concurrency import in_threads, needs_pg
from tests.dashboard.test_exports import EVIL_NAME, World, build_world, export_url

LARGE = override_settings(DASHBOARD_EXPORT_INLINE_ROWS=1)


@pytest.fixture
def world(org) -> World:
    return build_world(org)


def job_url(name: str, pk: int, lang: str = "zh-hans") -> str:
    with translation.override(lang):
        return reverse(f"dashboard:{name}", args=[pk])


def sheet_rows(data: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def ask(client, user, table: str = "enrolments", **params):
    """Request a large XLSX export (on-commit callbacks run: the eager task builds it)."""
    client.force_login(user)
    return client.get(export_url(table, "xlsx", **params))


@pytest.fixture
def captured(django_capture_on_commit_callbacks):
    """Runs the transaction's on-commit callbacks (the task enqueue) when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@LARGE
def test_large_xlsx_job_builds_the_same_rows_and_only_the_requester_sees_it(
    client, org, world, captured
):
    with captured() as callbacks:
        response = ask(client, org.finance_admin, unit=org.finance.pk)
    assert len(callbacks) == 1
    job = ExportJob.objects.get()
    assert response.status_code == 303
    assert response["Location"] == job_url("export_job", job.pk)
    assert (job.requested_by, job.kind, job.format) == (org.finance_admin, "enrolments", "xlsx")
    assert job.status == ExportStatus.DONE
    assert (job.total, job.done, job.percent) == (4, 4, 100)
    assert job.file.name == f"dashboard-exports/{job.pk}.xlsx"

    page = client.get(job_url("export_job", job.pk))
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert 'http-equiv="refresh"' not in html
    assert job_url("export_job_download", job.pk) in html
    assert f"unit={org.finance.pk}" in html and "status=all" in html  # back with the filters

    download = client.get(job_url("export_job_download", job.pk))
    assert download.status_code == 200
    assert download["Cache-Control"] == "no-store"
    assert f"dashboard-CZJ-{world.year}-enrolments.xlsx" in download["Content-Disposition"]
    rows = sheet_rows(b"".join(download.streaming_content))
    with translation.override("zh-hans"):
        from dashboard.exports import enrolments_header

        assert rows[0] == enrolments_header()
    assert sorted((r[1], r[3]) for r in rows[1:]) == sorted(
        [
            ("张三丰", "廉洁从政专题课程"),
            ("张三丰", "'+1"),
            ("李四", "廉洁从政专题课程"),
            ("'" + EVIL_NAME, "'+1"),
        ]
    )
    overdue = next(r for r in rows[1:] if r[1] == "张三丰" and r[3] == "廉洁从政专题课程")
    assert overdue[4].date() == world.past

    # Another dashboard user, even of the same unit: 404 on both pages.
    for other in (org.discipline, org.housing_admin, org.city_admin):
        client.force_login(other)
        assert client.get(job_url("export_job", job.pk)).status_code == 404
        assert client.get(job_url("export_job_download", job.pk)).status_code == 404
    client.logout()
    assert client.get(job_url("export_job_download", job.pk)).status_code == 302  # log in


@LARGE
def test_people_job_with_a_filter(client, org, world, captured):
    with captured():
        ask(client, org.finance_admin, "people", unit=org.finance.pk, show="incomplete", lang="en")
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE and job.total == 2
    assert job.params["show"] == "incomplete" and job.params["language"] == "en"
    with job.file.open("rb") as handle:
        rows = sheet_rows(handle.read())
    assert rows[0][:2] == ["Unit", "Full name"]  # asked for under /en/
    assert sorted(r[1] for r in rows[1:]) == sorted(["张三丰", "'" + EVIL_NAME])


@LARGE
def test_double_request_makes_one_job(client, org, world, captured):
    with captured() as callbacks:
        first = ask(client, org.finance_admin, unit=org.finance.pk)
        second = ask(client, org.finance_admin, unit=org.finance.pk)
    assert first["Location"] == second["Location"]
    assert len(callbacks) == 1
    assert ExportJob.objects.count() == 1
    # Once finished it is reused for ten minutes; then the same request makes a new one.
    with captured():
        ask(client, org.finance_admin, unit=org.finance.pk)
    assert ExportJob.objects.count() == 1
    ExportJob.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    with captured():
        ask(client, org.finance_admin, unit=org.finance.pk)
    assert ExportJob.objects.count() == 2
    # Other filters, another format or another person: another job.
    with captured():
        ask(client, org.finance_admin, unit=org.finance.pk, status="open")
        ask(client, org.discipline, unit=org.finance.pk)
    assert ExportJob.objects.count() == 4


def job_storage():
    """The storage the jobs' files live in: the field's, bound when the model was loaded
    (``storages["private"]`` is a new instance once a test has changed STORAGES)."""
    return ExportJob._meta.get_field("file").storage


def _pending_job(org, **params) -> ExportJob:
    filters = filters_from_params(
        viewer=org.finance_admin, params={"unit": org.finance.pk, **params}
    )
    return export_job_request(
        user=org.finance_admin, kind="enrolments", fmt="xlsx", filters=filters
    )


def test_a_second_delivery_changes_nothing(org, world):
    job = _pending_job(org)  # on-commit not run: still waiting
    assert job.status == ExportStatus.PENDING
    assert export_job_build_task.apply(args=[job.pk]).get() == ExportStatus.DONE
    job.refresh_from_db()
    with job.file.open("rb") as handle:
        first = handle.read()
    finished = job.finished_at
    assert export_job_build_task.apply(args=[job.pk]).get() == ExportStatus.DONE
    job.refresh_from_db()
    assert job.finished_at == finished
    with job.file.open("rb") as handle:
        assert handle.read() == first
    assert job_storage().listdir("dashboard-exports")[1].count(f"{job.pk}.xlsx") == 1
    # A delivery while another worker builds it: nothing either.
    other = _pending_job(org, status="completed")
    ExportJob.objects.filter(pk=other.pk).update(status=ExportStatus.RUNNING)
    assert export_job_build(job_id=other.pk).status == ExportStatus.RUNNING
    assert not ExportJob.objects.get(pk=other.pk).file
    assert export_job_build(job_id=999_999) is None


def test_progress_page_while_waiting_refreshes_itself(client, org, world):
    job = _pending_job(org)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, total=4000, done=1000)
    client.force_login(org.finance_admin)
    html = client.get(job_url("export_job", job.pk, "en")).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress class="progress" max="100" value="25"' in html
    assert "1000 of 4000 rows written (25%)" in html
    assert job_url("export_job_download", job.pk, "en") not in html
    assert client.get(job_url("export_job_download", job.pk)).status_code == 404


def test_failure_is_shown_and_nothing_to_download(client, org, world, monkeypatch):
    job = _pending_job(org)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(exports_service, "export_table", broken)
    assert export_job_build(job_id=job.pk).status == ExportStatus.FAILED
    job.refresh_from_db()
    assert job.error and "database" not in job.error  # a message for the person, not the trace
    assert job.finished_at is not None
    client.force_login(org.finance_admin)
    page = client.get(job_url("export_job", job.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="alert"' in html and job.error in html
    assert 'http-equiv="refresh"' not in html
    assert client.get(job_url("export_job_download", job.pk)).status_code == 404


def test_a_unit_taken_out_of_scope_before_the_build_fails_the_job(org, world):
    filters = filters_from_params(viewer=org.finance_admin, params={"unit": org.finance_budget.pk})
    # Asked for in English: the job writes its messages in the language it was asked in.
    with translation.override("en"):
        job = export_job_request(user=org.finance_admin, kind="people", fmt="xlsx", filters=filters)
    role_revoke(user=org.finance_admin, role=Role.UNIT_ADMIN, unit=org.finance)
    built = export_job_build(job_id=job.pk)
    assert built.status == ExportStatus.FAILED
    assert "no longer" in built.error
    assert not built.file


def test_sweep_reruns_lost_jobs_and_deletes_old_ones(org, world):
    now = timezone.now()
    lost = _pending_job(org)  # its message was lost
    fresh = _pending_job(org, status="open")  # just asked for: leave it
    stuck = _pending_job(org, status="completed")  # its worker died
    ExportJob.objects.filter(pk=lost.pk).update(created_at=now - datetime.timedelta(minutes=6))
    ExportJob.objects.filter(pk=stuck.pk).update(
        status=ExportStatus.RUNNING,
        created_at=now - datetime.timedelta(minutes=20),
        started_at=now - datetime.timedelta(seconds=EXPORT_TIME_LIMIT + 60),
        done=1000,
    )
    old = _pending_job(org, status="overdue")
    ExportJob.objects.filter(pk=old.pk).update(
        status=ExportStatus.DONE,
        created_at=now - datetime.timedelta(hours=25),
        file=f"dashboard-exports/{old.pk}.xlsx",
    )
    job_storage().save(f"dashboard-exports/{old.pk}.xlsx", ContentFile(b"old"))

    assert sorted(export_jobs_sweep(now=now)) == sorted([lost.pk, stuck.pk])
    assert not ExportJob.objects.filter(pk=old.pk).exists()
    assert not job_storage().exists(f"dashboard-exports/{old.pk}.xlsx")
    assert ExportJob.objects.get(pk=stuck.pk).status == ExportStatus.PENDING
    assert ExportJob.objects.get(pk=fresh.pk).status == ExportStatus.PENDING

    # The task builds what the sweep found (eagerly here), and only those.
    assert export_jobs_sweep_task.apply().get() == 2
    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses == {
        lost.pk: ExportStatus.DONE,
        stuck.pk: ExportStatus.DONE,
        fresh.pk: ExportStatus.PENDING,
    }


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@LARGE
def test_large_export_through_the_real_worker(client, org, world, celery_mode):
    """With a broker (PostgreSQL + Redis run) the job goes through a real worker; without
    one the task runs eagerly. Either way the page ends with the file ready."""
    response = ask(client, org.finance_admin, unit=org.finance.pk)
    assert response.status_code == 303
    job = ExportJob.objects.get()
    page_url = job_url("export_job", job.pk)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (ExportStatus.DONE, ExportStatus.FAILED):
            break
        assert client.get(page_url).status_code == 200
        time.sleep(0.3)
    assert job.status == ExportStatus.DONE, (celery_mode, job.status, job.error)
    assert (job.total, job.done) == (4, 4)
    assert job.file.name == f"dashboard-exports/{job.pk}.xlsx"
    assert job_url("export_job_download", job.pk) in client.get(page_url).content.decode()
    if celery_mode == "eager":  # the worker's in-memory storage is its own
        download = client.get(job_url("export_job_download", job.pk))
        assert len(sheet_rows(b"".join(download.streaming_content))) == 5


# --- Real concurrency (PostgreSQL) ------------------------------------------------------


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_clicks_at_once_make_one_job(org, world, monkeypatch):
    monkeypatch.setattr(exports_service, "_enqueue", lambda job_id: None)
    filters = filters_from_params(viewer=org.finance_admin, params={"unit": org.finance.pk})

    def click() -> int:
        return export_job_request(
            user=org.finance_admin, kind="enrolments", fmt="xlsx", filters=filters
        ).pk

    results, errors = in_threads([click] * 5)
    assert not errors, errors
    assert len(set(results)) == 1
    assert ExportJob.objects.count() == 1


@needs_pg
@pytest.mark.django_db(transaction=True)
def test_deliveries_at_once_write_the_file_once(org, world, monkeypatch):
    monkeypatch.setattr(exports_service, "_enqueue", lambda job_id: None)  # the threads build
    job = _pending_job(org)
    writes = []
    real = exports_service._job_store

    def store(job, spool):
        writes.append(job.pk)
        return real(job, spool)

    monkeypatch.setattr(exports_service, "_job_store", store)
    _results, errors = in_threads([lambda: export_job_build(job_id=job.pk)] * 4)
    assert not errors, errors
    assert writes == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (ExportStatus.DONE, 4, 4)
