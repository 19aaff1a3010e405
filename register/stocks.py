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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace

from django.db import transaction

from indicators.bulk import insert_rows
from indicators.periods import Quarter
from regions.models import Region
from register.models import (
    Certificate,
    CertificateStatus,
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


def _merged(spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The union of half-open ranges, as disjoint ranges."""
    spans.sort()
    start, end = spans[0]
    for a, b in spans[1:]:
        if a > end:
            yield start, end
            start, end = a, b
        elif b > end:
            end = b
    yield start, end


def _holder_events(events: Events, region: int, ranges: list, sign: int) -> None:
    """Add one holder's ranges (type id, group, first, after) to ``events`` with ``sign``."""
    spans: dict[tuple[int | None, str], list[tuple[int, int]]] = defaultdict(list)
    for type_id, group, a, b in ranges:
        for key in ((type_id, group), (None, group), (None, "")):
            spans[key].append((a, b))
            events[(region, *key, a)][0] += sign
            events[(region, *key, b)][0] -= sign
    for key, found in spans.items():
        for a, b in _merged(found):
            events[(region, *key, a)][1] += sign
            events[(region, *key, b)][1] -= sign


def _sweep(events: Events, *, holders: Iterable[int] | None, sign: int, **where) -> None:
    """The events of the valid intervals of ``holders`` (all holders for None, or those
    matching ``where``, e.g. their region's path), added to ``events`` with ``sign``."""
    rows = CertificateStatus.objects.filter(status=Certificate.Status.VALID, **where)
    if holders is not None:
        holders = list(holders)
        if not holders:
            return
        rows = rows.filter(certificate__holder_id__any_of=holders)
    rows = rows.order_by("certificate__holder_id").values_list(
        "certificate__holder_id",
        "certificate__holder__region_id",
        "certificate__type_id",
        "certificate__type__group",
        "valid_from",
        "valid_to",
        "certificate__issued_on",
        "certificate__expires_on",
    )
    current, region, ranges = None, None, []
    day = dt.timedelta(days=1)
    for holder, region_id, type_id, group, since, until, issued, expires in rows.iterator(
        chunk_size=BATCH
    ):
        if holder != current:
            if ranges:
                _holder_events(events, region, ranges, sign)
            current, region, ranges = holder, region_id, []
        # valid on the days [start, end): the status interval within issue .. expiry
        start = max(since, issued)
        end = expires + day if until is None else min(until, expires + day)
        a, b = quarter_number(start), quarter_number(end)
        if a < b:  # some quarter end lies in it
            ranges.append((type_id, group, a, b))
    if ranges:
        _holder_events(events, region, ranges, sign)


def _cell_deltas(events: Events) -> dict[tuple[int, int | None, str, int], tuple[int, int]]:
    """Per region, type/group/total and quarter: the change of the stocks (cumulative sums of
    the events over the quarters), rolled up to every ancestor; zero changes left out."""
    by_key: dict[Key, list[tuple[int, list[int]]]] = defaultdict(list)
    for (region, type_id, group, number), delta in events.items():
        if delta[0] or delta[1]:
            by_key[(region, type_id, group)].append((number, delta))
    if not by_key:
        return {}
    paths = dict(
        Region.objects.filter(pk__any_of=list({k[0] for k in by_key})).values_list("pk", "path")
    )
    codes = {c for p in paths.values() for c in p.strip("/").split("/")}
    ids = dict(Region.objects.filter(code__any_of=list(codes)).values_list("code", "pk"))
    chain = {pk: [ids[c] for c in path.strip("/").split("/")] for pk, path in paths.items()}
    cells: dict[tuple[int, int | None, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for (region, type_id, group), found in by_key.items():
        found.sort()
        c = o = 0
        for (number, delta), following in zip(found, [*found[1:], (None, None)], strict=True):
            c, o = c + delta[0], o + delta[1]
            if not (c or o):
                continue
            for q in range(number, following[0]):
                for node in chain[region]:
                    cell = cells[(node, type_id, group, q)]
                    cell[0] += c
                    cell[1] += o
    return {k: (v[0], v[1]) for k, v in cells.items() if v[0] or v[1]}


def _apply(events: Events) -> None:
    """Add the stocks' changes to the stored rows (one per region and quarter)."""
    deltas = _cell_deltas(events)
    if not deltas:
        return
    codes = dict(CertificationType.objects.values_list("pk", "code"))
    by_cell: dict[tuple[int, int], list] = defaultdict(list)
    for (region, type_id, group, number), delta in deltas.items():
        by_cell[(region, number)].append((type_id, group, delta))
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
        for type_id, group, (dc, do) in changes:
            if type_id is None and not group:
                certs, orgs = certs + dc, orgs + do
                continue
            values, key = (by_type, codes[type_id]) if type_id else (by_group, group)
            c, o = values.get(key, (0, 0))
            if c + dc or o + do:
                values[key] = [c + dc, o + do]
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
                    by_type=json.dumps(by_type, sort_keys=True),
                    by_group=json.dumps(by_group, sort_keys=True),
                )  # fmt: skip
            )
    insert_rows(RegisterStock, rows, batch=BATCH)


@contextmanager
def register_stocks_refreshed(*, holders: set[int], regions: set[int]) -> Iterator[set[int]]:
    """Keep the stock cells right across a write to the certificates of ``holders`` (ids of
    stored organizations) held in ``regions``: lock those regions and their ancestors (root
    first, as ``indicators.rollups`` does), sweep the holders before the block, and after it
    sweep them again with the holders the block adds to the yielded set, adding the difference
    to the cells. To be used inside the write's transaction."""
    assert transaction.get_connection().in_atomic_block, "inside the import's transaction"
    if _deferred.get():  # a bulk load: every cell is rebuilt at its end
        yield set()
        return
    paths = Region.objects.filter(pk__any_of=list(regions)).values_list("path", flat=True)
    codes = {c for p in paths for c in p.strip("/").split("/")}
    list(Region.objects.select_for_update().filter(code__any_of=list(codes)).order_by("path"))
    events: Events = defaultdict(lambda: [0, 0])
    _sweep(events, holders=holders, sign=-1)
    touched = set(holders)
    yield touched
    _sweep(events, holders=touched, sign=1)
    _apply(events)


@contextmanager
def register_stocks_deferred() -> Iterator[None]:
    """A bulk load (the national register in 204 files of 20,000 rows, each touching nearly
    every region and quarter): the imports inside the block skip their refresh, and the cells
    are rebuilt once on leaving it, in the same transaction (the caller's ``atomic``)."""
    assert transaction.get_connection().in_atomic_block, "inside the load's transaction"
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
    register_stocks_rebuild()


@transaction.atomic
def register_stocks_rebuild() -> int:
    """Recompute every stock cell from the certificates (after a bulk load, a restore, or a
    move in the region tree), one top-level region's holders at a time to bound the memory;
    returns the number of cells written."""
    RegisterStock.objects.all().delete()
    holder_regions = Organization.objects.values_list("region__path", flat=True).distinct()
    tops = sorted({p.strip("/").split("/")[0] for p in holder_regions})
    for root in Region.objects.filter(code__in=tops):
        for child in [root, *Region.objects.filter(parent=root).order_by("path")]:
            events: Events = defaultdict(lambda: [0, 0])
            if child is root:  # the holders of the top-level region itself
                where = {"certificate__holder__region_id": root.pk}
            else:
                where = {"certificate__holder__region__path__startswith": child.path}
            _sweep(events, holders=None, sign=1, **where)
            _apply(events)
    return RegisterStock.objects.count()
