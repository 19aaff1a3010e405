"""Writes of user administration: every change audited, scope enforced by the services too,
nothing deleted, and the one-time set-password link (mailed or handed over; never a password)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.models import AccountEvent, Profile
from accounts.services import (
    AccountData,
    account_create,
    account_set_active,
    account_update,
    membership_grant,
    membership_revoke,
    password_link_make,
)
from regions.models import Membership

Role = Membership.Role
A = AccountEvent.Action


def data(region, **kw):
    return AccountData(
        **{"username": "zhang3", "name": "张三", "region": region, "roles": (Role.OFFICIAL,)} | kw
    )


def test_create_makes_account_profile_roles_and_one_event(accounts, tree):
    ua = accounts["ua_prov"]
    user = account_create(
        actor=ua, data=data(tree["a"], name_en="Zhang San", email="z@example.org", phone="123")
    )
    assert user.first_name == "张三" and not user.has_usable_password()
    assert Profile.objects.get(user=user).name_en == "Zhang San"
    assert list(user.memberships.values_list("role", "region__code")) == [("official", "990100")]
    (event,) = AccountEvent.objects.filter(account=user)
    assert event.actor == ua and event.action == A.CREATED
    assert ["role", "", "official@990100"] in event.changes
    assert ["name", "", "张三"] in event.changes


@pytest.mark.parametrize(
    "who,region,roles",
    [
        ("ua_a", "b", (Role.OFFICIAL,)),  # a sibling's region
        ("ua_a", "province", (Role.LEADER,)),  # above
        ("ua_prov", "province", (Role.USER_ADMIN,)),  # user administrator at own level
        ("ua_a", "a", (Role.USER_ADMIN,)),
        ("ua_prov", "other", ()),  # another province, no role
    ],
)
def test_create_outside_scope_is_refused_and_writes_nothing(accounts, tree, who, region, roles):
    with pytest.raises(ValidationError):
        account_create(actor=accounts[who], data=data(tree[region], roles=roles))
    assert not get_user_model().objects.filter(username="zhang3").exists()
    assert not AccountEvent.objects.exists()


def test_create_reports_every_problem_at_once(accounts, tree):
    with pytest.raises(ValidationError) as exc:
        account_create(
            actor=accounts["ua_a"],
            data=data(tree["b"], username="off_a", name=" ", email="not-mail"),
        )
    fields = set(exc.value.message_dict)
    assert {"username", "name", "email", "roles"} <= fields


def test_update_records_what_changed(accounts):
    off = accounts["off_a"]
    account_update(
        actor=accounts["ua_a"],
        account_id=off.pk,
        name="李四",
        name_en="Li Si",
        email="",
        phone="0931",
    )
    off.refresh_from_db()
    assert off.first_name == "李四" and off.profile.name_en == "Li Si"
    (event,) = AccountEvent.objects.filter(account=off, action=A.UPDATED)
    assert sorted(event.changes) == [
        ["name", "", "李四"],
        ["name_en", "", "Li Si"],
        ["phone", "", "0931"],
    ]
    # Saving the same again records nothing.
    account_update(
        actor=accounts["ua_a"],
        account_id=off.pk,
        name="李四",
        name_en="Li Si",
        email="",
        phone="0931",
    )
    assert AccountEvent.objects.filter(account=off).count() == 1


def test_deactivate_and_reactivate_keep_the_account(accounts):
    off = accounts["off_a"]
    account_set_active(actor=accounts["ua_a"], account_id=off.pk, active=False)
    off.refresh_from_db()
    assert not off.is_active
    account_set_active(actor=accounts["ua_a"], account_id=off.pk, active=True)
    off.refresh_from_db()
    assert off.is_active
    actions = list(
        AccountEvent.objects.filter(account=off).order_by("id").values_list("action", flat=True)
    )
    assert actions == [A.DEACTIVATED, A.REACTIVATED]


def test_services_do_not_touch_accounts_outside_scope(accounts, tree):
    for account in ("root", "rev_other", "ua_prov2", "rev_prov"):
        with pytest.raises(Http404):
            account_set_active(
                actor=accounts["ua_a"], account_id=accounts[account].pk, active=False
            )
        with pytest.raises(Http404):
            membership_grant(
                actor=accounts["ua_a"],
                account_id=accounts[account].pk,
                role=Role.LEADER,
                region=tree["a"],
            )
    assert get_user_model().objects.filter(is_active=False).count() == 0


def test_grant_and_revoke_are_audited_and_scoped(accounts, tree):
    off = accounts["off_a"]
    ua = accounts["ua_prov"]
    m = membership_grant(actor=ua, account_id=off.pk, role=Role.USER_ADMIN, region=tree["a"])
    with pytest.raises(ValidationError):
        membership_grant(actor=ua, account_id=off.pk, role=Role.USER_ADMIN, region=tree["province"])
    with pytest.raises(ValidationError):
        membership_grant(actor=ua, account_id=off.pk, role=Role.LEADER, region=tree["other"])
    membership_revoke(actor=ua, account_id=off.pk, membership_id=m.pk)
    assert not Membership.objects.filter(pk=m.pk).exists()
    changes = list(
        AccountEvent.objects.filter(account=off).order_by("id").values_list("action", "changes")
    )
    assert changes == [
        (A.ROLE_GRANTED, [["role", "", "useradmin@990100"]]),
        (A.ROLE_REVOKED, [["role", "useradmin@990100", ""]]),
    ]


def test_password_link_is_handed_over_without_mail(accounts, settings, mailoutbox):
    settings.EMAIL_HOST = ""
    link = password_link_make(actor=accounts["ua_a"], account_id=accounts["off_a"].pk)
    assert not link.mailed and "/accounts/set-password/" in link.url
    assert mailoutbox == []
    assert (
        AccountEvent.objects.filter(account=accounts["off_a"], action=A.PASSWORD_LINK).count() == 1
    )


def test_password_link_is_mailed_where_mail_is_configured(accounts, settings, mailoutbox):
    settings.EMAIL_HOST = "mail.example.org"
    off = accounts["off_a"]
    off.email = "off@example.org"
    off.first_name = "王五"
    off.save()
    link = password_link_make(actor=accounts["ua_a"], account_id=off.pk)
    assert link.mailed and link.url == ""
    (mail,) = mailoutbox
    assert mail.to == ["off@example.org"]
    assert "王五" in mail.body and "/accounts/set-password/" in mail.body
    assert "password:" not in mail.body.lower() and "密码：" not in mail.body


def test_the_link_sets_a_password_once(accounts, client, settings):
    settings.EMAIL_HOST = ""
    off = accounts["off_a"]
    url = password_link_make(actor=accounts["ua_a"], account_id=off.pk).url
    path = re.sub(r"^https?://[^/]+", "", url)
    response = client.get(path, follow=True)
    assert response.status_code == 200 and response.context["validlink"]
    form_url = response.redirect_chain[-1][0]
    new = "a-new-long-password-42"
    done = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    off.refresh_from_db()
    assert off.check_password(new)
    again = client.get(path, follow=True)
    assert not again.context["validlink"]


def test_no_link_for_a_deactivated_account(accounts):
    off = accounts["off_a"]
    account_set_active(actor=accounts["ua_a"], account_id=off.pk, active=False)
    with pytest.raises(ValidationError):
        password_link_make(actor=accounts["ua_a"], account_id=off.pk)
