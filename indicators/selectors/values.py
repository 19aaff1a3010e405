"""Every read-side aggregation of CertTrack: the only module that sums counts.

The stock rules of DOMAIN.md, written once:

* A count is a snapshot at quarter end. Values are never summed over time; the value for a
  year is its Q4 snapshot, or the latest quarter of that year with data, flagged as such.
* Over regions, values add up for the same quarter: a region's value is the sum of its
  *division* children's values (``Region.Kind.DIVISION``). A *zone* child (兰州新区 in 兰州市) is
  shown beside its parent as a part and never added, so nothing is counted twice.
* A value entered directly for a region is authoritative; the children's sum is kept beside
  it so the discrepancy shows.
* A roll-up over children that have not all reported is marked incomplete.

Every dashboard, table, chart, JSON/CSV endpoint and Excel export consumes the rows built here.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.db.models import BooleanField, Case, CharField, Count, Max, Q, Value, When
from django.utils import timezone as _tz
from django.utils.translation import gettext_lazy as _

from indicators.models import CountEvent, Indicator, Plan, QuarterlyCount, Target
from indicators.periods import Quarter, quarter_range
from indicators.progress import (
    Point,
    TargetProgress,
    Trend,
    milestone_value,
    target_progress,
)
from regions.models import Region
from regions.selectors import access_for, regions_reviewable_by

Status = QuarterlyCount.Status


class Source(StrEnum):
    DIRECT = "direct"  # entered for this region
    ROLLUP = "rollup"  # summed over its division children
    NONE = "none"  # nothing known


class Inclusion(StrEnum):
    """Which counts count: approved only, or everything submitted (approved or awaiting review).

    Drafts and returned counts are never published figures.
    """

    APPROVED = "approved"
    SUBMITTED = "submitted"

    @property
    def statuses(self) -> tuple[str, ...]:
        return _INCLUSION_STATUSES[self]  # a constant: enum lookups cost µs, in hot loops

    @property
    def label(self) -> str:
        return str(INCLUSION_LABELS[self])

    @classmethod
    def parse(cls, text: str | None, default: Inclusion | None = None) -> Inclusion:
        try:
            return cls(text)
        except ValueError:
            return default or cls.SUBMITTED


_INCLUSION_STATUSES = {
    Inclusion.APPROVED: (str(Status.APPROVED),),
    Inclusion.SUBMITTED: (str(Status.APPROVED), str(Status.SUBMITTED)),
}


INCLUSION_LABELS = {
    Inclusion.APPROVED: _("Approved values only"),
    Inclusion.SUBMITTED: _("All submitted values (approved and awaiting review)"),
}


@dataclass(frozen=True)
class RegionValue:
    """The stock of one indicator in one region at the end of one quarter."""

    region_code: str
    indicator_code: str
    period: Quarter
    value: int | None  # None where nothing is known
    source: Source
    complete: bool  # False where a division child has not reported (roll-ups only)
    children_sum: int | None  # sum over division children, kept beside a direct value
    children_complete: bool  # every division child known (for reading children_sum)
    approved: bool  # every count behind the value is approved
    status: str | None = None  # workflow status of the direct count, if any

    @property
    def discrepancy(self) -> int | None:
        """Direct value minus the children's sum, where both exist."""
        if self.source is Source.DIRECT and self.children_sum is not None:
            return self.value - self.children_sum
        return None


@dataclass(frozen=True)
class YearEndValue:
    """A stock for a year: the Q4 snapshot, or the year's latest quarter flagged ``is_q4=False``."""

    year: int
    row: RegionValue | None

    @property
    def value(self) -> int | None:
        return self.row.value if self.row else None

    @property
    def is_q4(self) -> bool:
        return bool(self.row) and self.row.period.quarter == 4


@dataclass
class ValueGrid:
    """Values for every region of a subtree × indicator × quarter, computed in one pass.

    Built by :func:`subtree_values`; read with :meth:`series`, :meth:`get` and :meth:`children`.
    """

    root: Region
    regions: dict[str, Region]
    children_of: dict[str, list[str]]
    indicators: list[Indicator]
    quarters: list[Quarter]
    include: Inclusion
    cells: dict[tuple[str, str, Quarter], RegionValue] = field(default_factory=dict)
    counts: dict[tuple[str, str, Quarter], QuarterlyCount] = field(default_factory=dict)

    def get(self, region_code: str, indicator_code: str, period: Quarter) -> RegionValue:
        key = (region_code, indicator_code, period)
        if key not in self.cells:
            return _empty(region_code, indicator_code, period)
        return self.cells[key]

    def series(self, region_code: str, indicator_code: str) -> list[RegionValue]:
        """One row per quarter of the grid, oldest first."""
        return [self.get(region_code, indicator_code, q) for q in self.quarters]

    def children(self, region_code: str) -> list[Region]:
        return [self.regions[c] for c in self.children_of.get(region_code, [])]

    def latest(self, region_code: str, indicator_code: str) -> RegionValue | None:
        """The latest quarter of the grid with a value, or None."""
        for row in reversed(self.series(region_code, indicator_code)):
            if row.value is not None:
                return row
        return None

    def points(self, region_code: str, indicator_code: str) -> list[Point]:
        """Known *complete* values as progress points: an incomplete roll-up is never presented
        as the full figure, so it does not count as progress (nor feed the forecast)."""
        return [
            Point(r.period, r.value)
            for r in self.series(region_code, indicator_code)
            if r.value is not None and r.complete
        ]

    def year_end(self, region_code: str, indicator_code: str, year: int) -> YearEndValue:
        """Q4 if known, else the latest quarter of ``year`` with data (never a sum over time)."""
        for quarter in (4, 3, 2, 1):
            period = Quarter(year, quarter)
            row = self.cells.get((region_code, indicator_code, period))
            if row is not None and row.value is not None:
                return YearEndValue(year, row)
        return YearEndValue(year, None)


