"""The materialized roll-ups always equal what the selectors compute from the raw counts."""

import random

import pytest

from indicators.models import QuarterlyCount, RollupCell
from indicators.periods import Quarter
from indicators.rollups import rollups_deferred, rollups_rebuild, rollups_refresh
from indicators.selectors.values import (
    Inclusion,
    region_and_children_values,
    regions_values,
    subtree_values,
)
from indicators.services.counts import counts_save
from indicators.services.review import counts_approve, counts_reopen, counts_return
from regions.models import Membership
from tests.conftest import make_count, make_user

S = QuarterlyCount.Status
Q1, Q2 = Quarter(2024, 1), Quarter(2024, 2)


def assert_matches_raw(root, indicators, start=Q1, end=Q2):
    """Every stored cell equals the full computation, and every non-empty computed cell is stored."""
    for inclusion in Inclusion:
        full = subtree_values(
            root=root, start=start, end=end, indicators=indicators, include=inclusion
        )
        stored = regions_values(
            regions=list(full.regions.values()),
            start=start,
            end=end,
            indicators=indicators,
            include=inclusion,
        )
        computed = {k: v for k, v in full.cells.items() if v.value is not None}
        assert stored.cells == computed, inclusion


def test_cells_follow_every_workflow_step(tree, certs, orgs, django_user_model):
    official = make_user(django_user_model, "o", (Membership.Role.OFFICIAL, tree["province"]))
    reviewer = make_user(django_user_model, "r", (Membership.Role.REVIEWER, tree["province"]))
    for code, value in (("a", 100), ("b", 200), ("c", 300)):
        versions = {"certificates": None, "organizations": None}
        counts_save(
            user=official,
            region=tree[code],
            period=Q2,
            values={"certificates": value, "organizations": value // 2},
            expected_versions=versions,
            submit=True,
        )
    assert_matches_raw(tree["province"], [certs, orgs])
    counts_approve(user=reviewer, region=tree["a"], period=Q2)
    counts_return(user=reviewer, region=tree["b"], period=Q2, comment="请核对")
    assert_matches_raw(tree["province"], [certs, orgs])
    grid = region_and_children_values(
        root=tree["province"], start=Q2, end=Q2, include=Inclusion.APPROVED
    )
    assert grid.get("990000", "certificates", Q2).value == 100  # only A approved
    counts_reopen(user=reviewer, region=tree["a"], period=Q2, reason="口径")
    assert_matches_raw(tree["province"], [certs, orgs])
    grid = region_and_children_values(root=tree["province"], start=Q2, end=Q2)
    row = grid.get("990000", "certificates", Q2)
    assert (row.value, row.complete) == (300, False)  # C only: A and B returned


def test_random_writes_keep_the_cache_equal_to_the_raw_computation(tree, certs, orgs):
    rng = random.Random(20181207)
    regions = [tree[k] for k in ("province", "a", "zone", "b", "b1", "c")]
    for _ in range(40):
        region = rng.choice(regions)
        indicator = rng.choice([certs, orgs])
        period = rng.choice([Q1, Q2])
        status = rng.choice(list(S))
        existing = QuarterlyCount.objects.filter(
            region=region, indicator=indicator, year=period.year, quarter=period.quarter
        )
        if existing.exists():
            existing.update(value=rng.randint(0, 500), status=status)
            rollups_refresh(keys=[(region.pk, indicator.pk, period)])
        else:
            make_count(region, indicator, period, rng.randint(0, 500), status=status)
        assert_matches_raw(tree["province"], [certs, orgs])


def test_rebuild_equals_incremental(tree, certs):
    make_count(tree["a"], certs, Q1, 10)
    make_count(tree["b1"], certs, Q1, 20)
    make_count(tree["province"], certs, Q2, 99)
    before = sorted(
        RollupCell.objects.values_list(
            "region_id", "year", "quarter", "inclusion", "value", "complete"
        )
    )
    assert rollups_rebuild() == len(before)
    after = sorted(
        RollupCell.objects.values_list(
            "region_id", "year", "quarter", "inclusion", "value", "complete"
        )
    )
    assert after == before


def test_deferred_block_refreshes_once_at_the_end(tree, certs, django_assert_max_num_queries):
    with rollups_deferred():
        make_count(tree["a"], certs, Q1, 10)
        make_count(tree["b"], certs, Q1, 20)
        assert not RollupCell.objects.exists()  # nothing refreshed yet
    assert (
        regions_values(regions=[tree["province"]], start=Q1, end=Q1)
        .get("990000", "certificates", Q1)
        .value
        == 30
    )


@pytest.mark.parametrize("children", [3, 30])
def test_dashboard_read_is_constant_in_queries(db, certs, children, django_assert_num_queries):
    from tests.conftest import make_region

    root = make_region("970000", reporting=False)
    with rollups_deferred():
        for i in range(children):
            city = make_region(f"97{i + 1:02d}00", parent=root)
            for q in (Q1, Q2):
                make_count(city, certs, q, i)
    with django_assert_num_queries(2):  # children, cells (indicators given)
        grid = region_and_children_values(root=root, start=Q1, end=Q2, indicators=[certs])
    assert grid.get("970000", "certificates", Q2).value == sum(range(children))
    assert len(grid.children("970000")) == children


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_under_one_parent_keep_the_rollups_right(
    tree, certs, orgs, django_user_model
):
    """Two officials of sibling regions submit at the same time (PostgreSQL, two connections).

    The second waits for the first's roll-up lock on the common ancestors, then sees its
    committed count: no unique violation on the province's cells (it was a 500 under load) and
    no province total missing one of the two changes.
    """
    from django.db import connection

    from tests.concurrency import first_holds_while_second_writes

    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections: PostgreSQL")
    off_a = make_user(django_user_model, "off_a", (Membership.Role.OFFICIAL, tree["a"]))
    off_c = make_user(django_user_model, "off_c", (Membership.Role.OFFICIAL, tree["c"]))
    for indicator, value in ((certs, 30), (orgs, 12)):
        make_count(tree["b"], indicator, Q1, value)  # the province's cells exist already
    new = {"certificates": None, "organizations": None}

    def save(user, region, certificates, organizations):
        counts_save(
            user=user, region=region, period=Q1,
            values={"certificates": certificates, "organizations": organizations},
            expected_versions=new, explanation="x", submit=True,
        )  # fmt: skip

    errors = first_holds_while_second_writes(
        lambda: save(off_a, tree["a"], 10, 5), lambda: save(off_c, tree["c"], 20, 8)
    )
    assert errors == []
    cell = RollupCell.objects.get(
        region=tree["province"], indicator=certs, year=2024, quarter=1, inclusion="submitted"
    )
    assert cell.value == 10 + 30 + 20  # a, b and c (the zone under a is a part, not added)
    organizations = RollupCell.objects.get(
        region=tree["province"], indicator=orgs, year=2024, quarter=1, inclusion="submitted"
    )
    assert organizations.value == 5 + 12 + 8
    assert_matches_raw(tree["province"], [certs, orgs])


def test_a_change_refreshes_only_the_inclusions_that_count_its_statuses(monkeypatch, tree, certs):
    """Drafts and returned counts are in no inclusion: a write that keeps a count among them
    cannot change a cell and skips the refresh. Submitting touches the "submitted" cells only
    (no approved figure changes); approving, or reopening an approved count, touches both (the
    submitted cells record whether their value is approved)."""
    from indicators import rollups
    from indicators.selectors.values import Inclusion

    calls = []
    monkeypatch.setattr(
        rollups, "rollups_refresh", lambda keys, inclusions: calls.append(set(inclusions))
    )
    touch = dict(region=tree["a"], indicator=certs, period=Quarter(2024, 2))
    rollups.rollups_touch(**touch, statuses=("", "draft"))
    rollups.rollups_touch(**touch, statuses=("draft", "draft"))
    rollups.rollups_touch(**touch, statuses=("returned", "draft"))
    assert calls == []
    rollups.rollups_touch(**touch, statuses=("draft", "submitted"))
    rollups.rollups_touch(**touch, statuses=("submitted", "approved"))
    rollups.rollups_touch(**touch, statuses=("approved", "returned"))
    rollups.rollups_touch(**touch)  # no statuses given: everything
    both = {Inclusion.APPROVED, Inclusion.SUBMITTED}
    assert calls == [{Inclusion.SUBMITTED}, both, both, both]


@pytest.mark.django_db(transaction=True)
def test_a_draft_and_a_submit_under_one_region_do_not_deadlock(
    tree, certs, orgs, django_user_model
):
    """The deadlock bench/load.py found (PostgreSQL, two connections): an official's draft
    inserts a new count of A (its foreign key to A is checked at commit), while a colleague's
    submit of A for another quarter holds A FOR UPDATE (roll-ups) and waits for the data
    version row. Had the draft taken that row first, its commit-time key check would wait for
    the submit, and the submit for it. ``data_changed`` checks the keys before taking the row."""
    import threading
    import time

    from django.db import connection, transaction
    from django.utils import timezone

    from indicators.pagecache import data_changed
    from regions.models import Region

    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections: PostgreSQL")
    holding, drafting, errors = threading.Event(), threading.Event(), []

    def draft():  # what counts_save does for a new count, in the order it does it
        try:
            holding.wait(20)
            with transaction.atomic():
                QuarterlyCount.objects.create(
                    region=tree["a"], indicator=certs, year=2024, quarter=1, value=5,
                    status=S.DRAFT, entered_at=timezone.now(),
                )  # fmt: skip
                drafting.set()
                data_changed()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            drafting.set()
            connection.close()

    def submit():  # the roll-up refresh's region lock, then the data version
        try:
            with transaction.atomic():
                Region.objects.select_for_update().get(pk=tree["a"].pk)
                holding.set()
                drafting.wait(20)
                time.sleep(0.5)  # the draft is at its data_changed now
                data_changed()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            holding.set()
            connection.close()

    threads = [threading.Thread(target=draft), threading.Thread(target=submit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert QuarterlyCount.objects.filter(region=tree["a"], year=2024, quarter=1).count() == 1
