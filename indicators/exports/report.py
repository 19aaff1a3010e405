"""The analysts' report (docs/excel.md): Summary, Quarterly, Wide, Chart and About sheets,
built in ``write_only`` mode so a large range streams row by row instead of holding every cell.

Pure: ``ReportData`` in, an openpyxl ``Workbook`` out (no ORM, no request); the view saves it
into the HTTP response. Sheet and column names are bilingual and fixed (the documented format
analysts rely on); human-readable values (status labels, sources, levels, yes/no, plan titles)
follow the active language, and the stable code columns stay English.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import LineChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from indicators.exports.cells import (
    COUNT_FORMAT,
    DATETIME_FORMAT,
    TITLE_FONT,
    count_cell,
    header_cells,
    percent_cell,
    plain_text,
    plan_status_text,
    set_format,
    set_print,
    set_widths,
    source_label,
    text_cell,
    yes_no,
)
from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.progress import Status, progress_notes
from indicators.selectors.reports import ReportData
from regions.models import Region

REPORT_FORMAT = "certtrack-report/3"
SHEET_SUMMARY = "汇总 Summary"
SHEET_QUARTERLY = "季度数据 Quarterly"
SHEET_WIDE = "宽表 Wide"
SHEET_CHART = "图表 Chart"
SHEET_ABOUT = "说明 About"

# An incomplete roll-up in the Wide sheet: never presented as the full figure.
INCOMPLETE_FONT = Font(italic=True, color="7F7F7F")
INCOMPLETE_FILL = PatternFill("solid", fgColor="FFF2CC")

# Status cell colours (conditional formatting keyed on the status code column).
STATUS_FILLS = {
    Status.ACHIEVED: "C6EFCE",
    Status.ON_TRACK: "DDEBF7",
    Status.AT_RISK: "FFEB9C",
    Status.BEHIND: "F8CBAD",
    Status.MISSED: "FFC7CE",
    Status.PENDING: "E4DFEC",
    Status.NOT_ISSUED: "EDEDED",
    Status.NO_DATA: "EDEDED",
}


SUMMARY_COLUMNS = [
    ("方案 Plan", 44),
    ("文号 Document number", 22),
    ("方案状态 Plan status", 18),
    ("地区代码 Region code", 12),
    ("地区 Region", 14),
    ("指标 Indicator", 22),
    ("单位 Unit", 8),
    ("截止季度 Due", 10),
    ("目标值 Target", 12),
    ("实际值 Value", 12),
    ("取值季度 Measured at", 12),
    ("截止季度取值 Value at due", 12),
    ("完成率 Achieved", 11),
    ("状态 Status", 12),
    ("状态代码 Status code", 12),
    ("说明 Notes", 40),
    ("评估截至 As of", 10),
    ("基期 Baseline quarter", 10),
    ("基期值 Baseline value", 12),
    ("方案状态代码 Plan status code [plan_status]", 14),
    ("宣布失效的文件 Invalidated by [plan_invalidated_by]", 20),
    ("缺数地区代码 Missing divisions [missing_divisions]", 20),
    ("待审核数 Awaiting review [awaiting_review]", 10),
    ("基期说明代码 Baseline note [baseline_note]", 12),
    ("分解自 Allocated from", 28),
    ("上级目标编号 Parent target id [allocated_from]", 12),
    ("增量完成率 Increase achieved [increase_percent]", 12),
]

QUARTERLY_COLUMNS = [
    ("地区代码 Region code", 12),
    ("地区名称 Chinese name", 16),
    ("英文名称 English name", 22),
    ("级别 Level", 11),
    ("上级代码 Parent code", 12),
    ("指标代码 Indicator code", 14),
    ("指标 Indicator", 20),
    ("年 Year", 7),
    ("季度 Quarter", 8),
    ("期间 Period", 9),
    ("数值 Value", 11),
    ("状态 Status", 11),
    ("已审核 Approved", 10),
    ("来源 Source", 9),
    ("完整 Complete", 10),
    ("下级合计 Children sum", 12),
    ("差异 Discrepancy", 11),
    ("功能区 Zone", 9),
    # Stable codes (English whatever the language), for pivots and scripts: named in words
    # like every header, with the code's key in brackets (as the Summary's code columns).
    ("级别代码 Level code [level]", 11),
    ("状态代码 Status code [status]", 11),
    ("来源代码 Source code [source]", 10),
    ("已审核（逻辑值） Approved, TRUE/FALSE [approved]", 12),
    ("完整（逻辑值） Complete, TRUE/FALSE [complete]", 12),
    ("属上级一部分 Part of parent [part_of_parent]", 12),
]


def allocated_text(target) -> str:
    """ "分解自 甘肃省 ≥ 12,000 (2022Q4)" in the session language; "(演示)" for a demo one."""
    text = _("allocated from %(parent)s") % {"parent": target.allocated_from_label}
    return f"{text} {_('(demo allocation)')}" if target.is_demo else text


def report_filename(*, data: ReportData, today: dt.date) -> str:
    """``CertTrack_甘肃省_620000_2018Q1-2026Q3_2026-10-05.xlsx``."""
    return (
        f"CertTrack_{data.root.name_zh}_{data.root.code}_{data.start}-{data.end}_"
        f"{today.isoformat()}.xlsx"
    )


def report_workbook(*, data: ReportData, generated_by: str, generated_at: dt.datetime) -> Workbook:
    """The analysts' report of ``data`` (docs/excel.md): five sheets of counts, then the
    assessment ranking and the plans' tasks where they apply; in write-only mode."""
    wb = Workbook(write_only=True)
    set_format(wb, REPORT_FORMAT)
    wb.properties.title = f"CertTrack {data.root.name_zh} {data.start}-{data.end}"
    if data.quarterly_only:  # a data dump: the Quarterly sheet alone
        _quarterly_sheet(wb, data)
        return wb
    _summary_sheet(wb, data)
    _quarterly_sheet(wb, data)
    _wide_sheet(wb, data)
    _chart_sheet(wb, data)
    _about_sheet(wb, data, generated_by=generated_by, generated_at=generated_at)
    if data.assessment is not None:  # the ranking of the root's divisions (issue 15)
        from indicators.exports.assessment import write_assessment_sheet

        write_assessment_sheet(wb, data.assessment)
    if data.tasks is not None:  # the plans' tasks: a sheet written by the tasks app
        from tasks.exports import write_tasks_sheet

        write_tasks_sheet(wb, data.tasks)
    return wb


