"""What every part of the assessment shares: the components, the default weights, why a
component does not apply, a component's points, and the one rounding of what is shown."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from indicators.progress import round_half_up

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
