"""Materialized roll-ups (``RollupCell``): refreshed inside every write, rebuilt after bulk loads.

``selectors.values.subtree_values`` computes stock values from the raw counts (the reference,
used by the tests). At national scale that means summing ~400,000 counts for one dashboard, so
the same values are also kept in ``RollupCell`` and read from there by the dashboard selectors
(``selectors.values.region_and_children_values``). The rule itself is not duplicated: both paths
call ``selectors.values.combine_cell``.

Every service that changes a count calls :func:`rollups_touch` inside its transaction. The
refresh recomputes the touched cells and those of every ancestor, deepest first, a handful of
set-based queries per tree level whatever the number of cells. Inside :func:`rollups_deferred`
(an import of a whole file) touches are collected and refreshed once, at the end. The targets'
stored statuses (``indicators.target_statuses``) are refreshed with them, for every touched
count (a draft too), and rebuilt with them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

from django.db import transaction
from django.db.models import Q

from indicators.bulk import insert_rows
from indicators.models import Indicator, QuarterlyCount, RollupCell
from indicators.pagecache import data_changed
from indicators.periods import Quarter
from indicators.selectors.values import (
    CELL_FIELDS,
    Inclusion,
    RegionValue,
    Source,
    cell_value,
    combine_cell,
    subtree_values,
)
from indicators.target_statuses import target_statuses_refresh_all, target_statuses_touch
from regions.models import Region

Key = tuple[int, int, Quarter]  # region id, indicator id, quarter


@dataclass
class _Pending:
    """What a deferred block has collected: the keys to refresh per inclusion, and whether any
    count changed at all (a draft changes no cell, but the completeness heatmap shows it)."""

    keys: dict[Inclusion, set[Key]] = field(default_factory=dict)
    changed: bool = False
    touched: set[Key] = field(default_factory=set)  # every key, drafts too (target statuses)


_pending: ContextVar[_Pending | None] = ContextVar("certtrack_rollups_pending", default=None)


@lru_cache(maxsize=64)
def _affected(statuses: tuple[str, str] | None) -> frozenset[Inclusion]:
    """The inclusions whose cells a count's change from ``statuses[0]`` to ``statuses[1]`` can
    alter: those counting either status (a cell also records whether its value is approved).
    A draft or returned count, before and after, is in none; unknown statuses: all."""
    if statuses is None:
        return frozenset(Inclusion)
    return frozenset(i for i in Inclusion if set(statuses) & set(i.statuses))


def rollups_touch(
    *,
    region: Region,
    indicator: Indicator,
    period: Quarter,
    statuses: tuple[str, str] | None = None,
) -> None:
    """A count of ``region`` changed: refresh now, or at the end of the deferred block; then
    raise the data version (:func:`indicators.pagecache.data_changed`), always after the
    roll-ups, so every writer locks the regions before the version row (no deadlock).

    ``statuses`` (old, new), when given, limits the refresh to the inclusions that count
    either status, and skips it for a change that stays outside every roll-up.
    """
    inclusions = _affected(statuses)
    key = (region.pk, indicator.pk, period)
    pending = _pending.get()
    if pending is not None:
        pending.changed = True
        pending.touched.add(key)
        for inclusion in inclusions:
            pending.keys.setdefault(inclusion, set()).add(key)
        return
    if inclusions:
        rollups_refresh(keys=[key], inclusions=inclusions)
    # A draft changes no cell but may make a target pending: its statuses are refreshed always.
    target_statuses_touch([key])
    data_changed()


@contextmanager
def rollups_deferred() -> Iterator[None]:
    """Collect touches and refresh them once on leaving the block (inside its transaction)."""
    if _pending.get() is not None:  # nested: the outer block refreshes
        yield
        return
    token = _pending.set(_Pending())
    try:
        yield
        pending = _pending.get()
    finally:
        _pending.reset(token)
    groups: dict[frozenset[Key], set[Inclusion]] = defaultdict(set)
    for inclusion, keys in pending.keys.items():  # usually one group: the same keys for both
        groups[frozenset(keys)].add(inclusion)
    for keys, inclusions in groups.items():
        rollups_refresh(keys=keys, inclusions=inclusions)
    if pending.touched:
        target_statuses_touch(pending.touched)
    if pending.changed:
        data_changed()


def _to_cell(
    row: RegionValue, *, region_id: int, indicator_id: int, inclusion: Inclusion
) -> SimpleNamespace:
    """A RollupCell row for :func:`indicators.bulk.insert_rows` (not a model instance: a
    refresh of a national import writes tens of thousands)."""
    return SimpleNamespace(
        region_id=region_id,
        indicator_id=indicator_id,
        year=row.period.year,
        quarter=row.period.quarter,
        inclusion=inclusion.value,
        value=row.value,
        source=row.source.value,
        complete=row.complete,
        children_sum=row.children_sum,
        children_complete=row.children_complete,
        approved=row.approved,
        status=row.status or "",
    )


def _quarters_q(quarters: set[Quarter]) -> Q:
    by_year: dict[int, list[int]] = defaultdict(list)
    for q in quarters:
        by_year[q.year].append(q.quarter)
    out = Q(pk__in=[])
    for year, qs in by_year.items():
        out |= Q(year=year, quarter__in=sorted(qs))
    return out


@transaction.atomic
def rollups_refresh(
    *, keys: Iterable[Key], inclusions: Iterable[Inclusion] = tuple(Inclusion)
) -> None:
    """Recompute the cells (of ``inclusions``) of the touched regions and all their ancestors
    for the touched indicators × quarters, level by level from the deepest (≈ 5 queries per
    level)."""
    keys = set(keys)
    inclusions = [i for i in Inclusion if i in set(inclusions)]
    if not keys or not inclusions:
        return
    inclusion_values = [i.value for i in inclusions]
    indicator_ids = {k[1] for k in keys}
    quarters = {k[2] for k in keys}
    touched = Region.objects.filter(pk__any_of=list({k[0] for k in keys})).only("path")
    codes = {c for r in touched for c in r.path.strip("/").split("/")}
    # Lock the regions whose cells are recomputed, root first (one order for everyone), until
    # the transaction ends. Two writers under the same ancestor would otherwise each recompute
    # its cells without the other's uncommitted count (the second to commit wins with a sum
    # missing the first's change) or insert the same cell twice (a unique violation, a 500).
    # Once the lock is ours, every query below (READ COMMITTED) sees the other's committed count.
    nodes = list(
        Region.objects.select_for_update().filter(code__any_of=list(codes)).order_by("path")
    )
    indicators = {i.pk: i.code for i in Indicator.objects.filter(pk__in=indicator_ids)}
    by_depth: dict[int, list[Region]] = defaultdict(list)
    for node in nodes:
        by_depth[node.depth].append(node)

    for depth in sorted(by_depth, reverse=True):
        level = by_depth[depth]
        level_ids = [n.pk for n in level]
        directs = {
            (region_id, indicator_id, year, quarter): (value, status)
            for region_id, indicator_id, year, quarter, value, status in QuarterlyCount.objects.filter(
                region_id__any_of=level_ids, indicator_id__in=indicator_ids
            )
            .filter(_quarters_q(quarters))
            .values_list("region_id", "indicator_id", "year", "quarter", "value", "status")
        }
        divisions: dict[int, list[Region]] = defaultdict(list)
        for child in Region.objects.filter(
            parent_id__any_of=level_ids, active=True, kind=Region.Kind.DIVISION
        ).only("code", "parent_id"):
            divisions[child.parent_id].append(child)
        child_ids = [c.pk for kids in divisions.values() for c in kids]
        child_code = {c.pk: c.code for kids in divisions.values() for c in kids}
        child_cells = {  # plain rows, not model instances: a national refresh reads ~30,000
            (region_id, indicator_id, year, quarter, inclusion): rest
            for region_id, indicator_id, year, quarter, inclusion, *rest in RollupCell.objects.filter(
                region_id__any_of=child_ids, indicator_id__in=indicator_ids
            )
            .filter(_quarters_q(quarters), inclusion__in=inclusion_values)
            .values_list(*CELL_FIELDS[:4], "inclusion", *CELL_FIELDS[4:])
        }
        new_cells = []
        counted = {inclusion: frozenset(inclusion.statuses) for inclusion in inclusions}
        # Keys are plain tuples (year and quarter apart): tens of thousands of lookups here.
        periods = [(period, period.year, period.quarter) for period in quarters]
        for node in level:
            if not node.active:
                continue
            node_kids = divisions.get(node.pk, [])
            for ind_id, ind_code in indicators.items():
                for period, year, quarter in periods:
                    direct = directs.get((node.pk, ind_id, year, quarter))
                    if direct is None and not node_kids:
                        continue  # no value of its own and nothing below: no cell
                    for inclusion in inclusions:
                        kids = []
                        for child in node_kids:
                            cell = child_cells.get(
                                (child.pk, ind_id, year, quarter, inclusion.value)
                            )
                            kids.append(
                                cell_value(child_code[child.pk], ind_code, period, cell)
                                if cell is not None
                                else RegionValue(
                                    child.code,
                                    ind_code,
                                    period,
                                    None,
                                    Source.NONE,
                                    False,
                                    None,
                                    False,
                                    False,
                                )
                            )
                        row = combine_cell(
                            region_code=node.code,
                            indicator_code=ind_code,
                            period=period,
                            direct=direct if direct and direct[1] in counted[inclusion] else None,
                            children=kids,
                        )
                        if row.value is not None:
                            new_cells.append(
                                _to_cell(
                                    row, region_id=node.pk, indicator_id=ind_id, inclusion=inclusion
                                )
                            )
        RollupCell.objects.filter(
            region_id__any_of=level_ids, indicator_id__in=indicator_ids
        ).filter(_quarters_q(quarters), inclusion__in=inclusion_values).delete()
        insert_rows(RollupCell, new_cells)


@transaction.atomic
def rollups_rebuild(*, batch_size: int = 5000) -> int:
    """Recompute every cell from the raw counts (after a bulk load or a change to the tree)."""
    RollupCell.objects.all().delete()
    bounds = QuarterlyCount.objects.order_by("year", "quarter").values_list("year", "quarter")
    first, last = bounds.first(), bounds.last()
    if first is None:
        target_statuses_refresh_all()
        data_changed()
        return 0
    start, end = Quarter(*first), Quarter(*last)
    indicators = list(Indicator.objects.all())
    ind_id = {i.code: i.pk for i in indicators}
    written = 0
    for root in Region.objects.filter(parent__isnull=True, active=True):
        for inclusion in Inclusion:
            grid = subtree_values(
                root=root, start=start, end=end, indicators=indicators, include=inclusion
            )
            region_id = {code: r.pk for code, r in grid.regions.items()}
            batch = [
                _to_cell(
                    row,
                    region_id=region_id[row.region_code],
                    indicator_id=ind_id[row.indicator_code],
                    inclusion=inclusion,
                )
                for row in grid.cells.values()
                if row.value is not None
            ]
            for i in range(0, len(batch), batch_size):
                insert_rows(RollupCell, batch[i : i + batch_size], batch=batch_size)
            written += len(batch)
    target_statuses_refresh_all()  # every status reads these cells
    data_changed()  # a bulk load or a change to the tree: every cached dashboard part is old
    return written
