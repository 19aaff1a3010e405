"""The task page (every period of every lead unit), a report's page, and a unit's page."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q

from tasks.models import (
    Task,
    TaskReport,
    TaskReportEvent,
    TaskUnit,
    Unit,
)
from tasks.periods import ReportPeriod
from tasks.selectors._common import (
    IN,
    LEAD,
    RESPONSIBLE,
    State,
    expand_units,
    lead_links,
    reports_of_plans,
    responsible_by_task,
)
from tasks.selectors.access import task_access_for, task_plans_visible_to
from tasks.selectors.board import LeadRow, lead_row
from tasks.selectors.schedules import Schedule, schedule_for, schedules_for


@dataclass(frozen=True)
class GridCell:
    """One period of one lead unit's reports on the task page."""

    period: ReportPeriod
    report: TaskReport | None  # None where there is none (or it is another unit's draft)
    outstanding: bool  # ended and not submitted or accepted
    overdue: bool  # outstanding and past the deadline


@dataclass
class GridRow:
    link: TaskUnit
    cells: list[GridCell]
    can_report: bool

    @property
    def unit(self) -> Unit:
        return self.link.unit


@dataclass
class TaskItem:
    """A reportable task (the task itself, or one of its paragraphs) on the task page."""

    task: Task
    leads: list[Unit]
    responsible: list[Unit]
    responsible_expanded: list[Unit]  # collectives replaced by their known members
    rows: list[GridRow]


@dataclass
class TaskPage:
    """A numbered task with its paragraphs: its text, units, and for each lead unit its
    report of every open period (newest first)."""

    task: Task
    items: list[TaskItem]
    periods: list[ReportPeriod]
    schedule: Schedule
    today: dt.date


def task_page(*, task: Task, user, today: dt.date) -> TaskPage:
    top = task.parent or task
    plan = top.plan
    schedule = schedule_for(plan)
    access = task_access_for(user)
    links = [link for link in lead_links(plan) if (link.task.parent_id or link.task_id) == top.pk]
    index = reports_of_plans([plan.pk])
    responsible = responsible_by_task(plan)
    periods = list(reversed(schedule.open_periods(today)))
    due = set(schedule.due_periods(today))
    rows_by_task: dict[int, list[GridRow]] = defaultdict(list)
    for link in links:
        own = access.can_report_for(link.unit)
        cells = []
        for period in periods:
            report = index.get(link.task_id, link.unit_id, period)
            if report is not None and report.state == State.DRAFT and not own:
                report = None
            outstanding = period in due and (report is None or report.state not in IN)
            cells.append(
                GridCell(
                    period=period,
                    report=report,
                    outstanding=outstanding,
                    overdue=outstanding and schedule.is_overdue(period, today),
                )
            )
        rows_by_task[link.task_id].append(GridRow(link, cells, own))
    reportable = list(top.items.all()) or [top]
    items = [
        TaskItem(
            task=t,
            leads=[row.unit for row in rows_by_task[t.pk]],
            responsible=responsible[t.pk],
            responsible_expanded=expand_units(responsible[t.pk]),
            rows=rows_by_task[t.pk],
        )
        for t in reportable
    ]
    return TaskPage(task=top, items=items, periods=periods, schedule=schedule, today=today)


@dataclass
class ReportPage:
    """One lead unit's report on one task for one period, and what the user may do with it."""

    task: Task
    unit: Unit
    period: ReportPeriod
    schedule: Schedule
    report: TaskReport | None  # None where there is none, or it is a draft of another unit
    deadline: dt.date
    is_open: bool  # the period has begun and lies within the schedule
    overdue: bool
    can_edit: bool
    can_review: bool
    events: list[TaskReportEvent]
    attachments: list

    @property
    def state(self) -> str:
        return self.report.state if self.report else "none"


def report_page(
    *, task: Task, unit: Unit, period: ReportPeriod, user, today: dt.date
) -> ReportPage:
    access = task_access_for(user)
    schedule = schedule_for(task.plan)
    report = (
        TaskReport.objects.filter(task=task, unit=unit, period=str(period))
        .select_related(
            "submitted_by__profile",
            "reviewed_by__profile",
            "updated_by__profile",
            "task__plan",
            "unit",
        )
        .first()
    )
    if report is not None and not access.can_read_report(report):
        report = None
    is_open = schedule.contains(period) and period.start <= today
    settled = report is not None and report.state in IN
    ended = period.end < today
    can_report = access.can_report_for(unit)
    return ReportPage(
        task=task,
        unit=unit,
        period=period,
        schedule=schedule,
        report=report,
        deadline=schedule.deadline(period),
        is_open=is_open,
        overdue=ended and not settled and schedule.is_overdue(period, today) and is_open,
        can_edit=is_open and can_report and (report is None or report.is_editable),
        can_review=access.can_review_plan(task.plan),
        events=list(report.events.select_related("user", "user__profile")) if report else [],
        attachments=list(report.attachments.select_related("uploaded_by")) if report else [],
    )


@dataclass
class SharedTask:
    task: Task
    via: Unit | None  # the collective through which the unit shares it, if not named itself


@dataclass
class UnitPage:
    unit: Unit
    collectives: list[Unit]
    members: list[Unit]
    led: list[LeadRow]
    shared: list[SharedTask]
    reports: list[TaskReport]
    schedules: dict[int, Schedule]
    today: dt.date


def unit_page(*, unit: Unit, user, today: dt.date) -> UnitPage:
    """Every task the unit leads or shares in the plans the user may see, and its reports
    (its drafts only for its own members)."""
    access = task_access_for(user)
    visible = task_plans_visible_to(user)
    plan_ids = [p.pk for p in visible]
    schedules = schedules_for(visible)
    # Every row below is the unit's; none shows a report's text.
    index = reports_of_plans(plan_ids, unit=unit, texts=False)
    links = (
        TaskUnit.objects.filter(unit=unit, role=LEAD, task__plan_id__in=plan_ids)
        .select_related("task", "task__group", "task__parent", "task__plan", "unit")
        .order_by("task__plan__issued_on", "task__number", "task__item")
    )
    can_report = access.can_report_for(unit)
    led = [lead_row(link, index, schedules[link.task.plan_id], today, can_report) for link in links]
    shared: list[SharedTask] = []
    seen: set[int] = set()
    responsible = (
        TaskUnit.objects.filter(role=RESPONSIBLE, task__plan_id__in=plan_ids)
        .filter(Q(unit=unit) | Q(unit__members=unit))
        .select_related("task", "task__parent", "task__plan", "unit")
        .order_by("task__plan__issued_on", "task__number", "task__item", "position")
        .distinct()
    )
    for link in responsible:
        if link.task_id in seen:
            continue
        seen.add(link.task_id)
        shared.append(SharedTask(link.task, None if link.unit_id == unit.pk else link.unit))
    reports = [
        r
        for (_t, u, _p), r in index.by_key.items()
        if u == unit.pk and (r.state != State.DRAFT or access.can_report_for(unit))
    ]
    reports.sort(key=lambda r: (r.report_period, r.task.number, r.task.item), reverse=True)
    return UnitPage(
        unit=unit,
        collectives=list(unit.collectives.all()),
        members=list(unit.members.all()),
        led=led,
        shared=shared,
        reports=reports,
        schedules=schedules,
        today=today,
    )
