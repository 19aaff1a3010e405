"""Pure progress maths: % achieved, milestone path, status, least-squares forecast.

No ORM and no request: series of ``Point`` in, ``TargetProgress`` out. The rules are documented
in docs/progress.md; the selectors feed these functions with the stock values they compute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from operator import attrgetter

from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from indicators.periods import Quarter


@dataclass(frozen=True)
class Point:
    """A known value at a quarter end."""

    period: Quarter
    value: int


class Status(StrEnum):
    ACHIEVED = "achieved"
    MISSED = "missed"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BEHIND = "behind"
    PENDING = "pending"  # the due quarter has passed, its value is not complete yet
    NOT_ISSUED = "not_issued"  # as of a quarter before the plan was issued
    NO_DATA = "no_data"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.ACHIEVED: _("Achieved"),
    Status.MISSED: _("Missed"),
    Status.ON_TRACK: _("On track"),
    Status.AT_RISK: _("At risk"),
    Status.BEHIND: _("Behind"),
    Status.PENDING: _("Pending"),
    Status.NOT_ISSUED: _("Not yet issued"),
    Status.NO_DATA: _("No data"),
}


class BaselineNote(StrEnum):
    """Why a target has no baseline (docs/progress.md, "Baseline")."""

    INCOMPLETE = "incomplete"  # the baseline quarter's value is a partial roll-up
    NO_DATA = "no_data"  # nothing known at the baseline quarter

    @property
    def label(self) -> str:
        return str(BASELINE_NOTE_LABELS[self])


BASELINE_NOTE_LABELS = {
    BaselineNote.INCOMPLETE: _("baseline data incomplete"),
    BaselineNote.NO_DATA: _("no baseline data"),
}


def round_half_up(value: float | int | Fraction | Decimal | None, digits: int = 2):
    """``value`` rounded to ``digits`` decimals, halves away from zero (97.625 → 97.63), as a
    float; None stays None. The one rounding of every percentage CertTrack shows (page, JSON,
    CSV, Excel), so that no two outputs differ in the last digit.

    A float is read by its shortest decimal form (``repr``: 97.625 is 97.625, not Python's
    banker's ``round(97.625, 2) == 97.62``); pass a ``Fraction`` for an exact ratio of counts.
    """
    if value is None:
        return None
    if isinstance(value, int | Fraction):  # exact: halves of a ratio of counts are exact too
        # floor(|n/d| × scale + 1/2) in integers (d > 0): the same number as with Fractions,
        # without building three of them per percentage (thousands on a national home).
        n, d, scale = value.numerator, value.denominator, 10**digits
        units = (2 * abs(n) * scale + d) // (2 * d)
        return (units if n >= 0 else -units) / scale
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def percent_of(part: int | None, whole: int | None) -> float | None:
    """``part`` as a percentage of ``whole``, computed exactly from the counts and rounded
    half up to two decimals (3905 of 4000 → 97.63); None where either is unknown or whole is 0."""
    if part is None or not whole:
        return None
    return round_half_up(Fraction(100 * part, whole), 2)


def change_percent(value: int | None, earlier: int | None) -> float | None:
    """Relative change of a stock against an earlier snapshot, in percent, rounded half up to
    two decimals ((110 − 80) / 80 → 37.5); None where either is unknown or the earlier is 0."""
    if value is None or not earlier:
        return None
    return round_half_up(Fraction(100 * (value - earlier), earlier), 2)


@dataclass(frozen=True)
class Trend:
    """A least-squares line ``value = intercept + slope * (quarter.index - origin.index)``."""

    origin: Quarter
    intercept: float
    slope: float  # per quarter

    def at(self, period: Quarter) -> float:
        return self.intercept + self.slope * (period - self.origin)

    def first_reaching(self, value: float, *, after: Quarter, limit: int = 200) -> Quarter | None:
        """The first quarter strictly after ``after`` at which the line is ≥ ``value``
        (None if never, or not within ``limit`` quarters)."""
        if self.slope <= 0:
            nxt = after + 1
            return nxt if self.at(nxt) >= value else None
        # The smallest whole number of steps with at(after + steps) ≥ value, at least one;
        # a hair of tolerance so that 8.000000001 steps (float noise) is 8, then checked.
        steps = max(math.ceil((value - self.at(after)) / self.slope - 1e-9), 1)
        if steps > limit + 1:
            return None
        while steps > 1 and self.at(after + (steps - 1)) >= value:
            steps -= 1
        while self.at(after + steps) < value:
            steps += 1
        return after + steps if steps <= limit else None


def linear_trend(points: Sequence[Point], *, window: int = 8) -> Trend | None:
    """Ordinary least squares over the last ``window`` points; None with fewer than two."""
    pts = sorted(points, key=lambda p: p.period)[-window:]
    if len(pts) < 2:
        return None
    origin = pts[0].period
    xs = [p.period - origin for p in pts]
    ys = [p.value for p in pts]
    n = len(pts)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False)) / sxx
    return Trend(origin=origin, intercept=my - slope * mx, slope=slope)


def milestone_value(
    period: Quarter, *, baseline: Point, milestones: Sequence[Point], exact: bool = False
) -> float | Fraction | None:
    """The value the milestone path asks for at ``period``.

    The path runs straight from the baseline to the first target, then from each target to the
    next. Before the baseline there is no path (None); after the last target it stays level.
    ``exact``: a ``Fraction`` (the assessment scores from it, rounding only what it shows).
    """
    if period < baseline.period:
        return None
    previous = baseline
    for milestone in sorted(milestones, key=lambda m: m.period):
        if milestone.period <= previous.period:
            continue
        if period <= milestone.period:
            span = milestone.period - previous.period
            share = Fraction(period - previous.period, span)
            value = previous.value + share * (Fraction(milestone.value) - previous.value)
            return value if exact else float(value)
        previous = milestone
    return Fraction(previous.value) if exact else float(previous.value)


def percent(value: int | None, target: int) -> float | None:
    """Share of the target reached, in percent, rounded half up to two decimals (100.0 =
    exactly met; 3905 of 4000 → 97.63): :func:`percent_of`."""
    if value is None or target <= 0:
        return None
    return percent_of(value, target)


def increase_fraction(
    value: int | None, baseline: int | None, target: int | Fraction | None
) -> Fraction | None:
    """:func:`increase_share` exactly, unrounded: (value − baseline) ÷ (target − baseline) × 100.
    ``target`` may be a point of a milestone path (a ``Fraction``): the assessment measures the
    increase achieved against the increase the path expects by then, and rounds only what it
    shows (docs/progress.md, "Assessment")."""
    if value is None or baseline is None or target is None or target <= baseline:
        return None
    return Fraction(100 * (value - baseline)) / (target - baseline)


def increase_share(value: int | None, baseline: int | None, target: int | None) -> Decimal | None:
    """Share of the increase a stock target asks for that is achieved since its baseline, in
    percent: (value − baseline) ÷ (target − baseline) × 100, computed exactly from the counts and
    rounded half up to two decimals (docs/progress.md, "How far along a target is").

    Gansu's 2027 certificates: baseline 12,781, target 14,200, value 13,626 →
    (13,626 − 12,781) ÷ (14,200 − 12,781) = 845 ÷ 1,419 = 59.55 %.

    * ``value`` or ``baseline`` unknown (None): None (no baseline, no share of the increase).
    * ``target`` ≤ ``baseline``: the target asks for no increase (it was met at the baseline):
      None, never a division by zero or a negative "increase"; the share of the target reached
      (:func:`percent`) still says how far along it is.
    * A value below the baseline gives a negative share (the stock fell); a value beyond the
      target more than 100 %. Neither is capped: the caller decides (the assessment caps at 100).
    """
    exact = increase_fraction(value, baseline, target)
    if exact is None:
        return None
    scaled = abs(exact) * 100
    units = math.floor(scaled + Fraction(1, 2))
    return (Decimal(units if exact >= 0 else -units) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class DueGap:
    """What the due quarter's value lacks while it is incomplete (status *pending*): the
    divisions without a (complete) value, and the regions whose counts await review (which
    the approved-only view leaves out), each as (code, name)."""

    missing: tuple[tuple[str, str], ...] = ()
    awaiting: tuple[tuple[str, str], ...] = ()

    @property
    def awaiting_review(self) -> int:
        """How many counts await review (one per region and indicator)."""
        return len(self.awaiting)

    @property
    def missing_codes(self) -> list[str]:
        return [code for code, _name in self.missing]

    @property
    def missing_names(self) -> list[str]:
        return [name for _code, name in self.missing]


@dataclass(frozen=True)
class TargetProgress:
    """Where a stock stands against one "at least" target, and where its trend leads."""

    target_value: int
    due: Quarter
    as_of: Quarter
    status: Status
    value: int | None  # at the due quarter once it has data, else the latest known
    measured_at: Quarter | None
    at_due: bool  # value is the due quarter's own snapshot
    percent: float | None  # rounded half up to two decimals (round_half_up)
    baseline: Point | None
    expected: float | None  # milestone path at measured_at (before the due quarter)
    trend: Trend | None  # None where the target has no forecast (finished, withdrawn)
    forecast_value: float | None  # trend projected to the due quarter
    forecast_meets: bool | None
    crossing: Quarter | None  # first quarter after the latest value the trend reaches the target
    quarters_left: int  # from as_of to due (0 once due)
    needed_per_quarter: int | None  # average rise per quarter still needed
    baseline_note: BaselineNote | None = None  # why there is no baseline
    due_gap: DueGap | None = None  # what the due quarter lacks (pending only)
    withdrawn: bool = False  # the plan was invalidated before the due quarter

    @property
    def gap(self) -> int | None:
        """Value minus target (negative = short of it)."""
        if self.value is None or self.status is Status.NOT_ISSUED:
            return None
        return self.value - self.target_value

    @property
    def increase_percent(self) -> Decimal | None:
        """Share of the required increase achieved since the baseline, in percent
        (:func:`increase_share` of the value shown, the baseline and the target); None without
        a baseline, for a plan not yet issued, or where the target asks for no increase."""
        if self.status is Status.NOT_ISSUED or self.baseline is None:
            return None
        return increase_share(self.value, self.baseline.value, self.target_value)

    @property
    def is_final(self) -> bool:
        """The due quarter has passed (as of): achieved, missed, pending or no data; no
        forecast any more."""
        return self.as_of >= self.due

    @property
    def has_forecast(self) -> bool:
        return self.trend is not None


_PERIOD_KEY = attrgetter("period.year", "period.quarter")


def target_progress(
    *,
    target_value: int,
    due: Quarter,
    series: Sequence[Point],
    as_of: Quarter,
    baseline: Point | None,
    milestones: Sequence[Point] = (),
    margin: float = 0.05,
    window: int = 8,
    issued: Quarter | None = None,
    withdrawn: bool = False,
    baseline_note: BaselineNote | None = None,
    due_gap: DueGap | None = None,
) -> TargetProgress:
    """Status of an "at least" target from a quarterly stock series (docs/progress.md).

    ``series`` holds the *complete* values only (an incomplete roll-up is never a point).

    * ``as_of`` before the plan's ``issued`` quarter: *not yet issued* (no judgement, no
      forecast; the latest value is kept as context).
    * The due quarter has a value: *achieved* if it is ≥ the target, else *missed*.
    * The due quarter has passed and its value is incomplete (``due_gap``: divisions missing,
      or counts awaiting review in the approved-only view): *pending*; the latest complete
      value up to the due quarter is kept as context (``at_due=False``).
    * The due quarter has passed and nothing at all is known for it: the latest value of the
      due year stands in, flagged ``at_due=False``, and the status is achieved / missed on it.
    * Before the due quarter: compare the latest value with the milestone path at that quarter:
      *on track* at or above it, *at risk* if short by at most ``margin`` × (target − baseline),
      *behind* beyond that. Without a baseline: *on track* if the value already meets the target
      or the trend is projected to, else *behind*.
    * Nothing known: *no data*.

    Forecast, crossing and needed pace only for a target still ahead (``as_of`` before the due
    quarter) whose plan was not invalidated before it (``withdrawn``) and is issued.
    """
    # Sorted by a key read in C (a national home sorts 3,000 series of 36 points), then cut
    # at as_of only where the last point is after it.
    known = sorted(series, key=_PERIOD_KEY)
    if known and known[-1].period > as_of:
        known = [p for p in known if p.period <= as_of]
    # Every known point is at or before as_of: the due quarter can be among them only once due.
    due_point = next((p for p in known if p.period == due), None) if due <= as_of else None
    quarters_left = max(due - as_of, 0)
    not_issued = issued is not None and as_of < issued
    finished = as_of >= due
    forecastable = not (finished or withdrawn or not_issued)

    if due_point is not None:
        point, at_due = due_point, True
    elif finished:
        up_to_due = [p for p in known if p.period <= due]
        if due_gap is not None:  # pending: the latest complete value before it, as context
            point = up_to_due[-1] if up_to_due else None
        else:
            in_due_year = [p for p in up_to_due if p.period.year == due.year]
            point = in_due_year[-1] if in_due_year else None
        at_due = False
    else:
        point, at_due = (known[-1] if known else None), False

    trend = linear_trend(known, window=window) if forecastable else None
    forecast_value = trend.at(due) if trend else None
    forecast_meets = None if forecast_value is None else forecast_value >= target_value

    expected = None
    if not_issued:
        status = Status.NOT_ISSUED
    elif due_point is None and finished and due_gap is not None:
        status = Status.PENDING
    elif point is None:
        status = Status.NO_DATA
    elif finished:
        status = Status.ACHIEVED if point.value >= target_value else Status.MISSED
    else:
        base = baseline if baseline is not None and baseline.period <= point.period else None
        if base is None:
            # No baseline, no path: judge by the target itself, else by the trend.
            met_or_heading = point.value >= target_value or bool(forecast_meets)
            status = Status.ON_TRACK if met_or_heading else Status.BEHIND
        else:
            path = [m for m in milestones if m.period != due] + [Point(due, target_value)]
            expected = milestone_value(point.period, baseline=base, milestones=path)
            shortfall = expected - point.value
            if shortfall <= 0:
                status = Status.ON_TRACK
            elif shortfall <= margin * abs(target_value - base.value):
                status = Status.AT_RISK
            else:
                status = Status.BEHIND

    crossing = None
    needed = None
    if forecastable and known:
        latest = known[-1]  # the latest complete value
        if trend is not None:
            crossing = trend.first_reaching(target_value, after=latest.period)
        # From the latest complete value's quarter, not from as_of: the quarters after it
        # are still to be reported, and the rise must happen over them too.
        needed = max(math.ceil((target_value - latest.value) / (due - latest.period)), 0)

    return TargetProgress(
        target_value=target_value,
        due=due,
        as_of=as_of,
        status=status,
        value=point.value if point else None,
        measured_at=point.period if point else None,
        at_due=at_due,
        percent=None if not_issued else percent(point.value if point else None, target_value),
        baseline=baseline,
        expected=expected,
        trend=trend,
        forecast_value=forecast_value,
        forecast_meets=forecast_meets,
        crossing=crossing,
        quarters_left=quarters_left,
        needed_per_quarter=needed,
        baseline_note=None if baseline is not None else baseline_note,
        due_gap=due_gap if status is Status.PENDING else None,
        withdrawn=withdrawn,
    )


# --- in words (pages, Excel notes) -----------------------------------------------------


def names_text(names) -> str:
    """Region names as one phrase: 兰州市、白银市 (Lanzhou, Baiyin in English)."""
    return pgettext("names separator", ", ").join(names)


def progress_notes(p: TargetProgress, *, baseline_quarter=None) -> list[str]:
    """Why a status reads as it does, in words: what a pending due quarter lacks, why there is
    no milestone path, a plan not yet issued or invalidated before the due quarter."""
    notes = []
    gap = p.due_gap
    if gap is not None:
        if gap.missing:
            notes.append(
                gettext("%(due)s incomplete: no full value from %(names)s")
                % {"due": p.due, "names": names_text(gap.missing_names)}
            )
        if gap.awaiting_review:
            notes.append(
                ngettext(
                    "%(due)s: %(n)s count awaiting review",
                    "%(due)s: %(n)s counts awaiting review",
                    gap.awaiting_review,
                )
                % {"due": p.due, "n": gap.awaiting_review}
            )
    if p.baseline_note is BaselineNote.INCOMPLETE:
        notes.append(
            gettext("Baseline data incomplete (%(q)s): no milestone path") % {"q": baseline_quarter}
            if baseline_quarter
            else gettext("Baseline data incomplete: no milestone path")
        )
    elif p.baseline_note is BaselineNote.NO_DATA and p.status is not Status.NOT_ISSUED:
        notes.append(gettext("No baseline data: no milestone path"))
    if p.withdrawn and not p.is_final:
        notes.append(gettext("The plan was invalidated before the due quarter: no forecast"))
    return notes


def increase_text(p: TargetProgress) -> str:
    """The share of the required increase achieved, in words, with the baseline quarter named:
    增量完成率 59.55%（自2024Q1基期）/ Increase achieved 59.55% (since the 2024Q1 baseline);
    where the target asks for no increase over its baseline, that; else "" (no baseline: the
    baseline note says why)."""
    if p.status is Status.NOT_ISSUED or p.baseline is None or p.value is None:
        return ""
    share = p.increase_percent
    if share is None:
        return gettext("The target is not above its %(q)s baseline: no increase required") % {
            "q": p.baseline.period
        }
    return gettext("Increase achieved %(pct)s (since the %(q)s baseline)") % {
        "pct": f"{share:.2f}%",
        "q": p.baseline.period,
    }
