import datetime as dt

import pytest

from tasks.periods import HALF_YEAR, QUARTER, YEAR, ReportPeriod, period_range


def test_half_years_read_and_write_as_2026h1_with_their_first_and_last_days():
    h1 = ReportPeriod.parse("2026H1")
    assert (h1.kind, h1.year, h1.index) == (HALF_YEAR, 2026, 1)
    assert str(h1) == "2026H1"
    assert (h1.start, h1.end) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert (h1 + 1).end == dt.date(2026, 12, 31)
    assert str(h1 - 1) == "2025H2"


def test_quarters_and_years_are_periods_too():
    q = ReportPeriod.parse("2026Q3")
    assert (q.kind, q.start, q.end) == (QUARTER, dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    y = ReportPeriod.parse("2026")
    assert (y.kind, y.start, y.end) == (YEAR, dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_the_period_of_a_date():
    assert str(ReportPeriod.of_date(HALF_YEAR, dt.date(2018, 7, 31))) == "2018H2"
    assert str(ReportPeriod.of_date(HALF_YEAR, dt.date(2026, 6, 30))) == "2026H1"
    assert str(ReportPeriod.of_date(QUARTER, dt.date(2026, 11, 30))) == "2026Q4"


@pytest.mark.parametrize("text", ["2026H3", "2026Q5", "H1", "2026-06", "", "abc"])
def test_anything_else_is_not_a_period(text):
    with pytest.raises(ValueError):
        ReportPeriod.parse(text)


def test_a_period_of_another_kind_than_asked_is_refused():
    with pytest.raises(ValueError):
        ReportPeriod.parse("2026Q1", kind=HALF_YEAR)


def test_a_range_counts_every_period_once():
    periods = list(period_range(ReportPeriod.parse("2024H2"), ReportPeriod.parse("2026H1")))
    assert [str(p) for p in periods] == ["2024H2", "2025H1", "2025H2", "2026H1"]
    assert list(period_range(ReportPeriod.parse("2026H1"), ReportPeriod.parse("2025H1"))) == []


def test_labels_follow_the_language():
    from django.utils import translation

    h2 = ReportPeriod.parse("2026H2")
    with translation.override("en"):
        assert h2.label == "second half of 2026"
    with translation.override("zh-hans"):
        assert "2026" in h2.label and "下半年" in h2.label
