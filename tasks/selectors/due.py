"""The reports due from a user's units and those awaiting a reviewer: the hook of the to-do
home and the reminder digests (issue 14)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from tasks.models import (
    Task,
    TaskReport,
    TaskUnit,
    Unit,
)
from tasks.periods import ReportPeriod
from tasks.selectors._common import LEAD, ReportIndex, State
from tasks.selectors.access import task_access_for
from tasks.selectors.schedules import schedules_for


@dataclass(frozen=True)
class DueReport:
    """A report a unit owes: its period has ended and it is not submitted or accepted."""

    task: Task
    unit: Unit
    period: ReportPeriod
    deadline: dt.date
    overdue: bool  # past the deadline
    report: TaskReport | None  # the draft or returned report, if one exists

    @property
    def url(self) -> str:
        """The report's page, where the unit writes it."""
        from certtrack.paths import path_for

        return path_for("tasks:report", self.task.pk, self.unit.pk, self.period)

    def days_left(self, today: dt.date) -> int:
        """Days until the deadline (0 on the day itself), negative once overdue."""
        return (self.deadline - today).days


def task_reports_due(user, today: dt.date) -> list[DueReport]:
    """The reports due from the units ``user`` belongs to, as of ``today``: for every
    reportable task a unit leads and every period of its plan's schedule that has ended, the
    report unless it is submitted or accepted (a returned report is due again). Overdue ones
    (past the deadline) first, then by deadline, task and unit. Three queries.

    The to-do home and the reminder digests (issue 14) call this per user with
    ``timezone.localdate()``: the to-do lists every item (``item.url`` opens the report form); a
    digest keeps those overdue or due soon, e.g. ``[d for d in task_reports_due(user, today) if
    d.overdue or d.days_left(today) <= 7]``, and the reviewers' side comes from
    :func:`task_reports_awaiting_review`. The board and unit page flag the same periods."""
    access = task_access_for(user)
    if not access.unit_ids:
        return []
    return DueIndex(access.unit_ids).due(access, today)


class DueIndex:
    """What :func:`task_reports_due` reads, for the units of many people at once (three
    queries for all: send_reminders builds every person's list from one index)."""

    def __init__(self, unit_ids):
        self.links = list(
            TaskUnit.objects.filter(
                unit_id__in=list(unit_ids), role=LEAD, task__items__isnull=True
            ).select_related("task", "task__parent", "task__plan__region", "unit")
        )
        plans = {link.task.plan_id: link.task.plan for link in self.links}
        self.schedules = schedules_for(plans.values())
        # Without their texts: a due report shows its state only (send_reminders indexes
        # every unit's reports, 8,160 on the national set).
        self.reports = ReportIndex(
            TaskReport.objects.filter(
                unit_id__in=list(unit_ids), task__plan_id__in=list(plans)
            ).defer("done", "problems", "next_steps")
        )

    def due(self, access, today: dt.date) -> list[DueReport]:
        """The reports due from the units of ``access`` (a :class:`TaskAccess`)."""
        links = [
            link
            for link in self.links
            if link.unit_id in access.unit_ids and access.can_view_plan(link.task.plan)
        ]
        due = []
        for link in links:
            schedule = self.schedules[link.task.plan_id]
            for period in self.reports.outstanding(link.task_id, link.unit_id, schedule, today):
                due.append(
                    DueReport(
                        task=link.task,
                        unit=link.unit,
                        period=period,
                        deadline=schedule.deadline(period),
                        overdue=schedule.is_overdue(period, today),
                        report=self.reports.get(link.task_id, link.unit_id, period),
                    )
                )
        due.sort(
            key=lambda d: (
                not d.overdue, d.deadline, d.task.number, d.task.item, d.unit.sort_order
            )
        )  # fmt: skip
        return due


def awaiting_review(user) -> QuerySet[TaskReport]:
    """The reports awaiting ``user``'s review, oldest submission first: the submitted reports
    of the plans whose region the user reviews (or a region above it; a superuser: every plan),
    as ``TaskAccess.can_review_plan`` decides, in the database (the partial index of the
    submitted reports). The one rule of the full list, the home's first few, their total and the
    header's badge. Only the user's region access is read (cached on the user)."""
    from regions.selectors import access_for

    regions = access_for(user)  # what can_review_plan asks; no need of the user's units
    if not regions.can_review_anything:
        return TaskReport.objects.none()
    return (
        TaskReport.objects.filter(regions.review_q("task__plan__region__"), state=State.SUBMITTED)
        .select_related("task", "task__parent", "task__plan__region", "unit", "submitted_by")
        .defer("done", "problems", "next_steps")  # a list names reports; their texts are long
        .order_by("submitted_at", "id")
    )


def task_reports_awaiting_review(user) -> list[TaskReport]:
    """Submitted reports of the plans the user reviews, oldest submission first (the
    reviewer's side of the to-do list): :func:`awaiting_review`."""
    return list(awaiting_review(user))


def task_reports_awaiting_review_page(user, *, limit: int) -> tuple[list[TaskReport], int]:
    """The first ``limit`` of :func:`task_reports_awaiting_review` and how many there are in
    all (a home's bounded read): only those rows are read, and all counted in the database (two
    queries whatever their number)."""
    reports = awaiting_review(user)
    return list(reports[:limit]), reports.count()


def submitted_reports() -> list[TaskReport]:
    """Every submitted report, oldest submission first (one query; read once for everyone by
    send_reminders, then :func:`reviewable_reports` for each reviewer)."""
    qs = (
        TaskReport.objects.filter(state=State.SUBMITTED)
        .select_related("task", "task__parent", "task__plan__region", "unit", "submitted_by")
        .defer("done", "problems", "next_steps")  # a list names reports; their texts are long
    )
    return list(qs.order_by("submitted_at", "id"))


def reviewable_reports(reports: list[TaskReport], access) -> list[TaskReport]:
    """Those of ``reports`` the holder of ``access`` (a :class:`TaskAccess`) reviews: the rule of
    :func:`awaiting_review` applied to reports read once for many reviewers (send_reminders)."""
    if not (access.everything or access.regions.can_review_anything):
        return []
    return [r for r in reports if access.can_review_plan(r.task.plan)]


def task_reports_awaiting_review_count(user) -> int:
    """How many reports :func:`task_reports_awaiting_review` lists, counted in the database
    (the header's badge): one query over the submitted reports only (a partial index)."""
    return awaiting_review(user).count()
