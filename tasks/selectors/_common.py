"""What the task readers share: the (task, lead unit) links of a plan, the units named on tasks
(collectives expanded), and a plan's reports indexed by (task, unit, period)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

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
# What a report shown in full is read with.
_FULL_RELATED = ("task", "task__parent", "unit", "submitted_by", "reviewed_by")
# A report's texts: long, and read only where shown.
_TEXTS = ("done", "problems", "next_steps", "review_comment")


def _latest_published(field: str) -> Subquery:
    """``field`` of the latest report others may read of the outer (task, unit) link: the
    latest period in the periods' text order (one kind a plan: the periods' order)."""
    return Subquery(
        TaskReport.objects.filter(task=OuterRef("task"), unit=OuterRef("unit"), state__in=PUBLISHED)
        .order_by("-period")
        .values(field)[:1]
    )


def lead_links(plan: Plan) -> QuerySet[TaskUnit]:
    """The (reportable task, lead unit) pairs of a plan in the document's order: one row of
    the board, the data and the Excel sheet each. ``latest_status`` is the progress of the
    latest report others may read (for the board's status filter), ``latest_id`` that
    report's id (the one report a row shows: :class:`ShownReports`)."""
    return (
        TaskUnit.objects.filter(task__plan=plan, role=LEAD, task__items__isnull=True)
        # Prefetched, not joined: a national plan's 510 links share 15 tasks (with their
        # group, parent and plan) and their units; joined, each row made its own five
        # instances (3,000).
        .prefetch_related(
            Prefetch("task", Task.objects.select_related("group", "parent", "plan")), "unit"
        )
        .annotate(latest_status=_latest_published("status"), latest_id=_latest_published("id"))
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

    def settled(self, task_id: int, unit_id: int, key: str) -> bool:
        """The report of the period ``key`` (``2026H1``) is submitted or accepted."""
        report = self.by_key.get((task_id, unit_id, key))
        return report is not None and report.state in IN

    def _due(self, schedule: Schedule, today: dt.date) -> list[tuple[ReportPeriod, str]]:
        """``schedule.due_periods(today)`` with their keys, worked out once for every row of
        the index."""
        memo = self.__dict__.setdefault("_due_memo", {})
        if (schedule, today) not in memo:
            memo[(schedule, today)] = [(p, str(p)) for p in schedule.due_periods(today)]
        return memo[(schedule, today)]

    def outstanding(
        self, task_id: int, unit_id: int, schedule: Schedule, today: dt.date
    ) -> list[ReportPeriod]:
        """Ended periods without a report submitted or accepted."""
        return [
            p for p, key in self._due(schedule, today) if not self.settled(task_id, unit_id, key)
        ]

    def overdue(
        self,
        task_id: int,
        unit_id: int,
        schedule: Schedule,
        today: dt.date,
        outstanding: list[ReportPeriod] | None = None,
    ) -> list[ReportPeriod]:
        """Of the outstanding periods (``outstanding`` if already known), those past their
        deadline: the task obligations every reader (board, tasks.json/.csv, Excel, to-do
        homes, digests) counts (issue 22.4)."""
        if outstanding is None:
            outstanding = self.outstanding(task_id, unit_id, schedule, today)
        return [p for p in outstanding if schedule.is_overdue(p, today)]


class ShownReports(ReportIndex):
    """What the rows of one plan's board or data show, read without the plan's history (a
    national plan's is 8,000 reports, 38 MB with their texts; issue 25): the latest report
    others may read of each row (``lead_links``' ``latest_id``), the reports of ``periods``
    and the drafts of ``drafts_of``, without their texts; and, of the history, only the keys
    of the reports that settle a due period (submitted or accepted). Two queries.
    The obligations (outstanding, overdue) are :class:`ReportIndex`'s."""

    def __init__(
        self,
        plan: Plan,
        links: Iterable[TaskUnit],
        *,
        schedule: Schedule,
        today: dt.date,
        periods: Iterable[ReportPeriod] = (),
        drafts_of: ReportPeriod | None = None,
    ):
        links = list(links)
        reports = TaskReport.objects.filter(task__plan=plan)
        wanted = Q(pk__in=[link.latest_id for link in links if link.latest_id is not None])
        asked = [str(p) for p in periods]
        if asked:
            wanted |= Q(period__in=asked)
        if drafts_of is not None:
            wanted |= Q(period=str(drafts_of), state=State.DRAFT)
        # Their texts are not shown (the board and the data name a report's period, progress
        # and state); their task and unit are the rows'.
        shown = list(reports.filter(wanted).defer(*_TEXTS))
        pairs = {(link.task_id, link.unit_id): link for link in links}
        for report in shown:
            link = pairs.get((report.task_id, report.unit_id))
            if link is not None:
                report.task, report.unit = link.task, link.unit
        super().__init__(shown)
        by_id = {r.pk: r for r in self.by_key.values()}
        self.latest = {
            (link.task_id, link.unit_id): by_id[link.latest_id]
            for link in links
            if link.latest_id in by_id
        }
        due = [key for _p, key in self._due(schedule, today)]
        # Which due periods of each pair are settled: their keys only (a count per period
        # and pair, grouped in the database, took twice as long).
        self.settled_periods: dict[tuple[int, int], set[str]] = defaultdict(set)
        if due:
            settled = reports.filter(state__in=IN, period__in=due).order_by()
            for task_id, unit_id, period in settled.values_list("task_id", "unit_id", "period"):
                self.settled_periods[(task_id, unit_id)].add(period)

    def latest_published(self, task_id: int, unit_id: int) -> TaskReport | None:
        return self.latest.get((task_id, unit_id))

    def settled(self, task_id: int, unit_id: int, key: str) -> bool:
        return key in self.settled_periods.get((task_id, unit_id), ())


def reports_of_plans(
    plan_ids: Iterable[int], *, unit: Unit | None = None, texts: bool = True
) -> ReportIndex:
    """Every report of the plans, in full; of one ``unit`` only if given (a unit's page reads
    its own: the whole history of a national plan is 8,000 reports, 43 MB; issue 25), each
    then with that very unit; without their texts and people if ``texts`` is False (a list
    that names reports)."""
    reports = TaskReport.objects.filter(task__plan_id__in=list(plan_ids))
    if unit is not None:
        reports = reports.filter(unit=unit)
    if texts:
        reports = reports.select_related(*_FULL_RELATED)
    else:
        reports = reports.select_related("task", "task__parent").defer(*_TEXTS)
    if unit is None:
        return ReportIndex(reports)
    reports = list(reports)
    for report in reports:
        report.unit = unit
    return ReportIndex(reports)
