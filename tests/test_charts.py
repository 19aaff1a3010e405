"""Figures are pure: rows built in memory in, traces out; no database, no request."""

import datetime as dt

import pytest
from django.utils import translation

from indicators import charts, sparklines
from indicators.models import Indicator, Plan, Target
from indicators.periods import Quarter, quarter_range
from indicators.progress import Point, Trend, target_progress
from indicators.selectors.completeness import CompletenessCell, CompletenessRow, ReportStatus
from indicators.selectors.dashboards import ChildRow, SeriesPoint
from indicators.selectors.progress import Forecast, MilestonePath, TargetTrendRow
from indicators.selectors.values import RegionValue, Source
from regions.models import Region

Q = Quarter.parse


def rv(q, value, *, source=Source.ROLLUP, complete=True, approved=True, children_sum=None):
    children_sum = value if children_sum is None and source is Source.ROLLUP else children_sum
    return RegionValue(
        "990000", "certificates", Q(q), value, source, complete, children_sum, True, approved
    )


PLAN = Plan(pk=1, title_zh="方案", title_en="Plan", document_number="测〔2018〕1号",
            issuer_zh="测试", issued_on=dt.date(2018, 7, 31))  # fmt: skip
INDICATOR = Indicator(pk=1, code="certificates", name_zh="证书", name_en="Certificates",
                      unit_zh="张", unit_en="certificates")  # fmt: skip
REGION = Region(pk=1, code="990000", name_zh="省", name_en="Province")


def target(due, value, pk=1):
    t = Target(pk=pk, value=value, due_year=Q(due).year, due_quarter=Q(due).quarter)
    t.plan, t.indicator, t.region = PLAN, INDICATOR, REGION
    return t


def trend_row(due, value, series, as_of, *, baseline=Point(Q("2018Q3"), 100)):
    progress = target_progress(
        target_value=value,
        due=Q(due),
        series=[Point(r.period, r.value) for r in series if r.value is not None],
        as_of=Q(as_of),
        baseline=baseline,
    )
    path = MilestonePath(PLAN, [baseline, Point(Q(due), value)])
    forecast = Forecast(progress.trend, progress.trend.origin, Q(due)) if progress.trend else None
    return TargetTrendRow(target(due, value), progress, series, path, forecast)


def traces_by_meta(fig):
    return {t.meta: t for t in fig.data if t.meta}


@pytest.fixture
def series_case():
    """2018Q3..2019Q2 measured (the last one awaiting review, 2019Q1 an incomplete roll-up),
    then 2019Q3..2019Q4 ahead; one target of 200 due 2019Q4."""
    values = [
        rv("2018Q3", 100),
        rv("2018Q4", 120, source=Source.DIRECT, children_sum=110),
        rv("2019Q1", 60, complete=False),
        rv("2019Q2", 150, approved=False),
    ]
    row = trend_row("2019Q4", 200, values, "2019Q2")
    points = [
        SeriesPoint(
            q,
            values[i] if i < 4 else None,
            row.path.value_at(q),
            None,
            [row.target] if q == Q("2019Q4") else [],
        )  # fmt: skip
        for i, q in enumerate(quarter_range(Q("2018Q3"), Q("2019Q4")))
    ]
    return points, row


def test_series_figure_draws_approved_submitted_and_incomplete_values_apart(series_case):
    points, row = series_case
    fig = charts.series_figure(
        series=points, paths=[row.path], forecast=row.forecast, targets=[row], unit="张",
        as_of=Q("2019Q2"),
    )  # fmt: skip
    traces = traces_by_meta(fig)
    # 2018Q4 is entered directly (120) beside a complete sum (110), the other quarters are
    # sums only: the line is the sum of the divisions throughout, the direct value its own
    # series (issue 22.8: one series, one source).
    assert list(traces["approved"].x) == ["2018Q3"]
    assert list(traces["approved"].y) == [100]
    assert list(traces["direct"].x) == ["2018Q4"] and list(traces["direct"].y) == [120]
    assert list(traces["submitted"].x) == ["2019Q2"] and list(traces["submitted"].y) == [150]
    assert list(traces["incomplete"].x) == ["2019Q1"] and list(traces["incomplete"].y) == [60]
    # Different markers, not only different colours.
    symbols = {k: traces[k].marker.symbol for k in ("approved", "submitted", "incomplete")}
    assert len(set(symbols.values())) == 3
    # The value line skips the incomplete roll-up rather than dipping to it, and draws the sum
    # of the divisions (110) at 2018Q4, not the direct 120.
    line = fig.data[0]
    assert line.mode == "lines" and list(line.y) == [100, 110, None, 150]


