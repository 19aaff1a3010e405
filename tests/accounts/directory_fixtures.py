"""Fixtures of the real directory servers (tests/accounts/directory_servers.py), for the
directory tests here and in tests/browser/ (loaded by tests/conftest.py's pytest_plugins)."""

from __future__ import annotations

import pytest


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
