"""Every write to progress reports: save (draft or submit, with attachments), accept, return,
reopen, remove an attachment.

Each service checks permissions through ``tasks.selectors.task_access_for``, validates
everything before writing, writes in one transaction and records a ``TaskReportEvent`` for
every change. A report's ``version`` rises at every write; the caller passes the version its
form showed (``None`` for a report not yet written) and a save made on a stale form changes
nothing and raises :class:`StaleReport`, saying who changed the report meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks.attachments import CheckedFile, check_attachment, read_upload
from tasks.models import (
    Task,
    TaskAttachment,
    TaskReport,
    TaskReportEvent,
    TaskUnit,
    Unit,
    attachment_storage,
)
from tasks.periods import KINDS, ReportPeriod
from tasks.selectors.access import task_access_for
from tasks.selectors.schedules import schedule_for

State = TaskReport.State
Status = TaskReport.Status
A = TaskReportEvent.Action

MAX_TEXT = 5000  # characters per text field of a report
MAX_ATTACHMENTS = 10  # files per report


class StaleReport(Exception):
    """The form showed an older version: someone changed the report in between."""

    def __init__(self, current: TaskReport | None, expected_version: int | None):
        self.current = current
        self.expected_version = expected_version
        super().__init__(self.message)

    @property
    def message(self) -> str:
        current = self.current
        if current is None:
            return _("The report was changed meanwhile; reload the page and try again.")
        who = current.updated_by
        if current.reviewed_at and current.reviewed_at >= current.updated_at:
            who = current.reviewed_by or who
        return _(
            "This report was changed by %(who)s meanwhile: it is now %(state)s (%(status)s, "
            "version %(version)s). Your changes were not saved; review them and try again."
        ) % {
            "who": who.get_username() if who else _("someone"),
            "state": current.get_state_display(),
            "status": current.get_status_display(),
            "version": current.version,
        }


# --- checks -----------------------------------------------------------------------------------


def _check_reporter(user, task: Task, unit: Unit) -> None:
    access = task_access_for(user)
    if not access.can_view_plan(task.plan):
        raise PermissionDenied(_("This task is not in your scope."))
    if task.items.exists():
        raise ValidationError(
            _("Task %(task)s is reported on paragraph by paragraph.") % {"task": task.number_label}
        )
    if not TaskUnit.objects.filter(task=task, unit=unit, role=TaskUnit.Role.LEAD).exists():
        raise PermissionDenied(
            _("%(unit)s is not a lead unit of task %(task)s; only lead units report on it.")
            % {"unit": unit.name, "task": task.number_label}
        )
    if not access.can_report_for(unit):
        raise PermissionDenied(
            _("You do not belong to %(unit)s and may not report for it.") % {"unit": unit.name}
        )


def _check_period(task: Task, period: ReportPeriod, today: dt.date) -> None:
    schedule = schedule_for(task.plan)
    if not schedule.contains(period):
        raise ValidationError(
            _("%(period)s is not a reporting period of this plan (%(first)s onwards, by %(kind)s).")
            % {
                "period": period,
                "first": schedule.first,
                "kind": KINDS[schedule.kind][1],
            },
            code="period",
        )
    if period.start > today:
        raise ValidationError(
            _("%(period)s has not begun yet; it can be reported from %(start)s.")
            % {"period": period, "start": period.start.isoformat()},
            code="future",
        )


def _clean_text(name: str, value: str, errors: dict) -> str:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        errors.setdefault(name, []).append(
            _("At most %(max)s characters (this has %(n)s).") % {"max": MAX_TEXT, "n": len(value)}
        )
    return value


def _clean_report(
    *, status: str, done: str, problems: str, next_steps: str, submit: bool
) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    if status not in Status.values:
        errors["status"] = [_("Choose the progress of the task.")]
    fields = {
        "status": status,
        "done": _clean_text("done", done, errors),
        "problems": _clean_text("problems", problems, errors),
        "next_steps": _clean_text("next_steps", next_steps, errors),
    }
    if submit and not errors:
        if status != Status.NOT_STARTED and not fields["done"]:
            errors["done"] = [_("Say what was done before submitting.")]
        if status == Status.DELAYED and not fields["problems"]:
            errors["problems"] = [_("A delayed task needs its problems stated before submitting.")]
    if errors:
        raise ValidationError(errors)
    return fields


def check_files(files: Sequence) -> list[CheckedFile]:
    """Every uploaded file checked (type by content, size); ValidationError naming each bad
    one. Nothing is stored."""
    checked, errors = [], []
    for upload in files:
        try:
            data = read_upload(upload)
            checked.append(
                check_attachment(name=upload.name, data=data, size=getattr(upload, "size", None))
            )
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"attachments": errors})
    return checked


# --- writing ---------------------------------------------------------------------------------


def _event(report: TaskReport, *, action, user, now, old_state="", old_status="", **extra):
    return TaskReportEvent.objects.create(
        report=report,
        action=action,
        user=user,
        at=now,
        old_state=old_state,
        new_state=report.state,
        old_status=old_status,
        new_status=report.status,
        version=report.version,
        **extra,
    )


def _bump(report: TaskReport, expected_version: int, **fields) -> None:
    """Conditional UPDATE on the version; StaleReport if someone got there first."""
    updated = TaskReport.objects.filter(pk=report.pk, version=expected_version).update(
        version=F("version") + 1, **fields
    )
    if updated != 1:
        raise StaleReport(TaskReport.objects.filter(pk=report.pk).first(), expected_version)
    for name, value in fields.items():
        setattr(report, name, value)
    report.version = expected_version + 1


def _locked(task: Task, unit: Unit, period: ReportPeriod) -> TaskReport | None:
    return (
        TaskReport.objects.select_for_update(of=("self",))
        .filter(task=task, unit=unit, period=str(period))
        .select_related("updated_by", "reviewed_by")
        .first()
    )


def _check_version(report: TaskReport | None, expected_version: int | None) -> None:
    if (report.version if report else None) != expected_version:
        raise StaleReport(report, expected_version)


def _write(report: TaskReport, written: set, **fields) -> None:
    """Write ``fields``: the first write of a save raises the version, the later ones of the
    same save do not (one save, one version; issue 22.9). The report is locked."""
    if report.pk in written:
        TaskReport.objects.filter(pk=report.pk, version=report.version).update(**fields)
        for name, value in fields.items():
            setattr(report, name, value)
    else:
        _bump(report, report.version, **fields)
        written.add(report.pk)


def _store_files(
    report: TaskReport,
    files: list[CheckedFile],
    *,
    user,
    now,
    stored: list,
    written: set | None = None,
) -> None:
    storage = attachment_storage()
    for checked in files:
        name = storage.save(
            TaskAttachment.storage_name(plan_id=report.task.plan_id, extension=checked.kind.code),
            ContentFile(checked.data),
        )
        stored.append(name)
        TaskAttachment.objects.create(
            report=report,
            file=name,
            original_name=checked.name,
            file_type=checked.kind.code,
            content_type=checked.kind.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=user,
            uploaded_at=now,
        )
        _write(report, set() if written is None else written, updated_by=user, updated_at=now)
        _event(
            report,
            action=A.ATTACH,
            user=user,
            now=now,
            old_state=report.state,
            old_status=report.status,
            file_name=checked.name,
        )


def task_report_save(
    *,
    user,
    task: Task,
    unit: Unit,
    period: ReportPeriod,
    status: str,
    done: str = "",
    problems: str = "",
    next_steps: str = "",
    expected_version: int | None,
    submit: bool = False,
    files: Sequence = (),
    today: dt.date | None = None,
) -> TaskReport:
    """Write a lead unit's report on ``task`` for ``period`` as a draft, or submit it; attach
    ``files`` (uploaded files, each checked by content and size).

    Only members of a lead unit may, for a period that has begun and lies in the plan's
    schedule; submitted and accepted reports are locked until a reviewer returns or reopens
    them. Submitting needs what was done (unless not started), and the problems of a delayed
    task. Raises PermissionDenied, ValidationError (by field) or StaleReport; writes nothing
    then (no file is left behind either).
    """
    today = today or timezone.localdate()
    _check_reporter(user, task, unit)
    _check_period(task, period, today)
    fields = _clean_report(
        status=status, done=done, problems=problems, next_steps=next_steps, submit=submit
    )
    checked = check_files(files)
    stored: list[str] = []
    try:
        with transaction.atomic():
            report = _locked(task, unit, period)
            _check_version(report, expected_version)
            if report is not None and not report.is_editable:
                raise ValidationError(
                    _("This report is %(state)s and locked; a reviewer must return it first.")
                    % {"state": report.get_state_display()},
                    code="locked",
                )
            existing = report.attachments.count() if report else 0
            if existing + len(checked) > MAX_ATTACHMENTS:
                raise ValidationError(
                    {
                        "attachments": [
                            _("A report may have at most %(n)s attachments.")
                            % {"n": MAX_ATTACHMENTS}
                        ]
                    }
                )
            now = timezone.now()
            written: set[int] = set()  # reports this save has written: one version per save
            if report is None:
                report = _create(task, unit, period, fields, user=user, now=now)
                written.add(report.pk)
            elif any(getattr(report, k) != v for k, v in fields.items()):
                old_status = report.status
                _write(report, written, updated_by=user, updated_at=now, **fields)
                _event(
                    report,
                    action=A.UPDATE,
                    user=user,
                    now=now,
                    old_state=report.state,
                    old_status=old_status,
                )
            _store_files(report, checked, user=user, now=now, stored=stored, written=written)
            if submit:
                old_state = report.state
                # A new round: the previous review (reviewer, time, comment) stays in the
                # history only, so the report's page shows the current round (issue 22.9).
                _write(
                    report,
                    written,
                    state=State.SUBMITTED,
                    submitted_by=user,
                    submitted_at=now,
                    updated_by=user,
                    updated_at=now,
                    reviewed_by=None,
                    reviewed_at=None,
                    review_comment="",
                )
                _event(
                    report,
                    action=A.SUBMIT,
                    user=user,
                    now=now,
                    old_state=old_state,
                    old_status=report.status,
                )
    except BaseException:
        storage = attachment_storage()
        for name in stored:  # the transaction rolled back: no row points at these files
            storage.delete(name)
        raise
    return report


def _create(task, unit, period, fields, *, user, now) -> TaskReport:
    report = TaskReport(
        task=task,
        unit=unit,
        period=str(period),
        state=State.DRAFT,
        created_at=now,
        updated_by=user,
        updated_at=now,
        version=1,
        **fields,
    )
    report.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as exc:  # written by someone else since we looked
        current = TaskReport.objects.filter(task=task, unit=unit, period=str(period)).first()
        raise StaleReport(current, None) from exc
    _event(report, action=A.CREATE, user=user, now=now)
    return report


def _review(
    *,
    user,
    report: TaskReport,
    expected_version: int,
    from_state: str,
    to_state: str,
    action: str,
    comment: str,
    comment_required: bool,
) -> TaskReport:
    access = task_access_for(user)
    plan = report.task.plan
    if not access.can_view_plan(plan):
        raise PermissionDenied(_("This task is not in your scope."))
    if not access.can_review_plan(plan):
        raise PermissionDenied(
            _("Only a reviewer of %(region)s may accept or return these reports.")
            % {"region": plan.region.name if plan.region else _("the whole country")}
        )
    comment = (comment or "").strip()
    if comment_required and not comment:
        raise ValidationError(
            {"comment": [_("Give the reason, so that the unit knows what to do.")]}
        )
    if len(comment) > MAX_TEXT:
        raise ValidationError({"comment": [_("At most %(max)s characters.") % {"max": MAX_TEXT}]})
    with transaction.atomic():
        locked = _locked(report.task, report.unit, report.report_period)
        _check_version(locked, expected_version)
        if locked.state != from_state:
            raise ValidationError(
                _("This report is %(state)s; there is nothing to decide.")
                % {"state": locked.get_state_display()},
                code="state",
            )
        now = timezone.now()
        _bump(
            locked,
            expected_version,
            state=to_state,
            reviewed_by=user,
            reviewed_at=now,
            review_comment=comment,
        )
        _event(
            locked,
            action=action,
            user=user,
            now=now,
            old_state=from_state,
            old_status=locked.status,
            comment=comment,
        )
    return locked


def task_report_accept(*, user, report: TaskReport, expected_version: int, comment: str = ""):
    """The plan's owner accepts a submitted report (it stays locked)."""
    return _review(
        user=user,
        report=report,
        expected_version=expected_version,
        from_state=State.SUBMITTED,
        to_state=State.ACCEPTED,
        action=A.ACCEPT,
        comment=comment,
        comment_required=False,
    )