def _empty(region_code: str, indicator_code: str, period: Quarter) -> RegionValue:
    return RegionValue(
        region_code, indicator_code, period, None, Source.NONE, False, None, False, False
    )


def _period_q(start: Quarter, end: Quarter) -> Q:
    """Counts with start ≤ (year, quarter) ≤ end."""
    after = Q(year__gt=start.year) | Q(year=start.year, quarter__gte=start.quarter)
    before = Q(year__lt=end.year) | Q(year=end.year, quarter__lte=end.quarter)
    return after & before


def subtree_values(
    *,
    root: Region,
    start: Quarter,
    end: Quarter,
    indicators: Sequence[Indicator] | None = None,
    include: Inclusion = Inclusion.SUBMITTED,
) -> ValueGrid:
    """Stock values of ``root`` and every active region below it for ``start``..``end``.

    Three queries whatever the size of the tree or range: the subtree, the indicators (unless
    given) and the counts. Values are then computed bottom-up: direct counts where entered
    (authoritative), otherwise the sum over division children for the same quarter.
    """
    regions = {r.code: r for r in Region.objects.filter(path__startswith=root.path, active=True)}
    indicators = list(indicators) if indicators is not None else list(Indicator.objects.all())
    quarters = list(quarter_range(start, end))
    children_of: dict[str, list[str]] = defaultdict(list)
    by_pk = {r.pk: r for r in regions.values()}
    for r in sorted(regions.values(), key=lambda r: r.code):
        parent = by_pk.get(r.parent_id)
        if parent is not None:
            children_of[parent.code].append(r.code)

    grid = ValueGrid(root, regions, dict(children_of), indicators, quarters, include)
    counts = (
        QuarterlyCount.objects.filter(
            region__path__startswith=root.path,
            region__active=True,
            indicator__in=indicators,
            status__in=include.statuses,
        )
        .filter(_period_q(start, end))
        .select_related(None)
        .only("id", "region_id", "indicator_id", "year", "quarter", "value", "status", "version")
    )
    ind_code = {i.pk: i.code for i in indicators}
    for c in counts:
        region = by_pk.get(c.region_id)
        if region is not None:
            grid.counts[(region.code, ind_code[c.indicator_id], c.period)] = c

    # Deepest first, so every child is computed before its parent.
    for region in sorted(regions.values(), key=lambda r: -r.depth):
        kids = [regions[c] for c in children_of.get(region.code, [])]
        divisions = [k for k in kids if k.kind == Region.Kind.DIVISION]
        for indicator in indicators:
            for period in quarters:
                grid.cells[(region.code, indicator.code, period)] = _combine(
                    region, indicator.code, period, divisions, grid
                )
    return grid


def _combine(
    region: Region, indicator_code: str, period: Quarter, divisions: list[Region], grid: ValueGrid
) -> RegionValue:
    direct = grid.counts.get((region.code, indicator_code, period))
    return combine_cell(
        region_code=region.code,
        indicator_code=indicator_code,
        period=period,
        direct=(direct.value, direct.status) if direct is not None else None,
        children=[grid.cells[(d.code, indicator_code, period)] for d in divisions],
    )


def combine_cell(
    *,
    region_code: str,
    indicator_code: str,
    period: Quarter,
    direct: tuple[int, str] | None,
    children: Sequence[RegionValue],
) -> RegionValue:
    """The stock rule for one cell: the direct value (value, status) wins, else the sum of the
    division children's values; incomplete where a child is unknown or itself incomplete.

    Shared by the full computation here and the materialized roll-ups (indicators.rollups).
    """
    known = [c for c in children if c.value is not None]
    children_sum = sum(c.value for c in known) if known else None
    children_complete = bool(children) and all(c.value is not None and c.complete for c in children)
    if direct is not None:
        value, status = direct
        return RegionValue(
            region_code,
            indicator_code,
            period,
            value,
            Source.DIRECT,
            True,
            children_sum,
            children_complete,
            status == Status.APPROVED,
            status,
        )
    if known:
        return RegionValue(
            region_code,
            indicator_code,
            period,
            children_sum,
            Source.ROLLUP,
            children_complete,
            children_sum,
            children_complete,
            all(c.approved for c in known),
            None,
        )
    return _empty(region_code, indicator_code, period)


def region_values(
    *,
    region: Region,
    indicator: Indicator,
    start: Quarter,
    end: Quarter,
    include: Inclusion = Inclusion.SUBMITTED,
) -> list[RegionValue]:
    """The quarterly series of one region and indicator (see :func:`subtree_values`)."""
    grid = subtree_values(
        root=region, start=start, end=end, indicators=[indicator], include=include
    )
    return grid.series(region.code, indicator.code)


def region_value(
    *,
    region: Region,
    indicator: Indicator,
    period: Quarter,
    include: Inclusion = Inclusion.SUBMITTED,
) -> RegionValue:
    """The stock of one region at one quarter end (direct, else roll-up, else nothing)."""
    return region_values(
        region=region, indicator=indicator, start=period, end=period, include=include
    )[0]


def year_end_value(
    *, region: Region, indicator: Indicator, year: int, include: Inclusion = Inclusion.SUBMITTED
) -> YearEndValue:
    """The stock for a year: the Q4 snapshot, or the year's latest quarter flagged as such."""
    grid = subtree_values(
        root=region,
        start=Quarter(year, 1),
        end=Quarter(year, 4),
        indicators=[indicator],
        include=include,
    )
    return grid.year_end(region.code, indicator.code, year)


# --- targets and progress -------------------------------------------------------------


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
class PlanCard:
    """A plan in the user's scope with the progress of each of its targets."""

    plan: Plan
    rows: list[TargetRow]


