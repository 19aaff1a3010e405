"""Phones show what matters (issue 26.1), 390 x 844 in both languages: the entry form keeps last
year's value and the change in view, and its history each change's time, value and status; the
ranking each division's rank and score; the task board each lead unit's progress and report
state: inside the window, in no box that scrolls sideways. A badge and its count share a line, a
place's name never breaks inside (兰州/市), and a label never ends a line without its control."""

from __future__ import annotations

import pytest

from tests.browser.test_browser_phone import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each element: inside the window, and no ancestor scrolls it sideways out of view.
IN_VIEW_JS = """(selector) => {
  const w = window.innerWidth;
  const out = [];
  const els = [...document.querySelectorAll(selector)];
  for (const el of els) {
    const r = el.getBoundingClientRect();
    let clipped = false;
    for (let a = el.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (/(auto|scroll|hidden)/.test(s.overflowX) && a.scrollWidth > a.clientWidth + 1) {
        const box = a.getBoundingClientRect();
        if (r.right > box.right + 1 || r.left < box.left - 1) clipped = true;
      }
    }
    if (!el.checkVisibility() || r.width === 0 || r.left < 0 || r.right > w + 1 || clipped)
      out.push(el.className + ' ' + Math.round(r.left) + '-' + Math.round(r.right));
  }
  return {count: els.length, out: out.slice(0, 6)};
}"""

# Lines an element takes: a name, a badge with its count, must keep to one.
BROKEN_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.checkVisibility())
  .filter(el => { const r = el.getClientRects(); return r.length > 1 && r[0].top !== r[r.length - 1].top; })
  .map(el => el.textContent.trim()).slice(0, 6)"""

# A label on another line than its control (the label would end a line alone).
ALONE_JS = """() => [...document.querySelectorAll('.field-pair')].filter(p => p.checkVisibility())
  .filter(p => { const l = p.querySelector('label').getBoundingClientRect();
                 const c = p.querySelector('select, input').getBoundingClientRect();
                 return l.bottom <= c.top || c.bottom <= l.top; })
  .map(p => p.textContent.trim().slice(0, 20))"""


def _check(page, url: str, key_cells: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    for selector in key_cells:
        result = page.evaluate(IN_VIEW_JS, selector)
        assert result["count"] > 0, (url, selector)
        assert result["out"] == [], (url, selector, result)
    for selector in (".place", ".badge-count"):
        assert page.evaluate(BROKEN_JS, selector) == [], (url, selector)
    assert page.evaluate(ALONE_JS) == [], url


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_phone_shows_the_key_columns_of_entry_ranking_and_board(
    browser, live_server, demo, settings, lang
):
    from indicators.models import Plan

    plan = Plan.objects.get(document_number="甘政办发〔2018〕145号")
    password = settings.CERTTRACK["DEMO_PASSWORD"]
    base = live_server.url
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    page = sign_in(context, base, "official_lanzhou", password, lang)
    _check(
        page,
        f"{base}/entry/?region=620100&period=2026Q3",
        [
            "td.entry-last-year",
            "td.entry-change",
            "td.entry-previous",
            "input.count-input",
            # its history: per change when, the value (old → new) and the status (a card each)
            "table.history td.history-when",
            "table.history td.history-value",
            "table.history td.history-status",
        ],
    )
    context.close()
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    page = sign_in(context, base, "leader_gansu", password, lang)
    _check(page, f"{base}/regions/620000/assessment/", ["td.rank", "td.score"])
    _check(page, f"{base}/plans/{plan.pk}/tasks/", ["td.task-progress", "td.task-state"])
    context.close()
