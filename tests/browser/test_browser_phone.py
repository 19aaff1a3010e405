"""Phone, 390 x 844: no page scrolls sideways, for every page every role can reach.

Each role signs in and walks the site from the home page: every link in the header and the main
content (same site, HTML pages: not the admin, downloads, JSON or CSV), breadth first, one page
per URL shape (``/regions/620100/`` and ``/regions/620200/`` are one shape), so a page added
later is walked without a change here. On each: ``document.documentElement.scrollWidth`` is at
most the window's width; a failure names the elements that stick out. No place name, badge with
its count or label with its control breaks apart.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
ROLES = [
    "leader_gansu",
    "reviewer_gansu",
    "official_lanzhou",
    "analyst",
    "official_fgw",
    "reviewer_beihai",
]
MAX_PAGES = 24  # per role and language: every shape the demo data reaches is well under this
SKIP = re.compile(
    r"^/(admin|static|accounts/logout|i18n)/|\.(json|csv|xlsx|docx|pdf)$|/attachments/|/export"
)

OVERFLOW_JS = """() => {
  const w = window.innerWidth;
  const out = [];
  if (document.documentElement.scrollWidth > w) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (el.checkVisibility() && r.width && r.right > w + 1 && !el.closest('.table-scroll, .table-container, .split-table')) {
        const inner = [...el.children].some(c => c.getBoundingClientRect().right > w + 1);
        if (!inner) out.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(r.right));
      }
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: w, out: out.slice(0, 8)};
}"""


# What must not break apart on any page (issue 26.1): a place's name (兰州/市), a badge and its
# count, a label and its control.
BROKEN_APART_JS = """() => {
  const lines = el => { const r = [...el.getClientRects()].filter(x => x.width > 0);
                        return r.length > 1 && r[0].top !== r[r.length - 1].top; };
  const out = [...document.querySelectorAll('.place, .badge-count')]
    .filter(el => el.checkVisibility() && lines(el)).map(el => el.textContent.trim());
  for (const pair of document.querySelectorAll('.field-pair')) {
    const label = pair.querySelector('label'), control = pair.querySelector('select, input');
    if (!pair.checkVisibility() || !label || !control) continue;
    const l = label.getBoundingClientRect(), c = control.getBoundingClientRect();
    if (l.bottom <= c.top || c.bottom <= l.top) out.push('label ' + label.textContent.trim());
  }
  return out.slice(0, 6);
}"""


def shape(path: str) -> str:
    """One page per URL shape: numbers, region codes and quarters stand for any."""
    path = re.sub(r"\d{4}Q\d|\d{4}H\d|\d{4}", "P", path)
    return re.sub(r"\d+", "N", path)


def links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    found = []
    for href in hrefs:
        url = urllib.parse.urljoin(page.url, href)
        parts = urllib.parse.urlsplit(url)
        if not url.startswith(base) or SKIP.search(parts.path):
            continue
        found.append(urllib.parse.urlunsplit(parts._replace(fragment="")))
    return found


def sign_in(context, base: str, username: str, password: str, lang: str):
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    if lang != "zh-hans":
        page.click(f"button[name=language][value={lang}]")
        page.wait_for_load_state()
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/**")
    return page


def walk(page, base: str) -> dict[str, dict]:
    seen_shapes: set[str] = set()
    queue = [f"{base}/"]
    results: dict[str, dict] = {}
    while queue and len(results) < MAX_PAGES:
        url = queue.pop(0)
        key = shape(urllib.parse.urlsplit(url).path)
        if key in seen_shapes:
            continue
        seen_shapes.add(key)
        response = page.goto(url)
        if (
            not response
            or response.status != 200
            or "html" not in response.headers.get("content-type", "")
        ):
            continue
        page.wait_for_load_state("load")
        if page.locator("[data-chart]").count():
            page.wait_for_selector("[data-chart][data-drawn='1']", timeout=15000)
        results[url] = page.evaluate(OVERFLOW_JS)
        results[url]["broken"] = page.evaluate(BROKEN_APART_JS)
        queue.extend(links(page, base))
    return results


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("username", ROLES)
def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, demo, settings, username, lang):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    page = sign_in(context, live_server.url, username, settings.CERTTRACK["DEMO_PASSWORD"], lang)
    results = walk(page, live_server.url)
    context.close()
    assert len(results) >= 3, results  # home, and at least the pages of the menu
    wide = {url: r for url, r in results.items() if r["scrollWidth"] > r["width"]}
    assert not wide, wide
    broken = {url: r["broken"] for url, r in results.items() if r["broken"]}
    assert not broken, broken


def test_phone_header_is_compact_and_its_menu_opens(browser, live_server, demo, settings):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = sign_in(
        context, live_server.url, "reviewer_gansu", settings.CERTTRACK["DEMO_PASSWORD"], "en"
    )
    header = page.locator("header.site-header")
    assert header.bounding_box()["height"] <= 64  # brand and the menu button on one line
    nav = page.locator("nav.main-nav")
    assert not nav.is_visible()
    page.click("details.site-menu > summary")
    review = nav.locator('a[href="/review/"]')  # "Review" and its waiting-count badge
    assert nav.is_visible() and review.is_visible() and review.inner_text().startswith("Review")
    review.click()
    page.wait_for_url(f"{live_server.url}/review/")
    context.close()


def test_desktop_header_shows_the_navigation_without_a_menu_button(
    browser, live_server, demo, settings
):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = sign_in(
        context, live_server.url, "reviewer_gansu", settings.CERTTRACK["DEMO_PASSWORD"], "zh-hans"
    )
    assert page.locator("nav.main-nav").is_visible()
    assert not page.locator("details.site-menu > summary").is_visible()
    context.close()


@pytest.mark.parametrize("width, narrow", [(390, True), (1366, False)])
def test_charts_on_a_phone_draw_their_narrow_variant(
    browser, live_server, demo, settings, width, narrow
):
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="zh-CN")
    page = sign_in(
        context, live_server.url, "leader_gansu", settings.CERTTRACK["DEMO_PASSWORD"], "zh-hans"
    )
    page.goto(f"{live_server.url}/regions/620000/")
    page.wait_for_selector("#chart-completeness[data-drawn='1']")
    drawn = page.eval_on_selector_all(
        ".chart:not(.sparkline)[data-drawn='1']", "els => els.map(e => e.dataset.narrow)"
    )
    assert drawn and set(drawn) == {"1" if narrow else "0"}
    # The heatmap: words in its cells only when there is room for them.
    words = page.locator("#chart-completeness .heatmap-label text")
    assert (words.count() == 0) is narrow
    ticks = page.locator("#chart-series-certificates .xtick").count()
    assert (ticks <= 4) is narrow
    context.close()
