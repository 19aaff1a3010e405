"""Pages and endpoints: permissions (404 outside the scope, 403 for an action not allowed),
the board's filters, reporting and review through HTTP, attachments, and the data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import TaskAttachment, TaskReport, TaskReportEvent, Unit
from tests.tasks.conftest import PDF, make_report, png, recent_schedule, task, unit, upload


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def report_url(t, u, period="2026H1"):
    return reverse("tasks:report", args=[t.pk, u.pk, period])


def report_post(**extra):
    data = {"status": "in_progress", "done": "召开推进会", "problems": "", "next_steps": "",
            "version": "", "action": "save"}  # fmt: skip
    data.update(extra)
    return data


@pytest.fixture
def submitted(gansu, people):
    """A submitted report of 省发展改革委 on task 8 (2026H1) with a PDF attached."""
    report = make_report(
        task(gansu, 8), unit("省发展改革委"), "2026H1", "submitted", by=people["fgw"]
    )
    client_for(people["fgw"])  # noqa: the report is written directly; attach through the model
    from django.core.files.base import ContentFile

    from tasks.models import attachment_storage

    name = attachment_storage().save("tasks/test/a.pdf", ContentFile(PDF))
    TaskAttachment.objects.create(
        report=report, file=name, original_name="进展.pdf", file_type="pdf",
        content_type="application/pdf", size=len(PDF), sha256="0" * 64,
        uploaded_by=people["fgw"], uploaded_at=report.created_at,
    )  # fmt: skip
    return report


def test_anonymous_users_are_sent_to_sign_in(gansu, client):
    for url in (
        reverse("tasks:index"),
        reverse("tasks:board", args=[gansu.pk]),
        reverse("tasks:board_data", args=[gansu.pk, "json"]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_user_of_another_province_finds_nothing_of_gansu(gansu, people, submitted):
    client = client_for(people["beihai"])
    attachment = submitted.attachments.get()
    for url in (
        reverse("tasks:board", args=[gansu.pk]),
        reverse("tasks:board_data", args=[gansu.pk, "json"]),
        reverse("tasks:board_data", args=[gansu.pk, "csv"]),
        reverse("tasks:task", args=[task(gansu, 8).pk]),
        report_url(task(gansu, 8), unit("省发展改革委")),
        reverse("tasks:unit", args=[unit("省发展改革委").pk]),
        reverse("tasks:attachment", args=[attachment.pk]),
    ):
        assert client.get(url).status_code == 404, url
    posts = (
        (report_url(task(gansu, 8), unit("省发展改革委")), report_post()),
        (reverse("tasks:review", args=[submitted.pk]), {"action": "accept", "version": 1}),
        (reverse("tasks:attachment_delete", args=[attachment.pk]), {"version": 1}),
    )
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert TaskReport.objects.get().state == "submitted"
    assert TaskAttachment.objects.count() == 1
    index = client.get(reverse("tasks:index"))
    assert "甘肃" not in index.content.decode()


def test_the_board_lists_every_task_by_group_with_its_lead_units(gansu, people, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = client_for(people["lanzhou_gov"]).get(reverse("tasks:board", args=[gansu.pk]))
    assert response.status_code == 200
    board = response.context["board"]
    assert len(board.rows) == 27 and board.task_count == 16
    html = response.content.decode()
    for title in ("推广先进质量管理工具", "积极推进自愿性认证", "加快推动检验检测认证“走出去”步伐"):
        assert title in html
    assert "省发展改革委" in html and "各市州政府" in html


def test_the_board_filters_by_unit_progress_and_overdue(gansu, people):
    recent_schedule(gansu)
    make_report(task(gansu, 8), unit("省发展改革委"), "2026H1", "accepted", "done")
    client = client_for(people["reviewer"])
    url = reverse("tasks:board", args=[gansu.pk])

    def labels(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return sorted(
            {(r.task.number_label, r.unit.name_zh) for r in response.context["board"].rows}
        )

    # 省发展改革委 leads 7.2, 7.3 and 8, and is responsible for 14 (whose lead is 省质监局)
    fgw = labels(unit=unit("省发展改革委").pk)
    assert {label for label, _u in fgw} == {"7.2", "7.3", "8", "14"}
    assert labels(status="done") == [("8", "省发展改革委")]
    assert len(labels(status="none")) == 26
    # 2025H1 and 2025H2 are past their deadlines for everyone, 8 included (only 2026H1 is in)
    assert len(labels(overdue="on")) == 27
    assert labels(unit=unit("省发展改革委").pk, status="done") == [("8", "省发展改革委")]


@pytest.mark.parametrize("params", [{"unit": "999999"}, {"unit": "abc"}, {"status": "finished"}])
def test_a_forged_filter_is_a_clear_400(gansu, people, params):
    response = client_for(people["reviewer"]).get(reverse("tasks:board", args=[gansu.pk]), params)
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()


def test_a_unit_of_another_plan_is_no_filter_of_this_board(gansu, people):
    office = Unit.objects.get(code="bh-qiangshi-office")  # Beihai's
    response = client_for(people["reviewer"]).get(
        reverse("tasks:board", args=[gansu.pk]), {"unit": office.pk}
    )
    assert response.status_code == 400


def test_the_board_page_reads_in_a_fixed_number_of_queries(
    gansu, people, django_assert_max_num_queries
):
    recent_schedule(gansu)
    make_report(task(gansu, 8), unit("省发展改革委"), "2026H1", "accepted", "done")
    client = client_for(people["reviewer"])
    url = reverse("tasks:board", args=[gansu.pk])
    client.get(url)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


def test_a_lead_units_member_writes_and_submits_through_the_page(gansu, people, media_root):
    client = client_for(people["fgw"])
    url = report_url(task(gansu, 8), unit("省发展改革委"))
    assert client.get(url).status_code == 200
    response = client.post(url, report_post(attachments=[upload("现场.png", png())]))
    assert response.status_code == 302
    report = TaskReport.objects.get()
    # Written with its file by one save: version 1 (issue 22.9).
    assert (report.state, report.version, report.attachments.count()) == ("draft", 1, 1)
    response = client.post(url, report_post(version=1, action="submit"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == "submitted" and report.submitted_by == people["fgw"]


def test_a_renamed_or_oversized_file_is_refused_and_nothing_is_written(
    gansu, people, media_root, settings
):
    client = client_for(people["fgw"])
    url = report_url(task(gansu, 8), unit("省发展改革委"))
    response = client.post(url, report_post(attachments=[upload("报告.pdf", b"MZ\x90\x00program")]))
    assert response.status_code == 400
    assert "报告.pdf" in response.content.decode()
    settings.CERTTRACK_TASK_ATTACHMENT_MAX_MB = 0.01
    response = client.post(url, report_post(attachments=[upload("大.pdf", PDF + b"%" * 20_000)]))
    assert response.status_code == 400
    assert not TaskReport.objects.exists() and not TaskAttachment.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_a_stale_report_form_is_refused_with_409(gansu, people):
    client = client_for(people["fgw"])
    url = report_url(task(gansu, 8), unit("省发展改革委"))
    client.post(url, report_post(done="第一稿"))
    client.post(url, report_post(done="第二稿", version=1))
    response = client.post(url, report_post(done="旧页面", version=1))
    assert response.status_code == 409
    assert "fgw" in response.content.decode()
    assert TaskReport.objects.get().done == "第二稿"


@pytest.mark.parametrize("who", ["zhijian", "reviewer", "lanzhou_gov", "leader"])
def test_only_the_lead_units_members_may_post_its_report(gansu, people, who):
    response = client_for(people[who]).post(
        report_url(task(gansu, 8), unit("省发展改革委")), report_post()
    )
    assert response.status_code == 403
    assert not TaskReport.objects.exists()


def test_a_unit_that_does_not_lead_the_task_has_no_report_page(gansu, people):
    client = client_for(people["reviewer"])
    assert client.get(report_url(task(gansu, 1), unit("兰州市政府"))).status_code == 404
    assert client.get(report_url(task(gansu, 7), unit("省发展改革委"))).status_code == 404
    assert client.get(report_url(task(gansu, 8), unit("省发展改革委"), "2026Q1")).status_code == 404


def test_the_plans_reviewer_accepts_and_returns_through_the_page(gansu, people, submitted):
    url = reverse("tasks:review", args=[submitted.pk])
    leader = client_for(people["leader"])
    assert leader.post(url, {"action": "accept", "version": 1}).status_code == 403
    reviewer = client_for(people["reviewer"])
    page = reviewer.get(report_url(task(gansu, 8), unit("省发展改革委"))).content.decode()
    assert 'value="accept"' in page
    response = reviewer.post(url, {"action": "return", "version": 1, "comment": ""})
    assert response.status_code == 400
    response = reviewer.post(url, {"action": "return", "version": 1, "comment": "请补充"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert (submitted.state, submitted.review_comment) == ("returned", "请补充")
    assert TaskReportEvent.objects.filter(report=submitted, action="return").count() == 1


def test_csrf_is_required_for_every_write(gansu, people, submitted):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["reviewer"])
    response = client.post(
        reverse("tasks:review", args=[submitted.pk]), {"action": "accept", "version": 1}
    )
    assert response.status_code == 403
    assert TaskReport.objects.get().state == "submitted"


def test_attachments_are_served_only_to_those_who_may_read_the_report(gansu, people, submitted):
    attachment = submitted.attachments.get()
    url = reverse("tasks:attachment", args=[attachment.pk])
    for who in ("fgw", "reviewer", "lanzhou_gov", "leader"):
        response = client_for(people[who]).get(url)
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
    for who in ("beihai", "lanzhou_reviewer"):
        assert client_for(people[who]).get(url).status_code == 404, who
    # a draft's files are the unit's own
    TaskReport.objects.filter(pk=submitted.pk).update(state="draft")
    assert client_for(people["reviewer"]).get(url).status_code == 404
    assert client_for(people["fgw"]).get(url).status_code == 200


def test_the_data_has_a_row_per_task_and_lead_unit(gansu, people):
    recent_schedule(gansu)
    make_report(task(gansu, 8), unit("省发展改革委"), "2026H1", "accepted", "done")
    client = client_for(people["reviewer"])
    data = json.loads(client.get(reverse("tasks:board_data", args=[gansu.pk, "json"])).content)
    assert data["columns"][:10] == [
        "plan_id", "group", "task_number", "task_title", "lead_units", "responsible_units",
        "period", "status", "reported_at", "accepted",
    ]  # fmt: skip
    assert len(data["rows"]) == 27
    assert {r["task_number"] for r in data["rows"]} == set(range(1, 17))
    row = next(r for r in data["rows"] if r["task_number"] == 8)
    assert (row["group"], row["period"], row["status"], row["accepted"]) == (
        "三",
        "2026H1",
        "done",
        True,
    )
    assert row["unit"] == "省发展改革委" and row["lead_units"] == "省发展改革委"
    assert "各市州政府" in row["responsible_units"]
    sevens = [r for r in data["rows"] if r["task_number"] == 7]
    assert [(r["item"], r["unit"]) for r in sevens][:2] == [
        (1, "省农牧厅"),
        (1, "省食品药品监管局"),
    ]
    assert len(sevens) == 7
    csv_response = client.get(reverse("tasks:board_data", args=[gansu.pk, "csv"]))
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert len(rows) == 27 and rows[0]["plan_id"] == str(gansu.pk)


def test_the_csv_neutralises_text_a_spreadsheet_would_run(gansu, people):
    Unit.objects.filter(name_zh="省发展改革委").update(name_zh='=HYPERLINK("http://x")')
    Unit.objects.filter(name_zh="省质监局").update(name_zh="@SUM(A1)")
    response = client_for(people["reviewer"]).get(
        reverse("tasks:board_data", args=[gansu.pk, "csv"])
    )
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    units = {r["unit"] for r in rows}
    assert '\'=HYPERLINK("http://x")' in units and "'@SUM(A1)" in units
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_the_data_of_one_period_and_a_bad_period(gansu, people):
    client = client_for(people["reviewer"])
    url = reverse("tasks:board_data", args=[gansu.pk, "json"])
    data = json.loads(client.get(url, {"period": "2026H1"}).content)
    assert data["meta"]["period"] == "2026H1" and {r["period"] for r in data["rows"]} == {"2026H1"}
    assert client.get(url, {"period": "2026Q5"}).status_code == 400
    assert client.get(url, {"period": "2026Q1"}).status_code == 400  # quarters: not this plan's


def test_the_unit_page_and_the_task_page(gansu, people):
    client = client_for(people["lanzhou_gov"])
    page = client.get(reverse("tasks:unit", args=[unit("兰州市政府").pk]))
    assert page.status_code == 200 and len(page.context["page"].shared) == 18
    detail = client.get(reverse("tasks:task", args=[task(gansu, 7).pk]))
    assert detail.status_code == 200
    assert [i.task.number_label for i in detail.context["page"].items] == ["7.1", "7.2", "7.3"]


def test_my_tasks_lists_what_my_units_owe(gansu, people):
    recent_schedule(gansu)
    response = client_for(people["fgw"]).get(reverse("tasks:index"))
    assert response.status_code == 200
    # 3 items × 3 ended half-years (2025H1, 2025H2, 2026H1 as of the real today, ≥ 2026-07-01)
    assert len(response.context["due"]) >= 9
    assert report_url(task(gansu, 8), unit("省发展改革委"), "2025H1") in response.content.decode()


def test_the_plan_page_links_to_its_task_board(gansu, people):
    response = client_for(people["reviewer"]).get(
        reverse("indicators:plan_detail", args=[gansu.pk])
    )
    assert reverse("tasks:board", args=[gansu.pk]) in response.content.decode()
