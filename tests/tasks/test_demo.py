"""The demo reports: deterministic, labelled, in every state, with two demo unit users."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.urls import reverse

from tasks.models import TaskAttachment, TaskReport, TaskReportEvent, UnitMembership


def snapshot():
    return sorted(
        TaskReport.objects.values_list("task_id", "unit_id", "period", "state", "status", "version")
    )


def test_the_demo_has_reports_in_every_state_and_progress(demo):
    reports = TaskReport.objects.all()
    assert reports.exists() and all(r.is_demo for r in reports)
    assert {r.state for r in reports} == {"draft", "submitted", "accepted", "returned"}
    assert {r.status for r in reports} == {"not_started", "in_progress", "done", "delayed"}
    # end 2026Q3: the current half-year is 2026H2, the three before it ended
    assert set(Counter(r.period for r in reports)) == {"2025H1", "2025H2", "2026H1", "2026H2"}
    assert all(r.done.startswith("【演示】") or r.problems.startswith("【演示】") for r in reports)
    for report in reports:
        assert report.events.count() == report.version  # every step audited


def test_the_demo_unit_users_sign_in_and_belong_to_their_units(demo, settings):
    password = settings.CERTTRACK["DEMO_PASSWORD"]
    for username, unit in (
        ("official_fgw", "省发展改革委"),
        ("official_lanzhou_gov", "兰州市政府"),
    ):
        user = authenticate(username=username, password=password)
        assert user is not None
        assert [m.unit.name_zh for m in UnitMembership.objects.filter(user=user)] == [unit]


def test_seeding_again_replaces_the_demo_reports_and_their_files(demo, settings):
    before = snapshot()
    files = sorted(TaskAttachment.objects.values_list("original_name", flat=True))
    assert files  # the demo unit's submitted reports carry a PDF
    call_command("seed_demo", end="2026Q3", verbosity=0)
    assert snapshot() == before
    assert sorted(TaskAttachment.objects.values_list("original_name", flat=True)) == files
    stored = [p for p in settings.CERTTRACK_MEDIA_ROOT.rglob("*") if p.is_file()]
    assert len(stored) == len(files)
    assert TaskReportEvent.objects.filter(report__is_demo=False).count() == 0


def _report_page(client, report, lang):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
    url = reverse("tasks:report", args=[report.task_id, report.unit_id, report.period])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_english_pages_show_the_demo_texts_in_english(demo, client, settings):
    # docs/glossary.md: one language per page; the stored texts stay Chinese.
    assert client.login(username="admin", password=settings.CERTTRACK["DEMO_PASSWORD"])
    returned = TaskReport.objects.filter(state="returned", status="delayed").first()
    not_started = TaskReport.objects.filter(status="not_started").first()
    for report in (returned, not_started):
        zh = _report_page(client, report, "zh-hans")
        en = _report_page(client, report, "en")
        texts = [t for t in (report.done, report.problems, report.next_steps) if t]
        assert all(t in zh for t in texts)
        assert "【演示】" not in en and "[Demo]" in en
        assert not any(t in en for t in texts)
    assert "Please add why the work is behind" in _report_page(client, returned, "en")
    # A demo report edited since the seed shows the unit's own words.
    returned.done = "已完成第一批企业培训。"
    returned.save(update_fields=["done"])
    assert "已完成第一批企业培训。" in _report_page(client, returned, "en")
    assert not TaskAttachment.objects.filter(original_name__regex="[\u4e00-\u9fff]").exists()
