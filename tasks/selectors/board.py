"""The task board of a plan: tasks by group, each lead unit's latest report, overdue periods."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from indicators.models import Plan
from tasks.models import (
    Task,
    TaskGroup,
    TaskReport,
    TaskUnit,
    Unit,
)
from tasks.periods import ReportPeriod
from tasks.selectors._common import (
    LEAD,
    ReportIndex,
    ShownReports,
    State,
    lead_links,
    responsible_by_task,
)
from tasks.selectors.access import task_access_for
from tasks.selectors.schedules import Schedule, schedule_for


@dataclass
class LeadRow:
    """One lead unit of one reportable task, with its reports' standing."""

    link: TaskUnit
    latest: TaskReport | None  # the latest report others may read
    outstanding: list[ReportPeriod]  # ended periods not reported (submitted or accepted)
    overdue: list[ReportPeriod]  # of those, the ones past their deadline
    own_draft: TaskReport | None  # the current period's draft, shown to the unit only
    can_report: bool

    @property
    def task(self) -> Task:
        return self.link.task

    @property
    def unit(self) -> Unit:
        return self.link.unit


@dataclass
class BoardItem:
    """A reportable task (a task, or one paragraph of one) with its lead rows."""

    task: Task
    rows: list[LeadRow]
    responsible: list[Unit]


@dataclass
class BoardTask:
    task: Task  # the numbered task
    items: list[BoardItem]


@dataclass
class BoardGroup:
    group: TaskGroup
    tasks: list[BoardTask]


@dataclass
class TaskBoard:
    """A plan's tasks by group, each lead unit's latest report and overdue periods."""

    plan: Plan
    schedule: Schedule
    today: dt.date
    groups: list[BoardGroup]
    rows: list[LeadRow]
    can_review: bool
    summary: dict[str, int] = field(default_factory=dict)  # latest status -> rows

    @property
    def current_period(self) -> ReportPeriod:
        return self.schedule.current(self.today)

    @property
    def overdue_rows(self) -> int:
        return sum(1 for r in self.rows if r.overdue)

    @property
    def task_count(self) -> int:
        return sum(len(g.tasks) for g in self.groups)


def lead_row(
    link: TaskUnit,
    index: ReportIndex,
    schedule: Schedule,
    today: dt.date,
    can_report: bool,
    own_draft: TaskReport | None = None,
) -> LeadRow:
    """A lead unit's standing on a task: latest readable report, outstanding and overdue."""
    outstanding = index.outstanding(link.task_id, link.unit_id, schedule, today)
    return LeadRow(
        link=link,
        latest=index.latest_published(link.task_id, link.unit_id),
        outstanding=outstanding,
        overdue=index.overdue(link.task_id, link.unit_id, schedule, today, outstanding),
        own_draft=own_draft,
        can_report=can_report,
    )


def task_board(
    *, plan: Plan, user, today: dt.date, links: QuerySet[TaskUnit] | None = None
) -> TaskBoard:
    """The board of ``plan`` for ``user`` over ``links`` (the rows left by the board's
    filters; every lead link of the plan by default). Groups without a row are left out when
    rows are filtered, and kept (with their text) when the plan has no numbered tasks. A fixed
    number of queries, whatever the number of tasks."""
    access = task_access_for(user)
    schedule = schedule_for(plan)
    links = list(lead_links(plan) if links is None else links)
    current = schedule.current(today)
    # Only the reports the rows show (the latest of each, the current period's drafts), not
    # the plan's history.
    index = ShownReports(plan, links, schedule=schedule, today=today, drafts_of=current)
    responsible = responsible_by_task(plan)
    rows = []
    for link in links:
        can_report = access.can_report_for(link.unit)
        draft = index.get(link.task_id, link.unit_id, current) if can_report else None
        own_draft = draft if draft is not None and draft.state == State.DRAFT else None
        rows.append(lead_row(link, index, schedule, today, can_report, own_draft))
    by_task: dict[int, list[LeadRow]] = defaultdict(list)
    for row in rows:
        by_task[row.task.pk].append(row)
    groups_by_id: dict[int, BoardGroup] = {}
    tasks_by_id: dict[int, BoardTask] = {}
    for row in rows:  # rows come in the document's order
        task = row.task
        top = task.parent or task
        group = groups_by_id.setdefault(task.group_id, BoardGroup(task.group, []))
        if top.pk not in tasks_by_id:
            tasks_by_id[top.pk] = BoardTask(top, [])
            group.tasks.append(tasks_by_id[top.pk])
        board_task = tasks_by_id[top.pk]
        if not any(item.task.pk == task.pk for item in board_task.items):
            board_task.items.append(BoardItem(task, by_task[task.pk], responsible[task.pk]))
    groups = sorted(groups_by_id.values(), key=lambda g: g.group.number)
    if not groups and not TaskUnit.objects.filter(task__plan=plan, role=LEAD).exists():
        # No numbered tasks with lead units (Beihai's measures): show the groups themselves.
        groups = [BoardGroup(g, []) for g in TaskGroup.objects.filter(plan=plan)]
    summary: dict[str, int] = defaultdict(int)
    for row in rows:
        summary[row.latest.status if row.latest else "none"] += 1
    return TaskBoard(
        plan=plan,
        schedule=schedule,
        today=today,
        groups=groups,
        rows=rows,
        can_review=access.can_review_plan(plan),
        summary=dict(summary),
    )


def overdue_link_ids(plan: Plan, today: dt.date) -> set[int]:
    """Lead links of ``plan`` with at least one report past its deadline (the board's
    "overdue" filter)."""
    schedule = schedule_for(plan)
    links = list(lead_links(plan))
    index = ShownReports(plan, links, schedule=schedule, today=today)
    return {link.pk for link in links if index.overdue(link.task_id, link.unit_id, schedule, today)}
