"""Reads of target allocation (目标分解): which regions a target may be handed down to, their
values at the baseline and latest quarter, the proportional prefill, and the sum of the
allocations against the parent target. Values come from values.py (nothing is summed here: the
sum of the allocations is a sum of target values, not of counts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Q
from django.utils import timezone

from indicators.models import Target, TargetEvent
from indicators.periods import Quarter
from indicators.selectors.values import Inclusion, RegionValue, regions_values
from regions.models import Region

BASES = ("baseline", "latest")


def proportional_split(*, weights: Mapping[str, int | Fraction], total: int) -> dict[str, int]:
    """``total`` split in proportion to ``weights`` in whole numbers that add up to ``total``
    exactly (largest remainder): each key gets the whole part of its exact share, and the units
    left over go one each to the largest remainders (ties: the larger weight, then the key).

    Example: 12,000 over 5,000 + 3,000 + 1,000 = 9,000 → 6,666.67 / 4,000 / 1,333.33 →
    6,667 + 4,000 + 1,333 = 12,000. Keys with a weight of 0 get 0; all weights 0 (or none
    known) splits equally.
    """
    keys = sorted(weights)
    if not keys:
        return {}
    whole = sum(Fraction(weights[k]) for k in keys)
    if whole <= 0:
        weights, whole = {k: 1 for k in keys}, Fraction(len(keys))
    exact = {k: Fraction(weights[k]) * total / whole for k in keys}
    out = {k: int(exact[k]) for k in keys}  # floor: shares are not negative
    left = total - sum(out.values())
    order = sorted(keys, key=lambda k: (-(exact[k] - out[k]), -Fraction(weights[k]), k))
    for k in order[:left]:
        out[k] += 1
    return out


def allocation_regions(target: Target) -> tuple[list[Region], list[Region]]:
    """The regions ``target`` can be allocated to: its region's active division children (their
    allocations add up toward the target) and the zones directly under the region or under one
    of those divisions (兰州新区 for a Gansu target: its own target, never counted in the sum).
    Two lists, each by code; one query."""
    region = target.region
    rows = list(
        Region.objects.filter(active=True, path__startswith=region.path)
        .filter(Q(parent=region) | Q(parent__parent=region, kind=Region.Kind.ZONE))
        .order_by("code")
    )
    divisions = [r for r in rows if r.parent_id == region.pk and r.kind == Region.Kind.DIVISION]
    division_ids = {r.pk for r in divisions} | {region.pk}
    zones = [r for r in rows if r.kind == Region.Kind.ZONE and r.parent_id in division_ids]
    return divisions, zones


def allocations_of(target: Target) -> dict[int, Target]:
    """The allocations of ``target``, by region id (one query)."""
    return {
        t.region_id: t
        for t in Target.objects.filter(allocated_from=target).select_related("region")
    }


def allocation_editable(target: Target, *, today=None) -> bool:
    """Allocations may be saved until the target's due quarter has passed (its last day)."""
    today = today or timezone.localdate()
    return today <= target.due.end_date


@dataclass(frozen=True)
class AllocationRow:
    """One region of the allocation page: its values and its allocation (saved, prefilled)."""

    region: Region
    is_zone: bool
    baseline: RegionValue
    latest: RegionValue | None
    allocated: int | None
    prefill: int | None
    demo: bool = False  # the saved allocation is seed_demo's


@dataclass(frozen=True)
class AllocationPage:
    """A target's allocation page: the divisions (and zones) with their values, the saved
    allocations, the prefill of the chosen basis, the sum against the target."""

    target: Target
    rows: list[AllocationRow]
    basis: str
    basis_quarter: Quarter | None
    editable: bool
    events: list[TargetEvent]
    include: Inclusion
    latest_quarter: Quarter | None = None  # the quarter "the latest quarter" prefill uses

    @property
    def divisions(self) -> list[AllocationRow]:
        return [r for r in self.rows if not r.is_zone]

    @property
    def zones(self) -> list[AllocationRow]:
        return [r for r in self.rows if r.is_zone]

    @property
    def demo(self) -> bool:
        """Some saved allocation is a demo allocation (no document allocated it)."""
        return any(r.demo for r in self.rows)

    @property
    def allocated_sum(self) -> int:
        """Sum of the divisions' allocations (zones never count)."""
        return sum(r.allocated or 0 for r in self.divisions)

    @property
    def difference(self) -> int:
        """Allocated sum minus the target: negative = short by, positive = over by."""
        return self.allocated_sum - self.target.value


