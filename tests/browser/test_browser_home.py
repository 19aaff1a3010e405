"""Headless Chromium: each role signs in and lands on its to-do home, in Chinese and in English.

Screenshots go to ``CERTTRACK_SCREENSHOTS`` when set (to look at them), else to pytest's
temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Per role: the words the home must show, per language.
ROLES = {
    "official_lanzhou": {
        "zh-hans": ["需要您处理的季度", "兰州新区", "2026Q3", "请核对与上季度的差异"],
        "en": ["Quarters that need your action", "Lanzhou New Area", "2026Q3", "Returned"],
    },
    "reviewer_gansu": {
        "zh-hans": ["等待您审核的报送", "天水市", "未指定填报员", "甘南藏族自治州"],
        "en": ["Submissions waiting for your review", "Tianshui", "No official assigned"],
    },
    "leader_gansu": {
        "zh-hans": ["需要关注的目标", "逾期未报的单位", "甘南藏族自治州"],
        "en": ["Targets that need attention", "Units late for 2026Q3", "Gannan"],
    },
    "analyst": {
        "zh-hans": ["自您上次访问以来的变化", "首次访问"],
        "en": ["Changed since your last visit", "first visit"],
    },
}


def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("CERTTRACK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("username", list(ROLES))
def test_each_role_lands_on_its_to_do(page, live_server, demo, settings, tmp_path, username, lang):
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    if lang != "zh-hans":
        page.click(f"button[name=language][value={lang}]")
        page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", settings.CERTTRACK["DEMO_PASSWORD"])
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/home/")
    assert page.locator("html").get_attribute("lang") == lang
    text = page.locator("main").inner_text()
    for words in ROLES[username][lang]:
        assert words in text, words
    page.screenshot(path=str(shots(tmp_path) / f"home-{username}-{lang}.png"), full_page=True)
    # The overview stays one click away.
    assert page.locator("nav.main-nav a[href='/']").count() == 1


def test_reviewer_badge_and_official_opens_the_returned_quarter(page, live_server, demo, settings):
    base = live_server.url
    password = settings.CERTTRACK["DEMO_PASSWORD"]

    def sign_in(username):
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{base}/home/")

    sign_in("reviewer_gansu")
    badge = page.locator("nav.main-nav .count-badge")
    assert int(badge.inner_text()) >= 2  # 天水, 武威 (2026Q3) and the tasks' reports waiting
    page.click("form[action='/accounts/logout/'] button")

    sign_in("official_lanzhou")
    assert int(page.locator(".notifications-link .count-badge").inner_text()) >= 1
    page.locator("#todo-official .todo-list a").first.click()
    page.wait_for_load_state()
    assert "region=620171" in page.url and "period=2026Q3" in page.url
    assert page.locator("select[name=period] option[selected]").inner_text() == "2026Q3"
    assert "请核对与上季度的差异" in page.locator("main").inner_text()
