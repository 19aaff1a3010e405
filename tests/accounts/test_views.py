"""The user pages (/users/): who gets them, what each shows, what a POST changes, and how many
queries the list costs."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from accounts.models import AccountEvent, Profile
from regions.models import Membership

Role = Membership.Role


def test_anonymous_is_sent_to_sign_in(client, accounts):
    response = client.get("/users/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_people_who_administer_no_users_get_403(accounts, login):
    client = login(accounts["rev_prov"])
    for path in ("/users/", "/users/new/", f"/users/{accounts['off_a'].pk}/", "/users/import/"):
        assert client.get(path).status_code == 403, path


def test_list_shows_only_the_accounts_in_scope(accounts, login):
    page = login(accounts["ua_a"]).get("/users/").content.decode()
    assert "off_a" in page
    for other in ("off_b", "rev_prov", "rev_other", "ana_both", "ua_prov2", ">root<"):
        assert other not in page, other


def test_list_filters_by_role_region_active_and_search(accounts, login, tree):
    client = login(accounts["ua_prov"])
    get_user_model().objects.filter(pk=accounts["off_b"].pk).update(is_active=False)

    def shown(query):
        rows = client.get("/users/?" + query).context["table"].rows
        return sorted(r.record.username for r in rows)

    assert shown(f"role={Role.OFFICIAL}") == ["off_a", "off_b"]
    assert shown(f"region={tree['b'].pk}") == ["off_b"]
    assert shown("active=false") == ["off_b"]
    assert shown("q=rev") == ["rev_prov"]
    assert shown("signed_in=never") == ["off_a", "off_b", "rev_prov", "ua_a"]


def test_list_queries_do_not_grow_with_accounts(
    accounts, login, tree, django_user_model, django_assert_max_num_queries
):
    client = login(accounts["ua_prov"])
    for i in range(30):
        user = django_user_model.objects.create_user(username=f"bulk{i}")
        Membership.objects.create(user=user, region=tree["b"], role=Role.OFFICIAL)
    # session, user (with profile), access, count, page, memberships, units, savepoints...
    with django_assert_max_num_queries(14):
        response = client.get("/users/")
    assert response.status_code == 200
    assert (
        len(response.context["table"].page.object_list) == 34
    )  # 30 + off_a, off_b, rev_prov, ua_a


def test_detail_of_an_account_outside_scope_is_404(accounts, login):
    client = login(accounts["ua_a"])
    for name in ("root", "rev_other", "rev_prov", "ua_prov", "ua_a"):
        assert client.get(f"/users/{accounts[name].pk}/").status_code == 404, name
    assert client.get(f"/users/{accounts['off_a'].pk}/").status_code == 200


def test_posts_on_accounts_outside_scope_are_404_and_change_nothing(accounts, login, tree):
    client = login(accounts["ua_a"])
    root = accounts["root"]
    assert client.post(f"/users/{root.pk}/active/", {"active": "0"}).status_code == 404
    assert (
        client.post(
            f"/users/{root.pk}/roles/", {"role": "leader", "region": tree["a"].pk}
        ).status_code
        == 404
    )
    assert client.post(f"/users/{accounts['rev_prov'].pk}/password-link/").status_code == 404
    root.refresh_from_db()
    assert root.is_active and not AccountEvent.objects.exists()


def test_grant_outside_subtree_from_the_page_changes_nothing(accounts, login, tree):
    client = login(accounts["ua_a"])
    off = accounts["off_a"]
    client.post(f"/users/{off.pk}/roles/", {"role": "leader", "region": tree["province"].pk})
    client.post(f"/users/{off.pk}/roles/", {"role": "useradmin", "region": tree["a"].pk})
    assert list(off.memberships.values_list("role", flat=True)) == ["official"]
    client.post(f"/users/{off.pk}/roles/", {"role": "reviewer", "region": tree["zone"].pk})
    assert sorted(off.memberships.values_list("role", flat=True)) == ["official", "reviewer"]


def test_new_account_from_the_page_lists_its_link_once_mail_is_absent(
    accounts, login, tree, settings
):
    settings.EMAIL_HOST = ""
    client = login(accounts["ua_prov"])
    response = client.post(
        "/users/new/",
        {
            "username": "wang5",
            "name": "王五",
            "name_en": "Wang Wu",
            "email": "",
            "phone": "",
            "region": tree["b"].pk,
            "roles": ["reviewer"],
        },
    )
    user = get_user_model().objects.get(username="wang5")
    assert response.status_code == 302 and response["Location"] == f"/users/{user.pk}/"
    links = client.get("/users/links/").content.decode()
    assert "wang5" in links and "/accounts/set-password/" in links
    detail = client.get(f"/users/{user.pk}/").content.decode()
    # The history: the role by its name, the region by its code (审核员 990200)
    assert "王五" in detail and '审核员 <span lang="zxx">990200</span>' in detail
    client.post("/users/links/clear/")
    assert "/accounts/set-password/" not in client.get("/users/links/").content.decode()


def test_new_account_form_refuses_a_region_outside_scope(accounts, login, tree):
    client = login(accounts["ua_a"])
    response = client.post(
        "/users/new/",
        {"username": "x1", "name": "某", "region": tree["b"].pk, "roles": ["official"]},
    )
    assert response.status_code == 400
    assert not get_user_model().objects.filter(username="x1").exists()


def test_english_pages_show_the_english_name(accounts, login):
    off = accounts["off_a"]
    off.first_name = "张三"
    off.save()
    Profile.objects.create(user=off, name_en="Zhang San")
    ua = accounts["ua_a"]
    ua.first_name = "用户管理员"
    ua.save()
    Profile.objects.create(user=ua, name_en="Account keeper")
    en = login(ua, "en").get("/users/").content.decode()
    assert "Zhang San" in en and "张三" not in en
    assert "Account keeper" in en and "用户管理员" not in en  # the header
    zh = login(ua, "zh-hans").get("/users/").content.decode()
    assert "张三" in zh and "用户管理员" in zh
