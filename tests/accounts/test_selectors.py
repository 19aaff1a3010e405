"""Scope rules of user administration (accounts.selectors): who sees and may change whom, and
which roles may be granted where. Every rule of issue 28.2 has a test here."""

from __future__ import annotations

import pytest
from django.http import Http404

from accounts.models import Profile
from accounts.selectors import account_for, accounts_managed_by, can_grant
from regions.models import Membership
from tasks.models import Unit, UnitMembership

Role = Membership.Role


def names(qs):
    return sorted(u.username for u in qs)


def test_province_user_admin_manages_the_accounts_of_its_subtree_only(accounts):
    # off_a, off_b, rev_prov lie in 990000's subtree; ua_a is a user administrator strictly
    # below (990100). Not: itself, its peer ua_prov2 (same level), rev_other (other province),
    # ana_both (also in 880000), root (superuser), nobody (placed nowhere).
    assert names(accounts_managed_by(accounts["ua_prov"])) == ["off_a", "off_b", "rev_prov", "ua_a"]


def test_prefecture_user_admin_does_not_reach_up_or_sideways(accounts):
    # 990100's administrator: off_a only; rev_prov holds a role at the province (above),
    # off_b is in 990200 (a sibling).
    assert names(accounts_managed_by(accounts["ua_a"])) == ["off_a"]


def test_superuser_is_never_managed_even_with_a_role_in_scope(accounts):
    assert "root" not in names(accounts_managed_by(accounts["ua_a"]))
    with pytest.raises(Http404):
        account_for(accounts["ua_a"], accounts["root"].pk)


def test_account_outside_scope_is_not_found(accounts):
    with pytest.raises(Http404):
        account_for(accounts["ua_prov"], accounts["rev_other"].pk)
    with pytest.raises(Http404):
        account_for(accounts["ua_prov"], accounts["ana_both"].pk)  # partly outside
    assert account_for(accounts["ua_prov"], accounts["off_a"].pk) == accounts["off_a"]


def test_peer_and_higher_user_administrators_are_out_of_scope(accounts):
    with pytest.raises(Http404):
        account_for(accounts["ua_prov"], accounts["ua_prov2"].pk)
    with pytest.raises(Http404):
        account_for(accounts["ua_a"], accounts["ua_prov"].pk)
    with pytest.raises(Http404):
        account_for(accounts["ua_prov"], accounts["ua_prov"].pk)  # one's own account


def test_superuser_manages_everyone(accounts):
    everyone = names(accounts_managed_by(accounts["root"]))
    assert {"rev_other", "ana_both", "ua_prov", "nobody"} <= set(everyone)


def test_people_without_the_role_manage_nobody(accounts):
    assert names(accounts_managed_by(accounts["off_a"])) == []
    assert names(accounts_managed_by(accounts["rev_prov"])) == []


def test_profile_region_places_an_account_without_roles(accounts, tree):
    Profile.objects.create(user=accounts["nobody"], region=tree["b1"])
    assert "nobody" in names(accounts_managed_by(accounts["ua_prov"]))
    Profile.objects.filter(user=accounts["nobody"]).update(region=tree["other_city"])
    assert "nobody" not in names(accounts_managed_by(accounts["ua_prov"]))


def test_unit_of_another_province_puts_an_account_out_of_scope(accounts, tree):
    unit = Unit.objects.create(
        code="other-gov", name_zh="别省政府", kind=Unit.Kind.GOVERNMENT, region=tree["other"]
    )
    UnitMembership.objects.create(user=accounts["off_a"], unit=unit)
    assert "off_a" not in names(accounts_managed_by(accounts["ua_prov"]))


def test_roles_may_be_granted_only_inside_the_subtree(accounts, tree):
    ua = accounts["ua_a"]
    assert can_grant(ua, role=Role.OFFICIAL, region=tree["a"])
    assert can_grant(ua, role=Role.REVIEWER, region=tree["zone"])
    assert not can_grant(ua, role=Role.OFFICIAL, region=tree["b"])  # sibling
    assert not can_grant(ua, role=Role.LEADER, region=tree["province"])  # above
    assert not can_grant(ua, role=Role.LEADER, region=tree["other"])


def test_user_administrator_only_strictly_below_own_level(accounts, tree):
    assert not can_grant(accounts["ua_prov"], role=Role.USER_ADMIN, region=tree["province"])
    assert can_grant(accounts["ua_prov"], role=Role.USER_ADMIN, region=tree["a"])
    assert not can_grant(accounts["ua_a"], role=Role.USER_ADMIN, region=tree["a"])
    assert not can_grant(accounts["ua_a"], role=Role.USER_ADMIN, region=tree["province"])
    assert can_grant(accounts["ua_a"], role=Role.USER_ADMIN, region=tree["zone"])
    assert can_grant(accounts["root"], role=Role.USER_ADMIN, region=tree["province"])
