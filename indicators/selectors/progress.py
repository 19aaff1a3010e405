"""Targets with their progress and trend lines, read from a ValueGrid (values.py). The maths
itself is indicators/progress.py (pure); nothing is summed here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

from indicators.models import Plan, Target
from indicators.periods import Quarter, quarter_range
from indicators.progress import (
    Point,
    TargetProgress,
    Trend,
    milestone_value,
    target_progress,
)
from indicators.selectors.values import (
    Inclusion,
    RegionValue,
    ValueGrid,
    regions_values,
)
from regions.models import Region


@dataclass(frozen=True)
class TargetRow:
    """A target with its plan and its progress, as every output shows it."""

    target: Target
    progress: TargetProgress

    @property
    def plan(self) -> Plan:
        return self.target.plan


def progress_settings() -> dict:
    cfg = settings.CERTTRACK
    return {"margin": cfg["AT_RISK_MARGIN"], "window": cfg["FORECAST_QUARTERS"]}


def target_progress_from_grid(
    *, target: Target, grid: ValueGrid, as_of: Quarter, milestones: Sequence[Target] = ()
) -> TargetProgress:
    """Progress of ``target`` from an already computed grid holding its region and indicator.

    The baseline is the value at the quarter the plan was issued (docs/progress.md); the
    milestone path runs through every target of the same plan, region and indicator.
    """
    code, ind = target.region.code, target.indicator.code
    points = [p for p in grid.points(code, ind) if p.period <= as_of]
    base_q = target.plan.issued_quarter
    base_row = grid.get(code, ind, base_q)
    baseline = Point(base_q, base_row.value) if base_row.value is not None else None
    return target_progress(
        target_value=target.value,
        due=target.due,
        series=points,
        as_of=as_of,
        baseline=baseline,
        milestones=[Point(m.due, m.value) for m in milestones],
        **progress_settings(),
    )


def targets_for_regions(regions: Iterable[Region]) -> list[Target]:
    """Targets set for any of ``regions``, with plan, region and indicator in the same query."""
    return list(
        Target.objects.filter(region__in=list(regions))
        .select_related("plan", "plan__parent", "region", "indicator")
        .order_by(
            "plan__issued_on", "region__path", "indicator__sort_order", "due_year", "due_quarter"
        )
    )


def default_range(*, as_of: Quarter | None = None) -> tuple[Quarter, Quarter]:
    """The range dashboards show by default: 2017Q4 (the demo series start) to ``as_of``."""
    end = as_of or Quarter.last_complete()
    return Quarter(2017, 4), end


def target_rows(
    *,
    targets: Sequence[Target],
    as_of: Quarter | None = None,
    include: Inclusion = Inclusion.SUBMITTED,
    start: Quarter | None = None,
) -> list[TargetRow]:
    """Progress for each target; the values of all target regions come in one query."""
    as_of = as_of or Quarter.last_complete()
    if not targets:
        return []
    by_key: dict[tuple, list[Target]] = defaultdict(list)
    for t in targets:
        by_key[(t.plan_id, t.region_id, t.indicator_id)].append(t)
    begin = start or min([Quarter(2017, 4)] + [t.plan.issued_quarter for t in targets])
    regions = list({t.region_id: t.region for t in targets}.values())
    grid = regions_values(regions=regions, start=begin, end=as_of, include=include)
    return [
        TargetRow(
            t,
            target_progress_from_grid(
                target=t,
                grid=grid,
                as_of=as_of,
                milestones=by_key[(t.plan_id, t.region_id, t.indicator_id)],
            ),
        )
        for t in targets
    ]


@dataclass(frozen=True)
class MilestonePath:
    """The milestone path of one plan for one region and indicator: its vertices, in order
    (the baseline, then each target of the plan); straight lines between them."""

    plan: Plan
    points: list[Point]

    @property
    def baseline(self) -> Point:
        return self.points[0]

    def value_at(self, period: Quarter) -> float | None:
        """The path's value at ``period`` within its span (baseline to last target), else None."""
        if not self.baseline.period <= period <= self.points[-1].period:
            return None
        return milestone_value(period, baseline=self.baseline, milestones=self.points[1:])


