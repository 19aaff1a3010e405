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
    with page.expect_navigation():
        lanzhou.press("Enter")  # submits the form
    # A sum that differs is saved only when confirmed explicitly (issue 22.11): nothing yet.
    expect(page.locator(".messages")).to_contain_text(text["saved"], timeout=15000)
    assert not Target.objects.filter(allocated_from=target_2027).exists()
    expect(page.locator("#alloc-sum")).to_have_text(f"{14200 - 100:,}")  # the posted values
    page.check("#confirm-difference")
    with page.expect_navigation():
        page.click("#save-allocation")
    expect(page.locator(".messages")).to_contain_text(text["saved"], timeout=15000)
    saved = Target.objects.filter(allocated_from=target_2027)
    assert saved.count() == 14
    assert sum(t.value for t in saved) == 14100
    assert saved.get(region__code="620100").value == prefilled - 100
    expect(page.locator("#alloc-sum")).to_have_text("14,100")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_assessment_page(browser, live_server, demo, settings, lang):
    """The ranking of Gansu's 14 divisions: rank 1 first, no setting name, each row opens its
    derivation (the score as a sum of points × weights), and on a 390 px phone each row's rank
    and score are on screen without scrolling sideways."""
    base, pw = live_server.url, settings.CERTTRACK["DEMO_PASSWORD"]
    page = sign_in(browser, base, "leader_gansu", pw, lang=lang)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{base}/regions/620000/assessment/?as_of=2026Q3")
    table = page.locator("#assessment-table")
    expect(table).to_contain_text(TEXTS[lang]["rank"])
    rows = table.locator("tbody tr[data-child]")
    assert rows.count() == 14
    assert rows.first.locator("td.rank").inner_text() == "1"
    assert "CERTTRACK" not in page.content()
    why = table.locator("tr.why details").first
    why.locator("summary").click()
    expect(why.locator(".score-formula")).to_be_visible()
    expect(why.locator(".score-formula")).to_contain_text(
        rows.first.locator("td.score").inner_text()
    )
    page.set_viewport_size({"width": 390, "height": 844})
    for i in range(3):
        for cell in ("td.rank", "td.score"):
            box = rows.nth(i).locator(cell).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (cell, box)
    # a Beihai leader never sees Gansu's ranking
    other = sign_in(browser, base, "leader_beihai", pw, lang=lang)
    response = other.goto(f"{base}/regions/620000/assessment/")
    assert response.status == 404
