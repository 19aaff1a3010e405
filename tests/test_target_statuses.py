"""The kept target statuses (indicators.target_statuses) always equal the progress computed
live over every target (indicators.selectors.progress.target_rows), whatever was written since
they were built: counts through every service at every level, a draft, target edits, an
allocation, a plan's invalidation, a region's change; and a home reads them bounded."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from indicators.models import Plan, QuarterlyCount, Target, TargetStatus
from indicators.periods import Quarter
from indicators.progress import Status, increase_text
from indicators.rollups import rollups_rebuild
from indicators.selectors.progress import target_rows, targets_with_relations
from indicators.services.counts import counts_save, counts_withdraw
from indicators.services.review import counts_approve, counts_reopen, counts_return
from indicators.services.targets import target_allocations_save
from indicators.target_statuses import target_statuses_build, target_statuses_ensure
from regions.models import Membership
from regions.services import region_save
from tests.conftest import make_count, make_plan, make_target, make_user
from work.selectors.target_attention import targets_needing_attention_rows

S = QuarterlyCount.Status
Role = Membership.Role
AS_OF = Quarter(2024, 2)
PERIODS = [Quarter(2023, 1), Quarter(2023, 4), Quarter(2024, 1), Quarter(2024, 2), Quarter(2024, 3)]


Kept = tuple[str, int | None, float | None, tuple[int, int, int] | None]


def live() -> dict[int, Kept]:
    """Every target's progress as of AS_OF, computed from the counts' cells now: status,
    value, percent and baseline (year, quarter, value)."""
    targets = targets_with_relations(Target.objects.order_by("pk"))
    out = {}
    for r in target_rows(targets=targets, as_of=AS_OF):
        p, b = r.progress, r.progress.baseline
        base = (b.period.year, b.period.quarter, b.value) if b else None
        out[r.target.pk] = (p.status.value, p.value, p.percent, base)
    return out


def stored(as_of: Quarter = AS_OF) -> dict[int, Kept]:
    rows = TargetStatus.objects.filter(as_of_year=as_of.year, as_of_quarter=as_of.quarter)
    fields = ("status", "value", "percent", "baseline_year", "baseline_quarter")
    return {
        t: (s, v, p, (y, q, bv) if y is not None else None)
        for t, s, v, p, y, q, bv in rows.values_list("target_id", *fields, "baseline_value")
    }


@pytest.fixture
def plan_targets(tree, certs, orgs):
    """A plan issued 2023Q1 (the baseline) with targets due before, at and after AS_OF on the
    province, two prefectures and a county, and a second plan on A; counts of 2023Q1 for all."""
    plan = make_plan(tree["province"], issued_on=dt.date(2023, 2, 1))
    for region in ("province", "a", "b", "b1"):
        for ind, base in ((certs, 1000), (orgs, 400)):
            for due, factor in (("2023Q4", 1.1), ("2024Q2", 1.2), ("2025Q4", 1.5)):
                make_target(plan, tree[region], ind, due, int(base * factor))
    other = make_plan(tree["a"], issued_on=dt.date(2023, 5, 1), title="第二方案")
    make_target(other, tree["a"], certs, "2024Q4", 900)
    for region, value in (("a", 300), ("zone", 40), ("b1", 200), ("c", 250)):
        for ind in (certs, orgs):
            make_count(tree[region], ind, Quarter(2023, 1), value if ind == certs else value // 3)
    return plan


def test_a_build_stores_every_targets_live_progress(plan_targets):
    assert target_statuses_build(AS_OF) == Target.objects.count() == 25
    assert stored() == live()
    statuses = {s for s, _v, _p, _b in stored().values()}
    assert len(statuses) >= 3  # a mix, not one status everywhere
    baselines = [b for _s, _v, _p, b in stored().values()]
    # The province's certificates in 2023Q1: A 300 + B (its county B1) 200 + C 250 (the zone is
    # part of A, never added); the second plan's (issued 2023Q2, no count then) has none.
    assert (2023, 1, 750) in baselines and None in baselines


def test_random_writes_keep_the_stored_statuses_equal_to_the_live_computation(
    tree, certs, orgs, plan_targets, django_user_model
):
    official = make_user(django_user_model, "o", (Role.OFFICIAL, tree["province"]))
    reviewer = make_user(django_user_model, "r", (Role.REVIEWER, tree["province"]))
    manager = make_user(django_user_model, "m", (Role.TARGET_MANAGER, tree["province"]))
    target_statuses_build(AS_OF)
    rng = random.Random(20241207)
    units = [tree[k] for k in ("province", "a", "zone", "b", "b1", "c")]

    def versions(region, period):
        found = dict(
            QuarterlyCount.objects.filter(
                region=region, year=period.year, quarter=period.quarter
            ).values_list("indicator__code", "version")
        )
        return {
            "certificates": found.get("certificates"),
            "organizations": found.get("organizations"),
        }

    done = set()
    for step in range(60):
        region, period = rng.choice(units), rng.choice(PERIODS)
        action = rng.choice(
            ["draft", "submit", "submit", "approve", "return", "reopen", "withdraw"]
        )
        # A review or a reopen of a region-quarter in the state it needs (submitted, approved).
        wanted = {"approve": S.SUBMITTED, "return": S.SUBMITTED, "reopen": S.APPROVED}
        if action in wanted:
            found = sorted(
                QuarterlyCount.objects.filter(
                    status=wanted[action], region__in=units, year__in={p.year for p in PERIODS}
                ).values_list("region_id", "year", "quarter")
            )
            if found:
                region_id, year, quarter = rng.choice(found)
                region = next(u for u in units if u.pk == region_id)
                period = Quarter(year, quarter)
        try:
            if action in ("draft", "submit"):
                value = rng.randint(100, 2000)
                counts_save(
                    user=official, region=region, period=period,
                    values={"certificates": value, "organizations": value // 3},
                    expected_versions=versions(region, period), submit=action == "submit",
                    explanation="核对",
                )  # fmt: skip
            elif action == "approve":
                counts_approve(user=reviewer, region=region, period=period)
            elif action == "return":
                counts_return(user=reviewer, region=region, period=period, comment="请核对")
            elif action == "reopen":
                counts_reopen(user=reviewer, region=region, period=period, reason="口径")
            else:
                counts_withdraw(user=official, region=region, period=period)
            done.add(action)
        except (ValidationError, PermissionDenied):
            continue
        if step == 20:  # a target's value edited (the admin): its plan-region-indicator group
            target = Target.objects.filter(region=tree["b"], indicator=certs).order_by("pk")[1]
            target.value += 500
            target.save()
        if step == 30:  # a target added and one deleted
            make_target(plan_targets, tree["c"], certs, "2025Q4", 400)
            Target.objects.filter(region=tree["a"], indicator=orgs).order_by("pk").last().delete()
        if step == 40:  # the plan invalidated: its targets are withdrawn
            plan = Plan.objects.get(pk=plan_targets.pk)
            plan.status, plan.invalidated_by = Plan.Status.INVALIDATED, "测试〔2024〕1号"
            plan.invalidated_on = dt.date(2024, 3, 1)
            plan.save()
        if step == 50:  # a region moved out of its parent (the admin rebuilds the roll-ups)
            b1 = tree["b1"]
            b1.parent = tree["c"]
            region_save(region=b1)
            rollups_rebuild()
        assert stored() == live(), (step, action)
    assert {"draft", "submit", "approve", "return", "reopen"} <= done
    # An allocation (bulk writes, no signal): the divisions' new targets are stored too.
    parent = make_target(plan_targets, tree["province"], certs, "2027Q4", 3000)
    target_allocations_save(
        target=parent, values={tree["a"].pk: 1000, tree["c"].pk: 900}, user=manager
    )
    assert stored() == live()
    target_allocations_save(target=parent, values={tree["a"].pk: None}, user=manager)
    assert stored() == live()
    assert len(stored()) == Target.objects.count()


def test_a_draft_for_the_due_quarter_makes_its_target_pending(tree, certs, django_user_model):
    """C's target ≥ 100 due 2024Q2: with no count for 2024Q2 its 2024Q1 value (120) stands in
    (achieved); a draft for 2024Q2 (which changes no roll-up cell) makes it pending."""
    official = make_user(django_user_model, "o", (Role.OFFICIAL, tree["c"]))
    plan = make_plan(tree["province"], issued_on=dt.date(2023, 2, 1))
    target = make_target(plan, tree["c"], certs, "2024Q2", 100)
    make_count(tree["c"], certs, Quarter(2023, 1), 80)
    make_count(tree["c"], certs, Quarter(2024, 1), 120)
    target_statuses_build(AS_OF)
    # The baseline: the plan's issue quarter 2023Q1, C's 80 then.
    assert stored()[target.pk] == (Status.ACHIEVED.value, 120, 120.0, (2023, 1, 80))
    counts_save(
        user=official, region=tree["c"], period=AS_OF,
        values={"certificates": 90}, expected_versions={"certificates": None},
    )  # fmt: skip
    assert stored()[target.pk][0] == Status.PENDING.value
    assert stored() == live()


def test_a_count_after_the_as_of_quarter_or_before_any_series_refreshes_nothing(
    tree, certs, plan_targets
):
    target_statuses_build(AS_OF)
    before = list(TargetStatus.objects.order_by("pk").values_list("pk", flat=True))
    make_count(tree["c"], certs, Quarter(2024, 3), 5000)  # after AS_OF
    make_count(tree["c"], certs, Quarter(2017, 3), 5000)  # before 2017Q4, the series' start
    after = list(TargetStatus.objects.order_by("pk").values_list("pk", flat=True))
    assert after == before  # no row rewritten
    make_count(tree["c"], certs, Quarter(2017, 4), 5000)  # read by C's series: rewritten
    assert TargetStatus.objects.filter(pk__in=before).count() < len(before)
    assert stored() == live()


def test_a_new_quarter_is_built_once_and_replaces_the_old(plan_targets):
    target_statuses_ensure(AS_OF)
    assert len(stored()) == 25
    with CaptureQueriesContext(connection) as ctx:
        target_statuses_ensure(AS_OF)
    assert len(ctx.captured_queries) == 1  # found stored
    target_statuses_ensure(AS_OF + 1)
    assert stored() == {} and len(stored(AS_OF + 1)) == 25


def test_the_command_stores_the_reporting_quarters_statuses_and_is_idempotent(plan_targets):
    day = dt.date(2024, 7, 1)  # the reporting quarter: 2024Q2
    call_command("refresh_target_statuses", date=day, stdout=io.StringIO())
    first = list(TargetStatus.objects.order_by("pk").values_list("pk", "target_id", "status"))
    out = io.StringIO()
    call_command("refresh_target_statuses", date=day, stdout=out)
    assert (
        list(TargetStatus.objects.order_by("pk").values_list("pk", "target_id", "status")) == first
    )
    assert "25 target statuses stored as of 2024Q2" in out.getvalue()
    assert stored() == live()


def test_the_targets_needing_attention_are_the_live_ones_in_their_order(tree, certs, plan_targets):
    """The stored selection, bounded or not, lists what the live progress of every target
    says needs attention, behind first, then at risk, then pending, by due quarter and region."""
    for region, value in (("a", 310), ("zone", 45), ("b1", 205), ("c", 260)):
        make_count(tree[region], certs, Quarter(2024, 1), value)  # far below every path
    make_count(tree["b1"], certs, AS_OF, 210, status=S.DRAFT)  # B1, B, the province: pending
    rank = {Status.BEHIND: 0, Status.AT_RISK: 1, Status.PENDING: 2}
    rows = target_rows(targets=targets_with_relations(Target.objects.order_by("pk")), as_of=AS_OF)
    expected = sorted(
        (r for r in rows if r.progress.status in rank),
        key=lambda r: (rank[r.progress.status], r.target.due, r.target.region.path,
                       r.target.plan.issued_on, r.target.indicator.sort_order, r.target.pk),
    )  # fmt: skip
    assert {r.progress.status for r in expected} == {Status.BEHIND, Status.PENDING}
    assert len(expected) > 2
    everything, total = targets_needing_attention_rows(Q(), as_of=AS_OF)
    assert [r.target.pk for r in everything] == [r.target.pk for r in expected]
    assert total == len(expected)
    shown, total = targets_needing_attention_rows(Q(), as_of=AS_OF, limit=2)
    assert [r.target.pk for r in shown] == [r.target.pk for r in expected[:2]]

    def shows(row):  # what a home's list shows of a row's progress
        p = row.progress
        return (p.status, p.status.label, p.value, p.percent, p.baseline, p.increase_percent,
                increase_text(p), row.plan.title, row.target.allocated_from_label)  # fmt: skip

    assert [shows(r) for r in shown] == [shows(r) for r in expected[:2]]
    assert any(r.progress.baseline for r in shown)
    shown, total = targets_needing_attention_rows(Q(), as_of=AS_OF, limit=len(expected) + 1)
    assert [shows(r) for r in shown] == [shows(r) for r in expected]
    assert total == len(expected)
    scope = Q(region__path__startswith=tree["b"].path)
    in_b, total = targets_needing_attention_rows(scope, as_of=AS_OF)
    assert [r.target.pk for r in in_b] == [
        r.target.pk for r in expected if r.target.region.path.startswith(tree["b"].path)
    ]
    assert total == len(in_b)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_under_one_parent_keep_the_statuses_right(
    tree, certs, orgs, plan_targets, django_user_model
):
    """Two officials of sibling prefectures submit at once (PostgreSQL, two connections): the
    second waits for the first's locks on their common ancestors, then recomputes the
    province's targets with both counts; no unique violation on the province's rows."""
    from tests.concurrency import first_holds_while_second_writes

    if connection.vendor != "postgresql":
        pytest.skip("row locks between two connections: PostgreSQL")
    off_a = make_user(django_user_model, "off_a", (Role.OFFICIAL, tree["a"]))
    off_c = make_user(django_user_model, "off_c", (Role.OFFICIAL, tree["c"]))
    target_statuses_build(AS_OF)
    new = {"certificates": None, "organizations": None}

    def save(user, region, value):
        counts_save(
            user=user, region=region, period=AS_OF,
            values={"certificates": value, "organizations": value // 3},
            expected_versions=new, explanation="x", submit=True,
        )  # fmt: skip

    # the second waits at the province's lock while the first is open
    errors = first_holds_while_second_writes(
        lambda: save(off_a, tree["a"], 900), lambda: save(off_c, tree["c"], 700)
    )
    assert errors == []
    assert stored() == live()
    province = Target.objects.get(
        region=tree["province"], indicator=certs, due_year=2024, due_quarter=2
    )
    # The province's 2024Q2: A 900 + C 700, B not in (B1 has no 2024Q2): pending.
    assert stored()[province.pk][0] == Status.PENDING.value
