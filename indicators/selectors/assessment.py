"""The assessment ranking (考核评价) of a region's divisions as of a quarter: four components,
each scored 0–100 points against a yardstick of the division's own (never against the other
divisions), combined by the plan's recorded weights into a score and a rank.

* **progress**: the increase achieved since the complete baseline ÷ the increase the milestone
  path toward the division's target (allocated, or its share of the parent's) expects;
* **growth**: the increase over the last four quarters ÷ the increase the same path asks for
  over those quarters;
* **timeliness**: the share of the unit-quarters due whose first submission came by the
  deadline (the reporting obligations);
* **quality**: the share of the decided submissions (and of those never sent) approved without
  being returned; a submission awaiting review counts neither way.

A component that does not apply is *not applicable* with a reason, never 0; the score is the
weighted mean over the components that apply. Everything is exact (``Fraction``) and rounded
half up to two decimals only when shown (:func:`shown`). The rules, with worked examples:
docs/progress.md ("Assessment"). Values come from values.py (nothing is summed here).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from functools import reduce

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from indicators.models import (
    AssessmentWeights,
    CountEvent,
    Indicator,
    Plan,
    QuarterlyCount,
    Target,
)
from indicators.periods import Quarter, first_quarter, quarter_range
from indicators.progress import Point, increase_fraction, milestone_value, round_half_up
from indicators.selectors.entry import submission_deadline
from indicators.selectors.obligations import reporting_obligations
from indicators.selectors.values import (
    DEFAULT_INCLUSION,
    Inclusion,
    ValueGrid,
    region_and_children_values,
)
from regions.models import Region

COMPONENTS = ("progress", "growth", "timeliness", "quality")
# The installation's weights where no target manager has recorded a decision for the plan.
DEFAULT_WEIGHTS = {"progress": 40, "growth": 20, "timeliness": 20, "quality": 20}
HUNDRED = Fraction(100)


def shown(value: Fraction | int | None) -> Decimal | None:
    """An exact number as every output shows it: rounded half up, always two decimals
    (71.2 → ``Decimal("71.20")``, 97.625 → 97.63). The only rounding of the assessment."""
    rounded = round_half_up(value, 2) if value is not None else None
    return None if rounded is None else Decimal(repr(rounded)).quantize(Decimal("0.01"))


class Reason(StrEnum):
    """Why a component does not apply to a division (it is then left out, never 0)."""

    NO_TARGET = "no_target"
    NO_BASELINE = "no_baseline"
    NO_PARENT_BASELINE = "no_parent_baseline"
    NO_VALUE = "no_value"
    NO_INCREASE = "no_increase"
    NO_YEAR_AGO = "no_year_ago"
    NOT_REPORTING = "not_reporting"
    NONE_DECIDED = "none_decided"

    @property
    def label(self) -> str:
        return str(REASON_LABELS[self])


REASON_LABELS = {
    Reason.NO_TARGET: _("no target in force"),
    Reason.NO_BASELINE: _("no complete baseline"),
    Reason.NO_PARENT_BASELINE: _("no complete baseline of the parent region"),
    Reason.NO_VALUE: _("no complete value"),
    Reason.NO_INCREASE: _("the path asks for no increase"),
    Reason.NO_YEAR_AGO: _("no complete value a year earlier"),
    Reason.NOT_REPORTING: _("no unit has to report"),
    Reason.NONE_DECIDED: _("no submission decided yet"),
}


@dataclass(frozen=True)
class Weights:
    """The weights an assessment uses: the plan's latest recorded decision (who, when), else
    the installation default (``decision`` None)."""

    values: Mapping[str, int]
    plan: Plan | None = None
    decision: AssessmentWeights | None = None

    def __getitem__(self, key: str) -> int:
        return self.values[key]

    def as_text(self) -> str:
        return "/".join(str(self.values[c]) for c in COMPONENTS)


def weights_in_force(plan: Plan | None) -> Weights:
    """The weights of ``plan``'s assessments: its latest decision, else the default."""
    decision = None
    if plan is not None:
        decision = (
            AssessmentWeights.objects.filter(plan=plan)
            .select_related("decided_by")
            .order_by("-decided_at", "-pk")
            .first()
        )
    values = decision.as_dict() if decision is not None else dict(DEFAULT_WEIGHTS)
    return Weights(values, plan, decision)


