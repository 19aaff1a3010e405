"""children_report_statuses: the completeness heatmap's statuses in one set-based query."""

import random

import pytest

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.completeness import (
    ReportStatus,
    children_report_statuses,
    count_statuses,
    report_status,
)
from indicators.selectors.values import subtree_values
from regions.models import Region
from tests.conftest import make_count, make_region

Q = Quarter.parse
S = QuarterlyCount.Status
M, R, D, Sb, A, NE = (
    ReportStatus.MISSING,
    ReportStatus.RETURNED,
    ReportStatus.DRAFT,
    ReportStatus.SUBMITTED,
    ReportStatus.APPROVED,
    ReportStatus.NOT_EXPECTED,
)


def test_a_childs_status_is_its_own_count_else_the_least_advanced_below_it(tree, certs):
    # A: own count (submitted); its zone's draft is a part and never lowers A.
    make_count(tree["a"], certs, "2020Q4", 1, status=S.SUBMITTED)
    make_count(tree["zone"], certs, "2020Q4", 1, status=S.DRAFT)
    # B: no own count, reports through its county B1 (returned).
    make_count(tree["b1"], certs, "2020Q4", 2, status=S.RETURNED)
    # C: nothing at all, and C is a reporting unit: missing.
    statuses = children_report_statuses(
        region=tree["province"], start=Q("2020Q4"), end=Q("2020Q4"), indicators=[certs]
    )
    q = Q("2020Q4")
    assert statuses == {
        ("990100", "certificates", q): Sb,
        ("990200", "certificates", q): R,
        ("990300", "certificates", q): M,
        ("990000", "certificates", q): M,  # least advanced of A, B, C
    }


def test_a_count_of_its_own_hides_the_counts_below_it(tree, certs):
    make_count(tree["b"], certs, "2020Q4", 5)  # approved
    make_count(tree["b1"], certs, "2020Q4", 2, status=S.DRAFT)
    statuses = children_report_statuses(
        region=tree["province"], start=Q("2020Q4"), end=Q("2020Q4"), indicators=[certs]
    )
    assert statuses[("990200", "certificates", Q("2020Q4"))] is A


def test_a_region_that_does_not_report_and_has_nothing_below_is_not_required(db, certs):
    root = make_region("950000", reporting=False)
    make_region("950100", parent=root, reporting=False)
    zone = make_region("950171", parent=root, kind=Region.Kind.ZONE)
    make_count(zone, certs, "2020Q4", 3, status=S.SUBMITTED)
    statuses = children_report_statuses(
        region=root, start=Q("2020Q4"), end=Q("2020Q4"), indicators=[certs]
    )
    q = Q("2020Q4")
    assert statuses == {
        ("950100", "certificates", q): NE,
        ("950171", "certificates", q): Sb,
        ("950000", "certificates", q): NE,  # the zone is a part: never the parent's status
    }


def test_the_statuses_are_one_query_whatever_the_tree(db, certs, django_assert_num_queries):
    root = make_region("940000", reporting=False)
    for i in range(1, 6):
        city = make_region(f"94{i:02d}00", parent=root, reporting=False)
        for j in range(1, 4):
            county = make_region(f"94{i:02d}{j:02d}", parent=city)
            make_count(county, certs, "2020Q4", i + j)
    with django_assert_num_queries(1):
        statuses = children_report_statuses(
            region=root, start=Q("2020Q1"), end=Q("2020Q4"), indicators=[certs]
        )
    assert statuses[("940100", "certificates", Q("2020Q4"))] is A
    assert statuses[("940100", "certificates", Q("2020Q3"))] is M


@pytest.mark.parametrize("seed", range(4))
def test_the_statuses_equal_the_recursive_reference_on_a_random_tree(db, certs, orgs, seed):
    rng = random.Random(seed)
    root = make_region("930000", reporting=False)
    regions = [root]
    for i in range(1, 5):
        city = make_region(
            f"93{i:02d}00",
            parent=root,
            reporting=rng.random() < 0.5,
            kind=Region.Kind.ZONE if i == 4 else Region.Kind.DIVISION,
        )
        regions.append(city)
        for j in range(1, 4):
            regions.append(
                make_region(
                    f"93{i:02d}{j:02d}",
                    parent=city,
                    level=Region.Level.COUNTY,
                    reporting=rng.random() < 0.7,
                )
            )
    start, end = Q("2020Q3"), Q("2020Q4")
    for region in regions:
        for ind in (certs, orgs):
            for period in (start, end):
                if rng.random() < 0.4:
                    make_count(region, ind, period, 1, status=rng.choice(list(S)))
    grid = subtree_values(root=root, start=start, end=end, indicators=[certs, orgs])
    raw = count_statuses(root=root, start=start, end=end, indicators=[certs, orgs])
    expected = {
        (code, ind, q): report_status(
            region_code=code, indicator_code=ind, period=q, grid=grid, statuses=raw
        )
        for code in [root.code, *grid.children_of[root.code]]
        for ind in ("certificates", "organizations")
        for q in (start, end)
    }
    got = children_report_statuses(region=root, start=start, end=end, indicators=[certs, orgs])
    assert got == expected