def task_report_return(*, user, report: TaskReport, expected_version: int, comment: str):
    """The plan's owner returns a submitted report to its unit, with the reason."""
    return _review(
        user=user,
        report=report,
        expected_version=expected_version,
        from_state=State.SUBMITTED,
        to_state=State.RETURNED,
        action=A.RETURN,
        comment=comment,
        comment_required=True,
    )


def task_report_reopen(*, user, report: TaskReport, expected_version: int, comment: str):
    """The plan's owner reopens an accepted report (returned to its unit), with the reason."""
    return _review(
        user=user,
        report=report,
        expected_version=expected_version,
        from_state=State.ACCEPTED,
        to_state=State.RETURNED,
        action=A.REOPEN,
        comment=comment,
        comment_required=True,
    )


def task_attachment_delete(
    *, user, attachment: TaskAttachment, expected_version: int
) -> TaskReport:
    """Remove a file from a report the unit may still edit; the file goes once committed."""
    report = attachment.report
    _check_reporter(user, report.task, report.unit)
    with transaction.atomic():
        locked = _locked(report.task, report.unit, report.report_period)
        _check_version(locked, expected_version)
        if not locked.is_editable:
            raise ValidationError(
                _("This report is %(state)s and locked; a reviewer must return it first.")
                % {"state": locked.get_state_display()},
                code="locked",
            )
        now = timezone.now()
        name, stored = attachment.original_name, attachment.file.name
        attachment.delete()
        _bump(locked, expected_version, updated_by=user, updated_at=now)
        _event(
            locked,
            action=A.DETACH,
            user=user,
            now=now,
            old_state=locked.state,
            old_status=locked.status,
            file_name=name,
        )
        transaction.on_commit(lambda: attachment_storage().delete(stored))
    return locked