@dataclass(frozen=True)
class IndicatorInputs:
    """What progress and growth read for one indicator of one division (all exact).

    ``target_value`` is the division's allocation, or (``basis`` "shared") its share of the
    parent's target: parent target × division baseline ÷ parent baseline. ``expected`` is the
    milestone path at the value's quarter, ``expected_year_ago`` four quarters earlier (the
    baseline where that is before the baseline quarter)."""

    indicator: Indicator
    parent_target: Target | None = None
    basis: str = ""  # "allocated", "shared", or "" without a target
    target_value: Fraction | None = None
    due: Quarter | None = None
    baseline: Point | None = None
    parent_baseline: Point | None = None
    value: Point | None = None
    expected: Fraction | None = None
    year_ago: Point | None = None
    expected_year_ago: Fraction | None = None
    progress_points: Fraction | None = None
    progress_reason: Reason | None = None
    growth_points: Fraction | None = None
    growth_reason: Reason | None = None

    @property
    def achieved_increase(self) -> int | None:
        if self.value is None or self.baseline is None:
            return None
        return self.value.value - self.baseline.value

    @property
    def expected_increase(self) -> Fraction | None:
        if self.expected is None or self.baseline is None:
            return None
        return self.expected - self.baseline.value

    @property
    def year_increase(self) -> int | None:
        if self.value is None or self.year_ago is None:
            return None
        return self.value.value - self.year_ago.value

    @property
    def expected_year_increase(self) -> Fraction | None:
        if self.expected is None or self.expected_year_ago is None:
            return None
        return self.expected - self.expected_year_ago


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

    @property
    def submitted(self) -> bool:
        return self.first_submitted_at is not None

    @property
    def on_time(self) -> bool:
        return self.submitted and self.first_submitted_at < submission_deadline(self.quarter)

    @property
    def quality(self) -> str:
        """ "clean" (approved, never returned), "returned", "awaiting" (counts neither way) or
        "missing" (nothing submitted: no credit)."""
        if not self.submitted:
            return "missing"
        if self.decision == "returned":
            return "returned"
        return "clean" if self.decision == "approved" else "awaiting"


@dataclass(frozen=True)
class Component:
    """A component's points (0–100, exact) or why it does not apply; for timeliness and
    quality the fraction it is (``numerator`` of ``denominator``)."""

    points: Fraction | None
    reason: Reason | None = None
    reasons: tuple[Reason, ...] = ()
    numerator: int | None = None
    denominator: int | None = None

    @property
    def applies(self) -> bool:
        return self.points is not None


@dataclass(frozen=True)
class AssessmentRow:
    """One division: its components, the inputs behind them, the score and rank (None:
    unranked, no component applies)."""

    region: Region
    components: dict[str, Component]
    indicators: list[IndicatorInputs] = field(default_factory=list)
    reporting: list[UnitQuarter] = field(default_factory=list)
    score: Fraction | None = None
    rank: int | None = None
    weights: Mapping[str, Fraction] = field(default_factory=dict)  # renormalised, in percent

    @property
    def ranked(self) -> bool:
        return self.score is not None

    @property
    def shown_score(self) -> Decimal | None:
        return shown(self.score)

    def points(self, component: str) -> Fraction | None:
        return self.components[component].points

    @property
    def terms(self) -> list[tuple[str, Fraction, Fraction]]:
        """The score's terms: (component, applied weight in percent, points), in order."""
        return [(c, w, self.components[c].points) for c, w in self.weights.items()]


@dataclass(frozen=True)
class Assessment:
    """The ranking of ``region``'s divisions at ``period`` under ``weights``."""

    region: Region
    period: Quarter
    include: Inclusion
    weights: Weights
    rows: list[AssessmentRow]
    plans: list[Plan] = field(default_factory=list)  # the plans whose targets are in force

    @property
    def ranked_rows(self) -> list[AssessmentRow]:
        return [r for r in self.rows if r.ranked]

    @property
    def unranked_rows(self) -> list[AssessmentRow]:
        return [r for r in self.rows if not r.ranked]


# --- targets and progress ---------------------------------------------------------------------


