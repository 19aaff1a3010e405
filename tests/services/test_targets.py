"""Allocation of a target to the divisions of its region (indicators.services.targets):
permission, forged ids, zones outside the sum, audit, the due-quarter deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from indicators.models import Target, TargetEvent
from indicators.selectors.allocation import allocation_regions, proportional_split
from indicators.services.targets import target_allocations_save
from regions.models import Membership
from tests.conftest import make_plan, make_target, make_user

ROLE = Membership.Role


@pytest.fixture
def setup(tree, certs, django_user_model):
    plan = make_plan(tree["province"], issued_on=dt.date(2018, 7, 31))
    target = make_target(plan, tree["province"], certs, "2099Q4", 1000)
    manager = make_user(django_user_model, "mgr", (ROLE.TARGET_MANAGER, tree["province"]))
    return dict(tree, plan=plan, target=target, manager=manager)


def test_proportional_split_adds_up_to_the_parent_by_largest_remainder():
    # 12,000 over 5,000 : 3,000 : 1,000 → 6,666.67 / 4,000 / 1,333.33 → 6,667 / 4,000 / 1,333
    assert proportional_split(weights={"a": 5000, "b": 3000, "c": 1000}, total=12000) == {
        "a": 6667,
        "b": 4000,
        "c": 1333,
    }
    # 10 over three equal weights: 3.33 each, the one unit left to the first key
    assert proportional_split(weights={"x": 1, "y": 1, "z": 1}, total=10) == {
        "x": 4,
        "y": 3,
        "z": 3,
    }
    # nothing known: an equal split
    assert proportional_split(weights={"x": 0, "y": 0}, total=5) == {"x": 3, "y": 2}


def test_allocation_regions_are_divisions_and_the_zones_under_them(setup):
    divisions, zones = allocation_regions(setup["target"])
    assert [r.code for r in divisions] == ["990100", "990200", "990300"]
    assert [r.code for r in zones] == ["990171"]


def test_save_creates_allocations_linked_to_the_parent_and_audits_them(setup):
    t, a, b, c, zone = setup["target"], setup["a"], setup["b"], setup["c"], setup["zone"]
    result = target_allocations_save(
        target=t, values={a.pk: 500, b.pk: 300, c.pk: 150, zone.pk: 80}, user=setup["manager"]
    )
    # the zone's 80 is never counted: 500 + 300 + 150 = 950, short by 50
    assert result.allocated_sum == 950
    assert result.difference == -50
    child = Target.objects.get(region=a, allocated_from=t)
    assert (child.plan_id, child.indicator_id, child.due, child.value) == (
        t.plan_id,
        t.indicator_id,
        t.due,
        500,
    )
    assert TargetEvent.objects.filter(parent=t, action="create").count() == 4
    # change one, remove one: old → new recorded with who
    result = target_allocations_save(target=t, values={a.pk: 550, c.pk: ""}, user=setup["manager"])
    assert result.allocated_sum == 850  # 550 + 300
    ev = TargetEvent.objects.get(parent=t, action="update")
    assert (ev.old_value, ev.new_value, ev.user) == (500, 550, setup["manager"])
    ev = TargetEvent.objects.get(parent=t, action="delete")
    assert (ev.region_id, ev.old_value, ev.new_value) == (c.pk, 150, None)
    assert not Target.objects.filter(region=c, allocated_from=t).exists()


def test_a_forged_region_id_is_refused_and_nothing_is_written(setup):
    t = setup["target"]
    for forged in (setup["other_city"].pk, setup["b1"].pk, setup["province"].pk, 999999):
        with pytest.raises(ValidationError):
            target_allocations_save(
                target=t, values={setup["a"].pk: 10, forged: 5}, user=setup["manager"]
            )
    assert not Target.objects.filter(allocated_from=t).exists()


def test_values_must_be_whole_numbers_above_zero(setup):
    for bad in ("abc", -5, 0, "1.5"):
        with pytest.raises(ValidationError):
            target_allocations_save(
                target=setup["target"], values={setup["a"].pk: bad}, user=setup["manager"]
            )


def test_a_prefecture_manager_cannot_allocate_the_provinces_target(setup, django_user_model):
    prefecture = make_user(django_user_model, "pm", (ROLE.TARGET_MANAGER, setup["a"]))
    leader = make_user(django_user_model, "ld", (ROLE.LEADER, setup["province"]))
    for user in (prefecture, leader):
        with pytest.raises(PermissionDenied):
            target_allocations_save(target=setup["target"], values={setup["a"].pk: 10}, user=user)
    assert not Target.objects.filter(allocated_from=setup["target"]).exists()


def test_an_administrator_may_allocate(setup, django_user_model):
    admin = make_user(django_user_model, "root", superuser=True)
    result = target_allocations_save(
        target=setup["target"], values={setup["a"].pk: 1000}, user=admin
    )
    assert result.difference == 0


def test_a_past_due_target_can_no_longer_be_allocated(setup, certs):
    past = make_target(setup["plan"], setup["province"], certs, "2020Q4", 900)
    with pytest.raises(ValidationError):
        target_allocations_save(target=past, values={setup["a"].pk: 10}, user=setup["manager"])
    # the demo seed may (labelled demo)
    target_allocations_save(
        target=past, values={setup["a"].pk: 10}, user=setup["manager"], demo=True
    )
    assert Target.objects.get(allocated_from=past).is_demo


def test_a_division_with_its_own_target_of_the_plan_is_refused(setup, certs):
    make_target(setup["plan"], setup["a"], certs, "2099Q4", 77)
    with pytest.raises(ValidationError):
        target_allocations_save(
            target=setup["target"], values={setup["a"].pk: 10}, user=setup["manager"]
        )


@pytest.mark.parametrize(
    "raw", ["1,,5", "1_000", "٣", "+5", "9223372036854775807", str(2**63), "9" * 5000, "0", "-5"]
)
def test_an_odd_allocation_is_refused_before_anything_is_written_even_an_update(setup, raw):
    """Issue 24.2: int() saved "1,,5" as 15 and took "1_000", "٣", "+5" and 2**63 - 1; a value
    ≥ 2**63 was a 500 after the update's audit event had been written."""
    from indicators.models import TargetEvent

    t, a, c = setup["target"], setup["a"], setup["c"]
    target_allocations_save(target=t, values={a.pk: 500}, user=setup["manager"])
    events = TargetEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        # c's new value is fine, a's update is not: neither is written, nor audited
        target_allocations_save(target=t, values={c.pk: 300, a.pk: raw}, user=setup["manager"])
    assert a.name in " ".join(caught.value.messages)
    assert Target.objects.get(region=a, allocated_from=t).value == 500
    assert not Target.objects.filter(region=c, allocated_from=t).exists()
    assert TargetEvent.objects.count() == events


