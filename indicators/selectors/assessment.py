"""The assessment ranking (考核评价) of a region's divisions for a quarter: progress against
their (allocated) targets, growth on a year earlier, timeliness and data quality of their
reporting, combined by the weights of ``CERTTRACK_ASSESSMENT_WEIGHTS`` into a score and a rank.
The rules are in docs/progress.md ("Assessment"). Values come from values.py (nothing is summed
here); timeliness and quality count submissions, as the review queue does (entry.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from indicators.models import CountEvent, Indicator, QuarterlyCount, Target
from indicators.periods import Quarter, quarter_range
from indicators.progress import Point, milestone_value, round_half_up
from indicators.selectors.entry import submission_deadline
from indicators.selectors.values import (
    DEFAULT_INCLUSION,
    Inclusion,
    ValueGrid,
    region_and_children_values,
)
from regions.models import Region

COMPONENTS = ("progress", "growth", "timeliness", "quality")
DEFAULT_WEIGHTS = "progress=40,growth=20,timeliness=20,quality=20"
REPORTED = (QuarterlyCount.Status.SUBMITTED, QuarterlyCount.Status.APPROVED)


def parse_weights(text: str) -> dict[str, float]:
    """``"progress=40,growth=20,timeliness=20,quality=20"`` → weights by component. A component
    left out weighs 0; an unknown name, a negative or non-numeric weight, or all zero is a
    configuration error."""
    weights = {c: 0.0 for c in COMPONENTS}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, _, number = part.partition("=")
        name = name.strip().lower()
        try:
            value = float(number)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"CERTTRACK_ASSESSMENT_WEIGHTS: bad weight {part!r}"
            ) from exc
        if name not in weights or value < 0:
            raise ImproperlyConfigured(f"CERTTRACK_ASSESSMENT_WEIGHTS: bad weight {part!r}")
        weights[name] = value
    if not any(weights.values()):
        raise ImproperlyConfigured("CERTTRACK_ASSESSMENT_WEIGHTS: every weight is 0")
    return weights


def assessment_weights() -> dict[str, float]:
    """The weights in force (setting ``CERTTRACK_ASSESSMENT_WEIGHTS``, docs/progress.md)."""
    return parse_weights(settings.CERTTRACK.get("ASSESSMENT_WEIGHTS", DEFAULT_WEIGHTS))


@dataclass(frozen=True)
class AssessmentRow:
    """One division's components (percent; None where unknown), points (0–100), score, rank."""

    region: Region
    progress: float | None
    progress_basis: str  # allocated, share_of_growth, mixed, none
    growth: float | None
    timeliness: float | None
    quality: float | None
    points: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    rank: int = 0


@dataclass(frozen=True)
class Assessment:
    """The ranking of ``region``'s divisions at ``period`` under ``weights``."""

    region: Region
    period: Quarter
    include: Inclusion
    weights: dict[str, float]
    rows: list[AssessmentRow]

    @property
    def weight_shares(self) -> dict[str, float]:
        """Each weight as a percentage of their total (how much each component counts)."""
        total = sum(self.weights.values())
        return {k: round_half_up(Fraction(100) * Fraction(v) / Fraction(total), 2)
                for k, v in self.weights.items()}  # fmt: skip


def _pick(targets: Sequence[Target], period: Quarter) -> Target | None:
    """The target a quarter is assessed against: the first due at or after it, else the last."""
    ahead = [t for t in targets if t.due >= period]
    if ahead:
        return min(ahead, key=lambda t: (t.due, t.pk))
    return max(targets, key=lambda t: (t.due, t.pk)) if targets else None


def progress_ratio(
    *,
    grid: ValueGrid,
    code: str,
    ind: str,
    period: Quarter,
    due: Quarter,
    target_value: Fraction,
    baseline: Point | None,
    milestones: Sequence[Point] = (),
) -> Fraction | None:
    """The division's latest complete value up to ``period`` (and not after ``due``) against
    what it should be: the target once the due quarter is reached, else the milestone path at
    the value's quarter (from the division's own baseline; the target without a baseline).
    None without a value."""
    points = [p for p in grid.points(code, ind) if p.period <= min(period, due)]
    if not points:
        return None
    latest = points[-1]
    if latest.period >= due or baseline is None:
        reference = target_value
    else:
        path = [Point(m.period, m.value) for m in milestones] or [Point(due, target_value)]
        reference = Fraction(milestone_value(latest.period, baseline=baseline, milestones=path))
    if reference <= 0:
        return None
    return Fraction(latest.value) / Fraction(reference)


