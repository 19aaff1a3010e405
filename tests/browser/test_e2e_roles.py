"""End to end, one scenario per role, in Chinese and in English, against the production server.

The server is the production one, started as `make serve` starts it: ``bin/serve`` through
``bench/appserver.py`` (gunicorn with 2 sync workers, DEBUG off, hashed and compressed static
files through whitenoise, the CSP, ``check --deploy``, reference and demo data). Its database
is a private one: on PostgreSQL (when the suite runs with a PostgreSQL ``DATABASE_URL``) the
database ``<that name>_e2e`` on the same server, created by bin/serve and dropped afterwards;
otherwise a SQLite file in a temporary folder. Plain HTTP on loopback, so ``CERTTRACK_SECURE=0``
(no HTTPS redirect or secure-only cookies; the TLS settings are tested in
tests/deploy/test_deploy.py).

The test process never touches that database: every check goes through the UI, a download or
the JSON the dashboards use. The scenarios build on each other (the reviewer approves what the
official submitted, the leader and the admin look at the overview), so they run in file order;
each language works on its own region (兰州市 in Chinese, 兰州新区 in English) in the current
quarter, which the demo data leaves empty. Every page is checked for the language chosen with
the language buttons, and screenshots go to $E2E_SHOTS (default /tmp/shots-e2e) for a look.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import urllib.parse
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from indicators.periods import Quarter

pytestmark = [pytest.mark.browser]

PASSWORD = os.environ.get("CERTTRACK_DEMO_PASSWORD", "certtrack-demo")
SHOTS = Path(os.environ.get("E2E_SHOTS", "/tmp/shots-e2e"))
# A quarter that is open (it has ended, and is not before CERTTRACK_FIRST_QUARTER) and empty in
# the demo data, which runs from 2017Q4: the current quarter opens only on its last day.
NOW = Quarter(2017, 3)
LANGS = ["zh-hans", "en"]
# Per language: the region the official enters, and the words the pages use.
CASE = {
    "zh-hans": dict(
        region="620100",
        values=(4400, 1700),
        nav="总览",
        submitted="已提交",
        approved="已审核通过",
        target=(1, 2025, 901),  # indicator option (1: certificates), due year, value
    ),
    "en": dict(
        region="620171",
        values=(720, 270),
        nav="Overview",
        submitted="Submitted",
        approved="Approved",
        target=(2, 2025, 333),
    ),
}


def _database_url(tmp: Path) -> tuple[str, str | None]:
    """(URL for the server, PostgreSQL database to drop afterwards or None)."""
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        parts = urllib.parse.urlsplit(base)
        name = (parts.path.lstrip("/") or "certtrack") + "_e2e"
        return urllib.parse.urlunsplit(parts._replace(path="/" + name)), name
    return f"sqlite:///{tmp / 'e2e.sqlite3'}", None


def _drop(url: str, name: str) -> None:
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    cfg = dj_database_url.parse(url)
    args = {k.lower(): cfg[k] for k in ("USER", "PASSWORD", "HOST", "PORT") if cfg.get(k)}
    conn = psycopg2.connect(dbname="postgres", connect_timeout=5, **args)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.close()


@pytest.fixture(scope="module")
def server():
    """The production server (bin/serve) on a private database, for the whole module."""
    from bench.appserver import AppServer
    from bench.pgcluster import free_port

    tmp = Path(tempfile.mkdtemp(prefix="certtrack-e2e-"))
    url, pg_name = _database_url(tmp)
    if pg_name:
        _drop(url, pg_name)  # a leftover of an interrupted run
    port = free_port(8021, 8121)
    app = AppServer(url, port, workers=2, extra_env={"CERTTRACK_SECURE": "0"})
    app.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.stop()
        if pg_name:
            _drop(url, pg_name)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def as_user(browser, server):
    """``as_user(username, lang)``: a fresh browser (own cookies) signed in, language chosen
    with the language buttons."""
    contexts = []

    def sign_in(username: str, lang: str):
        context = browser.new_context(locale="zh-CN", accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{server}/home/")  # the to-do home (issue 14)
        page.goto(f"{server}/")  # the overview, one click away
        assert page.locator("html").get_attribute("lang") == "zh-hans"  # the default
        if lang != "zh-hans":
            page.click(f"button[name=language][value={lang}]")
            page.wait_for_load_state()
        assert_language(page, lang)
        return page

    yield sign_in
    for context in contexts:
        context.close()


def assert_language(page, lang: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang
    assert CASE[lang]["nav"] in page.locator("nav.main-nav").inner_text()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def status_badge(page):
    return page.locator(".status-panel h2 .badge").first


@pytest.mark.parametrize("lang", LANGS)
def test_official_enters_and_submits_a_quarter(as_user, server, lang):
    case = CASE[lang]
    user = "official_lanzhou"
    page = as_user(user, lang)
    page.goto(f"{server}/entry/?region={case['region']}&period={NOW}")
    assert_language(page, lang)
    certificates, organizations = case["values"]
    page.fill("#id_value_certificates", str(certificates))
    page.fill("#id_value_organizations", str(organizations))
    page.fill("#id_explanation", "e2e: figures from the register")
    shot(page, f"official-{lang}-filled")
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()
    expect(status_badge(page)).to_have_text(case["submitted"])
    assert page.locator("#id_value_certificates").is_disabled()  # locked while under review
    assert page.locator("#id_value_certificates").input_value() == str(certificates)
    assert_language(page, lang)
    shot(page, f"official-{lang}-submitted")


@pytest.mark.parametrize("lang", LANGS)
def test_reviewer_approves_it(as_user, server, lang):
    case = CASE[lang]
    page = as_user("reviewer_gansu", lang)
    page.goto(f"{server}/review/")
    assert_language(page, lang)
    page.goto(f"{server}/review/{case['region']}/{NOW}/")
    certificates, organizations = case["values"]
    expect(page.locator("main")).to_contain_text(f"{certificates:,}")
    shot(page, f"reviewer-{lang}-before")
    page.click("button[name=action][value=approve]")
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text(case["approved"])
    assert_language(page, lang)
    shot(page, f"reviewer-{lang}-approved")
    # The official sees the approval.
    official = as_user("official_lanzhou", lang)
    official.goto(f"{server}/entry/?region={case['region']}&period={NOW}")
    expect(status_badge(official)).to_have_text(case["approved"])


@pytest.mark.parametrize("lang", LANGS)
def test_leader_sees_overview_and_dashboard_with_charts(as_user, server, lang):
    page = as_user("leader_gansu", lang)
    expect(page.locator(".main-svg").first).to_be_visible()  # plotly drew the trend lines
    assert "甘政办发〔2018〕145号" in page.content()
    shot(page, f"leader-{lang}-overview")
    page.goto(f"{server}/regions/620000/")
    assert_language(page, lang)
    expect(page.locator(".main-svg").first).to_be_visible()
    assert page.locator(".main-svg").count() >= 2
    name = "甘肃省" if lang == "zh-hans" else "Gansu"
    expect(page.locator("h1")).to_contain_text(name)
    shot(page, f"leader-{lang}-dashboard")
    # The numbers behind the charts, as the page links them ("Data: JSON").
    data = page.request.get(f"{server}/regions/620000/series.json?values=approved")
    assert data.ok and data.json()["meta"]["values"] == "approved" and data.json()["rows"]


@pytest.mark.parametrize("lang", LANGS)
def test_analyst_downloads_the_report(as_user, server, lang):
    page = as_user("analyst", lang)
    page.goto(f"{server}/reports/")
    assert_language(page, lang)
    page.select_option("#id_region", "620000")
    page.fill("#id_start", "2025Q1")
    page.fill("#id_end", "2026Q3")
    shot(page, f"analyst-{lang}-form")
    with page.expect_download() as info:
        page.click("form.report-form button[type=submit]")
    download = info.value
    assert download.suggested_filename.startswith("CertTrack_")
    assert "_620000_2025Q1-2026Q3_" in download.suggested_filename
    with open(download.path(), "rb") as handle:
        wb = load_workbook(io.BytesIO(handle.read()))
    assert wb.sheetnames == [
        "汇总 Summary",
        "季度数据 Quarterly",
        "宽表 Wide",
        "图表 Chart",
        "说明 About",
        "考核排名 Assessment",
        "任务进展 Tasks",
    ]
    rows = list(wb["季度数据 Quarterly"].iter_rows(min_row=2, values_only=True))
    codes = {r[0] for r in rows}
    assert "620000" in codes and "620100" in codes
    assert all(code.startswith("62") for code in codes)  # nothing of Beihai: Gansu asked
    assert {r[9] for r in rows} >= {"2025Q1", "2026Q3"}


@pytest.mark.parametrize("lang", LANGS)
def test_admin_adds_a_target_and_it_appears_on_the_overview(as_user, server, lang):
    """Targets are data: a new Beihai target added in the admin site shows on the overview."""
    option, year, value = CASE[lang]["target"]
    page = as_user("admin", lang)
    page.goto(f"{server}/admin/indicators/target/add/")
    assert page.locator("html").get_attribute("lang") == lang  # the admin follows the switch
    shot(page, f"admin-{lang}-add")
    _autocomplete(page, "plan", "北政办〔2018〕200号")
    _autocomplete(page, "region", "450500", pick="北海市" if lang == "zh-hans" else "Beihai")
    page.select_option("#id_indicator", index=option)
    page.fill("#id_due_year", str(year))
    page.fill("#id_due_quarter", "4")
    page.fill("#id_value", str(value))
    page.fill("#id_clause", f"e2e {lang}")
    shot(page, f"admin-{lang}-target")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    expect(page.locator(".messagelist .success")).to_be_visible()
    page.goto(f"{server}/")
    assert_language(page, lang)
    card = page.locator(".plan-card", has_text="北政办〔2018〕200号")
    expect(card).to_contain_text(f"{value:,}")
    expect(card).to_contain_text(str(year))
    shot(page, f"admin-{lang}-overview")


def _autocomplete(page, field: str, search: str, pick: str | None = None) -> None:
    """Search one of the admin's autocomplete (select2) fields and pick the match."""
    page.locator(f"#id_{field} + span.select2 .select2-selection").click()
    page.fill(".select2-search__field", search)
    option = page.locator(".select2-results__option", has_text=pick or search).first
    option.wait_for()
    option.click()
