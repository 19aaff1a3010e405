"""The review queue in English at 1366 px: nothing cut off; submitted first with a "Review"
action; after approving, the page leads on to the next waiting unit."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_queue_fits_1366_in_english_and_leads_from_one_decision_to_the_next(
    browser, live_server, demo, settings
):
    base = live_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    page.fill("#id_username", "reviewer_gansu")
    page.fill("#id_password", settings.CERTTRACK["DEMO_PASSWORD"])
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/home/")  # the to-do home is the first page after sign-in
    page.goto(f"{base}/review/")
    box = page.locator(".table-container:has(table.queue)")
    widths = box.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert widths[0] <= widths[1], widths  # no column cut off or scrolled away
    actions = page.locator("table.queue tbody td:last-child a")
    assert actions.count() >= 2
    for i in range(actions.count()):
        right = actions.nth(i).bounding_box()
        assert right["x"] + right["width"] <= 1366
    statuses = page.locator("table.queue tbody td:nth-child(2)").all_inner_texts()
    waiting = statuses.count("Submitted")
    assert waiting >= 2 and statuses[:waiting] == ["Submitted"] * waiting  # submitted first
    assert actions.first.inner_text() == "Review"
    assert "View" in actions.nth(waiting).inner_text()
    actions.first.click()
    first = page.url
    page.click("button[name=action][value=approve]")
    expect(page.locator(".messages")).to_contain_text("approved")
    page.click("a.next-waiting")
    assert page.url != first and "/review/" in page.url
    expect(page.locator("button[name=action][value=approve]")).to_be_visible()
    context.close()
