"""Pages and endpoints of tasks: views parse input, call one selector or service, and answer.

Every view goes through ``tasks.selectors.task_access_for``: a plan, task, unit, report or
attachment outside the user's scope is a 404 (its existence is not confirmed); an action the
user may not take on something they may see is a 403.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from certtrack.params import BadParameter
from indicators.models import Plan
from tasks.datasets import tasks_dataset
from tasks.filters import TaskBoardFilterSet
from tasks.forms import ACCEPT, REOPEN, RETURN, SUBMIT, ReviewForm, TaskReportForm, VersionForm
from tasks.models import Task, TaskAttachment, TaskReport, TaskUnit, Unit, UnitMembership
from tasks.periods import ReportPeriod
from tasks.selectors._common import lead_links
from tasks.selectors.access import task_access_for, task_plans_visible_to
from tasks.selectors.board import task_board
from tasks.selectors.due import task_reports_awaiting_review, task_reports_due
from tasks.selectors.pages import report_page, task_page, unit_page
from tasks.selectors.rows import task_rows
from tasks.selectors.schedules import schedule_for
from tasks.services import (
    StaleReport,
    task_attachment_delete,
    task_report_accept,
    task_report_reopen,
    task_report_return,
    task_report_save,
)


def _today():
    return timezone.localdate()


def _plan_or_404(request: HttpRequest, plan_id: int) -> Plan:
    plan = get_object_or_404(Plan.objects.select_related("region"), pk=plan_id)
    if not task_access_for(request.user).can_view_plan(plan):
        raise Http404(_("No such plan in your scope."))
    return plan


def _task_or_404(request: HttpRequest, task_id: int) -> Task:
    task = get_object_or_404(
        Task.objects.select_related("plan__region", "group", "parent"), pk=task_id
    )
    if not task_access_for(request.user).can_view_plan(task.plan):
        raise Http404(_("No such task in your scope."))
    return task


def report_url(task: Task, unit: Unit, period) -> str:
    return reverse("tasks:report", args=[task.pk, unit.pk, str(period)])


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """My tasks: the reports my units owe, the reports awaiting my review, the plans' boards."""
    today = _today()
    units = [
        m.unit for m in UnitMembership.objects.filter(user=request.user).select_related("unit")
    ]
    return render(
        request,
        "tasks/index.html",
        {
            "plans": task_plans_visible_to(request.user),
            "due": task_reports_due(request.user, today),
            "awaiting": task_reports_awaiting_review(request.user),
            "my_units": units,
            "today": today,
        },
    )


