"""Targets with their progress and trend lines, read from a ValueGrid (values.py). The maths
itself is indicators/progress.py (pure); nothing is summed here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet

from indicators.models import Indicator, Plan, QuarterlyCount, RollupCell, Target
from indicators.periods import Quarter, quarter_range
from indicators.progress import (
    BaselineNote,
    DueGap,
    Point,
    TargetProgress,
    Trend,
    milestone_value,
    target_progress,
)
from indicators.selectors.values import (
    DEFAULT_INCLUSION,
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


@dataclass(frozen=True)
class TargetGap:
    """What the values of ``grid.include`` alone cannot tell about a target: what its due
    quarter lacks (divisions without a full value, counts awaiting review) and why it has no
    baseline. Read by :func:`target_gaps`, set-wise for many targets."""

    due_gap: DueGap | None = None
    baseline_note: BaselineNote | None = None


def baseline_of(
    *, target: Target, grid: ValueGrid, as_of: Quarter
) -> tuple[Point | None, BaselineNote | None]:
    """The plan's baseline for ``target``: the *complete* value of the plan's issued quarter
    under the grid's values (docs/progress.md). A partial roll-up is no baseline (note
    *incomplete*); nothing known: *no data*. A plan not issued as of ``as_of`` has neither."""
    base_q = target.plan.issued_quarter
    if base_q > as_of:
        return None, None
    row = grid.get(target.region.code, target.indicator.code, base_q)
    if row.value is None:
        return None, BaselineNote.NO_DATA
    if not row.complete:
        return None, BaselineNote.INCOMPLETE
    return Point(base_q, row.value), None


def target_progress_from_grid(
    *,
    target: Target,
    grid: ValueGrid,
    as_of: Quarter,
    milestones: Sequence[Target] = (),
    gap: TargetGap | None = None,
) -> TargetProgress:
    """Progress of ``target`` from an already computed grid holding its region and indicator.

    The baseline is the complete value at the quarter the plan was issued (:func:`baseline_of`);
    the milestone path runs through every target of the same plan, region and indicator.
    ``gap`` (from :func:`target_gaps`) says what a past due quarter lacks (status *pending*)
    and why the baseline is missing where the grid alone cannot tell.
    """
    code, ind = target.region.code, target.indicator.code
    points = grid.points(code, ind)
    if points and points[-1].period > as_of:  # oldest first: nothing to drop otherwise
        points = [p for p in points if p.period <= as_of]
    baseline, note = baseline_of(target=target, grid=grid, as_of=as_of)
    if gap is not None and gap.baseline_note is not None and baseline is None:
        note = gap.baseline_note
    return target_progress(
        target_value=target.value,
        due=target.due,
        series=points,
        as_of=as_of,
        baseline=baseline,
        milestones=[Point(m.due, m.value) for m in milestones],
        issued=target.plan.issued_quarter,
        withdrawn=target.plan.withdraws(target.due),
        baseline_note=note,
        due_gap=gap.due_gap if gap is not None else None,
        **progress_settings(),
    )


def _at_quarters(quarters: Iterable[Quarter]) -> Q:
    """Rows of any of ``quarters`` (a year and its quarters per term)."""
    by_year: dict[int, set[int]] = defaultdict(set)
    for q in quarters:
        by_year[q.year].add(q.quarter)
    out = Q(pk__in=[])
    for year, qs in sorted(by_year.items()):
        out |= Q(year=year, quarter__in=sorted(qs))
    return out


def target_gaps(
    *, targets: Sequence[Target], grid: ValueGrid, as_of: Quarter
) -> dict[int, TargetGap]:
    """For each target (by pk) whose due quarter has passed without a complete value, what that
    value lacks; and, in the approved-only view, whether a baseline quarter without an approved
    value has counts awaiting review (then the baseline is *incomplete*, not *no data*).

    The one home of "pending" (docs/progress.md, issue 22.1): a due quarter for which a count
    **exists** (any status: a draft, a returned or reopened count, or in the approved-only view
    one awaiting review) but whose value is not complete is pending, whether the region has
    divisions or enters its own count (Beihai). Only where **no count at all** exists for the due
    quarter (the region's own or its divisions') is it no gap: the latest value of the due year
    then stands in for it.

    Nothing is read where the grid answers already (no query at all then); otherwise at most
    three queries for every target together, whatever their number: the counts (any status) of
    the due quarters in the targets' regions and below, then, where some exist, the division
    children of those regions and the materialized values (both inclusions) of those regions
    and children at the quarters concerned.
    """
    approved_only = grid.include is Inclusion.APPROVED
    due_of: dict[int, Target] = {}
    base_of: dict[int, Target] = {}
    for t in targets:
        code, ind = t.region.code, t.indicator.code
        if as_of >= t.due:
            cell = grid.get(code, ind, t.due)
            if cell.value is None or not cell.complete:
                due_of[t.pk] = t
        base_q = t.plan.issued_quarter
        if approved_only and base_q <= as_of and grid.get(code, ind, base_q).value is None:
            base_of[t.pk] = t
    if not due_of and not base_of:
        return {}

    # Every count of the due quarters in the targets' regions and below, whatever its status
    # (a reopened count is a returned one): it says that the quarter is being reported, so a
    # value that is not complete is pending. One query; none of it where no target is due.
    count_status: dict[tuple[int, int, Quarter], str] = {}
    reported: set[tuple[int, int, Quarter]] = set()  # (target region, indicator, quarter)
    if due_of:
        by_path = {t.region.path: t.region_id for t in due_of.values()}
        under = Q(pk__in=[])
        for path in sorted(by_path):
            under |= Q(region__path__startswith=path)
        for region_id, path, indicator_id, year, quarter, status in (
            QuarterlyCount.objects.filter(under)
            .filter(indicator_id__in=sorted({t.indicator_id for t in due_of.values()}))
            .filter(_at_quarters({t.due for t in due_of.values()}))
            .values_list("region_id", "region__path", "indicator_id", "year", "quarter", "status")
        ):
            period = Quarter(year, quarter)
            count_status[(region_id, indicator_id, period)] = status
            for top, top_id in by_path.items():
                if path.startswith(top):
                    reported.add((top_id, indicator_id, period))
        # No count at all for the due quarter: no gap, the due year's latest stands in.
        due_of = {
            pk: t for pk, t in due_of.items() if (t.region_id, t.indicator_id, t.due) in reported
        }
    if not due_of and not base_of:
        return {}

    kids: dict[int, list[Region]] = defaultdict(list)
    if due_of:
        for kid in (
            Region.objects.filter(
                parent_id__in=sorted({t.region_id for t in due_of.values()}),
                active=True,
                kind=Region.Kind.DIVISION,
            )
            .only("code", "name_zh", "name_en", "parent_id")
            .order_by("code")
        ):
            kids[kid.parent_id].append(kid)
    concerned = [*due_of.values(), *base_of.values()]
    region_ids = {t.region_id for t in concerned} | {k.pk for ks in kids.values() for k in ks}
    indicator_ids = sorted({t.indicator_id for t in concerned})
    quarters = {t.due for t in due_of.values()} | {t.plan.issued_quarter for t in base_of.values()}
    cells = {
        (region_id, indicator_id, Quarter(year, quarter), inclusion): (value, complete, source)
        for region_id, indicator_id, year, quarter, inclusion, value, complete, source in (
            RollupCell.objects.filter(
                region_id__in=sorted(region_ids), indicator_id__in=indicator_ids
            )
            .filter(_at_quarters(quarters))
            .values_list(
                "region_id", "indicator_id", "year", "quarter", "inclusion", "value", "complete",
                "source",
            )
        )
    }  # fmt: skip

    def full(region_id: int, indicator_id: int, period: Quarter, inclusion: Inclusion) -> bool:
        cell = cells.get((region_id, indicator_id, period, inclusion.value))
        return cell is not None and cell[1]

    out: dict[int, TargetGap] = {}
    submitted = Inclusion.SUBMITTED
    for pk, t in due_of.items():
        own = count_status.get((t.region_id, t.indicator_id, t.due))
        region_kids = kids.get(t.region_id, [])
        missing, awaiting = [], []
        if own is not None and own not in grid.include.statuses:
            # The region's own count is there but does not count (yet): returned, reopened or
            # a draft (missing a full value), or in the approved-only view awaiting review.
            entry = (t.region.code, t.region.name)
            (awaiting if own == QuarterlyCount.Status.SUBMITTED else missing).append(entry)
        elif own is None:
            for kid in region_kids:
                if full(kid.pk, t.indicator_id, t.due, grid.include):
                    continue
                if full(kid.pk, t.indicator_id, t.due, submitted):
                    awaiting.append((kid.code, kid.name))  # approved-only view: under review
                else:
                    missing.append((kid.code, kid.name))
        if not missing and not awaiting:
            continue  # complete after all (the grid's value is the full figure)
        out[pk] = TargetGap(due_gap=DueGap(missing=tuple(missing), awaiting=tuple(awaiting)))
    for pk, t in base_of.items():
        base_q = t.plan.issued_quarter
        if (t.region_id, t.indicator_id, base_q, submitted.value) in cells:
            previous = out.get(pk, TargetGap())
            out[pk] = TargetGap(previous.due_gap, BaselineNote.INCOMPLETE)
    return out


def targets_with_relations(targets: QuerySet[Target]) -> list[Target]:
    """``targets`` with plan (and its parent), region, indicator and the target each was
    allocated from (with its region), as ``select_related`` of all five would give, but each
    plan and parent target read once and shared: thousands of targets of a few plans built six
    model instances a row (2,996 targets of 375 regions on a national leader's home; issue
    25). Five queries."""
    rows = list(targets)
    plans = Plan.objects.select_related("parent").in_bulk({t.plan_id for t in rows})
    regions = Region.objects.in_bulk({t.region_id for t in rows})
    indicators = Indicator.objects.in_bulk({t.indicator_id for t in rows})
    parents = Target.objects.select_related("region").in_bulk(
        {t.allocated_from_id for t in rows if t.allocated_from_id is not None}
    )
    for t in rows:
        t.plan = plans[t.plan_id]
        t.region = regions[t.region_id]
        t.indicator = indicators[t.indicator_id]
        if t.allocated_from_id is not None:
            t.allocated_from = parents[t.allocated_from_id]
    return rows


def targets_for_regions(regions: Iterable[Region]) -> list[Target]:
    """Targets set for any of ``regions``, with plan, region and indicator in the same query."""
    return list(
        Target.objects.filter(region__in=list(regions))
        .select_related("plan", "plan__parent", "region", "indicator", "allocated_from__region")
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
    include: Inclusion = DEFAULT_INCLUSION,
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
    gaps = target_gaps(targets=targets, grid=grid, as_of=as_of)
    return [
        TargetRow(
            t,
            target_progress_from_grid(
                target=t,
                grid=grid,
                as_of=as_of,
                milestones=by_key[(t.plan_id, t.region_id, t.indicator_id)],
                gap=gaps.get(t.pk),
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
        if base.value is None or not base.complete:
            continue  # no (complete) baseline, no path: the rule of baseline_of
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
    *,
    targets: Sequence[Target],
    grid: ValueGrid,
    as_of: Quarter,
    gaps: dict[int, TargetGap] | None = None,
) -> list[TargetTrendRow]:
    """Progress (indicators.progress, via target_progress_from_grid) and trend data per target.

    ``gaps``: :func:`target_gaps` of these targets, read once by the caller for all the targets
    of a page (read here if not given)."""
    if gaps is None:
        gaps = target_gaps(targets=targets, grid=grid, as_of=as_of)
    by_key: dict[tuple, list[Target]] = defaultdict(list)
    for t in targets:
        by_key[(t.plan_id, t.region_id, t.indicator_id)].append(t)
    rows = []
    for t in targets:
        code, ind = t.region.code, t.indicator.code
        siblings = by_key[(t.plan_id, t.region_id, t.indicator_id)]
        progress = target_progress_from_grid(
            target=t, grid=grid, as_of=as_of, milestones=siblings, gap=gaps.get(t.pk)
        )
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