def in_force(plan: Plan, period: Quarter) -> bool:
    """The plan has been issued by ``period`` and was not out of force during it (a plan
    invalidated in 2023, 甘政发〔2023〕60号, sets no target for 2023Q1 on)."""
    start = plan.invalidated_from
    return plan.issued_quarter <= period and (start is None or start > period.end_date)


def target_in_force(targets: Sequence[Target], period: Quarter) -> Target | None:
    """Of a region's own targets for one indicator, the one ``period`` is assessed against:
    of the plans in force, the first due at or after ``period``, else the last one due."""
    live = [t for t in targets if in_force(t.plan, period)]
    ahead = [t for t in live if t.due >= period]
    if ahead:
        return min(ahead, key=lambda t: (t.due, t.pk))
    return max(live, key=lambda t: (t.due, t.pk)) if live else None


def _complete(grid: ValueGrid, code: str, ind: str, period: Quarter) -> Point | None:
    cell = grid.get(code, ind, period)
    if cell.value is None or not cell.complete:
        return None
    return Point(period, cell.value)


def _latest(grid: ValueGrid, code: str, ind: str, upto: Quarter) -> Point | None:
    points = [p for p in grid.points(code, ind) if p.period <= upto]
    return points[-1] if points else None


def _path(baseline: Point, milestones: Sequence[Point], period: Quarter) -> Fraction:
    value = milestone_value(period, baseline=baseline, milestones=milestones, exact=True)
    return Fraction(baseline.value) if value is None else value


def _points(percent: Fraction | None) -> Fraction | None:
    """A percentage as points: capped at 100, a fall (below 0) gives 0."""
    return None if percent is None else min(max(percent, Fraction(0)), HUNDRED)


def indicator_inputs(
    *,
    grid: ValueGrid,
    region: Region,
    child: Region,
    indicator: Indicator,
    period: Quarter,
    parent: Target | None,
    parent_milestones: Sequence[Target],
    allocations: Sequence[Target],
) -> IndicatorInputs:
    """Progress and growth of one division and indicator (docs/progress.md, "Assessment").

    ``parent``: the region's target in force; ``parent_milestones``: the region's targets of the
    same plan and indicator; ``allocations``: the division's targets allocated from them."""
    ind = indicator.code
    if parent is None:
        return IndicatorInputs(
            indicator,
            progress_reason=Reason.NO_TARGET,
            growth_reason=Reason.NO_TARGET,
        )
    base_q = parent.plan.issued_quarter
    baseline = _complete(grid, child.code, ind, base_q)
    mine = next((t for t in allocations if t.allocated_from_id == parent.pk), None)
    parent_baseline = None
    if mine is not None:
        basis, target_value = "allocated", Fraction(mine.value)
        by_parent = {t.allocated_from_id: t for t in allocations}
        milestones = [
            Point(t.due, by_parent[t.pk].value) for t in parent_milestones if t.pk in by_parent
        ]
    else:
        basis = "shared"
        parent_baseline = _complete(grid, region.code, ind, base_q)
        if parent_baseline is None or parent_baseline.value <= 0 or baseline is None:
            reason = Reason.NO_BASELINE if baseline is None else Reason.NO_PARENT_BASELINE
            return IndicatorInputs(
                indicator, parent, basis, None, parent.due, baseline, parent_baseline,
                value=_latest(grid, child.code, ind, min(period, parent.due)),
                progress_reason=reason, growth_reason=reason,
            )  # fmt: skip
        ratio = Fraction(baseline.value, parent_baseline.value)
        target_value = parent.value * ratio
        milestones = [Point(t.due, t.value * ratio) for t in parent_milestones]
    value = _latest(grid, child.code, ind, min(period, parent.due))
    common = dict(
        indicator=indicator, parent_target=parent, basis=basis, target_value=target_value,
        due=parent.due, baseline=baseline, parent_baseline=parent_baseline, value=value,
    )  # fmt: skip
    if baseline is None:
        return IndicatorInputs(
            **common, progress_reason=Reason.NO_BASELINE, growth_reason=Reason.NO_BASELINE
        )
    if value is None:
        return IndicatorInputs(
            **common, progress_reason=Reason.NO_VALUE, growth_reason=Reason.NO_VALUE
        )
    expected = _path(baseline, milestones, value.period)
    # The dashboards' share of the required increase, against the path's point (exact).
    progress_points = _points(increase_fraction(value.value, baseline.value, expected))
    progress_reason = Reason.NO_INCREASE if progress_points is None else None
    year_ago = _complete(grid, child.code, ind, value.period - 4)
    expected_year_ago, growth_points, growth_reason = None, None, None
    if year_ago is None:
        growth_reason = Reason.NO_YEAR_AGO
    else:
        # The same measure over the year: the increase since the value four quarters earlier
        # against the increase the path asks for over those quarters.
        expected_year_ago = _path(baseline, milestones, value.period - 4)
        share = increase_fraction(
            value.value, year_ago.value, year_ago.value + expected - expected_year_ago
        )
        growth_points = _points(share)
        growth_reason = Reason.NO_INCREASE if growth_points is None else None
    return IndicatorInputs(
        **common, expected=expected, year_ago=year_ago, expected_year_ago=expected_year_ago,
        progress_points=progress_points, progress_reason=progress_reason,
        growth_points=growth_points, growth_reason=growth_reason,
    )  # fmt: skip


