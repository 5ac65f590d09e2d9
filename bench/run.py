"""Run the benchmarks: ``make bench`` or ``.venv/bin/python bench/run.py [NAME ...]``.

Each scenario in ``bench/scenarios/`` is measured against its same-run baseline,
interleaved (see ``bench/harness.py``). Results go to ``bench/results.json`` and a short
table on stdout. The run uses its own fresh database, never the developer's: a temporary
SQLite file, or (when ``DATABASE_URL`` is set) a new ``<name>_bench`` database on that
server, migrated at start and dropped at the end.

Exit status: 0 unless a scenario crashes. A slow result never fails the run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for entry in (str(ROOT), str(ROOT / "site")):
    if entry not in sys.path:
        sys.path.insert(0, entry)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinglian.settings.test")
# WhiteNoise warns once when collectstatic has not run; the bench never serves static files.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="scenario or module names to run (default: all)")
    parser.add_argument("--pairs", type=int, default=None, help="override each scenario's pairs")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "results.json", help="JSON results file"
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return parser.parse_args(argv)


def discover() -> tuple[list[tuple[str, object]], list[tuple[str, str]]]:
    """(module name, Scenario) for every scenario, and (module name, traceback) for every
    scenario module that failed to import."""
    import bench.scenarios as package

    found: list[tuple[str, object]] = []
    broken: list[tuple[str, str]] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"bench.scenarios.{info.name}")
        except Exception:
            broken.append((info.name, traceback.format_exc()))
            continue
        scenarios = list(getattr(module, "SCENARIOS", []))
        if hasattr(module, "SCENARIO"):
            scenarios.insert(0, module.SCENARIO)
        found.extend((info.name, s) for s in scenarios)
    return found, broken


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


class FreshDatabase:
    """A database of the bench's own, migrated now and dropped on exit."""

    def __init__(self) -> None:
        self.tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self.old_name: str | None = None

    def __enter__(self) -> FreshDatabase:
        from django.conf import settings
        from django.db import connection

        db = settings.DATABASES["default"]
        db.setdefault("TEST", {})
        if connection.vendor == "sqlite":
            self.tmpdir = tempfile.TemporaryDirectory(prefix="qinglian-bench-")
            db["TEST"]["NAME"] = str(Path(self.tmpdir.name) / "bench.sqlite3")
        else:
            db["TEST"]["NAME"] = f"{db['NAME']}_bench"
        t0 = time.perf_counter()
        print(f"Creating and migrating a fresh {connection.vendor} database…", file=sys.stderr)
        self.old_name = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
        print(f"  ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        return self

    def __exit__(self, *exc: object) -> None:
        from django.db import connection

        if self.old_name is not None:
            connection.creation.destroy_test_db(self.old_name, verbosity=0, keepdb=False)
        if self.tmpdir is not None:
            self.tmpdir.cleanup()


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)

    import django

    django.setup()
    from django.conf import settings

    from bench.harness import Result, measure, table

    if "*" not in settings.ALLOWED_HOSTS and "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    found, broken = discover()
    if args.list:
        for module_name, scenario in found:
            print(f"{scenario.name:28} ({module_name}) {scenario.description}")
        for module_name, _tb in broken:
            print(f"{module_name:28} (import failed)")
        return 1 if broken else 0

    wanted = set(args.names)
    selected = [(m, s) for m, s in found if not wanted or s.name in wanted or m in wanted]
    broken = [(m, tb) for m, tb in broken if not wanted or m in wanted]
    unknown = (
        wanted - {s.name for _m, s in found} - {m for m, _s in found} - {m for m, _tb in broken}
    )
    if unknown:
        print(f"Unknown scenario(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2

    results: list[Result] = [
        Result(name=m, description="(module failed to import)", error=tb) for m, tb in broken
    ]
    started = datetime.now(UTC)
    from django.db import connection

    with FreshDatabase():
        for module_name, scenario in selected:
            print(f"Running {scenario.name} ({module_name})…", file=sys.stderr)
            t0 = time.perf_counter()
            try:
                result = measure(scenario, pairs=args.pairs)
            except Exception:
                result = Result(
                    name=scenario.name,
                    description=scenario.description,
                    target_ratio=scenario.target_ratio,
                    error=traceback.format_exc(),
                )
                print(result.error, file=sys.stderr)
            results.append(result)
            print(f"  done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        vendor = connection.vendor

    import wagtail

    report = {
        "generated_at": started.isoformat(timespec="seconds"),
        "duration_seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
        "environment": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "wagtail": wagtail.__version__,
            "database": vendor,
            "settings": os.environ["DJANGO_SETTINGS_MODULE"],
            "machine": platform.machine(),
            "cpu_count": os.cpu_count(),
            "git_commit": _git_commit(),
        },
        "method": (
            "subject and baseline timed alternately (A B A B ...); per-call CPU time "
            "(time.process_time) and wall time (time.perf_counter); ratio = median of the "
            "per-pair ratios subject/baseline"
        ),
        "scenarios": [r.as_dict() for r in results],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )

    print(table(results))
    print(f"Results written to {args.output}")
    crashed = [r.name for r in results if r.error]
    if crashed:
        print(f"Crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
