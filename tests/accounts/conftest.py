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


def _server_or_skip(factory):
    """Start a directory server; skip (fail under CERTTRACK_REQUIRE_DIRECTORY=1, as CI sets)
    with the reason where it cannot run here."""
    import os

    from tests.accounts.directory_servers import ServerUnavailable

    try:
        return factory()
    except ServerUnavailable as exc:
        if os.environ.get("CERTTRACK_REQUIRE_DIRECTORY") == "1":
            pytest.fail(f"directory server required here: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def slapd():
    from tests.accounts.directory_servers import Slapd

    server = _server_or_skip(Slapd)
    yield server
    server.stop()


@pytest.fixture
def ldap_settings(settings, slapd):
    """CertTrack's LDAP settings (certtrack/settings.py) pointed at the test slapd."""
    import ldap
    from django_auth_ldap.config import GroupOfNamesType, LDAPSearch

    from tests.accounts.directory_servers import GROUPS, MANAGER, MANAGER_PASSWORD, PEOPLE

    settings.AUTHENTICATION_BACKENDS = [
        "certtrack.testing.RequestOptionalAxesBackend",
        "accounts.directory_ldap.LDAPBackend",
        "accounts.backends.ModelBackend",
    ]
    settings.AUTH_LDAP_SERVER_URI = slapd.uri
    settings.AUTH_LDAP_BIND_DN = MANAGER
    settings.AUTH_LDAP_BIND_PASSWORD = MANAGER_PASSWORD
    settings.AUTH_LDAP_USER_SEARCH = LDAPSearch(PEOPLE, ldap.SCOPE_SUBTREE, "(uid=%(user)s)")
    settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch(GROUPS, ldap.SCOPE_SUBTREE, "(objectClass=*)")
    settings.AUTH_LDAP_GROUP_TYPE = GroupOfNamesType()
    settings.AUTH_LDAP_USER_ATTR_MAP = {}
    settings.AUTH_LDAP_ALWAYS_UPDATE_USER = False
    settings.AUTH_LDAP_CACHE_TIMEOUT = 0
    return settings
