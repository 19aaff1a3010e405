"""Who has reported: the workflow status of every count of a subtree, rolled up the tree as the
least advanced status, for the completeness heatmap. Statuses only: no value is read or summed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from indicators.models import Indicator, QuarterlyCount
from indicators.periods import Quarter, quarter_range
from indicators.selectors.values import (
    ValueGrid,
    _period_q,
)
from regions.models import Region


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
        # Translated once per language: a national heatmap asks 800 times.
        key = (self, get_language())
        found = _LABELS.get(key)
        if found is None:
            found = _LABELS[key] = str(REPORT_STATUS_LABELS[self])
        return found

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
_LABELS: dict[tuple, str] = {}
REPORT_STATUS_LABELS = {
    ReportStatus.MISSING: _("Not reported"),  # the same term as the queue (docs/glossary.md)
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
    # A reporting unit met without a count of its own is *missing* unless something below it on
    # the walk reports: ``credited`` climbs from every row with a count up through its parents to
    # the walk's start, and the units it never reaches are missing (one join). Looking each
    # unit's descendants up in the walk was quadratic: 0.4 s for the nation in a quarter being
    # collected (issue 25). The walk carries ids only, the join to ``credited`` is made for the
    # units without a count alone, and the ranks are grouped by integers before the start's
    # code is joined: grouping and sorting the whole walk by its text columns took half of the
    # nation's query (60 → 40 ms; bench/NOTES.md, branch dashfast).
    sql = f"""
        WITH RECURSIVE keys(ind, year, quarter) AS (VALUES {keys}),
        walk(start_id, node_id, parent_id, is_ru, ind, year, quarter, own) AS (
            SELECT c.id, c.id, c.parent_id, c.is_reporting_unit,
                   k.ind, k.year, k.quarter, qc.status
            FROM {region_table} c CROSS JOIN keys k {own("c", "k")}
            WHERE (c.parent_id = %s OR c.id = %s) AND c.active
          UNION ALL
            SELECT w.start_id, d.id, d.parent_id, d.is_reporting_unit,
                   w.ind, w.year, w.quarter, qc.status
            FROM walk w
            JOIN {region_table} d ON d.parent_id = w.node_id AND d.active AND d.kind = %s
            {own("d", "w")}
            WHERE w.own IS NULL AND w.start_id <> %s
        ),
        credited(start_id, ind, year, quarter, node_id) AS (
            SELECT w.start_id, w.ind, w.year, w.quarter, w.parent_id
            FROM walk w WHERE w.own IS NOT NULL AND w.node_id <> w.start_id
          UNION
            SELECT c.start_id, c.ind, c.year, c.quarter, r.parent_id
            FROM credited c JOIN {region_table} r ON r.id = c.node_id
            WHERE c.node_id <> c.start_id
        ),
        ranked(start_id, ind, year, quarter, rank) AS (
            SELECT w.start_id, w.ind, w.year, w.quarter,
                   CASE w.own WHEN 'returned' THEN 1 WHEN 'draft' THEN 2
                              WHEN 'submitted' THEN 3 WHEN 'approved' THEN 4 END
            FROM walk w WHERE w.own IS NOT NULL
          UNION ALL
            SELECT w.start_id, w.ind, w.year, w.quarter, 0
            FROM walk w
            LEFT JOIN credited cr ON cr.start_id = w.start_id AND cr.ind = w.ind
                AND cr.year = w.year AND cr.quarter = w.quarter AND cr.node_id = w.node_id
            WHERE w.own IS NULL AND w.is_ru AND w.start_id <> %s AND cr.node_id IS NULL
          UNION ALL
            SELECT w.start_id, w.ind, w.year, w.quarter, NULL
            FROM walk w WHERE w.node_id = w.start_id
        )
        SELECT r.code, r.kind, g.ind, g.year, g.quarter, g.rank
        FROM (
            SELECT start_id, ind, year, quarter, MIN(rank) AS rank
            FROM ranked GROUP BY start_id, ind, year, quarter
        ) g
        JOIN {region_table} r ON r.id = g.start_id
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
