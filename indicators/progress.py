"""Pure progress maths: % achieved, milestone path, status, least-squares forecast.

No ORM and no request: series of ``Point`` in, ``TargetProgress`` out. The rules are documented
in docs/progress.md; the selectors feed these functions with the stock values they compute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from indicators.periods import Quarter


@dataclass(frozen=True)
class Point:
    """A known value at a quarter end."""

    period: Quarter
    value: int


class Status(StrEnum):
    ACHIEVED = "achieved"
    MISSED = "missed"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BEHIND = "behind"
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.ACHIEVED: _("Achieved"),
    Status.MISSED: _("Missed"),
    Status.ON_TRACK: _("On track"),
    Status.AT_RISK: _("At risk"),
    Status.BEHIND: _("Behind"),
    Status.NO_DATA: _("No data"),
}


@dataclass(frozen=True)
class Trend:
    """A least-squares line ``value = intercept + slope * (quarter.index - origin.index)``."""

    origin: Quarter
    intercept: float
    slope: float  # per quarter

    def at(self, period: Quarter) -> float:
        return self.intercept + self.slope * (period - self.origin)

    def first_reaching(self, value: float, *, after: Quarter, limit: int = 200) -> Quarter | None:
        """The first quarter after ``after`` at which the line is ≥ ``value`` (None if never)."""
        if self.at(after) >= value:
            return after
        if self.slope <= 0:
            return None
        steps = math.ceil((value - self.at(after)) / self.slope)
        return after + steps if 0 < steps <= limit else None


def linear_trend(points: Sequence[Point], *, window: int = 8) -> Trend | None:
    """Ordinary least squares over the last ``window`` points; None with fewer than two."""
    pts = sorted(points, key=lambda p: p.period)[-window:]
    if len(pts) < 2:
        return None
    origin = pts[0].period
    xs = [p.period - origin for p in pts]
    ys = [p.value for p in pts]
    n = len(pts)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False)) / sxx
    return Trend(origin=origin, intercept=my - slope * mx, slope=slope)


def milestone_value(
    period: Quarter, *, baseline: Point, milestones: Sequence[Point]
) -> float | None:
    """The value the milestone path asks for at ``period``.

    The path runs straight from the baseline to the first target, then from each target to the
    next. Before the baseline there is no path (None); after the last target it stays level.
    """
    if period < baseline.period:
        return None
    previous = baseline
    for milestone in sorted(milestones, key=lambda m: m.period):
        if milestone.period <= previous.period:
            continue
        if period <= milestone.period:
            span = milestone.period - previous.period
            share = (period - previous.period) / span
            return previous.value + share * (milestone.value - previous.value)
        previous = milestone
    return float(previous.value)


def percent(value: int | None, target: int) -> float | None:
    """Share of the target reached, in percent (100.0 = exactly met)."""
    if value is None or target <= 0:
        return None
    return 100.0 * value / target


@dataclass(frozen=True)
class TargetProgress:
    """Where a stock stands against one "at least" target, and where its trend leads."""

    target_value: int
    due: Quarter
    as_of: Quarter
    status: Status
    value: int | None  # at the due quarter once it has data, else the latest known
    measured_at: Quarter | None
    at_due: bool  # value is the due quarter's own snapshot
    percent: float | None
    baseline: Point | None
    expected: float | None  # milestone path at measured_at (before the due quarter)
    trend: Trend | None
    forecast_value: float | None  # trend projected to the due quarter
    forecast_meets: bool | None
    crossing: Quarter | None  # first quarter the trend reaches the target
    quarters_left: int  # from as_of to due (0 once due)
    needed_per_quarter: int | None  # average rise per quarter still needed

    @property
    def gap(self) -> int | None:
        """Value minus target (negative = short of it)."""
        return None if self.value is None else self.value - self.target_value

    @property
    def is_final(self) -> bool:
        return self.status in (Status.ACHIEVED, Status.MISSED)


def target_progress(
    *,
    target_value: int,
    due: Quarter,
    series: Sequence[Point],
    as_of: Quarter,
    baseline: Point | None,
    milestones: Sequence[Point] = (),
    margin: float = 0.05,
    window: int = 8,
) -> TargetProgress:
    """Status of an "at least" target from a quarterly stock series (docs/progress.md).

    * The due quarter has a value: *achieved* if it is ≥ the target, else *missed*.
    * The due quarter has passed without its own value: the latest value of the due year stands
      in, flagged ``at_due=False``, and the status is achieved / missed on it.
    * Before the due quarter: compare the latest value with the milestone path at that quarter:
      *on track* at or above it, *at risk* if short by at most ``margin`` × (target − baseline),
      *behind* beyond that.
    * Nothing known: *no data*.
    """
    known = sorted((p for p in series if p.period <= as_of), key=lambda p: p.period)
    trend = linear_trend(known, window=window)
    due_point = next((p for p in known if p.period == due), None)
    quarters_left = max(due - as_of, 0)

    if due_point is not None:
        point, at_due = due_point, True
    elif as_of >= due:
        in_due_year = [p for p in known if p.period.year == due.year and p.period <= due]
        point, at_due = (in_due_year[-1] if in_due_year else None), False
    else:
        point, at_due = (known[-1] if known else None), False

    forecast_value = trend.at(due) if trend else None
    forecast_meets = None if forecast_value is None else forecast_value >= target_value

    expected = None
    if point is None:
        status = Status.NO_DATA
    elif at_due or as_of >= due:
        status = Status.ACHIEVED if point.value >= target_value else Status.MISSED
    else:
        base = baseline if baseline is not None and baseline.period <= point.period else None
        if base is None:
            # No baseline, no path: judge by the target itself, else by the trend.
            met_or_heading = point.value >= target_value or bool(forecast_meets)
            status = Status.ON_TRACK if met_or_heading else Status.BEHIND
        else:
            path = [m for m in milestones if m.period != due] + [Point(due, target_value)]
            expected = milestone_value(point.period, baseline=base, milestones=path)
            shortfall = expected - point.value
            if shortfall <= 0:
                status = Status.ON_TRACK
            elif shortfall <= margin * abs(target_value - base.value):
                status = Status.AT_RISK
            else:
                status = Status.BEHIND

    crossing = None
    if trend is not None and known:
        crossing = trend.first_reaching(target_value, after=known[-1].period)
    needed = None
    if point is not None and quarters_left > 0:
        needed = max(math.ceil((target_value - known[-1].value) / quarters_left), 0)

    return TargetProgress(
        target_value=target_value,
        due=due,
        as_of=as_of,
        status=status,
        value=point.value if point else None,
        measured_at=point.period if point else None,
        at_due=at_due,
        percent=percent(point.value if point else None, target_value),
        baseline=baseline,
        expected=expected,
        trend=trend,
        forecast_value=forecast_value,
        forecast_meets=forecast_meets,
        crossing=crossing,
        quarters_left=quarters_left,
        needed_per_quarter=needed,
    )
