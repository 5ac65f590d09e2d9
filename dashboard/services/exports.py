"""Dashboard XLSX exports too large to build in a request, built by a Celery task that
reports progress.

* :func:`export_job_request` stores the filters as the request gave them (already checked
  against the requester's scope), reuses the requester's job for the same export while it
  is waiting or being built, or finished less than ``EXPORT_REUSE_WINDOW`` ago (a double
  click gives one job), and enqueues the build once the transaction commits.
* :func:`export_job_build` claims the row with a conditional UPDATE (pending → running), so
  a second delivery of the task, or a second worker, does nothing. It reads the filters
  through the requester's scope *as it is when the job runs* (a unit taken out of it fails
  the job), writes the XLSX in openpyxl's write-only mode to a temporary file (memory stays
  flat), and stores it under the deterministic name ``dashboard-exports/<pk>.xlsx``.
* :func:`export_jobs_sweep` hands jobs whose message or worker was lost to the build again
  and deletes jobs (and their files) older than ``DASHBOARD_EXPORT_KEEP_HOURS``.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import logging
import tempfile
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from people.models import User
from qinglian.exports import escape_cell

from ..exports import export_table
from ..filters import DashboardFilters, filters_from_params
from ..models import ExportFormat, ExportJob, ExportKind, ExportStatus, export_upload_to

logger = logging.getLogger(__name__)

#: Progress is written every this many rows (one UPDATE each time).
PROGRESS_EVERY = 1000
#: The same export asked for again this soon after the last one finished gets that file.
EXPORT_REUSE_WINDOW = datetime.timedelta(minutes=10)
#: A job still waiting this long after it was asked for lost its message.
EXPORT_PENDING_STALE = datetime.timedelta(minutes=5)
#: The build task's limits (seconds). 100,000 rows take well under a minute; the limits
#: only stop a build that hangs. A job running longer than the hard limit lost its worker.
EXPORT_SOFT_TIME_LIMIT = 10 * 60
EXPORT_TIME_LIMIT = 11 * 60

#: The key in ``ExportJob.params`` holding the language the requester used (headers and
#: words in the file are in it). Not a filter: ``filters_from_params`` ignores it.
LANGUAGE_KEY = "language"


def export_fingerprint(*, user_pk: int, kind: str, fmt: str, params: dict[str, Any]) -> str:
    """What makes two requests "the same export": requester, table, format, filters (and
    the language the file is written in)."""
    data = json.dumps([user_pk, kind, fmt, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def export_job_request(*, user: User, kind: str, fmt: str, filters: DashboardFilters) -> ExportJob:
    """Ask for an export of ``kind`` (units, people or enrolments) with ``filters`` (read
    through ``filters_from_params`` for ``user``, so already within their scope). Returns
    the requester's unfinished job for the same export, or one finished less than ten
    minutes ago (``job.reused`` is True), or a new one whose build starts once the
    transaction commits."""
    if kind not in ExportKind.values or fmt not in ExportFormat.values:
        raise ValueError(f"Unknown export {kind}.{fmt}")
    params = {**filters.as_params(), LANGUAGE_KEY: translation.get_language() or ""}
    fingerprint = export_fingerprint(user_pk=user.pk, kind=kind, fmt=fmt, params=params)
    with transaction.atomic():
        # Serialise one person's requests (row lock on PostgreSQL; SQLite writes one at a
        # time anyway), so two clicks make one job.
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = (
            ExportJob.objects.filter(requested_by=user, fingerprint=fingerprint)
            .filter(
                Q(status__in=[ExportStatus.PENDING, ExportStatus.RUNNING])
                | Q(
                    status=ExportStatus.DONE,
                    created_at__gte=timezone.now() - EXPORT_REUSE_WINDOW,
                )
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if existing is not None:
            existing.reused = True  # type: ignore[attr-defined]
            return existing
        job = ExportJob.objects.create(
            requested_by=user, kind=kind, format=fmt, params=params, fingerprint=fingerprint
        )
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id))
    job.reused = False  # type: ignore[attr-defined]
    return job


def _enqueue(job_id: int) -> None:
    from ..tasks_exports import export_job_build_task

    export_job_build_task.delay(job_id)


def export_job_get_own(*, viewer: Any, pk: int) -> ExportJob | None:
    """The job ``pk`` if ``viewer`` asked for it; ``None`` otherwise (answer 404)."""
    if not getattr(viewer, "is_authenticated", False):
        return None
    return ExportJob.objects.filter(pk=pk, requested_by_id=viewer.pk).first()


class ExportOutOfScope(Exception):
    """The requester may no longer see the unit the export was asked for."""


def export_job_build(*, job_id: int) -> ExportJob | None:
    """Build a pending job's XLSX. Safe to run twice: only the run that moves the row from
    pending to running builds; another returns the row untouched. A failure marks the row
    failed with a short message for the requester (not raised). Returns the row, or
    ``None`` if it is gone."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING,
        started_at=timezone.now(),
        finished_at=None,
        done=0,
        error="",
    )
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if not claimed or job is None:
        return job
    mine = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING)
    language = str(job.params.get(LANGUAGE_KEY) or settings.LANGUAGE_CODE)
    with translation.override(language):
        try:
            try:
                filters = filters_from_params(viewer=job.requested_by, params=job.params)
            except Http404 as exc:
                raise ExportOutOfScope from exc
            table = export_table(viewer=job.requested_by, table=job.kind, filters=filters)
            total = table.count()
            mine.update(total=total)
            with tempfile.TemporaryFile() as spool:
                write = _write_csv if job.format == ExportFormat.CSV else _write_xlsx
                done = write(spool, table.title, table.header, table.rows(), mine)
                spool.seek(0)
                name = _job_store(job, spool)
            finished = mine.update(
                status=ExportStatus.DONE,
                done=done,
                total=max(total, done),
                file=name,
                finished_at=timezone.now(),
            )
            if not finished and not ExportJob.objects.filter(pk=job_id).exists():
                job.file.storage.delete(name)  # swept away while it was built
                return None
        except ExportOutOfScope:
            mine.update(
                status=ExportStatus.FAILED,
                error=_("You can no longer see this unit's figures, so it was not exported."),
                finished_at=timezone.now(),
            )
        except Exception:
            logger.exception("Dashboard export %s failed", job_id)
            mine.update(
                status=ExportStatus.FAILED,
                error=_("The file could not be prepared. Please ask for it again."),
                finished_at=timezone.now(),
            )
    job.refresh_from_db()
    return job


