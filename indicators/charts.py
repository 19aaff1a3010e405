"""Plotly figures for the dashboards, built by pure functions: rows in, a figure out.

No ORM and no request: the functions read the dataclasses of ``indicators.selectors`` (already
computed) and the active language (gettext), nothing else. Every series has one colour, one
marker and one name on every page (``PALETTE``, ``SERIES``); the numbers behind each figure are
also in a table beside it and at the JSON/CSV endpoints (docs/api.md).

The view passes :func:`figure_payload` through ``json_script``; ``static/js/charts.js`` draws it
with the local plotly.js (no inline script, no CDN).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import plotly.graph_objects as go
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from plotly.utils import PlotlyJSONEncoder

from indicators.chart_text import fmt_int, fmt_pct, label, part_label  # noqa: F401 (re-exported)
from indicators.periods import Quarter, quarter_range
from indicators.selectors.completeness import REPORT_STATUS_ORDER, CompletenessRow, ReportStatus
from indicators.selectors.dashboards import ChildRow, SeriesPoint
from indicators.selectors.progress import Forecast, MilestonePath, TargetTrendRow
from indicators.selectors.values import RegionValue, line_value, rollup_line

# plotly checks every property of every trace it builds: worth it in the tests (which set
# CERTTRACK_VALIDATE_FIGURES=1), but it is most of a dashboard's server time (bench/NOTES.md).
VALIDATE = os.environ.get("CERTTRACK_VALIDATE_FIGURES") == "1"

# A figure: a checked ``go.Figure`` when VALIDATE, else the plain dict plotly.js reads.
Figure = go.Figure | dict


def _trace(kind: str, **props) -> go.BaseTraceType | dict:
    """A trace of plotly type ``kind`` ("scatter", "bar", "heatmap"). Unchecked, it is the plain
    dict plotly.js reads: building plotly.py objects (deep copies, validators) was most of the
    overview's server time even with validation off (bench/NOTES.md). Nested properties are
    spelled as dicts, never with plotly.py's ``marker_line`` shorthand."""
    if VALIDATE:
        return _TRACES[kind](**props)
    return {"type": kind, **props}


def _figure(data: list, layout: dict) -> Figure:
    if VALIDATE:
        return go.Figure(data=data, layout=layout)
    return {"data": data, "layout": layout}


_TRACES = {"scatter": go.Scatter, "bar": go.Bar, "heatmap": go.Heatmap}


def _no_template() -> dict:
    """plotly's "none" template spelled out: without validation plotly.py would pass the bare
    name through instead of resolving it, and the figures' JSON must not depend on VALIDATE."""
    return {"data": {"scatter": [{"type": "scatter"}]}}


# One colour per meaning, on every page. The status colours match the badges of certtrack.css /
# dashboard.css (green = approved/achieved, blue = awaiting review, amber = draft/at risk,
# red = returned/missing/missed).
PALETTE = {
    "approved": "#1f5fbf",  # values: approved (filled markers, solid line)
    "submitted": "#6b9be0",  # values awaiting review (open markers)
    "incomplete": "#7b8494",  # roll-up over children that have not all reported
    "children_sum": "#0f7b6c",  # sum of the divisions beside a direct value
    "target": "#b3261e",  # targets at their due quarters
    "milestone": "#a86b00",  # milestone path (dashed)
    "forecast": "#6f42c1",  # least-squares forecast (dotted), and where it crosses a target
    "as_of": "#9aa1ab",  # the last complete quarter
    "grid": "#e3e6ea",
    "ink": "#1f2328",
}
REPORT_COLOURS = {
    ReportStatus.MISSING: "#e5534b",
    ReportStatus.RETURNED: "#f0883e",
    ReportStatus.DRAFT: "#f5d565",
    ReportStatus.SUBMITTED: "#9ec5fe",
    ReportStatus.APPROVED: "#7fcf8f",
    ReportStatus.NOT_EXPECTED: "#f2f3f5",
}
FONT = '"WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif'


_SERIES_NAMES: dict[str | None, dict[str, str]] = {}


