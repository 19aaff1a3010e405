"""The dashboard selectors: breakdown, completeness, milestone paths, forecast, plan lineage.

Numbers computed by hand on the small tree of conftest (990000 with A, B, C; A新区 a zone in A).
"""

import datetime as dt

import pytest

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.progress import Status
from indicators.rollups import rollups_deferred
from indicators.selectors.completeness import ReportStatus, count_statuses
from indicators.selectors.dashboards import region_dashboard
from indicators.selectors.plans import overview_cards, overview_plan_cards, plan_page
from indicators.selectors.values import Inclusion
from regions.models import Membership
from tests.conftest import make_count, make_plan, make_region, make_target, make_user

Q = Quarter.parse
S = QuarterlyCount.Status
AS_OF = Q("2021Q1")


def panel_of(dashboard, code="certificates"):
    return next(p for p in dashboard.panels if p.code == code)


@pytest.fixture
def counts(tree, certs):
    """2019Q4 and 2020Q4 for A, B, C (and the zone); 2021Q1 only A (the roll-up incomplete)."""
    for code, v19, v20 in [("a", 80, 100), ("b", 250, 250), ("c", 60, 75), ("zone", 20, 30)]:
        make_count(tree[code], certs, "2019Q4", v19)
        make_count(tree[code], certs, "2020Q4", v20)
    make_count(tree["a"], certs, "2021Q1", 105)
    return tree


def test_children_breakdown_at_the_latest_quarter_every_child_has_reported(counts):
    dashboard = region_dashboard(region=counts["province"], as_of=AS_OF)
    panel = panel_of(dashboard)
    # 2021Q1 has only A: the breakdown stays at 2020Q4, where A, B and C are all known.
    assert panel.breakdown_period == Q("2020Q4")
    assert panel.breakdown_full is True
    assert panel.parent_row.value == 425  # 100 + 250 + 75
    assert [c.code for c in panel.children] == ["990200", "990100", "990300"]  # largest first
    b, a, c = panel.children
    # Shares rounded half up to two decimals, from the counts: 100 / 425 = 23.529…,
    # 250 / 425 = 58.823…, 75 / 425 = 17.647…
    assert (a.value, a.share, a.growth) == (100, 23.53, 25.0)
    assert (b.value, b.share, b.growth) == (250, 58.82, 0.0)
    assert (c.value, c.share, c.growth) == (75, 17.65, 25.0)
    assert a.year_ago.period == Q("2019Q4") and a.change == 20


def test_a_zone_is_shown_as_a_part_of_its_parent_never_added(counts):
    panel = panel_of(region_dashboard(region=counts["a"], as_of=AS_OF))
    (zone,) = panel.children
    assert zone.is_part is True
    # A's own 2021Q1 value is the latest, but the zone has not reported then.
    assert panel.breakdown_period == Q("2020Q4")
    assert zone.value == 30 and zone.share == pytest.approx(30.0)  # 30 of A's 100
    assert zone.growth == pytest.approx(50.0)  # 20 -> 30
    assert panel.parent_row.value == 100  # A's direct value: the zone is not added


def test_latest_complete_value_is_never_an_incomplete_rollup(counts):
    panel = panel_of(region_dashboard(region=counts["province"], as_of=AS_OF))
    assert panel.latest.period == Q("2021Q1") and panel.latest.value == 105
    assert panel.latest.complete is False
    assert panel.latest_complete.period == Q("2020Q4") and panel.latest_complete.value == 425
    assert [r.period for r in panel.incomplete] == [Q("2021Q1")]


def test_discrepancy_between_direct_value_and_divisions_is_listed(counts, certs):
    make_count(counts["province"], certs, "2020Q4", 440)
    panel = panel_of(region_dashboard(region=counts["province"], as_of=AS_OF))
    (row,) = panel.discrepancies
    assert (row.period, row.value, row.children_sum, row.discrepancy) == (
        Q("2020Q4"), 440, 425, 15,
    )  # fmt: skip


def test_count_statuses_sees_drafts_and_returned_counts_too(tree, certs):
    make_count(tree["a"], certs, "2020Q4", 1, status=S.DRAFT)
    make_count(tree["b"], certs, "2020Q4", 2, status=S.RETURNED)
    make_count(tree["other_city"], certs, "2020Q4", 3)
    statuses = count_statuses(
        root=tree["province"], start=Q("2020Q4"), end=Q("2020Q4"), indicators=[certs]
    )
    assert statuses == {
        ("990100", "certificates", Q("2020Q4")): "draft",
        ("990200", "certificates", Q("2020Q4")): "returned",
    }


