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
