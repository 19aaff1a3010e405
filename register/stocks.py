"""Materialized quarter-end stocks of the register (``RegisterStock``), kept by an event sweep.

The stock rule is the one of ``register.selectors`` (docs/register.md): a certificate counts at
the end of a quarter when that day lies in one of its valid intervals, i.e. inside a "valid"
entry of its history and between its issue and expiry dates. Evaluated at quarter ends only,
an interval [start, end) of days becomes a half-open range of quarter numbers
[quarter holding ``start``, quarter holding ``end``): the quarter ends it covers. The sweep
puts +1 at a range's first quarter and −1 after its last, and cumulative sums over the
quarters give the stocks: linear in the intervals, whatever the number of quarters.
Organizations are counted the same way over the union of each holder's ranges (per type, per
type group, over all types), so one organization counts once however many certificates it
holds.

Every stock is a sum over holders (an organization has one region), so an import changes the
cells by what its holders contributed after minus what they contributed before: the sweep of
those holders only, added to their regions' cells and to every ancestor's (summed over regions,
never over time). ``register_stocks_rebuild`` sweeps every holder from empty cells.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace

from django.db import connection, transaction

from indicators.bulk import insert_rows
from indicators.periods import Quarter
from regions.models import Region
from register import bulkload, stock_cells
from register.models import (
    CertificationType,
    Organization,
    RegisterStock,
)

BATCH = 10_000
_deferred: ContextVar[bool] = ContextVar("certtrack_register_stocks_deferred", default=False)
Key = tuple[int, int | None, str]  # region id, type id (None: a group or the total), group
Events = dict[tuple[int, int | None, str, int], list[int]]  # key + quarter number -> [±c, ±o]


def quarter_number(day: dt.date) -> int:
    """The number of the quarter holding ``day`` (consecutive quarters, consecutive numbers)."""
    return day.year * 4 + (day.month - 1) // 3


def quarter_of(number: int) -> Quarter:
    return Quarter(number // 4, number % 4 + 1)


# The sweep in SQL (one statement, linear in the intervals): each valid interval of days
# [start, end) -- a "valid" history entry within the certificate's issue .. expiry dates --
# becomes the range of quarter numbers [a, b) whose ends it covers, cut to start no earlier
# than the holder's first changed quarter (``q0``: the stocks before it do not change, and are
# neither swept nor rewritten). Certificates: +1 at a, -1 at b, added up per region, type and
# quarter, then per type group and over all types from those sums. Organizations: each
# holder's ranges per key (its type, its group, all types) in order; a range starts an island
# (+1 at a) where it begins after every earlier range of the holder has ended, and ends one
# (-1 at the farthest end so far, ``upto``) where the next range begins after that (or there is
# none): one window pass, no grouping of islands.
_SWEEP_SQL = """
WITH {holders_cte}spans AS (
  SELECT c.holder_id AS h, o.region_id AS r, c.type_id AS t, ty."group" AS g,
         {quarter_start} AS a0, {quarter_end} AS b, {q0} AS q0
  FROM register_certificatestatus s
  JOIN register_certificate c ON c.id = s.certificate_id
  JOIN register_organization o ON o.id = c.holder_id
  JOIN register_certificationtype ty ON ty.id = c.type_id
  {holders}
  WHERE s.status = 'valid' AND {where}
), ranges AS (
  SELECT h, r, t, g, CASE WHEN a0 > q0 THEN a0 ELSE q0 END AS a, b FROM spans
), certs AS (
  SELECT r, t, g, k, CAST(SUM(d) AS INTEGER) AS d FROM (
    SELECT r, t, g, a AS k, 1 AS d FROM ranges WHERE a < b
    UNION ALL SELECT r, t, g, b, -1 FROM ranges WHERE a < b
  ) AS ends GROUP BY r, t, g, k
), keyed AS (
  SELECT h, r, t AS kt, g AS kg, a, b FROM ranges WHERE a < b
  UNION ALL SELECT h, r, NULL, g, a, b FROM ranges WHERE a < b
  UNION ALL SELECT h, r, NULL, '', a, b FROM ranges WHERE a < b
), marked AS (
  SELECT r, kt, kg, a, b, MAX(b) OVER (
    PARTITION BY h, kt, kg ORDER BY a, b ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
  ) AS before, LEAD(a) OVER (PARTITION BY h, kt, kg ORDER BY a, b) AS next
  FROM keyed
), bounded AS (
  SELECT r, kt, kg, a, before, next,
         CASE WHEN before IS NULL OR b > before THEN b ELSE before END AS upto
  FROM marked
)
SELECT r, kt, kg, k, SUM(dc), SUM(dorg) FROM (
  SELECT r, t AS kt, g AS kg, k, d AS dc, 0 AS dorg FROM certs
  UNION ALL SELECT r, NULL, g, k, d, 0 FROM certs
  UNION ALL SELECT r, NULL, '', k, d, 0 FROM certs
  UNION ALL SELECT r, kt, kg, a, 0, 1 FROM bounded WHERE before IS NULL OR a > before
  UNION ALL SELECT r, kt, kg, upto, 0, -1 FROM bounded WHERE next IS NULL OR next > upto
) events
GROUP BY r, kt, kg, k
"""


def _quarter_sql(vendor: str, day: str) -> str:
    """SQL for :func:`quarter_number` of a date expression."""
    if vendor == "postgresql":
        # date_part (float8) rather than EXTRACT (numeric since PostgreSQL 14): 1.4x faster
        return f"(date_part('year', {day})::int * 4 + (date_part('month', {day})::int - 1) / 3)"
    return (
        f"(CAST(strftime('%%Y', {day}) AS INTEGER) * 4"
        f" + (CAST(strftime('%%m', {day}) AS INTEGER) - 1) / 3)"
    )


def _sweep(
    events: Events | None,
    *,
    sign: int,
    holders: Mapping[int, int] | None = None,
    region_id: int | None = None,
    path: str | None = None,
) -> None:
    """The events of the valid intervals of ``holders`` (id -> first quarter number to sweep),
    or of the holders of ``region_id``, or of the subtree ``path``, with ``sign``: added to
    ``events``, or on PostgreSQL (``events`` None) to the temporary table that
    :func:`register.stock_cells.apply_events` adds to the cells."""
    vendor = connection.vendor
    if vendor == "postgresql":
        start = "GREATEST(s.valid_from, c.issued_on)"
        end = "LEAST(COALESCE(s.valid_to, c.expires_on + 1), c.expires_on + 1)"
        join = "JOIN unnest(%s::bigint[], %s::int[]) AS hq(id, q0) ON hq.id = c.holder_id"
    else:
        start = "MAX(s.valid_from, c.issued_on)"
        after = "date(c.expires_on, '+1 day')"
        end = f"MIN(COALESCE(s.valid_to, {after}), {after})"
        join = "JOIN hq ON hq.id = c.holder_id"
    # SQLite: the holders as a materialized table of integers, which it indexes for the join
    # (joined to json_each directly, it scanned the list for every status row: 23 s for the
    # demo register's 5,700 holders)
    cte = ""
    q0, where, params = "0", "1 = 1", []
    if holders is not None:
        if not holders:
            return
        q0 = "hq.q0"
        if vendor == "postgresql":
            params = [list(holders), list(holders.values())]
        else:
            params = [json.dumps(list(holders.items()))]
            cte = (
                "hq AS MATERIALIZED (SELECT CAST(json_extract(value, '$[0]') AS INTEGER) AS id,"
                " json_extract(value, '$[1]') AS q0 FROM json_each(%s)), "
            )
    else:
        join = ""
        if region_id is not None:
            where, params = "o.region_id = %s", [region_id]
        else:
            where = "o.region_id IN (SELECT id FROM regions_region WHERE path LIKE %s)"
            params = [path + "%"]
    sql = _SWEEP_SQL.format(
        quarter_start=_quarter_sql(vendor, start),
        quarter_end=_quarter_sql(vendor, end),
        q0=q0,
        holders_cte=cte,
        holders=join,
        where=where,
    )
    with connection.cursor() as cursor:
        if events is None:
            stock_cells.add_events(cursor, sql, params, sign)
            return
        if vendor == "postgresql":  # its sorts and hashes in memory, for this transaction
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        for region, type_id, group, number, dc, dorg in cursor.fetchall():
            delta = events[(region, type_id, group, number)]
            delta[0] += sign * dc
            delta[1] += sign * dorg


def _cell_changes(events: Events) -> dict[tuple[int, int], dict[tuple[int | None, str], tuple]]:
    """Per region and quarter number, the change of its stocks by (type id, group) key: the
    events added up to every ancestor (summed over regions), then cumulated over the quarters
    (never summed over time: a stock at a quarter end is the sum of the events up to it)."""
    regions = {k[0] for k, delta in events.items() if delta[0] or delta[1]}
    if not regions:
        return {}
    paths = dict(Region.objects.filter(pk__any_of=list(regions)).values_list("pk", "path"))
    codes = {c for p in paths.values() for c in p.strip("/").split("/")}
    ids = dict(Region.objects.filter(code__any_of=list(codes)).values_list("code", "pk"))
    chain = {pk: [ids[c] for c in path.strip("/").split("/")] for pk, path in paths.items()}
    up: dict[tuple[int, int | None, str], dict[int, list[int]]] = defaultdict(dict)
    for (region, type_id, group, number), (dc, dorg) in events.items():
        if dc or dorg:
            for node in chain[region]:
                delta = up[(node, type_id, group)].setdefault(number, [0, 0])
                delta[0] += dc
                delta[1] += dorg
    cells: dict[tuple[int, int], dict[tuple[int | None, str], tuple]] = defaultdict(dict)
    for (node, type_id, group), found in up.items():
        c = o = 0
        previous = None
        for number in sorted(found):
            if c or o:
                for q in range(previous, number):
                    cells[(node, q)][(type_id, group)] = (c, o)
            dc, dorg = found[number]
            c, o, previous = c + dc, o + dorg, number
    return cells


def _new_events() -> Events | None:
    """Where the sweeps put their events: PostgreSQL keeps them in a temporary table and adds
    them to the cells in SQL (register.stock_cells); elsewhere a dict merged in Python."""
    if connection.vendor == "postgresql":
        stock_cells.start(connection)
        return None
    return defaultdict(lambda: [0, 0])


def _apply(events: Events | None) -> None:
    """Add the stocks' changes to the stored rows (one per region and quarter)."""
    if events is None:
        stock_cells.apply_events(connection)
        return
    by_cell = _cell_changes(events)
    if not by_cell:
        return
    codes = dict(CertificationType.objects.values_list("pk", "code"))
    nodes = list({k[0] for k in by_cell})
    numbers = [k[1] for k in by_cell]
    stored = RegisterStock.objects.filter(
        region_id__any_of=nodes, year__gte=min(numbers) // 4, year__lte=max(numbers) // 4
    ).values_list(
        "pk", "region_id", "year", "quarter", "certificates", "organizations", "by_type", "by_group"
    )
    current: dict[tuple[int, int], tuple] = {}
    for pk, region, year, quarter, *values in stored.iterator(chunk_size=BATCH):
        key = (region, year * 4 + quarter - 1)
        if key in by_cell:
            current[key] = (pk, *values)
    stale = [row[0] for row in current.values()]
    for start in range(0, len(stale), BATCH):
        RegisterStock.objects.filter(pk__any_of=stale[start : start + BATCH]).delete()
    rows = []
    for (region, number), changes in by_cell.items():
        _pk, certs, orgs, by_type, by_group = current.get((region, number), (None, 0, 0, {}, {}))
        if isinstance(by_type, str):  # a JSON column read back as text (no decoder on it)
            by_type, by_group = json.loads(by_type), json.loads(by_group)
        for (type_id, group), (dc, dorg) in changes.items():
            if type_id is None and not group:
                certs, orgs = certs + dc, orgs + dorg
                continue
            values, key = (by_type, codes[type_id]) if type_id else (by_group, group)
            c, o = values.get(key, (0, 0))
            if c + dc or o + dorg:
                values[key] = [c + dc, o + dorg]
            else:
                values.pop(key, None)
        if certs or orgs:
            rows.append(
                SimpleNamespace(
                    region_id=region,
                    year=number // 4,
                    quarter=number % 4 + 1,
                    certificates=certs,
                    organizations=orgs,
                    by_type=json.dumps(by_type),
                    by_group=json.dumps(by_group),
                )  # fmt: skip
            )
    insert_rows(RegisterStock, rows, batch=BATCH)