def test_completeness_takes_the_least_advanced_status_below_a_region(tree, certs):
    make_count(tree["a"], certs, "2020Q4", 1, status=S.SUBMITTED)
    make_count(tree["b1"], certs, "2020Q4", 2, status=S.DRAFT)  # B reports through its county
    make_count(tree["c"], certs, "2020Q4", 3)
    make_count(tree["c"], certs, "2020Q3", 3, status=S.RETURNED)
    dashboard = region_dashboard(region=tree["province"], as_of=Q("2020Q4"), completeness_span=2)
    assert dashboard.completeness_quarters == [Q("2020Q3"), Q("2020Q4")]
    by_code = {row.region.code: [c.status for c in row.cells] for row in dashboard.completeness}
    M, R, D, Sb, A = (ReportStatus.MISSING, ReportStatus.RETURNED, ReportStatus.DRAFT,
                      ReportStatus.SUBMITTED, ReportStatus.APPROVED)  # fmt: skip
    assert by_code == {"990100": [M, Sb], "990200": [M, D], "990300": [R, A]}
    # The province itself (not shown here) would take the least advanced: missing, draft.


def test_completeness_of_a_region_whose_children_do_not_report_shows_the_region(db, certs):
    city = make_region("960000")
    make_region("960001", parent=city, reporting=False)
    make_count(city, certs, "2020Q4", 7, status=S.SUBMITTED)
    dashboard = region_dashboard(region=city, as_of=Q("2020Q4"), completeness_span=1)
    assert dashboard.completeness_of_children is False
    (row,) = dashboard.completeness
    assert row.region.code == "960000" and row.cells[0].status is ReportStatus.SUBMITTED


def test_completeness_of_each_indicator_is_kept_beside_the_combined_status(tree, certs, orgs):
    make_count(tree["a"], certs, "2020Q4", 10)
    make_count(tree["a"], orgs, "2020Q4", 5, status=S.SUBMITTED)
    dashboard = region_dashboard(region=tree["province"], as_of=Q("2020Q4"), completeness_span=1)
    cell = next(r for r in dashboard.completeness if r.region.code == "990100").cells[0]
    assert cell.status is ReportStatus.SUBMITTED
    assert cell.by_indicator == {
        "certificates": ReportStatus.APPROVED,
        "organizations": ReportStatus.SUBMITTED,
    }


@pytest.fixture
def planned(tree, certs):
    """Baseline 100 at 2018Q3 (the plan's quarter), targets 180 at 2020Q4 and 300 at 2022Q4;
    values on C only (A and B stand at 0), rising 10 a quarter."""
    plan = make_plan(tree["province"], issued_on=dt.date(2018, 8, 1))
    t20 = make_target(plan, tree["province"], certs, "2020Q4", 180)
    t22 = make_target(plan, tree["province"], certs, "2022Q4", 300)
    for i in range(0, 13):  # 2018Q3 .. 2021Q3
        q = Q("2018Q3") + i
        make_count(tree["a"], certs, q, 0)
        make_count(tree["b"], certs, q, 0)
        make_count(tree["c"], certs, q, 100 + 10 * i)
    return dict(plan=plan, t20=t20, t22=t22, **tree)


def test_milestone_path_runs_from_the_baseline_through_each_target(planned):
    dashboard = region_dashboard(region=planned["province"], as_of=Q("2021Q3"))
    panel = panel_of(dashboard)
    (path,) = panel.paths
    assert [(str(p.period), p.value) for p in path.points] == [
        ("2018Q3", 100), ("2020Q4", 180), ("2022Q4", 300),
    ]  # fmt: skip
    by_q = {str(p.period): p for p in panel.series}
    assert by_q["2019Q3"].milestone == pytest.approx(100 + 4 / 9 * 80)
    assert by_q["2021Q4"].milestone == pytest.approx(180 + 4 / 8 * 120)
    assert by_q["2018Q2"].milestone is None  # before the baseline
    # The series runs to the last due quarter; quarters after as of have no value.
    assert panel.series[-1].period == Q("2022Q4") and panel.series[-1].is_future
    assert [t.value for t in by_q["2022Q4"].targets] == [300]