def test_series_figure_marks_a_direct_value_that_differs_from_its_divisions(series_case):
    points, row = series_case
    fig = charts.series_figure(
        series=points, paths=[], forecast=None, targets=[], unit="张", as_of=Q("2019Q2")
    )
    traces = traces_by_meta(fig)
    direct = traces["direct"]
    assert list(direct.x) == ["2018Q4"] and list(direct.y) == [120]
    assert "-10" in direct.text[0]  # 120 entered directly, the divisions' 110 is 10 less
    assert "children_sum" not in traces  # the line itself is the sum


def test_series_of_direct_values_only_keeps_one_line_and_marks_sums_beside_it():
    """Every quarter entered directly (a city entering its own totals), one of them beside a
    differing complete sum: not a mixed series, so the line is the direct values throughout and
    the sum is marked beside it (×)."""
    values = [
        rv("2018Q3", 100, source=Source.DIRECT, children_sum=None),
        rv("2018Q4", 120, source=Source.DIRECT, children_sum=110),
    ]
    points = [SeriesPoint(r.period, r, None, None, []) for r in values]
    fig = charts.series_figure(
        series=points, paths=[], forecast=None, targets=[], unit="张", as_of=Q("2018Q4")
    )
    traces = traces_by_meta(fig)
    assert list(fig.data[0].y) == [100, 120]
    assert "direct" not in traces
    assert list(traces["children_sum"].x) == ["2018Q4"] and list(traces["children_sum"].y) == [110]


def test_series_figure_draws_target_milestone_path_and_forecast(series_case):
    points, row = series_case
    fig = charts.series_figure(
        series=points, paths=[row.path], forecast=row.forecast, targets=[row], unit="张",
        as_of=Q("2019Q2"),
    )  # fmt: skip
    traces = traces_by_meta(fig)
    assert list(traces["target"].x) == ["2019Q4"] and list(traces["target"].y) == [200]
    milestone = traces["milestone"]
    assert milestone.x[0] == "2018Q3" and milestone.x[-1] == "2019Q4"
    assert milestone.y[0] == 100 and milestone.y[-1] == 200
    assert milestone.y[2] == pytest.approx(100 + 2 / 5 * 100)  # 2019Q1: 2 of 5 quarters
    forecast = traces["forecast"]
    assert forecast.x[-1] == "2019Q4" and forecast.line.dash == "dot"
    assert forecast.y[-1] == pytest.approx(row.progress.forecast_value)
    # The category axis runs over every quarter, the future ones included.
    assert list(fig.layout.xaxis.categoryarray) == [str(p.period) for p in points]


def test_every_series_has_one_colour_on_every_figure(series_case):
    points, row = series_case
    fig = charts.series_figure(
        series=points, paths=[row.path], forecast=row.forecast, targets=[row], unit="张",
        as_of=Q("2019Q2"),
    )  # fmt: skip
    spark = sparklines.sparkline_figure(row=row)
    main, small = traces_by_meta(fig), traces_by_meta(spark)
    assert main["target"].marker.color == small["target"].marker.color == charts.PALETTE["target"]
    assert main["milestone"].line.color == small["milestone"].line.color
    assert main["forecast"].line.color == small["forecast"].line.color
    assert small["value"].line.color == charts.PALETTE["approved"]


def test_sparkline_leaves_a_gap_at_an_incomplete_rollup_never_a_line_across_it(series_case):
    _points, row = series_case
    spark = sparklines.sparkline_figure(row=row)
    value = traces_by_meta(spark)["value"]
    # 2019Q1 is a partial sum (60): no point, and no line from 2018Q4 to 2019Q2 across it
    # (issue 22.1: a chart never draws a line across a quarter without a complete value).
    assert list(value.x) == ["2018Q3", "2018Q4", "2019Q1", "2019Q2"]
    # 2018Q4: the sum of the divisions (110), as on the region's chart (one series, one source).
    assert list(value.y) == [100, 110, None, 150]
    assert value.connectgaps is False


