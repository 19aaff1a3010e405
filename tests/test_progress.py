"""Progress maths (docs/progress.md) with hand-computed cases; no database."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation

from indicators.periods import Quarter
from indicators.progress import (
    BaselineNote,
    DueGap,
    Point,
    Status,
    change_percent,
    increase_share,
    linear_trend,
    milestone_value,
    percent,
    percent_of,
    round_half_up,
    target_progress,
)

BASE = Point(Quarter(2018, 3), 9650)
M2020 = Point(Quarter(2020, 4), 11000)
M2022 = Point(Quarter(2022, 4), 12000)


def progress(value_at, value, *, as_of=None, due=Quarter(2020, 4), target=11000, **kw):
    as_of = as_of or value_at
    return target_progress(
        target_value=target,
        due=due,
        series=[Point(value_at, value)],
        as_of=as_of,
        baseline=BASE,
        milestones=[M2020, M2022],
        **kw,
    )


def test_milestone_path_runs_straight_from_baseline_to_first_target():
    # 2019Q3 is 4 of the 9 quarters from 2018Q3 to 2020Q4: 9650 + 4/9 × 1350 = 10250
    assert milestone_value(Quarter(2019, 3), baseline=BASE, milestones=[M2020, M2022]) == 10250


def test_milestone_path_then_runs_from_target_to_target():
    # 2021Q4 is 4 of the 8 quarters from 2020Q4 to 2022Q4: 11000 + 4/8 × 1000 = 11500
    assert milestone_value(Quarter(2021, 4), baseline=BASE, milestones=[M2020, M2022]) == 11500


def test_milestone_path_is_undefined_before_the_baseline_and_level_after_the_last_target():
    assert milestone_value(Quarter(2018, 1), baseline=BASE, milestones=[M2020]) is None
    assert milestone_value(Quarter(2024, 1), baseline=BASE, milestones=[M2020, M2022]) == 12000


def test_on_track_at_or_above_the_path():
    p = progress(Quarter(2019, 3), 10250)
    assert p.status is Status.ON_TRACK
    assert p.expected == 10250


def test_at_risk_when_short_by_at_most_the_margin():
    # margin 5 % of (11000 - 9650) = 67.5; 10250 - 10190 = 60
    assert progress(Quarter(2019, 3), 10190).status is Status.AT_RISK


def test_behind_when_short_by_more_than_the_margin():
    # 10250 - 10180 = 70 > 67.5
    assert progress(Quarter(2019, 3), 10180).status is Status.BEHIND


def test_margin_is_configurable():
    assert progress(Quarter(2019, 3), 10180, margin=0.10).status is Status.AT_RISK


def test_achieved_when_the_due_quarter_meets_the_target_exactly():
    p = progress(Quarter(2020, 4), 11000)
    assert p.status is Status.ACHIEVED and p.at_due and p.percent == 100.0 and p.gap == 0


def test_missed_when_the_due_quarter_falls_short():
    p = progress(Quarter(2020, 4), 10999)
    assert p.status is Status.MISSED and p.gap == -1


def test_due_quarter_without_its_own_value_uses_the_latest_of_that_year_flagged():
    p = progress(Quarter(2020, 3), 11100, as_of=Quarter(2021, 2))
    assert p.status is Status.ACHIEVED
    assert p.at_due is False
    assert p.measured_at == Quarter(2020, 3)


def test_no_data():
    p = target_progress(
        target_value=11000, due=Quarter(2020, 4), series=[], as_of=Quarter(2020, 1), baseline=None
    )
    assert p.status is Status.NO_DATA and p.value is None and p.percent is None


def test_values_after_as_of_are_ignored():
    p = target_progress(
        target_value=11000,
        due=Quarter(2020, 4),
        series=[Point(Quarter(2020, 4), 12000)],
        as_of=Quarter(2020, 3),
        baseline=BASE,
    )
    assert p.status is Status.NO_DATA


def test_least_squares_trend_and_crossing_quarter():
    pts = [Point(Quarter(2019, q), 100 + 10 * (q - 1)) for q in (1, 2, 3, 4)]  # 100..130
    trend = linear_trend(pts)
    assert trend.slope == pytest.approx(10.0)
    assert trend.at(Quarter(2020, 4)) == pytest.approx(170.0)
    p = target_progress(
        target_value=155,
        due=Quarter(2021, 4),
        series=pts,
        as_of=Quarter(2019, 4),
        baseline=Point(Quarter(2019, 1), 100),
    )
    # 130 + 10 × 3 = 160 ≥ 155 first at 2020Q3
    assert p.crossing == Quarter(2020, 3)
    assert p.forecast_value == pytest.approx(210.0)  # 100 + 10 × 11
    assert p.forecast_meets is True
    # 8 quarters from 2019Q4 to 2021Q4; (155 - 130) / 8 = 3.125 → 4 per quarter
    assert p.quarters_left == 8 and p.needed_per_quarter == 4


def test_trend_uses_only_the_last_window_quarters():
    pts = [Point(Quarter(2018, 1), 1000)] + [
        Point(Quarter(2019, q), 100 + 10 * (q - 1)) for q in (1, 2, 3, 4)
    ]
    assert linear_trend(pts, window=4).slope == pytest.approx(10.0)
    assert linear_trend(pts, window=8).slope < 0


def test_falling_trend_never_crosses():
    pts = [Point(Quarter(2019, q), 200 - 10 * q) for q in (1, 2, 3, 4)]
    p = target_progress(
        target_value=300, due=Quarter(2021, 4), series=pts, as_of=Quarter(2019, 4), baseline=None
    )
    assert p.crossing is None and p.forecast_meets is False and p.status is Status.BEHIND


def test_percent():
    assert percent(4910, 5000) == pytest.approx(98.2)
    assert percent(None, 5000) is None


# --- issue 11: numbers a leader can trust ------------------------------------------------


def test_percentages_round_half_up_not_to_even():
    # Python's round(97.625, 2) is 97.62 (to even); a leader's table says 97.63.
    assert round_half_up(97.625) == 97.63
    assert round_half_up(0.125) == 0.13
    assert round_half_up(2.675) == 2.68  # the float is 2.67499999…; its decimal form is 2.675
    assert round_half_up(-6.255) == -6.26  # halves away from zero
    assert round_half_up(97.624) == 97.62
    assert round_half_up(None) is None
    assert round_half_up(Fraction(1, 3), 1) == 0.3


def test_percent_of_a_target_is_exact_from_the_counts_and_rounded_half_up():
    assert percent(3905, 4000) == 97.63  # 3905 / 4000 = 0.97625
    assert percent(781, 800) == 97.63  # 0.97625 again
    assert percent(4910, 5000) == 98.2
    assert percent_of(2, 3) == 66.67  # 66.666…
    assert change_percent(110, 80) == 37.5  # (110 − 80) / 80
    assert change_percent(75, 80) == -6.25
    assert change_percent(5, 0) is None and percent_of(5, None) is None


def test_pending_when_the_due_quarter_has_passed_with_an_incomplete_value():
    # Gansu 2020: 2020Q3 complete at 10,950; 2020Q4 only partly reported (620100 reopened).
    gap = DueGap(missing=(("620100", "兰州市"),))
    p = target_progress(
        target_value=11000,
        due=Quarter(2020, 4),
        series=[Point(Quarter(2020, 2), 10800), Point(Quarter(2020, 3), 10950)],
        as_of=Quarter(2021, 1),
        baseline=BASE,
        due_gap=gap,
    )
    assert p.status is Status.PENDING
    with translation.override("en"):
        assert p.status.label == "Pending"
    with translation.override("zh-hans"):
        assert p.status.label == "待定"
    # The latest complete value up to the due quarter is the context, never judged.
    assert (p.value, p.measured_at, p.at_due) == (10950, Quarter(2020, 3), False)
    assert p.due_gap == gap and p.due_gap.missing_codes == ["620100"]
    assert p.forecast_value is None and p.crossing is None and p.needed_per_quarter is None


def test_pending_is_not_used_once_the_due_quarter_has_a_complete_value():
    p = target_progress(
        target_value=11000,
        due=Quarter(2020, 4),
        series=[Point(Quarter(2020, 3), 10950), Point(Quarter(2020, 4), 11180)],
        as_of=Quarter(2021, 1),
        baseline=BASE,
        due_gap=DueGap(awaiting=(("620100", "兰州市"),)),
    )
    assert p.status is Status.ACHIEVED and p.value == 11180 and p.due_gap is None


def test_a_gap_at_a_due_quarter_still_ahead_changes_nothing():
    p = target_progress(
        target_value=11000,
        due=Quarter(2020, 4),
        series=[Point(Quarter(2019, 3), 10250)],
        as_of=Quarter(2019, 3),
        baseline=BASE,
        milestones=[M2020],
        due_gap=DueGap(missing=(("620100", "兰州市"),)),
    )
    assert p.status is Status.ON_TRACK and p.due_gap is None


def test_pending_counts_awaiting_review():
    gap = DueGap(awaiting=(("620100", "兰州市"), ("620200", "嘉峪关市")))
    assert gap.awaiting_review == 2 and gap.missing == ()


def test_a_finished_target_has_no_forecast_crossing_or_needed_pace():
    # Beihai's 2020 target (800) seen from 2026Q3 with a rising 2024–2026 series: missed on
    # 2020Q4's 760; a trend run backwards from 2026 must not say "projected to be met".
    series = [Point(Quarter(2020, 4), 760)] + [
        Point(Quarter(2024, 1) + i, 900 + 10 * i) for i in range(11)
    ]
    p = target_progress(
        target_value=800, due=Quarter(2020, 4), series=series, as_of=Quarter(2026, 3),
        baseline=Point(Quarter(2018, 4), 600),
    )  # fmt: skip
    assert p.status is Status.MISSED and p.value == 760
    assert (p.trend, p.forecast_value, p.forecast_meets, p.crossing) == (None, None, None, None)
    assert p.needed_per_quarter is None and p.quarters_left == 0 and p.is_final


def test_a_target_withdrawn_with_its_plan_has_no_forecast_but_keeps_its_status():
    pts = [Point(Quarter(2019, q), 100 + 10 * (q - 1)) for q in (1, 2, 3, 4)]  # 100..130
    kw = dict(target_value=155, due=Quarter(2021, 4), series=pts, as_of=Quarter(2019, 4),
              baseline=Point(Quarter(2019, 1), 100))  # fmt: skip
    live = target_progress(**kw)
    gone = target_progress(**kw, withdrawn=True)
    assert live.forecast_value == pytest.approx(210.0) and live.crossing == Quarter(2020, 3)
    assert gone.status is live.status  # path at 2019Q4: 100 + 3/11 × 55 = 115 ≤ 130: on track
    assert gone.status is Status.ON_TRACK and gone.withdrawn
    assert (gone.forecast_value, gone.forecast_meets, gone.crossing) == (None, None, None)
    assert gone.needed_per_quarter is None


def test_crossing_is_strictly_after_the_latest_value():
    # 100, 110, 120, 130 (2019Q1..Q4): the line is already 130 ≥ 125 at 2019Q4; the crossing
    # is the first quarter *after* the latest value where it is ≥ 125: 2020Q1 (140).
    pts = [Point(Quarter(2019, q), 100 + 10 * (q - 1)) for q in (1, 2, 3, 4)]
    p = target_progress(
        target_value=125, due=Quarter(2021, 4), series=pts, as_of=Quarter(2019, 4), baseline=None
    )
    assert p.crossing == Quarter(2020, 1)
    trend = linear_trend(pts)
    # 130 + 10 × 8 = 210 exactly at 8 steps (no float noise pushing it to 9)
    assert trend.first_reaching(210, after=Quarter(2019, 4)) == Quarter(2021, 4)
    assert trend.first_reaching(10**9, after=Quarter(2019, 4)) is None  # beyond the limit


def test_needed_pace_counts_from_the_latest_complete_value():
    # Latest complete value 11,000 at 2021Q2; as of 2021Q3 (a partial quarter, not a point);
    # target 12,000 due 2022Q4: 6 quarters from 2021Q2, ⌈1,000 / 6⌉ = 167 (not ⌈1,000 / 5⌉ =
    # 200 counted from as of, a fifth more).
    p = target_progress(
        target_value=12000,
        due=Quarter(2022, 4),
        series=[Point(Quarter(2021, 1), 10900), Point(Quarter(2021, 2), 11000)],
        as_of=Quarter(2021, 3),
        baseline=BASE,
    )
    assert p.needed_per_quarter == 167 and p.quarters_left == 5


def test_needed_pace_is_zero_once_the_value_meets_the_target():
    p = target_progress(
        target_value=100, due=Quarter(2022, 4), series=[Point(Quarter(2021, 2), 120)],
        as_of=Quarter(2021, 2), baseline=None,
    )  # fmt: skip
    assert p.needed_per_quarter == 0 and p.status is Status.ON_TRACK


def test_not_yet_issued_before_the_plans_quarter():
    p = target_progress(
        target_value=11000,
        due=Quarter(2020, 4),
        series=[Point(Quarter(2018, 1), 9400), Point(Quarter(2018, 2), 9500)],
        as_of=Quarter(2018, 2),
        baseline=None,
        issued=Quarter(2018, 3),
    )
    assert p.status is Status.NOT_ISSUED
    with translation.override("en"):
        assert p.status.label == "Not yet issued"
    with translation.override("zh-hans"):
        assert p.status.label == "尚未印发"
    assert p.percent is None and p.gap is None and p.expected is None
    assert (p.forecast_value, p.crossing, p.needed_per_quarter) == (None, None, None)
    # From the plan's own quarter on, it is judged as usual.
    issued = target_progress(
        target_value=11000, due=Quarter(2020, 4), series=[Point(Quarter(2018, 3), 9650)],
        as_of=Quarter(2018, 3), baseline=BASE, issued=Quarter(2018, 3),
    )  # fmt: skip
    assert issued.status is Status.ON_TRACK


def test_without_a_baseline_the_note_says_why_and_the_fallback_judges():
    # Baseline quarter incomplete: no path. 10,100 < 11,000 and a falling trend: behind.
    pts = [Point(Quarter(2019, 1), 10300), Point(Quarter(2019, 2), 10100)]
    p = target_progress(
        target_value=11000, due=Quarter(2020, 4), series=pts, as_of=Quarter(2019, 2),
        baseline=None, baseline_note=BaselineNote.INCOMPLETE,
    )  # fmt: skip
    assert p.status is Status.BEHIND and p.expected is None
    assert p.baseline_note is BaselineNote.INCOMPLETE
    with translation.override("en"):
        assert BaselineNote.INCOMPLETE.label == "baseline data incomplete"
    with translation.override("zh-hans"):
        assert BaselineNote.INCOMPLETE.label == "基期数据不完整"


# --- share of the required increase (docs/progress.md, "How far along a target is") ----------


def test_increase_share_of_gansu_2027_certificates_is_59_55_percent():
    # (13,626 − 12,781) ÷ (14,200 − 12,781) = 845 ÷ 1,419 = 0.595489… → 59.55 %
    assert increase_share(13626, 12781, 14200) == Decimal("59.55")
    # the share of the target reached flatters: 13,626 ÷ 14,200 = 95.958 % → 95.96
    assert percent(13626, 14200) == 95.96


def test_increase_share_rounds_half_up_exactly():
    # 1 ÷ 8 = 12.5 %; 1 ÷ 1,600 = 0.0625 % → 0.06; 5 ÷ 1,600 = 0.3125 % → 0.31;
    # 1 ÷ 800 = 0.125 % → 0.13 (half up, not banker's 0.12)
    assert increase_share(101, 100, 108) == Decimal("12.50")
    assert increase_share(1, 0, 1600) == Decimal("0.06")
    assert increase_share(5, 0, 1600) == Decimal("0.31")
    assert increase_share(1, 0, 800) == Decimal("0.13")


def test_increase_share_is_negative_below_the_baseline_and_above_100_beyond_the_target():
    # (850 − 900) ÷ (1,000 − 900) = −50 %; (1,050 − 900) ÷ 100 = 150 %
    assert increase_share(850, 900, 1000) == Decimal("-50.00")
    assert increase_share(1050, 900, 1000) == Decimal("150.00")
    assert increase_share(900, 900, 1000) == Decimal("0.00")
    assert increase_share(1000, 900, 1000) == Decimal("100.00")


def test_increase_share_is_none_without_a_value_a_baseline_or_an_increase_to_make():
    assert increase_share(None, 900, 1000) is None
    assert increase_share(950, None, 1000) is None
    assert increase_share(950, 900, None) is None
    # target ≤ baseline: no increase asked for, so no share of it (not a division by zero)
    assert increase_share(950, 1000, 1000) is None
    assert increase_share(950, 1100, 1000) is None


def test_target_progress_states_both_shares_from_the_same_value():
    # Baseline 9,650 (2018Q3), target 11,000, value 10,250 at 2019Q3:
    # reached 10,250 ÷ 11,000 = 93.18 %; increase (10,250 − 9,650) ÷ (11,000 − 9,650)
    # = 600 ÷ 1,350 = 44.444… → 44.44 %.
    p = progress(Quarter(2019, 3), 10250)
    assert p.percent == 93.18
    assert p.increase_percent == Decimal("44.44")


def test_target_progress_has_no_increase_share_without_a_baseline_or_before_issue():
    p = target_progress(
        target_value=11000,
        due=Quarter(2020, 4),
        series=[Point(Quarter(2019, 3), 10250)],
        as_of=Quarter(2019, 3),
        baseline=None,
    )
    assert p.percent == 93.18 and p.increase_percent is None
    p = progress(Quarter(2019, 3), 10250, issued=Quarter(2019, 4))
    assert p.status is Status.NOT_ISSUED and p.increase_percent is None
