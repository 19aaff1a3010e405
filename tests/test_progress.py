"""Progress maths (docs/progress.md) with hand-computed cases; no database."""

import pytest

from indicators.periods import Quarter
from indicators.progress import (
    Point,
    Status,
    linear_trend,
    milestone_value,
    percent,
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