def test_figure_labels_follow_the_active_language(series_case):
    points, row = series_case
    with translation.override("zh-hans"):
        zh = charts.series_figure(
            series=points, paths=[row.path], forecast=row.forecast, targets=[row], unit="张",
            as_of=Q("2019Q2"),
        )  # fmt: skip
    with translation.override("en"):
        en = charts.series_figure(
            series=points, paths=[row.path], forecast=row.forecast, targets=[row], unit="张",
            as_of=Q("2019Q2"),
        )  # fmt: skip
    assert traces_by_meta(en)["milestone"].name == "Milestone path"
    assert traces_by_meta(zh)["milestone"].name == "进度路径"
    assert traces_by_meta(zh)["submitted"].name == "待审核"


def child(code, value, *, share=None, growth=None, zone=False, approved=True, complete=True):
    region = Region(code=code, name_zh=f"地区{code}", name_en=f"Region {code}",
                    kind=Region.Kind.ZONE if zone else Region.Kind.DIVISION)  # fmt: skip
    row = RegionValue(code, "certificates", Q("2020Q4"), value, Source.DIRECT, complete, None,
                      False, approved)  # fmt: skip
    ago = RegionValue(code, "certificates", Q("2019Q4"), None, Source.NONE, False, None, False,
                      False)  # fmt: skip
    return ChildRow(region, row, ago, share, growth)


def test_breakdown_figure_shows_each_child_with_share_and_growth_largest_first():
    rows = [
        child("990200", 250, share=58.82, growth=0.0),
        child("990100", 100, share=23.525, growth=25.0, approved=False),
        child("990171", 30, share=30.0, zone=True),
        child("990300", None),
    ]
    with translation.override("en"):
        fig = charts.breakdown_figure(children=rows, unit="certificates")
    bar = fig.data[0]
    assert list(bar.x) == [250, 100, 30]  # no bar for a child without a value
    assert list(bar.y) == ["Region 990200", "Region 990100", "Region 990171 (part)"]
    # Two decimals, half up (23.525 → 23.53), as in the JSON, CSV and Excel.
    assert bar.text[0] == "250 · 58.82% · +0.00%" and bar.text[1] == "100 · 23.53% · +25.00%"
    assert bar.marker.color[1] == charts.PALETTE["submitted"]  # awaiting review
    assert list(bar.marker.pattern.shape) == ["", "", "/"]  # the zone is hatched
    assert fig.layout.yaxis.autorange == "reversed"  # the largest on top


def test_completeness_figure_colours_and_labels_every_cell():
    region = Region(code="990100", name_zh="甲", name_en="A")
    cells = [
        CompletenessCell(Q("2020Q3"), ReportStatus.APPROVED, {}),
        CompletenessCell(Q("2020Q4"), ReportStatus.MISSING, {}),
    ]
    with translation.override("en"):
        fig = charts.completeness_figure(
            rows=[CompletenessRow(region, cells)], quarters=[Q("2020Q3"), Q("2020Q4")]
        )
    heat = fig.data[0]
    assert list(heat.x) == ["2020Q3", "2020Q4"] and list(heat.y) == ["A"]
    assert [list(r) for r in heat.text] == [["Approved", "Not reported"]]
    order = list(charts.REPORT_STATUS_ORDER)
    n = len(order)
    for status, z in zip([ReportStatus.APPROVED, ReportStatus.MISSING], heat.z[0], strict=True):
        i = order.index(status)
        assert z == i + 0.5  # the middle of the status's own colour band, [i/n, (i+1)/n]
        start, end = heat.colorscale[2 * i], heat.colorscale[2 * i + 1]
        assert (start[0], end[0]) == pytest.approx((i / n, (i + 1) / n))
        assert start[1] == end[1] == charts.REPORT_COLOURS[status]


