"""The dashboard's charts: small inline SVGs drawn on the server (no script, no font
download), each with a table alternative holding the same numbers.

Every function here is pure: data in, a :class:`Chart` out. Labels (unit names, event
titles) are user data and are escaped. A chart with nothing to draw has ``svg == ""``;
the template then shows "No data for this year" instead of an empty frame.

The SVGs have a fixed ``viewBox`` and no width/height attributes, so CSS (``width:100%``)
scales them down to a 360 px phone; the text is sized for that (a 480-unit wide chart
drawn 328 px wide keeps 13-unit text at about 11 px; CSS caps them at 30rem).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Geometry (SVG user units).
WIDTH = 400
PAD = 8
INK = "#1f2328"  # text: 16:1 on white
MUTED = "#57606a"  # axis labels, grid text: 6.4:1
GRID = "#d0d7de"
BAR = "#a61b1b"  # the brand red, 7:1 on white
BAR_ALT = "#1f4e8c"  # histograms: dark blue, 8:1 on white

# Horizontal bars (completion by sub-unit): a label line above each bar.
HBAR_LABEL = 19  # height of the label line
HBAR_BAR = 16  # bar thickness
HBAR_GAP = 10  # space below a bar
HBAR_VALUE_ROOM = 56  # room right of the longest bar for "100%"

# Columns (histograms, attendance per event).
COL_TOP = 26  # room above the tallest column for its value
COL_HEIGHT = 170  # plot height
COL_AXIS = 44  # room below the plot for two lines of labels
COL_LEFT = 36  # room left of the plot for the scale


@dataclass(frozen=True)
class Chart:
    """One chart and its table alternative: ``header`` names the two columns of
    ``rows`` (label, value as shown)."""

    slug: str
    title: str
    desc: str
    svg: SafeString
    header: tuple[str, str]
    rows: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.svg


def _svg(*, slug: str, title: str, desc: str, height: int, body: str) -> SafeString:
    title_id, desc_id = f"chart-{slug}-title", f"chart-{slug}-desc"
    return format_html(
        '<svg class="chart__svg" role="img" aria-labelledby="{} {}" viewBox="0 0 {} {}" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet" '
        'style="width:100%;height:auto">'
        '<title id="{}">{}</title><desc id="{}">{}</desc>{}</svg>',
        title_id,
        desc_id,
        WIDTH,
        height,
        title_id,
        title,
        desc_id,
        desc,
        mark_safe(body),  # built below with format_html only
    )


def _num(value: float) -> str:
    """An SVG coordinate: at most one decimal place, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text_width(text: str, size: float) -> float:
    """Roughly how wide ``text`` is drawn at font ``size``: a CJK (wide) character is a
    full em, anything else a bit over half of one."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in text)


def _short(label: str, width: float, size: float) -> str:
    """``label`` cut (with "…") to fit ``width`` at font ``size``; the table alternative
    and the bar's tooltip carry the whole label."""
    if _text_width(label, size) <= width:
        return label
    while label and _text_width(label + "…", size) > width:
        label = label[:-1]
    return label + "…"


