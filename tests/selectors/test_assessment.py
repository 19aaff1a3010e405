"""The assessment ranking (indicators.selectors.assessment): every case of docs/progress.md
("Assessment") against points, scores and ranks computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from indicators.models import CountEvent, Plan, QuarterlyCount, Target
from indicators.periods import Quarter
from indicators.selectors.assessment import Reason, region_assessment, shown
from indicators.selectors.values import Inclusion
from indicators.services.counts import counts_submit
from indicators.services.review import counts_approve, counts_reopen
from regions.models import Membership
from tests.conftest import make_count, make_plan, make_region, make_target, make_user

S = QuarterlyCount.Status
A = CountEvent.Action
Q4 = Quarter(2019, 4)
NOW = timezone.make_aware(dt.datetime(2026, 12, 1, 9, 0))


def _at(y, m, d):
    return timezone.make_aware(dt.datetime(y, m, d, 10, 0))


def report(region, indicator, period, value, *, submitted=None, decision="approved", returned=None):
    """A count as the workflow leaves it: first submitted at ``submitted`` (default: on time,
    the 10th day after the quarter), decided (``approved``, ``returned`` then approved after
    ``returned``, or None: awaiting review)."""
    q = Quarter.parse(period)
    submitted = submitted or timezone.make_aware(
        dt.datetime.combine(q.end_date + dt.timedelta(days=10), dt.time(10))
    )
    status = S.SUBMITTED if decision is None else S.APPROVED
    count = make_count(region, indicator, q, value, status=status)
    QuarterlyCount.objects.filter(pk=count.pk).update(
        first_submitted_at=submitted, submitted_at=submitted
    )
    CountEvent.objects.create(count=count, action=A.SUBMIT, at=submitted)
    if returned is not None:
        CountEvent.objects.create(count=count, action=A.RETURN, at=returned)
    if decision is not None:
        CountEvent.objects.create(
            count=count, action=A.APPROVE, at=(returned or submitted) + dt.timedelta(days=2)
        )
    return count


def assess(tree, **kw):
    result = region_assessment(region=tree["province"], period=kw.pop("period", Q4), now=NOW, **kw)
    return result, {r.region.code: r for r in result.rows}


def pts(row, component):
    p = row.points(component)
    return None if p is None else shown(p)


@pytest.fixture
def ranked(tree, certs):
    """The worked example of docs/progress.md. Plan issued 2018Q3; the province's ≥ 1,200 by
    2020Q4 allocated to A only (600). Certificates (quarters 2018Q3 … 2019Q4):

        A 400 410 420 430 440 460   all on time, approved
        B 300 310 330 350 370 390   2019Q4 late (2020-02-05), returned once, then approved
        C 200 200 200 200 200 205   2019Q4 on time (2020-01-18), awaiting review
    """
    plan = make_plan(tree["province"], issued_on=dt.date(2018, 7, 31))
    parent = make_target(plan, tree["province"], certs, "2020Q4", 1200)
    Target.objects.create(
        plan=plan, region=tree["a"], indicator=certs, due_year=2020, due_quarter=4,
        value=600, allocated_from=parent,
    )  # fmt: skip
    series = {
        "a": [400, 410, 420, 430, 440],
        "b": [300, 310, 330, 350, 370],
        "c": [200, 200, 200, 200, 200],
    }
    for key, values in series.items():
        for q, value in zip(
            ["2018Q3", "2018Q4", "2019Q1", "2019Q2", "2019Q3"], values, strict=True
        ):
            report(tree[key], certs, q, value)
    report(tree["a"], certs, "2019Q4", 460, submitted=_at(2020, 1, 10))
    report(tree["b"], certs, "2019Q4", 390, submitted=_at(2020, 2, 5), returned=_at(2020, 2, 6))
    report(tree["c"], certs, "2019Q4", 205, submitted=_at(2020, 1, 18), decision=None)
    tree["plan"], tree["parent"] = plan, parent
    return tree


def test_worked_example_points_scores_and_ranks(ranked):
    """Path from 2018Q3 to 2020Q4 (9 quarters), as of 2019Q4 (5 of 9), a year earlier 1 of 9.

    A (allocated 600, baseline 400): path 400 + 5/9 × 200 = 511.11; progress 60 ÷ 111.11 = 54 %;
      growth (460 − 410) ÷ (5/9 − 1/9) × 200 = 50 ÷ 88.89 = 56.25 %.
    B (shared: 1,200 × 300/900 = 400): path 300 + 5/9 × 100; progress 90 ÷ 55.56 = 162 % → 100;
      growth 80 ÷ 44.44 = 180 % → 100.
    C (shared: 1,200 × 200/900 = 266.67): progress 5 ÷ 37.04 = 13.5 %; growth 5 ÷ 29.63 = 16.875 %.
    Timeliness (2019Q1–Q4): A 4/4, B 3/4 (2019Q4 late, deadline 2020-01-20), C 4/4.
    Quality: A 4/4; B 3/4 (returned); C 3/3 (2019Q4 awaits review: neither way).
    Scores (40/20/20/20): A (40×54 + 20×56.25 + 20×100 + 20×100) ÷ 100 = 72.85;
      B (4000 + 2000 + 1500 + 1500) ÷ 100 = 90; C (540 + 337.5 + 4000) ÷ 100 = 48.775 → 48.78.
    """
    result, rows = assess(ranked)
    a, b, c = rows["990100"], rows["990200"], rows["990300"]
    assert [i.basis for r in (a, b, c) for i in r.indicators] == ["allocated", "shared", "shared"]
    assert a.indicators[0].expected == Fraction(4600, 9)  # 511.11
    assert c.indicators[0].target_value == Fraction(800, 3)  # 266.67
    assert (a.points("progress"), a.points("growth")) == (Fraction(54), Fraction(225, 4))
    assert (b.points("progress"), b.points("growth")) == (100, 100)
    assert (c.points("progress"), c.points("growth")) == (Fraction(27, 2), Fraction(135, 8))
    assert [pts(r, "timeliness") for r in (a, b, c)] == [100, 75, 100]
    assert [pts(r, "quality") for r in (a, b, c)] == [100, 75, 100]
    assert c.components["quality"].denominator == 3  # the submission awaiting review is left out
    assert c.score == Fraction(48775, 1000)
    assert [r.shown_score for r in (a, b, c)] == [
        Decimal("72.85"), Decimal("90.00"), Decimal("48.78"),
    ]  # fmt: skip
    assert [(r.region.code, r.rank) for r in result.rows] == [
        ("990200", 1), ("990100", 2), ("990300", 3),
    ]  # fmt: skip
    assert "990171" not in rows  # a zone is a part of A, never ranked
    assert result.weights.decision is None and result.weights.as_text() == "40/20/20/20"


def test_no_target_in_force_leaves_progress_and_growth_out(ranked):
    """The plan invalidated on 2019-10-01: as of 2019Q4 no target is in force. Progress and
    growth do not apply; the score is the mean of timeliness and quality (20/20 renormalised):
    A (100 + 100) ÷ 2 = 100, B (75 + 75) ÷ 2 = 75, C 100. A and C share rank 1, B is 3rd."""
    Plan.objects.filter(pk=ranked["plan"].pk).update(
        status=Plan.Status.INVALIDATED, invalidated_by="测政发〔2019〕1号",
        invalidated_on=dt.date(2019, 10, 1),
    )  # fmt: skip
    result, rows = assess(ranked)
    for row in rows.values():
        assert row.components["progress"].reason is Reason.NO_TARGET
        assert row.components["growth"].reason is Reason.NO_TARGET
        assert row.weights == {"timeliness": 50, "quality": 50}
    assert [(r.region.code, r.shown_score, r.rank) for r in result.rows] == [
        ("990100", Decimal("100.00"), 1), ("990300", Decimal("100.00"), 1),
        ("990200", Decimal("75.00"), 3),
    ]  # fmt: skip
    # Before the plan was issued (2018Q2) there is no target either, never "0 % progress".
    _, early = assess(ranked, period=Quarter(2018, 2))
    assert early["990100"].components["progress"].reason is Reason.NO_TARGET


def test_a_division_with_no_data_is_listed_unranked(ranked):
    """D joins with no count and does not report: no component applies; it is listed last,
    without score or rank ("无数据，不参与排名"), and nobody else's points move."""
    _, before = assess(ranked)
    make_region("990400", "D", parent=ranked["province"], reporting=False)
    result, rows = assess(ranked)
    d = rows["990400"]
    assert (d.score, d.rank, d.ranked) == (None, None, False)
    assert d.components["timeliness"].reason is Reason.NOT_REPORTING
    assert d.components["progress"].reason is Reason.NO_BASELINE
    assert result.rows[-1] is d and result.unranked_rows == [d]
    for code in ("990100", "990200", "990300"):
        assert rows[code].score == before[code].score and rows[code].rank == before[code].rank


