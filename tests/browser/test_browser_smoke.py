"""Headless Chromium: sign in, see the home page in Chinese, switch to English."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username, password):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")


def test_sign_in_and_home_page_in_chinese_then_english(page, live_server, demo, settings):
    sign_in(page, live_server.url, "leader_gansu", settings.CERTTRACK["DEMO_PASSWORD"])
    page.wait_for_url(f"{live_server.url}/home/")  # the to-do home (issue 14)
    page.goto(f"{live_server.url}/")  # the overview, one click away
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "总览" in page.locator("nav.main-nav").inner_text()
    assert "甘政办发〔2018〕145号" in page.content()
    assert page.locator(".demo-banner").is_visible()

    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Overview" in page.locator("nav.main-nav").inner_text()
    assert "Demo data" in page.locator(".demo-banner").inner_text()