def _mean(inputs: Sequence[IndicatorInputs], name: str) -> Component:
    """The mean of the indicators' points where they apply; else not applicable, with the
    indicators' reasons."""
    points = [getattr(i, f"{name}_points") for i in inputs]
    known = [p for p in points if p is not None]
    if known:
        return Component(sum(known, Fraction(0)) / len(known))
    reasons = tuple(dict.fromkeys(getattr(i, f"{name}_reason") for i in inputs))
    return Component(None, reasons[0] if reasons else Reason.NO_VALUE, reasons)


# --- reporting: timeliness and quality ------------------------------------------------------


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
    obligations = reporting_obligations(
        scope=scope, periods=quarters, today=timezone.localtime(now).date()
    )
    decisions = _first_decisions(scope, quarters)
    out: dict[int, list[UnitQuarter]] = defaultdict(list)
    for o in obligations:
        child = next(c for c in children if o.region.path.startswith(c.path))
        decision, decided = decisions.get((o.region.pk, o.period), ("", None))
        submitted = o.first_submitted_at is not None
        out[child.pk].append(
            UnitQuarter(
                unit=o.region,
                quarter=o.period,
                last_day=o.last_day,
                first_submitted_at=o.first_submitted_at,
                decided_at=decided if submitted else None,
                decision=decision if submitted else "",
                due=submitted or now >= submission_deadline(o.period),
            )  # fmt: skip
        )
    return out


def _first_decisions(scope: Q, quarters) -> dict[tuple[int, Quarter], tuple[str, dt.datetime]]:
    """(unit id, quarter) → the first decision on its submission ("returned" at the first
    return of any of its counts, else "approved" once every count has been approved, at the
    last of their first approvals). Two queries, the units and counts as subqueries (no list
    of ids however large the scope)."""
    counts: dict[tuple[int, Quarter], list[int]] = defaultdict(list)
    approved_at: dict[int, dt.datetime] = {}
    wanted = set(quarters)
    in_scope = QuarterlyCount.objects.filter(
        region__in=Region.objects.filter(scope, active=True, is_reporting_unit=True),
        year__gte=min(quarters).year,
        year__lte=max(quarters).year,
    )
    for pk, region_id, year, quarter, status, reviewed in in_scope.values_list(
        "pk", "region_id", "year", "quarter", "status", "reviewed_at"
    ):
        if Quarter(year, quarter) in wanted:
            counts[(region_id, Quarter(year, quarter))].append(pk)
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


# --- the ranking ------------------------------------------------------------------------------


def score_of(
    components: Mapping[str, Component], weights: Mapping[str, int]
) -> tuple[Fraction | None, dict[str, Fraction]]:
    """The weighted mean of the points of the components that apply (weights renormalised
    over them), and each applied weight as a percentage of their total. None where none of
    the weighted components applies."""
    applied = {c: weights[c] for c in COMPONENTS if components[c].applies and weights[c] > 0}
    total = sum(applied.values())
    if not total:
        return None, {}
    score = sum(Fraction(w) * components[c].points for c, w in applied.items()) / total
    return score, {c: HUNDRED * w / total for c, w in applied.items()}