def _baseline(grid: ValueGrid, code: str, ind: str, quarter: Quarter) -> Point | None:
    cell = grid.get(code, ind, quarter)
    if cell.value is None or not cell.complete:
        return None
    return Point(quarter, cell.value)


def _progress(
    *,
    grid: ValueGrid,
    region: Region,
    child: Region,
    indicators: Sequence[Indicator],
    period: Quarter,
    allocated: Mapping[tuple[int, int], list[Target]],
    own: Mapping[int, list[Target]],
) -> tuple[float | None, str]:
    """Mean over the indicators of the capped progress ratio, in percent; and its basis."""
    ratios, bases = [], set()
    for ind in indicators:
        mine = allocated.get((child.pk, ind.pk), [])
        # The parent's target the quarter is assessed against; the division's allocation of it
        # where there is one (else the division's share of its growth).
        parent = _pick(own.get(ind.pk, []), period)
        if parent is not None:
            target = next((t for t in mine if t.allocated_from_id == parent.pk), None)
        else:
            target = _pick(mine, period)
        if target is not None:
            base_q = target.plan.issued_quarter
            siblings = [Point(t.due, t.value) for t in mine if t.plan_id == target.plan_id]
            ratio = progress_ratio(
                grid=grid, code=child.code, ind=ind.code, period=period, due=target.due,
                target_value=Fraction(target.value),
                baseline=_baseline(grid, child.code, ind.code, base_q), milestones=siblings,
            )  # fmt: skip
            bases.add("allocated")
        else:
            if parent is None:
                continue
            base_q = parent.plan.issued_quarter
            base_p = _baseline(grid, region.code, ind.code, base_q)
            base_d = _baseline(grid, child.code, ind.code, base_q)
            bases.add("share_of_growth")
            if base_p is None or base_d is None or base_p.value <= 0:
                ratio = None
            else:
                # The division's share (by its baseline) of the parent's target growth.
                implied = Fraction(parent.value * base_d.value, base_p.value)
                ratio = progress_ratio(
                    grid=grid, code=child.code, ind=ind.code, period=period, due=parent.due,
                    target_value=implied, baseline=base_d,
                    milestones=[Point(parent.due, implied)],
                )  # fmt: skip
        ratios.append(min(ratio, Fraction(1)) if ratio is not None else Fraction(0))
    if not ratios:
        return None, "none"
    basis = bases.pop() if len(bases) == 1 else "mixed"
    return round_half_up(Fraction(100) * sum(ratios) / len(ratios), 2), basis


def _growth(grid: ValueGrid, code: str, indicators: Sequence[Indicator], period: Quarter):
    """Mean over the indicators of the year-on-year change of the complete values, percent."""
    changes = []
    for ind in indicators:
        now, then = grid.get(code, ind.code, period), grid.get(code, ind.code, period - 4)
        if now.value is None or then.value is None or not now.complete or not then.complete:
            continue
        if then.value:
            changes.append(Fraction(100 * (now.value - then.value), then.value))
    return sum(changes) / len(changes) if changes else None  # exact; rounded when shown


def _reporting(
    *, children: Sequence[Region], period: Quarter, n_indicators: int
) -> dict[int, tuple[float | None, float | None]]:
    """Timeliness and quality of each child's reporting units over the four quarters ending at
    ``period`` (two queries): the share of unit-quarters first submitted by the deadline (and
    submitted or approved now), and the share of submitted unit-quarters approved without ever
    being returned."""
    quarters = list(quarter_range(period - 3, period))
    units: dict[int, int] = {}  # reporting unit id -> child id
    if children:
        parent_path = children[0].path.rsplit("/", 2)[0] + "/"
        for unit_id, path in Region.objects.filter(
            path__startswith=parent_path,
            active=True,
            is_reporting_unit=True,
            kind=Region.Kind.DIVISION,  # a zone reports on its own, not for its parent
        ).values_list("pk", "path"):
            child = next((c for c in children if path.startswith(c.path)), None)
            if child is not None:
                units[unit_id] = child.pk
    counts = list(
        QuarterlyCount.objects.filter(region_id__in=list(units))
        .filter(year__gte=quarters[0].year, year__lte=period.year)
        .values_list("pk", "region_id", "year", "quarter", "status", "first_submitted_at")
    )
    counts = [c for c in counts if Quarter(c[2], c[3]) in quarters]
    returned = set(
        CountEvent.objects.filter(
            count_id__in=[c[0] for c in counts], action=CountEvent.Action.RETURN
        ).values_list("count_id", flat=True)
    )
    by_unit_q: dict[tuple[int, Quarter], list] = defaultdict(list)
    for c in counts:
        by_unit_q[(c[1], Quarter(c[2], c[3]))].append(c)
    on_time: dict[int, int] = defaultdict(int)
    expected: dict[int, int] = defaultdict(int)
    submitted: dict[int, int] = defaultdict(int)
    clean: dict[int, int] = defaultdict(int)
    for unit_id, child_id in units.items():
        for q in quarters:
            expected[child_id] += 1
            rows = by_unit_q.get((unit_id, q), [])
            firsts = [r[5] for r in rows]
            if len(rows) < n_indicators or any(f is None for f in firsts):
                continue
            submitted[child_id] += 1
            if all(r[4] in REPORTED for r in rows) and max(firsts) < submission_deadline(q):
                on_time[child_id] += 1
            if all(r[4] == QuarterlyCount.Status.APPROVED for r in rows) and not any(
                r[0] in returned for r in rows
            ):
                clean[child_id] += 1
    out = {}
    for child in children:
        e, s = expected[child.pk], submitted[child.pk]
        out[child.pk] = (
            round_half_up(Fraction(100 * on_time[child.pk], e), 2) if e else None,
            round_half_up(Fraction(100 * clean[child.pk], s), 2) if s else None,
        )
    return out