@require_GET
def board(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan's task board: tasks by group, lead units, latest reports, overdue flags."""
    plan = _plan_or_404(request, plan_id)
    today = _today()
    filterset = TaskBoardFilterSet(
        request.GET or None, queryset=lead_links(plan), plan=plan, today=today
    )
    valid = not filterset.is_bound or filterset.is_valid()
    links = filterset.qs if valid else lead_links(plan)
    context = {
        "plan": plan,
        "board": task_board(plan=plan, user=request.user, today=today, links=links),
        "filter": filterset,
        "filtered": valid and filterset.is_bound and filterset.is_filtered,
        "data": {fmt: reverse("tasks:board_data", args=[plan.pk, fmt]) for fmt in ("json", "csv")},
    }
    return render(request, "tasks/board.html", context, status=200 if valid else 400)


@require_GET
def board_data(request: HttpRequest, plan_id: int, fmt: str) -> HttpResponse:
    """``/plans/<id>/tasks.json`` and ``.csv``: one row per reportable task and lead unit, with
    its latest report (or that of ``?period=2026H1``). docs/api.md."""
    plan = _plan_or_404(request, plan_id)
    schedule = schedule_for(plan)
    period = None
    if request.GET.get("period"):
        try:
            period = ReportPeriod.parse(request.GET["period"], kind=schedule.kind)
        except ValueError:
            raise BadParameter(
                "period",
                request.GET["period"],
                _("“%(value)s” is not a reporting period of this plan (e.g. %(example)s).")
                % {"value": request.GET["period"][:20], "example": schedule.current(_today())},
            ) from None
    today = _today()
    meta = {"plan": plan.pk, "period": str(period) if period else "latest"}
    meta |= {"period_kind": schedule.kind, "today": today.isoformat()}
    dataset = tasks_dataset(task_rows(plan=plan, today=today, period=period), meta=meta)
    if fmt == "csv":
        response = HttpResponse(dataset.as_csv(), content_type="text/csv; charset=utf-8")
        name = f"certtrack-plan{plan.pk}-tasks-{meta['period']}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return JsonResponse(dataset.as_json(), json_dumps_params={"ensure_ascii": False})


@require_GET
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """A numbered task: its text, units (collectives expanded) and every report by period."""
    task = _task_or_404(request, task_id)
    page = task_page(task=task, user=request.user, today=_today())
    return render(request, "tasks/task_detail.html", {"page": page, "plan": task.plan})


def _report_target(request, task_id: int, unit_id: int, period: str):
    task = _task_or_404(request, task_id)
    unit = get_object_or_404(Unit, pk=unit_id)
    if (
        task.items.exists()
        or not TaskUnit.objects.filter(task=task, unit=unit, role=TaskUnit.Role.LEAD).exists()
    ):
        raise Http404(_("This unit does not report on this task."))
    try:
        parsed = ReportPeriod.parse(period, kind=schedule_for(task.plan).kind)
    except ValueError as exc:
        raise Http404(_("No such reporting period.")) from exc
    return task, unit, parsed


def _render_report(request, task, unit, period, *, form=None, review_form=None, status=200):
    page = report_page(task=task, unit=unit, period=period, user=request.user, today=_today())
    if form is None:
        form = TaskReportForm(report=page.report)
    if not page.can_edit:
        form.disable()
    if review_form is None and page.report is not None:
        review_form = ReviewForm(initial={"version": page.report.version})
    return render(
        request,
        "tasks/report.html",
        {
            "page": page,
            "plan": task.plan,
            "form": form,
            "review_form": review_form,
            "max_mb": f"{settings.CERTTRACK_TASK_ATTACHMENT_MAX_MB:g}",
            "version_form": VersionForm(initial={"version": page.report.version})
            if page.report
            else None,
        },
        status=status,
    )


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(key if key in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, task_id: int, unit_id: int, period: str) -> HttpResponse:
    """A lead unit's report on a task for a period: the unit writes and submits it here, the
    plan's owner reads it and decides (the decision posts to :func:`report_review`)."""
    task, unit, parsed = _report_target(request, task_id, unit_id, period)
    if request.method != "POST":
        return _render_report(request, task, unit, parsed)
    if not task_access_for(request.user).can_report_for(unit):
        raise PermissionDenied(
            _("You do not belong to %(unit)s and may not report for it.") % {"unit": unit.name}
        )
    form = TaskReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_report(request, task, unit, parsed, form=form, status=400)
    data = form.cleaned_data
    submit = data["action"] == SUBMIT
    try:
        task_report_save(
            user=request.user,
            task=task,
            unit=unit,
            period=parsed,
            status=data["status"],
            done=data["done"],
            problems=data["problems"],
            next_steps=data["next_steps"],
            expected_version=data["version"],
            submit=submit,
            files=data["attachments"],
        )
    except StaleReport as exc:
        form.add_error(None, exc.message)
        return _render_report(
            request, task, unit, parsed, form=_with_version(form, exc), status=409
        )
    except ValidationError as exc:
        _form_errors(form, exc)
        return _render_report(request, task, unit, parsed, form=form, status=400)
    if submit:
        messages.success(request, _("Report submitted to the plan's owner for review."))
    else:
        messages.success(request, _("Draft saved."))
    return redirect(report_url(task, unit, parsed))


def _with_version(form: TaskReportForm, exc: StaleReport) -> TaskReportForm:
    """The user's input with the version now stored: they have been told what changed and
    may save again deliberately."""
    data = form.data.copy()
    data["version"] = exc.current.version if exc.current else ""
    fresh = TaskReportForm(data)
    fresh.is_valid()
    for error in form.non_field_errors():
        fresh.add_error(None, error)
    return fresh


@require_POST
def report_review(request: HttpRequest, report_id: int) -> HttpResponse:
    """Accept, return or reopen a report (a reviewer of the plan's region)."""
    report = get_object_or_404(
        TaskReport.objects.select_related("task__plan__region", "task__group", "unit"),
        pk=report_id,
    )
    access = task_access_for(request.user)
    if not access.can_read_report(report):
        raise Http404(_("No such report in your scope."))
    task, unit, period = report.task, report.unit, report.report_period
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _render_report(request, task, unit, period, review_form=form, status=400)
    action = form.cleaned_data["action"]
    service = {ACCEPT: task_report_accept, RETURN: task_report_return, REOPEN: task_report_reopen}
    try:
        service[action](
            user=request.user,
            report=report,
            expected_version=form.cleaned_data["version"],
            comment=form.cleaned_data["comment"],
        )
    except StaleReport as exc:
        form = ReviewForm(
            {**request.POST.dict(), "version": exc.current.version if exc.current else ""}
        )
        form.is_valid()
        form.add_error(None, exc.message)
        return _render_report(request, task, unit, period, review_form=form, status=409)
    except ValidationError as exc:
        _form_errors(form, exc)
        return _render_report(request, task, unit, period, review_form=form, status=400)
    done = {
        ACCEPT: _("Report accepted."),
        RETURN: _("Report returned to %(unit)s."),
        REOPEN: _("Report reopened and returned to %(unit)s."),
    }[action]
    messages.success(request, done % {"unit": unit.name})
    return redirect(report_url(task, unit, period))


@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """An attachment, only to users who may read its report; always as a download."""
    attachment = get_object_or_404(
        TaskAttachment.objects.select_related("report__task__plan__region", "report__unit"),
        pk=attachment_id,
    )
    if not task_access_for(request.user).can_read_report(attachment.report):
        raise Http404(_("No such file in your scope."))
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("The file is missing from the attachment store.")) from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
def attachment_delete(request: HttpRequest, attachment_id: int) -> HttpResponse:
    attachment = get_object_or_404(
        TaskAttachment.objects.select_related("report__task__plan__region", "report__unit"),
        pk=attachment_id,
    )
    report = attachment.report
    if not task_access_for(request.user).can_read_report(report):
        raise Http404(_("No such file in your scope."))
    task, unit, period = report.task, report.unit, report.report_period
    form = VersionForm(request.POST)
    if not form.is_valid():
        raise BadParameter(
            "version",
            request.POST.get("version", ""),
            _("The form is incomplete; reload the page."),
        )
    try:
        task_attachment_delete(
            user=request.user, attachment=attachment, expected_version=form.cleaned_data["version"]
        )
    except StaleReport as exc:
        messages.error(request, exc.message)
        return _render_report(request, task, unit, period, status=409)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _render_report(request, task, unit, period, status=400)
    messages.success(request, _("“%(name)s” removed.") % {"name": attachment.original_name})
    return redirect(report_url(task, unit, period))


@require_GET
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A unit: the tasks it leads or shares (itself or through a collective) and its reports."""
    unit = get_object_or_404(Unit.objects.select_related("region"), pk=unit_id)
    if not task_access_for(request.user).can_view_unit(unit):
        raise Http404(_("No such unit in your scope."))
    page = unit_page(unit=unit, user=request.user, today=_today())
    return render(request, "tasks/unit.html", {"page": page, "unit": unit})
