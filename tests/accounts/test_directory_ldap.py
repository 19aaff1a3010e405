"""LDAP sign-in against a real OpenLDAP server (Debian's slapd, started by the tests): name and
mail from the directory, roles from the groups' mappings at every sign-in, and local accounts
untouched. Skipped with the reason where slapd cannot run (CI installs it)."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import authenticate

from accounts.directory import group_mapping_add
from accounts.models import AccountEvent, Profile
from regions.models import Membership
from tests.conftest import PASSWORD, make_user

Role = Membership.Role
_n = itertools.count()


@pytest.fixture
def person(slapd):
    """A new directory person per test (the server lives for the module)."""
    uid = f"li{next(_n)}"
    dn = slapd.add_person(
        uid, "dir-pass-123", cn="Li Si", display_name="李四", mail=f"{uid}@gs.gov"
    )
    return uid, dn


def roles(user):
    return sorted(user.memberships.values_list("role", "region__code"))


def test_ldap_sign_in_makes_the_account_with_name_mail_and_mapped_roles(
    ldap_settings, slapd, person, tree, rf
):
    uid, dn = person
    group = slapd.set_group(f"reviewers-{uid}", [dn])
    group_mapping_add(actor=None, group=group.upper(), region=tree["a"], role=Role.REVIEWER)
    user = authenticate(rf.get("/"), username=uid, password="dir-pass-123")
    assert user is not None and user.username == uid
    assert (user.first_name, user.email) == ("李四", f"{uid}@gs.gov")
    assert Profile.objects.get(user=user).source == Profile.Source.LDAP
    assert roles(user) == [("reviewer", "990100")]
    assert not user.has_usable_password()


def test_group_change_between_two_sign_ins_changes_the_roles(
    ldap_settings, slapd, person, tree, rf
):
    uid, dn = person
    reviewers = slapd.set_group(f"rev-{uid}", [dn])
    leaders = slapd.set_group(f"lead-{uid}", [])
    group_mapping_add(actor=None, group=reviewers, region=tree["a"], role=Role.REVIEWER)
    group_mapping_add(actor=None, group=leaders, region=tree["province"], role=Role.LEADER)
    user = authenticate(rf.get("/"), username=uid, password="dir-pass-123")
    assert roles(user) == [("reviewer", "990100")]
    # The directory moves the person from the reviewers to the leaders.
    slapd.set_group(f"rev-{uid}", [])
    slapd.set_group(f"lead-{uid}", [dn])
    user = authenticate(rf.get("/"), username=uid, password="dir-pass-123")
    assert roles(user) == [("leader", "990000")]
    event = AccountEvent.objects.filter(account=user, action="directory").order_by("-id").first()
    assert sorted(event.changes) == [["role", "", "leader@990000"], ["role", "reviewer@990100", ""]]


def test_wrong_directory_password_signs_nobody_in(ldap_settings, person, rf, db):
    uid, _dn = person
    assert authenticate(rf.get("/"), username=uid, password="wrong") is None


def test_local_accounts_keep_working_and_are_never_taken_over(
    ldap_settings, slapd, tree, rf, django_user_model
):
    local = make_user(django_user_model, "wang5", (Role.OFFICIAL, tree["a"]))
    slapd.add_person("wang5", "dir-pass-999", cn="Other Wang")
    # The directory's password does not open the local account …
    assert authenticate(rf.get("/"), username="wang5", password="dir-pass-999") is None
    # … its own password does, and nothing about it changed.
    assert authenticate(rf.get("/"), username="wang5", password=PASSWORD) == local
    local.refresh_from_db()
    assert local.first_name == "" and roles(local) == [("official", "990100")]
