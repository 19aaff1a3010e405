"""The report workflow: who writes, what a submission needs, review, stale forms, attachments,
and the audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tasks import services
from tasks.models import TaskAttachment, TaskReport, TaskReportEvent
from tasks.periods import ReportPeriod
from tasks.services import (
    StaleReport,
    task_attachment_delete,
    task_report_accept,
    task_report_reopen,
    task_report_return,
    task_report_save,
)
from tests.tasks.conftest import PDF, TODAY, png, task, unit, upload

State = TaskReport.State
Status = TaskReport.Status
A = TaskReportEvent.Action
H1 = ReportPeriod.parse("2026H1")


def save(user, t, u, *, period=H1, status=Status.IN_PROGRESS, done="开展培训", version=None, **kw):
    return task_report_save(
        user=user,
        task=t,
        unit=u,
        period=period,
        status=status,
        done=done,
        expected_version=version,
        today=TODAY,
        **kw,
    )


def actions(report):
    return list(report.events.order_by("id").values_list("action", "version"))


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_lead_units_member_saves_a_draft_then_submits_it(gansu, people):
    fgw, t8, unit_fgw = people["fgw"], task(gansu, 8), unit("省发展改革委")
    draft = save(fgw, t8, unit_fgw, next_steps="继续")
    assert (draft.state, draft.version, draft.period) == (State.DRAFT, 1, "2026H1")
    submitted = save(fgw, t8, unit_fgw, next_steps="继续", version=1, submit=True)
    assert submitted.pk == draft.pk
    assert (submitted.state, submitted.version) == (State.SUBMITTED, 2)
    stored = TaskReport.objects.get(pk=draft.pk)
    assert (stored.submitted_by, stored.done, stored.next_steps) == (fgw, "开展培训", "继续")
    assert actions(stored) == [(A.CREATE, 1), (A.SUBMIT, 2)]


def test_submitting_needs_what_was_done_and_the_problems_of_a_delayed_task(gansu, people):
    fgw, t8, u = people["fgw"], task(gansu, 8), unit("省发展改革委")
    with pytest.raises(ValidationError) as no_done:
        save(fgw, t8, u, done="", submit=True)
    assert "done" in no_done.value.message_dict
    with pytest.raises(ValidationError) as no_problems:
        save(fgw, t8, u, status=Status.DELAYED, submit=True)
    assert "problems" in no_problems.value.message_dict
    with pytest.raises(ValidationError):
        save(fgw, t8, u, status="finished")  # not a status
    assert not TaskReport.objects.exists()
    not_started = save(fgw, t8, u, status=Status.NOT_STARTED, done="", submit=True)
    assert not_started.state == State.SUBMITTED  # nothing done yet is a fair report


@pytest.mark.parametrize(
    "who, task_number, unit_name",
    [
        ("zhijian", 8, "省发展改革委"),  # a member of another unit
        ("zhijian", 8, "省质监局"),  # 省质监局 does not lead task 8
        ("lanzhou_gov", 1, "兰州市政府"),  # responsible (via 各市州政府), not a lead unit
        ("lanzhou_gov", 1, "各市州政府"),
        ("reviewer", 8, "省发展改革委"),  # the plan's owner reviews, never reports
        ("leader", 8, "省发展改革委"),
        ("beihai", 8, "省发展改革委"),  # another province
    ],
)
def test_only_members_of_a_lead_unit_report_for_it(gansu, people, who, task_number, unit_name):
    with pytest.raises(PermissionDenied):
        save(people[who], task(gansu, task_number), unit(unit_name))
    assert not TaskReport.objects.exists() and not TaskReportEvent.objects.exists()


def test_a_task_with_paragraphs_is_reported_paragraph_by_paragraph(gansu, people):
    with pytest.raises(ValidationError):
        save(people["fgw"], task(gansu, 7), unit("省发展改革委"))
    assert save(people["fgw"], task(gansu, 7, 3), unit("省发展改革委")).task.number_label == "7.3"


@pytest.mark.parametrize(
    "period, code",
    [("2027H1", "future"), ("2018H1", "period"), ("2026Q1", "period"), ("2026", "period")],
)
def test_periods_outside_the_schedule_or_not_begun_are_refused(gansu, people, period, code):
    with pytest.raises(ValidationError) as info:
        save(people["fgw"], task(gansu, 8), unit("省发展改革委"), period=ReportPeriod.parse(period))
    assert info.value.code == code
    assert not TaskReport.objects.exists()


def test_the_current_period_may_be_reported_before_it_ends(gansu, people):
    current = ReportPeriod.parse("2026H2")  # TODAY is 2026-11-30
    report = save(people["fgw"], task(gansu, 8), unit("省发展改革委"), period=current)
    assert report.period == "2026H2"


def test_a_save_on_a_stale_form_changes_nothing_and_says_who_changed_it(gansu, people):
    fgw, t8, u = people["fgw"], task(gansu, 8), unit("省发展改革委")
    save(fgw, t8, u, done="第一稿")
    save(fgw, t8, u, done="第二稿", version=1)
    with pytest.raises(StaleReport) as info:
        save(fgw, t8, u, done="旧页面", version=1)
    assert "fgw" in info.value.message and "2" in info.value.message
    with pytest.raises(StaleReport):
        save(fgw, t8, u, done="新建", version=None)  # a new-report form, but one exists
    stored = TaskReport.objects.get()
    assert (stored.done, stored.version) == ("第二稿", 2)


def test_a_submitted_or_accepted_report_is_locked_for_the_unit(gansu, people):
    fgw, t8, u = people["fgw"], task(gansu, 8), unit("省发展改革委")
    report = save(fgw, t8, u, submit=True)
    with pytest.raises(ValidationError) as info:
        save(fgw, t8, u, done="改", version=report.version)
    assert info.value.code == "locked"


def test_the_owner_accepts_returns_with_a_reason_and_reopens(gansu, people):
    fgw, rev, t8, u = people["fgw"], people["reviewer"], task(gansu, 8), unit("省发展改革委")
    # One version per save (issue 22.9): written and submitted by one save, v1.
    report = save(fgw, t8, u, submit=True)  # v1
    with pytest.raises(ValidationError) as no_reason:
        task_report_return(user=rev, report=report, expected_version=1, comment="  ")
    assert "comment" in no_reason.value.message_dict
    returned = task_report_return(user=rev, report=report, expected_version=1, comment="补充数据")
    assert (returned.state, returned.review_comment, returned.reviewed_by) == (
        State.RETURNED,
        "补充数据",
        rev,
    )
    again = save(fgw, t8, u, done="已补充", version=2, submit=True)  # v3: update and submit
    assert (again.state, again.version) == (State.SUBMITTED, 3)
    # The resubmitted report shows the current round: the return's reviewer, time and
    # comment are in the history only (issue 22.9).
    assert (again.reviewed_by, again.reviewed_at, again.review_comment) == (None, None, "")
    assert again.events.get(action=A.RETURN).comment == "补充数据"
    accepted = task_report_accept(user=rev, report=again, expected_version=3)
    assert accepted.state == State.ACCEPTED
    with pytest.raises(ValidationError):
        task_report_reopen(user=rev, report=accepted, expected_version=4, comment="")
    reopened = task_report_reopen(user=rev, report=accepted, expected_version=4, comment="数据有误")
    assert reopened.state == State.RETURNED
    assert actions(reopened) == [
        (A.CREATE, 1), (A.SUBMIT, 1), (A.RETURN, 2), (A.UPDATE, 3), (A.SUBMIT, 3),
        (A.ACCEPT, 4), (A.REOPEN, 5),
    ]  # fmt: skip
    event = reopened.events.get(action=A.REOPEN)
    assert (event.user, event.old_state, event.new_state, event.comment) == (
        rev,
        State.ACCEPTED,
        State.RETURNED,
        "数据有误",
    )


@pytest.mark.parametrize("who", ["lanzhou_reviewer", "beihai", "leader", "fgw", "zhijian"])
def test_only_a_reviewer_of_the_plans_region_accepts_or_returns(gansu, people, who):
    report = save(people["fgw"], task(gansu, 8), unit("省发展改革委"), submit=True)
    with pytest.raises(PermissionDenied):
        task_report_accept(user=people[who], report=report, expected_version=1)
    with pytest.raises(PermissionDenied):
        task_report_return(user=people[who], report=report, expected_version=1, comment="x")
    assert TaskReport.objects.get().state == State.SUBMITTED


def test_a_draft_cannot_be_accepted_and_a_stale_decision_is_refused(gansu, people):
    rev = people["reviewer"]
    report = save(people["fgw"], task(gansu, 8), unit("省发展改革委"))
    with pytest.raises(ValidationError):
        task_report_accept(user=rev, report=report, expected_version=1)
    report = save(people["fgw"], task(gansu, 8), unit("省发展改革委"), version=1, submit=True)
    with pytest.raises(StaleReport):
        task_report_accept(user=rev, report=report, expected_version=1)
    assert TaskReport.objects.get().state == State.SUBMITTED


def test_attachments_are_stored_outside_the_web_root_under_random_names(gansu, people, media_root):
    files = [upload("进展材料.pdf", PDF), upload("现场.png", png())]
    report = save(people["fgw"], task(gansu, 8), unit("省发展改革委"), files=files)
    attachments = list(report.attachments.order_by("id"))
    assert [a.original_name for a in attachments] == ["进展材料.pdf", "现场.png"]
    assert [a.file_type for a in attachments] == ["pdf", "png"]
    paths = stored_files(media_root)
    assert len(paths) == 2
    assert all("进展" not in str(p) and "现场" not in str(p) for p in paths)
    assert {p.read_bytes() for p in paths} == {PDF, png()}
    # One save, one version (issue 22.9): the report and both files are version 1.
    assert actions(report) == [(A.CREATE, 1), (A.ATTACH, 1), (A.ATTACH, 1)]
    assert report.version == 1


def test_a_bad_file_among_good_ones_stores_nothing(gansu, people, media_root):
    files = [upload("进展材料.pdf", PDF), upload("报表.xlsx", b"MZ\x90\x00 renamed program")]
    with pytest.raises(ValidationError) as info:
        save(people["fgw"], task(gansu, 8), unit("省发展改革委"), files=files)
    assert "报表.xlsx" in " ".join(info.value.message_dict["attachments"])
    assert not TaskReport.objects.exists() and not TaskAttachment.objects.exists()
    assert stored_files(media_root) == []


def test_an_oversized_file_stores_nothing(gansu, people, media_root, settings):
    settings.CERTTRACK_TASK_ATTACHMENT_MAX_MB = 0.01  # 10,485 bytes
    with pytest.raises(ValidationError):
        save(
            people["fgw"],
            task(gansu, 8),
            unit("省发展改革委"),
            files=[upload("大.pdf", PDF + b"%" * 20_000)],
        )
    assert not TaskReport.objects.exists() and stored_files(media_root) == []


def test_files_written_before_a_failure_are_removed_again(gansu, people, media_root, monkeypatch):
    real_event = services._event

    def failing_event(report, *, action, **kwargs):
        if action == A.SUBMIT:
            raise RuntimeError("database went away")
        return real_event(report, action=action, **kwargs)

    monkeypatch.setattr(services, "_event", failing_event)
    with pytest.raises(RuntimeError):
        save(
            people["fgw"],
            task(gansu, 8),
            unit("省发展改革委"),
            files=[upload("a.pdf", PDF)],
            submit=True,
        )
    assert not TaskReport.objects.exists() and stored_files(media_root) == []


def test_a_report_holds_at_most_ten_attachments(gansu, people):
    files = [upload(f"{i}.pdf", PDF) for i in range(11)]
    with pytest.raises(ValidationError) as info:
        save(people["fgw"], task(gansu, 8), unit("省发展改革委"), files=files)
    assert "attachments" in info.value.message_dict


def test_removing_an_attachment_is_audited_and_the_file_goes_on_commit(
    gansu, people, media_root, django_capture_on_commit_callbacks
):
    fgw = people["fgw"]
    report = save(fgw, task(gansu, 8), unit("省发展改革委"), files=[upload("a.pdf", PDF)])
    attachment = report.attachments.get()
    with django_capture_on_commit_callbacks(execute=True):
        after = task_attachment_delete(user=fgw, attachment=attachment, expected_version=1)
    assert after.version == 2 and not TaskAttachment.objects.exists()
    assert stored_files(media_root) == []
    assert actions(after)[-1] == (A.DETACH, 2)
    assert after.events.get(action=A.DETACH).file_name == "a.pdf"


def test_an_attachment_of_a_submitted_report_cannot_be_removed(gansu, people):
    fgw = people["fgw"]
    report = save(
        fgw, task(gansu, 8), unit("省发展改革委"), files=[upload("a.pdf", PDF)], submit=True
    )
    with pytest.raises(ValidationError):
        task_attachment_delete(
            user=fgw, attachment=report.attachments.get(), expected_version=report.version
        )
    with pytest.raises(PermissionDenied):
        task_attachment_delete(
            user=people["zhijian"], attachment=report.attachments.get(), expected_version=3
        )
    assert TaskAttachment.objects.count() == 1
