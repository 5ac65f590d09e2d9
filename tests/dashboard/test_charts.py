"""The dashboard's SVG charts: sizes proportional to the values, a fixed 0–100 % scale
for rates, user data escaped, nothing drawn for no data, and a table alternative."""

from __future__ import annotations

import datetime
import re
from xml.etree import ElementTree

from dashboard.charts import (
    attendance_chart,
    column_chart,
    completion_chart,
    dashboard_charts,
    hbar_chart,
    hours_chart,
    quiz_chart,
)
from dashboard.selectors.metrics import Bucket, Dashboard, EventPoint, Figures

SVG = "{http://www.w3.org/2000/svg}"


def bars(svg: str) -> list[ElementTree.Element]:
    """The chart's bars, parsed (the SVG must be well-formed XML)."""
    root = ElementTree.fromstring(svg)
    return [e for e in root.iter(f"{SVG}rect") if e.get("class") == "chart__bar"]


def figures(name: str, completed: int, required: int, pk: int = 1) -> Figures:
    return Figures(unit_pk=pk, name=name, path="0001", required=required, completed=completed)


def test_horizontal_bars_are_proportional_on_a_0_to_100_scale() -> None:
    chart = hbar_chart(
        slug="t",
        title="T",
        desc="D",
        header=("Unit", "Rate"),
        items=[("A", 100), ("B", 50), ("C", 0), ("D", 25)],
    )
    widths = [float(b.get("width", "0")) for b in bars(chart.svg)]
    full = widths[0]
    assert full > 0
    assert widths[1] == full / 2
    assert widths[2] == 0
    assert widths[3] == full / 4
    # Values printed at the bar ends, and the scale runs 0 % … 100 %.
    assert "50%" in chart.svg and "0%" in chart.svg and "100%" in chart.svg
    # The same scale whatever the largest value: 50 % alone is still half the width.
    alone = hbar_chart(slug="t", title="T", desc="D", header=("", ""), items=[("B", 50)])
    assert float(bars(alone.svg)[0].get("width", "0")) == full / 2


def test_rates_outside_0_100_are_clamped_and_none_draws_nothing() -> None:
    chart = hbar_chart(
        slug="t", title="T", desc="D", header=("", ""), items=[("A", 130), ("B", None), ("C", 100)]
    )
    a, b, c = (float(x.get("width", "0")) for x in bars(chart.svg))
    assert a == c
    assert b == 0
    assert chart.rows == [("A", "130%"), ("B", "—"), ("C", "100%")]


def test_columns_are_proportional_to_counts() -> None:
    chart = column_chart(
        slug="t",
        title="T",
        desc="D",
        header=("Band", "People"),
        items=[("0", 2), ("1–49", 4), ("50–99", 1), ("100+", 0)],
    )
    heights = [float(b.get("height", "0")) for b in bars(chart.svg)]
    assert heights[1] == 2 * heights[0] == 4 * heights[2]
    assert heights[3] == 0
    assert chart.rows == [("0", "2"), ("1–49", "4"), ("50–99", "1"), ("100+", "0")]


def test_percent_columns_use_a_fixed_scale() -> None:
    chart = column_chart(
        slug="t",
        title="T",
        desc="D",
        header=("", ""),
        items=[("a", 40), ("b", 80), ("c", None)],
        percent=True,
    )
    a, b, c = (float(x.get("height", "0")) for x in bars(chart.svg))
    assert b == 2 * a
    assert c == 0
    # 80 % is 0.8 of the full plot height (170 units).
    assert b == 136


def test_user_data_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    chart = completion_chart([figures(evil, 1, 2)])
    assert "<script>" not in chart.svg
    assert "&lt;script&gt;" in chart.svg
    ElementTree.fromstring(chart.svg)  # still well-formed
    event = EventPoint(
        pk=1, title=evil, starts_at=datetime.datetime(2026, 5, 3, 9, tzinfo=datetime.UTC)
    )
    chart = attendance_chart([event])
    assert "<script>" not in chart.svg
    ElementTree.fromstring(chart.svg)


def test_empty_data_gives_no_chart() -> None:
    assert completion_chart([]).empty
    # Sub-units without any required course are left out; none left → no chart.
    assert completion_chart([figures("A", 0, 0)]).empty
    assert hours_chart([Bucket("0 %", 0), Bucket("100 %", 0)]).empty
    assert quiz_chart([]).empty
    assert attendance_chart([]).empty
    assert not hours_chart([Bucket("0 %", 0), Bucket("100 %", 3)]).empty


def test_every_chart_is_labelled_and_scales() -> None:
    dashboard = Dashboard(
        year=2026,
        unit=None,  # type: ignore[arg-type]
        today=datetime.date(2026, 6, 1),
        rows=[figures("预算科", 3, 4)],
        total=figures("市财政局", 3, 4),
        hours_buckets=[Bucket("0 %", 1), Bucket("≥ 100 %", 2)],
        quiz_buckets=[Bucket("<60", 1), Bucket("90–100", 1)],
        attendance_series=[
            EventPoint(
                pk=2,
                title="B",
                starts_at=datetime.datetime(2026, 5, 9, tzinfo=datetime.UTC),
                expected=4,
                attended=3,
            ),
            EventPoint(
                pk=1,
                title="A",
                starts_at=datetime.datetime(2026, 5, 2, tzinfo=datetime.UTC),
                expected=2,
                attended=1,
            ),
        ],
    )
    charts = dashboard_charts(dashboard)
    assert [c.slug for c in charts] == ["completion", "hours", "attendance", "quiz"]
    for chart in charts:
        root = ElementTree.fromstring(chart.svg)
        assert root.get("role") == "img"
        title_id, desc_id = root.get("aria-labelledby", "").split()
        assert root.find(f"{SVG}title").get("id") == title_id  # type: ignore[union-attr]
        assert root.find(f"{SVG}desc").get("id") == desc_id  # type: ignore[union-attr]
        assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox", ""))
        assert root.get("width") is None and "width:100%" in root.get("style", "")
        assert chart.rows  # the table alternative
    # Attendance: in date order, rates from the points.
    assert charts[2].rows[0][0].startswith("A") and charts[2].rows[0][1] == "50%"
    assert charts[2].rows[1][1] == "75%"
    assert charts[0].rows == [("预算科", "75%")]


def test_completion_rates_round_halves_up() -> None:
    # 3 of 8 is 37.5 % → 38 %, as everywhere else on the dashboard.
    assert completion_chart([figures("A", 3, 8)]).rows == [("A", "38%")]


def test_long_labels_are_shortened_in_the_svg_but_whole_in_the_table() -> None:
    name = "中华人民共和国某某省某某市财政局预算编制与执行监督管理科第二科室"
    chart = completion_chart([figures(name, 1, 2)])
    texts = [t.text or "" for t in ElementTree.fromstring(chart.svg).iter(f"{SVG}text")]
    assert any(t.endswith("…") and name.startswith(t[:-1]) for t in texts)
    assert chart.rows == [(name, "50%")]
    assert f"<title>{name}: 50%</title>" in chart.svg  # the bar's tooltip has it whole
