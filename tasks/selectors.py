"""Read side of tasks: who may see and do what, the schedule of each plan, the task board, the
unit page, a report's page, the reports due (the hook for to-do lists and reminders) and the
rows of the JSON, CSV and Excel outputs.

Permissions are answered in one place, :func:`task_access_for`; every view, export and data
endpoint asks it. The rule (docs/api.md, "Tasks"):

* a user sees a plan's tasks, reports and attachments if the plan's region is in the user's
  region scope (any role, as for the plan page), or if the user belongs to a unit whose region
  lies in the plan's region (a provincial department, a city government); otherwise the plan is
  a 404;
* only members of a lead unit report for it (drafts are seen by that unit only);
* only a reviewer of the plan's region accepts, returns or reopens reports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery

from indicators.models import Plan
from indicators.periods import Quarter
from regions.models import Region
from regions.selectors import RegionAccess, access_for
from tasks.models import (
    ReportingSchedule,
    Task,
    TaskGroup,
    TaskReport,
    TaskReportEvent,
    TaskUnit,
    Unit,
    UnitMembership,
)
from tasks.periods import HALF_YEAR, ReportPeriod, period_range

State = TaskReport.State
LEAD = TaskUnit.Role.LEAD
RESPONSIBLE = TaskUnit.Role.RESPONSIBLE
# A report others may read: anything past the unit's own draft.
PUBLISHED = (State.SUBMITTED, State.ACCEPTED, State.RETURNED)
# A report that settles its period: submitted (awaiting review) or accepted.
IN = (State.SUBMITTED, State.ACCEPTED)


# --- access ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskAccess:
    """What a user may see and do with tasks; see the module docstring for the rule."""

    everything: bool
    regions: RegionAccess
    unit_ids: frozenset[int]
    view_paths: frozenset[str]  # region paths whose plans (and units) the user sees

    def _in_scope(self, region: Region | None) -> bool:
        if self.everything:
            return True
        return region is not None and any(region.path.startswith(p) for p in self.view_paths)

    def can_view_plan(self, plan: Plan) -> bool:
        return self._in_scope(plan.region)

    def can_view_unit(self, unit: Unit) -> bool:
        return self.everything or unit.pk in self.unit_ids or self._in_scope(unit.region)

    def can_report_for(self, unit: Unit) -> bool:
        """Member of the unit (a superuser may act for any unit)."""
        return self.everything or unit.pk in self.unit_ids

    def can_review_plan(self, plan: Plan) -> bool:
        """A reviewer of the plan's region (or of a region above it)."""
        if self.everything:
            return True
        return plan.region is not None and self.regions.can_review(plan.region)

    def can_read_report(self, report: TaskReport) -> bool:
        """The plan is visible, and a draft only to its own unit."""
        if not self.can_view_plan(report.task.plan):
            return False
        return report.state != State.DRAFT or self.can_report_for(report.unit)


def task_access_for(user) -> TaskAccess:
    """The user's task access: two queries at most, cached on the user object."""
    cached = getattr(user, "_certtrack_task_access", None)
    if cached is not None:
        return cached
    regions = access_for(user)
    unit_ids: frozenset[int] = frozenset()
    view = set(regions.view)
    if getattr(user, "is_authenticated", False) and user.is_active and not regions.everything:
        rows = list(
            UnitMembership.objects.filter(user=user, unit__active=True).values_list(
                "unit_id", "unit__region__path"
            )
        )
        unit_ids = frozenset(pk for pk, _path in rows)
        unit_paths = {path for _pk, path in rows}
        if unit_paths:
            plan_paths = set(
                Plan.objects.filter(region__isnull=False).values_list("region__path", flat=True)
            )
            view |= {p for p in plan_paths if any(u.startswith(p) for u in unit_paths)}
    access = TaskAccess(regions.everything, regions, unit_ids, frozenset(view))
    try:
        user._certtrack_task_access = access
    except AttributeError:
        pass
    return access


def task_plans_visible_to(user) -> list[Plan]:
    """Plans that have task groups and that the user may see, in order of issue."""
    access = task_access_for(user)
    plans = Plan.objects.filter(task_groups__isnull=False).distinct().select_related("region")
    return [p for p in plans.order_by("issued_on", "id") if access.can_view_plan(p)]