def test_adding_a_division_leaves_the_others_points_unchanged(ranked, certs):
    """E joins with counts of its own (its growth the highest of all). Each division is scored
    against its own path, so A, B and C keep every point (before, min-max scaling moved them).
    The province's baseline is its direct count here, so the shares of B and C stay the same."""
    make_count(ranked["province"], certs, "2018Q3", 900)  # the province's own (direct) figure
    _, before = assess(ranked)
    e = make_region("990500", "E", parent=ranked["province"])
    for q, value in zip(["2018Q3", "2018Q4", "2019Q1", "2019Q2", "2019Q3", "2019Q4"],
                        [100, 100, 150, 200, 250, 300], strict=True):  # fmt: skip
        report(e, certs, q, value)
    _, after = assess(ranked)
    for code in ("990100", "990200", "990300"):
        assert after[code].components == before[code].components
        assert after[code].score == before[code].score
    # E: shared 1,200 × 100/900 = 133.33, path at 2019Q4 100 + 5/9 × 33.33: 200 ÷ 18.52 → 100.
    assert after["990500"].points("progress") == 100


def test_two_divisions_close_in_growth_score_close(db, certs):
    """X and Y share ≥ 1,100 by 2020Q4 from 500 + 500 (no allocation: 550 each). Path at
    2019Q4: 500 + 5/9 × 50 = 527.78. Progress X 20 ÷ 27.78 = 72 %, Y 19 ÷ 27.78 = 68.4 %; growth
    both (520 − 506 = 519 − 505 = 14) ÷ (4/9 × 50 = 22.22) = 63 %. All on time and approved.
    X (40×72 + 20×63 + 4000) ÷ 100 = 81.40; Y (40×68.4 + 1260 + 4000) ÷ 100 = 79.96.
    (Scaled between the two, growth gave one 0 and the other 100 however close they were.)"""
    p = make_region("970000", "P", reporting=False)
    x, y = make_region("970100", "X", parent=p), make_region("970200", "Y", parent=p)
    make_target(make_plan(p, issued_on=dt.date(2018, 7, 31)), p, certs, "2020Q4", 1100)
    quarters = ["2018Q3", "2018Q4", "2019Q1", "2019Q2", "2019Q3", "2019Q4"]
    for region, values in (
        (x, [500, 506, 510, 514, 517, 520]),
        (y, [500, 505, 509, 513, 516, 519]),
    ):
        for q, value in zip(quarters, values, strict=True):
            report(region, certs, q, value)
    result = region_assessment(region=p, period=Q4, now=NOW)
    rows = {r.region.code: r for r in result.rows}
    assert (rows["970100"].points("progress"), rows["970200"].points("progress")) == (
        72, Fraction(342, 5),
    )  # fmt: skip
    assert rows["970100"].points("growth") == rows["970200"].points("growth") == 63
    assert [(r.region.code, r.shown_score, r.rank) for r in result.rows] == [
        ("970100", Decimal("81.40"), 1), ("970200", Decimal("79.96"), 2),
    ]  # fmt: skip


