"""What the quarterly progress brief (the Word 工作简报, exports/brief.py) shows: the region's
dashboard as of a quarter, its divisions' own targets, and who has not reported. Read here so that
the writer stays pure; nothing is summed here (values.py), nothing is judged here (progress.py).

The brief's numbers are the region dashboard's (``region_dashboard``), the same rows its JSON
endpoints serve (docs/api.md), so the brief and ``/regions/<code>/*.json`` can never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from indicators.models import Plan, QuarterlyCount
from indicators.periods import Quarter
from indicators.progress import change_percent
from indicators.selectors.completeness import ReportStatus
from indicators.selectors.dashboards import IndicatorPanel, RegionDashboard, region_dashboard
from indicators.selectors.obligations import (
    Obligation,
    ObligationSummary,
    quarter_obligations,
    subtree_scope,
)
from indicators.selectors.progress import TargetRow, target_rows, targets_for_regions
from indicators.selectors.values import Inclusion, RegionValue, _empty, _period_q
from regions.models import Region

# Statuses of a unit that has not (yet) sent a figure for the quarter.
NOT_REPORTED = (ReportStatus.MISSING, ReportStatus.RETURNED, ReportStatus.DRAFT)


@dataclass(frozen=True)
class UnitStatus:
    """A reporting unit's workflow status for the brief's quarter (one indicator or all)."""

    region: Region
    status: ReportStatus

    @property
    def is_part(self) -> bool:
        return self.region.kind == Region.Kind.ZONE

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class Headline:
    """One indicator's key figure: the as-of quarter's value where it is complete, else the
    latest complete value (``row``) with the as-of quarter's partial sum beside it (``as_of_row``)
    and the units it lacks; the same quarter a year earlier and the change on it."""

    panel: IndicatorPanel
    row: RegionValue | None  # the figure reported: complete, or None (nothing known)
    as_of_row: RegionValue  # the as-of quarter's own value (maybe partial, maybe none)
    year_ago: RegionValue | None  # the complete value four quarters before ``row``
    yoy: float | None  # percent change on ``year_ago`` (half up, two decimals)
    not_reported: list[UnitStatus]  # units without a figure for the as-of quarter
    awaiting: list[UnitStatus]  # units whose figure awaits review

    @property
    def indicator(self):
        return self.panel.indicator

    @property
    def value(self) -> int | None:
        return self.row.value if self.row else None

    @property
    def period(self) -> Quarter | None:
        return self.row.period if self.row else None

    @property
    def is_as_of(self) -> bool:
        """The figure is the as-of quarter's own (complete) value."""
        return self.row is not None and self.row.period == self.as_of_row.period

    @property
    def partial(self) -> RegionValue | None:
        """The as-of quarter's partial sum, where it is one (never the full figure)."""
        r = self.as_of_row
        return r if r.value is not None and not r.complete else None

    @property
    def targets(self):
        return self.panel.targets


@dataclass
class BriefData:
    """Everything the brief shows, for ``region`` as of ``as_of`` with the ``include`` values."""

    dashboard: RegionDashboard
    headlines: list[Headline]
    division_targets: dict[tuple[str, str], list[TargetRow]]  # (child code, indicator code)
    reporting: ObligationSummary  # every reporting unit of the subtree at as_of (obligations)
    plans: list[Plan]  # the plans whose targets the brief shows
    has_demo: bool

    @property
    def region(self) -> Region:
        return self.dashboard.region

    @property
    def as_of(self) -> Quarter:
        return self.dashboard.as_of

    @property
    def include(self) -> Inclusion:
        return self.dashboard.include

    @property
    def panels(self) -> list[IndicatorPanel]:
        return self.dashboard.panels

    @property
    def not_reported(self) -> list[Obligation]:
        """Units whose figures for the as-of quarter are not in (the review queue's answer)."""
        return self.reporting.not_reported

    @property
    def awaiting(self) -> list[Obligation]:
        return self.reporting.waiting


def _units_at(dashboard: RegionDashboard, code: str | None) -> list[UnitStatus]:
    """Every unit of the completeness rows with its status at the as-of quarter: of indicator
    ``code``, or over the indicators (the least advanced, as the heatmap shows it)."""
    out = []
    for row in dashboard.completeness:
        cell = next((c for c in row.cells if c.period == dashboard.as_of), None)
        if cell is None:
            continue
        status = cell.status if code is None else cell.by_indicator.get(code, cell.status)
        out.append(UnitStatus(row.region, status))
    return out


def _headline(dashboard: RegionDashboard, panel: IndicatorPanel) -> Headline:
    by_period = {row.period: row for row in panel.values}
    as_of_row = by_period.get(dashboard.as_of) or _empty(
        dashboard.region.code, panel.code, dashboard.as_of
    )
    row = as_of_row if as_of_row.value is not None and as_of_row.complete else None
    row = row or panel.latest_complete
    year_ago = by_period.get(row.period - 4) if row else None
    if year_ago is not None and (year_ago.value is None or not year_ago.complete):
        year_ago = None  # a partial sum a year earlier is no comparison
    units = _units_at(dashboard, panel.code)
    return Headline(
        panel=panel,
        row=row,
        as_of_row=as_of_row,
        year_ago=year_ago,
        yoy=change_percent(row.value, year_ago.value) if row and year_ago else None,
        not_reported=[u for u in units if u.status in NOT_REPORTED],
        awaiting=[u for u in units if u.status is ReportStatus.SUBMITTED],
    )


def brief_data(
    *, region: Region, as_of: Quarter, include: Inclusion, today: dt.date | None = None
) -> BriefData:
    """The brief of ``region`` as of ``as_of`` (the caller has checked the user's scope).

    The dashboard's selector gives the values, the targets' progress, the divisions' breakdown
    and the reporting statuses; the divisions' own targets (allocated or set by a plan of their
    own) are judged by the same ``target_rows`` as every targets table. Who has reported is the
    reporting obligations of the subtree (indicators.selectors.obligations: every reporting
    unit, zones included, as the review queue counts them). Two queries besides the
    dashboard's: the divisions' targets with their values, and whether demo counts are shown.
    """
    today = today or timezone.localdate()
    dashboard = region_dashboard(region=region, as_of=as_of, include=include)
    headlines = [_headline(dashboard, panel) for panel in dashboard.panels]
    rows = target_rows(
        targets=targets_for_regions(dashboard.children), as_of=as_of, include=include
    )
    division_targets: dict[tuple[str, str], list[TargetRow]] = {}
    for row in rows:
        key = (row.target.region.code, row.target.indicator.code)
        division_targets.setdefault(key, []).append(row)
    plans = {t.plan.pk: t.plan for t in dashboard.targets}
    has_demo = any(p.is_demo for p in plans.values()) or (
        QuarterlyCount.objects.filter(region__path__startswith=region.path, is_demo=True)
        .filter(_period_q(dashboard.start, as_of))
        .exists()
    )
    return BriefData(
        dashboard=dashboard,
        headlines=headlines,
        division_targets=division_targets,
        reporting=quarter_obligations(scope=subtree_scope(region), period=as_of, today=today),
        plans=sorted(plans.values(), key=lambda p: (p.issued_on, p.pk)),
        has_demo=has_demo,
    )
