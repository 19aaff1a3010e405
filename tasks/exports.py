"""The Excel report's "任务进展 Tasks" sheet (docs/excel.md): pure, rows in, a sheet out.

``indicators.exports.report.report_workbook`` calls :func:`write_tasks_sheet` with the rows that
``tasks.selectors.task_sheet_rows`` gathered (passed through ``ReportData.tasks``): one row per
reportable task, lead unit and reporting period, in long format for pivot tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.timezone import localtime
from openpyxl.cell import WriteOnlyCell

from indicators.exports.cells import DATETIME_FORMAT, header_cells, set_widths, text_cell
from tasks.datasets import units_text
from tasks.selectors.rows import TaskRow

SHEET_TASKS = "任务进展 Tasks"
DATE_FORMAT = "yyyy-mm-dd"

TASK_SHEET_COLUMNS = [
    ("方案 Plan", 34),
    ("文号 Document number", 20),
    ("组 Group", 6),
    ("组名 Group title", 26),
    ("任务编号 Task no.", 9),
    ("段 Paragraph", 8),
    ("任务 Task", 30),
    ("牵头单位 Lead unit", 18),
    ("全部牵头单位 Lead units", 30),
    ("责任单位 Responsible units", 36),
    ("期间 Period", 9),
    ("截止日期 Deadline", 12),
    ("进展 Progress", 10),
    ("进展代码 Progress code", 12),
    ("报告状态 Report state", 12),
    ("提交时间 Reported at", 17),
    ("已采纳 Accepted", 9),
    ("逾期 Overdue", 8),
    ("演示 Demo", 8),
]


def write_tasks_sheet(wb, rows: Sequence[TaskRow]) -> None:
    """Append the sheet to a (write-only) workbook; header only when there are no rows."""
    ws = wb.create_sheet(SHEET_TASKS)
    ws.freeze_panes = "A2"
    set_widths(ws, [w for _label, w in TASK_SHEET_COLUMNS])
    ws.append(header_cells(ws, [label for label, _w in TASK_SHEET_COLUMNS]))
    for row in rows:
        report, top = row.report, row.top
        deadline = WriteOnlyCell(ws, value=row.deadline)
        deadline.number_format = DATE_FORMAT
        reported = WriteOnlyCell(
            ws,
            value=localtime(report.submitted_at).replace(tzinfo=None)
            if report and report.submitted_at
            else None,
        )
        reported.number_format = DATETIME_FORMAT
        ws.append(
            [
                text_cell(ws, row.plan.title),
                text_cell(ws, row.plan.document_number),
                row.task_group.label,
                text_cell(ws, row.task_group.title),
                top.number if top else None,
                (row.task.item or None) if row.task else None,
                text_cell(ws, top.title if top else row.task_group.title),
                text_cell(ws, row.unit.name if row.unit else ""),
                text_cell(ws, units_text(row.leads)),
                text_cell(ws, units_text(row.responsible)),
                str(row.period) if row.period else None,
                deadline,
                text_cell(ws, report.get_status_display()) if report else None,
                report.status if report else None,
                report.state if report else None,
                reported,
                (report.state == report.State.ACCEPTED) if report else None,
                row.overdue,
                report.is_demo if report else False,
            ]
        )
