"""The data behind every chart as flat records, for the JSON and CSV endpoints (docs/api.md).

Pure: the selectors' dataclasses in, lists of dicts out (no ORM, no request). Column names are
stable English identifiers whatever the page language; the JSON ``rows`` and the CSV lines hold
the same records, so an analyst can switch between them freely.

Every CSV is formula-safe, as the Excel files are: a text cell a spreadsheet would run as a
formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: region, plan
and document names come from people) gets a leading apostrophe; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import pgettext

from indicators.periods import Quarter, quarter_range
from indicators.progress import round_half_up
from indicators.selectors.dashboards import RegionDashboard
from indicators.selectors.plans import OverviewCard, PlanPage
from indicators.selectors.progress import TargetTrendRow
from indicators.selectors.values import RegionValue


@dataclass(frozen=True)
class Dataset:
    """A named table of records with its column order and what it was computed for."""

    name: str
    columns: list[str]
    rows: list[dict]
    meta: dict

    def as_json(self) -> dict:
        return {
            "meta": {"dataset": self.name, **self.meta},
            "columns": self.columns,
            "rows": self.rows,
        }

    def as_csv(self) -> str:
        """CSV with a UTF-8 byte order mark, so that Excel opens the Chinese names correctly."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.DictWriter(out, fieldnames=self.columns, lineterminator="\r\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: csv_value(row.get(k)) for k in self.columns})
        return out.getvalue()


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Text a spreadsheet would evaluate, made inert with a leading apostrophe (numbers,
    negative ones too, are not text and stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_value(value: object) -> object:
    """One CSV cell: empty for None, true/false for booleans, formula-safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_safe(value)


def _q(period: Quarter | None) -> str | None:
    return str(period) if period is not None else None


def _round(value: float | None, digits: int = 2) -> float | None:
    """Half up (97.625 → 97.63), the rounding of the pages and the Excel report too."""
    return round_half_up(value, digits)


def _value_fields(row: RegionValue | None) -> dict:
    """The stock fields of a RegionValue (docs/progress.md), as every dataset spells them."""
    if row is None:
        return dict(
            value=None, source=None, complete=None, approved=None, status=None,
            children_sum=None, children_complete=None, discrepancy=None,
        )  # fmt: skip
    return dict(
        value=row.value,
        source=row.source.value,
        complete=row.complete if row.value is not None else None,
        approved=row.approved if row.value is not None else None,
        status=row.status,
        children_sum=row.children_sum,
        children_complete=row.children_complete if row.children_sum is not None else None,
        discrepancy=row.discrepancy,
    )


VALUE_COLUMNS = [
    "value", "source", "complete", "approved", "status",
    "children_sum", "children_complete", "discrepancy",
]  # fmt: skip


def _meta(*, as_of: Quarter, include, **extra) -> dict:
    return {"as_of": str(as_of), "values": include.value, **extra}


def series_dataset(dashboard: RegionDashboard) -> Dataset:
    """Per indicator and quarter: the value with its provenance, the milestone path, the
    forecast and any target due (the main chart of each indicator)."""
    columns = ["region_code", "indicator", "quarter", "measured", *VALUE_COLUMNS]
    columns += ["milestone", "forecast", "target"]
    rows = []
    for panel in dashboard.panels:
        for point in panel.series:
            rows.append(
                dict(
                    region_code=dashboard.region.code,
                    indicator=panel.code,
                    quarter=str(point.period),
                    measured=not point.is_future,
                    **_value_fields(point.row),
                    milestone=_round(point.milestone, 1),
                    forecast=_round(point.forecast, 1),
                    target=max((t.value for t in point.targets), default=None),
                )
            )
    return Dataset(
        "series", columns, rows, _meta(as_of=dashboard.as_of, include=dashboard.include,
                                       region=dashboard.region.code)
    )  # fmt: skip


def children_dataset(dashboard: RegionDashboard) -> Dataset:
    """Per indicator and child region: the value at the breakdown quarter, its share of the
    parent's value and its growth on the same quarter a year earlier (the bar chart)."""
    columns = ["region_code", "indicator", "quarter", "child_code", "child_name", "part_of_parent"]
    columns += VALUE_COLUMNS + ["share_pct", "year_ago_quarter", "year_ago_value", "yoy_pct"]
    columns += ["parent_value"]
    rows = []
    for panel in dashboard.panels:
        for child in panel.children:
            rows.append(
                dict(
                    region_code=dashboard.region.code,
                    indicator=panel.code,
                    quarter=_q(panel.breakdown_period),
                    child_code=child.code,
                    child_name=child.name,
                    part_of_parent=child.is_part,
                    **_value_fields(child.row),
                    share_pct=_round(child.share),
                    year_ago_quarter=_q(child.year_ago.period),
                    year_ago_value=child.year_ago.value,
                    yoy_pct=_round(child.growth),
                    parent_value=panel.parent_row.value if panel.parent_row else None,
                )
            )
    return Dataset(
        "children", columns, rows, _meta(as_of=dashboard.as_of, include=dashboard.include,
                                         region=dashboard.region.code)
    )  # fmt: skip


def completeness_dataset(dashboard: RegionDashboard) -> Dataset:
    """Per child region and quarter: the reporting status (the heatmap), the least advanced over
    the indicators, and each indicator's own status (``status_<indicator>``)."""
    codes = [panel.code for panel in dashboard.panels]
    columns = ["region_code", "child_code", "child_name", "part_of_parent", "quarter", "status"]
    columns += [f"status_{code}" for code in codes]
    rows = []
    for row in dashboard.completeness:
        for cell in row.cells:
            rows.append(
                dict(
                    region_code=dashboard.region.code,
                    child_code=row.region.code,
                    child_name=row.region.name,
                    part_of_parent=row.is_part,
                    quarter=str(cell.period),
                    status=cell.status.value,
                    **{f"status_{code}": cell.by_indicator[code].value for code in codes},
                )
            )
    return Dataset(
        "completeness", columns, rows, _meta(as_of=dashboard.as_of, include=dashboard.include,
                                             region=dashboard.region.code)
    )  # fmt: skip


TARGET_COLUMNS = [
    "plan_id", "plan_document_number", "plan_title", "plan_status", "plan_invalidated_by",
    "plan_invalidated_on", "region_code", "region_name", "indicator",
    "due", "target", "value", "measured_at", "at_due", "percent", "increase_percent", "gap",
    "status",
    "missing_divisions", "missing_division_names", "awaiting_review",
    "baseline_quarter", "baseline_value", "baseline_note", "expected", "forecast_value",
    "forecast_meets", "crossing", "quarters_left", "needed_per_quarter",
    "target_id", "allocated_from", "allocated_from_label", "demo",
]  # fmt: skip


def names_list(names) -> str:
    """Region names as one field: 兰州市、白银市 (Lanzhou, Baiyin in English)."""
    return pgettext("names separator", ", ").join(names)


def plan_fields(plan) -> dict:
    """The plan's status as every target record and the Excel Summary carry it."""
    return dict(
        plan_status=plan.status,
        plan_invalidated_by=plan.invalidated_by or None,
        plan_invalidated_on=plan.invalidated_on.isoformat() if plan.invalidated_on else None,
    )


def _target_record(row: TargetTrendRow) -> dict:
    t, p = row.target, row.progress
    gap = p.due_gap
    return dict(
        plan_id=t.plan_id,
        plan_document_number=t.plan.document_number,
        plan_title=t.plan.title,
        **plan_fields(t.plan),
        region_code=t.region.code,
        region_name=t.region.name,
        indicator=t.indicator.code,
        due=str(t.due),
        target=t.value,
        value=p.value,
        measured_at=_q(p.measured_at),
        at_due=p.at_due,
        percent=_round(p.percent),
        increase_percent=float(p.increase_percent) if p.increase_percent is not None else None,
        gap=p.gap,
        status=p.status.value,
        missing_divisions=",".join(gap.missing_codes) or None if gap else None,
        missing_division_names=names_list(gap.missing_names) or None if gap else None,
        awaiting_review=gap.awaiting_review if gap else None,
        baseline_quarter=str(t.plan.issued_quarter),
        baseline_value=p.baseline.value if p.baseline else None,
        baseline_note=p.baseline_note.value if p.baseline_note else None,
        expected=_round(p.expected, 1),
        forecast_value=_round(p.forecast_value, 1),
        forecast_meets=p.forecast_meets,
        crossing=_q(p.crossing),
        quarters_left=p.quarters_left,
        needed_per_quarter=p.needed_per_quarter,
        target_id=t.pk,
        allocated_from=t.allocated_from_id,
        allocated_from_label=t.allocated_from_label or None,
        demo=t.is_demo,
    )


def targets_dataset(rows: Sequence[TargetTrendRow], *, meta: dict) -> Dataset:
    """One record per target: progress, status and forecast (docs/progress.md)."""
    return Dataset("targets", TARGET_COLUMNS, [_target_record(r) for r in rows], meta)


TREND_COLUMNS = ["plan_id", "target_due", "region_code", "indicator", "quarter", *VALUE_COLUMNS]
TREND_COLUMNS += ["milestone", "forecast"]


def trends_dataset(rows: Sequence[TargetTrendRow], *, meta: dict) -> Dataset:
    """The numbers behind each target's trend line (the overview's and plan page's sparklines):
    one record per quarter from the start of the line to the due quarter; quarters after the
    last complete one have no value, only the milestone path and forecast."""
    records = []
    for row in rows:
        t = row.target
        values = {v.period: v for v in row.series}
        first = min([*values, t.due])
        last = max([*values, t.due])
        for period in quarter_range(first, last):
            records.append(
                dict(
                    plan_id=t.plan_id,
                    target_due=str(t.due),
                    region_code=t.region.code,
                    indicator=t.indicator.code,
                    quarter=str(period),
                    **_value_fields(values.get(period)),
                    milestone=_round(row.path.value_at(period), 1) if row.path else None,
                    forecast=_round(row.forecast.value_at(period), 1) if row.forecast else None,
                )
            )
    return Dataset("trends", TREND_COLUMNS, records, meta)


REGION_DATASETS = {
    "series": series_dataset,
    "children": children_dataset,
    "completeness": completeness_dataset,
    "targets": lambda d: targets_dataset(
        d.targets, meta=_meta(as_of=d.as_of, include=d.include, region=d.region.code)
    ),
}


def overview_dataset(
    name: str, cards: Sequence[OverviewCard], *, as_of, include, **paging
) -> Dataset:
    """``paging``: the overview page these cards are (``page``, ``pages``), if only one."""
    rows = [r for card in cards for r in card.rows]
    builder = targets_dataset if name == "targets" else trends_dataset
    return builder(rows, meta=_meta(as_of=as_of, include=include, **paging))


def plan_dataset(name: str, page: PlanPage) -> Dataset:
    builder = targets_dataset if name == "targets" else trends_dataset
    return builder(page.rows, meta=_meta(as_of=page.as_of, include=page.include, plan=page.plan.pk))


def _fix(value) -> float | None:
    """An exact number of the assessment as the outputs show it (half up, two decimals)."""
    return None if value is None else _round(value)


def _dt(value) -> str:
    return (
        ""
        if value is None
        else value.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")
    )


ASSESSMENT_COMPONENT_COLUMNS = [
    f"{c}_{k}" for c in ("progress", "growth", "timeliness", "quality")
    for k in ("points", "weight", "not_applicable")
]  # fmt: skip
ASSESSMENT_INDICATOR_FIELDS = [
    "target_basis", "parent_target", "target", "due", "baseline_quarter", "baseline",
    "parent_baseline", "value_quarter", "value", "path", "year_ago_quarter", "year_ago",
    "path_year_ago", "progress_points", "progress_not_applicable", "growth_points",
    "growth_not_applicable",
]  # fmt: skip


def assessment_columns(indicator_codes: Sequence[str]) -> list[str]:
    """The columns of the assessment dataset: the ranking, each component (points, applied
    weight in percent, why not applicable), the reporting fractions, then every input per
    indicator (``<code>_<field>``) and the submissions: one row per division holds its
    whole derivation (docs/api.md)."""
    return [
        "region_code", "quarter", "values", "rank", "child_code", "child_name", "score",
        "ranked", *ASSESSMENT_COMPONENT_COLUMNS,
        "timeliness_on_time", "timeliness_due", "quality_clean", "quality_judged",
        *[f"{code}_{f}" for code in indicator_codes for f in ASSESSMENT_INDICATOR_FIELDS],
        "submissions",
    ]  # fmt: skip


def submission_text(o) -> str:
    """One unit-quarter of the reporting obligations, as the derivation spells it:
    ``2019Q4 990200 deadline 2019-10-20 submitted 2020-02-05 10:00 (late) returned 2020-02-06
    10:00``."""
    parts = [str(o.quarter), o.unit.code, f"deadline {o.last_day:%Y-%m-%d}"]
    if not o.submitted:
        parts.append("not submitted" if o.due else "not yet due")
        return " ".join(parts)
    parts.append(f"submitted {_dt(o.first_submitted_at)} ({'on time' if o.on_time else 'late'})")
    if o.decision:
        parts.append(f"{o.decision} {_dt(o.decided_at)}")
    else:
        parts.append("awaiting review")
    return " ".join(parts)


def _indicator_fields(i) -> dict:
    def point(p, attr):
        return None if p is None else (str(p.period) if attr == "quarter" else p.value)

    parent = i.parent_target
    return dict(
        target_basis=i.basis or None,
        parent_target=parent.value if parent is not None else None,
        target=_fix(i.target_value),
        due=_q(i.due),
        baseline_quarter=point(i.baseline, "quarter"),
        baseline=point(i.baseline, "value"),
        parent_baseline=point(i.parent_baseline, "value"),
        value_quarter=point(i.value, "quarter"),
        value=point(i.value, "value"),
        path=_fix(i.expected),
        year_ago_quarter=point(i.year_ago, "quarter"),
        year_ago=point(i.year_ago, "value"),
        path_year_ago=_fix(i.expected_year_ago),
        progress_points=_fix(i.progress_points),
        progress_not_applicable=i.progress_reason.value if i.progress_reason else None,
        growth_points=_fix(i.growth_points),
        growth_not_applicable=i.growth_reason.value if i.growth_reason else None,
    )


def assessment_dataset(assessment) -> Dataset:
    """The assessment ranking (selectors/assessment/): one record per division, ranked ones
    best first, then the unranked; each record its whole derivation. ``meta`` carries the
    weights in force, their plan and who decided them when."""
    codes = [i.indicator.code for i in (assessment.rows[0].indicators if assessment.rows else [])]
    rows = []
    for row in assessment.rows:
        record = dict(
            region_code=assessment.region.code,
            quarter=str(assessment.period),
            values=assessment.include.value,
            rank=row.rank,
            child_code=row.region.code,
            child_name=row.region.name,
            score=_fix(row.score),
            ranked=row.ranked,
        )
        for c, comp in row.components.items():
            record[f"{c}_points"] = _fix(comp.points)
            record[f"{c}_weight"] = _fix(row.weights.get(c))
            record[f"{c}_not_applicable"] = comp.reason.value if comp.reason else None
        tim, qua = row.components["timeliness"], row.components["quality"]
        record.update(
            timeliness_on_time=tim.numerator, timeliness_due=tim.denominator,
            quality_clean=qua.numerator, quality_judged=qua.denominator,
        )  # fmt: skip
        for i in row.indicators:
            record.update({f"{i.indicator.code}_{k}": v for k, v in _indicator_fields(i).items()})
        record["submissions"] = "; ".join(submission_text(o) for o in row.reporting)
        rows.append(record)
    w = assessment.weights
    meta = _meta(
        as_of=assessment.period, include=assessment.include, region=assessment.region.code,
        weights=dict(w.values), weights_plan=w.plan.pk if w.plan else None,
        weights_decided_at=_dt(w.decision.decided_at) if w.decision else None,
        weights_decided_by=w.decision.decided_by.get_username()
        if w.decision and w.decision.decided_by else None,
    )  # fmt: skip
    return Dataset("assessment", assessment_columns(codes), rows, meta)
