"""Every role has a home (issue 26.4): the target manager's targets waiting to be allocated,
a unit member without a region role on its unit's tasks, the quarterly deadline only for those
with quarterly duties."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from indicators.models import Plan
from regions.models import Membership
from tasks.models import Unit, UnitMembership
from tests.conftest import PASSWORD, make_plan, make_target, make_user
from work.selectors.to_allocate import targets_to_allocate

Role = Membership.Role
HOME = reverse("work:home")
TODAY = dt.date(2026, 12, 7)  # 2026Q4: a target due 2026Q4 may still be allocated


@pytest.fixture
def allocations(tree, certs, orgs, django_user_model):
    """The province's plan in force: certificates due 2027Q4 (waiting), organizations due
    2026Q4 (allocated to A and B: C still waiting) and certificates due 2026Q3 (passed);
    an invalidated plan's target; a target of C (no divisions)."""
    t = tree
    plan = make_plan(t["province"])
    waiting = make_target(plan, t["province"], certs, "2027Q4", 1000)
    partly = make_target(plan, t["province"], orgs, "2026Q4", 500)
    for region, value in ((t["a"], 200), (t["b"], 200), (t["zone"], 10)):
        share = make_target(plan, region, orgs, "2026Q4", value)
        share.allocated_from = partly
        share.save()
    make_target(plan, t["province"], certs, "2026Q3", 900)  # due passed: no longer open
    make_target(plan, t["c"], certs, "2027Q4", 50)  # C has no divisions: nothing to allocate
    old = make_plan(
        t["province"], title="旧方案", status=Plan.Status.INVALIDATED, invalidated_by="某文件"
    )
    make_target(old, t["province"], certs, "2028Q4", 2000)
    manager = make_user(django_user_model, "mgr", (Role.TARGET_MANAGER, t["province"]))
    return dict(waiting=waiting, partly=partly, manager=manager)


def test_target_manager_sees_the_targets_in_force_waiting_to_be_allocated(allocations):
    rows, total = targets_to_allocate(allocations["manager"], today=TODAY)
    # divisions of the province: A, B, C (the zone under A never counts); organizations has
    # A and B (2 of 3), certificates 2027Q4 none (0 of 3); earliest due first.
    assert [(r.target, r.allocated, r.divisions) for r in rows] == [
        (allocations["partly"], 2, 3),
        (allocations["waiting"], 0, 3),
    ]
    assert total == 2
    rows, total = targets_to_allocate(allocations["manager"], today=TODAY, limit=1)
    assert len(rows) == 1 and total == 2  # bounded: the first and how many in all


def test_target_manager_home_links_each_allocation_page(client, allocations):
    client.login(username="mgr", password=PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get(HOME).content.decode()
    assert "Targets waiting to be allocated" in page
    for target in (allocations["partly"], allocations["waiting"]):
        assert reverse("indicators:target_allocation", args=[target.pk]) in page
    assert "2 of 3 divisions allocated" in page and "0 of 3 divisions allocated" in page
    assert "Reporting quarter" not in page  # no quarterly duty: no deadline


def test_a_fully_allocated_target_leaves_the_list(allocations, tree, orgs):
    share = make_target(allocations["partly"].plan, tree["c"], orgs, "2026Q4", 100)
    share.allocated_from = allocations["partly"]
    share.save()
    rows, total = targets_to_allocate(allocations["manager"], today=TODAY)
    assert [r.target for r in rows] == [allocations["waiting"]] and total == 1


def test_others_have_no_allocation_to_do(allocations, tree, django_user_model):
    leader = make_user(django_user_model, "lead", (Role.LEADER, tree["province"]))
    other = make_user(django_user_model, "mgr2", (Role.TARGET_MANAGER, tree["other"]))
    assert targets_to_allocate(leader, today=TODAY) == ([], 0)
    assert targets_to_allocate(other, today=TODAY) == ([], 0)


def _unit(code, region):
    return Unit.objects.create(code=code, name_zh=f"单位{code}", kind="department", region=region)


def test_a_unit_member_without_a_region_role_lands_on_its_units_tasks(
    client, tree, django_user_model
):
    unit = _unit("u1", tree["province"])
    user = make_user(django_user_model, "member")
    UnitMembership.objects.create(user=user, unit=unit)
    client.login(username="member", password=PASSWORD)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:unit", args=[unit.pk])
    second = _unit("u2", tree["province"])
    UnitMembership.objects.create(user=user, unit=second)
    page = client.get(HOME).content.decode()  # two units: both listed, no "no role" dead end
    assert reverse("tasks:unit", args=[unit.pk]) in page
    assert reverse("tasks:unit", args=[second.pk]) in page
    assert "尚未在任何地区担任角色" not in page


def test_the_quarterly_deadline_shows_only_to_those_with_quarterly_duties(
    client, tree, certs, orgs, django_user_model
):
    make_user(django_user_model, "off", (Role.OFFICIAL, tree["a"]))
    make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"]))
    make_user(django_user_model, "lead", (Role.LEADER, tree["province"]))
    make_user(django_user_model, "ana", (Role.ANALYST, tree["province"]))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for username, shown in (("off", True), ("rev", True), ("lead", False), ("ana", False)):
        client.logout()
        client.login(username=username, password=PASSWORD)
        assert ("Reporting quarter" in client.get(HOME).content.decode()) is shown, username
