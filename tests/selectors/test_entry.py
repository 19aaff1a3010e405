"""Entry and review reads: a region-quarter's submission, the reviewer's queue, completeness."""

import datetime as dt

import pytest
from django.utils import timezone

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.entry import (
    NOT_STARTED,
    count_history,
    entry_quarters,
    next_waiting,
    queue_completeness,
    review_queue,
    submission_deadline,
    submission_for,
    submission_last_day,
    submission_status,
)
from indicators.services.counts import counts_save
from regions.models import Membership
from tests.conftest import make_count, make_region, make_user

S = QuarterlyCount.Status
Role = Membership.Role
P = Quarter(2024, 2)  # ends 2024-06-30; deadline (20 days) is the end of 2024-07-20


def at(y, m, d, h=10, mi=0):
    return timezone.make_aware(dt.datetime(y, m, d, h, mi))


def counted(region, indicator, status, *, value=10, submitted=None, period=P):
    c = make_count(region, indicator, period, value, status=status)
    if submitted:
        QuarterlyCount.objects.filter(pk=c.pk).update(
            submitted_at=submitted, first_submitted_at=submitted
        )
    return c


@pytest.fixture
def reviewer(tree, django_user_model):
    return make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"]))


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], NOT_STARTED),
        (["approved", "approved"], "approved"),
        (["approved", "submitted"], "submitted"),
        (["submitted", "returned"], "returned"),
        (["draft", "submitted"], "draft"),
        (["submitted"], "draft"),  # one indicator missing: not a complete submission
    ],
)
def test_submission_status_of_a_region_quarter(statuses, expected):
    assert submission_status(statuses=statuses, expected=2) == expected


def test_submission_shows_last_quarter_last_year_and_the_change(tree, certs, orgs):
    make_count(tree["a"], certs, P, 1100)
    make_count(tree["a"], certs, P - 1, 1000)
    make_count(tree["a"], certs, P - 4, 900, status=S.SUBMITTED)
    make_count(tree["b"], certs, P - 1, 5)  # another region: never shown
    sub = submission_for(region=tree["a"], period=P)
    cert_row, org_row = sub.rows
    assert (cert_row.value, cert_row.previous, cert_row.last_year) == (1100, 1000, 900)
    assert cert_row.last_year_status == "submitted"
    assert cert_row.change == 100 and cert_row.change_share == pytest.approx(0.10)
    assert (org_row.value, org_row.previous, org_row.change, org_row.change_share) == (
        None,
        None,
        None,
        None,
    )
    assert sub.versions == {"certificates": 1, "organizations": None}
    assert sub.status == "draft"  # organizations missing


def test_submission_status_and_lock(tree, certs, orgs):
    make_count(tree["a"], certs, P, 10)
    make_count(tree["a"], orgs, P, 5)
    sub = submission_for(region=tree["a"], period=P)
    assert sub.status == "approved" and sub.editable is False
    assert submission_for(region=tree["b"], period=P).status == NOT_STARTED


def test_entry_quarters_are_exactly_the_quarters_that_may_be_entered(settings):
    # 2026-11-22: 2026Q4 has not ended, so 2026Q3 is the newest; back to the first quarter.
    settings.CERTTRACK = settings.CERTTRACK | {"FIRST_QUARTER": "2025Q2"}
    quarters = entry_quarters(today=dt.date(2026, 11, 22))
    assert quarters == [Quarter(2026, 3), Quarter(2026, 2), Quarter(2026, 1), Quarter(2025, 4),
                        Quarter(2025, 3), Quarter(2025, 2)]  # fmt: skip
    # On the quarter's last day its stock is known: 2026Q4 opens on 2026-12-31.
    assert entry_quarters(today=dt.date(2026, 12, 30))[0] == Quarter(2026, 3)
    assert entry_quarters(today=dt.date(2026, 12, 31))[0] == Quarter(2026, 4)
    assert entry_quarters(today=dt.date(2027, 1, 1))[0] == Quarter(2026, 4)


def test_entry_quarters_run_back_to_2015q1_by_default():
    quarters = entry_quarters(today=dt.date(2026, 9, 30))
    assert quarters[0] == Quarter(2026, 3) and quarters[-1] == Quarter(2015, 1)
    assert len(quarters) == (2026 - 2015) * 4 + 3  # 2015Q1..2026Q3, each once


def test_deadline_is_the_end_of_the_20th_day_after_quarter_end(settings):
    local = timezone.localtime(submission_deadline(P))
    assert (local.date(), local.hour, local.minute) == (dt.date(2024, 7, 21), 0, 0)
    settings.CERTTRACK = {**settings.CERTTRACK, "DEADLINE_DAYS": 10}
    assert timezone.localtime(submission_deadline(P)).date() == dt.date(2024, 7, 11)


