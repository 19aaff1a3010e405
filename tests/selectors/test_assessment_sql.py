"""Timeliness and quality summed per division in the database
(indicators.selectors.assessment.reporting: ``division_reporting`` and the rules as database
conditions, ``unit_quarter_flags``) agree with the Python rules (``UnitQuarter.due``,
``on_time``, ``quality``; ``timeliness_of``, ``quality_of``) over a grid of submissions ×
decisions × days, with totals checked by hand; the unit-quarters listed are those that cost
points first; and the queries do not grow with the divisions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.assessment import region_assessment
from indicators.selectors.assessment.reporting import (
    division_reporting,
    quality_of,
    timeliness_of,
    unit_quarters,
)
from indicators.selectors.entry import submission_deadline
from tests.conftest import make_region

S = QuarterlyCount.Status
A = CountEvent.Action
P = Quarter(2024, 2)  # deadline 2024-07-21 00:00 local time; P - 1 has no counts at all
DEADLINE = submission_deadline(P)
ON, LATE = DEADLINE - dt.timedelta(days=2), DEADLINE  # a first submission on time, late
BEFORE, AFTER = DEADLINE - dt.timedelta(days=1), DEADLINE + dt.timedelta(days=1)  # "now"
STORED = "stored"  # approved as stored with a review time, no event (older data)

# Each unit's counts of P: indicator → (status, first submission, decisions); and its
# (due, on time, clean, judged) flags in P, before and after the deadline, by hand:
# due = submitted or the deadline passed; on time = every count first submitted before it;
# clean = submitted, never returned, every count approved; judged = due and not awaiting.
CASES = {
    "x": {
        "nothing": ({}, (0, 0, 0, 0), (1, 0, 0, 1)),
        "drafts": ({"c": (S.DRAFT, None, ()), "o": (S.DRAFT, None, ())}, (0, 0, 0, 0), (1, 0, 0, 1)),
        "partial": ({"c": (S.SUBMITTED, ON, ())}, (0, 0, 0, 0), (1, 0, 0, 1)),
        "awaiting": (
            {"c": (S.SUBMITTED, ON, ()), "o": (S.SUBMITTED, ON, ())}, (1, 1, 0, 0), (1, 1, 0, 0),
        ),
        "approved": (
            {"c": (S.APPROVED, ON, (A.APPROVE,)), "o": (S.APPROVED, ON, (A.APPROVE,))},
            (1, 1, 1, 1), (1, 1, 1, 1),
        ),
        "one late": (
            {"c": (S.APPROVED, LATE, (A.APPROVE,)), "o": (S.APPROVED, ON, (A.APPROVE,))},
            (1, 0, 1, 1), (1, 0, 1, 1),
        ),
    },
    "y": {
        "returned": (
            {"c": (S.APPROVED, ON, (A.RETURN, A.APPROVE)), "o": (S.APPROVED, ON, (A.APPROVE,))},
            (1, 1, 0, 1), (1, 1, 0, 1),
        ),
        "half approved": (
            {"c": (S.APPROVED, ON, (A.APPROVE,)), "o": (S.SUBMITTED, ON, ())},
            (1, 1, 0, 0), (1, 1, 0, 0),
        ),
        "stored": (
            {"c": (S.APPROVED, ON, STORED), "o": (S.APPROVED, ON, STORED)},
            (1, 1, 1, 1), (1, 1, 1, 1),
        ),
        "no review time": (
            {"c": (S.APPROVED, ON, ()), "o": (S.APPROVED, ON, ())}, (1, 1, 0, 0), (1, 1, 0, 0),
        ),
        "returned late": (
            {"c": (S.RETURNED, LATE, (A.RETURN,)), "o": (S.SUBMITTED, ON, ())},
            (1, 0, 0, 1), (1, 0, 0, 1),
        ),
        "reopened": (  # a reopen is no decision: awaiting, on time
            {"c": (S.SUBMITTED, ON, (A.REOPEN,)), "o": (S.APPROVED, ON, (A.APPROVE,))},
            (1, 1, 0, 0), (1, 1, 0, 0),
        ),
    },
}  # fmt: skip


@pytest.fixture
def grid(certs, orgs):
    """Divisions X (980100) and Y (980200) of 980000, not reporting themselves, with a unit
    per case of :data:`CASES`; Z (980300) has no units."""
    indicators = {"c": certs, "o": orgs}
    province = make_region("980000", "格省", reporting=False)
    out = {"province": province}
    for d, (key, cases) in enumerate(CASES.items(), start=1):
        division = make_region(f"98{d:02d}00", key.upper(), parent=province, reporting=False)
        out[key] = division
        for i, (counts, _before, _after) in enumerate(cases.values(), start=1):
            unit = make_region(f"98{d:02d}{i:02d}", parent=division)
            for ind, (status, first, decisions) in counts.items():
                count = QuarterlyCount.objects.create(
                    region=unit, indicator=indicators[ind], year=P.year, quarter=P.quarter,
                    value=1, entered_at=ON, status=status, first_submitted_at=first,
                    submitted_at=first, reviewed_at=ON if decisions == STORED else None,
                )  # fmt: skip
                for j, action in enumerate(() if decisions == STORED else decisions):
                    CountEvent.objects.create(
                        count=count, action=action, at=first + dt.timedelta(hours=j + 1)
                    )
    out["z"] = make_region("980300", "Z", parent=province, reporting=False)
    return out


def _children(grid):
    return [grid["x"], grid["y"], grid["z"]]


@pytest.mark.parametrize("listed", [None, 1000], ids=["counted-from-the-list", "summed-in-sql"])
@pytest.mark.parametrize("now", [BEFORE, AFTER], ids=["before", "after"])
def test_sums_per_division_equal_the_python_rules(grid, now, listed):
    """P − 1 has no counts: every unit's P − 1 is due (its deadline has passed at both days),
    not on time, judged with no credit. By hand:

    X before: P 0+0+0+1+1+1 = 3 due, 2 on time, 2 clean, 2 judged; + 6 of P − 1 (due, judged)
      → 9 due, 2 on time, 2 clean, 8 judged, 12 unit-quarters.
    X after: P 6 due, 2 on time, 2 clean, 5 judged; + 6 → 12, 2, 2, 11.
    Y (both days): P 6 due, on time 1+1+1+1+0+1 = 5, clean 1 (stored), judged 3 (returned,
      stored, returned late); + 6 → 12, 5, 1, 9, 12 unit-quarters.
    Z: no units, nothing counted.

    Both readings: everything listed (the exports: counted from the unit-quarters read) and
    a page's (summed in the database, here with every row listed)."""
    quarters = [P - 1, P]
    sums = division_reporting(
        region=grid["province"], children=_children(grid), quarters=quarters, now=now,
        listed=listed,
    )  # fmt: skip
    got = {
        key: (r.due, r.on_time, r.clean, r.judged, r.total)
        for key in ("x", "y", "z")
        if (r := sums.get(grid[key].pk)) is not None
    }
    expected = {
        "x": (9, 2, 2, 8, 12) if now == BEFORE else (12, 2, 2, 11, 12),
        "y": (12, 5, 1, 9, 12),
    }
    assert got == expected
    # The table's flags add up to the same (the hand count above, case by case).
    for key, cases in CASES.items():
        flags = [before if now == BEFORE else after for _c, before, after in cases.values()]
        p = tuple(sum(f[i] for f in flags) for i in range(4))
        n = len(cases)
        assert got[key][:4] == (p[0] + n, p[1], p[2], p[3] + n)
    # And the Python rules over the unit-quarters themselves.
    python = unit_quarters(children=_children(grid), quarters=quarters, now=now)
    for key in ("x", "y"):
        row, mine = sums[grid[key].pk], python[grid[key].pk]
        assert (row.timeliness, row.quality) == (timeliness_of(mine), quality_of(mine))
        assert row.total == len(mine)
        assert sorted((o.unit.code, o.quarter) for o in row.listed) == sorted(
            (o.unit.code, o.quarter) for o in mine
        )


