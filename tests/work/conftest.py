"""People of the small test tree for the to-do, notification and reminder tests."""

from __future__ import annotations

import pytest

from regions.models import Membership
from tests.conftest import PASSWORD, confirm_address, make_user

Role = Membership.Role


@pytest.fixture
def people(tree, certs, orgs, django_user_model):
    users = dict(
        official=make_user(django_user_model, "off", (Role.OFFICIAL, tree["a"])),
        official_b=make_user(django_user_model, "off_b", (Role.OFFICIAL, tree["b"])),
        reviewer=make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"])),
        leader=make_user(django_user_model, "lead", (Role.LEADER, tree["province"])),
        analyst=make_user(django_user_model, "ana", (Role.ANALYST, tree["province"])),
        other_reviewer=make_user(django_user_model, "rev2", (Role.REVIEWER, tree["other"])),
    )
    for name, user in users.items():
        user.email = f"{user.username}@example.org"
        user.first_name = name
        user.save()
        confirm_address(user)  # proven, as the demo's and those before issue 24 are
    return users


@pytest.fixture
def as_user(client, people):
    """Sign in as one of ``people``; pages in the language asked (English by default)."""

    def _as(name, lang="en"):
        client.logout()
        assert client.login(username=people[name].username, password=PASSWORD)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
        return client

    return _as


def submit(user, region, period, certs=100, orgs=40):
    """Enter and submit both indicators as ``user`` (through the service)."""
    from indicators.services.counts import counts_save

    return counts_save(
        user=user,
        region=region,
        period=period,
        values={"certificates": certs, "organizations": orgs},
        expected_versions={"certificates": None, "organizations": None},
        submit=True,
    )


def draft(user, region, period, certs=100, orgs=40):
    from indicators.services.counts import counts_save

    return counts_save(
        user=user,
        region=region,
        period=period,
        values={"certificates": certs, "organizations": orgs},
        expected_versions={"certificates": None, "organizations": None},
    )
