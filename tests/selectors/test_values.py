"""The stock rules of DOMAIN.md, checked against numbers computed by hand."""

import pytest

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.progress import Status
from indicators.selectors.progress import target_rows
from indicators.selectors.values import (
    Inclusion,
    Source,
    region_value,
    region_values,
    subtree_values,
    year_end_value,
)
from tests.conftest import make_count, make_plan, make_target

Q4_2020 = Quarter(2020, 4)
S = QuarterlyCount.Status


def test_rollup_sums_three_children_for_the_same_quarter(tree, certs):
    make_count(tree["a"], certs, Q4_2020, 100)
    make_count(tree["b"], certs, Q4_2020, 250)
    make_count(tree["c"], certs, Q4_2020, 75)
    row = region_value(region=tree["province"], indicator=certs, period=Q4_2020)
    assert row.value == 425  # 100 + 250 + 75
    assert row.source is Source.ROLLUP
    assert row.complete is True
    assert row.discrepancy is None


def test_rollup_with_a_child_missing_is_marked_incomplete(tree, certs):
    make_count(tree["a"], certs, Q4_2020, 100)
    make_count(tree["b"], certs, Q4_2020, 250)
    row = region_value(region=tree["province"], indicator=certs, period=Q4_2020)
    assert row.value == 350
    assert row.source is Source.ROLLUP
    assert row.complete is False


def test_direct_value_is_authoritative_and_children_sum_shown_beside_it(tree, certs):
    make_count(tree["province"], certs, Q4_2020, 500)
    make_count(tree["a"], certs, Q4_2020, 100)
    make_count(tree["b"], certs, Q4_2020, 250)
    make_count(tree["c"], certs, Q4_2020, 75)
    row = region_value(region=tree["province"], indicator=certs, period=Q4_2020)
    assert row.value == 500
    assert row.source is Source.DIRECT
    assert row.children_sum == 425
    assert row.children_complete is True
    assert row.discrepancy == 75  # 500 - 425


def test_zone_is_shown_as_a_part_and_never_added_into_the_parent(tree, certs):
    make_count(tree["a"], certs, Q4_2020, 100)  # covers the whole of A, zone included
    make_count(tree["zone"], certs, Q4_2020, 30)
    make_count(tree["b"], certs, Q4_2020, 250)
    make_count(tree["c"], certs, Q4_2020, 75)
    grid = subtree_values(root=tree["province"], start=Q4_2020, end=Q4_2020, indicators=[certs])
    assert grid.get("990000", "certificates", Q4_2020).value == 425
    a = grid.get("990100", "certificates", Q4_2020)
    assert a.value == 100 and a.source is Source.DIRECT
    assert a.children_sum is None  # the zone is not a division of A
    assert grid.get("990171", "certificates", Q4_2020).value == 30


def test_rollup_goes_through_every_level(tree, certs):
    make_count(tree["a"], certs, Q4_2020, 100)
    make_count(tree["b1"], certs, Q4_2020, 40)  # B has no direct value: its county stands in
    make_count(tree["c"], certs, Q4_2020, 75)
    grid = subtree_values(root=tree["province"], start=Q4_2020, end=Q4_2020, indicators=[certs])
    b = grid.get("990200", "certificates", Q4_2020)
    assert (b.value, b.source, b.complete) == (40, Source.ROLLUP, True)
    assert grid.get("990000", "certificates", Q4_2020).value == 215  # 100 + 40 + 75


def test_quarters_are_never_summed_over_time(tree, certs):
    for quarter, value in [(1, 90), (2, 95), (3, 97), (4, 100)]:
        make_count(tree["a"], certs, Quarter(2020, quarter), value)
    year = year_end_value(region=tree["a"], indicator=certs, year=2020)
    assert year.value == 100  # the Q4 snapshot, not 382
    assert year.is_q4 is True


def test_year_whose_q4_is_missing_takes_the_latest_quarter_flagged(tree, certs):
    make_count(tree["a"], certs, Quarter(2021, 1), 110)
    make_count(tree["a"], certs, Quarter(2021, 2), 120)
    make_count(tree["a"], certs, Quarter(2021, 3), 130)
    year = year_end_value(region=tree["a"], indicator=certs, year=2021)
    assert year.value == 130
    assert year.is_q4 is False
    assert year.row.period == Quarter(2021, 3)


def test_year_with_no_data_has_no_value(tree, certs):
    year = year_end_value(region=tree["a"], indicator=certs, year=2019)
    assert year.value is None and year.is_q4 is False


def test_drafts_and_returned_counts_are_not_published(tree, certs):
    make_count(tree["a"], certs, Q4_2020, 100, status=S.DRAFT)
    make_count(tree["b"], certs, Q4_2020, 250, status=S.RETURNED)
    make_count(tree["c"], certs, Q4_2020, 75)
    row = region_value(region=tree["province"], indicator=certs, period=Q4_2020)
    assert row.value == 75
    assert row.complete is False


def test_approved_only_leaves_out_submitted_counts(tree, certs):
    make_count(tree["a"], certs, Q4_2020, 100)
    make_count(tree["b"], certs, Q4_2020, 250, status=S.SUBMITTED)
    make_count(tree["c"], certs, Q4_2020, 75)
    both = region_value(region=tree["province"], indicator=certs, period=Q4_2020)
    approved = region_value(
        region=tree["province"], indicator=certs, period=Q4_2020, include=Inclusion.APPROVED
    )
    assert (both.value, both.approved, both.complete) == (425, False, True)
    assert (approved.value, approved.approved, approved.complete) == (175, True, False)


