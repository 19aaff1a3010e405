"""Progress and growth of a division, per indicator: the target in force, the baseline, the
value judged, the milestone path, and the points (docs/progress.md, "Assessment"). Reads a value
grid (values.py sums); nothing is summed here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from indicators.models import Indicator, Plan, Target
from indicators.periods import Quarter
from indicators.progress import Point, increase_fraction, milestone_value
from indicators.selectors.assessment.base import HUNDRED, Component, Reason
from indicators.selectors.values import ValueGrid
from regions.models import Region


@dataclass(frozen=True)
class IndicatorInputs:
    """What progress and growth read for one indicator of one division (all exact).

    ``target_value`` is the division's allocation, or (``basis`` "shared") its share of the
    parent's target: parent target × division baseline ÷ parent baseline. ``expected`` is the
    milestone path at the value's quarter, ``expected_year_ago`` four quarters earlier (the
    baseline where that is before the baseline quarter)."""

    indicator: Indicator
    parent_target: Target | None = None
    basis: str = ""  # "allocated", "shared", or "" without a target
    target_value: Fraction | None = None
    due: Quarter | None = None
    baseline: Point | None = None
    parent_baseline: Point | None = None
    value: Point | None = None
    expected: Fraction | None = None
    year_ago: Point | None = None
    expected_year_ago: Fraction | None = None
    progress_points: Fraction | None = None
    progress_reason: Reason | None = None
    growth_points: Fraction | None = None
    growth_reason: Reason | None = None

    @property
    def achieved_increase(self) -> int | None:
        if self.value is None or self.baseline is None:
            return None
        return self.value.value - self.baseline.value

    @property
    def expected_increase(self) -> Fraction | None:
        if self.expected is None or self.baseline is None:
            return None
        return self.expected - self.baseline.value

    @property
    def year_increase(self) -> int | None:
        if self.value is None or self.year_ago is None:
            return None
        return self.value.value - self.year_ago.value

    @property
    def expected_year_increase(self) -> Fraction | None:
        if self.expected is None or self.expected_year_ago is None:
            return None
        return self.expected - self.expected_year_ago


def in_force(plan: Plan, period: Quarter) -> bool:
    """The plan has been issued by ``period`` and was not out of force during it (a plan
    invalidated in 2023, 甘政发〔2023〕60号, sets no target for 2023Q1 on)."""
    start = plan.invalidated_from
    return plan.issued_quarter <= period and (start is None or start > period.end_date)


def target_in_force(targets: Sequence[Target], period: Quarter) -> Target | None:
    """Of a region's own targets for one indicator, the one ``period`` is assessed against:
    of the plans in force, the first due at or after ``period``, else the last one due."""
    live = [t for t in targets if in_force(t.plan, period)]
    ahead = [t for t in live if t.due >= period]
    if ahead:
        return min(ahead, key=lambda t: (t.due, t.pk))
    return max(live, key=lambda t: (t.due, t.pk)) if live else None


def _complete(grid: ValueGrid, code: str, ind: str, period: Quarter) -> Point | None:
    cell = grid.get(code, ind, period)
    if cell.value is None or not cell.complete:
        return None
    return Point(period, cell.value)


def _latest(grid: ValueGrid, code: str, ind: str, upto: Quarter) -> Point | None:
    points = [p for p in grid.points(code, ind) if p.period <= upto]
    return points[-1] if points else None


def _path(baseline: Point, milestones: Sequence[Point], period: Quarter) -> Fraction:
    value = milestone_value(period, baseline=baseline, milestones=milestones, exact=True)
    return Fraction(baseline.value) if value is None else value


def _points(percent: Fraction | None) -> Fraction | None:
    """A percentage as points: capped at 100, a fall (below 0) gives 0."""
    return None if percent is None else min(max(percent, Fraction(0)), HUNDRED)


def indicator_inputs(
    *,
    grid: ValueGrid,
    region: Region,
    child: Region,
    indicator: Indicator,
    period: Quarter,
    parent: Target | None,
    parent_milestones: Sequence[Target],
    allocations: Sequence[Target],
) -> IndicatorInputs:
    """Progress and growth of one division and indicator (docs/progress.md, "Assessment").

    ``parent``: the region's target in force; ``parent_milestones``: the region's targets of the
    same plan and indicator; ``allocations``: the division's targets allocated from them."""
    ind = indicator.code
    if parent is None:
        return IndicatorInputs(
            indicator,
            progress_reason=Reason.NO_TARGET,
            growth_reason=Reason.NO_TARGET,
        )
    base_q = parent.plan.issued_quarter
    baseline = _complete(grid, child.code, ind, base_q)
    mine = next((t for t in allocations if t.allocated_from_id == parent.pk), None)
    parent_baseline = None
    if mine is not None:
        basis, target_value = "allocated", Fraction(mine.value)
        by_parent = {t.allocated_from_id: t for t in allocations}
        milestones = [
            Point(t.due, by_parent[t.pk].value) for t in parent_milestones if t.pk in by_parent
        ]
    else:
        basis = "shared"
        parent_baseline = _complete(grid, region.code, ind, base_q)
        if parent_baseline is None or parent_baseline.value <= 0 or baseline is None:
            reason = Reason.NO_BASELINE if baseline is None else Reason.NO_PARENT_BASELINE
            return IndicatorInputs(
                indicator, parent, basis, None, parent.due, baseline, parent_baseline,
                value=_latest(grid, child.code, ind, min(period, parent.due)),
                progress_reason=reason, growth_reason=reason,
            )  # fmt: skip
        ratio = Fraction(baseline.value, parent_baseline.value)
        target_value = parent.value * ratio
        milestones = [Point(t.due, t.value * ratio) for t in parent_milestones]
    value = _latest(grid, child.code, ind, min(period, parent.due))
    common = dict(
        indicator=indicator, parent_target=parent, basis=basis, target_value=target_value,
        due=parent.due, baseline=baseline, parent_baseline=parent_baseline, value=value,
    )  # fmt: skip
    if baseline is None:
        return IndicatorInputs(
            **common, progress_reason=Reason.NO_BASELINE, growth_reason=Reason.NO_BASELINE
        )
    if value is None:
        return IndicatorInputs(
            **common, progress_reason=Reason.NO_VALUE, growth_reason=Reason.NO_VALUE
        )
    expected = _path(baseline, milestones, value.period)
    # The dashboards' share of the required increase, against the path's point (exact).
    progress_points = _points(increase_fraction(value.value, baseline.value, expected))
    progress_reason = Reason.NO_INCREASE if progress_points is None else None
    year_ago = _complete(grid, child.code, ind, value.period - 4)
    expected_year_ago, growth_points, growth_reason = None, None, None
    if year_ago is None:
        growth_reason = Reason.NO_YEAR_AGO
    else:
        # The same measure over the year: the increase since the value four quarters earlier
        # against the increase the path asks for over those quarters.
        expected_year_ago = _path(baseline, milestones, value.period - 4)
        share = increase_fraction(
            value.value, year_ago.value, year_ago.value + expected - expected_year_ago
        )
        growth_points = _points(share)
        growth_reason = Reason.NO_INCREASE if growth_points is None else None
    return IndicatorInputs(
        **common, expected=expected, year_ago=year_ago, expected_year_ago=expected_year_ago,
        progress_points=progress_points, progress_reason=progress_reason,
        growth_points=growth_points, growth_reason=growth_reason,
    )  # fmt: skip


def mean_of(inputs: Sequence[IndicatorInputs], name: str) -> Component:
    """The mean of the indicators' points where they apply; else not applicable, with the
    indicators' reasons."""
    points = [getattr(i, f"{name}_points") for i in inputs]
    known = [p for p in points if p is not None]
    if known:
        return Component(sum(known, Fraction(0)) / len(known))
    reasons = tuple(dict.fromkeys(getattr(i, f"{name}_reason") for i in inputs))
    return Component(None, reasons[0] if reasons else Reason.NO_VALUE, reasons)
