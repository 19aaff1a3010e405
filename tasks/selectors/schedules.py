"""Each plan's reporting schedule: its periods, which have begun or ended, and their deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from indicators.models import Plan
from tasks.models import (
    ReportingSchedule,
)
from tasks.periods import HALF_YEAR, ReportPeriod, period_range


@dataclass(frozen=True)
class Schedule:
    """A plan's reporting periods: ``first`` to ``last`` (open-ended if None), each due
    ``deadline_days`` after it ends; of an invalidated plan, only those to ``asked_until`` are
    asked for (due, overdue)."""

    kind: str
    deadline_days: int
    first: ReportPeriod
    last: ReportPeriod | None
    asked_until: ReportPeriod | None = None  # an invalidated plan's last period asked for

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
        """Periods that have ended by ``today`` and that the plan asks for: their reports are
        due (none that starts after an invalidation)."""
        until = self._until(self.current(today) - 1)
        if self.asked_until is not None:
            until = min(until, self.asked_until)
        return list(period_range(self.first, until))

    def contains(self, period: ReportPeriod) -> bool:
        return (
            period.kind == self.kind
            and period >= self.first
            and (self.last is None or period <= self.last)
        )


def _schedule(plan: Plan, row: ReportingSchedule | None) -> Schedule:
    """The plan's schedule. An invalidated plan asks for no report of a period that starts
    after its invalidation (``Plan.invalidated_from``, the rule every target follows too): the
    last period it asks for is the one the invalidation falls in (issue 22.4, docs/progress.md).
    A unit may still write a report of a later period of the schedule; it is never due."""
    kind = row.period_kind if row else HALF_YEAR
    days = row.deadline_days if row else settings.CERTTRACK["TASK_DEADLINE_DAYS"]
    starts = (row.starts_on if row else None) or plan.issued_on
    first = ReportPeriod.of_date(kind, starts)
    last = ReportPeriod.of_date(kind, row.ends_on) if row and row.ends_on else None
    asked = None
    if plan.invalidated_from is not None:
        asked = ReportPeriod.of_date(kind, plan.invalidated_from)
    return Schedule(kind, days, first, last, asked_until=asked)


def schedules_for(plans: Iterable[Plan]) -> dict[int, Schedule]:
    """Each plan's schedule (its ReportingSchedule, or the default: half-years from issue)."""
    plans = list(plans)
    rows = {s.plan_id: s for s in ReportingSchedule.objects.filter(plan__in=plans)}
    return {p.pk: _schedule(p, rows.get(p.pk)) for p in plans}


def schedule_for(plan: Plan) -> Schedule:
    return schedules_for([plan])[plan.pk]