def test_counts_of_other_regions_are_not_summed(tree, certs):
    make_count(tree["a"], certs, Q4_2020, 100)
    make_count(tree["other_city"], certs, Q4_2020, 9999)
    row = region_value(region=tree["province"], indicator=certs, period=Q4_2020)
    assert row.value == 100


def test_series_covers_every_quarter_of_the_range(tree, certs):
    make_count(tree["a"], certs, Quarter(2020, 2), 10)
    rows = region_values(
        region=tree["a"], indicator=certs, start=Quarter(2020, 1), end=Quarter(2020, 3)
    )
    assert [str(r.period) for r in rows] == ["2020Q1", "2020Q2", "2020Q3"]
    assert [r.value for r in rows] == [None, 10, None]


def test_incomplete_rollups_are_not_progress_points(tree, certs):
    for code in ("a", "b", "c"):
        make_count(tree[code], certs, Quarter(2020, 3), 100)
    make_count(tree["a"], certs, Q4_2020, 110)  # B and C not in yet
    grid = subtree_values(
        root=tree["province"], start=Quarter(2020, 3), end=Q4_2020, indicators=[certs]
    )
    assert [(str(p.period), p.value) for p in grid.points("990000", "certificates")] == [
        ("2020Q3", 300)
    ]


@pytest.mark.parametrize("children", [3, 30])
def test_subtree_values_query_count_does_not_grow_with_the_tree(
    db, certs, children, django_assert_num_queries
):
    from tests.conftest import make_region

    root = make_region("970000", reporting=False)
    for i in range(children):
        city = make_region(f"97{i + 1:02d}00", parent=root)
        make_count(city, certs, Q4_2020, i)
    with django_assert_num_queries(2):  # the subtree, the counts (indicators given)
        grid = subtree_values(root=root, start=Quarter(2019, 1), end=Q4_2020, indicators=[certs])
    assert grid.get("970000", "certificates", Q4_2020).value == sum(range(children))


def test_target_rows_report_achieved_and_missed_at_the_due_quarter(tree, certs):
    plan = make_plan(tree["province"])
    hit = make_target(plan, tree["province"], certs, "2020Q4", 425)
    miss = make_target(plan, tree["province"], certs, "2021Q4", 500)
    for code, v20, v21 in [("a", 100, 120), ("b", 250, 260), ("c", 75, 80)]:
        make_count(tree[code], certs, Q4_2020, v20)
        make_count(tree[code], certs, Quarter(2021, 4), v21)
    rows = target_rows(targets=[hit, miss], as_of=Quarter(2022, 1))
    assert [r.progress.status for r in rows] == [Status.ACHIEVED, Status.MISSED]
    assert [r.progress.value for r in rows] == [425, 460]
    assert rows[0].progress.percent == pytest.approx(100.0)
    assert rows[1].progress.percent == pytest.approx(92.0)  # 460 / 500


# --- one series, one source (issue 22.8) -------------------------------------------------------


def _cell(q, value, source, *, complete=True, children_sum=None, children_complete=False):
    from indicators.selectors.values import RegionValue

    return RegionValue(
        "990000", "certificates", Quarter.parse(q), value, source, complete, children_sum, children_complete,
        True,
    )  # fmt: skip


def test_a_series_mixing_direct_q4_and_summed_quarters_is_drawn_as_the_sum_throughout():
    from indicators.selectors.values import Source, line_value, rollup_line

    # Gansu's shape: sums 12,697 (2023Q3) and 12,900 (2024Q1); at 2023Q4 12,760 entered directly
    # beside a complete sum of 12,697 + 3 = 12,700. Drawn: 12,697, 12,700, 12,900 (the sums),
    # never 12,760 between two sums.
    rows = [
        _cell("2023Q3", 12697, Source.ROLLUP, children_sum=12697, children_complete=True),
        _cell("2023Q4", 12760, Source.DIRECT, children_sum=12700, children_complete=True),
        _cell("2024Q1", 12900, Source.ROLLUP, children_sum=12900, children_complete=True),
    ]
    assert rollup_line(rows) is True
    assert [line_value(r, rollup=True) for r in rows] == [12697, 12700, 12900]


def test_a_series_entered_directly_throughout_is_drawn_as_entered():
    from indicators.selectors.values import Source, line_value, rollup_line

    # Beihai's shape: every quarter entered directly (one beside a sum of districts): no sums-only
    # quarter, so the line is the direct values; a partial sum is a gap.
    rows = [
        _cell("2022Q3", 854, Source.DIRECT),
        _cell("2022Q4", 866, Source.DIRECT, children_sum=860, children_complete=True),
        _cell("2023Q1", 500, Source.ROLLUP, complete=False, children_sum=500),
    ]
    assert rollup_line(rows) is False
    assert [line_value(r, rollup=False) for r in rows] == [854, 866, None]
    # On a sums line, a direct value beside an incomplete sum is a gap, not the direct value.
    odd = _cell("2024Q4", 900, Source.DIRECT, children_sum=800, children_complete=False)
    assert line_value(odd, rollup=True) is None
