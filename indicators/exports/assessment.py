"""The "考核排名 Assessment" sheet of the analysts' report: the assessment ranking of the report
region's divisions (selectors/assessment.py) as of the report's quarter. Pure: rows in, sheet
out; the columns carry the dataset's stable names (docs/api.md) in brackets.
"""

from __future__ import annotations

from openpyxl import Workbook

from indicators.exports.cells import header_cells, percent_cell, set_print, set_widths, text_cell

SHEET_ASSESSMENT = "考核排名 Assessment"

ASSESSMENT_COLUMNS = [
    ("排名 Rank [rank]", 8),
    ("地区代码 Division code [child_code]", 14),
    ("地区 Division [child_name]", 16),
    ("得分 Score [score]", 10),
    ("目标进度 Progress [progress]", 12),
    ("进度依据 Progress basis [progress_basis]", 16),
    ("同比增长 Growth [growth]", 12),
    ("报送及时率 Timeliness [timeliness]", 12),
    ("数据质量 Quality [quality]", 12),
    ("进度得分 Progress points", 10),
    ("增长得分 Growth points", 10),
    ("及时得分 Timeliness points", 10),
    ("质量得分 Quality points", 10),
    ("上级地区代码 Region code [region_code]", 14),
    ("季度 Quarter [quarter]", 10),
]


def write_assessment_sheet(wb: Workbook, assessment) -> None:
    """One row per division, best first; then the weights (how the score is computed)."""
    ws = wb.create_sheet(SHEET_ASSESSMENT)
    ws.freeze_panes = "A2"
    set_print(ws)
    set_widths(ws, [w for _, w in ASSESSMENT_COLUMNS])
    ws.append(header_cells(ws, [label for label, _ in ASSESSMENT_COLUMNS]))
    for row in assessment.rows:
        ws.append(
            [
                row.rank,
                row.region.code,
                text_cell(ws, row.region.name),
                row.score,
                percent_cell(ws, row.progress),
                row.progress_basis,
                percent_cell(ws, row.growth),
                percent_cell(ws, row.timeliness),
                percent_cell(ws, row.quality),
                row.points["progress"],
                row.points["growth"],
                row.points["timeliness"],
                row.points["quality"],
                assessment.region.code,
                str(assessment.period),
            ]
        )
    ws.append([])
    weights = ", ".join(f"{k}={v:g}" for k, v in assessment.weights.items())
    ws.append(
        [text_cell(ws, "权重 Weights (CERTTRACK_ASSESSMENT_WEIGHTS)"), text_cell(ws, weights)]
    )
    ws.append(
        [
            text_cell(ws, "得分 Score"),
            text_cell(
                ws,
                "得分 = 各项得分按权重的加权平均 · score = the weighted mean of the points "
                "(docs/progress.md, Assessment)",
            ),
        ]
    )
