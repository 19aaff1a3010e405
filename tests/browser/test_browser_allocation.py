"""Headless Chromium: the allocation page (prefill, edit by keyboard, the live sum warning,
save) and the assessment ranking, in Chinese and English. The demo's 2027 certificate target
of Gansu (≥ 14,200, a demo successor plan, still ahead) is allocated by manager_gansu."""

import pytest
from playwright.sync_api import expect

from indicators.models import Target
from tests.browser.test_browser_entry import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "zh-hans": dict(equal="合计等于目标", short="少 100", saved="少 100", rank="名次"),
    "en": dict(
        equal="add up to the target",
        short="short of the target by 100",
        saved="short of the target by 100",
        rank="Rank",
    ),
}


@pytest.fixture
def target_2027(demo):
    return Target.objects.get(
        region__code="620000", indicator__code="certificates", due_year=2027,
        allocated_from__isnull=True,
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_prefill_edit_warn_and_save(browser, live_server, target_2027, settings, lang):
    base, pw = live_server.url, settings.CERTTRACK["DEMO_PASSWORD"]
    text = TEXTS[lang]
    page = sign_in(browser, base, "manager_gansu", pw, lang=lang)
    page.goto(f"{base}/targets/{target_2027.pk}/allocation/")
    # keyboard: focus the prefill button and press Enter
    page.focus("#prefill-baseline")
    page.keyboard.press("Enter")
    page.wait_for_url("**prefill=baseline**")
    expect(page.locator("#alloc-sum")).to_have_text("14,200")
    expect(page.locator("#alloc-status")).to_contain_text(text["equal"])
    lanzhou = page.locator("input[name^=alloc-]").first
    prefilled = int(lanzhou.input_value())
    assert prefilled > 0
    lanzhou.fill(str(prefilled - 100))
    expect(page.locator("#alloc-sum")).to_have_text(f"{14200 - 100:,}")
    expect(page.locator("#alloc-status")).to_contain_text(text["short"])
    lanzhou.press("Enter")  # submits the form
    page.wait_for_load_state()
    # A sum that differs is saved only when confirmed explicitly (issue 22.11): nothing yet.
    expect(page.locator(".messages")).to_contain_text(text["saved"])
    assert not Target.objects.filter(allocated_from=target_2027).exists()
    expect(page.locator("#alloc-sum")).to_have_text(f"{14200 - 100:,}")  # the posted values
    page.check("#confirm-difference")
    page.click("#save-allocation")
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text(text["saved"])
    saved = Target.objects.filter(allocated_from=target_2027)
    assert saved.count() == 14
    assert sum(t.value for t in saved) == 14100
    assert saved.get(region__code="620100").value == prefilled - 100
    expect(page.locator("#alloc-sum")).to_have_text("14,100")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_assessment_page(browser, live_server, demo, settings, lang):
    base, pw = live_server.url, settings.CERTTRACK["DEMO_PASSWORD"]
    page = sign_in(browser, base, "leader_gansu", pw, lang=lang)
    page.goto(f"{base}/regions/620000/assessment/?as_of=2026Q3")
    table = page.locator("#assessment-table")
    expect(table).to_contain_text(TEXTS[lang]["rank"])
    assert table.locator("tbody tr").count() == 14
    assert table.locator("tbody tr").first.locator("td").first.inner_text() == "1"
    expect(page.locator("body")).to_contain_text("CERTTRACK_ASSESSMENT_WEIGHTS")
    # a Beihai leader never sees Gansu's ranking
    other = sign_in(browser, base, "leader_beihai", pw, lang=lang)
    response = other.goto(f"{base}/regions/620000/assessment/")
    assert response.status == 404