def test_the_last_day_shown_is_the_last_day_a_submission_is_on_time(settings):
    # 2024Q2 ends 2024-06-30; + 20 days = 2024-07-20, inclusive: late from 07-21 00:00.
    assert submission_last_day(P) == dt.date(2024, 7, 20)
    assert timezone.localtime(submission_deadline(P)).date() == dt.date(2024, 7, 21)
    # 2026Q3 ends 2026-09-30: the queue shows 2026-10-20, and a submission on 10-21 is late.
    assert submission_last_day(Quarter(2026, 3)) == dt.date(2026, 10, 20)
    settings.CERTTRACK = {**settings.CERTTRACK, "DEADLINE_DAYS": 0}
    assert submission_last_day(P) == dt.date(2024, 6, 30)  # the quarter's own last day


def test_on_time_rate_counts_each_units_first_submission(tree, certs, orgs, django_user_model):
    """A submits on 07-15 (on time); the reviewer returns it on 07-18 and, once it is
    resubmitted (07-25) and approved, reopens it on 08-01; A resubmits on 08-05, after the
    deadline (07-20 inclusive). C first submits on 07-21 00:01: late. Of the 4 reporting
    units (A, A新区, B, C) only A is on time: 1 / 4 = 0.25."""
    from unittest import mock

    from indicators.services.counts import counts_submit
    from indicators.services.review import counts_approve, counts_reopen, counts_return

    official_a = make_user(django_user_model, "off_a", (Role.OFFICIAL, tree["a"]))
    official_c = make_user(django_user_model, "off_c", (Role.OFFICIAL, tree["c"]))
    rev = make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"]))
    values = {"certificates": 10, "organizations": 5}
    new = {"certificates": None, "organizations": None}

    def when(moment):
        return mock.patch("django.utils.timezone.now", return_value=moment)

    with when(at(2024, 7, 15)):
        counts_save(user=official_a, region=tree["a"], period=P, values=values,
                    expected_versions=new, submit=True)  # fmt: skip
    with when(at(2024, 7, 18)):
        counts_return(user=rev, region=tree["a"], period=P, comment="请核对 check")
    with when(at(2024, 7, 25)):
        counts_submit(user=official_a, region=tree["a"], period=P)
    with when(at(2024, 7, 26)):
        counts_approve(user=rev, region=tree["a"], period=P)
    with when(at(2024, 8, 1)):
        counts_reopen(user=rev, region=tree["a"], period=P, reason="复核 recheck")
    with when(at(2024, 8, 5)):
        counts_submit(user=official_a, region=tree["a"], period=P)
    with when(at(2024, 7, 21, 0, 1)):
        counts_save(user=official_c, region=tree["c"], period=P, values=values,
                    expected_versions=new, submit=True)  # fmt: skip

    rows = {r.code: r for r in review_queue(user=rev, period=P)}
    a, c = rows["990100"], rows["990300"]
    assert a.status == "submitted" and a.on_time is True
    assert timezone.localtime(a.first_submitted_at) == at(2024, 7, 15)
    assert timezone.localtime(a.last_submitted_at) == at(2024, 8, 5)  # shown, not judged
    assert c.status == "submitted" and c.on_time is False
    done = queue_completeness(user=rev, period=P)
    # Units: A, A新区, B, C (B1 is not a reporting unit). Reported: A, C. On time: A.
    assert (done.expected, done.reported, done.on_time) == (4, 2, 1)
    assert done.on_time_rate == 0.25 and done.last_day == dt.date(2024, 7, 20)


def test_first_submissions_are_filled_from_the_audit_trail(tree, certs):
    """The migration that adds first_submitted_at takes each count's earliest SUBMIT event,
    else (no event: bulk-loaded data) its submitted_at."""
    import importlib

    from django.apps import apps

    from indicators.models import CountEvent

    migration = importlib.import_module("indicators.migrations.0005_count_first_submitted_at")
    with_events = make_count(tree["a"], certs, P, 10, status=S.SUBMITTED)
    without = make_count(tree["c"], certs, P, 7, status=S.SUBMITTED)
    QuarterlyCount.objects.filter(pk=with_events.pk).update(submitted_at=at(2024, 8, 5))
    QuarterlyCount.objects.filter(pk=without.pk).update(submitted_at=at(2024, 7, 19))
    for moment, action in ((at(2024, 7, 15), "submit"), (at(2024, 7, 18), "return"),
                           (at(2024, 8, 5), "submit")):  # fmt: skip
        CountEvent.objects.create(count=with_events, action=action, at=moment)
    migration.fill_first_submitted_at(apps, None)
    firsts = dict(QuarterlyCount.objects.values_list("pk", "first_submitted_at"))
    assert timezone.localtime(firsts[with_events.pk]) == at(2024, 7, 15)
    assert timezone.localtime(firsts[without.pk]) == at(2024, 7, 19)


@pytest.fixture
def queue_data(tree, certs, orgs):
    """a approved on time, zone submitted late, b draft, c nothing, other_city outside scope."""
    for ind in (certs, orgs):
        counted(tree["a"], ind, S.APPROVED, submitted=at(2024, 7, 20, 23, 59))
        counted(tree["zone"], ind, S.SUBMITTED, submitted=at(2024, 7, 21, 0, 1))
        counted(tree["other_city"], ind, S.APPROVED, submitted=at(2024, 7, 1))
    counted(tree["b"], certs, S.DRAFT)
    counted(tree["b1"], certs, S.APPROVED)  # not a reporting unit