def plans_visible_to(user) -> list[Plan]:
    """Plans covering a region the user may see (nationwide plans only for a superuser)."""
    access = access_for(user)
    qs = Plan.objects.select_related("region", "parent")
    if not access.everything:
        qs = qs.filter(region__isnull=False).filter(access.visible_q("region__"))
    return list(qs.order_by("issued_on", "id"))


def overview_cards(
    *, user, as_of: Quarter, include: Inclusion = Inclusion.SUBMITTED
) -> list[PlanCard]:
    """Plan cards for the overview: plans in scope, each with its targets' progress."""
    plans = plans_visible_to(user)
    targets = list(
        Target.objects.filter(plan__in=plans)
        .select_related("plan", "region", "indicator")
        .order_by("indicator__sort_order", "due_year", "due_quarter")
    )
    rows = target_rows(targets=targets, as_of=as_of, include=include)
    by_plan: dict[int, list[TargetRow]] = defaultdict(list)
    for row in rows:
        by_plan[row.target.plan_id].append(row)
    return [PlanCard(plan, by_plan.get(plan.pk, [])) for plan in plans]


# --- materialized reads (national scale) ---------------------------------------------------


# The columns of a RollupCell read back as a RegionValue, after region, indicator and quarter.
CELL_FIELDS = (
    "region_id",
    "indicator_id",
    "year",
    "quarter",
    "value",
    "source",
    "complete",
    "children_sum",
    "children_complete",
    "approved",
    "status",
)


def cell_value(region_code: str, indicator_code: str, period: Quarter, rest) -> RegionValue:
    """A RollupCell's stored columns (CELL_FIELDS after the quarter) as a RegionValue."""
    value, source, complete, csum, ccomplete, approved, status = rest
    return RegionValue(
        region_code,
        indicator_code,
        period,
        value,
        Source(source),
        complete,
        csum,
        ccomplete,
        approved,
        status or None,
    )


def _grid_from_cells(
    *,
    root: Region,
    regions: Sequence[Region],
    children_of: dict[str, list[str]],
    start: Quarter,
    end: Quarter,
    indicators: Sequence[Indicator] | None,
    include: Inclusion,
) -> ValueGrid:
    """A ValueGrid for ``regions`` filled from the materialized roll-ups in one query."""
    from indicators.models import RollupCell

    indicators = list(indicators) if indicators is not None else list(Indicator.objects.all())
    grid = ValueGrid(
        root,
        {r.code: r for r in regions},
        children_of,
        indicators,
        list(quarter_range(start, end)),
        include,
    )
    code_of = {r.pk: r.code for r in regions}
    ind_code = {i.pk: i.code for i in indicators}
    rows = (
        RollupCell.objects.filter(
            region_id__in=list(code_of),
            inclusion=include.value,
            indicator_id__in=list(ind_code),
        )
        .filter(_period_q(start, end))
        .values_list(*CELL_FIELDS)
    )
    for rid, iid, year, quarter, *rest in rows:
        period = Quarter(year, quarter)
        code, icode = code_of[rid], ind_code[iid]
        grid.cells[(code, icode, period)] = cell_value(code, icode, period, rest)
    return grid


def region_and_children_values(
    *,
    root: Region,
    start: Quarter,
    end: Quarter,
    indicators: Sequence[Indicator] | None = None,
    include: Inclusion = Inclusion.SUBMITTED,
) -> ValueGrid:
    """Stock values of ``root`` and its active children (divisions and zones), start..end.

    The same rows :func:`subtree_values` computes for these regions, read from the materialized
    roll-ups (``indicators.rollups``) in a constant number of queries, whatever the size of the
    subtree or the range: this is what dashboards use. Grandchildren are not in the grid.
    """
    children = list(Region.objects.filter(parent=root, active=True).order_by("code"))
    return _grid_from_cells(
        root=root,
        regions=[root, *children],
        children_of={root.code: [c.code for c in children]},
        start=start,
        end=end,
        indicators=indicators,
        include=include,
    )


def regions_values(
    *,
    regions: Sequence[Region],
    start: Quarter,
    end: Quarter,
    indicators: Sequence[Indicator] | None = None,
    include: Inclusion = Inclusion.SUBMITTED,
) -> ValueGrid:
    """Stock values of several unrelated regions (e.g. every target's region) in one query."""
    regions = list(regions)
    return _grid_from_cells(
        root=regions[0] if regions else Region(code="", path="/"),
        regions=regions,
        children_of={},
        start=start,
        end=end,
        indicators=indicators,
        include=include,
    )


# --- entry and review (the officials' and reviewers' pages) ---------------------------------
# Each region's *own* counts of one quarter, any workflow status: what an official entered, not
# a roll-up. Nothing is summed over regions or time here.


SubmissionStatus = QuarterlyCount.Status  # draft / submitted / approved / returned
NOT_STARTED = "not_started"
SUBMISSION_STATUS_LABELS = {
    NOT_STARTED: _("Not started"),
    **{s.value: s.label for s in QuarterlyCount.Status},
}
REPORTED_STATUSES = (Status.SUBMITTED, Status.APPROVED)


def submission_status(*, statuses: Sequence[str], expected: int) -> str:
    """The status of a region-quarter from the statuses of its counts (one per indicator).

    Nothing entered: not started. A returned count makes the whole submission returned; a
    missing indicator or a draft makes it a draft; it is submitted once every count is submitted
    or approved, and approved only when every count is.
    """
    if not statuses:
        return NOT_STARTED
    present = set(statuses)
    if Status.RETURNED in present:
        return Status.RETURNED
    if len(statuses) < expected or Status.DRAFT in present:
        return Status.DRAFT
    if Status.SUBMITTED in present:
        return Status.SUBMITTED
    return Status.APPROVED


