"""Pages: sign-in required, language switch, the overview in the user's scope, demo banner."""

import pytest
from django.urls import reverse

from indicators.models import QuarterlyCount

DEMO_PW = "certtrack-demo"


@pytest.fixture
def login(client, settings):
    def _login(username):
        assert client.login(username=username, password=settings.CERTTRACK["DEMO_PASSWORD"])
        return client

    return _login


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("indicators:overview"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_is_public_and_in_chinese_by_default(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
    assert "登录" in response.content.decode()


def test_language_switch_gives_english(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in page and "Sign in to CertTrack" in page


def test_overview_shows_only_plans_in_the_users_scope(demo, login):
    page = login("leader_gansu").get("/").content.decode()
    assert "甘政办发〔2018〕145号" in page
    assert "北政办〔2018〕200号" not in page
    page = login("leader_beihai").get("/").content.decode()
    assert "北政办〔2018〕200号" in page and "甘政办发〔2018〕145号" not in page


def test_overview_shows_gansu_invalidation(demo, login):
    page = login("leader_gansu").get("/").content.decode()
    assert "2023" in page and "甘政发〔2023〕60号" in page


def test_overview_shows_the_targets_with_status(demo, login):
    page = login("leader_gansu").get("/").content.decode()
    assert "11,000" in page and "4,910" in page and "status-missed" in page


def test_demo_banner_shows_only_with_demo_data(demo, login):
    client = login("leader_gansu")
    from indicators.pagecache import data_changed

    assert "demo-banner" in client.get("/").content.decode()
    QuarterlyCount.objects.filter(is_demo=True).update(is_demo=False)
    data_changed()  # a write outside the services says so, as seed_demo's roll-up rebuild does
    assert "demo-banner" not in client.get("/").content.decode()


def test_admin_is_for_staff_only(demo, login):
    assert login("leader_gansu").get("/admin/").status_code == 302
    assert login("admin").get("/admin/indicators/target/").status_code == 200


def test_admin_cannot_edit_or_delete_history(demo, login):
    from indicators.models import CountEvent

    event = CountEvent.objects.first()
    client = login("admin")
    assert client.get(f"/admin/indicators/countevent/{event.pk}/delete/").status_code == 403
    response = client.post(f"/admin/indicators/countevent/{event.pk}/change/", {"comment": "x"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.comment == ""


def test_signed_in_user_opening_login_goes_to_the_app(demo, login):
    response = login("leader_gansu").get("/accounts/login/")
    assert (
        response.status_code == 302 and response["Location"] == "/home/"
    )  # the to-do home (issue 14)