def test_forecast_is_the_progress_trend_drawn_to_the_last_target_ahead(planned):
    panel = panel_of(region_dashboard(region=planned["province"], as_of=Q("2021Q3")))
    row20, row22 = panel.targets
    assert row20.progress.status is Status.ACHIEVED and row20.progress.value == 190  # 100+10*9
    # 2021Q3: 220 against the path's 180 + 3/8 * 120 = 225, short by 5 <= 5% of 200: at risk.
    assert row22.progress.status is Status.AT_RISK
    # The last 8 values rise 10 a quarter: the line is 220 at 2021Q3 and 270 at 2022Q4.
    assert panel.forecast.start == Q("2019Q4") and panel.forecast.end == Q("2022Q4")
    assert panel.forecast.value_at(Q("2022Q4")) == pytest.approx(270)
    assert row22.progress.forecast_value == pytest.approx(270)
    assert row22.progress.crossing == Q("2023Q3")  # 220 + 10 * 8 = 300
    by_q = {str(p.period): p for p in panel.series}
    assert by_q["2019Q3"].forecast is None and by_q["2022Q4"].forecast == pytest.approx(270)


def test_trend_rows_carry_the_values_from_the_baseline_to_the_due_quarter(planned):
    panel = panel_of(region_dashboard(region=planned["province"], as_of=Q("2021Q3")))
    row20 = panel.targets[0]
    assert row20.series[0].period == Q("2018Q3") and row20.series[-1].period == Q("2020Q4")
    assert row20.forecast is None  # a target already due has no forecast
    assert panel.targets[1].forecast is not None


@pytest.mark.parametrize("include", [Inclusion.SUBMITTED, Inclusion.APPROVED])
def test_overview_plan_cards_agree_with_overview_cards(planned, django_user_model, include):
    user = make_user(django_user_model, "lead", (Membership.Role.LEADER, planned["province"]))
    old = overview_cards(user=user, as_of=Q("2021Q3"), include=include)
    new = overview_plan_cards(user=user, as_of=Q("2021Q3"), include=include)
    assert [c.plan.pk for c in old] == [c.plan.pk for c in new]
    assert [[(r.target.pk, r.progress) for r in c.rows] for c in old] == [
        [(r.target.pk, r.progress) for r in c.rows] for c in new
    ]


@pytest.mark.parametrize("children", [3, 30])
def test_region_dashboard_queries_do_not_grow_with_the_tree_or_the_quarters(
    db, certs, orgs, children, django_assert_max_num_queries
):
    root = make_region("970000", reporting=False)
    plan = make_plan(root)
    make_target(plan, root, certs, "2020Q4", 100)
    with rollups_deferred():  # refreshed once at the end, as an import does
        for i in range(children):
            city = make_region(f"97{i + 1:02d}00", parent=root)
            for q in range(children):  # as many quarters as children
                make_count(city, certs, Q("2018Q1") + q, i + q)
    # indicators, targets, subtree, counts, statuses; and, the 2020Q4 target being past with
    # no value (3 children report 2018Q1–Q3 only), whether any count (of any status) exists
    # for 2020Q4: none, so no more. With 30 (to 2025Q2) 2020Q4 is complete: five queries.
    with django_assert_max_num_queries(6):
        dashboard = region_dashboard(region=root, as_of=Q("2026Q3"))
    assert len(dashboard.panels[0].children) == children


def test_plan_page_shows_lineage_children_and_only_visible_targets(tree, certs, django_user_model):
    nation = make_plan(None, title="国务院", issued_on=dt.date(2018, 1, 1))
    province = make_plan(tree["province"], parent=nation, issued_on=dt.date(2018, 4, 1))
    city = make_plan(tree["a"], parent=province, issued_on=dt.date(2018, 12, 7))
    make_target(province, tree["province"], certs, "2020Q4", 500)
    make_target(province, tree["b"], certs, "2020Q4", 50)
    user = make_user(django_user_model, "lead_b", (Membership.Role.LEADER, tree["b"]))
    page = plan_page(plan=province, user=user, as_of=Q("2021Q1"))
    assert [(link.plan.pk, link.visible) for link in page.lineage] == [(nation.pk, False)]
    assert [(link.plan.pk, link.visible) for link in page.children] == [(city.pk, False)]
    assert [r.target.region.code for r in page.rows] == ["990200"]  # the province's is not B's