# --- schedules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """A plan's reporting periods: ``first`` to ``last`` (open-ended if None), each due
    ``deadline_days`` after it ends."""

    kind: str
    deadline_days: int
    first: ReportPeriod
    last: ReportPeriod | None

    def deadline(self, period: ReportPeriod) -> dt.date:
        return period.end + dt.timedelta(days=self.deadline_days)

    def is_overdue(self, period: ReportPeriod, today: dt.date) -> bool:
        return today > self.deadline(period)

    def current(self, today: dt.date) -> ReportPeriod:
        return ReportPeriod.of_date(self.kind, today)

    def _until(self, period: ReportPeriod) -> ReportPeriod:
        return period if self.last is None else min(period, self.last)

    def open_periods(self, today: dt.date) -> list[ReportPeriod]:
        """Periods a report may be written for: begun by ``today``, within the schedule."""
        return list(period_range(self.first, self._until(self.current(today))))

    def due_periods(self, today: dt.date) -> list[ReportPeriod]:
        """Periods that have ended by ``today``: their reports are due."""
        return list(period_range(self.first, self._until(self.current(today) - 1)))

    def contains(self, period: ReportPeriod) -> bool:
        return (
            period.kind == self.kind
            and period >= self.first
            and (self.last is None or period <= self.last)
        )


def _schedule(plan: Plan, row: ReportingSchedule | None) -> Schedule:
    kind = row.period_kind if row else HALF_YEAR
    days = row.deadline_days if row else settings.CERTTRACK["TASK_DEADLINE_DAYS"]
    starts = (row.starts_on if row else None) or plan.issued_on
    last = ReportPeriod.of_date(kind, row.ends_on) if row and row.ends_on else None
    return Schedule(kind, days, ReportPeriod.of_date(kind, starts), last)


def schedules_for(plans: Iterable[Plan]) -> dict[int, Schedule]:
    """Each plan's schedule (its ReportingSchedule, or the default: half-years from issue)."""
    plans = list(plans)
    rows = {s.plan_id: s for s in ReportingSchedule.objects.filter(plan__in=plans)}
    return {p.pk: _schedule(p, rows.get(p.pk)) for p in plans}


def schedule_for(plan: Plan) -> Schedule:
    return schedules_for([plan])[plan.pk]


# --- units of tasks ---------------------------------------------------------------------------


def is_reportable(task: Task) -> bool:
    """A task without paragraphs of its own, or a paragraph: reports are made on these."""
    return not task.items.exists()


def lead_links(plan: Plan) -> QuerySet[TaskUnit]:
    """The (reportable task, lead unit) pairs of a plan in the document's order: one row of
    the board, the data and the Excel sheet each. ``latest_status`` is the progress of the
    latest report others may read (for the board's status filter)."""
    latest = (
        TaskReport.objects.filter(task=OuterRef("task"), unit=OuterRef("unit"), state__in=PUBLISHED)
        .order_by("-period")
        .values("status")[:1]
    )
    return (
        TaskUnit.objects.filter(task__plan=plan, role=LEAD, task__items__isnull=True)
        .select_related("task", "task__group", "task__parent", "task__plan", "unit")
        .annotate(latest_status=Subquery(latest))
        .order_by("task__group__number", "task__number", "task__item", "position")
    )


def tasks_shared_by(unit: Unit) -> QuerySet[Task]:
    """Tasks the unit is responsible for, itself or as a member of a collective named."""
    return Task.objects.filter(
        Q(task_units__role=RESPONSIBLE)
        & (Q(task_units__unit=unit) | Q(task_units__unit__members=unit))
    ).distinct()


def plan_units(plan: Plan) -> list[Unit]:
    """Every unit named on the plan's tasks, and the members of its collectives (the board's
    unit filter)."""
    named = Unit.objects.filter(task_units__task__plan=plan)
    members = Unit.objects.filter(collectives__task_units__task__plan=plan)
    return list((named | members).distinct().order_by("sort_order", "code"))


def _responsible_by_task(plan: Plan) -> dict[int, list[Unit]]:
    out: dict[int, list[Unit]] = defaultdict(list)
    rows = TaskUnit.objects.filter(task__plan=plan, role=RESPONSIBLE).select_related("unit")
    for link in rows.order_by("task_id", "position"):
        out[link.task_id].append(link.unit)
    return out


def _leads_by_task(links: Iterable[TaskUnit]) -> dict[int, list[Unit]]:
    out: dict[int, list[Unit]] = defaultdict(list)
    for link in links:
        out[link.task_id].append(link.unit)
    return out


def expand_units(units: Iterable[Unit]) -> list[Unit]:
    """Units with every collective replaced by its known members (kept itself where none are
    known), without repeats, in order; one query."""
    units = list(units)
    collectives = [u.pk for u in units if u.is_collective]
    members: dict[int, list[Unit]] = defaultdict(list)
    if collectives:
        through = Unit.members.through.objects.filter(from_unit_id__in=collectives)
        for row in through.select_related("to_unit").order_by("to_unit__sort_order"):
            members[row.from_unit_id].append(row.to_unit)
    out, seen = [], set()
    for unit in units:
        for member in members.get(unit.pk) or [unit]:
            if member.pk not in seen:
                seen.add(member.pk)
                out.append(member)
    return out