def test_a_submission_awaiting_review_counts_neither_way(ranked, django_user_model):
    """C's 2019Q4 awaits review: quality 3 of 3 (not 3 of 4), timeliness 4 of 4 (on time). The
    reviewer approving it later leaves C's points as they were (4 of 4 clean = 100 %)."""
    _, rows = assess(ranked)
    c = rows["990300"]
    assert (c.components["quality"].numerator, c.components["quality"].denominator) == (3, 3)
    assert c.components["timeliness"].numerator == 4
    reviewer = make_user(django_user_model, "rev", (Membership.Role.REVIEWER, ranked["province"]))
    counts_approve(user=reviewer, region=ranked["c"], period=Q4)
    _, later = assess(ranked)
    assert later["990300"].points("quality") == c.points("quality") == 100
    assert later["990300"].points("timeliness") == c.points("timeliness")


def test_the_approved_only_view(ranked):
    """Approved only: C's 2019Q4 (awaiting review) is not a value yet; C is judged on its latest
    approved value, 200 at 2019Q3, against the path at 2019Q3: progress 0 ÷ 29.63 = 0, growth
    (200 − 200) ÷ (4/9 × 66.67) = 0, never "unknown = 0". Timeliness and quality do not depend
    on the view: C (40×0 + 20×0 + 20×100 + 20×100) ÷ 100 = 40.00. A and B are unchanged."""
    result, rows = assess(ranked, include=Inclusion.APPROVED)
    c = rows["990300"]
    assert c.indicators[0].value.period == Quarter(2019, 3)
    assert (c.points("progress"), c.points("growth")) == (0, 0)
    assert c.shown_score == Decimal("40.00")
    assert (rows["990100"].shown_score, rows["990200"].shown_score) == (
        Decimal("72.85"), Decimal("90.00"),
    )  # fmt: skip
    assert [r.rank for r in result.rows] == [1, 2, 3]


