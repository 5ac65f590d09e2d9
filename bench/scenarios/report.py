"""The unit dashboard and its exports over 100,000 enrolments (QUALITY.md "report" row;
issue #9).

World: ``dashboard.demo.demo_bulk_build`` under a root unit of its own —
``BENCH_REPORT_PEOPLE`` (10,000) people with ``BENCH_REPORT_ENROLMENTS`` (100,000)
required enrolments of this year and a year of history — and a unit admin of that root.
Built once for the three scenarios.

- ``report_dashboard``: ``GET /dashboard/?unit=<root>&year=<Y>`` (every figure of every
  sub-unit, charts, through the full middleware) against ``Enrolment.objects.count()``.
  No target: the ratio says how many "count()s" the whole page costs. Counter: queries.
- ``report_export_csv``: ``GET /dashboard/export/enrolments.csv?...&status=all``, the
  streamed body consumed to the end, against a raw export of the same rows: ``csv.writer``
  over ``Enrolment.objects.filter(<same rows>).values_list(<same columns>).iterator()``
  (same order) into a sink that discards. Target ≤ 1.3×. Counters: rows of each (must be
  equal), queries, and the tracemalloc peak of one run of each at 100,000 rows and at
  about 10,000 rows (one district's open courses): flat means the peak does not grow with
  the rows.
- ``report_export_xlsx``: the export job's build (``export_job_build``: the same rows into
  openpyxl's write-only workbook, progress updates, stored on the private storage)
  against the raw ``values_list`` rows written with openpyxl's write-only workbook to a
  temporary file. Target ≤ 1.3×. Counters: rows, peak memory of each.
  ``BENCH_REPORT_XLSX=0`` leaves it out (it takes a few minutes).
"""

from __future__ import annotations

import csv
import datetime
import os
import tempfile
from typing import Any

from bench.harness import Scenario, count_queries, peak_memory_bytes

PEOPLE = int(os.environ.get("BENCH_REPORT_PEOPLE", "10000"))
ENROLMENTS = int(os.environ.get("BENCH_REPORT_ENROLMENTS", "100000"))
WITH_XLSX = os.environ.get("BENCH_REPORT_XLSX", "1") != "0"
DOMAIN = "bench-report.example.gov.cn"
RAW_COLUMNS = (
    "user__unit__name",
    "user__full_name",
    "user__employee_number",
    "course__title",
    "due_date",
    "completed_at",
)
ORDER = ("user__unit__path", "user__full_name", "due_date", "pk")
_WORLD: dict[str, Any] = {}


def _world() -> dict[str, Any]:
    if _WORLD:
        return _WORLD
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from dashboard.demo import demo_bulk_build
    from people.factories import UserFactory, rank, unit_create
    from people.models import OrgUnit, Role
    from people.services import role_grant

    from .home_page import _use_bench_urlconf

    _use_bench_urlconf()
    year = timezone.localdate().year
    root = unit_create(code="BENCH-RPT", name="基准市")
    counts = demo_bulk_build(
        people=PEOPLE, enrolments=ENROLMENTS, year=year, domain=DOMAIN, under=root
    )
    admin: Any = UserFactory(
        email="bench.report.admin@example.gov.cn",
        full_name="基准管理员",
        unit=root,
        rank_level=rank("ZCJ"),
    )
    role_grant(user=admin, role=Role.UNIT_ADMIN, unit=root)
    client = Client()
    client.force_login(admin)
    district = OrgUnit.objects.filter(path__startswith=root.path, depth=root.depth + 1)
    small = district.order_by("path").first()
    assert small is not None
    index = reverse("dashboard:index")
    export = reverse("dashboard:export", args=["enrolments", "csv"])
    _WORLD.update(
        year=year,
        root=root,
        small=small,
        admin=admin,
        client=client,
        counts=counts,
        dashboard_url=f"{index}?unit={root.pk}&year={year}",
        csv_url=f"{export}?unit={root.pk}&year={year}&status=all",
        csv_small_url=f"{export}?unit={small.pk}&year={year}&status=open",
    )
    return _WORLD


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"GET {url} answered {response.status_code}")
    return response