def _write_xlsx(spool: Any, title: str, header: list[str], rows: Any, mine: Any) -> int:
    """Write a one-sheet workbook to ``spool`` row by row; progress every
    ``PROGRESS_EVERY`` rows. Returns the number of rows written."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([escape_cell(h) for h in header])
    done = 0
    append = sheet.append
    for row in rows:
        append([escape_cell(v) for v in row])
        done += 1
        if done % PROGRESS_EVERY == 0:
            mine.update(done=done)
    workbook.save(spool)
    return done


def _write_csv(spool: Any, title: str, header: list[str], rows: Any, mine: Any) -> int:
    """Like ``_write_xlsx``, as UTF-8 CSV with a BOM (what ``stream_csv`` sends)."""
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    writer = csv.writer(text)
    text.write("\ufeff")
    writer.writerow([escape_cell(h) for h in header])
    done = 0
    for row in rows:
        writer.writerow([escape_cell("" if v is None else v) for v in row])
        done += 1
        if done % PROGRESS_EVERY == 0:
            mine.update(done=done)
    text.flush()
    text.detach()  # leave ``spool`` open for the caller
    return done


def _job_store(job: ExportJob, spool: Any) -> str:
    """Write the file under its deterministic name, replacing what is there (a retried
    build never leaves a second file with a random suffix)."""
    storage = job.file.storage
    name = export_upload_to(job, "")
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, File(spool, name=name))
    if saved != name:
        storage.delete(saved)
        raise RuntimeError(f"Could not write {name}")
    return name


def export_jobs_sweep(*, now: datetime.datetime | None = None) -> list[int]:
    """Housekeeping; returns the ids of jobs to enqueue again. Jobs (and their files)
    requested more than ``DASHBOARD_EXPORT_KEEP_HOURS`` ago are deleted; running ones
    whose build started longer ago than the task's hard time limit lost their worker and
    go back to waiting; waiting ones older than ``EXPORT_PENDING_STALE`` lost their
    message."""
    now = now or timezone.now()
    old = ExportJob.objects.filter(
        created_at__lt=now - datetime.timedelta(hours=settings.DASHBOARD_EXPORT_KEEP_HOURS)
    )
    for pk, name in old.values_list("pk", "file"):
        if name:
            try:
                ExportJob._meta.get_field("file").storage.delete(name)  # type: ignore[attr-defined]
            except OSError:
                logger.warning("Dashboard export %s: could not delete %s", pk, name)
                continue
        ExportJob.objects.filter(pk=pk).delete()
    ExportJob.objects.filter(
        status=ExportStatus.RUNNING,
        started_at__lt=now - datetime.timedelta(seconds=EXPORT_TIME_LIMIT),
    ).update(status=ExportStatus.PENDING, done=0)
    return list(
        ExportJob.objects.filter(
            status=ExportStatus.PENDING, created_at__lt=now - EXPORT_PENDING_STALE
        ).values_list("pk", flat=True)
    )
