"""The brief's chart of one indicator (actuals, partial sums, targets, milestone path, forecast)
as a PNG, drawn on the server with matplotlib's Agg backend: no browser, no internet.

Pure: the dashboard's series points in, PNG bytes out (no ORM, no request). It draws what the
dashboard's plotly chart draws (indicators/charts.py, docs/progress.md "What the dashboards
draw"): complete values joined by a line (approved filled, awaiting review open), a partial sum
apart as a grey open square (never joined: it is not a fall), targets as diamonds, the milestone
path dashed and the forecast dotted.

Font: Chinese labels need a CJK font. :func:`cjk_font` looks for one among the fonts matplotlib
knows (``matplotlib.font_manager``; on Debian ``fonts-wqy-microhei``, installed with the
browser tests' dependencies, gives "WenQuanYi Micro Hei" in /usr/share/fonts), in the order of
``CJK_FONTS``. Without one, labels that are not plain ASCII are replaced by the ``fallback``
labels (English) rather than drawn as empty boxes; the numbers and quarters need no CJK font.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from indicators.selectors.values import line_value, rollup_line

# Preferred CJK fonts, first found wins: Debian's WenQuanYi (the project's), Noto / Source Han,
# then the usual Windows and macOS ones.
CJK_FONTS = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)

WIDTH_IN, HEIGHT_IN, DPI = 6.4, 3.3, 150

COLOURS = {
    "actual": "#1f4e79",
    "partial": "#8c8c8c",
    "target": "#c00000",
    "milestone": "#7f6000",
    "forecast": "#548235",
}


@dataclass(frozen=True)
class ChartLabels:
    """The words of a chart, in the brief's language."""

    actual: str
    awaiting: str
    partial: str
    target: str
    milestone: str
    forecast: str
    unit: str
    x_axis: str

    def is_ascii(self) -> bool:
        return all(str(v).isascii() for v in self.__dict__.values())


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The file of the first installed font of ``CJK_FONTS`` that matplotlib knows; None if none."""
    from matplotlib import font_manager

    found = _first_cjk(font_manager.fontManager)
    if found is None and _rescanned():
        found = _first_cjk(font_manager.fontManager)
    return found


def _first_cjk(manager) -> str | None:
    by_name = {f.name: f.fname for f in manager.ttflist}
    return next((by_name[name] for name in CJK_FONTS if name in by_name), None)


@functools.cache
def _rescanned() -> bool:
    """Add the system's font files that matplotlib's cached list lacks, once per process.
    matplotlib writes that list the first time it runs in a home directory and never looks
    again: a CJK font installed afterwards (a bureau adding fonts-wqy-microhei after a first
    brief) stayed unknown and the brief's labels fell back to English. True if any was added."""
    from matplotlib import font_manager

    known = {f.fname for f in font_manager.fontManager.ttflist}
    added = False
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # a file matplotlib cannot read
                continue
            added = True
    return added


def _font(path: str | None, size: float):
    from matplotlib.font_manager import FontProperties

    return FontProperties(fname=path, size=size) if path else FontProperties(size=size)


def actual_line(points) -> list[tuple[int, float]]:
    """The value line of a brief chart as (x, y), x the index of the quarter in ``points``: from
    the first to the last complete value, NaN (a gap, never joined) at every quarter between
    them without a complete value (docs/progress.md: a chart never draws a line across it); the
    sum of the divisions for every quarter where the page draws that (``values.rollup_line``)."""
    rollup = rollup_line([p.row for p in points if p.row is not None])
    values = {
        i: v
        for i, p in enumerate(points)
        if p.row is not None and (v := line_value(p.row, rollup=rollup)) is not None
    }
    if not values:
        return []
    first, last = min(values), max(values)
    return [(i, values.get(i, math.nan)) for i in range(first, last + 1)]