@contextmanager
def register_stocks_refreshed(
    *, holders: Mapping[int, dt.date], regions: set[int]
) -> Iterator[set[int]]:
    """Keep the stock cells right across a write to the certificates of ``holders`` (ids of
    stored organizations, each with the earliest day on which its certificates may count
    differently) held in ``regions``: lock those regions and their ancestors (root first, as
    ``indicators.rollups`` does), sweep the holders before the block from the quarter of that
    day on, and after it sweep them again with the holders the block adds to the yielded set
    (new ones: every quarter), adding the difference to the cells from those quarters on. To
    be used inside the write's transaction."""
    assert transaction.get_connection().in_atomic_block, "inside the import's transaction"
    if _deferred.get():  # a bulk load: every cell is rebuilt at its end
        yield set()
        return
    # the holders' current regions too (a certificate moving away from a holder not in the file)
    regions = set(regions) | set(
        Organization.objects.filter(pk__any_of=list(holders)).values_list("region_id", flat=True)
    )
    paths = Region.objects.filter(pk__any_of=list(regions)).values_list("path", flat=True)
    codes = {c for p in paths for c in p.strip("/").split("/")}
    list(Region.objects.select_for_update().filter(code__any_of=list(codes)).order_by("path"))
    first = {pk: quarter_number(day) for pk, day in holders.items()}
    events = _new_events()
    _sweep(events, holders=first, sign=-1)
    touched = set(holders)
    yield touched
    _sweep(events, holders={pk: first.get(pk, 0) for pk in touched}, sign=1)
    _apply(events)