# --- The dashboard ----------------------------------------------------------------------


def dashboard_setup() -> dict[str, Any]:
    world = _world()
    _get(world["client"], world["dashboard_url"])
    return world


def dashboard_subject(state: dict[str, Any]) -> None:
    _get(state["client"], state["dashboard_url"])


def count_baseline(state: dict[str, Any]) -> None:
    from courses.models import Enrolment

    Enrolment.objects.count()


def dashboard_counters(state: dict[str, Any]) -> dict[str, Any]:
    from courses.models import Enrolment

    return {
        "enrolments": Enrolment.objects.count(),
        "people": state["counts"]["people"] or PEOPLE,
        "queries": count_queries(dashboard_subject, state),
        "peak_mem_mb": round(peak_memory_bytes(dashboard_subject, state) / 2**20, 1),
    }


# --- CSV ------------------------------------------------------------------------------


class _Discard:
    """A file that forgets what is written to it."""

    def write(self, value: str) -> int:
        return len(value)


def _raw_rows(*, unit: Any, year: int, status: str) -> Any:
    """The export's rows read the plain way: required enrolments of ``year`` of the
    active people of ``unit``'s subtree, the same columns and order."""
    from django.db.models import Q
    from django.utils import timezone

    from courses.models import Enrolment

    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=tz)
    qs = Enrolment.objects.filter(
        Q(due_date__gte=datetime.date(year, 1, 1), due_date__lt=datetime.date(year + 1, 1, 1))
        | Q(due_date__isnull=True, enrolled_at__gte=start, enrolled_at__lt=end),
        required=True,
        user__is_active=True,
        user__unit__path__startswith=unit.path,
    )
    if status == "open":
        qs = qs.filter(completed_at__isnull=True)
    return qs.order_by(*ORDER).values_list(*RAW_COLUMNS).iterator(chunk_size=2000)


def _raw_csv(*, unit: Any, year: int, status: str) -> int:
    writer = csv.writer(_Discard())
    writer.writerow(["\ufeff", *RAW_COLUMNS])
    n = 0
    for row in _raw_rows(unit=unit, year=year, status=status):
        writer.writerow(row)
        n += 1
    return n


def _csv_download(client: Any, url: str) -> int:
    """GET the export and read the streamed body to the end; returns its data rows."""
    response = _get(client, url)
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    return lines - 1  # the header


def csv_setup() -> dict[str, Any]:
    world = _world()
    _csv_download(world["client"], world["csv_small_url"])
    return world


def csv_subject(state: dict[str, Any]) -> None:
    _csv_download(state["client"], state["csv_url"])


def csv_baseline(state: dict[str, Any]) -> None:
    _raw_csv(unit=state["root"], year=state["year"], status="all")


def _mb(value: int) -> float:
    return round(value / 2**20, 2)


def _peak(fn: Any, *args: Any, **kwargs: Any) -> tuple[int, Any]:
    """(tracemalloc peak, result) of one call: one run gives both."""
    out: list[Any] = []
    peak = peak_memory_bytes(lambda: out.append(fn(*args, **kwargs)))
    return peak, out[0]


def csv_counters(state: dict[str, Any]) -> dict[str, Any]:
    client, year = state["client"], state["year"]
    peak, rows = _peak(_csv_download, client, state["csv_url"])
    peak_raw, raw_rows = _peak(_raw_csv, unit=state["root"], year=year, status="all")
    peak_small, small_rows = _peak(_csv_download, client, state["csv_small_url"])
    peak_raw_small, raw_small = _peak(_raw_csv, unit=state["small"], year=year, status="open")
    return {
        "rows": rows,
        "raw_rows": raw_rows,
        "rows_equal": rows == raw_rows and small_rows == raw_small,
        "queries": count_queries(_csv_download, client, state["csv_small_url"]),
        "small_rows": small_rows,
        "peak_mem_mb": _mb(peak),
        "peak_mem_small_mb": _mb(peak_small),
        "raw_peak_mem_mb": _mb(peak_raw),
        "raw_peak_mem_small_mb": _mb(peak_raw_small),
        # Flat: 10× the rows, about the same peak.
        "peak_growth_x": round(peak / peak_small, 2) if peak_small else None,
    }


