"""Pure Excel writers: typed rows in, an openpyxl ``Workbook`` out (no ORM, no request).

Two workbooks, both documented in docs/excel.md with a format version written into the file:

* :func:`report_workbook`, the analysts' report (Summary, Quarterly, Wide, Chart, About), built
  in ``write_only`` mode so a large range streams row by row instead of holding every cell.
* :func:`import_template_workbook`, the officials' entry template that ``indicators.imports``
  reads back (small: one row per region the official may enter).

The view saves the workbook into the HTTP response; nothing here knows about HTTP. Sheet and
column names are bilingual and fixed (they are the documented format analysts rely on); the
values (status labels, plan titles) follow the active language.

Any text that could come from a user (names, titles, notes) goes through :func:`text_cell` /
:func:`set_text`: a string starting with ``=``, ``+``, ``-`` or ``@`` is written as text with a
quote prefix, never as a formula (CSV/formula injection).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.chart import LineChart, Reference
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from indicators.models import Indicator, Plan, QuarterlyCount
from indicators.periods import Quarter
from indicators.progress import Status, round_half_up
from indicators.selectors.reports import ReportData
from regions.models import Region

# Bump when a sheet or column changes meaning, position or name (docs/excel.md).
REPORT_FORMAT = "certtrack-report/2"
TEMPLATE_FORMAT = "certtrack-template/1"
FORMAT_NAME = "certtrack_format"  # workbook-level defined name holding the format version

SHEET_SUMMARY = "汇总 Summary"
SHEET_QUARTERLY = "季度数据 Quarterly"
SHEET_WIDE = "宽表 Wide"
SHEET_CHART = "图表 Chart"
SHEET_ABOUT = "说明 About"
TEMPLATE_SHEET = "填报 Counts"

COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00%"  # two decimals, rounded half up before writing (round_half_up)
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")
TITLE_FONT = Font(bold=True, size=13)
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


# --- cells ----------------------------------------------------------------------------------


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would evaluate (or CSV would turn into) a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def text_cell(ws, value: object, **style) -> WriteOnlyCell:
    """A write-only cell; user text that looks like a formula is stored as plain text."""
    cell = WriteOnlyCell(ws, value=value)
    _neutralize(cell, value)
    for name, val in style.items():
        setattr(cell, name, val)
    return cell


def _plain_text(ws, value: object) -> object:
    """The value itself (openpyxl writes a plain value fastest), or a text cell where it looks
    like a formula."""
    return text_cell(ws, value) if is_formula_like(value) else value


def set_text(cell: Cell, value: object) -> Cell:
    """Set a normal worksheet cell's value; formula-like user text is stored as plain text."""
    cell.value = value
    _neutralize(cell, value)
    return cell


def _neutralize(cell, value: object) -> None:
    if is_formula_like(value):
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        cell.quotePrefix = True  # Excel/LibreOffice keep it text when the cell is edited