def test_queue_lists_every_reporting_unit_of_the_reviewer_with_its_status(reviewer, queue_data):
    rows = {
        r.code: (r.status, r.value_certificates, r.on_time)
        for r in review_queue(user=reviewer, period=P)
    }
    assert rows == {
        "990100": ("approved", 10, True),
        "990171": ("submitted", 10, False),
        "990200": ("draft", 10, False),
        "990300": (NOT_STARTED, None, False),
    }


def test_completeness_rates_computed_by_hand(reviewer, queue_data):
    c = queue_completeness(user=reviewer, period=P)
    # 4 units expected (A, A新区, B, C); A and A新区 reported; only A before the deadline.
    assert (c.expected, c.reported, c.on_time) == (4, 2, 1)
    assert c.reporting_rate == 0.5 and c.on_time_rate == 0.25
    assert c.by_status == {
        NOT_STARTED: 1,
        "draft": 1,
        "submitted": 1,
        "approved": 1,
        "returned": 0,
    }


def test_completeness_follows_the_configured_deadline(reviewer, queue_data, settings):
    settings.CERTTRACK = {**settings.CERTTRACK, "DEADLINE_DAYS": 25}
    assert queue_completeness(user=reviewer, period=P).on_time == 2  # A新区 now on time too


def test_queue_is_empty_for_someone_who_reviews_nothing(tree, queue_data, django_user_model):
    official = make_user(django_user_model, "off", (Role.OFFICIAL, tree["a"]))
    assert list(review_queue(user=official, period=P)) == []
    assert queue_completeness(user=official, period=P).reporting_rate is None


def test_queue_query_count_does_not_grow_with_units(
    reviewer, queue_data, tree, django_assert_max_num_queries
):
    for i in range(20):
        make_region(f"9904{i:02d}", parent=tree["province"])
    with django_assert_max_num_queries(3):
        rows = list(review_queue(user=reviewer, period=P))
    assert len(rows) == 24


def test_history_lists_every_step_oldest_first(tree, certs, orgs, django_user_model):
    official = make_user(django_user_model, "off", (Role.OFFICIAL, tree["a"]))
    new = {"certificates": None, "organizations": None}
    counts_save(
        user=official,
        region=tree["a"],
        period=P,
        values={"certificates": 10, "organizations": 5},
        expected_versions=new,
    )
    counts_save(
        user=official,
        region=tree["a"],
        period=P,
        values={"certificates": 12},
        expected_versions={"certificates": 1},
        submit=True,
    )
    steps = [
        (e.count.indicator.code, e.action, e.old_value, e.new_value)
        for e in count_history(region=tree["a"], period=P)
    ]
    assert steps == [
        ("certificates", "create", None, 10),
        ("organizations", "create", None, 5),
        ("certificates", "update", 10, 12),
        ("certificates", "submit", 12, 12),
    ]


def test_queue_lists_what_waits_for_the_reviewer_first(reviewer, queue_data, tree, certs, orgs):
    counted(tree["c"], certs, S.RETURNED)
    order = [r.status for r in review_queue(user=reviewer, period=P)]
    # submitted, returned, draft, not started, approved: the tree's order within each
    assert order == ["submitted", "returned", "draft", "approved"]


def test_queue_names_people_by_their_full_name_or_else_their_username(
    reviewer, tree, certs, django_user_model
):
    named = make_user(django_user_model, "off_a")
    named.first_name, named.last_name = "王", "芳"
    named.save()
    bare = make_user(django_user_model, "off_b")
    QuarterlyCount.objects.filter(pk=counted(tree["a"], certs, S.APPROVED).pk).update(
        entered_by=named, reviewed_by=reviewer
    )
    QuarterlyCount.objects.filter(pk=counted(tree["b"], certs, S.SUBMITTED).pk).update(
        entered_by=bare
    )
    rows = {r.code: r for r in review_queue(user=reviewer, period=P)}
    assert rows["990100"].entered_by_name == "王 芳"  # as User.get_full_name says it
    assert rows["990100"].reviewed_by_name == "rev"  # no name given: the username
    assert rows["990200"].entered_by_name == "off_b"


def test_next_waiting_is_the_next_submitted_unit_in_tree_order_wrapping_round(
    reviewer, tree, certs, orgs
):
    for region in ("a", "c"):
        for ind in (certs, orgs):
            counted(tree[region], ind, S.SUBMITTED)
    for ind in (certs, orgs):
        counted(tree["b"], ind, S.APPROVED)
    assert next_waiting(user=reviewer, period=P, after=tree["a"]) == tree["c"]
    assert next_waiting(user=reviewer, period=P, after=tree["b"]) == tree["c"]
    assert next_waiting(user=reviewer, period=P, after=tree["c"]) == tree["a"]  # round again
    QuarterlyCount.objects.filter(region=tree["c"]).update(status=S.APPROVED)
    assert next_waiting(user=reviewer, period=P, after=tree["a"]) is None  # only itself waits