def _pending_tree(children, certs):
    """A root with ``children`` divisions; every division but the last has a 2020Q4 count
    (approved), the last one's is awaiting review: the 2020Q4 target is pending."""
    root = make_region("970000", reporting=False)
    plan = make_plan(root, issued_on=dt.date(2020, 1, 1))
    target = make_target(plan, root, certs, "2020Q4", 100)
    for i in range(children):
        city = make_region(f"97{i + 1:02d}00", f"市{i + 1:02d}", parent=root)
        last = i == children - 1
        make_count(city, certs, "2020Q1", 1)
        make_count(city, certs, "2020Q4", 10, status=S.SUBMITTED if last else S.APPROVED)
    return root, plan, target


@pytest.mark.parametrize("children", [3, 30])
def test_pending_gaps_are_read_set_wise(db, certs, children, django_assert_num_queries):
    root, _plan, _target = _pending_tree(children, certs)
    # approved view: every division but the last approved → pending, one awaiting review;
    # the five queries of the dashboard + the due quarter's counts (any status) + the
    # divisions + their values at the due quarter.
    with django_assert_num_queries(8):
        dashboard = region_dashboard(region=root, as_of=Q("2021Q1"), include=Inclusion.APPROVED)
    (row,) = dashboard.targets
    assert row.progress.status is Status.PENDING
    last = f"97{children:02d}00"
    assert row.progress.due_gap.awaiting == ((last, f"市{children:02d}"),)
    assert row.progress.due_gap.missing == ()
    # The last complete value up to 2020Q4: 2020Q1, every division 1.
    assert (row.progress.value, row.progress.measured_at) == (children, Q("2020Q1"))
    # submitted view: complete 10 × children (30 or 300 against 100): no gap, no extra query.
    with django_assert_num_queries(5):
        dashboard = region_dashboard(region=root, as_of=Q("2021Q1"))
    expected = Status.ACHIEVED if 10 * children >= 100 else Status.MISSED
    assert dashboard.targets[0].progress.status is expected


def test_pending_lists_the_divisions_without_a_value(tree, certs):
    plan = make_plan(tree["province"], issued_on=dt.date(2020, 1, 1))
    make_target(plan, tree["province"], certs, "2020Q4", 100)
    make_count(tree["a"], certs, "2020Q4", 50)
    make_count(tree["b1"], certs, "2020Q4", 20)  # B reports through its county
    make_count(tree["zone"], certs, "2020Q4", 5)  # a zone: never needed for the sum
    (row,) = region_dashboard(region=tree["province"], as_of=Q("2021Q1")).targets
    # 50 + 20 = 70 without C: pending (never "missed" on 70 < 100); nothing complete before.
    assert row.progress.status is Status.PENDING
    assert row.progress.due_gap.missing == (("990300", "C"),)
    assert row.progress.value is None and row.progress.measured_at is None


def test_a_due_quarter_nobody_reported_falls_back_to_the_latest_of_its_year(tree, certs):
    plan = make_plan(tree["province"], issued_on=dt.date(2020, 1, 1))
    make_target(plan, tree["province"], certs, "2020Q4", 100)
    for code, value in (("a", 60), ("b", 30), ("c", 20)):
        make_count(tree[code], certs, "2020Q3", value)
    (row,) = region_dashboard(region=tree["province"], as_of=Q("2021Q1")).targets
    # No division has any 2020Q4 value: 2020Q3's 110 stands in (flagged): achieved.
    assert row.progress.status is Status.ACHIEVED and row.progress.due_gap is None
    assert (row.progress.value, row.progress.measured_at, row.progress.at_due) == (
        110, Q("2020Q3"), False,
    )  # fmt: skip