@dataclass(frozen=True)
class EntryRow:
    """One indicator of a region-quarter with its neighbours in time, as the entry form shows it.

    ``previous`` is last quarter's own count, ``last_year`` the same quarter a year before (any
    status; ``*_status`` says which). ``change``/``change_share`` compare ``value`` with
    ``previous``.
    """

    indicator: Indicator
    count: QuarterlyCount | None
    previous: int | None
    previous_status: str | None
    last_year: int | None
    last_year_status: str | None

    @property
    def value(self) -> int | None:
        return self.count.value if self.count else None

    @property
    def version(self) -> int | None:
        return self.count.version if self.count else None

    @property
    def change(self) -> int | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_share(self) -> float | None:
        """Signed relative change against last quarter (0.05 = +5 %); None if not defined."""
        if self.change is None or not self.previous:
            return None
        return self.change / self.previous


@dataclass(frozen=True)
class Submission:
    """A region's counts of one quarter (one per indicator) with their workflow state."""

    region: Region
    period: Quarter
    rows: list[EntryRow]

    @property
    def counts(self) -> list[QuarterlyCount]:
        return [r.count for r in self.rows if r.count is not None]

    @property
    def status(self) -> str:
        return submission_status(statuses=[c.status for c in self.counts], expected=len(self.rows))

    @property
    def status_label(self) -> str:
        return str(SUBMISSION_STATUS_LABELS[self.status])

    @property
    def editable(self) -> bool:
        """The official may change values: nothing entered yet, a draft, or returned."""
        return self.status in (NOT_STARTED, Status.DRAFT, Status.RETURNED)

    @property
    def versions(self) -> dict[str, int | None]:
        """The versions shown to the user, passed back with a write (optimistic locking)."""
        return {r.indicator.code: r.version for r in self.rows}

    @property
    def review_comment(self) -> str:
        return next((c.review_comment for c in self.counts if c.review_comment), "")

    @property
    def notes(self) -> list[str]:
        """Distinct notes/explanations kept with the counts."""
        seen: list[str] = []
        for c in self.counts:
            if c.note and c.note not in seen:
                seen.append(c.note)
        return seen


def submission_for(*, region: Region, period: Quarter) -> Submission:
    """A region's own counts for ``period``, last quarter and the same quarter last year.

    Two queries (indicators, counts) whatever the number of indicators.
    """
    indicators = list(Indicator.objects.all())
    wanted = (period, period - 1, period - 4)
    q = Q()
    for p in wanted:
        q |= Q(year=p.year, quarter=p.quarter)
    counts = QuarterlyCount.objects.filter(q, region=region).select_related(
        "entered_by", "reviewed_by"
    )
    by_key = {(c.indicator_id, c.period): c for c in counts}
    rows = []
    for ind in indicators:
        count = by_key.get((ind.pk, period))
        prev = by_key.get((ind.pk, period - 1))
        year_ago = by_key.get((ind.pk, period - 4))
        rows.append(
            EntryRow(
                indicator=ind,
                count=count,
                previous=prev.value if prev else None,
                previous_status=prev.status if prev else None,
                last_year=year_ago.value if year_ago else None,
                last_year_status=year_ago.status if year_ago else None,
            )
        )
    return Submission(region=region, period=period, rows=rows)


def count_history(*, region: Region, period: Quarter) -> list[CountEvent]:
    """Every audit event of the region's counts for ``period``, oldest first (one query)."""
    return list(
        CountEvent.objects.filter(
            count__region=region, count__year=period.year, count__quarter=period.quarter
        )
        .select_related("user", "count__indicator")
        .order_by("at", "id")
    )


def entry_quarters(*, today=None, back: int = 12) -> list[Quarter]:
    """Quarters an official may pick, newest first: never one after the current quarter."""
    current = Quarter.of_date(today or _tz.localdate())
    return [current - i for i in range(back + 1)]


def submission_deadline(period: Quarter) -> _dt.datetime:
    """The moment a submission for ``period`` becomes late: the end of the configured day.

    ``CERTTRACK["DEADLINE_DAYS"]`` days (default 20) after the quarter's last day, local time.
    """
    last_day = period.end_date + _dt.timedelta(days=settings.CERTTRACK["DEADLINE_DAYS"] + 1)
    return _tz.make_aware(_dt.datetime.combine(last_day, _dt.time.min))


