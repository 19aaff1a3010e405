"""Timeliness and quality of a division's reporting: its units' obligations (the reporting
obligations selector: first submission, deadline) with the first decision on each submission,
and the fractions they make (docs/progress.md, "Assessment")."""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from django.db.models import Q
from django.utils import timezone

from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.assessment.base import HUNDRED, Component, Reason
from indicators.selectors.entry import submission_deadline, submission_last_day
from indicators.selectors.obligations import reporting_obligations
from regions.models import Region


@dataclass(frozen=True)
class UnitQuarter:
    """One reporting unit's obligation for one quarter, as timeliness and quality read it:
    the deadline (last day), the first submission, the first decision on it."""

    unit: Region
    quarter: Quarter
    last_day: dt.date
    first_submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision: str  # "approved", "returned", "" (awaiting review, or nothing submitted)
    due: bool = True  # the deadline has passed or the unit has submitted
    # submission_deadline(quarter), computed once per quarter by unit_quarters: the rule asked
    # for it anew for each of the nation's 12,760 unit-quarters, twice (issue 25.3).
    deadline: dt.datetime | None = None

    @property
    def submitted(self) -> bool:
        return self.first_submitted_at is not None

    @property
    def on_time(self) -> bool:
        deadline = self.deadline or submission_deadline(self.quarter)
        return self.submitted and self.first_submitted_at < deadline

    @property
    def quality(self) -> str:
        """ "clean" (approved, never returned), "returned", "awaiting" (counts neither way) or
        "missing" (nothing submitted: no credit)."""
        if not self.submitted:
            return "missing"
        if self.decision == "returned":
            return "returned"
        return "clean" if self.decision == "approved" else "awaiting"


def unit_quarters(
    *, children: Sequence[Region], quarters: Sequence[Quarter], now=None
) -> dict[int, list[UnitQuarter]]:
    """Each child's reporting obligations for ``quarters`` (``obligations.reporting_obligations``:
    its reporting units, the child itself and the reporting divisions below it; a zone reports
    on its own, for no division), with the first decision on each submission: the first return,
    else the moment the last of its counts was first approved. A return or reopen and what
    follows never move the first submission; a reopen is no decision. Child id → obligations,
    in a constant number of queries."""
    now = now or timezone.now()
    if not children or not quarters:
        return {}
    scope = reduce(operator.or_, (Q(path__startswith=c.path) for c in children))
    scope &= Q(kind=Region.Kind.DIVISION)
    # officials=False: whether a unit has an official is no part of the assessment.
    obligations = reporting_obligations(
        scope=scope, periods=quarters, today=timezone.localtime(now).date(), officials=False
    )
    decisions = _first_decisions(scope, quarters)
    deadlines = {q: submission_deadline(q) for q in quarters}
    last_days = {q: submission_last_day(q) for q in quarters}
    child_of = _child_by_unit(children, {o.region.pk: o.region for o in obligations}.values())
    out: dict[int, list[UnitQuarter]] = defaultdict(list)
    for o in obligations:
        decision, decided = decisions.get((o.region.pk, o.period), ("", None))
        submitted = o.first_submitted_at is not None
        out[child_of[o.region.pk].pk].append(
            UnitQuarter(
                unit=o.region,
                quarter=o.period,
                last_day=last_days[o.period],
                first_submitted_at=o.first_submitted_at,
                decided_at=decided if submitted else None,
                decision=decision if submitted else "",
                due=submitted or now >= deadlines[o.period],
                deadline=deadlines[o.period],
            )  # fmt: skip
        )
    return out


def _child_by_unit(children: Sequence[Region], units) -> dict[int, Region]:
    """Unit id → the first of ``children`` whose path starts the unit's path (a look-up per
    ancestor of each unit, not a test per child for each of its quarters)."""
    by_path = {child.path: (i, child) for i, child in reversed(list(enumerate(children)))}
    out = {}
    for unit in units:
        parts = unit.path.strip("/").split("/")
        found = [
            by_path[path]
            for i in range(len(parts))
            if (path := "/" + "/".join(parts[: i + 1]) + "/") in by_path
        ]
        if found:
            out[unit.pk] = min(found, key=lambda f: f[0])[1]
    return out


def _first_decisions(scope: Q, quarters) -> dict[tuple[int, Quarter], tuple[str, dt.datetime]]:
    """(unit id, quarter) → the first decision on its submission ("returned" at the first
    return of any of its counts, else "approved" once every count has been approved, at the
    last of their first approvals). Two queries, the units and counts as subqueries (no list
    of ids however large the scope)."""
    counts: dict[tuple[int, Quarter], list[int]] = defaultdict(list)
    approved_at: dict[int, dt.datetime] = {}
    # The quarters themselves, not their whole years (twice the counts read), each Quarter
    # built once: the nation's four quarters are 25,000 counts.
    wanted = {(q.year, q.quarter): q for q in quarters}
    in_scope = QuarterlyCount.objects.filter(
        reduce(operator.or_, (Q(year=q.year, quarter=q.quarter) for q in quarters)),
        region__in=Region.objects.filter(scope, active=True, is_reporting_unit=True),
    )
    for pk, region_id, year, quarter, status, reviewed in in_scope.values_list(
        "pk", "region_id", "year", "quarter", "status", "reviewed_at"
    ):
        period = wanted.get((year, quarter))
        if period is not None:
            counts[(region_id, period)].append(pk)
            if status == QuarterlyCount.Status.APPROVED and reviewed is not None:
                approved_at[pk] = reviewed  # approved without an event (older data): as stored
    returned_at: dict[int, dt.datetime] = {}
    first_approval: dict[int, dt.datetime] = {}
    for count_id, action, at in (
        CountEvent.objects.filter(
            count__in=in_scope.values("pk"),
            action__in=[CountEvent.Action.APPROVE, CountEvent.Action.RETURN],
        )
        .order_by("at", "pk")
        .values_list("count_id", "action", "at")
    ):
        target = first_approval if action == CountEvent.Action.APPROVE else returned_at
        target.setdefault(count_id, at)
    approved_at.update(first_approval)  # the first approval decides, never a re-approval
    out = {}
    for key, ids in counts.items():
        returns = [returned_at[pk] for pk in ids if pk in returned_at]
        if returns:
            out[key] = ("returned", min(returns))
        elif ids and all(pk in approved_at for pk in ids):
            out[key] = ("approved", max(approved_at[pk] for pk in ids))
    return out


def timeliness_of(obligations: Sequence[UnitQuarter]) -> Component:
    """On-time unit-quarters ÷ unit-quarters due (nothing submitted by now counts as late)."""
    due = [o for o in obligations if o.due]
    if not due:
        return Component(None, Reason.NOT_REPORTING, (Reason.NOT_REPORTING,))
    on_time = sum(1 for o in due if o.on_time)
    return Component(HUNDRED * on_time / len(due), numerator=on_time, denominator=len(due))


def quality_of(obligations: Sequence[UnitQuarter]) -> Component:
    """Clean submissions ÷ (decided submissions + unit-quarters due with nothing submitted);
    a submission awaiting review counts neither way."""
    due = [o for o in obligations if o.due]
    if not due:
        return Component(None, Reason.NOT_REPORTING, (Reason.NOT_REPORTING,))
    clean = sum(1 for o in due if o.quality == "clean")
    judged = sum(1 for o in due if o.quality != "awaiting")
    if not judged:
        return Component(None, Reason.NONE_DECIDED, (Reason.NONE_DECIDED,))
    return Component(HUNDRED * clean / judged, numerator=clean, denominator=judged)