def _header(ws, labels: Sequence[str]) -> list[WriteOnlyCell]:
    return [
        text_cell(ws, label, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
        for label in labels
    ]


def _count(ws, value: int | float | None, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = COUNT_FORMAT
    for name, val in style.items():
        setattr(cell, name, val)
    return cell


def _widths(ws, widths: Sequence[float]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def _set_format(wb: Workbook, version: str) -> None:
    wb.defined_names[FORMAT_NAME] = DefinedName(FORMAT_NAME, attr_text=f'"{version}"')
    wb.properties.creator = "CertTrack"
    wb.properties.keywords = version


def _yes_no(flag: bool | None) -> str | None:
    """是 / 否 (yes / no in English): the human-readable form of a flag."""
    if flag is None:
        return None
    return _("yes") if flag else _("no")


def source_label(source: str) -> str:
    """How a value was obtained, in words (the code stays in its own column)."""
    return {
        "direct": _("entered directly"),
        "rollup": _("sum of the divisions"),
        "none": _("no value"),
    }[source]


def count_status_label(status: str | None) -> str:
    return str(QuarterlyCount.Status(status).label) if status else ""


def plan_status_text(plan: Plan) -> str:
    """In force / Invalidated (甘政发〔2023〕60号), in the interface language."""
    text = str(plan.get_status_display())
    return f"{text} ({plan.invalidated_by})" if plan.invalidated_by else text


def percent_cell(ws, value: float | None) -> WriteOnlyCell:
    """A percentage as Excel keeps one (0.9763 shown 97.63%), rounded half up to two decimals
    of a percent first: the same digits as the page, the JSON and the CSV."""
    rounded = round_half_up(value, 2)
    cell = WriteOnlyCell(ws, value=None if rounded is None else round(rounded / 100, 6))
    cell.number_format = PERCENT_FORMAT
    return cell


# --- the report -------------------------------------------------------------------------------

SUMMARY_COLUMNS = [
    ("计划 Plan", 44),
    ("文号 Document number", 22),
    ("计划状态 Plan status", 18),
    ("地区代码 Region code", 12),
    ("地区 Region", 14),
    ("指标 Indicator", 22),
    ("单位 Unit", 8),
    ("截止季度 Due", 10),
    ("目标值 Target", 12),
    ("实际值 Value", 12),
    ("取值季度 Measured at", 12),
    ("截止季度取值 Value at due", 12),
    ("达成率 Achieved", 11),
    ("状态 Status", 12),
    ("状态代码 Status code", 12),
    ("说明 Notes", 40),
    ("评估截至 As of", 10),
    ("基期 Baseline quarter", 10),
    ("基期值 Baseline value", 12),
    ("计划状态代码 Plan status code [plan_status]", 14),
    ("失效文件 Invalidated by [plan_invalidated_by]", 20),
    ("缺数地区代码 Missing divisions [missing_divisions]", 20),
    ("待审核数 Awaiting review [awaiting_review]", 10),
    ("基期说明代码 Baseline note [baseline_note]", 12),
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
    # Stable codes (English whatever the language), for pivots and scripts:
    ("level", 11),
    ("status", 11),
    ("source", 9),
    ("approved", 9),
    ("complete", 9),
    ("part_of_parent", 9),
]


def report_filename(*, data: ReportData, today: dt.date) -> str:
    """``CertTrack_甘肃省_620000_2018Q1-2026Q3_2026-10-05.xlsx``."""
    return (
        f"CertTrack_{data.root.name_zh}_{data.root.code}_{data.start}-{data.end}_"
        f"{today.isoformat()}.xlsx"
    )


def report_workbook(*, data: ReportData, generated_by: str, generated_at: dt.datetime) -> Workbook:
    """The analysts' report of ``data`` (five sheets, docs/excel.md), in write-only mode."""
    wb = Workbook(write_only=True)
    _set_format(wb, REPORT_FORMAT)
    wb.properties.title = f"CertTrack {data.root.name_zh} {data.start}-{data.end}"
    if data.quarterly_only:  # a data dump: the Quarterly sheet alone
        _quarterly_sheet(wb, data)
        return wb
    _summary_sheet(wb, data)
    _quarterly_sheet(wb, data)
    _wide_sheet(wb, data)
    _chart_sheet(wb, data)
    _about_sheet(wb, data, generated_by=generated_by, generated_at=generated_at)
    return wb


def _summary_sheet(wb: Workbook, data: ReportData) -> None:
    """One row per target, judged as of ``data.as_of`` (min(end, the last complete quarter)):
    the statuses of the targets JSON for that quarter (docs/excel.md)."""
    from indicators.tables import progress_notes

    ws = wb.create_sheet(SHEET_SUMMARY)
    ws.freeze_panes = "A2"
    _widths(ws, [w for _, w in SUMMARY_COLUMNS])
    ws.append(_header(ws, [label for label, _ in SUMMARY_COLUMNS]))
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
                _count(ws, t.value),
                _count(ws, p.value),
                str(p.measured_at) if p.measured_at else None,
                _yes_no(p.at_due) if p.value is not None else None,
                percent_cell(ws, p.percent),
                p.status.label,
                p.status.value,
                text_cell(ws, pgettext("list separator", "; ").join(notes)) if notes else None,
                str(p.as_of),
                str(plan.issued_quarter),
                _count(ws, p.baseline.value) if p.baseline else None,
                plan.status,
                text_cell(ws, plan.invalidated_by) if plan.invalidated_by else None,
                ",".join(gap.missing_codes) or None if gap else None,
                gap.awaiting_review if gap else None,
                p.baseline_note.value if p.baseline_note else None,
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
    _widths(ws, [w for _, w in QUARTERLY_COLUMNS])
    ws.append(_header(ws, [label for label, _ in QUARTERLY_COLUMNS]))
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
            _plain_text(ws, region.name_zh),
            _plain_text(ws, region.name_en),
            level_words.get(region.level, region.level),
            data.parent_code.get(region.code),
            indicator.code,
            _plain_text(ws, labels.setdefault(indicator.code, indicator.name)),
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
                    _count(ws, v.value) if known else None,
                    words[f"status:{v.status}"] if v.status else "",
                    yes_no[approved],
                    words[f"source:{source}"],
                    yes_no[complete],
                    _count(ws, v.children_sum) if v.children_sum is not None else None,
                    _count(ws, gap) if (gap := v.discrepancy) is not None else None,
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
    quarters = data.grid.quarters
    _widths(ws, [20, 12, 20] + [10] * len(quarters))
    ws.append(
        _header(ws, ["指标 Indicator", "地区代码 Region code", "地区 Region"])
        + _header(ws, [str(q) for q in quarters])
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
                cells.append(_count(ws, v.value, font=INCOMPLETE_FONT, fill=INCOMPLETE_FILL))
            else:
                cells.append(_count(ws, v.value) if v.value is not None else None)
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


def _chart_sheet(wb: Workbook, data: ReportData) -> None:
    ws = wb.create_sheet(SHEET_CHART)
    ws.freeze_panes = "B2"
    n_ind = len(data.indicators)
    _widths(ws, [10] + [14] * (CHART_SERIES * n_ind))
    labels = ["季度 Quarter"]
    for indicator in data.indicators:
        labels += [
            f"{indicator.name_zh} 实际 {indicator.name_en} actual",
            f"{indicator.name_zh} 部分合计（未报齐） {indicator.name_en} partial sum (incomplete)",
            f"{indicator.name_zh} 目标 {indicator.name_en} target",
        ]
    ws.append(_header(ws, labels))
    rows = chart_rows(data)
    for line in rows:
        ws.append([line[0]] + [_count(ws, v) for v in line[1:]])
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
        partial.graphicalProperties.line.noFill = True
        target.marker.symbol = "diamond"
        target.marker.size = 9
        target.graphicalProperties.line.noFill = True  # targets are points at their due quarter
        ws.add_chart(chart, f"{get_column_letter(CHART_SERIES * n_ind + 3)}{2 + 20 * index}")


def _about_sheet(
    wb: Workbook, data: ReportData, *, generated_by: str, generated_at: dt.datetime
) -> None:
    ws = wb.create_sheet(SHEET_ABOUT)
    _widths(ws, [26, 90, 20, 20, 24])
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
        _header(
            ws,
            [
                "来源计划 Source plans",
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


# --- the import template ------------------------------------------------------------------------

# Column keys in square brackets identify the columns on import (docs/excel.md); order is free.
TEMPLATE_REGION = "region"
TEMPLATE_NAME = "region_name"
TEMPLATE_PERIOD = "period"
TEMPLATE_STATUS = "status"
TEMPLATE_EXPLANATION = "explanation"


def template_headers(indicators: Sequence[Indicator]) -> list[tuple[str, str]]:
    """(key, header text) of every template column, in order."""
    headers = [
        (TEMPLATE_REGION, "地区代码 Region code [region]"),
        (TEMPLATE_NAME, "地区 Region [region_name]"),
        (TEMPLATE_PERIOD, "季度 Quarter [period]"),
    ]
    for i in indicators:
        headers.append((i.code, f"{i.name_zh}（{i.unit_zh}）{i.name_en} [{i.code}]"))
    headers += [
        (TEMPLATE_STATUS, "当前状态 Current status [status]"),
        (TEMPLATE_EXPLANATION, "变动说明 Explanation [explanation]"),
    ]
    return headers


def import_template_workbook(
    *,
    rows: Iterable[tuple[Region, Mapping[str, QuarterlyCount]]],
    period: Quarter,
    indicators: Sequence[Indicator],
    generated_by: str,
    generated_at: dt.datetime,
) -> Workbook:
    """The entry template for ``period``: one row per region, pre-filled with stored values.

    A normal (not write-only) workbook: it has one row per region the official may enter (a
    handful), and needs data validation, which write-only sheets do not support.
    """
    wb = Workbook()
    _set_format(wb, TEMPLATE_FORMAT)
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    headers = template_headers(indicators)
    for col, (_key, label) in enumerate(headers, start=1):
        cell = set_text(ws.cell(row=1, column=col), label)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = "D2"
    widths = {TEMPLATE_REGION: 12, TEMPLATE_NAME: 18, TEMPLATE_PERIOD: 10}
    widths |= {TEMPLATE_STATUS: 22, TEMPLATE_EXPLANATION: 40}
    for col, (key, _label) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(col)].width = widths.get(key, 20)
    status_labels = dict(QuarterlyCount.Status.choices)
    n = 1
    for n, (region, counts) in enumerate(rows, start=2):
        statuses = sorted({str(status_labels[c.status]) for c in counts.values()})
        values = {
            TEMPLATE_REGION: region.code,
            TEMPLATE_NAME: region.name,
            TEMPLATE_PERIOD: str(period),
            TEMPLATE_STATUS: "、".join(statuses) or _("not entered"),
            TEMPLATE_EXPLANATION: None,
        }
        for i in indicators:
            values[i.code] = counts[i.code].value if i.code in counts else None
        for col, (key, _label) in enumerate(headers, start=1):
            cell = set_text(ws.cell(row=n, column=col), values[key])
            if key in {i.code for i in indicators}:
                cell.number_format = COUNT_FORMAT
            if key in (TEMPLATE_NAME, TEMPLATE_STATUS):
                cell.font = Font(color="595959")
    first_ind = 4
    last_ind = 3 + len(indicators)
    if indicators and n >= 2:
        dv = DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_("Whole number"),
            error=_("Enter a whole number of 0 or more."),
        )
        dv.add(f"{get_column_letter(first_ind)}2:{get_column_letter(last_ind)}{max(n, 2) + 200}")
        ws.add_data_validation(dv)

    about = wb.create_sheet(SHEET_ABOUT)
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 90
    notes = [
        ("格式版本 Format version", TEMPLATE_FORMAT),
        ("季度 Quarter", str(period)),
        ("生成者 Generated by", generated_by),
        ("生成时间 Generated at", generated_at.strftime("%Y-%m-%d %H:%M")),
        (
            "填写 How to fill",
            _(
                "Enter whole numbers (0 or more) in the indicator columns. Leave a cell empty "
                "to leave that value unchanged. Do not change the region codes or the column "
                "headers; the key in square brackets identifies each column."
            ),
        ),
        (
            "",
            _(
                "A change of more than the configured share against last quarter needs an "
                "explanation before it can be submitted: write it in the Explanation column."
            ),
        ),
        (
            "",
            _(
                "Values that are submitted or approved cannot be changed by an import; a "
                "reviewer must return or reopen them first."
            ),
        ),
    ]
    for r, (key, value) in enumerate(notes, start=1):
        set_text(about.cell(row=r, column=1), key).font = Font(bold=True)
        set_text(about.cell(row=r, column=2), value).alignment = Alignment(wrap_text=True)
    return wb
