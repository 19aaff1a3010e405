"""Headless Chromium: the whole entry → return → resubmit → approve cycle, and a stale tab.

official_lanzhou enters 兰州市 (620100) for 2026Q3 after its demo counts are removed, so the
quarter starts empty; last quarter's demo values are 4,245 certificates and 1,645 organizations.
"""

import pytest
from playwright.sync_api import expect

from indicators.models import CountEvent, QuarterlyCount

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REGION, PERIOD = "620100", "2026Q3"


@pytest.fixture
def empty_quarter(demo):
    counts = QuarterlyCount.objects.filter(region__code=REGION, year=2026, quarter=3)
    CountEvent.objects.filter(count__in=counts).delete()
    counts.delete()


def sign_in(browser, base, username, password, lang="zh-hans"):
    """A fresh browser context (its own cookies) signed in as ``username``."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/home/")  # the to-do home (issue 14)
    page.goto(f"{base}/")  # the overview, one click away
    if lang == "en":
        page.click("button[name=language][value=en]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
    return page


def entry_page(page, base, region=REGION, period=PERIOD):
    page.goto(f"{base}/entry/?region={region}&period={period}")


def review_page(page, base):
    page.goto(f"{base}/review/{REGION}/{PERIOD}/")


def status_of(page):
    return page.locator("h1 .badge, .status-panel h2 .badge").first.inner_text()


def test_entry_review_cycle_in_chinese(browser, live_server, empty_quarter, settings):
    base, pw = live_server.url, settings.CERTTRACK["DEMO_PASSWORD"]
    official = sign_in(browser, base, "official_lanzhou", pw)
    assert "填报" in official.locator("nav.main-nav").inner_text()
    assert "审核" not in official.locator("nav.main-nav").inner_text()
    entry_page(official, base)
    assert status_of(official) == "未填报"
    expect(official.locator("table.entry")).to_contain_text("4,245")  # last quarter

    # A large change cannot be submitted without an explanation; the input is kept.
    official.fill("#id_value_certificates", "6000")
    official.fill("#id_value_organizations", "1660")
    official.click("button[name=action][value=submit]")
    expect(official.locator("#id_explanation_error")).to_contain_text("较上季度")
    expect(official.locator("#id_value_certificates")).to_have_value("6000")
    assert QuarterlyCount.objects.filter(region__code=REGION, year=2026, quarter=3).count() == 0
    official.fill("#id_explanation", "新园区企业集中获证")
    official.click("button[name=action][value=submit]")
    expect(official.locator(".messages")).to_contain_text("已提交审核")
    assert status_of(official) == "已提交"
    expect(official.locator("#id_value_certificates")).to_be_disabled()

    reviewer = sign_in(browser, base, "reviewer_gansu", pw)
    reviewer.goto(f"{base}/review/?period={PERIOD}")
    row = reviewer.locator("tr", has_text=REGION).first
    expect(row).to_contain_text("已提交")
    row.get_by_role("link", name="审核").click()
    expect(reviewer.locator("blockquote.note")).to_contain_text("新园区企业集中获证")
    reviewer.click("button[name=action][value=return]")  # no comment: refused
    expect(reviewer.locator("#id_comment_error")).to_be_visible()
    reviewer.fill("#id_comment", "证书数增幅过大，请核实")
    reviewer.click("button[name=action][value=return]")
    expect(reviewer.locator(".messages")).to_contain_text("已退回填报员")
    assert status_of(reviewer) == "已退回"

    entry_page(official, base)
    expect(official.locator(".status-panel")).to_contain_text("证书数增幅过大，请核实")
    official.fill("#id_value_certificates", "4300")
    official.click("button[name=action][value=submit]")
    expect(official.locator(".messages")).to_contain_text("已提交审核")

    review_page(reviewer, base)
    expect(reviewer.locator("td.value").first).to_contain_text("4,300")
    reviewer.click("button[name=action][value=approve]")
    expect(reviewer.locator(".messages")).to_contain_text("已审核通过")
    expect(reviewer.locator("td.value").first).to_contain_text("已锁定")

    entry_page(official, base)
    assert status_of(official) == "已审核通过"
    expect(official.locator("#id_value_certificates")).to_be_disabled()
    expect(official.locator("#id_value_certificates")).to_have_value("4300")
    assert official.locator("button[name=action]").count() == 0
    history = official.locator("table.history tbody tr")
    # created ×2, submitted ×2, returned ×2, changed ×1, submitted ×2, approved ×2
    expect(history).to_have_count(11)
    expect(official.locator("table.history")).to_contain_text("6,000 → 4,300")


def test_stale_second_tab_is_refused(browser, live_server, empty_quarter, settings):
    base, pw = live_server.url, settings.CERTTRACK["DEMO_PASSWORD"]
    first = sign_in(browser, base, "official_lanzhou", pw)
    second = first.context.new_page()
    entry_page(first, base)
    entry_page(second, base)
    first.fill("#id_value_certificates", "4250")
    first.fill("#id_value_organizations", "1650")
    first.click("button[name=action][value=save]")
    expect(first.locator(".messages")).to_contain_text("已保存为草稿")

    second.fill("#id_value_certificates", "4999")
    second.fill("#id_value_organizations", "1700")
    second.click("button[name=action][value=save]")
    error = second.locator("#form-errors")
    expect(error).to_contain_text("兰州市填报员")  # the name, not the username (issue 28.4)
    expect(error).to_contain_text("4,250")
    expect(second.locator("#id_value_certificates")).to_have_value("4999")  # input kept
    values = set(
        QuarterlyCount.objects.filter(region__code=REGION, year=2026, quarter=3).values_list(
            "value", flat=True
        )
    )
    assert values == {4250, 1650}


def test_main_path_in_english(browser, live_server, empty_quarter, settings):
    base, pw = live_server.url, settings.CERTTRACK["DEMO_PASSWORD"]
    official = sign_in(browser, base, "official_lanzhou", pw, lang="en")
    official.get_by_role("link", name="Entry").click()
    # The entry page opens on the quarter needing action (the demo's returned 兰州新区 2026Q3).
    official.select_option("#id_region", REGION)
    official.select_option("#id_period", PERIOD)
    official.click("form.inline-filter button[type=submit]")
    assert status_of(official) == "Not reported"
    official.fill("#id_value_certificates", "4300")
    official.fill("#id_value_organizations", "1660")
    official.click("button[name=action][value=submit]")
    expect(official.locator(".messages")).to_contain_text("submitted for review")

    reviewer = sign_in(browser, base, "reviewer_gansu", pw, lang="en")
    reviewer.get_by_role("link", name="Review").click()
    reviewer.select_option("#id_period", PERIOD)
    reviewer.select_option("#id_status", "submitted")
    reviewer.click("form.inline-filter button[type=submit]")
    expect(reviewer.locator("text=Reporting rate")).to_be_visible()
    reviewer.locator("tr", has_text=REGION).get_by_role("link", name="Review").click()
    reviewer.click("button[name=action][value=approve]")
    expect(reviewer.locator(".messages")).to_contain_text("approved; the values are now locked")
    expect(reviewer.locator("td.value").first).to_contain_text("Locked")

    entry_page(official, base)
    assert status_of(official) == "Approved"
    expect(official.locator("#id_value_certificates")).to_be_disabled()