def test_figure_payload_is_plain_json_without_mode_bar():
    import json

    fig = sparklines.sparkline_figure(
        row=trend_row("2019Q4", 200, [rv("2018Q3", 100), rv("2018Q4", 120)], "2018Q4")
    )
    payload = charts.figure_payload(fig, static=True)
    json.dumps(payload)  # nothing numpy-typed or otherwise not JSON
    assert payload["config"] == {
        "displayModeBar": False,
        "responsive": False,
        "staticPlot": True,
    }
    assert payload["data"] and payload["layout"]["height"] == 54


def test_forecast_points_follow_the_trend_line():
    forecast = Forecast(Trend(Q("2020Q1"), 100.0, 10.0), Q("2020Q1"), Q("2020Q4"))
    assert forecast.points == [(Q("2020Q1"), 100.0), (Q("2020Q2"), 110.0),
                               (Q("2020Q3"), 120.0), (Q("2020Q4"), 130.0)]  # fmt: skip
    assert forecast.value_at(Q("2021Q1")) is None


def test_unvalidated_figures_draw_exactly_what_validated_ones_do(series_case, monkeypatch):
    """Production skips plotly's property checks for speed (charts.VALIDATE); the JSON handed
    to plotly.js must be the same as with the checks on."""
    import json

    points, row = series_case
    region = Region(code="990100", name_zh="甲", name_en="A")
    cells = [CompletenessCell(Q("2020Q3"), ReportStatus.APPROVED, {})]

    def build():
        return [
            charts.series_figure(
                series=points,
                paths=[row.path],
                forecast=row.forecast,
                targets=[row],
                unit="张",
                as_of=Q("2019Q2"),
            ),
            sparklines.sparkline_figure(row=row),
            charts.breakdown_figure(children=[child("990200", 250, share=58.8)], unit="张"),
            charts.completeness_figure(
                rows=[CompletenessRow(region, cells)], quarters=[Q("2020Q3")]
            ),
        ]

    def payloads(validate):
        monkeypatch.setattr(charts, "VALIDATE", validate)
        return [json.dumps(charts.figure_payload(f), sort_keys=True) for f in build()]

    fast, checked = payloads(False), payloads(True)
    for a, b in zip(fast, checked, strict=True):
        assert json.loads(a) == json.loads(b)


# --- labels are text (issue 12.6) --------------------------------------------------------

HOSTILE_NAMES = [
    '<a href="http://example.invalid/">点我</a>',
    "<b>粗体</b>地区",
    "换<br>行",
    '<span style="font-size:80px">大</span>',
    "<img src=x onerror=alert(1)>",
    "R&amp;D <i>zone</i>",
]