def rank_rows(rows: Sequence[AssessmentRow]) -> list[AssessmentRow]:
    """Ranked rows best first (rank 1; equal shown scores share a rank: 1, 1, 3; then by
    code), the unranked after them by code."""
    ranked = sorted((r for r in rows if r.ranked), key=lambda r: (-r.shown_score, r.region.code))
    out, rank = [], 0
    for i, row in enumerate(ranked):
        if i == 0 or row.shown_score != ranked[i - 1].shown_score:
            rank = i + 1
        out.append(AssessmentRow(**{**row.__dict__, "rank": rank}))
    out += sorted((r for r in rows if not r.ranked), key=lambda r: r.region.code)
    return out


def region_assessment(
    *,
    region: Region,
    period: Quarter,
    include: Inclusion = DEFAULT_INCLUSION,
    weights: Mapping[str, int] | None = None,
    now=None,
) -> Assessment:
    """The divisions of ``region`` (zones are parts, not ranked) assessed at ``period``.

    Queries: a constant number, whatever the number of divisions (targets, weights, the value
    grid, the reporting units, their counts and the counts' decisions). ``weights`` overrides
    the plan's (tests, what-if); the plan is that of the region's targets in force.
    """
    indicators = list(Indicator.objects.all())
    children = list(
        Region.objects.filter(parent=region, active=True, kind=Region.Kind.DIVISION).order_by(
            "code"
        )
    )
    own: dict[int, list[Target]] = defaultdict(list)
    # The region's targets: a plan's own, or allocated to it from above (a prefecture ranks
    # its counties against the province's target handed down to it).
    for t in Target.objects.filter(region=region).select_related("plan"):
        own[t.indicator_id].append(t)
    parents = {ind.pk: target_in_force(own.get(ind.pk, []), period) for ind in indicators}
    plans = list({t.plan_id: t.plan for t in parents.values() if t is not None}.values())
    plans.sort(key=lambda p: (p.issued_on, p.pk))
    allocations: dict[tuple[int, int], list[Target]] = defaultdict(list)
    for t in Target.objects.filter(
        region__in=children, allocated_from__in=[t for ts in own.values() for t in ts]
    ):
        allocations[(t.region_id, t.indicator_id)].append(t)
    in_force_weights = weights_in_force(plans[-1] if plans else None)
    if weights is not None:
        in_force_weights = Weights(dict(weights), in_force_weights.plan, None)
    base_quarters = [p.issued_quarter for p in plans]
    # From four quarters before the earliest baseline: the value judged is never older than
    # its baseline, so its value a year earlier is in the grid too.
    start = min([period - 4, *(q - 4 for q in base_quarters)])
    grid = region_and_children_values(
        root=region, start=start, end=period, indicators=indicators, include=include
    )
    # The four quarters ending at ``period``, none before the first quarter CertTrack holds.
    quarters = [q for q in quarter_range(period - 3, period) if q >= first_quarter()]
    by_child = unit_quarters(children=children, quarters=quarters, now=now)
    rows = []
    for child in children:
        inputs = []
        for ind in indicators:
            parent = parents[ind.pk]
            same_plan = (
                [t for t in own[ind.pk] if parent is not None and t.plan_id == parent.plan_id]
                if parent is not None
                else []
            )
            inputs.append(
                indicator_inputs(
                    grid=grid,
                    region=region,
                    child=child,
                    indicator=ind,
                    period=period,
                    parent=parent,
                    parent_milestones=same_plan,
                    allocations=allocations.get((child.pk, ind.pk), []),
                )  # fmt: skip
            )
        mine = sorted(by_child.get(child.pk, []), key=lambda o: (o.quarter, o.unit.code))
        components = {
            "progress": _mean(inputs, "progress"),
            "growth": _mean(inputs, "growth"),
            "timeliness": timeliness_of(mine),
            "quality": quality_of(mine),
        }
        score, applied = score_of(components, in_force_weights.values)
        rows.append(AssessmentRow(child, components, inputs, mine, score, None, applied))
    return Assessment(region, period, include, in_force_weights, rank_rows(rows), plans)
