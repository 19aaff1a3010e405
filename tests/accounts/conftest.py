"""Accounts of the test tree (tests/conftest.py ``tree``) for the user-administration tests.

990000 省 (useradmin ``ua_prov``)
├── 990100 A (useradmin ``ua_a``; official ``off_a``)
├── 990200 B (official ``off_b``)
880000 别省 (reviewer ``rev_other``); ``ana_both`` analyst of 990000 and 880000
"""

from __future__ import annotations

import pytest

from regions.models import Membership
from tests.conftest import PASSWORD, make_user

Role = Membership.Role


@pytest.fixture
def accounts(tree, django_user_model):
    t = tree
    users = dict(
        ua_prov=make_user(django_user_model, "ua_prov", (Role.USER_ADMIN, t["province"])),
        ua_prov2=make_user(django_user_model, "ua_prov2", (Role.USER_ADMIN, t["province"])),
        ua_a=make_user(django_user_model, "ua_a", (Role.USER_ADMIN, t["a"])),
        off_a=make_user(django_user_model, "off_a", (Role.OFFICIAL, t["a"])),
        off_b=make_user(django_user_model, "off_b", (Role.OFFICIAL, t["b"])),
        rev_prov=make_user(django_user_model, "rev_prov", (Role.REVIEWER, t["province"])),
        rev_other=make_user(django_user_model, "rev_other", (Role.REVIEWER, t["other"])),
        ana_both=make_user(
            django_user_model,
            "ana_both",
            (Role.ANALYST, t["province"]),
            (Role.ANALYST, t["other"]),
        ),
        root=make_user(django_user_model, "root", superuser=True),
        nobody=make_user(django_user_model, "nobody"),
    )
    # A superuser who also holds a role in the province: still untouchable.
    Membership.objects.create(user=users["root"], region=t["a"], role=Role.LEADER)
    return users


@pytest.fixture
def login(client):
    def _login(user, lang="zh-hans"):
        client.logout()
        assert client.login(username=user.username, password=PASSWORD)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
        return client

    return _login