def series_chart_png(
    *,
    points: Sequence,
    labels: ChartLabels,
    fallback: ChartLabels | None = None,
    font_path: str | None | bool = True,
) -> bytes:
    """PNG of one indicator's quarterly chart.

    ``points``: the dashboard's ``SeriesPoint``s (``period``, ``row`` with ``value``,
    ``complete``, ``approved``; ``milestone``, ``forecast``, ``targets``). ``font_path``: True
    looks up :func:`cjk_font`; a path or None (no CJK font) chooses. Without a CJK font, labels
    that need one are replaced by ``fallback``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    path = cjk_font() if font_path is True else font_path or None
    if path is None and not labels.is_ascii() and fallback is not None:
        labels = fallback
    small, normal = _font(path, 8), _font(path, 9)

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x_of = {p.period: i for i, p in enumerate(points)}

    def xy(pairs):
        pairs = list(pairs)
        return [x for x, _ in pairs], [y for _, y in pairs]

    measured = [p for p in points if p.row is not None and p.row.value is not None]
    full = [p for p in measured if p.row.complete]
    partial = [p for p in measured if not p.row.complete]
    milestone = [(x_of[p.period], p.milestone) for p in points if p.milestone is not None]
    forecast = [(x_of[p.period], p.forecast) for p in points if p.forecast is not None]
    targets = [(x_of[p.period], t.value) for p in points for t in p.targets]

    if milestone:
        ax.plot(*xy(milestone), linestyle="--", linewidth=1.2, color=COLOURS["milestone"],
                label=labels.milestone)  # fmt: skip
    if forecast:
        ax.plot(*xy(forecast), linestyle=":", linewidth=1.4, color=COLOURS["forecast"],
                label=labels.forecast)  # fmt: skip
    if full:
        # A gap (NaN) at every quarter without a complete value between the first and the last
        # complete one: the line never runs across a quarter it has no full figure for.
        ax.plot(*xy(actual_line(points)), color=COLOURS["actual"], linewidth=1.8,
                label=labels.actual)  # fmt: skip
        # Dots on the line: a quarter whose direct value sits beside the sum drawn is left
        # without one where the line is the sum of the divisions (one series, one source).
        rollup = rollup_line([p.row for p in measured])
        dots = [p for p in full if not (rollup and p.row.source.value == "direct")]
        approved = [(x_of[p.period], p.row.value) for p in dots if p.row.approved]
        awaiting = [(x_of[p.period], p.row.value) for p in dots if not p.row.approved]
        if approved:
            ax.plot(*xy(approved), linestyle="none", marker="o", markersize=3.2,
                    color=COLOURS["actual"])  # fmt: skip
        if awaiting:
            ax.plot(*xy(awaiting), linestyle="none", marker="o", markersize=4.5,
                    markerfacecolor="white", color=COLOURS["actual"], label=labels.awaiting)  # fmt: skip
    if partial:
        ax.plot(*xy((x_of[p.period], p.row.value) for p in partial), linestyle="none",
                marker="s", markersize=5, markerfacecolor="white", color=COLOURS["partial"],
                label=labels.partial)  # fmt: skip
    if targets:
        ax.plot(*xy(targets), linestyle="none", marker="D", markersize=6, color=COLOURS["target"],
                label=labels.target)  # fmt: skip
        for x, y in targets:
            ax.annotate(f"{y:,}", (x, y), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontproperties=small, color=COLOURS["target"],
                        bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                              "alpha": 0.8})  # fmt: skip

    # Ticks at each year's fourth quarter (the year-end stock), labelled with the year.
    ticks = [(i, p.period.year) for i, p in enumerate(points) if p.period.quarter == 4]
    step = max(1, len(ticks) // 10)
    ticks = ticks[::step]
    ax.set_xticks([i for i, _ in ticks], [str(y) for _, y in ticks])
    ax.set_xlim(-0.5, max(len(points) - 0.5, 0.5))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.tick_params(labelsize=8)
    ax.set_ylabel(labels.unit, fontproperties=normal)
    ax.set_xlabel(labels.x_axis, fontproperties=normal)
    ax.grid(True, axis="y", color="#d9d9d9", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if ax.get_legend_handles_labels()[0]:  # above the plot, never over a line
        ax.legend(prop=small, loc="lower left", bbox_to_anchor=(0, 1.01), frameon=False,
                  ncol=4, handlelength=2.2, borderaxespad=0)  # fmt: skip
    # Fixed margins: tight_layout would draw the figure once more only to measure it.
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.15, top=0.84)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()
