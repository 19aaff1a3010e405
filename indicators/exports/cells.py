"""What both workbooks are made of: formats, header and number cells, and formula-safe text.

Any text that could come from a user (names, titles, notes) goes through :func:`text_cell` /
:func:`set_text`: a string starting with ``=``, ``+``, ``-`` or ``@`` is written as text with a
quote prefix, never as a formula (CSV/formula injection). Pure: no ORM, no request.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from indicators.models import Plan
from indicators.progress import round_half_up

FORMAT_NAME = "certtrack_format"  # workbook-level defined name holding the format version

COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00%"  # two decimals, rounded half up before writing (round_half_up)
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")
TITLE_FONT = Font(bold=True, size=13)


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


def plain_text(ws, value: object) -> object:
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


def header_cells(ws, labels: Sequence[str]) -> list[WriteOnlyCell]:
    return [
        text_cell(ws, label, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
        for label in labels
    ]


def count_cell(ws, value: int | float | None, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = COUNT_FORMAT
    for name, val in style.items():
        setattr(cell, name, val)
    return cell


def set_widths(ws, widths: Sequence[float]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def set_print(ws, *, landscape: bool = True, title_rows: str | None = "1:1") -> None:
    """Print settings of a sheet, set before its first row (write-only sheets write their
    properties then): the orientation, fit to one page wide (as many pages high as needed),
    the header rows repeated on every page, the workbook's title and the sheet's name at the
    top and "page / pages" at the foot. Without them a wide sheet prints in strips of two
    columns (a Gansu report took 171 pages in LibreOffice)."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0: as many pages high as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    if title_rows:
        ws.print_title_rows = title_rows
    title = (ws.parent.properties.title or "CertTrack").replace("&", "&&")
    ws.oddHeader.left.text = title
    ws.oddHeader.left.size = 9
    ws.oddHeader.right.text = "&A"  # the sheet's name
    ws.oddHeader.right.size = 9
    ws.oddFooter.center.text = "&P / &N"
    ws.oddFooter.center.size = 9


def set_format(wb: Workbook, version: str) -> None:
    wb.defined_names[FORMAT_NAME] = DefinedName(FORMAT_NAME, attr_text=f'"{version}"')
    wb.properties.creator = "CertTrack"
    wb.properties.keywords = version


def yes_no(flag: bool | None) -> str | None:
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
