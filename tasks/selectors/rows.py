"""The rows of ``/plans/<id>/tasks.json`` / ``.csv`` and of the Excel report's Tasks sheet."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from indicators.models import Plan
from indicators.periods import Quarter
from regions.models import Region
from tasks.models import (
    Task,
    TaskGroup,
    TaskReport,
    Unit,
)
from tasks.periods import ReportPeriod
from tasks.selectors._common import (
    PUBLISHED,
    ReportIndex,
    ShownReports,
    lead_links,
    leads_by_task,
    reports_of_plans,
    responsible_by_task,
)
from tasks.selectors.access import task_access_for
from tasks.selectors.schedules import Schedule, schedule_for, schedules_for


@dataclass(frozen=True)
class TaskRow:
    """One reportable task × lead unit × period, as the JSON, CSV and Excel outputs show it.
    ``report`` is a report others may read (never a draft); ``period`` is None where a lead
    unit has not reported yet and the latest report was asked for.

    ``overdue_periods``: the periods of the row whose report is past its deadline and not in
    (the task obligations, :meth:`ReportIndex.overdue`): with the latest report, every such
    period of the pair (the board's answer); with a period asked for, that period or none.

    A plan whose measures name no lead units (Beihai's four groups) has one row per group, as
    its board shows them: ``task`` and ``unit`` are None, nothing is due.
    """

    plan: Plan
    task: Task | None
    unit: Unit | None
    leads: tuple[Unit, ...]
    responsible: tuple[Unit, ...]
    period: ReportPeriod | None
    deadline: dt.date | None
    report: TaskReport | None
    overdue_periods: tuple[ReportPeriod, ...] = ()
    group: TaskGroup | None = None

    @property
    def overdue(self) -> bool:
        return bool(self.overdue_periods)

    @property
    def top(self) -> Task | None:
        if self.task is None:
            return None
        return self.task.parent or self.task

    @property
    def task_group(self) -> TaskGroup:
        return self.group if self.task is None else self.top.group


def _rows_for_plan(
    plan: Plan,
    *,
    schedule: Schedule,
    index: ReportIndex,
    today: dt.date,
    periods=None,
    links: list | None = None,
) -> list[TaskRow]:
    """``periods`` None: each pair's latest readable report; else one row per period.
    ``links``: the plan's ``lead_links`` if already read."""
    links = list(lead_links(plan)) if links is None else links
    if not links:
        # No lead units (Beihai's measures): the groups themselves, as the board shows them.
        return [
            TaskRow(
                plan=plan,
                task=None,
                unit=None,
                leads=(),
                responsible=(),
                period=None,
                deadline=None,
                report=None,
                group=group,
            )  # fmt: skip
            for group in TaskGroup.objects.filter(plan=plan).order_by("number")
        ]
    leads = leads_by_task(links)
    responsible = responsible_by_task(plan)
    rows = []
    for link in links:
        common = dict(
            plan=plan,
            task=link.task,
            unit=link.unit,
            leads=tuple(leads[link.task_id]),
            responsible=tuple(responsible[link.task_id]),
        )
        overdue = tuple(index.overdue(link.task_id, link.unit_id, schedule, today))
        if periods is None:
            report = index.latest_published(link.task_id, link.unit_id)
            period = report.report_period if report else None
            chosen = [(period, report, overdue)]
        else:
            chosen = []
            for period in periods:
                report = index.get(link.task_id, link.unit_id, period)
                published = report if report and report.state in PUBLISHED else None
                chosen.append((period, published, tuple(p for p in overdue if p == period)))
        for period, report, late in chosen:
            rows.append(
                TaskRow(
                    **common,
                    period=period,
                    deadline=schedule.deadline(period) if period else None,
                    report=report,
                    overdue_periods=late,
                )
            )
    return rows


def task_rows(*, plan: Plan, today: dt.date, period: ReportPeriod | None = None) -> list[TaskRow]:
    """The plan's rows for ``/plans/<id>/tasks.json``: one per reportable task and lead unit,
    with its latest readable report, or its report of ``period``."""
    schedule = schedule_for(plan)
    periods = None if period is None else [period]
    links = list(lead_links(plan))
    # Only the reports the rows show (the latest of each, or those of ``period``), not the
    # plan's history.
    index = ShownReports(plan, links, schedule=schedule, today=today, periods=periods or ())
    return _rows_for_plan(
        plan, schedule=schedule, index=index, today=today, periods=periods, links=links
    )


def task_sheet_rows(
    *, user, root: Region, start: Quarter, end: Quarter, today: dt.date
) -> list[TaskRow]:
    """The Excel report's "任务进展 Tasks" rows: for every plan of ``root``'s subtree the user
    may see, one row per reportable task, lead unit and reporting period that overlaps
    ``start``..``end`` and has begun by ``today``."""
    access = task_access_for(user)
    plans = [
        p
        for p in Plan.objects.filter(region__path__startswith=root.path, task_groups__isnull=False)
        .distinct()
        .select_related("region")
        .order_by("issued_on", "id")
        if access.can_view_plan(p)
    ]
    schedules = schedules_for(plans)
    index = reports_of_plans([p.pk for p in plans])
    first_day = (start - 1).end_date + dt.timedelta(days=1)
    rows: list[TaskRow] = []
    for plan in plans:
        schedule = schedules[plan.pk]
        periods = [
            p
            for p in schedule.open_periods(today)
            if p.end >= first_day and p.start <= end.end_date
        ]
        rows += _rows_for_plan(plan, schedule=schedule, index=index, today=today, periods=periods)
    return rows