@dataclass(frozen=True)
class Forecast:
    """The least-squares trend of a series, drawn from its first window quarter to ``end``
    (the furthest due quarter of a target still ahead)."""

    trend: Trend
    start: Quarter
    end: Quarter

    def value_at(self, period: Quarter) -> float | None:
        return self.trend.at(period) if self.start <= period <= self.end else None

    @property
    def points(self) -> list[tuple[Quarter, float]]:
        return [(q, self.trend.at(q)) for q in quarter_range(self.start, self.end)]


@dataclass(frozen=True)
class TargetTrendRow:
    """A target with its progress and the numbers behind its trend line.

    ``series`` runs from the plan's baseline quarter (or 8 quarters before ``as_of``, if earlier)
    to the due quarter or ``as_of``, whichever is earlier.
    """

    target: Target
    progress: TargetProgress
    series: list[RegionValue]
    path: MilestonePath | None
    forecast: Forecast | None

    @property
    def plan(self) -> Plan:
        return self.target.plan

    @property
    def is_ahead(self) -> bool:
        return not self.progress.is_final


def _milestone_paths(
    *, targets: Sequence[Target], grid: ValueGrid, region_code: str, indicator_code: str
) -> list[MilestonePath]:
    """One path per plan: the plan's baseline (value at its issued quarter), then its targets."""
    by_plan: dict[int, list[Target]] = defaultdict(list)
    for t in targets:
        by_plan[t.plan_id].append(t)
    paths = []
    for plan_targets in by_plan.values():
        plan = plan_targets[0].plan
        base = grid.get(region_code, indicator_code, plan.issued_quarter)
        if base.value is None:
            continue  # no baseline, no path (the same baseline as target_progress_from_grid)
        vertices = [Point(plan.issued_quarter, base.value)]
        vertices += [Point(t.due, t.value) for t in sorted(plan_targets, key=lambda t: t.due)]
        paths.append(MilestonePath(plan, vertices))
    return sorted(paths, key=lambda p: (p.plan.issued_on, p.plan.pk or 0))


def _forecast(rows: Sequence[TargetTrendRow]) -> Forecast | None:
    """The trend of the targets still ahead (the same series, so the same trend for all),
    drawn to the furthest of their due quarters."""
    ahead = [r for r in rows if r.is_ahead and r.progress.trend is not None]
    if not ahead:
        return None
    trend = ahead[0].progress.trend
    end = max(r.target.due for r in ahead)
    return Forecast(trend, trend.origin, end)


def _target_trend_rows(
    *, targets: Sequence[Target], grid: ValueGrid, as_of: Quarter
) -> list[TargetTrendRow]:
    """Progress (indicators.progress, via target_progress_from_grid) and trend data per target."""
    by_key: dict[tuple, list[Target]] = defaultdict(list)
    for t in targets:
        by_key[(t.plan_id, t.region_id, t.indicator_id)].append(t)
    rows = []
    for t in targets:
        code, ind = t.region.code, t.indicator.code
        siblings = by_key[(t.plan_id, t.region_id, t.indicator_id)]
        progress = target_progress_from_grid(target=t, grid=grid, as_of=as_of, milestones=siblings)
        paths = _milestone_paths(targets=siblings, grid=grid, region_code=code, indicator_code=ind)
        first = min(t.plan.issued_quarter, as_of - 8)
        last = min(t.due, as_of)
        series = (
            [grid.get(code, ind, q) for q in quarter_range(first, last)] if first <= last else []
        )
        row = TargetTrendRow(t, progress, series, paths[0] if paths else None, None)
        forecast = _forecast([row])
        if forecast is not None:
            row = TargetTrendRow(t, progress, series, row.path, forecast)
        rows.append(row)
    return rows