# --- reports by (task, unit) ---------------------------------------------------------------


class ReportIndex:
    """A set of reports by (task, unit, period), and what follows for each (task, unit)."""

    def __init__(self, reports: Iterable[TaskReport]):
        self.by_key: dict[tuple[int, int, str], TaskReport] = {}
        self.by_pair: dict[tuple[int, int], list[TaskReport]] = defaultdict(list)
        for report in reports:
            self.by_key[(report.task_id, report.unit_id, report.period)] = report
            self.by_pair[(report.task_id, report.unit_id)].append(report)

    def get(self, task_id: int, unit_id: int, period: ReportPeriod | str) -> TaskReport | None:
        return self.by_key.get((task_id, unit_id, str(period)))

    def latest_published(self, task_id: int, unit_id: int) -> TaskReport | None:
        """The latest period's report others may read (not a draft)."""
        found = [r for r in self.by_pair.get((task_id, unit_id), ()) if r.state in PUBLISHED]
        return max(found, key=lambda r: r.report_period, default=None)

    def outstanding(
        self, task_id: int, unit_id: int, schedule: Schedule, today: dt.date
    ) -> list[ReportPeriod]:
        """Ended periods without a report submitted or accepted."""
        out = []
        for period in schedule.due_periods(today):
            report = self.get(task_id, unit_id, period)
            if report is None or report.state not in IN:
                out.append(period)
        return out


def _reports(plan_ids: Iterable[int]) -> ReportIndex:
    return ReportIndex(
        TaskReport.objects.filter(task__plan_id__in=list(plan_ids)).select_related(
            "task", "task__parent", "unit", "submitted_by", "reviewed_by"
        )
    )


# --- the task board -------------------------------------------------------------------------


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
    index = _reports([plan.pk])
    responsible = _responsible_by_task(plan)
    current = schedule.current(today)
    rows = []
    for link in links:
        outstanding = index.outstanding(link.task_id, link.unit_id, schedule, today)
        can_report = access.can_report_for(link.unit)
        draft = index.get(link.task_id, link.unit_id, current) if can_report else None
        rows.append(
            LeadRow(
                link=link,
                latest=index.latest_published(link.task_id, link.unit_id),
                outstanding=outstanding,
                overdue=[p for p in outstanding if schedule.is_overdue(p, today)],
                own_draft=draft if draft is not None and draft.state == State.DRAFT else None,
                can_report=can_report,
            )
        )
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
    index = _reports([plan.pk])
    ids = set()
    for link in TaskUnit.objects.filter(task__plan=plan, role=LEAD).only("id", "task", "unit"):
        outstanding = index.outstanding(link.task_id, link.unit_id, schedule, today)
        if any(schedule.is_overdue(p, today) for p in outstanding):
            ids.add(link.pk)
    return ids


# --- a task and a report ---------------------------------------------------------------------


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
    index = _reports([plan.pk])
    responsible = _responsible_by_task(plan)
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
        .select_related("submitted_by", "reviewed_by", "updated_by", "task__plan", "unit")
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
        events=list(report.events.select_related("user")) if report else [],
        attachments=list(report.attachments.select_related("uploaded_by")) if report else [],
    )


# --- the unit page ----------------------------------------------------------------------------


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
    index = _reports(plan_ids)
    links = (
        TaskUnit.objects.filter(unit=unit, role=LEAD, task__plan_id__in=plan_ids)
        .select_related("task", "task__group", "task__parent", "task__plan", "unit")
        .order_by("task__plan__issued_on", "task__number", "task__item")
    )
    led = []
    for link in links:
        schedule = schedules[link.task.plan_id]
        outstanding = index.outstanding(link.task_id, link.unit_id, schedule, today)
        led.append(
            LeadRow(
                link=link,
                latest=index.latest_published(link.task_id, link.unit_id),
                outstanding=outstanding,
                overdue=[p for p in outstanding if schedule.is_overdue(p, today)],
                own_draft=None,
                can_report=access.can_report_for(unit),
            )
        )
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


# --- to-do and reminders (issue 14) ---------------------------------------------------------


@dataclass(frozen=True)
class DueReport:
    """A report a unit owes: its period has ended and it is not submitted or accepted."""

    task: Task
    unit: Unit
    period: ReportPeriod
    deadline: dt.date
    overdue: bool  # past the deadline
    report: TaskReport | None  # the draft or returned report, if one exists


