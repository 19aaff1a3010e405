"""Headless Chromium: the Content-Security-Policy blocks nothing the app itself uses."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_errors(page):
    errors = []
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if "Content Security Policy" in msg.text or "Refused to" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def sign_in(page, base, username, password):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/**")


def test_overview_and_a_plotly_chart_draw_without_csp_errors(page, live_server, demo, settings):
    errors = csp_errors(page)
    sign_in(page, live_server.url, "leader_gansu", settings.CERTTRACK["DEMO_PASSWORD"])
    response = page.goto(f"{live_server.url}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.locator(".plan-card").count() >= 1
    # The dashboards draw plotly figures from a static script; plotly.js injects <style> and
    # inline styles and mode-bar icons as data: URLs. Draw one here under the same policy.
    page.add_script_tag(url=f"{live_server.url}/static/vendor/plotly/plotly-cartesian.min.js")
    page.evaluate(
        """() => {
            const div = document.createElement('div');
            div.id = 'csp-chart';
            document.querySelector('main').appendChild(div);
            return Plotly.newPlot(div, [{x: ['2020Q4', '2022Q4'], y: [11000, 12000],
                                         type: 'bar'}], {title: {text: 'CSP'}});
        }"""
    )
    page.wait_for_selector("#csp-chart .main-svg")
    page.hover("#csp-chart")  # the mode bar (data: icons) shows on hover
    assert errors == []


def test_inline_script_is_blocked(page, live_server, demo, settings):
    """The policy is enforced, not only sent: an injected inline script does not run."""
    errors = csp_errors(page)
    sign_in(page, live_server.url, "leader_gansu", settings.CERTTRACK["DEMO_PASSWORD"])
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__injected = 1'; document.body.appendChild(s); }"""
    )
    assert page.evaluate("() => window.__injected") is None
    assert any("Content Security Policy" in e for e in errors)


def test_login_and_admin_pages_have_no_csp_errors(page, live_server, demo, settings):
    errors = csp_errors(page)
    sign_in(page, live_server.url, "admin", settings.CERTTRACK["DEMO_PASSWORD"])
    for path in ("/admin/", "/admin/indicators/target/", "/admin/indicators/target/add/"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
    assert errors == []