def series_names() -> dict[str, str]:
    """The legend name of each series, in the active language: translated once per language
    (the hover text of every point of a series chart asks for them). Read it, never change it."""
    names = _SERIES_NAMES.get(get_language())
    if names is None:
        names = _SERIES_NAMES[get_language()] = {
            "value": _("Value"),
            "approved": _("Approved"),
            "submitted": _("Awaiting review"),
            "incomplete": _("Incomplete roll-up"),
            "children_sum": _("Sum of the divisions"),
            "direct": _("Entered directly"),
            "target": _("Target"),
            "milestone": _("Milestone path"),
            "forecast": _("Forecast (trend)"),
            "crossing": _("Trend reaches the target"),
        }
    return names


def _base_layout(*, height: int, unit: str = "", legend: bool = True) -> dict:
    return dict(
        template=_no_template(),
        height=height,
        autosize=True,
        margin=dict(l=64, r=16, t=16, b=56 if legend else 36),
        font=dict(family=FONT, size=13, color=PALETTE["ink"]),
        separators=".,",
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        showlegend=legend,
        legend=dict(orientation="h", x=0, y=-0.18, yanchor="top", font=dict(size=12)),
        hoverlabel=dict(font=dict(family=FONT, size=13)),
        yaxis=dict(
            title=dict(text=unit),
            gridcolor=PALETTE["grid"],
            tickformat=",d",
            zeroline=False,
            rangemode="normal",
        ),
    )


# Below this width (CSS pixels of the chart's box: a phone) charts.js draws a figure's "narrow"
# variant: fewer axis ticks, a smaller legend, no text in heatmap cells.
NARROW_WIDTH = 600


def _narrow(layout: dict, *, relayout: dict, traces: list[dict] | None = None) -> None:
    """Give a figure its phone variant in ``layout.meta.narrow`` (plotly.js keeps ``meta`` as
    it is): ``layout`` parts merged over the figure's own (nested dicts merge), and per trace
    (by index) properties that replace the trace's."""
    layout["meta"] = {"narrow": {"width": NARROW_WIDTH, "layout": relayout, "traces": traces or []}}


