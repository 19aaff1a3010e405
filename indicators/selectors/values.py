"""The stock grid: values of regions × indicators × quarters, computed from the counts or read
from the roll-up cells. The only code that sums counts; targets, workflow and pages live elsewhere.

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

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from indicators.models import Indicator, QuarterlyCount
from indicators.periods import Quarter, quarter_range
from indicators.progress import (
    Point,
)
from regions.models import Region

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
        """The values asked for with ``?values=``; absent or unknown: :data:`DEFAULT_INCLUSION`,
        the one default of every leader-facing output (docs/glossary.md)."""
        try:
            return cls(text)
        except ValueError:
            return default or DEFAULT_INCLUSION


_INCLUSION_STATUSES = {
    Inclusion.APPROVED: (str(Status.APPROVED),),
    Inclusion.SUBMITTED: (str(Status.APPROVED), str(Status.SUBMITTED)),
}


# One name per language for each choice (docs/glossary.md, "values included"): the pages'
# choice, the Excel About sheet, the brief and the docs all say these words.
INCLUSION_LABELS = {
    Inclusion.APPROVED: _("Approved only"),
    Inclusion.SUBMITTED: _("Approved and awaiting review"),
}

# The one default of every leader-facing output (dashboards, overview, plan page, ranking,
# Excel report, brief, to-do home): the same address gives the same numbers in each (issue
# 22.5). Approved and awaiting review: a leader sees the latest figures, each one awaiting
# review marked as such (open circle, "（待审核）", "含待审核数据" under the brief's title); the
# approved-only view is one choice away. Why: docs/glossary.md.
DEFAULT_INCLUSION = Inclusion.SUBMITTED


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
    # points() of each region and indicator, once read: targets of the same region and
    # indicator (a plan's milestones) share them (2,996 targets on a national home).
    _points: dict[tuple[str, str], tuple[Point, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

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
        """Known *complete* values as progress points, oldest first: an incomplete roll-up is
        never presented as the full figure, so it does not count as progress (nor feed the
        forecast)."""
        key = (region_code, indicator_code)
        found = self._points.get(key)
        if found is None:
            found = tuple(
                Point(q, value)
                for q in self.quarters
                if (vc := _value_complete(self.cells, (region_code, indicator_code, q))) is not None
                and (value := vc[0]) is not None
                and vc[1]
            )
            self._points[key] = found
        return list(found)

    def year_end(self, region_code: str, indicator_code: str, year: int) -> YearEndValue:
        """Q4 if known, else the latest quarter of ``year`` with data (never a sum over time)."""
        for quarter in (4, 3, 2, 1):
            period = Quarter(year, quarter)
            row = self.cells.get((region_code, indicator_code, period))
            if row is not None and row.value is not None:
                return YearEndValue(year, row)
        return YearEndValue(year, None)


class StoredCells(dict):
    """The cells of a grid read from the roll-up cells (:func:`_grid_from_cells`), each kept as
    its stored columns and made a :class:`RegionValue` when first read: a national leader's
    home reads 27,000 cells to use the points of a few per target, and building a frozen
    dataclass of ten fields for each cost more than reading them (issue 25). Reads exactly as
    a dict of RegionValues."""

    def __getitem__(self, key):
        found = dict.__getitem__(self, key)
        if type(found) is tuple:
            found = cell_value(key[0], key[1], key[2], found)
            dict.__setitem__(self, key, found)
        return found

    def get(self, key, default=None):
        return self[key] if dict.__contains__(self, key) else default

    def values(self):
        return [self[key] for key in self]

    def items(self):
        return [(key, self[key]) for key in self]

    def __eq__(self, other):  # as the dict of RegionValues it reads as
        if not isinstance(other, dict):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None


def _value_complete(cells: dict, key) -> tuple[int | None, bool] | None:
    """A cell's value and completeness without making it a RegionValue (None: no cell)."""
    found = dict.get(cells, key)
    if found is None:
        return None
    if type(found) is tuple:  # StoredCells: (value, source, complete, ...)
        return found[0], found[2]
    return found.value, found.complete


def rollup_line(rows: Sequence[RegionValue]) -> bool:
    """Whether a region's line is the **sum of its divisions** for every quarter (docs/progress.md,
    "One series, one source"): where its series has quarters with a value entered directly
    beside a complete sum of the divisions *and* quarters with only that sum (Gansu: direct Q4
    counts from national statistics, roll-ups in Q1–Q3), a line through both would jump between
    sources (dipping into every Q1 while every division grew). The direct values are then their
    own series, and stay the value of their quarter for targets and downloads (DOMAIN.md)."""
    beside = rollup_only = False
    for r in rows:
        if r.source is Source.DIRECT and r.children_complete and r.children_sum is not None:
            beside = True
        elif r.source is Source.ROLLUP and r.complete:
            rollup_only = True
    return beside and rollup_only


def line_value(row: RegionValue, *, rollup: bool) -> int | None:
    """The value a region's line draws at ``row``'s quarter: on a line of the sum of the divisions
    (``rollup``, :func:`rollup_line`), that complete sum beside a direct value; otherwise the
    complete value. None, a gap, where there is no complete value: a line never runs across a
    quarter it has no full figure for."""
    if rollup and row.source is Source.DIRECT:
        return row.children_sum if row.children_complete else None
    return row.value if row.value is not None and row.complete else None


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
    include: Inclusion = DEFAULT_INCLUSION,
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
    include: Inclusion = DEFAULT_INCLUSION,
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
    include: Inclusion = DEFAULT_INCLUSION,
) -> RegionValue:
    """The stock of one region at one quarter end (direct, else roll-up, else nothing)."""
    return region_values(
        region=region, indicator=indicator, start=period, end=period, include=include
    )[0]


def year_end_value(
    *, region: Region, indicator: Indicator, year: int, include: Inclusion = DEFAULT_INCLUSION
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
    cells = StoredCells()
    # The grid's own Quarter objects, not one new per cell (27,000 on a national home).
    period_of = {(q.year, q.quarter): q for q in grid.quarters}
    for rid, iid, year, quarter, *rest in rows:
        period = period_of.get((year, quarter)) or Quarter(year, quarter)
        cells[(code_of[rid], ind_code[iid], period)] = tuple(rest)
    grid.cells = cells
    return grid


def region_and_children_values(
    *,
    root: Region,
    start: Quarter,
    end: Quarter,
    indicators: Sequence[Indicator] | None = None,
    include: Inclusion = DEFAULT_INCLUSION,
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
    include: Inclusion = DEFAULT_INCLUSION,
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
