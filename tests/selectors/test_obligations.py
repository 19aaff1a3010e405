"""Reporting obligations (indicators.selectors.obligations): who must report a quarter, who has,
who is late and since when, who waits for review and since when. Values computed by hand."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db.models import Q
from django.utils import timezone

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.entry import queue_completeness, review_queue
from indicators.selectors.obligation_counts import quarter_totals
from indicators.selectors.obligations import (
    open_submission_count,
    open_submissions,
    open_submissions_page,
    quarter_obligations,
    reporting_obligations,
    subtree_scope,
)
from indicators.services.counts import counts_save, counts_submit
from indicators.services.review import counts_approve, counts_reopen, counts_return
from regions.models import Membership
from tests.conftest import make_count, make_user

S = QuarterlyCount.Status
Role = Membership.Role
P = Quarter(2024, 2)  # ends 2024-06-30; last on-time day 2024-07-20 (20 days)
VALUES = {"certificates": 10, "organizations": 5}
NEW = {"certificates": None, "organizations": None}


def at(y, m, d, h=10, mi=0):
    return timezone.make_aware(dt.datetime(y, m, d, h, mi))


def when(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def people(tree, certs, orgs, django_user_model):
    return dict(
        a=make_user(django_user_model, "off_a", (Role.OFFICIAL, tree["a"])),
        c=make_user(django_user_model, "off_c", (Role.OFFICIAL, tree["c"])),
        rev=make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"])),
    )


def _save(user, region, moment):
    with when(moment):
        counts_save(
            user=user, region=region, period=P, values=VALUES, expected_versions=NEW, submit=True
        )


def test_every_reporting_unit_of_the_scope_must_report_zones_included(tree, certs, orgs):
    """Units of 990000: A, A新区 (a zone under A, reports on its own), B, C; not the province
    (not a unit), not B1 (not a unit), not 别市 (another scope). A has its own count, which
    hides nothing: A新区 is still asked for its own."""
    make_count(tree["a"], certs, P, 10)
    make_count(tree["a"], orgs, P, 5)
    summary = quarter_obligations(
        scope=subtree_scope(tree["province"]), period=P, today=dt.date(2024, 8, 1)
    )
    assert [o.region.code for o in summary.rows] == ["990100", "990171", "990200", "990300"]
    assert [o.region.code for o in summary.reported] == ["990100"]
    # Not reported by 2024-08-01, after the last on-time day 07-20: late since 07-21.
    assert [o.region.code for o in summary.late] == ["990171", "990200", "990300"]
    assert {o.late_since for o in summary.late} == {dt.date(2024, 7, 21)}
    assert summary.late[0].days_late == 12  # 2024-08-01 − 2024-07-20


def test_nobody_is_late_on_the_last_on_time_day(tree, certs, orgs):
    summary = quarter_obligations(
        scope=subtree_scope(tree["province"]), period=P, today=dt.date(2024, 7, 20)
    )
    assert summary.expected == 4 and summary.late == []
    assert summary.rows[0].status == "not_started"


def test_a_reopen_never_makes_a_unit_late(tree, people):
    """A first submits on 07-15 (on time), is approved on 07-16 and reopened on 2026-03-01.
    While reopened (returned, before resubmission) A is on time and not late; C first submitted
    on 07-21 00:01 is late-reported (not on time) but reported, so not late now."""
    _save(people["a"], tree["a"], at(2024, 7, 15))
    with when(at(2024, 7, 16)):
        counts_approve(user=people["rev"], region=tree["a"], period=P)
    with when(at(2026, 3, 1)):
        counts_reopen(user=people["rev"], region=tree["a"], period=P, reason="复核")
    _save(people["c"], tree["c"], at(2024, 7, 21, 0, 1))

    rows = {
        o.region.code: o
        for o in reporting_obligations(
            scope=subtree_scope(tree["province"]), periods=[P], today=dt.date(2026, 3, 2)
        )
    }
    a, c = rows["990100"], rows["990300"]
    assert a.status == S.RETURNED and a.on_time and not a.late and not a.reported
    assert timezone.localtime(a.first_submitted_at) == at(2024, 7, 15)
    assert c.reported and not c.on_time and not c.late
    # The queue judges the same way: A on time while reopened; C late. 1 of 4 on time.
    queue = {r.code: r for r in review_queue(user=people["rev"], period=P)}
    assert queue["990100"].on_time is True and queue["990300"].on_time is False
    done = queue_completeness(user=people["rev"], period=P, today=dt.date(2026, 3, 2))
    assert (done.expected, done.reported, done.on_time) == (4, 1, 1)  # reported: C only
    # The official's to-do and mail: reopened, not overdue, "first submitted on time".
    from django.utils import translation

    from notifications.mail import _days
    from work.selectors.todo import official_items

    item = next(i for i in official_items(people["a"], today=dt.date(2026, 3, 2)) if i.period == P)
    assert (item.status, item.reopened, item.overdue, item.on_time_past_due) == (
        "returned",
        True,
        False,
        True,
    )
    with translation.override("en"):
        assert _days(item) == "first submitted on time"


def test_waiting_since_is_the_current_rounds_submission(tree, people):
    """A submits 07-15, is returned 07-18, resubmits 07-25: it waits since 07-25, 7 days on
    08-01 (not 17). C submits 07-21: waits 11 days. Oldest wait first: C, then A."""
    _save(people["a"], tree["a"], at(2024, 7, 15))
    with when(at(2024, 7, 18)):
        counts_return(user=people["rev"], region=tree["a"], period=P, comment="请核对")
    with when(at(2024, 7, 25)):
        counts_submit(user=people["a"], region=tree["a"], period=P)
    _save(people["c"], tree["c"], at(2024, 7, 21))
    scope = Q(region__path__startswith=tree["province"].path)
    waiting = open_submissions(scope=scope, statuses=[S.SUBMITTED], today=dt.date(2024, 8, 1))
    assert [(o.region.code, o.waited_days) for o in waiting] == [("990300", 11), ("990100", 7)]
    assert open_submission_count(scope=scope, statuses=[S.SUBMITTED]) == 2
    first = open_submissions(
        scope=scope, statuses=[S.SUBMITTED], today=dt.date(2024, 8, 1), limit=1
    )
    assert [o.region.code for o in first] == ["990300"]  # the oldest wait, bounded in the database
    for limit, codes in (
        (0, []),
        (1, ["990300"]),
        (2, ["990300", "990100"]),
        (5, ["990300", "990100"]),
    ):
        page, total = open_submissions_page(
            scope=scope, statuses=[S.SUBMITTED], today=dt.date(2024, 8, 1), limit=limit
        )
        assert ([o.region.code for o in page], total) == (codes, 2)
        assert page == waiting[:limit]
    assert open_submission_count(scope=scope, statuses=[S.RETURNED, S.DRAFT]) == 0


def test_a_partly_submitted_quarter_is_a_draft_not_waiting(tree, certs, orgs):
    """One of two indicators submitted: the submission is a draft (submission_status)."""
    make_count(tree["a"], certs, P, 10, status=S.SUBMITTED)
    scope = Q(region__path__startswith=tree["province"].path)
    assert open_submission_count(scope=scope, statuses=[S.SUBMITTED]) == 0
    assert open_submission_count(scope=scope, statuses=[S.DRAFT]) == 1


def test_quarter_totals_count_the_obligations_rows_without_reading_them(
    tree, people, certs, django_assert_num_queries
):
    """On 2024-08-01: A submitted on 07-15 (on time, waiting), C on 07-21 00:01 (reported,
    not on time, waiting), B has a draft of one indicator, A新区 nothing (both late). Then A
    is approved: one waits. The totals are the counts of quarter_obligations' rows."""
    _save(people["a"], tree["a"], at(2024, 7, 15))
    _save(people["c"], tree["c"], at(2024, 7, 21, 0, 1))
    make_count(tree["b"], certs, P, 3, status=S.DRAFT)
    scope, today = subtree_scope(tree["province"]), dt.date(2024, 8, 1)
    with django_assert_num_queries(3):  # indicators, grouped counts counted, units counted
        totals = quarter_totals(scope=scope, period=P, today=today)
    assert (totals.expected, totals.reported, totals.on_time) == (4, 2, 1)
    assert (totals.late, totals.waiting) == (2, 2)
    assert totals.by_status == {
        "not_started": 1, "draft": 1, "submitted": 2, "approved": 0, "returned": 0
    }  # fmt: skip
    rows = quarter_obligations(scope=scope, period=P, today=today)
    assert (len(rows.late), len(rows.waiting), rows.by_status) == (2, 2, totals.by_status)
    with when(at(2024, 7, 25)):
        counts_approve(user=people["rev"], region=tree["a"], period=P)
    totals = quarter_totals(scope=scope, period=P, today=today)
    assert (totals.reported, totals.on_time, totals.waiting) == (2, 1, 1)
    assert (totals.by_status["approved"], totals.by_status["submitted"]) == (1, 1)
    # On the last on-time day nobody is late yet.
    assert quarter_totals(scope=scope, period=P, today=dt.date(2024, 7, 20)).late == 0


