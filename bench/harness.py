"""Benchmark harness: a scenario against its same-run baseline, interleaved.

Machines here are shared and noisy, so an absolute time means little (QUALITY.md,
"Measuring speed"). Each scenario's subject and baseline are timed alternately,
A B A B …, for at least ``MIN_PAIRS`` pairs; the result is the median of the per-pair
ratios subject/baseline, in CPU time (``time.process_time``) and in wall time
(``time.perf_counter``), plus the scenario's deterministic counters (queries, writes,
bytes…). A time never fails a run: targets are reported, not enforced.

A scenario module in ``bench/scenarios/`` defines ``SCENARIO`` (or a list ``SCENARIOS``)::

    SCENARIO = Scenario(
        name="home_page",
        description="GET / through the full middleware vs a bare view",
        setup=setup,            # () -> state, run once
        subject=subject,        # (state) -> None, timed
        baseline=baseline,      # (state) -> None, timed
        counters=counters,      # (state) -> dict, run once after timing (optional)
        target_ratio=25.0,      # reported against the median CPU ratio (optional)
        pairs=7,
    )

Fast callables (well under ``MIN_SAMPLE_SECONDS``) are repeated inside each sample, so a
sample is long enough to time; every figure is reported per call.
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MIN_PAIRS = 5
# A sample should take at least this long; faster calls are looped inside the sample.
MIN_SAMPLE_SECONDS = 0.05
MAX_LOOPS = 10_000


@dataclass
class Scenario:
    name: str
    description: str
    setup: Callable[[], Any]
    subject: Callable[[Any], None]
    baseline: Callable[[Any], None]
    counters: Callable[[Any], dict] | None = None
    target_ratio: float | None = None
    pairs: int = 7


@dataclass
class Sample:
    cpu: float  # seconds per call
    wall: float  # seconds per call


@dataclass
class Result:
    name: str
    description: str
    pairs: int = 0
    loops: dict[str, int] = field(default_factory=dict)
    subject: list[Sample] = field(default_factory=list)
    baseline: list[Sample] = field(default_factory=list)
    counters: dict[str, Any] = field(default_factory=dict)
    target_ratio: float | None = None
    setup_seconds: float = 0.0
    error: str | None = None

    # --- summaries -----------------------------------------------------------------------
    def _ratios(self, attr: str) -> list[float]:
        return [
            getattr(s, attr) / getattr(b, attr)
            for s, b in zip(self.subject, self.baseline, strict=True)
            if getattr(b, attr) > 0
        ]

    @property
    def ratio_cpu(self) -> float | None:
        ratios = self._ratios("cpu")
        return statistics.median(ratios) if ratios else None

    @property
    def ratio_wall(self) -> float | None:
        ratios = self._ratios("wall")
        return statistics.median(ratios) if ratios else None

    @property
    def meets_target(self) -> bool | None:
        if self.target_ratio is None or self.ratio_cpu is None:
            return None
        return self.ratio_cpu <= self.target_ratio

    def as_dict(self) -> dict[str, Any]:
        def series(samples: list[Sample], attr: str) -> dict[str, Any]:
            values_ms = [getattr(s, attr) * 1000 for s in samples]
            if not values_ms:
                return {}
            return {
                "median_ms": round(statistics.median(values_ms), 4),
                "min_ms": round(min(values_ms), 4),
                "max_ms": round(max(values_ms), 4),
                "samples_ms": [round(v, 4) for v in values_ms],
            }

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "name": self.name,
            "description": self.description,
            "pairs": self.pairs,
            "loops_per_sample": self.loops,
            "setup_seconds": round(self.setup_seconds, 3),
            "subject_cpu": series(self.subject, "cpu"),
            "baseline_cpu": series(self.baseline, "cpu"),
            "subject_wall": series(self.subject, "wall"),
            "baseline_wall": series(self.baseline, "wall"),
            "ratio_cpu": rounded(self.ratio_cpu),
            "ratio_cpu_pairs": [round(r, 3) for r in self._ratios("cpu")],
            "ratio_wall": rounded(self.ratio_wall),
            "target_ratio": self.target_ratio,
            "meets_target": self.meets_target,
            "counters": self.counters,
            "error": self.error,
        }


# --- Timing ----------------------------------------------------------------------------


def _time(fn: Callable[[Any], None], state: Any, loops: int) -> Sample:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(loops):
        fn(state)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    return Sample(cpu=(cpu1 - cpu0) / loops, wall=(wall1 - wall0) / loops)


def _loops_for(seconds_per_call: float) -> int:
    if seconds_per_call <= 0:
        return MAX_LOOPS
    return max(1, min(MAX_LOOPS, math.ceil(MIN_SAMPLE_SECONDS / seconds_per_call)))


def _calibrate(fn: Callable[[Any], None], state: Any) -> int:
    """Warm ``fn`` up and return how many calls make one sample. A slow call (an import of
    10,000 rows) is warmed up once; a fast one twice, the second call calibrating."""
    first = _time(fn, state, 1)
    if first.wall >= MIN_SAMPLE_SECONDS:
        return 1
    return _loops_for(_time(fn, state, 1).wall)


def measure(scenario: Scenario, *, pairs: int | None = None) -> Result:
    """Set up once, warm up, calibrate, then time subject and baseline interleaved."""
    result = Result(
        name=scenario.name,
        description=scenario.description,
        target_ratio=scenario.target_ratio,
    )
    t0 = time.perf_counter()
    state = scenario.setup()
    result.setup_seconds = time.perf_counter() - t0

    # Warm-up (imports, caches, template loading), which also calibrates the loop counts.
    loops_subject = _calibrate(scenario.subject, state)
    loops_baseline = _calibrate(scenario.baseline, state)
    result.loops = {"subject": loops_subject, "baseline": loops_baseline}

    result.pairs = max(MIN_PAIRS, pairs if pairs is not None else scenario.pairs)
    for _ in range(result.pairs):
        result.subject.append(_time(scenario.subject, state, loops_subject))
        result.baseline.append(_time(scenario.baseline, state, loops_baseline))

    if scenario.counters is not None:
        result.counters = dict(scenario.counters(state))
    return result


# --- Helpers for scenarios' counters --------------------------------------------------


def count_queries(fn: Callable[..., Any], *args: Any, using: str = "default", **kwargs: Any) -> int:
    """Number of SQL queries ``fn(*args, **kwargs)`` runs."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connections[using]) as ctx:
        fn(*args, **kwargs)
    return len(ctx.captured_queries)


