"""The register beside the reported counts as a plotly figure (pure: rows in, figure out).

Drawn by static/js/charts.js like every other chart (indicators/charts.py)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from indicators.charts import PALETTE, _base_layout, _every_nth, _figure, _narrow, _trace
from register.selectors import RegisterRow

REGISTER_COLOUR = "#0f7b6c"


def register_figure(*, rows: Sequence[RegisterRow], unit: str) -> dict:
    """Two lines over the quarters: the register's value and the reported one (total rows)."""
    periods = [str(r.period) for r in rows]
    data = [
        _trace(
            "scatter",
            x=periods,
            y=[r.register_value for r in rows],
            name=_("Register"),
            mode="lines+markers",
            line=dict(color=REGISTER_COLOUR, width=2),
            marker=dict(symbol="square", size=6),
        ),
        _trace(
            "scatter",
            x=periods,
            y=[r.reported_value for r in rows],
            name=_("Reported"),
            mode="lines+markers",
            line=dict(color=PALETTE["approved"], width=2, dash="dot"),
            marker=dict(symbol="circle", size=7),
            connectgaps=False,
        ),
    ]
    layout = _base_layout(height=300, unit=unit)
    layout["xaxis"] = dict(
        type="category", gridcolor=PALETTE["grid"], tickvals=periods, automargin=True
    )
    # On a phone: four quarters labelled, a smaller font, the legend below the labels.
    _narrow(
        layout,
        relayout=dict(
            height=340,
            margin=dict(l=48, r=8),
            font=dict(size=11),
            legend=dict(font=dict(size=10), y=-0.25),
            xaxis=dict(tickvals=_every_nth(periods, 4), tickangle=0),
            yaxis=dict(nticks=5),
        ),
    )
    return _figure(data, layout)


def register_trace(*, periods: Sequence[str], values: Sequence[int | None]) -> dict:
    """The register's line for a region dashboard's series chart (drawn beside the reported
    values when the dashboard is asked for it)."""
    return _trace(
        "scatter",
        x=list(periods),
        y=list(values),
        name=_("Certificate register"),
        mode="lines+markers",
        line=dict(color=REGISTER_COLOUR, width=2, dash="dash"),
        marker=dict(symbol="square", size=5),
    )