def _strings(node):
    """Every string anywhere in a figure's JSON (data and layout)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _assert_literal(payload, name):
    strings = list(_strings(payload))
    assert not any(name in s for s in strings), "the raw name reached plotly"
    escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert any(escaped in s for s in strings), "the name is shown, escaped"


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_breakdown_and_completeness_show_region_names_literally(name):
    region = Region(code="990100", name_zh=name, name_en=name)
    zone = Region(code="990171", name_zh=name, name_en=name, kind=Region.Kind.ZONE)
    row = RegionValue("990100", "certificates", Q("2020Q4"), 10, Source.DIRECT, True, None,
                      False, True)  # fmt: skip
    ago = RegionValue("990100", "certificates", Q("2019Q4"), None, Source.NONE, False, None,
                      False, False)  # fmt: skip
    for r in (region, zone):
        fig = charts.breakdown_figure(children=[ChildRow(r, row, ago, 50.0, None)], unit=name)
        payload = charts.figure_payload(fig)
        _assert_literal(payload, name)
        assert payload["layout"]["xaxis"]["title"]["text"] == charts.label(name)  # the unit
        cells = [CompletenessCell(Q("2020Q4"), ReportStatus.MISSING, {name: ReportStatus.DRAFT})]
        heat = charts.completeness_figure(rows=[CompletenessRow(r, cells)], quarters=[Q("2020Q4")])
        _assert_literal(charts.figure_payload(heat), name)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_series_figure_shows_plan_names_and_units_literally(series_case, name):
    points, row = series_case
    plan = Plan(pk=2, title_zh=name, title_en=name, document_number=name,
                issuer_zh="测试", issued_on=dt.date(2018, 7, 31))  # fmt: skip
    row.target.plan = plan
    path = MilestonePath(plan, row.path.points)
    fig = charts.series_figure(
        series=points, paths=[path], forecast=row.forecast, targets=[row], unit=name,
        as_of=Q("2019Q2"),
    )  # fmt: skip
    payload = charts.figure_payload(fig)
    _assert_literal(payload, name)
    assert payload["layout"]["yaxis"]["title"]["text"] == charts.label(name)


def test_label_escapes_only_what_plotly_reads_as_markup():
    assert charts.label("兰州市") == "兰州市"
    assert charts.label("A & B <b>") == "A &amp; B &lt;b&gt;"
    assert charts.label('"引号"') == '"引号"'


# --- phone variants (layout.meta.narrow, drawn by static/js/charts.js below its width) ---


def narrow_of(fig) -> dict:
    meta = charts.figure_payload(fig)["layout"]["meta"]
    assert meta["narrow"]["width"] == charts.NARROW_WIDTH
    return meta["narrow"]


def test_every_nth_keeps_at_most_that_many_evenly_and_always_the_last():
    years = [f"{y}Q4" for y in range(2017, 2028)]  # 11 year ends
    kept = charts._every_nth(years, 4)
    assert kept == ["2018Q4", "2021Q4", "2024Q4", "2027Q4"]  # every third, the last kept
    assert charts._every_nth(years[:3], 4) == years[:3]


def test_series_figure_on_a_phone_has_at_most_four_year_ticks_and_a_smaller_legend(series_case):
    points, row = series_case
    # Ten years ahead of the measured quarters: eleven year ends on the wide axis.
    ahead = [SeriesPoint(q, None, None, None, []) for q in quarter_range(Q("2020Q1"), Q("2029Q4"))]
    fig = charts.series_figure(
        series=points + ahead, paths=[row.path], forecast=row.forecast, targets=[row],
        unit="张", as_of=Q("2019Q2"),
    )  # fmt: skip
    narrow = narrow_of(fig)
    wide_ticks = list(fig.layout.xaxis.tickvals)
    ticks = narrow["layout"]["xaxis"]["tickvals"]
    assert (
        len(wide_ticks) == 12
        and len(ticks) == 4
        and set(ticks) <= set(wide_ticks)
        and ticks[-1] == wide_ticks[-1]
    )
    assert narrow["layout"]["legend"]["font"]["size"] < fig.layout.legend.font.size
    assert narrow["layout"]["yaxis"]["nticks"] == 5
    assert narrow["layout"]["height"] > fig.layout.height  # room for the wrapped legend


def test_completeness_figure_on_a_phone_shows_colours_without_words():
    region = Region(code="990100", name_zh="甲", name_en="A")
    quarters = list(quarter_range(Q("2020Q1"), Q("2023Q4")))
    cells = [CompletenessCell(q, ReportStatus.APPROVED, {}) for q in quarters]
    fig = charts.completeness_figure(rows=[CompletenessRow(region, cells)], quarters=quarters)
    narrow = narrow_of(fig)
    assert fig.data[0].texttemplate == "%{text}"  # wide: the words in every cell
    assert narrow["traces"] == [{"texttemplate": ""}]
    assert narrow["layout"]["xaxis"]["tickvals"] == ["2020Q4", "2021Q4", "2022Q4", "2023Q4"]


def test_breakdown_figure_on_a_phone_labels_bars_with_their_value_only():
    rows = [child("990200", 2500, share=58.82, growth=0.0), child("990100", 100, share=23.5)]
    fig = charts.breakdown_figure(children=rows, unit="certificates")
    assert narrow_of(fig)["traces"] == [{"text": ["2,500", "100"]}]


def test_a_forecast_is_rounded_half_up_to_a_whole_number_as_in_the_brief():
    # 12,500.5 → 12,501 (Python's round gives the even 12,500); 14,178.6 → 14,179 (issue 22.7).
    assert charts.fmt_int(12500.5) == "12,501"
    assert charts.fmt_int(14178.6) == "14,179"
    assert charts.fmt_int(None) == "—"