def task_reports_due(user, today: dt.date) -> list[DueReport]:
    """The reports due from the units ``user`` belongs to, as of ``today``: for every
    reportable task a unit leads and every period of its plan's schedule that has ended, the
    report unless it is submitted or accepted (a returned report is due again). Overdue ones
    (past the deadline) first, then by deadline, task and unit. Three queries.

    The to-do home and the reminder digests (issue 14) call this per user; the board and unit
    page show the same periods as overdue."""
    access = task_access_for(user)
    if not access.unit_ids:
        return []
    links = [
        link
        for link in TaskUnit.objects.filter(
            unit_id__in=access.unit_ids, role=LEAD, task__items__isnull=True
        ).select_related("task", "task__parent", "task__plan__region", "unit")
        if access.can_view_plan(link.task.plan)
    ]
    plans = {link.task.plan_id: link.task.plan for link in links}
    schedules = schedules_for(plans.values())
    reports = ReportIndex(
        TaskReport.objects.filter(unit_id__in=access.unit_ids, task__plan_id__in=list(plans))
    )
    due = []
    for link in links:
        schedule = schedules[link.task.plan_id]
        for period in reports.outstanding(link.task_id, link.unit_id, schedule, today):
            due.append(
                DueReport(
                    task=link.task,
                    unit=link.unit,
                    period=period,
                    deadline=schedule.deadline(period),
                    overdue=schedule.is_overdue(period, today),
                    report=reports.get(link.task_id, link.unit_id, period),
                )
            )
    due.sort(
        key=lambda d: (not d.overdue, d.deadline, d.task.number, d.task.item, d.unit.sort_order)
    )
    return due


def task_reports_awaiting_review(user) -> list[TaskReport]:
    """Submitted reports of the plans the user reviews, oldest submission first (the
    reviewer's side of the to-do list)."""
    access = task_access_for(user)
    if not (access.everything or access.regions.can_review_anything):
        return []
    qs = TaskReport.objects.filter(state=State.SUBMITTED).select_related(
        "task", "task__parent", "task__plan__region", "unit", "submitted_by"
    )
    return [r for r in qs.order_by("submitted_at", "id") if access.can_review_plan(r.task.plan)]


# --- rows of the data endpoints and the Excel sheet ------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    """One reportable task × lead unit × period, as the JSON, CSV and Excel outputs show it.
    ``report`` is a report others may read (never a draft); ``period`` is None where a lead
    unit has not reported yet and the latest report was asked for."""

    plan: Plan
    task: Task
    unit: Unit
    leads: tuple[Unit, ...]
    responsible: tuple[Unit, ...]
    period: ReportPeriod | None
    deadline: dt.date | None
    report: TaskReport | None
    overdue: bool

    @property
    def top(self) -> Task:
        return self.task.parent or self.task


def _rows_for_plan(
    plan: Plan, *, schedule: Schedule, index: ReportIndex, today: dt.date, periods=None
) -> list[TaskRow]:
    """``periods`` None: each pair's latest readable report; else one row per period."""
    links = list(lead_links(plan))
    leads = _leads_by_task(links)
    responsible = _responsible_by_task(plan)
    rows = []
    for link in links:
        common = dict(
            plan=plan,
            task=link.task,
            unit=link.unit,
            leads=tuple(leads[link.task_id]),
            responsible=tuple(responsible[link.task_id]),
        )
        if periods is None:
            report = index.latest_published(link.task_id, link.unit_id)
            period = report.report_period if report else None
            chosen = [(period, report)]
        else:
            chosen = []
            for period in periods:
                report = index.get(link.task_id, link.unit_id, period)
                chosen.append((period, report if report and report.state in PUBLISHED else None))
        for period, report in chosen:
            overdue = (
                period is not None
                and period.end < today
                and schedule.is_overdue(period, today)
                and (report is None or report.state not in IN)
            )
            rows.append(
                TaskRow(
                    **common,
                    period=period,
                    deadline=schedule.deadline(period) if period else None,
                    report=report,
                    overdue=overdue,
                )
            )
    return rows


def task_rows(*, plan: Plan, today: dt.date, period: ReportPeriod | None = None) -> list[TaskRow]:
    """The plan's rows for ``/plans/<id>/tasks.json``: one per reportable task and lead unit,
    with its latest readable report, or its report of ``period``."""
    schedule = schedule_for(plan)
    index = _reports([plan.pk])
    periods = None if period is None else [period]
    return _rows_for_plan(plan, schedule=schedule, index=index, today=today, periods=periods)


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
    index = _reports([p.pk for p in plans])
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