def _percent(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def _join(parts: Iterable[Any]) -> str:
    return "".join(str(p) for p in parts)


# --- Horizontal bars: a rate (0–100 %) per label ---------------------------------------


def hbar_chart(
    *,
    slug: str,
    title: str,
    desc: str,
    header: tuple[str, str],
    items: Sequence[tuple[str, int | None]],
) -> Chart:
    """One bar per ``(label, rate)``, on a fixed 0–100 % scale, the rate printed at the
    bar's end ("—" when there is nothing to count). Empty ``items`` → an empty chart."""
    rows = [(str(label), _percent(rate)) for label, rate in items]
    if not items:
        return Chart(slug=slug, title=title, desc=desc, svg=SafeString(""), header=header)
    plot = WIDTH - 2 * PAD - HBAR_VALUE_ROOM
    step = HBAR_LABEL + HBAR_BAR + HBAR_GAP
    height = PAD + step * len(items) + 18
    parts: list[Any] = []
    # 0 / 50 / 100 % guide lines behind the bars.
    for tick in (0, 50, 100):
        x = PAD + plot * tick / 100
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" font-size="12" fill="{}" text-anchor="middle">{}%</text>',
                _num(x),
                PAD,
                _num(x),
                height - 16,
                GRID,
                _num(x),
                height - 3,
                MUTED,
                tick,
            )
        )
    for i, (label, rate) in enumerate(items):
        top = PAD + i * step
        value = max(0, min(100, rate or 0))
        width = plot * value / 100
        bar_y = top + HBAR_LABEL
        parts.append(
            format_html(
                '<g class="chart__item"><title>{}: {}</title>'
                '<text x="{}" y="{}" font-size="13" fill="{}">{}</text>'
                '<rect class="chart__bar" x="{}" y="{}" width="{}" height="{}" fill="{}" '
                'data-value="{}"/>'
                '<text class="chart__value" x="{}" y="{}" font-size="13" fill="{}">{}</text></g>',
                label,
                _percent(rate),
                PAD,
                top + 14,
                INK,
                _short(str(label), WIDTH - 2 * PAD, 13),
                PAD,
                bar_y,
                _num(width),
                HBAR_BAR,
                BAR,
                "" if rate is None else rate,
                _num(PAD + width + 6),
                bar_y + 13,
                INK,
                _percent(rate),
            )
        )
    svg = _svg(slug=slug, title=title, desc=desc, height=height, body=_join(parts))
    return Chart(slug=slug, title=title, desc=desc, svg=svg, header=header, rows=rows)


# --- Columns: counts (histograms) or rates (per event) --------------------------------