def _summary_sheet(wb: Workbook, data: ReportData) -> None:
    """One row per target, judged as of ``data.as_of`` (min(end, the last complete quarter)):
    the statuses of the targets JSON for that quarter (docs/excel.md)."""
    ws = wb.create_sheet(SHEET_SUMMARY)
    ws.freeze_panes = "A2"
    set_print(ws)
    set_widths(ws, [w for _, w in SUMMARY_COLUMNS])
    ws.append(header_cells(ws, [label for label, _ in SUMMARY_COLUMNS]))
    for row in data.targets:
        t, p = row.target, row.progress
        plan = t.plan
        gap = p.due_gap
        notes = progress_notes(p, baseline_quarter=plan.issued_quarter)
        ws.append(
            [
                text_cell(ws, plan.title),
                text_cell(ws, plan.document_number),
                text_cell(ws, plan_status_text(plan)),
                t.region.code,
                text_cell(ws, t.region.name),
                text_cell(ws, t.indicator.name),
                text_cell(ws, t.indicator.unit),
                str(t.due),
                count_cell(ws, t.value),
                count_cell(ws, p.value),
                str(p.measured_at) if p.measured_at else None,
                yes_no(p.at_due) if p.value is not None else None,
                percent_cell(ws, p.percent),
                p.status.label,
                p.status.value,
                text_cell(ws, pgettext("list separator", "; ").join(notes)) if notes else None,
                str(p.as_of),
                str(plan.issued_quarter),
                count_cell(ws, p.baseline.value) if p.baseline else None,
                plan.status,
                text_cell(ws, plan.invalidated_by) if plan.invalidated_by else None,
                ",".join(gap.missing_codes) or None if gap else None,
                gap.awaiting_review if gap else None,
                p.baseline_note.value if p.baseline_note else None,
                text_cell(ws, allocated_text(t)) if t.allocated_from_id else None,
                t.allocated_from_id,
                percent_cell(ws, p.increase_percent),
            ]
        )
    last = max(len(data.targets) + 1, 2)
    status_col, code_col = "N", "O"
    for status, colour in STATUS_FILLS.items():
        ws.conditional_formatting.add(
            f"{status_col}2:{status_col}{last}",
            FormulaRule(
                formula=[f'${code_col}2="{status.value}"'],
                fill=PatternFill("solid", bgColor=colour),
                font=Font(bold=True),
            ),
        )


