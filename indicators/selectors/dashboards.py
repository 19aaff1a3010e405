"""The region dashboard: everything one region's page shows, from one ValueGrid, its targets and
the reporting statuses. The overview and plan pages are in plans.py; sums come from values.py.

Everything a dashboard shows is computed here from the materialized values (a constant number of
queries), the targets (one query) and the reporting statuses (one query): the number of queries
does not grow with the number of regions or quarters. Charts (indicators/charts.py), tables, JSON
and CSV all read the dataclasses below, so no two outputs can disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from indicators.models import Indicator, Target
from indicators.periods import Quarter, quarter_range
from indicators.progress import change_percent, percent_of
from indicators.selectors.completeness import (
    CompletenessRow,
    ReportStatus,
    children_report_statuses,
    completeness_rows_from_statuses,
)
from indicators.selectors.progress import (
    Forecast,
    MilestonePath,
    TargetTrendRow,
    _forecast,
    _milestone_paths,
    _target_trend_rows,
    default_range,
    target_gaps,
)
from indicators.selectors.values import (
    DEFAULT_INCLUSION,
    Inclusion,
    RegionValue,
    ValueGrid,
    region_and_children_values,
)
from regions.models import Region


@dataclass(frozen=True)
class SeriesPoint:
    """One quarter of a region's indicator on its dashboard: the value (up to ``as_of``), and
    the milestone path, forecast and targets due at that quarter."""

    period: Quarter
    row: RegionValue | None  # None after as_of
    milestone: float | None
    forecast: float | None
    targets: list[Target]

    @property
    def value(self) -> int | None:
        return self.row.value if self.row else None

    @property
    def is_future(self) -> bool:
        return self.row is None


@dataclass(frozen=True)
class ChildRow:
    """A child region's value at the breakdown quarter, its share of the parent's value at the
    same quarter, and its growth against the same quarter a year earlier (stocks: never summed
    over time). A zone child is a part of its parent, not one of the parts that add up to it."""

    region: Region
    row: RegionValue
    year_ago: RegionValue
    share: float | None  # percent of the parent's value at the same quarter (2 decimals, half up)
    growth: float | None  # percent change on the same quarter a year earlier (2 decimals)

    @property
    def code(self) -> str:
        return self.region.code

    @property
    def name(self) -> str:
        return self.region.name

    @property
    def value(self) -> int | None:
        return self.row.value

    @property
    def is_part(self) -> bool:
        return self.region.kind == Region.Kind.ZONE

    @property
    def change(self) -> int | None:
        if self.row.value is None or self.year_ago.value is None:
            return None
        return self.row.value - self.year_ago.value


@dataclass
class IndicatorPanel:
    """Everything a region dashboard shows for one indicator."""

    indicator: Indicator
    series: list[SeriesPoint]  # start .. horizon (future quarters have no row)
    targets: list[TargetTrendRow]
    paths: list[MilestonePath]
    forecast: Forecast | None
    latest: RegionValue | None  # the newest quarter with a value, up to as_of
    breakdown_period: Quarter | None
    parent_row: RegionValue | None  # the region's own value at the breakdown quarter
    children: list[ChildRow]  # sorted by value, largest first; no value last

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def values(self) -> list[RegionValue]:
        return [p.row for p in self.series if p.row is not None]

    @property
    def latest_complete(self) -> RegionValue | None:
        """The newest value that is the full figure (never an incomplete roll-up)."""
        for row in reversed(self.values):
            if row.value is not None and row.complete:
                return row
        return None

    @property
    def discrepancies(self) -> list[RegionValue]:
        """Quarters whose direct value differs from the complete sum of the divisions."""
        return [r for r in self.values if r.discrepancy and r.children_complete]

    @property
    def incomplete(self) -> list[RegionValue]:
        """Quarters whose value is a roll-up over children that have not all reported."""
        return [r for r in self.values if r.value is not None and not r.complete]

    @property
    def incomplete_periods(self) -> str:
        return ", ".join(str(r.period) for r in self.incomplete)

    @property
    def children_without_value(self) -> list[ChildRow]:
        return [c for c in self.children if c.value is None]

    @property
    def breakdown_full(self) -> bool:
        """Every child has a value at the breakdown quarter (the shares are read in full)."""
        return bool(self.children) and all(c.value is not None for c in self.children)


@dataclass
class RegionDashboard:
    """A region's dashboard: one panel per indicator, the region's targets, and the quarters
    shown (``start``..``as_of`` measured, up to ``horizon`` for targets still ahead)."""

    region: Region
    as_of: Quarter
    include: Inclusion
    start: Quarter
    horizon: Quarter
    children: list[Region]
    completeness_quarters: list[Quarter]
    completeness: list[CompletenessRow]  # the children (or the region itself) × those quarters
    panels: list[IndicatorPanel]

    @property
    def targets(self) -> list[TargetTrendRow]:
        return [row for panel in self.panels for row in panel.targets]

    @property
    def completeness_of_children(self) -> bool:
        """False where no child reports, so the heatmap shows the region itself."""
        return any(row.region.pk != self.region.pk for row in self.completeness)


def _breakdown_period(grid: ValueGrid, region_code: str, indicator_code: str) -> Quarter | None:
    """The latest quarter at which the region and every child (zones too) have a value, so that
    the shares are read against a full set; else the latest quarter with any of them."""
    codes = [region_code, *grid.children_of.get(region_code, [])]
    for period in reversed(grid.quarters):
        if all(grid.get(c, indicator_code, period).value is not None for c in codes):
            return period
    for period in reversed(grid.quarters):
        if any(grid.get(c, indicator_code, period).value is not None for c in codes):
            return period
    return None


def _children_rows(
    grid: ValueGrid, region_code: str, indicator_code: str, period: Quarter | None
) -> list[ChildRow]:
    if period is None:
        return []
    parent = grid.get(region_code, indicator_code, period)
    rows = []
    for child in grid.children(region_code):
        row = grid.get(child.code, indicator_code, period)
        year_ago = grid.get(child.code, indicator_code, period - 4)
        # Exact from the counts, rounded half up once: the page, JSON, CSV and Excel agree.
        share = percent_of(row.value, parent.value)
        growth = change_percent(row.value, year_ago.value)
        rows.append(ChildRow(child, row, year_ago, share, growth))
    return sorted(rows, key=lambda c: (c.value is None, -(c.value or 0), c.code))


def targets_of_region(region: Region) -> list[Target]:
    """Targets set for exactly ``region`` (any plan), with plan, region and indicator; one query."""
    return list(
        Target.objects.filter(region=region)
        .select_related("plan", "region", "indicator", "allocated_from__region")
        .order_by("plan__issued_on", "plan_id", "indicator__sort_order", "due_year", "due_quarter")
    )


def region_dashboard(
    *,
    region: Region,
    as_of: Quarter,
    include: Inclusion = DEFAULT_INCLUSION,
    completeness_span: int = 12,
) -> RegionDashboard:
    """Everything the dashboard of ``region`` shows, in five queries whatever the tree or range:
    indicators, targets, the children and the materialized values of the region and its
    children (:func:`region_and_children_values`), and the reporting statuses
    (:func:`children_report_statuses`, one set-based query over the whole subtree).

    Per indicator: the quarterly values from 2017Q4 (or the earliest plan's baseline) to
    ``as_of``; the milestone path of each plan setting targets for the region; the forecast of
    the targets still ahead; the children's values at the breakdown quarter with shares and
    year-on-year growth. Then the children's reporting status over the last
    ``completeness_span`` quarters, the least advanced over the indicators: the children that
    report (or have reported), else the region itself.
    """
    indicators = list(Indicator.objects.all())
    targets = targets_of_region(region)
    start = min([default_range(as_of=as_of)[0], as_of] + [t.plan.issued_quarter for t in targets])
    horizon = max([as_of] + [t.due for t in targets])
    grid = region_and_children_values(
        root=region, start=start, end=as_of, indicators=indicators, include=include
    )
    recent = list(quarter_range(max(start, as_of - (completeness_span - 1)), as_of))
    statuses = children_report_statuses(
        region=region, start=recent[0], end=as_of, indicators=indicators
    )
    children = grid.children(region.code)
    # What past due quarters lack, for every target at once (no query unless one does).
    gaps = target_gaps(targets=targets, grid=grid, as_of=as_of)

    panels = []
    for indicator in indicators:
        code = indicator.code
        mine = [t for t in targets if t.indicator_id == indicator.pk]
        rows = _target_trend_rows(targets=mine, grid=grid, as_of=as_of, gaps=gaps)
        paths = _milestone_paths(
            targets=mine, grid=grid, region_code=region.code, indicator_code=code
        )
        forecast = _forecast(rows)
        due_at: dict[Quarter, list[Target]] = defaultdict(list)
        for t in mine:
            due_at[t.due].append(t)
        series = []
        for q in quarter_range(start, horizon):
            # Where two plans' paths overlap, the later plan's path is the one in force.
            milestone = next((v for p in reversed(paths) if (v := p.value_at(q)) is not None), None)
            series.append(
                SeriesPoint(
                    q,
                    grid.get(region.code, code, q) if q <= as_of else None,
                    milestone,
                    forecast.value_at(q) if forecast else None,
                    due_at.get(q, []),
                )
            )
        period = _breakdown_period(grid, region.code, code) if children else None
        panels.append(
            IndicatorPanel(
                indicator=indicator,
                series=series,
                targets=rows,
                paths=paths,
                forecast=forecast,
                latest=grid.latest(region.code, code),
                breakdown_period=period,
                parent_row=grid.get(region.code, code, period) if period else None,
                children=_children_rows(grid, region.code, code, period),
            )
        )
    codes = [i.code for i in indicators]
    completeness = [
        row
        for row in completeness_rows_from_statuses(
            statuses=statuses, regions=children, indicator_codes=codes, quarters=recent
        )
        if any(c.status is not ReportStatus.NOT_EXPECTED for c in row.cells)
    ]
    if not completeness:  # no child reports (Beihai's districts): the region's own status
        completeness = completeness_rows_from_statuses(
            statuses=statuses, regions=[region], indicator_codes=codes, quarters=recent
        )
    return RegionDashboard(
        region, as_of, include, start, horizon, children, recent, completeness, panels
    )