def _nice_max(value: int) -> int:
    """The scale's top: the smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= value:
                return factor * magnitude
        magnitude *= 10


def column_chart(
    *,
    slug: str,
    title: str,
    desc: str,
    header: tuple[str, str],
    items: Sequence[tuple[str, int | None]],
    percent: bool = False,
    sublabels: Sequence[str] | None = None,
) -> Chart:
    """One column per ``(label, value)``, left to right. ``percent``: a fixed 0–100 %
    scale (rates; ``None`` draws no column and prints "—"); otherwise counts on a scale
    from 0 to a round number at or above the largest. ``sublabels``: a second label line
    under each column (an event's date). Empty ``items``, or counts that are all 0 →
    an empty chart."""
    rows = [
        (
            f"{label} ({sublabels[i]})" if sublabels else str(label),
            _percent(value) if percent else str(value or 0),
        )
        for i, (label, value) in enumerate(items)
    ]
    if not items or (not percent and not any(v for _label, v in items)):
        return Chart(slug=slug, title=title, desc=desc, svg=SafeString(""), header=header)
    top = 100 if percent else _nice_max(max(v or 0 for _label, v in items))
    plot_w = WIDTH - COL_LEFT - PAD
    slot = plot_w / len(items)
    bar_w = max(2.0, min(48.0, slot * 0.7))
    base = COL_TOP + COL_HEIGHT
    height = base + COL_AXIS
    parts: list[Any] = []
    ticks = [0, top // 2, top] if top % 2 == 0 else [0, top]
    for tick in ticks:
        y = base - COL_HEIGHT * tick / top
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" font-size="12" fill="{}" text-anchor="end">{}</text>',
                COL_LEFT,
                _num(y),
                WIDTH - PAD,
                _num(y),
                GRID,
                COL_LEFT - 4,
                _num(y + 4),
                MUTED,
                f"{tick}%" if percent else tick,
            )
        )
    for i, (label, value) in enumerate(items):
        center = COL_LEFT + slot * i + slot / 2
        shown = max(0, min(top, value or 0))
        h = COL_HEIGHT * shown / top
        text = _percent(value) if percent else str(value or 0)
        sub = sublabels[i] if sublabels else ""
        parts.append(
            format_html(
                '<g class="chart__item"><title>{}{}: {}</title>'
                '<rect class="chart__bar" x="{}" y="{}" width="{}" height="{}" fill="{}" '
                'data-value="{}"/>'
                '<text class="chart__value" x="{}" y="{}" font-size="12" fill="{}" '
                'text-anchor="middle">{}</text>'
                '<text x="{}" y="{}" font-size="12" fill="{}" text-anchor="middle">{}</text>'
                '<text x="{}" y="{}" font-size="11" fill="{}" text-anchor="middle">{}</text></g>',
                label,
                f" ({sub})" if sub else "",
                text,
                _num(center - bar_w / 2),
                _num(base - h),
                _num(bar_w),
                _num(h),
                BAR if percent else BAR_ALT,
                "" if value is None else value,
                _num(center),
                _num(base - h - 5),
                INK,
                text,
                _num(center),
                base + 16,
                INK,
                _short(str(label), slot - 2, 12),
                _num(center),
                base + 32,
                MUTED,
                sub,
            )
        )
    svg = _svg(slug=slug, title=title, desc=desc, height=height, body=_join(parts))
    return Chart(slug=slug, title=title, desc=desc, svg=svg, header=header, rows=rows)


# --- The dashboard's four charts -------------------------------------------------------


def completion_chart(rows: Iterable[Any]) -> Chart:
    """Required-course completion rate by sub-unit (``row.label``/``row.name`` and
    ``row.figures.completion_rate`` or ``row.completion_rate``); rows with no required
    course to count are left out."""
    items: list[tuple[str, int | None]] = []
    for row in rows:
        figures = getattr(row, "figures", row)
        if not getattr(figures, "required", 0):
            continue
        items.append((_row_label(row), getattr(figures, "completion_rate", None)))
    return hbar_chart(
        slug="completion",
        title=_("Required-course completion by sub-unit"),
        desc=_("Share of required courses completed in each sub-unit, 0 to 100 per cent."),
        header=(_("Unit"), _("Completion rate")),
        items=items,
    )


def _row_label(row: Any) -> str:
    for name in ("label", "name"):
        value = getattr(row, name, None)
        if value:
            return str(value)
    unit = getattr(row, "unit", None)
    return str(getattr(unit, "name", "") or "")


def _buckets(buckets: Iterable[Any]) -> list[tuple[str, int | None]]:
    return [(str(b.label), int(b.count)) for b in buckets]


def hours_chart(buckets: Iterable[Any]) -> Chart:
    """How many people fall in each band of study hours this year."""
    return column_chart(
        slug="hours",
        title=_("Study hours this year"),
        desc=_("Number of people in each band of study hours recorded this year."),
        header=(_("Hours"), _("People")),
        items=_buckets(buckets),
    )


def quiz_chart(buckets: Iterable[Any]) -> Chart:
    """How many (person, test) best scores fall in each score band."""
    return column_chart(
        slug="quiz",
        title=_("Best test scores"),
        desc=_("Number of best test scores in each band, one per person and test."),
        header=(_("Score"), _("Tests")),
        items=_buckets(buckets),
    )


def _date(value: datetime.date | datetime.datetime) -> str:
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.month}-{value.day}"


def attendance_chart(series: Iterable[Any]) -> Chart:
    """Attendance rate of each education-month event held so far, in date order
    (``EventPoint(title, starts_at, expected, attended, rate)``)."""
    points = sorted(series, key=lambda p: p.starts_at)
    return column_chart(
        slug="attendance",
        title=_("Education-month attendance by event"),
        desc=_("Attendance rate of each education-month event held so far, in date order."),
        header=(_("Event"), _("Attendance rate")),
        items=[(str(p.title), p.rate) for p in points],
        sublabels=[_date(p.starts_at) for p in points],
        percent=True,
    )


def dashboard_charts(dashboard: Any, rows: Iterable[Any] | None = None) -> list[Chart]:
    """The four charts of a ``Dashboard`` (see ``selectors.metrics``); ``rows``: the
    table's rows with the labels the page shows (U's own row named as such), else the
    dashboard's own."""
    return [
        completion_chart(dashboard.rows if rows is None else rows),
        hours_chart(dashboard.hours_buckets),
        attendance_chart(dashboard.attendance_series),
        quiz_chart(dashboard.quiz_buckets),
    ]
