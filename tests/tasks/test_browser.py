"""Headless Chromium, in Chinese and in English: a lead unit writes, attaches and submits a
progress report; the plan's owner returns it with a reason, the unit resubmits, the owner
accepts; the task board shows it and filters by unit, progress and overdue.

Demo data (end 2026Q3): the current half-year is 2026H2; 省发展改革委 (official_fgw) has no
report on task 8 for 2026H1, which is due. Screenshots go to $TASKS_SHOTS
(default /tmp/shots-tasks) for a look.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tasks.models import TaskReport
from tests.tasks.conftest import PDF, task, unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("TASKS_SHOTS", "/tmp/shots-tasks"))
WORDS = {
    "zh-hans": dict(
        nav="任务", in_progress="推进中", submitted="已提交", returned="已退回",
        accepted="已采纳", save="保存草稿", submit="提交审核", ret="退回并说明理由",
        accept="采纳", board="任务进展", overdue="逾期", apply="应用", group="一、大力推广质量管理先进标准和方法",
    ),
    "en": dict(
        nav="Tasks", in_progress="In progress", submitted="Submitted", returned="Returned",
        accepted="Accepted", save="Save draft", submit="Submit for review",
        ret="Return with reason", accept="Accept", board="Task board", overdue="Overdue",
        apply="Apply", group="Promote advanced quality management standards and methods",
    ),
}  # fmt: skip
LANGS = list(WORDS)


@pytest.fixture(autouse=True)
def gansu_in_force(demo):
    """The demo's Gansu plan back in force: the reference plan is invalidated (甘政发〔2023〕60号)
    and asks for no report after 2023 (issue 22.4); these walks need reports due."""
    from indicators.models import Plan

    plan = Plan.objects.get(document_number="甘政办发〔2018〕145号")
    plan.status, plan.invalidated_by, plan.invalidated_on = Plan.Status.IN_FORCE, "", None
    plan.save(update_fields=["status", "invalidated_by", "invalidated_on"])
    return plan


def sign_in(browser, base, username, password, lang):
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    # the to-do home (issue 14); a unit member without a region role: the unit's page (issue 26)
    page.wait_for_url(re.compile(rf"{re.escape(base)}/(home|units/\d+)/$"))
    page.goto(f"{base}/")  # the overview, one click away
    if lang == "en":
        page.click("button[name=language][value=en]")
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == lang
    return page


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", LANGS)
def test_a_unit_reports_and_the_owner_returns_then_accepts(
    browser, live_server, demo, settings, tmp_path, lang
):
    base, pw, w = live_server.url, settings.CERTTRACK["DEMO_PASSWORD"], WORDS[lang]
    gansu_task = task(TaskReport.objects.first().task.plan, 8)
    fgw_unit = unit("省发展改革委")
    url = f"{base}/tasks/{gansu_task.pk}/units/{fgw_unit.pk}/2026H1/"

    official = sign_in(browser, base, "official_fgw", pw, lang)
    official.locator("nav.main-nav").get_by_text(w["nav"], exact=True).click()
    expect(official.locator("table.due-reports")).to_contain_text("2026")
    shot(official, f"{lang}-my-tasks")
    official.goto(url)
    official.get_by_label(w["in_progress"]).check()
    official.fill("#id_done", "召开推进会，完成服务认证试点遴选。")
    official.fill("#id_next_steps", "年底前完成试点评估。")
    pdf = tmp_path / "进展材料.pdf"
    pdf.write_bytes(PDF)
    official.set_input_files("#id_attachments", str(pdf))
    official.get_by_role("button", name=w["submit"]).click()
    expect(official.locator("#report-state")).to_contain_text(w["submitted"])
    expect(official.locator("ul.attachments")).to_contain_text("进展材料.pdf")
    shot(official, f"{lang}-report-submitted")

    reviewer = sign_in(browser, base, "reviewer_gansu", pw, lang)
    reviewer.goto(url)
    with reviewer.expect_download() as download:
        reviewer.get_by_role("link", name="进展材料.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF
    reviewer.get_by_role("button", name=w["ret"]).click()  # without a reason: refused
    expect(reviewer.locator(".review-form .errorlist")).to_be_visible()
    reviewer.fill("#id_comment", "请补充试点企业名单。")
    reviewer.get_by_role("button", name=w["ret"]).click()
    expect(reviewer.locator("#report-state")).to_contain_text(w["returned"])
    shot(reviewer, f"{lang}-report-returned")

    official.goto(url)
    expect(official.locator(".message.warning")).to_contain_text("请补充试点企业名单")
    official.fill("#id_done", "召开推进会，完成服务认证试点遴选，名单见附件。")
    official.get_by_role("button", name=w["submit"]).click()
    expect(official.locator("#report-state")).to_contain_text(w["submitted"])

    reviewer.goto(url)
    reviewer.get_by_role("button", name=w["accept"], exact=True).click()
    expect(reviewer.locator("#report-state")).to_contain_text(w["accepted"])
    report = TaskReport.objects.get(task=gansu_task, unit=fgw_unit, period="2026H1")
    assert report.state == "accepted" and report.attachments.count() == 1
    actions = list(report.events.order_by("id").values_list("action", flat=True))
    assert actions == ["create", "attach", "submit", "return", "update", "submit", "accept"]
    shot(reviewer, f"{lang}-report-accepted")


@pytest.mark.parametrize("lang", LANGS)
def test_the_task_board_shows_and_filters_the_reports(browser, live_server, demo, settings, lang):
    base, pw, w = live_server.url, settings.CERTTRACK["DEMO_PASSWORD"], WORDS[lang]
    plan = TaskReport.objects.first().task.plan
    page = sign_in(browser, base, "reviewer_gansu", pw, lang)
    page.goto(f"{base}/plans/{plan.pk}/")
    page.locator(".plan-tasks-link a").click()
    expect(page.locator("h1")).to_contain_text(w["board"])
    expect(page.locator(".task-board h2")).to_have_count(6)
    expect(page.locator(".task-board h2").first).to_contain_text(w["group"])
    expect(page.locator(".task-board tbody.task")).to_have_count(18)  # 15 tasks + 7.1–7.3
    expect(page.locator(".badge.overdue").first).to_be_visible()
    shot(page, f"{lang}-board")

    page.select_option(
        "#id_unit",
        label="省发展改革委" if lang != "en" else "Provincial Development and Reform Commission",
    )
    page.get_by_role("button", name=w["apply"]).click()
    tasks = page.locator(".task-board tbody.task")
    expect(tasks).to_have_count(4)  # leads 7.2, 7.3, 8; responsible for 14
    assert sorted(tasks.evaluate_all("els => els.map(e => e.dataset.task)")) == [
        "14",
        "7.2",
        "7.3",
        "8",
    ]
    shot(page, f"{lang}-board-filtered")

    page.goto(f"{base}/plans/{plan.pk}/tasks/")
    page.check("#id_overdue")
    page.get_by_role("button", name=w["apply"]).click()
    rows = page.locator(".task-board tbody.task tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        expect(rows.nth(i).locator(".badge.overdue")).to_be_visible()