@pytest.mark.parametrize("listed", [0, 1, 3, 7, 100])
def test_the_listed_unit_quarters_are_those_that_cost_points_first(grid, listed):
    """With ``listed``, each division lists the first ``listed`` of its unit-quarters in
    (quarter, unit) order after a stable sort that puts those costing points first: X after
    the deadline has 10 that cost points (the 6 of P − 1; nothing, drafts, partial and one
    late of P), the same rows as the Python sort; Y (``listed_in_full``) is listed in full."""
    kw = dict(region=grid["province"], children=_children(grid), quarters=[P - 1, P], now=AFTER)
    python = unit_quarters(**{k: v for k, v in kw.items() if k != "region"})
    sums = division_reporting(**kw, listed=listed, listed_in_full="980200")
    for key in ("x", "y"):
        mine = sorted(python[grid[key].pk], key=lambda o: (o.quarter, o.unit.code))
        if key == "x":
            mine = sorted(mine, key=lambda o: 0 if o.costs_points else 1)[:listed]
        row = sums[grid[key].pk]
        assert row.total == 12
        assert sorted((o.unit.code, o.quarter) for o in row.listed) == sorted(
            (o.unit.code, o.quarter) for o in mine
        )
    costly = [o for o in python[grid["x"].pk] if o.costs_points]
    assert len(costly) == 10  # 6 of P − 1, nothing, drafts, partial, one late


def test_queries_do_not_grow_with_the_divisions(grid, certs, orgs):
    """The page's reading (``listed``): the same number of queries for 3 divisions as for 13
    with more units."""

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            result = region_assessment(
                region=grid["province"], period=P, now=AFTER, listed=2, listed_in_full="980100"
            )
        return len(ctx.captured_queries), result

    few, result = queries()
    assert len(result.rows) == 3
    for d in range(4, 14):
        division = make_region(f"98{d:02d}00", parent=grid["province"], reporting=False)
        for i in range(1, 4):
            unit = make_region(f"98{d:02d}{i:02d}", parent=division)
            QuarterlyCount.objects.create(
                region=unit, indicator=certs, year=P.year, quarter=P.quarter, value=1,
                entered_at=ON, status=S.SUBMITTED, first_submitted_at=ON, submitted_at=ON,
            )  # fmt: skip
    many, result = queries()
    # X in full (6 units × the 4 quarters ranked), 2 of each other division with units.
    listed = {r.region.code: (len(r.reporting), r.reporting_count) for r in result.rows}
    assert listed == {
        "980100": (24, 24), "980200": (2, 24), "980300": (0, 0),
        **{f"98{d:02d}00": (2, 12) for d in range(4, 14)},
    }  # fmt: skip
    assert many == few