@contextmanager
def register_stocks_deferred() -> Iterator[None]:
    """A bulk load (the national register in 204 files of 20,000 rows, each touching nearly
    every region and quarter): the imports inside the block skip their refresh, and the cells
    are rebuilt once on leaving it, in the same transaction (the caller's ``atomic``). On
    PostgreSQL the register tables' foreign keys and secondary indexes are set aside for the
    block and re-created, and checked, on leaving it, before the rebuild (register.bulkload)."""
    assert transaction.get_connection().in_atomic_block, "inside the load's transaction"
    aside = bulkload.set_aside()
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
    bulkload.restore(aside)
    register_stocks_rebuild()


@transaction.atomic
def register_stocks_rebuild() -> int:
    """Recompute every stock cell from the certificates (after a bulk load, a restore, or a
    move in the region tree), one top-level region's holders at a time to bound the memory;
    returns the number of cells written. Locks every top-level region first (root first, as an
    import's refresh locks its chain), so that no import adds to cells being rebuilt."""
    list(Region.objects.select_for_update().filter(parent__isnull=True).order_by("path"))
    RegisterStock.objects.all().delete()
    holder_regions = Organization.objects.values_list("region__path", flat=True).distinct()
    tops = sorted({p.strip("/").split("/")[0] for p in holder_regions})
    for root in Region.objects.filter(code__in=tops):
        for child in [root, *Region.objects.filter(parent=root).order_by("path")]:
            # decoded and merged in Python on every database: measured faster for a rebuild
            # (20-22 s against 25-26 s at 0.1 of national scale) than the SQL merge, which
            # pays for its per-cell JSON aggregation where no stored cell is kept unchanged
            events: Events = defaultdict(lambda: [0, 0])
            if child is root:  # the holders of the top-level region itself
                _sweep(events, sign=1, region_id=root.pk)
            else:
                _sweep(events, sign=1, path=child.path)
            _apply(events)
    return RegisterStock.objects.count()