def region_assessment(
    *,
    region: Region,
    period: Quarter,
    include: Inclusion = DEFAULT_INCLUSION,
    weights: Mapping[str, float] | None = None,
) -> Assessment:
    """The divisions of ``region`` (zones are parts, not ranked) ranked at ``period``.

    Components, in percent: *progress* (against each indicator's allocated target, else the
    division's baseline share of the parent's target: docs/progress.md), *growth* (year on
    year), *timeliness* and *quality* (last four quarters). Points: progress capped at 100;
    growth scaled from the lowest (0) to the highest (100) among the divisions; timeliness and
    quality as they are; unknown = 0. Score = the weighted mean of the points; rank 1 = best,
    ties share a rank.
    """
    weights = dict(weights or assessment_weights())
    indicators = list(Indicator.objects.all())
    children = list(
        Region.objects.filter(parent=region, active=True, kind=Region.Kind.DIVISION).order_by(
            "code"
        )
    )
    allocated: dict[tuple[int, int], list[Target]] = defaultdict(list)
    for t in Target.objects.filter(
        region__in=children, allocated_from__isnull=False
    ).select_related("plan"):
        allocated[(t.region_id, t.indicator_id)].append(t)
    own: dict[int, list[Target]] = defaultdict(list)
    for t in Target.objects.filter(region=region).select_related("plan"):
        own[t.indicator_id].append(t)
    plans_q = [t.plan.issued_quarter for ts in (*allocated.values(), *own.values()) for t in ts]
    start = min([period - 4, *plans_q])
    grid = region_and_children_values(
        root=region, start=start, end=period, indicators=indicators, include=include
    )
    reporting = _reporting(children=children, period=period, n_indicators=len(indicators))
    raw = []
    for child in children:
        progress, basis = _progress(
            grid=grid, region=region, child=child, indicators=indicators, period=period,
            allocated=allocated, own=own,
        )  # fmt: skip
        timeliness, quality = reporting[child.pk]
        raw.append((child, progress, basis, _growth(grid, child.code, indicators, period),
                    timeliness, quality))  # fmt: skip
    growths = [g for _, _, _, g, _, _ in raw if g is not None]
    low, high = (min(growths), max(growths)) if growths else (0, 0)  # exact fractions
    total = sum(weights.values())
    scored = []
    for child, progress, basis, growth, timeliness, quality in raw:
        if growth is None:
            growth_points = 0.0
        elif high == low:
            growth_points = 100.0
        else:
            growth_points = (
                100
                * (Fraction(str(growth)) - Fraction(str(low)))
                / (Fraction(str(high)) - Fraction(str(low)))
            )
        points = {
            "progress": min(progress or 0, 100),
            "growth": round_half_up(Fraction(growth_points), 2),
            "timeliness": timeliness or 0,
            "quality": quality or 0,
        }
        score = sum(Fraction(str(weights[k])) * Fraction(str(points[k])) for k in COMPONENTS)
        score = round_half_up(score / Fraction(str(total)), 2)
        scored.append(AssessmentRow(child, progress, basis, round_half_up(growth, 2),
                                    timeliness, quality, points, score))  # fmt: skip
    scored.sort(key=lambda r: (-r.score, r.region.code))
    rows, rank = [], 0
    for i, row in enumerate(scored):
        if i == 0 or row.score != scored[i - 1].score:
            rank = i + 1
        rows.append(AssessmentRow(**{**row.__dict__, "rank": rank}))
    return Assessment(region, period, include, weights, rows)