def review_queue(*, user, period: Quarter):
    """Every reporting unit in the reviewer's subtrees with its submission for ``period``.

    A queryset of ``Region`` (one query, sortable and filterable in the database) annotated
    with ``status`` (not_started/draft/submitted/returned/approved, see
    :func:`submission_status`), ``value_<indicator code>``, ``entered_by_name``,
    ``last_entered_at``, ``last_submitted_at``, ``reviewed_by_name``, ``last_reviewed_at`` and
    ``on_time`` (reported by :func:`submission_deadline`). Each unit's own counts only: nothing
    is summed.
    """
    indicators = list(Indicator.objects.all())
    here = Q(counts__year=period.year, counts__quarter=period.quarter)
    annotations = {
        "n_counts": Count("counts", filter=here),
        "n_returned": Count("counts", filter=here & Q(counts__status=Status.RETURNED)),
        "n_draft": Count("counts", filter=here & Q(counts__status=Status.DRAFT)),
        "n_submitted": Count("counts", filter=here & Q(counts__status=Status.SUBMITTED)),
        "entered_by_name": Max("counts__entered_by__username", filter=here),
        "last_entered_at": Max("counts__entered_at", filter=here),
        "last_submitted_at": Max("counts__submitted_at", filter=here),
        "reviewed_by_name": Max("counts__reviewed_by__username", filter=here),
        "last_reviewed_at": Max("counts__reviewed_at", filter=here),
    }
    for ind in indicators:
        annotations[f"value_{ind.code}"] = Max(
            "counts__value", filter=here & Q(counts__indicator_id=ind.pk)
        )
    status = Case(
        When(n_counts=0, then=Value(NOT_STARTED)),
        When(n_returned__gt=0, then=Value(Status.RETURNED.value)),
        When(n_counts__lt=len(indicators), then=Value(Status.DRAFT.value)),
        When(n_draft__gt=0, then=Value(Status.DRAFT.value)),
        When(n_submitted__gt=0, then=Value(Status.SUBMITTED.value)),
        default=Value(Status.APPROVED.value),
        output_field=CharField(),
    )
    on_time = Case(
        When(
            status__in=[s.value for s in REPORTED_STATUSES],
            last_submitted_at__lt=submission_deadline(period),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )
    return (
        regions_reviewable_by(user)
        .filter(is_reporting_unit=True)
        .annotate(**annotations)
        .annotate(status=status)
        .annotate(on_time=on_time)
        .order_by("path")
    )


@dataclass(frozen=True)
class Completeness:
    """Reporting for one quarter: units expected, reported (submitted or approved), on time.

    Rates are shares of the units expected (DHIS2's reporting rate and on-time rate); ``None``
    where no unit is expected.
    """

    period: Quarter
    expected: int
    reported: int
    on_time: int
    by_status: dict[str, int]
    deadline: _dt.datetime

    @property
    def reporting_rate(self) -> float | None:
        return self.reported / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None


def queue_completeness(*, user, period: Quarter) -> Completeness:
    """Reporting rate and on-time rate over every reporting unit of the reviewer (one query)."""
    rows = list(review_queue(user=user, period=period).values_list("status", "on_time"))
    by_status = {s: 0 for s in SUBMISSION_STATUS_LABELS}
    for status, _on_time in rows:
        by_status[status] += 1
    return Completeness(
        period=period,
        expected=len(rows),
        reported=sum(1 for status, _ in rows if status in REPORTED_STATUSES),
        on_time=sum(1 for _, on_time in rows if on_time),
        by_status=by_status,
        deadline=submission_deadline(period),
    )


# --- Excel report and import (indicators.exports / indicators.imports) -----------------------


@dataclass(frozen=True)
class ReportData:
    """Everything the Excel report shows, read here so that exports.py stays pure.

    ``grid`` holds the stock of every region of ``root``'s subtree × indicator × quarter of
    ``start``..``end`` (summed over regions per quarter, never over time); ``targets`` are the
    targets set anywhere in the subtree with their progress as of ``end``.
    """

    root: Region
    start: Quarter
    end: Quarter
    include: Inclusion
    indicators: list[Indicator]
    grid: ValueGrid
    regions: list[Region]  # the subtree in path order (root first)
    parent_code: dict[str, str | None]
    targets: list[TargetRow]
    plans: list[Plan]  # the source plans: plans of the targets shown, and plans of the subtree
    has_demo: bool  # demo counts in the subtree and range, or a demo plan among the sources
    # Streamed reads for a large subtree (``grid`` then holds only the root and its children):
    # called with ``by_indicator``, yields (region, indicator, series) like :meth:`series_rows`.
    stream: Callable[..., Iterator[tuple[Region, Indicator, list[RegionValue]]]] | None = None
    quarterly_only: bool = False  # a data dump: the Quarterly sheet alone
    # The plans' tasks and progress reports (tasks.selectors.task_sheet_rows), for the
    # "任务进展 Tasks" sheet; None: no such sheet.
    tasks: list | None = None

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


def _stream_subtree(
    *,
    root: Region,
    regions: Sequence[Region],
    indicators: Sequence[Indicator],
    start: Quarter,
    end: Quarter,
    include: Inclusion,
    chunk_size: int = 5000,
) -> Callable[..., Iterator[tuple[Region, Indicator, list[RegionValue]]]]:
    """A reader of the whole subtree's materialized values, streamed from the database in path
    order (one server-side cursor per pass), a region's cells at a time: memory stays flat."""
    from indicators.models import RollupCell

    quarters = list(quarter_range(start, end))

    def read(indicator_ids: list[int]) -> Iterator[tuple[int, dict]]:
        rows = (
            RollupCell.objects.filter(
                region__path__startswith=root.path,
                region__active=True,
                inclusion=include.value,
                indicator_id__in=indicator_ids,
            )
            .filter(_period_q(start, end))
            .order_by("region__path")
            .values_list(*CELL_FIELDS)
            .iterator(chunk_size=chunk_size)
        )
        current, cells = None, {}
        for rid, iid, y, q, *rest in rows:
            if rid != current:
                if current is not None:
                    yield current, cells
                current, cells = rid, {}
            cells[(iid, y, q)] = rest
        if current is not None:
            yield current, cells

    def series(region: Region, indicator: Indicator, cells: dict) -> list[RegionValue]:
        out = []
        for period in quarters:
            c = cells.get((indicator.pk, period.year, period.quarter))
            if c is None:
                out.append(_empty(region.code, indicator.code, period))
            else:
                out.append(cell_value(region.code, indicator.code, period, c))
        return out

    def stream(*, by_indicator: bool = False):
        passes = [[i] for i in indicators] if by_indicator else [list(indicators)]
        for wanted in passes:
            found = read([i.pk for i in wanted])
            nxt = next(found, None)
            for region in regions:  # path order, as the stream: empty regions filled in
                cells = {}
                if nxt is not None and nxt[0] == region.pk:
                    cells = nxt[1]
                    nxt = next(found, None)
                for indicator in wanted:
                    yield region, indicator, series(region, indicator, cells)

    return stream


def report_data(
    *,
    user,
    root: Region,
    start: Quarter,
    end: Quarter,
    indicators: Sequence[Indicator],
    include: Inclusion = Inclusion.SUBMITTED,
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

    from regions.selectors import access_for

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
    rows = target_rows(targets=targets, as_of=end, include=include)
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
        tasks=None if quarterly_only else _task_rows(user=user, root=root, start=start, end=end),
    )


def _task_rows(**kwargs) -> list:
    """The Tasks sheet's rows, read by the tasks app's own selector."""
    from django.utils import timezone

    from tasks.selectors import task_sheet_rows

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


# --- dashboards -------------------------------------------------------------------------
#
# Everything a dashboard shows is computed here from one ValueGrid (three queries), the targets
# (one query) and the raw workflow statuses (one query): the number of queries does not grow with
# the number of regions or quarters. Charts (indicators/charts.py), tables, JSON and CSV all read
# the dataclasses below, so no two outputs can disagree.


class ReportStatus(StrEnum):
    """Where a region's count for a quarter stands in the workflow (completeness heatmap).

    Ordered from the least to the most advanced; a region without a count of its own takes the
    least advanced status of its division children (docs/progress.md, "Completeness").
    """

    MISSING = "missing"
    RETURNED = "returned"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    NOT_EXPECTED = "not_expected"  # not a reporting unit, and nothing below it reports

    @property
    def label(self) -> str:
        return str(REPORT_STATUS_LABELS[self])

    @property
    def rank(self) -> int:
        return REPORT_STATUS_ORDER.index(self)


REPORT_STATUS_ORDER = [
    ReportStatus.MISSING,
    ReportStatus.RETURNED,
    ReportStatus.DRAFT,
    ReportStatus.SUBMITTED,
    ReportStatus.APPROVED,
    ReportStatus.NOT_EXPECTED,
]
REPORT_STATUS_LABELS = {
    ReportStatus.MISSING: _("Missing"),
    ReportStatus.RETURNED: _("Returned"),
    ReportStatus.DRAFT: _("Draft"),
    ReportStatus.SUBMITTED: _("Submitted"),
    ReportStatus.APPROVED: _("Approved"),
    ReportStatus.NOT_EXPECTED: _("Not required"),
}


def count_statuses(
    *, root: Region, start: Quarter, end: Quarter, indicators: Sequence[Indicator]
) -> dict[tuple[str, str, Quarter], str]:
    """The workflow status of every count entered in ``root``'s subtree for ``start``..``end``.

    Unlike :func:`subtree_values` this sees counts of *every* status (drafts and returned ones
    too): it tells who has reported, never what the value is. Nothing is summed. One query.
    """
    rows = (
        QuarterlyCount.objects.filter(
            region__path__startswith=root.path, region__active=True, indicator__in=indicators
        )
        .filter(_period_q(start, end))
        .values_list("region__code", "indicator__code", "year", "quarter", "status")
    )
    return {(code, ind, Quarter(y, q)): status for code, ind, y, q, status in rows}


@dataclass(frozen=True)
class CompletenessCell:
    """A region's reporting status for one quarter: the least advanced over the indicators
    (a submission is the pair of counts, so they normally agree), and each indicator's own."""

    period: Quarter
    status: ReportStatus
    by_indicator: dict[str, ReportStatus]


@dataclass(frozen=True)
class CompletenessRow:
    """One region's reporting status per quarter."""

    region: Region
    cells: list[CompletenessCell]

    @property
    def is_part(self) -> bool:
        return self.region.kind == Region.Kind.ZONE


def report_status(
    *,
    region_code: str,
    indicator_code: str,
    period: Quarter,
    grid: ValueGrid,
    statuses: dict[tuple[str, str, Quarter], str],
) -> ReportStatus:
    """A region's reporting status: its own count's status, else the least advanced status of
    its division children, else *missing* (reporting unit) or *not required* (anything else)."""
    own = statuses.get((region_code, indicator_code, period))
    if own is not None:
        return ReportStatus(own)
    region = grid.regions[region_code]
    below = [
        report_status(
            region_code=c,
            indicator_code=indicator_code,
            period=period,
            grid=grid,
            statuses=statuses,
        )
        for c in grid.children_of.get(region_code, [])
        if grid.regions[c].kind == Region.Kind.DIVISION
    ]
    status = least_advanced(below)
    if status is ReportStatus.NOT_EXPECTED and region.is_reporting_unit:
        return ReportStatus.MISSING
    return status


def least_advanced(statuses: Iterable[ReportStatus]) -> ReportStatus:
    """The least advanced status; *not required* only if nothing else is there."""
    relevant = [s for s in statuses if s is not ReportStatus.NOT_EXPECTED]
    if not relevant:
        return ReportStatus.NOT_EXPECTED
    return min(relevant, key=lambda s: s.rank)


def completeness_rows(
    *,
    grid: ValueGrid,
    statuses: dict[tuple[str, str, Quarter], str],
    regions: Sequence[Region],
    indicator_codes: Sequence[str],
    quarters: Sequence[Quarter],
) -> list[CompletenessRow]:
    """Reporting status of each of ``regions`` × ``quarters`` (no query: grid and statuses)."""
    rows = []
    for region in regions:
        cells = []
        for q in quarters:
            by_indicator = {
                code: report_status(
                    region_code=region.code,
                    indicator_code=code,
                    period=q,
                    grid=grid,
                    statuses=statuses,
                )
                for code in indicator_codes
            }
            cells.append(CompletenessCell(q, least_advanced(by_indicator.values()), by_indicator))
        rows.append(CompletenessRow(region, cells))
    return rows


_STATUS_BY_RANK = {
    0: ReportStatus.MISSING,
    1: ReportStatus.RETURNED,
    2: ReportStatus.DRAFT,
    3: ReportStatus.SUBMITTED,
    4: ReportStatus.APPROVED,
}


def children_report_statuses(
    *, region: Region, start: Quarter, end: Quarter, indicators: Sequence[Indicator]
) -> dict[tuple[str, str, Quarter], ReportStatus]:
    """The reporting status of ``region`` and of each of its active children, keyed by (region
    code, indicator code, quarter) for ``start``..``end``: the answer of :func:`report_status`
    over the whole subtree, computed in the database in one query whatever its size.

    A recursive walk starts at each child and goes down the division children of every region
    without a count of its own for that indicator and quarter (a count of its own is the
    region's status and hides everything below it). A child's status is the least advanced
    status met on its walk; a reporting unit met without a count of its own and with nothing
    reported below it makes it *missing*; nothing met: *not required*. ``region`` itself takes
    its own count's status, else the least advanced of its division children's (*missing* where
    it is a reporting unit and none of them reports).
    """
    from django.db import connection

    quarters = list(quarter_range(start, end))
    ind_code = {i.pk: i.code for i in indicators}
    if not quarters or not ind_code:
        return {}
    region_table = Region._meta.db_table
    count_table = QuarterlyCount._meta.db_table
    keys = ", ".join(["(%s, %s, %s)"] * (len(quarters) * len(ind_code)))
    key_params = [v for i in ind_code for q in quarters for v in (i, q.year, q.quarter)]

    def own(alias: str, key: str) -> str:
        return (
            f"LEFT JOIN {count_table} qc ON qc.region_id = {alias}.id "
            f"AND qc.indicator_id = {key}.ind AND qc.year = {key}.year "
            f"AND qc.quarter = {key}.quarter"
        )

    # Ranks: missing 0, returned 1, draft 2, submitted 3, approved 4 (REPORT_STATUS_ORDER).
    sql = f"""
        WITH RECURSIVE keys(ind, year, quarter) AS (VALUES {keys}),
        walk(start_id, start_code, start_kind, node_id, path, is_ru, ind, year, quarter, own)
        AS (
            SELECT c.id, c.code, c.kind, c.id, c.path, c.is_reporting_unit,
                   k.ind, k.year, k.quarter, qc.status
            FROM {region_table} c CROSS JOIN keys k {own("c", "k")}
            WHERE (c.parent_id = %s OR c.id = %s) AND c.active
          UNION ALL
            SELECT w.start_id, w.start_code, w.start_kind, d.id, d.path, d.is_reporting_unit,
                   w.ind, w.year, w.quarter, qc.status
            FROM walk w
            JOIN {region_table} d ON d.parent_id = w.node_id AND d.active AND d.kind = %s
            {own("d", "w")}
            WHERE w.own IS NULL AND w.start_id <> %s
        )
        SELECT w.start_code, w.start_kind, w.ind, w.year, w.quarter, MIN(
            CASE WHEN w.own IS NOT NULL THEN
                    CASE w.own WHEN 'returned' THEN 1 WHEN 'draft' THEN 2
                               WHEN 'submitted' THEN 3 WHEN 'approved' THEN 4 END
                 WHEN w.is_ru AND w.start_id <> %s THEN
                    CASE WHEN NOT EXISTS (
                        SELECT 1 FROM walk v
                        WHERE v.start_id = w.start_id AND v.ind = w.ind AND v.year = w.year
                          AND v.quarter = w.quarter AND v.own IS NOT NULL
                          AND v.path LIKE w.path || '%%'
                    ) THEN 0 END
            END)
        FROM walk w
        GROUP BY w.start_id, w.start_code, w.start_kind, w.ind, w.year, w.quarter
    """
    division = Region.Kind.DIVISION.value
    params = [*key_params, region.pk, region.pk, division, region.pk, region.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    result: dict[tuple[str, str, Quarter], ReportStatus] = {}
    divisions: dict[tuple[str, Quarter], list[ReportStatus]] = defaultdict(list)
    for code, kind, ind, year, quarter, rank in rows:
        key = (code, ind_code[ind], Quarter(year, quarter))
        if code == region.code:
            if rank is not None:
                result[key] = _STATUS_BY_RANK[rank]
            continue
        status = _STATUS_BY_RANK[rank] if rank is not None else ReportStatus.NOT_EXPECTED
        result[key] = status
        if kind == division:
            divisions[key[1:]].append(status)
    for indicator_code in ind_code.values():
        for period in quarters:
            key = (region.code, indicator_code, period)
            if key not in result:
                status = least_advanced(divisions.get((indicator_code, period), []))
                if status is ReportStatus.NOT_EXPECTED and region.is_reporting_unit:
                    status = ReportStatus.MISSING
                result[key] = status
    return result


def completeness_rows_from_statuses(
    *,
    statuses: dict[tuple[str, str, Quarter], ReportStatus],
    regions: Sequence[Region],
    indicator_codes: Sequence[str],
    quarters: Sequence[Quarter],
) -> list[CompletenessRow]:
    """Reporting status of each of ``regions`` × ``quarters`` from
    :func:`children_report_statuses` (no query)."""
    rows = []
    for region in regions:
        cells = []
        for q in quarters:
            by_indicator = {
                code: statuses.get((region.code, code, q), ReportStatus.NOT_EXPECTED)
                for code in indicator_codes
            }
            cells.append(CompletenessCell(q, least_advanced(by_indicator.values()), by_indicator))
        rows.append(CompletenessRow(region, cells))
    return rows


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
    share: float | None  # percent of the parent's value at the same quarter
    growth: float | None  # percent change against the same quarter a year earlier

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
        share = None
        if row.value is not None and parent.value:
            share = 100.0 * row.value / parent.value
        growth = None
        if row.value is not None and year_ago.value:
            growth = 100.0 * (row.value - year_ago.value) / year_ago.value
        rows.append(ChildRow(child, row, year_ago, share, growth))
    return sorted(rows, key=lambda c: (c.value is None, -(c.value or 0), c.code))


def targets_of_region(region: Region) -> list[Target]:
    """Targets set for exactly ``region`` (any plan), with plan, region and indicator; one query."""
    return list(
        Target.objects.filter(region=region)
        .select_related("plan", "region", "indicator")
        .order_by("plan__issued_on", "plan_id", "indicator__sort_order", "due_year", "due_quarter")
    )


def region_dashboard(
    *,
    region: Region,
    as_of: Quarter,
    include: Inclusion = Inclusion.SUBMITTED,
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

    panels = []
    for indicator in indicators:
        code = indicator.code
        mine = [t for t in targets if t.indicator_id == indicator.pk]
        rows = _target_trend_rows(targets=mine, grid=grid, as_of=as_of)
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


# --- overview and plan pages --------------------------------------------------------------


@dataclass(frozen=True)
class OverviewCard:
    """A plan in the user's scope with each target's progress and trend line."""

    plan: Plan
    rows: list[TargetTrendRow]


def _grids_for_targets(
    *, targets: Sequence[Target], as_of: Quarter, include: Inclusion
) -> dict[int, ValueGrid]:
    """The values of every target region, from the materialized roll-ups in one query (two with
    the indicators) whatever the number of targets, regions or quarters; keyed by region id."""
    if not targets:
        return {}
    indicators = list(Indicator.objects.all())
    regions = {t.region_id: t.region for t in targets}
    start = min([default_range(as_of=as_of)[0]] + [t.plan.issued_quarter for t in targets])
    grid = regions_values(
        regions=list(regions.values()),
        start=start,
        end=as_of,
        indicators=indicators,
        include=include,
    )
    return dict.fromkeys(regions, grid)


def overview_plan_cards(
    *,
    user,
    as_of: Quarter,
    include: Inclusion = Inclusion.SUBMITTED,
    plans: Sequence[Plan] | None = None,
) -> list[OverviewCard]:
    """Plan cards for the overview: plans in scope, each target with progress, forecast and the
    values behind its trend line (same progress as :func:`overview_cards`).

    ``plans`` narrows the cards to one page of :func:`plans_visible_to` (never widens them: a
    plan outside the user's scope is dropped).
    """
    visible = plans_visible_to(user)
    if plans is not None:
        wanted = {p.pk for p in plans}
        visible = [p for p in visible if p.pk in wanted]
    plans = visible
    targets = list(
        Target.objects.filter(plan__in=plans)
        .select_related("plan", "region", "indicator")
        .order_by("indicator__sort_order", "due_year", "due_quarter")
    )
    grids = _grids_for_targets(targets=targets, as_of=as_of, include=include)
    by_plan: dict[int, list[TargetTrendRow]] = defaultdict(list)
    by_region: dict[int, list[Target]] = defaultdict(list)
    for t in targets:
        by_region[t.region_id].append(t)
    for region_id, region_targets in by_region.items():
        for row in _target_trend_rows(targets=region_targets, grid=grids[region_id], as_of=as_of):
            by_plan[row.target.plan_id].append(row)
    order = {t.pk: i for i, t in enumerate(targets)}
    return [
        OverviewCard(plan, sorted(by_plan.get(plan.pk, []), key=lambda r: order[r.target.pk]))
        for plan in plans
    ]


def plan_visible_to(user, plan: Plan) -> bool:
    """The rule of :func:`plans_visible_to` for one plan: its region is in the user's scope
    (a nationwide plan only for a superuser)."""
    from regions.selectors import access_for

    access = access_for(user)
    if access.everything:
        return True
    return plan.region is not None and access.can_view(plan.region)


@dataclass(frozen=True)
class PlanLink:
    """A plan named on another plan's page; ``visible`` if the user may open its page."""

    plan: Plan
    visible: bool


@dataclass
class PlanPage:
    """A plan's page: the plan, its lineage (root first) and child plans, its targets' progress."""

    plan: Plan
    lineage: list[PlanLink]
    children: list[PlanLink]
    rows: list[TargetTrendRow]
    as_of: Quarter
    include: Inclusion


def plan_page(
    *, plan: Plan, user, as_of: Quarter, include: Inclusion = Inclusion.SUBMITTED
) -> PlanPage:
    """A plan with its parent chain (国发〔2018〕3号 → 广西 → 北海), child plans and its targets
    (those for regions the user may see) with progress; queries do not depend on the tree size."""
    from regions.selectors import access_for

    access = access_for(user)
    plans = {p.pk: p for p in Plan.objects.select_related("region")}  # a handful of documents
    lineage = []
    parent_id = plans[plan.pk].parent_id if plan.pk in plans else None
    while parent_id is not None and parent_id in plans and len(lineage) < 20:
        parent = plans[parent_id]
        lineage.insert(0, PlanLink(parent, plan_visible_to(user, parent)))
        parent_id = parent.parent_id
    children = [
        PlanLink(p, plan_visible_to(user, p))
        for p in sorted(plans.values(), key=lambda p: (p.issued_on, p.pk))
        if p.parent_id == plan.pk
    ]
    targets = [
        t
        for t in Target.objects.filter(plan=plan)
        .select_related("plan", "region", "indicator")
        .order_by("region__path", "indicator__sort_order", "due_year", "due_quarter")
        if access.can_view(t.region)
    ]
    grids = _grids_for_targets(targets=targets, as_of=as_of, include=include)
    rows = []
    by_region: dict[int, list[Target]] = defaultdict(list)
    for t in targets:
        by_region[t.region_id].append(t)
    for region_id, region_targets in by_region.items():
        rows += _target_trend_rows(targets=region_targets, grid=grids[region_id], as_of=as_of)
    order = {t.pk: i for i, t in enumerate(targets)}
    rows.sort(key=lambda r: order[r.target.pk])
    return PlanPage(plan, lineage, children, rows, as_of, include)