def test_a_reopened_baseline_count(ranked):
    """C's 2018Q3 (baseline) count is reopened (returned to the official). C has no complete
    baseline: progress and growth do not apply. B has no allocation, and its share needs the
    province's baseline, now a partial sum: not applicable either. A (allocated, own baseline
    intact) keeps 72.85. B (75 + 75) ÷ 2 = 75; C (100 + 100) ÷ 2 = 100. Ranks C, B, A."""
    from indicators.rollups import rollups_touch

    count = QuarterlyCount.objects.get(region=ranked["c"], year=2018, quarter=3)
    QuarterlyCount.objects.filter(pk=count.pk).update(status=S.RETURNED)
    rollups_touch(region=ranked["c"], indicator=count.indicator, period=Quarter(2018, 3))
    result, rows = assess(ranked)
    assert rows["990300"].components["progress"].reason is Reason.NO_BASELINE
    assert rows["990200"].components["progress"].reason is Reason.NO_PARENT_BASELINE
    assert rows["990100"].shown_score == Decimal("72.85")
    assert [(r.region.code, r.shown_score, r.rank) for r in result.rows] == [
        ("990300", Decimal("100.00"), 1), ("990200", Decimal("75.00"), 2),
        ("990100", Decimal("72.85"), 3),
    ]  # fmt: skip


def test_stable_when_a_reviewer_reopens_and_reapproves_an_unchanged_count(
    ranked, django_user_model
):
    """A's 2019Q2 is reopened in 2026, submitted again unchanged and approved: the ranking as
    of 2019Q4 is the same (first submission, first decision; a reopen is no return)."""
    result_before, _ = assess(ranked)
    reviewer = make_user(django_user_model, "rev", (Membership.Role.REVIEWER, ranked["province"]))
    official = make_user(django_user_model, "off", (Membership.Role.OFFICIAL, ranked["a"]))
    q2 = Quarter(2019, 2)
    counts_reopen(user=reviewer, region=ranked["a"], period=q2, reason="核对")
    counts_submit(user=official, region=ranked["a"], period=q2)
    counts_approve(user=reviewer, region=ranked["a"], period=q2)
    result_after, _ = assess(ranked)
    assert [(r.region.code, r.score, r.rank, r.components) for r in result_after.rows] == [
        (r.region.code, r.score, r.rank, r.components) for r in result_before.rows
    ]
    a = next(r for r in result_after.rows if r.region.code == "990100")
    q2_row = next(o for o in a.reporting if o.quarter == q2)
    assert q2_row.first_submitted_at == _at(2019, 7, 10)  # 2019-06-30 + 10 days


def test_a_unit_that_submitted_nothing_has_timeliness_0_and_no_quality_credit(ranked):
    """B's 2019Q3 is deleted (never sent): timeliness 2 of 4 on time (Q3 missing, Q4 late) =
    50 %, quality 2 clean of (2 decided clean + 1 returned + 1 missing) = 50 %."""
    QuarterlyCount.objects.filter(region=ranked["b"], year=2019, quarter=3).update(
        first_submitted_at=None, status=S.DRAFT
    )
    _, rows = assess(ranked)
    b = rows["990200"]
    assert (b.components["timeliness"].numerator, b.components["timeliness"].denominator) == (2, 4)
    assert (b.components["quality"].numerator, b.components["quality"].denominator) == (2, 4)


def test_equal_shown_scores_share_a_rank(ranked):
    """Weights progress=0, growth=0, timeliness=1, quality=1: A 100, B 75, C 100 → 1, 3, 1."""
    result, _ = assess(ranked, weights={"progress": 0, "growth": 0, "timeliness": 1, "quality": 1})
    assert [(r.region.code, r.rank) for r in result.rows] == [
        ("990100", 1), ("990300", 1), ("990200", 3),
    ]  # fmt: skip


def test_queries_do_not_grow_with_the_divisions(ranked):
    """Targets, weights, the value grid, the obligations and the decisions: the same number of
    queries for 3 divisions as for 8."""
    with CaptureQueriesContext(connection) as three:
        assess(ranked)
    for i in range(5):
        report(make_region(f"99060{i}", f"F{i}", parent=ranked["province"]),
               ranked["a"].counts.first().indicator, "2019Q4", 10)  # fmt: skip
    with CaptureQueriesContext(connection) as eight:
        _, rows = assess(ranked)
    assert len(rows) == 8
    assert len(eight.captured_queries) == len(three.captured_queries) <= 14


def test_a_prefecture_ranks_its_counties_against_its_allocated_target(ranked, certs):
    """B's allocation (450 of the province's 1,200) is B's target in force: B's county B1 (no
    count, not reporting) is judged against its share of it ("no complete baseline"), not
    "no target in force"; with no component applying, B1 is listed unranked."""
    Target.objects.create(
        plan=ranked["plan"], region=ranked["b"], indicator=certs, due_year=2020, due_quarter=4,
        value=450, allocated_from=ranked["parent"],
    )  # fmt: skip
    result = region_assessment(region=ranked["b"], period=Q4, now=NOW)
    (b1,) = result.rows
    assert b1.region.code == "990201" and b1.rank is None
    assert b1.components["progress"].reason is Reason.NO_BASELINE
    assert b1.indicators[0].parent_target.value == 450
