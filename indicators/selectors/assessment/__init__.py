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

from indicators.selectors.assessment.base import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    REASON_LABELS,
    Component,
    Reason,
    shown,
)
from indicators.selectors.assessment.progress import (
    IndicatorInputs,
    in_force,
    indicator_inputs,
    target_in_force,
)
from indicators.selectors.assessment.ranking import (
    Assessment,
    AssessmentRow,
    Weights,
    rank_rows,
    region_assessment,
    score_of,
    weights_in_force,
)
from indicators.selectors.assessment.reporting import (
    DivisionReporting,
    UnitQuarter,
    division_reporting,
    quality_of,
    timeliness_of,
    unit_quarters,
)

__all__ = [
    "COMPONENTS", "DEFAULT_WEIGHTS", "REASON_LABELS", "Assessment", "AssessmentRow", "Component",
    "DivisionReporting", "division_reporting",
    "IndicatorInputs", "Reason", "UnitQuarter", "Weights", "in_force", "indicator_inputs",
    "quality_of", "rank_rows", "region_assessment", "score_of", "shown", "target_in_force",
    "timeliness_of", "unit_quarters", "weights_in_force",
]  # fmt: skip
