"""The ranking: the weights in force (a plan's recorded decision), the score as the weighted
mean of the components that apply, the ranks, and :func:`region_assessment`, the one reader
every output calls (page, data file, Excel sheet, brief)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from indicators.models import AssessmentWeights, Indicator, Plan, Target
from indicators.periods import Quarter, first_quarter, quarter_range
from indicators.selectors.assessment.base import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    HUNDRED,
    Component,
    shown,
)
from indicators.selectors.assessment.progress import (
    IndicatorInputs,
    indicator_inputs,
    mean_of,
    target_in_force,
)
from indicators.selectors.assessment.reporting import (
    DivisionReporting,
    UnitQuarter,
    division_reporting,
)
from indicators.selectors.values import (
    DEFAULT_INCLUSION,
    Inclusion,
    region_and_children_values,
)
from regions.models import Region


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
    # How many unit-quarters timeliness and quality count; ``reporting`` lists them all or
    # the first few (region_assessment's ``listed``).
    reporting_count: int = 0

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
    listed: int | None = None,
    listed_in_full: str = "",
) -> Assessment:
    """The divisions of ``region`` (zones are parts, not ranked) assessed at ``period``.

    Queries: a constant number, whatever the number of divisions (targets, weights, the value
    grid, the reporting sums per division, the unit-quarters listed and their decisions).
    ``weights`` overrides the plan's (tests, what-if); the plan is that of the region's targets
    in force. Each row's ``reporting`` lists every unit-quarter counted, or with ``listed``
    at most that many, those that cost points first (all for the division coded
    ``listed_in_full``): :func:`~indicators.selectors.assessment.reporting.division_reporting`.
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
    by_child = division_reporting(
        region=region, children=children, quarters=quarters, now=now,
        listed=listed, listed_in_full=listed_in_full,
    )  # fmt: skip
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
        reporting = by_child.get(child.pk, DivisionReporting())
        # Quarter's own order is (year, quarter): compared as plain ints, not dataclasses.
        mine: list[UnitQuarter] = sorted(
            reporting.listed, key=lambda o: (o.quarter.year, o.quarter.quarter, o.unit.code)
        )
        components = {
            "progress": mean_of(inputs, "progress"),
            "growth": mean_of(inputs, "growth"),
            "timeliness": reporting.timeliness,
            "quality": reporting.quality,
        }
        score, applied = score_of(components, in_force_weights.values)
        rows.append(
            AssessmentRow(
                child,
                components,
                inputs,
                mine,
                score,
                None,
                applied,
                reporting_count=reporting.total,
            )  # fmt: skip
        )
    return Assessment(region, period, include, in_force_weights, rank_rows(rows), plans)
