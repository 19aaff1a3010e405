"""Headless Chromium: the leaders' pages draw every chart, show the selectors' numbers, keep
other regions out, and print on A4 landscape."""

import re

import pytest
from django.contrib.auth import get_user_model

from indicators.periods import Quarter
from indicators.selectors.dashboards import region_dashboard
from indicators.selectors.plans import overview_plan_cards
from indicators.selectors.values import Inclusion
from regions.models import Region
from tests.browser.test_browser_smoke import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_DRAWN = (
    "() => { const c = [...document.querySelectorAll('[data-chart]')];"
    " return c.length > 0 && c.every(el => el.querySelector('.main-svg')); }"
)


def open_drawn(page, url):
    response = page.goto(url)
    assert response.status == 200
    page.wait_for_function(ALL_DRAWN, timeout=20_000)
    charts = page.locator("[data-chart]")
    for i in range(charts.count()):  # every container drew its own SVG
        assert charts.nth(i).locator(".main-svg").count() >= 1
    return charts.count()


def fmt(value):
    return f"{value:,}"


def test_leader_sees_every_chart_and_the_selectors_numbers(page, live_server, demo, settings):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server.url, "leader_gansu", settings.CERTTRACK["DEMO_PASSWORD"])
    page.wait_for_url(f"{live_server.url}/home/")  # the to-do home (issue 14)
    page.goto(f"{live_server.url}/")  # the overview, one click away
    as_of = Quarter.last_complete()

    # Overview: a trend line per target; each value cell is the selector's value.
    assert open_drawn(page, f"{live_server.url}/") == 6
    user = get_user_model().objects.get(username="leader_gansu")
    cards = overview_plan_cards(user=user, as_of=as_of, include=Inclusion.SUBMITTED)
    rows = [r for c in cards for r in c.rows]
    assert len(rows) == 6
    for row in rows:
        cell = page.locator(f"tr[data-target='{row.target.pk}'] td[data-value]")
        assert cell.inner_text().split()[0] == fmt(row.progress.value)
        status = page.locator(f"tr[data-target='{row.target.pk}'] .badge").first
        assert status.get_attribute("class").endswith(f"status-{row.progress.status.value}")

    # Gansu's dashboard: two indicator charts, two breakdowns, the heatmap.
    assert open_drawn(page, f"{live_server.url}/regions/620000/") == 5
    dashboard = region_dashboard(region=Region.objects.get(code="620000"), as_of=as_of)
    for panel in dashboard.panels:
        shown = page.locator(f".latest-value[data-indicator='{panel.code}']").inner_text()
        assert shown == fmt(panel.latest_complete.value)
        # What plotly drew is what the selectors computed: targets and the children's bars.
        drawn_targets = page.evaluate(
            "id => document.getElementById(id).data.find(t => t.meta === 'target').y",
            f"chart-series-{panel.code}",
        )
        assert drawn_targets == [r.target.value for r in panel.targets]
        bars = page.evaluate(
            "id => document.getElementById(id).data[0].x", f"chart-children-{panel.code}"
        )
        assert bars == [c.value for c in panel.children if c.value is not None]
        for child in panel.children[:3]:
            cell = page.locator(
                f"#children-{panel.code} tr[data-region='{child.code}'] td[data-value]"
            )
            assert cell.inner_text() == fmt(child.value)
    # Every target's label ("≥ 14,200") is whole: inside the chart, not clipped at the plot
    # area's edge (the top target's label stands above it).
    labels = page.evaluate(
        "() => [...document.querySelectorAll('.chart-series')].flatMap(c => {"
        " const top = c.querySelector('.main-svg').getBoundingClientRect().top;"
        " const i = c.data.findIndex(t => t.meta === 'target');"
        " return [...c.querySelectorAll('.scatterlayer .trace')[i].querySelectorAll('.textpoint text')]"
        "  .map(t => [t.textContent, t.getBoundingClientRect().top - top, !t.closest('[clip-path]')]); })"
    )
    assert len(labels) == sum(len(p.targets) for p in dashboard.panels), labels
    assert all(text.startswith("≥") and top >= 0 and unclipped for text, top, unclipped in labels)
    heat = page.evaluate("() => document.getElementById('chart-completeness').data[0].text")
    assert heat[-1][-1] == dashboard.completeness[-1].cells[-1].status.label  # 甘南: missing
    assert errors == []


def test_leader_of_beihai_cannot_open_gansu_or_its_json(page, live_server, demo, settings):
    sign_in(page, live_server.url, "leader_beihai", settings.CERTTRACK["DEMO_PASSWORD"])
    page.wait_for_url(f"{live_server.url}/home/")  # the to-do home (issue 14)
    page.goto(f"{live_server.url}/")  # the overview, one click away
    for path in ("/regions/620000/", "/regions/620000/series.json", "/regions/620100/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status in (403, 404), path
    assert "13,6" not in page.content()
    # Their own city opens, with its charts.
    assert open_drawn(page, f"{live_server.url}/regions/450500/") >= 3


def test_dashboard_prints_on_a4_landscape_with_charts_within_the_page(
    page, live_server, demo, settings
):
    sign_in(page, live_server.url, "leader_gansu", settings.CERTTRACK["DEMO_PASSWORD"])
    page.wait_for_url(f"{live_server.url}/home/")  # the to-do home (issue 14)
    page.goto(f"{live_server.url}/")  # the overview, one click away
    open_drawn(page, f"{live_server.url}/regions/620000/")
    page.emulate_media(media="print")
    page.wait_for_timeout(300)  # charts.js redraws at the printed width
    width = page.evaluate("() => document.querySelector('main').getBoundingClientRect().width")
    svgs = page.evaluate(
        "() => [...document.querySelectorAll('[data-chart] .main-svg')]"
        ".map(s => s.getBoundingClientRect().right)"
    )
    assert svgs and max(svgs) <= width + 40  # nothing sticks out of the printed page
    assert (
        page.locator("nav.main-nav").is_hidden() and page.locator(".data-links").first.is_hidden()
    )
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes
    w, h = (float(x) for x in boxes[0])
    assert (round(w), round(h)) == (842, 595)  # A4 landscape, in points


def test_charts_draw_under_a_content_security_policy_without_inline_script(
    page, live_server, demo, settings
):
    """No inline script: charts.js reads the figures from json_script. (plotly.js adds <style>
    elements of its own, hence 'unsafe-inline' for styles only.)"""
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'self'"
    )

    def with_policy(route):
        response = route.fetch()
        route.fulfill(
            response=response, headers={**response.headers, "content-security-policy": policy}
        )

    violations = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    sign_in(page, live_server.url, "leader_gansu", settings.CERTTRACK["DEMO_PASSWORD"])
    page.wait_for_url(f"{live_server.url}/home/")  # the to-do home (issue 14)
    page.goto(f"{live_server.url}/")  # the overview, one click away
    page.route(f"{live_server.url}/**", with_policy)
    assert open_drawn(page, f"{live_server.url}/") == 6
    assert open_drawn(page, f"{live_server.url}/regions/620000/") == 5
    assert violations == []
