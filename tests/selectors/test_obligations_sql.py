"""The reporting rules as database conditions (indicators.selectors.obligations:
``reported_expression``, ``late_expression``, ``_status_filter``) agree with the Python rules
(``_status``, ``Obligation.reported``, ``Obligation.late``) on every combination of two
indicators' counts, and ``unreported_page`` (chosen and counted in SQL) is the head of the
full list of obligations; ``unreported_pages`` is both pages (not reported, late) from one
query."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.entry import NOT_STARTED, submission_deadline, submission_last_day
from indicators.selectors.obligation_counts import _unit_figures, unreported_page, unreported_pages
from indicators.selectors.obligations import (
    _status_filter,
    late_expression,
    quarter_obligations,
    reported_expression,
    subtree_scope,
)
from regions.models import Membership
from tests.conftest import make_region, make_user

S = QuarterlyCount.Status
P = Quarter(2024, 2)  # last on-time day 2024-07-20; late from 2024-07-21 00:00 local time
DEADLINE = submission_deadline(P)
# A count's first submission: never, just before the deadline (on time), at it (late).
FIRSTS = (None, DEADLINE - dt.timedelta(seconds=1), DEADLINE)
# Per indicator: no count (a partial submission when the other has one), or a count in each
# status with each first submission.
CHOICES = [None] + [(s, f) for s in (S.DRAFT, S.SUBMITTED, S.APPROVED, S.RETURNED) for f in FIRSTS]
DAYS = (
    submission_last_day(P) - dt.timedelta(days=30),
    submission_last_day(P),  # the last on-time day: nobody late yet
    submission_last_day(P) + dt.timedelta(days=1),
    submission_last_day(P) + dt.timedelta(days=200),
)


@pytest.fixture
def units(certs, orgs, django_user_model):
    """169 units under 970000, one per pair of choices (certificates, organizations), with a
    count of the quarter before for every other unit (never read for P) and an official for
    the units of the first half."""
    province = make_region("970000", "试省", reporting=False)
    made, counts = [], []
    for i, pair in enumerate(itertools.product(CHOICES, CHOICES)):
        unit = make_region(f"97{i + 1:04d}", parent=province)
        made.append((unit, pair))
        for indicator, choice in zip((certs, orgs), pair, strict=True):
            if choice is not None:
                status, first = choice
                counts.append(
                    QuarterlyCount(
                        region=unit,
                        indicator=indicator,
                        year=P.year,
                        quarter=P.quarter,
                        value=1,
                        entered_at=timezone.now(),
                        status=status,
                        first_submitted_at=first,
                        submitted_at=first,
                    )
                )
            if i % 2:
                prior = P - 1
                counts.append(
                    QuarterlyCount(
                        region=unit,
                        indicator=indicator,
                        year=prior.year,
                        quarter=prior.quarter,
                        value=1,
                        entered_at=timezone.now(),
                        status=S.APPROVED,
                        first_submitted_at=timezone.make_aware(dt.datetime(2024, 4, 1)),
                    )
                )
        if i < 80:
            make_user(django_user_model, f"off_{i}", (Membership.Role.OFFICIAL, unit))
    QuarterlyCount.objects.bulk_create(counts)
    return province, made


def test_the_database_conditions_agree_with_the_python_rules_on_every_case(units):
    province, made = units
    assert len(made) == 13 * 13
    scope = subtree_scope(province)
    expected = 2
    rows = _unit_figures(scope, P)
    statuses = (NOT_STARTED, S.DRAFT, S.SUBMITTED, S.APPROVED, S.RETURNED)
    seen_status, seen_late = set(), set()
    for today in DAYS:
        summary = quarter_obligations(scope=scope, period=P, today=today)
        assert len(summary.rows) == len(made)
        reported = {o.region.code for o in summary.rows if o.reported}
        late = {o.region.code for o in summary.rows if o.late}
        assert (
            set(rows.filter(reported_expression(expected=expected)).values_list("code", flat=True))
            == reported
        )
        in_sql = rows.filter(late_expression(period=P, expected=expected, today=today))
        assert set(in_sql.values_list("code", flat=True)) == late
        for status in statuses:
            by_rule = {o.region.code for o in summary.rows if o.status == status}
            in_db = set(
                rows.filter(_status_filter([status], expected)).values_list("code", flat=True)
            )
            assert in_db == by_rule, status
            seen_status.add((status, bool(by_rule)))
        seen_late.add((today, len(late)))
    # Every status occurs, and the cases are not trivial: some late, some not, some reported.
    assert {s for s, present in seen_status if present} == set(statuses)
    by_day = dict(seen_late)
    assert by_day[DAYS[0]] == by_day[DAYS[1]] == 0
    assert 0 < by_day[DAYS[2]] == by_day[DAYS[3]] < len(made) - len(reported)


@pytest.mark.parametrize("today", DAYS)
@pytest.mark.parametrize("late_only", [False, True])
def test_the_page_is_the_head_of_the_full_list_with_its_total(units, today, late_only):
    province, made = units
    scope = subtree_scope(province)
    summary = quarter_obligations(scope=scope, period=P, today=today)
    full = summary.late if late_only else summary.not_reported

    def key(obligations):
        return [
            (o.region.code, o.status, o.on_time, o.late, o.has_official, o.first_submitted_at)
            for o in obligations
        ]

    for limit in (0, 1, 10, 500):
        shown, total = unreported_page(
            scope=scope, period=P, today=today, limit=limit, late_only=late_only
        )
        assert total == len(full)
        assert key(shown) == key(full[:limit])
    # Not reported: 169 minus the units whose both counts are submitted or approved (6 × 6).
    assert len(summary.not_reported) == 169 - 36


def test_the_page_makes_as_many_queries_for_few_units_as_for_many(units, django_assert_num_queries):
    province, made = units
    small = make_region("960000", "小省", reporting=False)
    make_region("960100", parent=small)
    today = DAYS[3]
    for scope in (subtree_scope(small), subtree_scope(province)):
        with django_assert_num_queries(3):  # indicators, page with its total, officials
            unreported_page(scope=scope, period=P, today=today, limit=10, late_only=True)


def _key(obligations):
    return [
        (o.region.code, o.status, o.on_time, o.late, o.has_official, o.first_submitted_at)
        for o in obligations
    ]


@pytest.mark.parametrize("today", DAYS)
def test_both_pages_at_once_are_the_two_pages_read_alone(units, today):
    province, made = units
    scope = subtree_scope(province)
    summary = quarter_obligations(scope=scope, period=P, today=today)
    for limit in (0, 1, 10, 500):
        (shown, total), (late, late_total) = unreported_pages(
            scope=scope, period=P, today=today, limit=limit
        )
        assert (_key(shown), total) == (_key(summary.not_reported[:limit]), 133)
        assert (_key(late), late_total) == (_key(summary.late[:limit]), len(summary.late))
    if today > submission_last_day(P):
        # Late: some of the 133 not reported, not all (those first submitted on time are not).
        assert 0 < len(summary.late) < 133


def test_both_pages_make_as_many_queries_for_few_units_as_for_many(
    units, django_assert_num_queries
):
    province, made = units
    small = make_region("960000", "小省", reporting=False)
    make_region("960100", parent=small)
    for scope in (subtree_scope(small), subtree_scope(province)):
        with django_assert_num_queries(4):  # indicators, units picked, their figures, officials
            unreported_pages(scope=scope, period=P, today=DAYS[3], limit=10)