def test_allocations_are_read_by_the_parser_of_counts(setup):
    t, a = setup["target"], setup["a"]
    result = target_allocations_save(target=t, values={a.pk: "１，２００"}, user=setup["manager"])
    assert result.allocated_sum == 1200  # full-width digits and comma, as an input method types
    with pytest.raises(ValidationError):
        target_allocations_save(target=t, values={f"{a.pk}\u0663": "5"}, user=setup["manager"])


def _save_queries(target, values, user) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = type(user).objects.get(pk=user.pk)  # no access cached on the object
    with CaptureQueriesContext(connection) as ctx:
        target_allocations_save(target=target, values=values, user=user)
    return len(ctx.captured_queries)


def test_an_allocation_save_makes_as_many_queries_for_twelve_divisions_as_for_three(
    setup, certs, django_user_model
):
    """Issue 25: every division had its own full_clean, save, signal and audit insert (689
    queries for 34 provinces). Create, change and remove cost the same for 3 and 12
    divisions; the audit trail still has one entry per division and change."""
    from tests.conftest import make_region

    small = setup["target"]
    divisions = [setup["a"].pk, setup["b"].pk, setup["c"].pk]
    big_region = make_region("770000", "大省", reporting=False)
    big_divisions = [make_region(f"77{k:02d}00", parent=big_region).pk for k in range(1, 13)]
    big = make_target(make_plan(big_region), big_region, certs, "2099Q4", 1200)
    manager = setup["manager"]
    from regions.models import Membership as M

    M.objects.create(user=manager, region=big_region, role=ROLE.TARGET_MANAGER)
    manager = type(manager).objects.get(pk=manager.pk)
    steps = [
        ({pk: 100 for pk in divisions}, {pk: 100 for pk in big_divisions}),  # create
        ({pk: 90 for pk in divisions}, {pk: 90 for pk in big_divisions}),  # change
        ({pk: "" for pk in divisions}, {pk: "" for pk in big_divisions}),  # remove
    ]
    for few, many in steps:
        assert _save_queries(small, few, manager) == _save_queries(big, many, manager)
    # 12 created, 12 changed, 12 removed: 36 audit entries for the big one
    assert TargetEvent.objects.filter(parent=big).count() == 36
    assert not Target.objects.filter(allocated_from=big).exists()


def test_removing_an_allocation_removes_the_allocations_made_from_it(setup, django_user_model):
    t, a = setup["target"], setup["a"]
    target_allocations_save(target=t, values={a.pk: 500}, user=setup["manager"])
    child = Target.objects.get(allocated_from=t, region=a)
    grandchild = Target.objects.create(
        plan=child.plan, region=setup["zone"], indicator=child.indicator, due_year=2099,
        due_quarter=4, value=100, allocated_from=child,
    )  # fmt: skip
    target_allocations_save(target=t, values={a.pk: None}, user=setup["manager"])
    assert not Target.objects.filter(pk__in=[child.pk, grandchild.pk]).exists()
    removed = TargetEvent.objects.get(parent=t, action=TargetEvent.Action.DELETE)
    assert (removed.region_id, removed.old_value, removed.target_id) == (a.pk, 500, None)
