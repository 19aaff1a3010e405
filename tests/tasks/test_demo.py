"""The demo reports: deterministic, labelled, in every state, with two demo unit users."""

from __future__ import annotations

from collections import Counter

from django.contrib.auth import authenticate
from django.core.management import call_command

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
