"""Directory sign-in end to end in headless Chromium, against real servers started by the
tests: Debian's OpenLDAP (slapd) and an OpenID Connect provider (django-oauth-toolkit, in its
own process). Each person signs in twice with a group change between: the roles follow the
directory. Skipped with the reason where a server cannot run (CI requires them)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from accounts.directory import group_mapping_add
from regions.models import Membership
from tests.accounts.directory_fixtures import _server_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Role = Membership.Role


def roles(username):
    user = get_user_model().objects.get(username=username)
    return sorted(user.memberships.values_list("role", "region__code"))


def sign_out(page):
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_url("**/accounts/login/")


@pytest.fixture(scope="module")
def oidc_provider(live_server):
    from tests.accounts.directory_servers import OIDCProvider

    redirect = f"{live_server.url}/accounts/oidc/callback/"
    server = _server_or_skip(lambda: OIDCProvider(redirect_uri=redirect))
    yield server
    server.stop()


@pytest.fixture
def oidc_settings(settings, oidc_provider):
    from accounts import directory_oidc

    directory_oidc._discovered.clear()
    settings.AUTHENTICATION_BACKENDS = [
        "certtrack.testing.RequestOptionalAxesBackend",
        "accounts.directory_oidc.OIDCBackend",
        "accounts.backends.ModelBackend",
    ]
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = oidc_provider.CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = oidc_provider.CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = oidc_provider.discovery_url
    yield settings
    directory_oidc._discovered.clear()


def test_ldap_sign_in_twice_with_a_group_change_between(
    page, live_server, tree, ldap_settings, slapd
):
    dn = slapd.add_person("sun7", "dir-pass-777", cn="Sun Qi", display_name="孙七", mail="s@gs.gov")
    reviewers = slapd.set_group("e2e-reviewers", [dn])
    leaders = slapd.set_group("e2e-leaders", [])
    group_mapping_add(actor=None, group=reviewers, region=tree["a"], role=Role.REVIEWER)
    group_mapping_add(actor=None, group=leaders, region=tree["province"], role=Role.LEADER)

    def sign_in():
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "sun7")
        page.fill("#id_password", "dir-pass-777")
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{live_server.url}/home/")

    sign_in()
    assert "孙七" in page.locator(".user-name").inner_text()  # the directory's displayName
    assert page.locator("nav.main-nav a[href='/review/']").count() == 1
    assert roles("sun7") == [("reviewer", "990100")]
    sign_out(page)

    slapd.set_group("e2e-reviewers", [])
    slapd.set_group("e2e-leaders", [dn])
    sign_in()
    assert roles("sun7") == [("leader", "990000")]
    assert page.locator("nav.main-nav a[href='/review/']").count() == 0


def test_oidc_sign_in_twice_with_a_group_change_between(
    page, live_server, tree, oidc_provider, oidc_settings
):
    oidc_provider.person(
        "zhou8", "op-pass-888", name="周八", email="zhou8@gs.gov", groups=["/甘肃/审核"]
    )
    group_mapping_add(actor=None, group="/甘肃/审核", region=tree["a"], role=Role.REVIEWER)
    group_mapping_add(actor=None, group="/甘肃/领导", region=tree["province"], role=Role.LEADER)

    page.goto(f"{live_server.url}/accounts/login/")
    page.click("text=统一身份认证登录")
    page.wait_for_selector("#op-username")  # the provider's own sign-in page
    page.fill("#op-username", "zhou8")
    page.fill("#op-password", "op-pass-888")
    page.click("#op-submit")
    page.wait_for_url(f"{live_server.url}/home/")
    assert "周八" in page.locator(".user-name").inner_text()
    assert roles("zhou8") == [("reviewer", "990100")]
    user = get_user_model().objects.get(username="zhou8")
    assert user.email == "zhou8@gs.gov" and user.profile.source == "oidc"
    sign_out(page)

    # The platform moves the person to the leaders; still signed in there, so no form.
    oidc_provider.person(
        "zhou8", "op-pass-888", name="周八", email="zhou8@gs.gov", groups=["/甘肃/领导"]
    )
    page.click("text=统一身份认证登录")
    page.wait_for_url(f"{live_server.url}/home/")
    assert roles("zhou8") == [("leader", "990000")]


def test_oidc_person_without_a_mapped_group_lands_on_whom_to_ask(
    page, live_server, tree, oidc_provider, oidc_settings
):
    oidc_provider.person("wu9", "op-pass-999", name="吴九", email="wu9@gs.gov", groups=["other"])
    page.goto(f"{live_server.url}/accounts/oidc/start/")
    page.fill("#op-username", "wu9")
    page.fill("#op-password", "op-pass-999")
    page.click("#op-submit")
    page.wait_for_url(f"{live_server.url}/accounts/no-role/")
    assert "尚无角色" in page.locator("h1").inner_text()
    assert "wu9" in page.content()
