"""Directory group mappings (the page and manage.py map_directory_group), the sign-in sync that
applies them, and the page a person without any role lands on."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accounts.directory import DirectoryConflict, directory_account, directory_sync
from accounts.models import DirectoryGroupMapping, Profile
from regions.models import Membership
from tests.conftest import make_user

Role = Membership.Role


def test_command_maps_lists_and_removes(tree, capsys):
    call_command("map_directory_group", "cn=rev,ou=groups", "990100", "reviewer")
    call_command("map_directory_group", "cn=rev,ou=groups", "990100", "reviewer")  # idempotent
    assert list(DirectoryGroupMapping.objects.values_list("group", "region__code", "role")) == [
        ("cn=rev,ou=groups", "990100", "reviewer")
    ]
    call_command("map_directory_group", "--list")
    assert "cn=rev,ou=groups\t990100\treviewer" in capsys.readouterr().out
    call_command("map_directory_group", "cn=rev,ou=groups", "990100", "reviewer", "--remove")
    assert not DirectoryGroupMapping.objects.exists()


@pytest.mark.parametrize(
    "args", [("g", "123456", "reviewer"), ("g", "990100", "boss"), ("g", "990100")]
)
def test_command_refuses_bad_arguments(tree, args):
    with pytest.raises(CommandError):
        call_command("map_directory_group", *args)
    assert not DirectoryGroupMapping.objects.exists()


def test_sync_sets_roles_to_exactly_the_mapped_ones(tree, django_user_model):
    DirectoryGroupMapping.objects.create(group="rev", region=tree["a"], role=Role.REVIEWER)
    DirectoryGroupMapping.objects.create(group="lead", region=tree["province"], role=Role.LEADER)
    user = directory_account(username="d1", source="oidc", directory_id="iss|1")
    directory_sync(
        user=user, source="oidc", directory_id="iss|1", name="赵六", email="z@x", groups=["rev"]
    )
    assert list(user.memberships.values_list("role", flat=True)) == ["reviewer"]
    directory_sync(
        user=user,
        source="oidc",
        directory_id="iss|1",
        name="赵六",
        email="z@x",
        groups=["lead", "x"],
    )
    assert list(user.memberships.values_list("role", flat=True)) == ["leader"]
    directory_sync(user=user, source="oidc", directory_id="iss|1", name="", email="", groups=[])
    assert not user.memberships.exists()
    user.refresh_from_db()
    assert user.first_name == "赵六"  # a directory without a name keeps the last one


def test_directory_never_takes_over_a_local_account_or_superuser(tree, django_user_model):
    make_user(django_user_model, "local1")
    make_user(django_user_model, "root1", superuser=True)
    for name in ("local1", "root1", "LOCAL1"):
        with pytest.raises(DirectoryConflict):
            directory_account(username=name, source="oidc", directory_id=f"iss|{name}")


def test_mapping_page_is_scoped_like_granting(accounts, login, tree):
    client = login(accounts["ua_a"])
    ok = client.post(
        "/users/directory-groups/", {"group": "g-a", "region": tree["a"].pk, "role": "official"}
    )
    assert ok.status_code == 302
    refused = [
        {"group": "g-b", "region": tree["b"].pk, "role": "official"},  # a sibling
        {"group": "g-ua", "region": tree["a"].pk, "role": "useradmin"},  # own level
    ]
    for data in refused:
        assert client.post("/users/directory-groups/", data).status_code == 400
    assert list(DirectoryGroupMapping.objects.values_list("group", flat=True)) == ["g-a"]
    # A province-level mapping is neither shown to nor removable by 990100's administrator.
    above = DirectoryGroupMapping.objects.create(group="p", region=tree["province"], role="leader")
    page = client.get("/users/directory-groups/").content.decode()
    assert "g-a" in page and ">p<" not in page
    assert client.post(f"/users/directory-groups/{above.pk}/remove/").status_code == 404
    assert DirectoryGroupMapping.objects.filter(pk=above.pk).exists()


def test_a_person_without_a_role_lands_on_whom_to_ask(accounts, client, tree):
    ua = accounts["ua_prov"]
    ua.first_name, ua.email = "省用户管理员", "ua@gs.gov"
    ua.save()
    user = directory_account(username="d2", source="oidc", directory_id="iss|2")
    user.set_password("a-long-password-1")
    user.save()
    response = client.post(
        "/accounts/login/", {"username": "d2", "password": "a-long-password-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/accounts/no-role/"
    page = response.content.decode()
    assert "省用户管理员" in page and "ua@gs.gov" in page
    assert Profile.objects.get(user=user).source == "oidc"


def test_people_with_a_role_land_on_the_home_page(accounts, client):
    response = client.post(
        "/accounts/login/", {"username": "off_a", "password": "test-password-123"}
    )
    assert response["Location"] == "/home/"


def test_a_directory_that_does_not_answer_leaves_local_sign_in_working(
    settings, rf, django_user_model, tree
):
    from django.contrib.auth import authenticate

    from tests.accounts.directory_servers import free_port
    from tests.conftest import PASSWORD

    settings.AUTHENTICATION_BACKENDS = [
        "certtrack.testing.RequestOptionalAxesBackend",
        "accounts.directory_ldap.LDAPBackend",
        "accounts.directory_oidc.OIDCBackend",
        "accounts.backends.ModelBackend",
    ]
    settings.AUTH_LDAP_SERVER_URI = f"ldap://127.0.0.1:{free_port()}/"  # nothing listens
    settings.OIDC_OP_DISCOVERY_URL = f"http://127.0.0.1:{free_port()}/.well-known/x"
    settings.OIDC_RP_CLIENT_ID = "x"
    local = make_user(django_user_model, "local2", (Role.OFFICIAL, tree["a"]))
    # A code and state on the sign-in request are no OpenID Connect sign-in (no provider asked).
    request = rf.post("/accounts/login/?code=c&state=s")
    assert authenticate(request, username="local2", password=PASSWORD) == local