def count_writes(fn: Callable[..., Any], *args: Any, using: str = "default", **kwargs: Any) -> int:
    """Number of INSERT/UPDATE/DELETE statements ``fn(*args, **kwargs)`` runs."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connections[using]) as ctx:
        fn(*args, **kwargs)
    verbs = ("INSERT", "UPDATE", "DELETE")
    return sum(1 for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith(verbs))


def peak_memory_bytes(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """Peak Python memory allocated while ``fn(*args, **kwargs)`` runs (tracemalloc)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        fn(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(0, peak - base)


# --- Reporting ------------------------------------------------------------------------


def _fmt_ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _fmt_counters(counters: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in counters.items())


def table(results: list[Result]) -> str:
    """A short plain-text table: one line per scenario."""
    headers = [
        "scenario",
        "subject ms",
        "baseline ms",
        "ratio",
        "target",
        "wall ratio",
        "counters",
    ]
    rows: list[list[str]] = []
    for r in results:
        if r.error:
            rows.append([r.name, "-", "-", "-", "-", "-", f"ERROR: {r.error.splitlines()[-1]}"])
            continue
        subject_ms = statistics.median(s.cpu for s in r.subject) * 1000 if r.subject else None
        baseline_ms = statistics.median(s.cpu for s in r.baseline) * 1000 if r.baseline else None
        ratio = f"{r.ratio_cpu:.2f}x" if r.ratio_cpu is not None else "-"
        if r.target_ratio is None:
            target = "-"
        else:
            target = f"<={r.target_ratio:g}x " + ("ok" if r.meets_target else "OVER")
        wall = f"{r.ratio_wall:.2f}x" if r.ratio_wall is not None else "-"
        rows.append(
            [
                r.name,
                _fmt_ms(subject_ms),
                _fmt_ms(baseline_ms),
                ratio,
                target,
                wall,
                _fmt_counters(r.counters),
            ]
        )
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h)
        for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    lines.append("(median CPU ms per call; ratio = median of per-pair CPU ratios subject/baseline)")
    return "\n".join(lines)