def _every_nth(values: list[str], most: int) -> list[str]:
    """At most ``most`` of ``values``, evenly spaced, the last one always kept."""
    if len(values) <= most:
        return values
    step = -(-len(values) // most)
    return values[::-1][::step][::-1]


def _row_state(row: RegionValue) -> str:
    if not row.complete:
        return "incomplete"
    return "approved" if row.approved else "submitted"


# The cross that marks a second figure for a quarter: a direct value beside its divisions' sum.
_CROSS = {
    "symbol": "x-thin-open",
    "size": 11,
    "color": PALETTE["children_sum"],
    "line": {"width": 2.5, "color": PALETTE["children_sum"]},
}


def _row_hover(row: RegionValue, unit: str) -> str:
    names = series_names()
    parts = [f"{fmt_int(row.value)} {unit}", names[_row_state(row)]]
    if row.source.value == "direct":
        parts.append(_("entered directly"))
        if row.children_sum is not None and row.discrepancy:
            parts.append(
                _("divisions' sum %(sum)s (difference %(diff)s)")
                % {"sum": fmt_int(row.children_sum), "diff": f"{row.discrepancy:+,}"}
            )
    elif row.source.value == "rollup":
        parts.append(_("sum of the divisions"))
    return " · ".join(parts)


def series_figure(
    *,
    series: Sequence[SeriesPoint],
    paths: Sequence[MilestonePath],
    forecast: Forecast | None,
    targets: Sequence[TargetTrendRow],
    unit: str,
    as_of: Quarter,
    height: int = 400,
) -> Figure:
    """A region's quarterly values with targets, milestone paths and forecast.

    Traces (in this order, each only if it has points): the value line through complete values;
    markers for approved values, values awaiting review and incomplete roll-ups (drawn apart and
    not joined to the line); the divisions' sum where it differs from a direct value; each plan's
    milestone path; the forecast; the targets; where the forecast reaches each target still ahead.
    """
    names = series_names()
    unit = label(unit)
    quarters = [str(p.period) for p in series]
    traces = []

    measured = [p for p in series if p.row is not None]
    # One series, one source (docs/progress.md): the sum of the divisions for every quarter
    # where direct values sit beside complete sums in some quarters only; then the direct
    # values are drawn as their own series below.
    rollup = rollup_line([p.row for p in measured])
    line_y = [line_value(p.row, rollup=rollup) for p in measured]
    if any(v is not None for v in line_y):
        traces.append(
            _trace(
                "scatter",
                name=names["value"],
                x=[str(p.period) for p in measured],
                y=line_y,
                mode="lines",
                line=dict(color=PALETTE["approved"], width=2.5),
                connectgaps=False,
                hoverinfo="skip",
                legendgroup="value",
                showlegend=False,
            )
        )
    marker_styles = {
        "approved": dict(symbol="circle", size=7, color=PALETTE["approved"]),
        "submitted": dict(
            symbol="circle-open", size=9, color=PALETTE["submitted"], line=dict(width=2.5)
        ),
        "incomplete": dict(
            symbol="square-open", size=9, color=PALETTE["incomplete"], line=dict(width=2.5)
        ),
    }
    for state, marker in marker_styles.items():
        rows = [
            p.row
            for p in measured
            if p.value is not None
            and _row_state(p.row) == state
            and not (rollup and p.row.source.value == "direct")  # drawn as its own series
        ]
        if not rows:
            continue
        traces.append(
            _trace(
                "scatter",
                name=names[state],
                x=[str(r.period) for r in rows],
                y=[r.value for r in rows],
                mode="markers",
                marker=marker,
                text=[_row_hover(r, unit) for r in rows],
                hovertemplate="%{text}<extra></extra>",
                meta=state,
            )
        )
    if rollup:
        directs = [p.row for p in measured if p.row.source.value == "direct"]
        traces.append(
            _trace(
                "scatter",
                name=names["direct"],
                x=[str(r.period) for r in directs],
                y=[r.value for r in directs],
                mode="markers",
                marker=_CROSS,
                text=[
                    _("Entered directly: %(value)s %(unit)s (sum of the divisions %(diff)s)")
                    % {
                        "value": fmt_int(r.value),
                        "unit": unit,
                        "diff": f"{-r.discrepancy:+,}" if r.discrepancy is not None else "—",
                    }
                    for r in directs
                ],
                hovertemplate="%{text}<extra></extra>",
                meta="direct",
            )
        )
    sums = [
        p.row
        for p in measured
        if not rollup
        and p.row.source.value == "direct"
        and p.row.children_sum is not None
        and p.row.discrepancy
    ]
    if sums:
        traces.append(
            _trace(
                "scatter",
                name=names["children_sum"],
                x=[str(r.period) for r in sums],
                y=[r.children_sum for r in sums],
                mode="markers",
                marker=_CROSS,
                text=[
                    _("Sum of the divisions: %(sum)s %(unit)s (direct value %(diff)s)")
                    % {
                        "sum": fmt_int(r.children_sum),
                        "unit": unit,
                        "diff": f"{r.discrepancy:+,}",
                    }
                    + ("" if r.children_complete else " · " + names["incomplete"])
                    for r in sums
                ],
                hovertemplate="%{text}<extra></extra>",
                meta="children_sum",
            )
        )
    for i, path in enumerate(paths):
        xs = [str(q) for q in quarter_range(path.baseline.period, path.points[-1].period)]
        ys = [path.value_at(Quarter.parse(q)) for q in xs]
        traces.append(
            _trace(
                "scatter",
                name=names["milestone"],
                x=xs,
                y=ys,
                mode="lines",
                line=dict(color=PALETTE["milestone"], width=2, dash="dash"),
                legendgroup="milestone",
                showlegend=i == 0,
                text=[label(path.plan.document_number or path.plan.title)] * len(xs),
                hovertemplate=names["milestone"] + ": %{y:,.0f} (%{text})<extra></extra>",
                meta="milestone",
            )
        )
    if forecast is not None:
        points = forecast.points
        traces.append(
            _trace(
                "scatter",
                name=names["forecast"],
                x=[str(q) for q, _v in points],
                y=[v for _q, v in points],
                mode="lines",
                line=dict(color=PALETTE["forecast"], width=2, dash="dot"),
                hovertemplate=names["forecast"] + ": %{y:,.0f}<extra></extra>",
                meta="forecast",
            )
        )
    if targets:
        traces.append(
            _trace(
                "scatter",
                name=names["target"],
                x=[str(t.target.due) for t in targets],
                y=[t.target.value for t in targets],
                mode="markers+text",
                marker=dict(symbol="diamond", size=13, color=PALETTE["target"]),
                text=[f"≥ {fmt_int(t.target.value)}" for t in targets],
                textposition="top center",
                textfont=dict(color=PALETTE["target"], size=12),
                # The label of the highest target sits above the plot area (the axis range
                # pads the marker, not its text): drawn into the top margin, not clipped.
                cliponaxis=False,
                customdata=[
                    f"{label(t.plan.document_number or t.plan.title)} · "
                    f"{label(t.progress.status.label)}"
                    for t in targets
                ],
                hovertemplate=names["target"] + " ≥ %{y:,} " + unit + " (%{customdata})"
                "<extra></extra>",
                meta="target",
            )
        )
        crossings = [
            t
            for t in targets
            if t.is_ahead
            and t.progress.crossing is not None
            and str(t.progress.crossing) in quarters
        ]
        if crossings and forecast is not None:
            traces.append(
                _trace(
                    "scatter",
                    name=names["crossing"],
                    x=[str(t.progress.crossing) for t in crossings],
                    y=[forecast.trend.at(t.progress.crossing) for t in crossings],
                    mode="markers",
                    marker=dict(symbol="star", size=13, color=PALETTE["forecast"]),
                    hovertemplate=names["crossing"] + ": %{x}<extra></extra>",
                    meta="crossing",
                )
            )
    layout = _base_layout(height=height, unit=unit)
    layout["margin"]["t"] = 30  # room for the top target's label ("≥ 14,200")
    layout["xaxis"] = dict(
        type="category",
        categoryorder="array",
        categoryarray=quarters,
        tickmode="array",
        tickvals=[q for q in quarters if q.endswith("Q4")],
        tickangle=0,
        gridcolor=PALETTE["grid"],
        showgrid=True,
    )
    layout["hovermode"] = "closest"
    _narrow(
        layout,
        relayout=dict(
            height=height + 80,  # the legend wraps onto three or four lines
            margin=dict(l=48, r=8),
            font=dict(size=11),
            legend=dict(font=dict(size=10), y=-0.12),
            xaxis=dict(tickvals=_every_nth(layout["xaxis"]["tickvals"], 4)),
            yaxis=dict(nticks=5, title=dict(text=unit, standoff=2)),
        ),
    )
    if str(as_of) in quarters and as_of != series[-1].period:
        layout["shapes"] = [
            dict(
                type="line",
                xref="x",
                yref="paper",
                x0=str(as_of),
                x1=str(as_of),
                y0=0,
                y1=1,
                line=dict(color=PALETTE["as_of"], width=1, dash="dot"),
            )
        ]
        layout["annotations"] = [
            dict(
                x=str(as_of),
                y=1,
                xref="x",
                yref="paper",
                text=_("as of %(q)s") % {"q": as_of},
                showarrow=False,
                xanchor="right",
                yanchor="top",
                font=dict(size=11, color=PALETTE["as_of"]),
            )
        ]
    return _figure(traces, layout)


def breakdown_figure(*, children: Sequence[ChildRow], unit: str) -> Figure:
    """The children's values at the breakdown quarter as sorted horizontal bars (largest on
    top), labelled with value, share of the parent and year-on-year growth. A zone (a part of
    its parent, never added) is hatched; colours as in :func:`series_figure`. Children without
    a value are left out of the figure (the table lists them)."""
    names = series_names()
    unit = label(unit)
    rows = [c for c in children if c.value is not None]
    colours = [PALETTE[_row_state(c.row)] for c in rows]
    labels = [part_label(c.name) if c.is_part else label(c.name) for c in rows]
    # value · share of the total · year on year (the table beside says it in full)
    text = [
        " · ".join(
            [fmt_int(c.value), fmt_pct(c.share)]
            + ([fmt_pct(c.growth, signed=True)] if c.growth is not None else [])
        )
        for c in rows
    ]
    hover = [
        f"{label(c.name)} · {c.row.period}<br>{fmt_int(c.value)} {unit} · "
        f"{names[_row_state(c.row)]}"
        f"<br>{_('Share')}: {fmt_pct(c.share)} · {_('Year on year')}: "
        f"{fmt_pct(c.growth, signed=True)}"
        + (f"<br>{_('A part of the region, not added into its total')}" if c.is_part else "")
        for c in rows
    ]
    bars = _trace(
        "bar",
        name=names["value"],
        orientation="h",
        x=[c.value for c in rows],
        y=labels,
        marker=dict(
            color=colours,
            pattern=dict(shape=["/" if c.is_part else "" for c in rows], solidity=0.35),
            line=dict(color=colours, width=1),
        ),
        text=text,
        textposition="outside",
        cliponaxis=False,
        customdata=hover,
        hovertemplate="%{customdata}<extra></extra>",
    )
    layout = _base_layout(height=max(160, 60 + 30 * len(rows)), legend=False)
    longest = max([v for v in (c.value for c in rows) if v is not None] or [1])
    layout["margin"] = dict(l=16, r=24, t=8, b=40)
    layout["xaxis"] = dict(
        title=dict(text=unit),
        gridcolor=PALETTE["grid"],
        tickformat=",d",
        range=[0, longest * 1.35],  # room for the labels outside the bars
    )
    layout["yaxis"] = dict(autorange="reversed", automargin=True, categoryorder="array")
    layout["bargap"] = 0.25
    # On a phone the bars carry their value only (share and growth are in the table).
    _narrow(
        layout,
        relayout=dict(font=dict(size=11), xaxis=dict(nticks=4, range=[0, longest * 1.3])),
        traces=[dict(text=[fmt_int(c.value) for c in rows])],
    )
    return _figure([bars], layout)


def completeness_figure(*, rows: Sequence[CompletenessRow], quarters: Sequence[Quarter]) -> Figure:
    """Regions × quarters coloured by reporting status, each cell also labelled in words (the
    colour is never the only carrier: it must read in black and white too)."""
    order = list(REPORT_STATUS_ORDER)
    n = len(order)
    colorscale = []
    for i, status in enumerate(order):
        colorscale += [[i / n, REPORT_COLOURS[status]], [(i + 1) / n, REPORT_COLOURS[status]]]
    z = [[order.index(c.status) + 0.5 for c in row.cells] for row in rows]
    text = [[c.status.label for c in row.cells] for row in rows]
    hover = [
        [
            c.status.label
            + "".join(
                f"<br>{label(code)}: {s.label}"
                for code, s in c.by_indicator.items()
                if s != c.status
            )
            for c in row.cells
        ]
        for row in rows
    ]
    y = [part_label(r.region.name) if r.is_part else label(r.region.name) for r in rows]
    heatmap = _trace(
        "heatmap",
        z=z,
        x=[str(q) for q in quarters],
        y=y,
        zmin=0,
        zmax=n,
        colorscale=colorscale,
        showscale=False,
        xgap=2,
        ygap=2,
        text=text,
        texttemplate="%{text}",
        textfont=dict(size=11, color=PALETTE["ink"]),
        customdata=hover,
        hovertemplate="%{y} · %{x}: %{customdata}<extra></extra>",
    )
    layout = _base_layout(height=max(120, 56 + 26 * len(rows)), legend=False)
    layout["margin"] = dict(l=16, r=8, t=8, b=32)
    layout["xaxis"] = dict(type="category", side="bottom", tickangle=0)
    layout["yaxis"] = dict(autorange="reversed", automargin=True, type="category")
    # On a phone: colours only (the words would not fit a cell; the legend and the hover say
    # them), and a tick at each year end.
    _narrow(
        layout,
        relayout=dict(
            font=dict(size=10),
            xaxis=dict(
                tickmode="array",
                tickvals=_every_nth([str(q) for q in quarters if q.quarter == 4], 4),
            ),
        ),
        traces=[dict(texttemplate="")],
    )
    return _figure([heatmap], layout)


def figure_payload(fig: Figure, *, static: bool = False) -> dict:
    """What ``charts.js`` draws: plain JSON data, layout and plotly config.

    ``static`` figures (sparklines) take no pointer events; the others show hover labels but no
    mode bar (printing and the data endpoints cover what the mode bar would offer).
    """
    # Through plotly's JSON encoder either way, so both kinds of figure come out the same.
    plain = json.loads(fig.to_json() if isinstance(fig, go.Figure) else _to_json(fig))
    return {
        "data": plain.get("data", []),
        "layout": plain.get("layout", {}),
        "config": {"displayModeBar": False, "responsive": not static, "staticPlot": static},
    }


def _to_json(fig: dict) -> str:
    return json.dumps(fig, cls=PlotlyJSONEncoder)
