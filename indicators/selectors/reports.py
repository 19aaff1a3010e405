"""What the Excel report and the import template show (ReportData, stored counts), read here so
that exports.py and imports.py stay pure. Values come from values.py; nothing is summed here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db.models import Q

from indicators.models import Indicator, Plan, QuarterlyCount
from indicators.periods import Quarter, quarter_range
from indicators.selectors.progress import (
    TargetRow,
    target_rows,
    targets_for_regions,
)
from indicators.selectors.values import (
    DEFAULT_INCLUSION,
    Inclusion,
    RegionValue,
    ValueGrid,
    _period_q,
    _stream_subtree,
    region_and_children_values,
    subtree_values,
)
from regions.models import Region
from regions.selectors import access_for


@dataclass(frozen=True)
class ReportData:
    """Everything the Excel report shows, read here so that exports.py stays pure.

    ``grid`` holds the stock of every region of ``root``'s subtree × indicator × quarter of
    ``start``..``end`` (summed over regions per quarter, never over time); ``targets`` are the
    targets set anywhere in the subtree with their progress as of ``as_of``: min(``end``, the
    last complete quarter), with the statuses of the targets JSON for that quarter.
    """

    root: Region
    start: Quarter
    end: Quarter
    include: Inclusion
    indicators: list[Indicator]
    grid: ValueGrid
    regions: list[Region]  # the subtree in path order (root first)
    parent_code: dict[str, str | None]
    targets: list[TargetRow]  # judged as of ``as_of``
    plans: list[Plan]  # the source plans: plans of the targets shown, and plans of the subtree
    has_demo: bool  # demo counts in the subtree and range, or a demo plan among the sources
    # Streamed reads for a large subtree (``grid`` then holds only the root and its children):
    # called with ``by_indicator``, yields (region, indicator, series) like :meth:`series_rows`.
    stream: Callable[..., Iterator[tuple[Region, Indicator, list[RegionValue]]]] | None = None
    quarterly_only: bool = False  # a data dump: the Quarterly sheet alone
    # The quarter the targets are judged as of: ``end``, or the last complete quarter if that
    # is earlier (a quarter still under way, or ahead, is never judged on).
    as_of: Quarter | None = None
    # The plans' tasks and progress reports (tasks.selectors.rows.task_sheet_rows), for the
    # "任务进展 Tasks" sheet; None: no such sheet.
    tasks: list | None = None
    # The assessment ranking of the root's divisions as of ``as_of`` (selectors/assessment/)
    # for the "考核排名 Assessment" sheet; None: no such sheet (no divisions, or a data dump).
    assessment: object | None = None

    def series_rows(
        self, *, by_indicator: bool = False
    ) -> Iterator[tuple[Region, Indicator, list[RegionValue]]]:
        """Every region × indicator with its quarterly series, regions in path order; region
        first (the Quarterly sheet), or indicator first with ``by_indicator`` (the Wide sheet)."""
        if self.stream is not None:
            yield from self.stream(by_indicator=by_indicator)
            return
        pairs = (
            ((r, i) for i in self.indicators for r in self.regions)
            if by_indicator
            else ((r, i) for r in self.regions for i in self.indicators)
        )
        for region, indicator in pairs:
            yield region, indicator, self.grid.series(region.code, indicator.code)


STREAM_CELLS = 50_000  # above this many region × indicator × quarter cells, reports stream


def report_data(
    *,
    user,
    root: Region,
    start: Quarter,
    end: Quarter,
    indicators: Sequence[Indicator],
    include: Inclusion = DEFAULT_INCLUSION,
    stream: bool | None = None,
    quarterly_only: bool = False,
) -> ReportData:
    """The report of ``root``'s subtree for ``start``..``end``; PermissionDenied outside the
    user's scope (a visible root means its whole subtree is visible).

    A large subtree (more than ``STREAM_CELLS`` cells, or ``stream=True``) is not held in
    memory: its values are streamed from the roll-up cache while the sheets are written
    (``ReportData.series_rows``), and ``grid`` holds the root and its children only.
    ``quarterly_only`` asks for the Quarterly sheet alone (a data dump)."""
    from django.core.exceptions import PermissionDenied

    if not access_for(user).can_view(root):
        raise PermissionDenied
    indicators = list(indicators)
    regions = list(Region.objects.filter(path__startswith=root.path, active=True).order_by("path"))
    n_quarters = len(list(quarter_range(start, end)))
    if stream is None:
        stream = len(regions) * len(indicators) * n_quarters > STREAM_CELLS
    if stream:
        # The roll-up cache, streamed for the sheets; the grid only for the root's chart.
        grid = region_and_children_values(
            root=root, start=start, end=end, indicators=indicators, include=include
        )
        reader = _stream_subtree(
            root=root, regions=regions, indicators=indicators, start=start, end=end,
            include=include,
        )  # fmt: skip
    else:
        grid = subtree_values(
            root=root, start=start, end=end, indicators=indicators, include=include
        )
        reader = None
    by_pk = {r.pk: r.code for r in regions}
    parent_code = {r.code: by_pk.get(r.parent_id) for r in regions}
    wanted = {i.pk for i in indicators}
    targets = [t for t in targets_for_regions(regions) if t.indicator_id in wanted]
    as_of = min(end, Quarter.last_complete())
    rows = target_rows(targets=targets, as_of=as_of, include=include)
    plans = {t.plan_id: t.plan for t in targets}
    for plan in Plan.objects.filter(region__in=regions).select_related("region", "parent"):
        plans.setdefault(plan.pk, plan)
    plan_list = sorted(plans.values(), key=lambda p: (p.issued_on, p.pk))
    has_demo = any(p.is_demo for p in plan_list) or (
        QuarterlyCount.objects.filter(
            region__path__startswith=root.path, is_demo=True, indicator__in=indicators
        )
        .filter(_period_q(start, end))
        .exists()
    )
    return ReportData(
        root=root,
        start=start,
        end=end,
        include=include,
        indicators=indicators,
        grid=grid,
        regions=regions,
        parent_code=parent_code,
        targets=rows,
        plans=plan_list,
        has_demo=has_demo,
        stream=reader,
        quarterly_only=quarterly_only,
        as_of=as_of,
        tasks=None if quarterly_only else _task_rows(user=user, root=root, start=start, end=end),
        assessment=None if quarterly_only else _assessment(root, as_of, include),
    )


def _assessment(root: Region, as_of: Quarter, include: Inclusion):
    """The ranking of the root's divisions (None without any)."""
    from indicators.selectors.assessment import region_assessment

    result = region_assessment(region=root, period=as_of, include=include)
    return result if result.rows else None