def test_obligations_take_a_constant_number_of_queries(
    tree, certs, orgs, django_assert_num_queries
):
    """Indicators, units, grouped counts, officials: 4 queries for 4 units × 8 quarters."""
    for code in ("a", "b", "c"):
        make_count(tree[code], certs, P, 10)
    periods = [P - i for i in range(8)]
    with django_assert_num_queries(4):
        rows = reporting_obligations(
            scope=subtree_scope(tree["province"]), periods=periods, today=dt.date(2024, 8, 1)
        )
    assert len(rows) == 4 * 8


def test_after_a_resubmission_the_queue_and_the_review_page_show_the_current_round(tree, people):
    """A submits (v1), the reviewer returns it with a comment (v2), A corrects and resubmits in
    one save (v3: one version per save). The queue row shows the current round: submitted, no
    reviewer or review time; the previous reviewer and comment are in the history."""
    from indicators.selectors.entry import count_history, submission_for

    _save(people["a"], tree["a"], at(2024, 7, 15))
    with when(at(2024, 7, 18)):
        counts_return(user=people["rev"], region=tree["a"], period=P, comment="请核对")
    with when(at(2024, 7, 25)):
        counts_save(user=people["a"], region=tree["a"], period=P,
                    values={"certificates": 11, "organizations": 5},
                    expected_versions={"certificates": 2, "organizations": 2}, submit=True)  # fmt: skip
    row = next(r for r in review_queue(user=people["rev"], period=P) if r.code == "990100")
    assert row.status == "submitted"
    assert (row.reviewed_by_name, row.last_reviewed_at) == (None, None)
    assert timezone.localtime(row.last_submitted_at) == at(2024, 7, 25)
    submission = submission_for(region=tree["a"], period=P)
    assert submission.review_comment == ""
    # certificates changed (v3), organizations unchanged but submitted (v3): one each per save
    assert submission.versions == {"certificates": 3, "organizations": 3}
    returns = [e for e in count_history(region=tree["a"], period=P) if e.action == "return"]
    assert {(e.user.username, e.comment) for e in returns} == {("rev", "请核对")}
