"""What the task readers share: the (task, lead unit) links of a plan, the units named on tasks
(collectives expanded), and a plan's reports indexed by (task, unit, period)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery

from indicators.models import Plan
from tasks.models import (
    Task,
    TaskReport,
    TaskUnit,
    Unit,
    UnitMember,
)
from tasks.periods import ReportPeriod
from tasks.selectors.schedules import Schedule

State = TaskReport.State
LEAD = TaskUnit.Role.LEAD
RESPONSIBLE = TaskUnit.Role.RESPONSIBLE
# A report others may read: anything past the unit's own draft.
PUBLISHED = (State.SUBMITTED, State.ACCEPTED, State.RETURNED)
# A report that settles its period: submitted (awaiting review) or accepted.
IN = (State.SUBMITTED, State.ACCEPTED)


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


def responsible_by_task(plan: Plan) -> dict[int, list[Unit]]:
    out: dict[int, list[Unit]] = defaultdict(list)
    rows = TaskUnit.objects.filter(task__plan=plan, role=RESPONSIBLE).select_related("unit")
    for link in rows.order_by("task_id", "position"):
        out[link.task_id].append(link.unit)
    return out


def leads_by_task(links: Iterable[TaskUnit]) -> dict[int, list[Unit]]:
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
        rows = UnitMember.objects.filter(collective_id__in=collectives).select_related("member")
        for row in rows.order_by("member__sort_order", "member_id"):
            members[row.collective_id].append(row.member)
    out, seen = [], set()
    for unit in units:
        for member in members.get(unit.pk) or [unit]:
            if member.pk not in seen:
                seen.add(member.pk)
                out.append(member)
    return out


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

    def overdue(
        self, task_id: int, unit_id: int, schedule: Schedule, today: dt.date
    ) -> list[ReportPeriod]:
        """Of the outstanding periods, those past their deadline: the task obligations every
        reader (board, tasks.json/.csv, Excel, to-do homes, digests) counts (issue 22.4)."""
        return [
            p
            for p in self.outstanding(task_id, unit_id, schedule, today)
            if schedule.is_overdue(p, today)
        ]


def reports_of_plans(plan_ids: Iterable[int], *, unit_id: int | None = None) -> ReportIndex:
    """Every report of the plans, in full; of one unit only with ``unit_id`` (a unit's page
    reads its own: the whole history of a national plan is 8,000 reports, 43 MB; issue 25)."""
    reports = TaskReport.objects.filter(task__plan_id__in=list(plan_ids))
    if unit_id is not None:
        reports = reports.filter(unit_id=unit_id)
    return ReportIndex(
        reports.select_related("task", "task__parent", "unit", "submitted_by", "reviewed_by")
    )


_FULL_RELATED = ("task", "task__parent", "unit", "submitted_by", "reviewed_by")


@dataclass(frozen=True, slots=True)
class Standing:
    """What an index needs of a report to place it and know its standing: not its texts (a
    plain row: building 8,000 model instances cost more than the query)."""

    pk: int
    task_id: int
    unit_id: int
    period: str
    state: str
    status: str

    @property
    def report_period(self) -> ReportPeriod:
        return ReportPeriod.parse(self.period)


def report_standings_of_plans(plan_ids: Iterable[int]) -> ReportIndex:
    """:func:`reports_of_plans` without the reports' texts and people: the whole history of a
    national plan (8,000 reports, 38 MB with their texts) is needed only for which periods are
    reported. The reports a page shows are then read in full with :func:`reports_in_full`."""
    rows = TaskReport.objects.filter(task__plan_id__in=list(plan_ids)).values_list(
        "id", "task_id", "unit_id", "period", "state", "status"
    )
    return ReportIndex(Standing(*row) for row in rows)


def reports_in_full(reports: Iterable[TaskReport | Standing | None]) -> dict[int, TaskReport]:
    """The given reports (e.g. from :func:`report_standings_of_plans`) read in full, by id:
    one query."""
    ids = sorted({r.pk for r in reports if r is not None})
    if not ids:
        return {}
    return {r.pk: r for r in TaskReport.objects.filter(pk__in=ids).select_related(*_FULL_RELATED)}