# --- XLSX -----------------------------------------------------------------------------


def _job_build(state: dict[str, Any]) -> int:
    """One export job for the whole root, built and its file removed; returns its rows."""
    from django.utils import translation

    from dashboard.filters import DashboardFilters
    from dashboard.models import ExportJob, ExportStatus
    from dashboard.services.exports import LANGUAGE_KEY, export_job_build

    filters = DashboardFilters(year=state["year"], unit=state["root"], status="all")
    job = ExportJob.objects.create(
        requested_by=state["admin"],
        kind="enrolments",
        format="xlsx",
        params={**filters.as_params(), LANGUAGE_KEY: translation.get_language() or ""},
        fingerprint=f"bench-{state.setdefault('jobs', 0)}",
    )
    state["jobs"] += 1
    built = export_job_build(job_id=job.pk)
    if built is None or built.status != ExportStatus.DONE:
        raise AssertionError(
            f"export job {job.pk}: {built and built.status} {built and built.error}"
        )
    if built.file:
        built.file.storage.delete(built.file.name)
    ExportJob.objects.filter(pk=job.pk).delete()
    return built.done


def _raw_xlsx(state: dict[str, Any]) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="enrolments")
    sheet.append(list(RAW_COLUMNS))
    n = 0
    for unit, name, number, course, due, completed in _raw_rows(
        unit=state["root"], year=state["year"], status="all"
    ):
        # openpyxl refuses time-zone-aware datetimes: the raw export writes naive UTC.
        sheet.append(
            [unit, name, number, course, due, completed.replace(tzinfo=None) if completed else None]
        )
        n += 1
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
    return n


def xlsx_setup() -> dict[str, Any]:
    return _world()


def xlsx_subject(state: dict[str, Any]) -> None:
    _job_build(state)


def xlsx_baseline(state: dict[str, Any]) -> None:
    _raw_xlsx(state)


def xlsx_counters(state: dict[str, Any]) -> dict[str, Any]:
    peak, rows = _peak(_job_build, state)
    peak_raw, raw_rows = _peak(_raw_xlsx, state)
    return {
        "rows": rows,
        "rows_equal": rows == raw_rows,
        "peak_mem_mb": _mb(peak),
        "raw_peak_mem_mb": _mb(peak_raw),
    }


SCENARIOS = [
    Scenario(
        name="report_dashboard",
        description=f"GET /dashboard/ for a unit of {PEOPLE:,} people and {ENROLMENTS:,} "
        "required enrolments (every figure per sub-unit, charts) vs Enrolment.objects.count()",
        setup=dashboard_setup,
        subject=dashboard_subject,
        baseline=count_baseline,
        counters=dashboard_counters,
        pairs=5,
    ),
    Scenario(
        name="report_export_csv",
        description=f"streamed CSV export of {ENROLMENTS:,} required enrolments (GET, body "
        "consumed) vs csv.writer over a raw values_list of the same rows; peak memory at "
        "100k and ~10k rows",
        setup=csv_setup,
        subject=csv_subject,
        baseline=csv_baseline,
        counters=csv_counters,
        target_ratio=1.3,
        pairs=5,
    ),
]
if WITH_XLSX:
    SCENARIOS.append(
        Scenario(
            name="report_export_xlsx",
            description=f"export job building the XLSX of {ENROLMENTS:,} required enrolments "
            "vs the raw values_list rows into an openpyxl write-only workbook",
            setup=xlsx_setup,
            subject=xlsx_subject,
            baseline=xlsx_baseline,
            counters=xlsx_counters,
            target_ratio=1.3,
            pairs=5,
        )
    )