def _quarterly_sheet(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet(SHEET_QUARTERLY)
    ws.freeze_panes = "A2"
    set_print(ws)
    set_widths(ws, [w for _, w in QUARTERLY_COLUMNS])
    ws.append(header_cells(ws, [label for label, _ in QUARTERLY_COLUMNS]))
    # ~400,000 rows for the whole country: plain values wherever openpyxl needs no cell object
    # (text only where it looks like a formula), one count cell reused per column and row.
    # Human-readable columns in the interface language (级别 地市级, 来源 下级合计, 是/否); the
    # same facts as stable English codes in the last columns, for pivots and scripts.
    labels: dict[str, str] = {}
    words = {
        "yes": _("yes"),
        "no": _("no"),
        **{f"source:{s}": source_label(s) for s in ("direct", "rollup", "none")},
        **{f"status:{s.value}": str(s.label) for s in QuarterlyCount.Status},
    }
    level_words = {code: str(label) for code, label in Region.Level.choices}
    yes_no = {True: words["yes"], False: words["no"], None: None}
    for region, indicator, series in data.series_rows():
        is_zone = region.kind == Region.Kind.ZONE
        head = [
            region.code,
            plain_text(ws, region.name_zh),
            plain_text(ws, region.name_en),
            level_words.get(region.level, region.level),
            data.parent_code.get(region.code),
            indicator.code,
            plain_text(ws, labels.setdefault(indicator.code, indicator.name)),
        ]
        for v in series:
            period = v.period
            known = v.value is not None
            approved = v.approved if known else None
            complete = v.complete if known else None
            source = v.source.value
            ws.append(
                [
                    *head,
                    period.year,
                    period.quarter,
                    str(period),
                    count_cell(ws, v.value) if known else None,
                    words[f"status:{v.status}"] if v.status else "",
                    yes_no[approved],
                    words[f"source:{source}"],
                    yes_no[complete],
                    count_cell(ws, v.children_sum) if v.children_sum is not None else None,
                    count_cell(ws, gap) if (gap := v.discrepancy) is not None else None,
                    yes_no[is_zone],
                    region.level,
                    v.status or "",
                    source,
                    approved,
                    complete,
                    is_zone,
                ]
            )


def _wide_sheet(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet(SHEET_WIDE)
    ws.freeze_panes = "D2"
    set_print(ws)
    quarters = data.grid.quarters
    set_widths(ws, [20, 12, 20] + [10] * len(quarters))
    ws.append(
        header_cells(ws, ["指标 Indicator", "地区代码 Region code", "地区 Region"])
        + header_cells(ws, [str(q) for q in quarters])
    )
    for region, indicator, series in data.series_rows(by_indicator=True):
        depth = region.depth - data.root.depth
        cells = [
            text_cell(ws, indicator.name),
            region.code,
            text_cell(ws, region.name, alignment=Alignment(indent=depth)),
        ]
        for v in series:
            if v.value is not None and not v.complete:
                # An incomplete roll-up is never presented as the full figure.
                cells.append(count_cell(ws, v.value, font=INCOMPLETE_FONT, fill=INCOMPLETE_FILL))
            else:
                cells.append(count_cell(ws, v.value) if v.value is not None else None)
        ws.append(cells)


def chart_rows(data: ReportData) -> list[list[object]]:
    """Quarter, then per indicator the root's actual value (complete values only), its partial
    sum where the roll-up is incomplete (drawn apart, as the dashboard does: never as a fall of
    the actual line), and the target due that quarter."""
    due: dict[tuple[str, Quarter], int] = {}
    for row in data.targets:
        t = row.target
        if t.region_id == data.root.pk:
            key = (t.indicator.code, t.due)
            due[key] = max(due.get(key, 0), t.value)
    rows = []
    for period in data.grid.quarters:
        line: list[object] = [str(period)]
        for indicator in data.indicators:
            v = data.grid.get(data.root.code, indicator.code, period)
            full = v.value is not None and v.complete
            line.append(v.value if full else None)
            line.append(v.value if v.value is not None and not v.complete else None)
            line.append(due.get((indicator.code, period)))
        rows.append(line)
    return rows


CHART_SERIES = 3  # columns per indicator in the Chart sheet: actual, partial sum, target
TARGET_COLOUR = "C00000"  # the target's diamonds: red, filled, as the dashboard's
PARTIAL_COLOUR = "7F7F7F"


def axis_floor(values: Sequence[object]) -> int | None:
    """Where a chart's value axis starts: 0 when the values come near it (the smallest under
    half the largest), else the smallest rounded down to a "nice" step (1, 2 or 5 × a power of
    ten, about a fifth of the values' span), so that a stock of 9,348–14,200 fills the plot
    from 9,000 instead of a thin band at the top. None without values."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers:
        return None
    low, high = min(numbers), max(numbers)
    if low <= 0 or low < high / 2:
        return 0
    wanted = max(high - low, 1) / 5
    magnitude = 10 ** math.floor(math.log10(wanted))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= wanted)
    floor = low // step * step
    return int(floor - step if floor == low else floor)  # the lowest point above the axis


def _chart_sheet(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet(SHEET_CHART)
    ws.freeze_panes = "B2"
    set_print(ws)
    n_ind = len(data.indicators)
    set_widths(ws, [10] + [14] * (CHART_SERIES * n_ind))
    labels = ["季度 Quarter"]
    for indicator in data.indicators:
        labels += [
            f"{indicator.name_zh} 实际 {indicator.name_en} actual",
            f"{indicator.name_zh} 部分合计（未报齐） {indicator.name_en} partial sum (incomplete)",
            f"{indicator.name_zh} 目标 {indicator.name_en} target",
        ]
    ws.append(header_cells(ws, labels))
    rows = chart_rows(data)
    for line in rows:
        ws.append([line[0]] + [count_cell(ws, v) for v in line[1:]])
    last = len(rows) + 1
    if not rows:
        return
    for index, indicator in enumerate(data.indicators):
        col = 2 + CHART_SERIES * index
        chart = LineChart()
        chart.title = f"{data.root.name_zh} {indicator.name_zh} / {data.root.name_en}"
        chart.y_axis.title = f"{indicator.unit_zh} {indicator.unit_en}"
        chart.x_axis.title = "季度 Quarter"
        chart.x_axis.delete = False  # newer Excel hides axes openpyxl leaves undecided
        chart.y_axis.delete = False
        chart.y_axis.number_format = COUNT_FORMAT
        chart.display_blanks = "gap"
        chart.marker = True  # LibreOffice draws a series' markers only in a chart "with markers"
        floor = axis_floor([v for line in rows for v in line[col - 1 : col - 1 + CHART_SERIES]])
        if floor:
            chart.y_axis.scaling.min = floor
        chart.height, chart.width = 9, 22
        chart.add_data(
            Reference(ws, min_col=col, max_col=col + CHART_SERIES - 1, min_row=1, max_row=last),
            titles_from_data=True,
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last))
        actual, partial, target = chart.series
        actual.smooth = False
        actual.marker.symbol = "none"
        # A partial sum is a point of its own (open square), never joined to the line.
        partial.marker.symbol = "square"
        partial.marker.size = 7
        partial.marker.graphicalProperties.noFill = True
        partial.marker.graphicalProperties.line.solidFill = PARTIAL_COLOUR
        partial.graphicalProperties.line.noFill = True
        # Targets are points at their due quarter: filled diamonds in a colour of their own
        # (without an explicit fill LibreOffice draws them invisible).
        target.marker.symbol = "diamond"
        target.marker.size = 10
        target.marker.graphicalProperties.solidFill = TARGET_COLOUR
        target.marker.graphicalProperties.line.solidFill = TARGET_COLOUR
        target.graphicalProperties.line.noFill = True
        ws.add_chart(chart, f"{get_column_letter(CHART_SERIES * n_ind + 3)}{2 + 20 * index}")


def _about_sheet(
    wb: Workbook, data: ReportData, *, generated_by: str, generated_at: dt.datetime
) -> None:
    ws = wb.create_sheet(SHEET_ABOUT)
    set_print(ws, title_rows=None)
    set_widths(ws, [26, 90, 20, 20, 24])
    bold = Font(bold=True)

    def line(key: str, *values: object) -> None:
        ws.append([text_cell(ws, key, font=bold)] + [text_cell(ws, v) for v in values])

    ws.append([text_cell(ws, _("CertTrack report"), font=TITLE_FONT)])
    line("格式版本 Format version", REPORT_FORMAT)
    when = WriteOnlyCell(ws, value=generated_at.replace(tzinfo=None))
    when.number_format = DATETIME_FORMAT
    ws.append([text_cell(ws, "生成时间 Generated at", font=bold), when])
    line("生成者 Generated by", generated_by)
    line(
        "地区 Region",
        f"{data.root.code} {data.root.name_zh} / {data.root.name_en} "
        + _("(with every region below it)"),
    )
    line("期间 Quarters", f"{data.start} – {data.end}")
    line("指标 Indicators", "、".join(f"{i.name} ({i.code})" for i in data.indicators))
    line("取值范围 Values included", data.include.label)
    line(
        "评估截至 Status as of",
        str(data.as_of or data.end)
        + " "
        + _("(the end of the range, or the last complete quarter if that is earlier)"),
    )
    if data.has_demo:
        line(
            "演示数据 Demo data",
            _("This workbook contains generated demonstration data, not official statistics."),
        )
    ws.append([])
    line("口径 How to read", _("Counts are stocks: the number valid at the end of each quarter."))
    for note in (
        _("Quarters are never added up over time; the value for a year is its Q4 snapshot."),
        _(
            "A region's value is the one entered for it, else the sum of its divisions for the "
            "same quarter (source “rollup”); functional zones are shown but never added."
        ),
        _(
            "A roll-up over divisions that have not all reported is incomplete (Complete = "
            "FALSE; italic on a yellow background in the Wide sheet)."
        ),
        _(
            "Status: the progress status of each target as of the end of the range, or of the "
            "last complete quarter if that is earlier; the same statuses as the dashboards and "
            "their JSON for that quarter. Pending: the due quarter has passed but its value is "
            "not complete (the Notes say what is missing)."
        ),
        _(
            "Chart: a partial sum (a roll-up over divisions that have not all reported) is "
            "drawn as a separate open square, never as a point of the actual line."
        ),
    ):
        line("", note)
    ws.append([])
    ws.append(
        header_cells(
            ws,
            [
                "来源方案 Source plans",
                "标题 Title",
                "文号 Document number",
                "发布日期 Issued on",
                "状态 Status",
            ],
        )
    )
    for plan in data.plans:
        status = plan_status_text(plan)
        ws.append(
            [
                text_cell(ws, plan.issuer),
                text_cell(ws, plan.title),
                text_cell(ws, plan.document_number),
                plan.issued_on.isoformat(),
                text_cell(ws, status),
            ]
        )
