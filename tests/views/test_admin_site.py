"""The Django admin as part of CertTrack: its name, translated app and model names (django-axes'
too), the language switch and the demo banner (templates/admin/base_site.html)."""

from __future__ import annotations

import re

import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def admin_client_in(client, django_user_model, db):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "pw-1234567")

    def _as(language: str):
        client.force_login(admin)
        client.cookies["django_language"] = language
        return client

    return _as


def test_admin_index_is_branded_and_every_app_and_model_name_is_chinese(admin_client_in):
    response = admin_client_in("zh-hans").get("/admin/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "CertTrack 管理后台" in page
    assert "Django" not in re.sub(r"<[^>]+>", "", page).replace("django-", "")
    app_list = response.context["app_list"]
    assert {app["app_label"] for app in app_list} >= {"axes", "auth", "indicators", "regions"}
    for app in app_list:
        assert CJK.search(str(app["name"])), app["name"]
        for model in app["models"]:
            assert CJK.search(str(model["name"])), (app["app_label"], model["name"])
    axes = next(app for app in app_list if app["app_label"] == "axes")
    assert axes["name"] == "登录锁定"
    assert "登录尝试" in {str(m["name"]) for m in axes["models"]}
    assert "Axes" not in page and "Access attempts" not in page


def test_axes_change_list_columns_are_chinese(admin_client_in):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="someone", ip_address="10.0.0.1", user_agent="x", failures_since_start=2
    )
    page = admin_client_in("zh-hans").get("/admin/axes/accessattempt/").content.decode()
    for label in ("用户名", "IP 地址", "尝试时间", "失败次数"):
        assert label in page, label
    for english in ("Attempt Time", "IP Address", "Failed Logins"):
        assert english not in page, english


def test_admin_in_english_keeps_the_product_name(admin_client_in):
    page = admin_client_in("en").get("/admin/").content.decode()
    assert "CertTrack administration" in page and "Sign-in lock-out" in page
    assert not CJK.search(re.sub(r'lang="zh-hans">[^<]*<', "", page))


def test_admin_has_the_language_switch_back_to_the_same_page(admin_client_in):
    page = admin_client_in("zh-hans").get("/admin/axes/accessattempt/").content.decode()
    form = re.search(r'<form action="/i18n/setlang/".*?</form>', page, re.S)
    assert form, "no language switch"
    assert 'name="next" type="hidden" value="/admin/axes/accessattempt/"' in form.group(0)
    assert 'value="en"' in form.group(0) and 'value="zh-hans"' in form.group(0)


def test_admin_shows_the_demo_banner_inside_the_header_only_with_demo_data(admin_client_in, demo):
    page = admin_client_in("zh-hans").get("/admin/").content.decode()
    header = re.search(r'<header id="header">.*?</header>', page, re.S).group(0)
    assert 'class="demo-banner"' in header and "演示数据" in header


def test_admin_without_demo_data_has_no_banner(admin_client_in):
    page = admin_client_in("zh-hans").get("/admin/").content.decode()
    assert 'class="demo-banner"' not in page


def test_admin_login_page_is_branded_with_the_switch(client, db):
    page = client.get("/admin/login/").content.decode()
    assert "CertTrack 管理后台" in page and "/i18n/setlang/" in page