def _task_rows(**kwargs) -> list:
    """The Tasks sheet's rows, read by the tasks app's own selector."""
    from django.utils import timezone

    from tasks.selectors.rows import task_sheet_rows

    return task_sheet_rows(**kwargs, today=timezone.localdate())


def stored_counts(
    *, keys: Iterable[tuple[str, Quarter]]
) -> dict[tuple[str, Quarter, str], QuarterlyCount]:
    """The counts stored (any status) for the given (region code, quarter) pairs, keyed by
    (region code, quarter, indicator code): what an import would change, and their versions."""
    from functools import reduce
    from operator import or_

    keys = set(keys)
    if not keys:
        return {}
    codes = {code for code, _ in keys}
    periods = {period for _, period in keys}
    period_q = reduce(or_, (Q(year=p.year, quarter=p.quarter) for p in periods))
    rows = (
        QuarterlyCount.objects.filter(region__code__in=codes)
        .filter(period_q)
        .select_related("region", "indicator")
    )
    return {
        (c.region.code, c.period, c.indicator.code): c
        for c in rows
        if (c.region.code, c.period) in keys
    }


def import_template_rows(
    *, regions: Sequence[Region], period: Quarter
) -> list[tuple[Region, dict[str, QuarterlyCount]]]:
    """For each region, its stored counts of ``period`` by indicator code (to pre-fill a template)."""
    stored = stored_counts(keys=[(r.code, period) for r in regions])
    result = []
    for region in regions:
        counts = {ind: c for (code, _p, ind), c in stored.items() if code == region.code}
        result.append((region, counts))
    return result