def test_baseline_with_every_count_awaiting_review_is_incomplete_in_the_approved_view(tree, certs):
    plan = make_plan(tree["province"], issued_on=dt.date(2018, 8, 1))
    make_target(plan, tree["province"], certs, "2020Q4", 100)
    for code in ("a", "b", "c"):
        make_count(tree[code], certs, "2018Q3", 10, status=S.SUBMITTED)
        make_count(tree[code], certs, "2019Q1", 20)
    approved = region_dashboard(
        region=tree["province"], as_of=Q("2019Q1"), include=Inclusion.APPROVED
    )
    (row,) = approved.targets
    # No approved value at 2018Q3, but 30 awaiting review: the baseline is incomplete, not
    # absent; no path.
    assert row.progress.baseline is None and row.progress.baseline_note.value == "incomplete"
    assert approved.panels[0].paths == [] and row.path is None
    submitted = region_dashboard(region=tree["province"], as_of=Q("2019Q1"))
    (row,) = submitted.targets
    assert row.progress.baseline.value == 30 and row.progress.baseline_note is None
    assert [p.value for p in submitted.panels[0].paths[0].points] == [30, 100]


def test_a_target_of_a_plan_invalidated_before_its_due_quarter_has_no_forecast(tree, certs):
    plan = make_plan(
        tree["province"], issued_on=dt.date(2018, 8, 1), status="invalidated",
        invalidated_by="废〔2021〕1号", invalidated_on=dt.date(2021, 3, 1),
    )  # fmt: skip
    make_target(plan, tree["province"], certs, "2022Q4", 1000)
    for i in range(8):
        make_count(tree["a"], certs, Q("2019Q1") + i, 100 + 10 * i)
        make_count(tree["b"], certs, Q("2019Q1") + i, 100)
        make_count(tree["c"], certs, Q("2019Q1") + i, 100)
    panel = region_dashboard(region=tree["province"], as_of=Q("2020Q4")).panels[0]
    (row,) = panel.targets
    p = row.progress
    assert p.withdrawn and p.status is not Status.NO_DATA
    assert (p.forecast_value, p.crossing, p.needed_per_quarter) == (None, None, None)
    assert panel.forecast is None and row.forecast is None


# --- pending means the same in every region (issue 22.1) ---------------------------------------


@pytest.fixture
def city(db, certs, django_user_model):
    """A city entering its own counts, no divisions (Beihai's shape): ≥ 100 by 2020Q4, plan
    issued 2020-01-01; 2020Q3 95 approved."""
    x = make_region("960000", "城", reporting=True)
    plan = make_plan(x, issued_on=dt.date(2020, 1, 1))
    make_target(plan, x, certs, "2020Q4", 100)
    make_count(x, certs, "2020Q3", 95)
    return x


def _city_progress(city, include=Inclusion.SUBMITTED):
    (row,) = region_dashboard(region=city, as_of=Q("2021Q1"), include=include).targets
    return row.progress


@pytest.mark.parametrize("status", [S.RETURNED, S.DRAFT])
def test_a_returned_or_draft_due_count_of_a_region_without_divisions_is_pending(
    city, certs, status
):
    # 2020Q4's 105 exists but does not count (reopened → returned, or a draft): pending, with
    # 2020Q3's 95 as context (95 / 100 = 95.00 %), never "missed" on 95 nor "achieved" on 105.
    make_count(city, certs, "2020Q4", 105, status=status)
    for include in Inclusion:
        p = _city_progress(city, include)
        assert p.status is Status.PENDING
        assert p.due_gap.missing == (("960000", "城"),) and p.due_gap.awaiting == ()
        assert (p.value, p.measured_at, p.at_due, p.percent) == (95, Q("2020Q3"), False, 95.0)


def test_a_due_count_awaiting_review_is_pending_only_in_the_approved_view(city, certs):
    make_count(city, certs, "2020Q4", 105, status=S.SUBMITTED)
    # approved and awaiting review: 105 ≥ 100, achieved at the due quarter
    p = _city_progress(city)
    assert (p.status, p.value, p.at_due) == (Status.ACHIEVED, 105, True)
    # approved only: pending, the count awaiting review named
    p = _city_progress(city, Inclusion.APPROVED)
    assert p.status is Status.PENDING
    assert p.due_gap.awaiting == (("960000", "城"),) and p.due_gap.missing == ()


def test_without_any_due_count_the_due_years_latest_value_stands_in(city):
    # No 2020Q4 count at all: 2020Q3's 95 stands in, flagged, and 95 < 100 is missed.
    p = _city_progress(city)
    assert (p.status, p.value, p.measured_at, p.at_due) == (Status.MISSED, 95, Q("2020Q3"), False)
    assert p.due_gap is None
