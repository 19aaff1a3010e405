"""A target's sparkline: the small trend line of a target table's row (issue 18, 22.1).

Pure, as indicators/charts.py (rows -> figure); split from it when it grew past the module
limit. Only complete values are drawn: a quarter without one is a gap, never a line across.
"""

from __future__ import annotations

from indicators.charts import PALETTE, Figure, _figure, _no_template, _row_state, _trace
from indicators.periods import Quarter, quarter_range
from indicators.selectors.progress import TargetTrendRow
from indicators.selectors.values import line_value, rollup_line


def sparkline_figure(*, row: TargetTrendRow, height: int = 54) -> Figure:
    """A small trend line for a target: values up to the due quarter (or as of), the milestone
    path, the forecast (targets still ahead) and the target itself; no axes, same colours."""
    # Only full figures: an incomplete roll-up is neither progress nor trend (docs/progress.md).
    series = [r for r in row.series if r.value is not None and r.complete]
    line = [r for r in row.series if series and series[0].period <= r.period <= series[-1].period]
    rollup = rollup_line(row.series)
    last = max(
        [row.target.due, *(r.period for r in row.series)],
        default=row.target.due,
    )
    first = min([r.period for r in row.series] or [row.target.due])
    xs = [str(q) for q in quarter_range(first, last)]
    traces = []
    if row.path is not None:
        path_x = [q for q in xs if row.path.value_at(Quarter.parse(q)) is not None]
        traces.append(
            _trace(
                "scatter",
                x=path_x,
                y=[row.path.value_at(Quarter.parse(q)) for q in path_x],
                mode="lines",
                line=dict(color=PALETTE["milestone"], width=1.2, dash="dash"),
                hoverinfo="skip",
                meta="milestone",
            )
        )
    if row.forecast is not None:
        pts = [(q, v) for q, v in row.forecast.points if str(q) in xs]
        traces.append(
            _trace(
                "scatter",
                x=[str(q) for q, _v in pts],
                y=[v for _q, v in pts],
                mode="lines",
                line=dict(color=PALETTE["forecast"], width=1.5, dash="dot"),
                hoverinfo="skip",
                meta="forecast",
            )
        )
    traces.append(
        _trace(
            "scatter",
            # Every quarter of the line, a gap (None, not joined) where there is no complete
            # value: the line never runs across a quarter it has no full figure for.
            x=[str(r.period) for r in line],
            y=[line_value(r, rollup=rollup) for r in line],
            mode="lines",
            line=dict(color=PALETTE["approved"], width=2),
            connectgaps=False,
            hoverinfo="skip",
            meta="value",
        )
    )
    if series:
        end = series[-1]
        traces.append(
            _trace(
                "scatter",
                x=[str(end.period)],
                y=[end.value],
                mode="markers",
                marker=dict(color=PALETTE[_row_state(end)], size=6),
                hoverinfo="skip",
                meta=_row_state(end),
            )
        )
    traces.append(
        _trace(
            "scatter",
            x=[str(row.target.due)],
            y=[row.target.value],
            mode="markers",
            marker=dict(symbol="diamond", color=PALETTE["target"], size=8),
            hoverinfo="skip",
            meta="target",
        )
    )
    return _figure(
        traces,
        dict(
            template=_no_template(),
            height=height,
            width=200,
            autosize=False,
            margin=dict(l=2, r=6, t=6, b=6),
            showlegend=False,
            paper_bgcolor="rgba(0,0,0,0)",
            plot_bgcolor="rgba(0,0,0,0)",
            xaxis=dict(visible=False, type="category", categoryorder="array", categoryarray=xs),
            yaxis=dict(visible=False),
        ),
    )