def allocation_page(
    *,
    target: Target,
    basis: str = "baseline",
    include: Inclusion = Inclusion.SUBMITTED,
    as_of: Quarter | None = None,
) -> AllocationPage:
    """Everything the allocation page shows for ``target``, in a constant number of queries.

    ``basis``: ``baseline`` (the plan's issued quarter) or ``latest`` (the latest quarter up to
    ``as_of`` in which every division has a complete value, else the latest with any). The
    prefill splits the target value over the divisions with a complete value at that quarter in
    proportion to those values (:func:`proportional_split`); zones get no prefill.
    """
    as_of = as_of or Quarter.last_complete()
    basis = basis if basis in BASES else "baseline"
    divisions, zones = allocation_regions(target)
    regions = divisions + zones
    base_q = target.plan.issued_quarter
    ind = target.indicator.code
    start = min(base_q, as_of)
    grid = regions_values(
        regions=regions or [target.region],
        start=start,
        end=max(as_of, start),
        indicators=[target.indicator],
        include=include,
    )
    latest = {}
    for r in regions:
        points = [p for p in grid.points(r.code, ind) if p.period <= as_of]
        latest[r.code] = grid.get(r.code, ind, points[-1].period) if points else None
    # The latest basis is named on the page (its button) whichever basis is chosen.
    full = [
        q
        for q in grid.quarters
        if q <= as_of and all(grid.get(d.code, ind, q).complete for d in divisions)
        and all(grid.get(d.code, ind, q).value is not None for d in divisions)
    ]  # fmt: skip
    known = [q for q in grid.quarters if q <= as_of and any(
        grid.get(d.code, ind, q).value is not None for d in divisions)]  # fmt: skip
    latest_q = full[-1] if full else (known[-1] if known else None)
    basis_q = base_q if basis == "baseline" else latest_q
    weights = {}
    for d in divisions:
        cell = grid.get(d.code, ind, basis_q) if basis_q else None
        if cell is not None and cell.value is not None and cell.complete:
            weights[d.code] = cell.value
    if not weights:
        weights = {d.code: 0 for d in divisions}  # nothing known: an equal split
    prefill = proportional_split(weights=weights, total=target.value)
    saved = allocations_of(target)
    rows = [
        AllocationRow(
            region=r,
            is_zone=r.kind == Region.Kind.ZONE,
            baseline=grid.get(r.code, ind, base_q),
            latest=latest[r.code],
            allocated=saved[r.pk].value if r.pk in saved else None,
            prefill=None if r.kind == Region.Kind.ZONE else prefill.get(r.code),
            demo=r.pk in saved and saved[r.pk].is_demo,
        )
        for r in regions
    ]
    events = list(
        TargetEvent.objects.filter(Q(parent=target) | Q(target=target))
        .select_related("user", "region")
        .order_by("-at", "-id")[:50]
    )
    return AllocationPage(
        target, rows, basis, basis_q, allocation_editable(target), events, include, latest_q
    )


def shown_total(rows) -> int | None:
    """The sum of the divisions' values as the page shows them in its inputs (pairs of row and
    shown value: saved, prefilled or just posted); None where one is not a whole number (the
    save refuses it anyway). Empty inputs count nothing."""
    total = 0
    for _row, shown in rows:
        text = str(shown).strip().replace(",", "")
        if text == "":
            continue
        if not text.isdigit():
            return None
        total += int(text)
    return total
