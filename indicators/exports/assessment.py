"""The "考核排名 Assessment" sheet of the analysts' report: the assessment ranking of the report
region's divisions (selectors/assessment/) as of the report's quarter, one row per division
with its whole derivation. Pure: the assessment in, sheet out. The columns are those of
``assessment.json`` / ``.csv`` (``datasets.assessment_dataset``), their stable names in
brackets, so the sheet, the page and the data files give the same points and ranks.
"""

from __future__ import annotations

from openpyxl import Workbook

from indicators.datasets import assessment_dataset
from indicators.exports.cells import header_cells, set_print, set_widths, text_cell

SHEET_ASSESSMENT = "考核排名 Assessment"
POINTS_FORMAT = "0.00"  # points, scores, weights and path values: two decimals, half up

LABELS = {
    "region_code": "上级地区代码 Region code",
    "quarter": "季度 Quarter",
    "values": "数据范围 Values",
    "rank": "排名 Rank",
    "child_code": "地区代码 Division code",
    "child_name": "地区 Division",
    "score": "得分 Score",
    "ranked": "参与排名 Ranked",
    "progress_points": "目标进度得分 Progress points",
    "progress_weight": "目标进度权重% Progress weight",
    "progress_not_applicable": "目标进度不适用 Progress not applicable",
    "growth_points": "增长得分 Growth points",
    "growth_weight": "增长权重% Growth weight",
    "growth_not_applicable": "增长不适用 Growth not applicable",
    "timeliness_points": "及时得分 Timeliness points",
    "timeliness_weight": "及时权重% Timeliness weight",
    "timeliness_not_applicable": "及时不适用 Timeliness not applicable",
    "quality_points": "质量得分 Quality points",
    "quality_weight": "质量权重% Quality weight",
    "quality_not_applicable": "质量不适用 Quality not applicable",
    "timeliness_on_time": "按时报送 On time",
    "timeliness_due": "应报 Due",
    "quality_clean": "一次通过 Approved, never returned",
    "quality_judged": "已审核及未报 Decided or not sent",
    "submissions": "报送与审核 Submissions and decisions",
}
WIDE = {"child_name": 16, "submissions": 60}
TEXT_COLUMNS = {"child_name", "submissions"}


def _label(column: str) -> str:
    return f"{LABELS[column]} [{column}]" if column in LABELS else f"[{column}]"


def write_assessment_sheet(wb: Workbook, assessment) -> None:
    """One row per division (ranked best first, then the unranked), every column of the
    dataset; then the weights in force, their plan and decision, and how the score is made."""
    dataset = assessment_dataset(assessment)
    ws = wb.create_sheet(SHEET_ASSESSMENT)
    ws.freeze_panes = "G2"
    set_print(ws)
    set_widths(ws, [WIDE.get(c, 12) for c in dataset.columns])
    ws.append(header_cells(ws, [_label(c) for c in dataset.columns]))
    for record in dataset.rows:
        cells = []
        for column in dataset.columns:
            value = record.get(column)
            if column in TEXT_COLUMNS and value is not None:
                cells.append(text_cell(ws, value))
            elif isinstance(value, float):
                cells.append(text_cell(ws, value, number_format=POINTS_FORMAT))
            else:
                cells.append(value)
        ws.append(cells)
    ws.append([])
    w = assessment.weights
    decided = (
        f"{w.plan} · {dataset.meta['weights_decided_at']} · {dataset.meta['weights_decided_by']}"
        if w.decision
        else f"{w.plan or ''} · 默认权重 default weights (no decision recorded)"
    )
    ws.append([text_cell(ws, "权重 Weights"), text_cell(ws, w.as_text()), text_cell(ws, decided)])
    ws.append(
        [
            text_cell(ws, "得分 Score"),
            text_cell(
                ws,
                "得分 = 适用各项得分按权重的加权平均（权重在适用项之间重新归一）· score = the "
                "weighted mean of the points of the components that apply, weights renormalised "
                "over them",
            ),
        ]
    )
