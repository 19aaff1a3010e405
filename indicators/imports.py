"""Read an officials' entry workbook into typed rows and errors; never writes anything.

``parse_counts_workbook`` checks the file itself (size, kind, encryption, unpacked size) before
anything is unpacked, then reads the sheet with the bounded streaming reader of
:mod:`indicators.xlsx` (declared dimension, row, column and cell limits, no DOCTYPE; formulas
give their cached values, or a per-cell error where there is none). What the database knows
(which region codes exist, which the user may change, the stored values) is passed in, so this
module stays pure and testable without a database. ``plan_changes`` compares the rows with the
stored counts and keeps only what would change; ``indicators.services.imports.counts_import``
applies those changes, all or nothing. Formats and limits: docs/excel.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from certtrack.zipcheck import ZipRefused, open_zip
from indicators.exports.cells import FORMAT_NAME
from indicators.exports.template import (
    TEMPLATE_EXPLANATION,
    TEMPLATE_FORMAT,
    TEMPLATE_PERIOD,
    TEMPLATE_REGION,
    TEMPLATE_SHEET,
)
from indicators.periods import Quarter
from indicators.services.validation import parse_count
from indicators.xlsx import (
    LIMITS,
    MAX_PART_BYTES,
    MAX_TOTAL_BYTES,
    CellError,
    FormulaWithoutValue,
    Sheet,
    SheetTooLarge,
    WorkbookDamaged,
    read_sheet,
)

# Documented limits (docs/excel.md), enforced before and while parsing.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNCOMPRESSED_BYTES = MAX_TOTAL_BYTES  # a zip bomb stops here, before any unpacking
MAX_COLUMNS = 30  # A to AD: the template has 5 + one per indicator
MAX_HEADER_ROW = 100  # the header is the first filled row, within the first 100
MAX_SHEET_ROWS = MAX_ROWS + MAX_HEADER_ROW  # no cell holding a value below this row
# Cell and row elements read at most, empty ones too: a full sheet within the limits fits.
MAX_CELLS = MAX_SHEET_ROWS * (MAX_COLUMNS + 1)
MAX_EXPLANATION = 2000

OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # a Compound File: an encrypted .xlsx, or an old .xls
ZIP_MAGIC = b"PK\x03\x04"
logger = logging.getLogger(__name__)
_KEY_RE = re.compile(r"\[\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\]")


@dataclass(frozen=True)
class ImportIssue:
    """An error at a place in the file; row and column are empty for the file as a whole."""

    message: str
    sheet: str = ""
    row: int | None = None
    column: str = ""  # a column letter, e.g. "D"


@dataclass(frozen=True)
class ImportRow:
    """One row of the file: a region's values for a quarter (indicators left empty omitted)."""

    sheet: str
    row: int
    region_code: str
    period: Quarter
    values: dict[str, int]
    explanation: str
    columns: dict[str, str]  # key (indicator code, "explanation", "region") -> column letter
    complete: bool = True  # False: some cells of the row were refused (their values left out)


@dataclass
class ParsedImport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    sheet: str = ""
    # Rows with a refused cell but a valid region and quarter: their other values still go
    # through the rules of the services (locks), so that one upload shows every problem.
    partial: list[ImportRow] = field(default_factory=list)


@dataclass(frozen=True)
class ImportChange:
    """What applying one row changes: new values, the old ones, and the versions seen."""

    sheet: str
    row: int
    region_code: str
    period: Quarter
    values: dict[str, int]  # only the values that differ from the stored ones
    old: dict[str, int | None]
    expected_versions: dict[str, int | None]
    explanation: str
    columns: dict[str, str]
    complete: bool = True  # False: only checked (a preview with errors), never applied

    def to_json(self) -> dict:
        data = asdict(self)
        data["period"] = str(self.period)
        return data

    @classmethod
    def from_json(cls, data: Mapping) -> ImportChange:
        return cls(**{**data, "period": Quarter.parse(data["period"])})


@dataclass(frozen=True)
class StoredCount:
    value: int
    version: int
    status: str


# --- reading the file ------------------------------------------------------------------------


def check_file(
    data: bytes,
    *,
    max_bytes: int = MAX_UPLOAD_BYTES,
    max_unpacked: int = MAX_UNCOMPRESSED_BYTES,
) -> ImportIssue | None:
    """The problems found without parsing: size, kind, encryption, damage, unpacked size.

    The limits default to the entry workbook's; the register import (register/imports.py)
    passes its own, larger ones (docs/register.md)."""
    if len(data) > max_bytes:
        return ImportIssue(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": f"{len(data) / 1048576:.1f}", "limit": max_bytes // 1048576}
        )
    if data.startswith(OLE_MAGIC):
        return ImportIssue(
            _(
                "This workbook is password-protected (encrypted) or in the old .xls format. "
                "Remove the password or save it as .xlsx, then upload it again."
            )
        )
    if not data.startswith(ZIP_MAGIC):
        return ImportIssue(_("This file is not an Excel workbook (.xlsx)."))
    limits = LIMITS  # the entry workbook's; a register file may unpack to more (max_unpacked)
    if max_unpacked != limits.max_total_bytes:
        limits = replace(limits, max_total_bytes=max_unpacked)
    try:
        with open_zip(data, limits=limits) as archive:  # the central directory only
            names = archive.names
    except ZipRefused as exc:
        if exc.reason in ("too_large", "ratio"):
            return ImportIssue(_too_large(SheetTooLarge(exc.reason, exc.limit)))
        return ImportIssue(_("The workbook is damaged and cannot be read. Save it again in Excel."))
    if "xl/workbook.xml" not in names:
        return ImportIssue(_("This file is not an Excel workbook (.xlsx)."))
    return None


def _header_key(text: object, known: Collection[str]) -> str | None:
    if text is None:
        return None
    text = str(text).strip()
    match = _KEY_RE.search(text)
    if match:
        return match.group(1)
    return text if text in known else None


def _region_code(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip() if raw is not None else ""


def _too_large(exc: SheetTooLarge) -> str:
    if exc.kind == "rows":
        return _(
            "The sheet has more than %(limit)s rows (it reaches row %(row)s); split the file."
        ) % {"limit": f"{MAX_ROWS:,}", "row": f"{exc.found:,}"}
    if exc.kind == "columns":
        return _(
            "The sheet has more than %(limit)s columns (it reaches column %(column)s); "
            "remove the extra columns or copy the data into a new template."
        ) % {"limit": MAX_COLUMNS, "column": get_column_letter(min(exc.found, 18278))}
    if exc.kind == "cells":
        return _(
            "The sheet has more than %(limit)s cells (formatted empty cells count too); "
            "copy the data into a new template."
        ) % {"limit": f"{MAX_CELLS:,}"}
    if exc.kind == "ratio":
        return _(
            "The workbook unpacks to far more than its size (a part over %(ratio)s times its "
            "packed size), as no spreadsheet does; save it again in Excel."
        ) % {"ratio": LIMITS.max_ratio}
    # "bytes" (a part, declared) or "too_large" (a part or all of them, found while reading)
    limit = exc.found if exc.kind == "too_large" and exc.found else MAX_PART_BYTES
    return _("The workbook is too large once unpacked; the limit is %(limit)s MB.") % {
        "limit": limit // 1048576
    }


def parse_counts_workbook(
    *,
    data: bytes,
    indicator_codes: Sequence[str],
    known_regions: Collection[str],
    enterable_regions: Collection[str],
) -> ParsedImport:
    """Rows and errors of an entry workbook (docs/excel.md); nothing is written anywhere.

    ``known_regions`` are the codes that exist, ``enterable_regions`` those the user may change.
    Every problem found is reported with its sheet, row and column, not only the first. The
    sheet is read by :func:`indicators.xlsx.read_sheet`: a stream, within the documented
    limits, so that no file under the upload limit costs more than a moment and a few MB.
    """
    result = ParsedImport()
    issue = check_file(data)
    if issue:
        result.errors.append(issue)
        return result
    try:
        sheet = read_sheet(
            data,
            prefer=TEMPLATE_SHEET,
            # Read at call time: bench/run.py raises MAX_ROWS to time a 10,000-row file.
            max_rows=MAX_ROWS + MAX_HEADER_ROW,
            max_columns=MAX_COLUMNS,
            max_cells=(MAX_ROWS + MAX_HEADER_ROW) * (MAX_COLUMNS + 1),
        )
    except SheetTooLarge as exc:
        result.errors.append(ImportIssue(_too_large(exc)))
        return result
    except Exception as exc:
        if not isinstance(exc, WorkbookDamaged):  # a case the reader does not know: still damage
            logger.warning("unreadable workbook", exc_info=True)
        result.errors.append(
            ImportIssue(_("The workbook is damaged and cannot be read. Save it again in Excel."))
        )
        return result
    _parse(sheet, result, indicator_codes, known_regions, enterable_regions)
    return result


def _odd_cell(value: object, ref: str) -> str | None:
    """What a cell holds that no column expects: a formula without its result, an error."""
    if isinstance(value, FormulaWithoutValue):
        return _(
            "%(cell)s holds a formula without a saved result (=%(formula)s); open the file in "
            "Excel and save it, or enter the number itself."
        ) % {"cell": ref, "formula": value.formula[:40]}
    if isinstance(value, CellError):
        return _("%(cell)s holds the error value %(error)s; enter the number itself.") % {
            "cell": ref,
            "error": value.code,
        }
    return None


def _parse(sheet: Sheet, result, indicator_codes, known_regions, enterable_regions) -> None:
    name = sheet.defined_names.get(FORMAT_NAME)
    version = name.strip().strip('"') if name is not None else None
    if version is not None and version != TEMPLATE_FORMAT:
        result.errors.append(
            ImportIssue(
                _(
                    "This workbook was made for format “%(found)s”; this version of CertTrack "
                    "reads “%(expected)s”. Download a new template."
                )
                % {"found": version[:40], "expected": TEMPLATE_FORMAT}
            )
        )
        return
    title = result.sheet = sheet.title
    if not sheet.rows:
        result.errors.append(ImportIssue(_("The sheet is empty."), sheet=title))
        return
    header_row, header = sheet.rows[0]
    if header_row > MAX_HEADER_ROW:
        result.errors.append(
            ImportIssue(
                _(
                    "The header row must be within the first %(n)s rows; the first filled row is %(row)s."
                )
                % {"n": MAX_HEADER_ROW, "row": f"{header_row:,}"},
                sheet=title,
                row=header_row,
            )
        )
        return
    known_keys = {TEMPLATE_REGION, TEMPLATE_PERIOD, TEMPLATE_EXPLANATION, *indicator_codes}
    columns: dict[str, int] = {}
    for index in sorted(header):
        key = _header_key(header[index], known_keys)
        if key and key not in columns:
            columns[key] = index
    required = [TEMPLATE_REGION, TEMPLATE_PERIOD, *indicator_codes]
    missing = [key for key in required if key not in columns]
    for key in missing:
        result.errors.append(
            ImportIssue(
                _("The column “[%(key)s]” is missing from the header row.") % {"key": key},
                sheet=title,
                row=header_row,
            )
        )
    if missing:
        return
    data_rows = sheet.rows[1:]
    last = header_row + MAX_ROWS
    if len(data_rows) > MAX_ROWS or (data_rows and data_rows[-1][0] > last):
        # The file is refused as a whole; errors of its rows would only bury this one.
        beyond = len(data_rows) > MAX_ROWS
        result.errors.append(
            ImportIssue(
                _("The sheet has more than %(limit)s rows; split the file.")
                % {"limit": f"{MAX_ROWS:,}"}
                if beyond
                else _too_large(SheetTooLarge("rows", data_rows[-1][0])),
                sheet=title,
            )
        )
        return
    letters = {key: get_column_letter(index + 1) for key, index in columns.items()}
    seen: dict[tuple[str, Quarter], int] = {}

    def error(message, number, key=""):
        result.errors.append(
            ImportIssue(message, sheet=title, row=number, column=letters.get(key, ""))
        )

    for number, cells in data_rows:
        ok = cells_ok = True  # the row's region and quarter; its other cells
        values_in_row, odd_keys = {}, set()
        for key in (TEMPLATE_REGION, TEMPLATE_PERIOD, TEMPLATE_EXPLANATION, *indicator_codes):
            value = cells.get(columns[key]) if key in columns else None
            odd = _odd_cell(value, f"{letters.get(key, '')}{number}")
            if odd:
                error(odd, number, key)
                odd_keys.add(key)
                if key in (TEMPLATE_REGION, TEMPLATE_PERIOD):
                    ok = False
                else:
                    cells_ok = False
                value = None
            values_in_row[key] = value
        code = _region_code(values_in_row[TEMPLATE_REGION])
        if not code:
            if TEMPLATE_REGION not in odd_keys:
                error(_("The region code is missing."), number, TEMPLATE_REGION)
            ok = False
        elif code not in known_regions:
            error(
                _("“%(code)s” is not a known region code.") % {"code": code[:20]},
                number,
                TEMPLATE_REGION,
            )
            ok = False
        elif code not in enterable_regions:
            error(
                _("You may not enter counts for region %(code)s.") % {"code": code},
                number,
                TEMPLATE_REGION,
            )
            ok = False
        raw_period = values_in_row[TEMPLATE_PERIOD]
        period = None
        try:
            period = Quarter.parse(str(raw_period).strip()[:20] if raw_period is not None else "")
        except ValueError:
            if TEMPLATE_PERIOD not in odd_keys:
                error(
                    _("“%(value)s” is not a quarter (write e.g. 2026Q3).")
                    % {"value": str(raw_period or "")[:20]},
                    number,
                    TEMPLATE_PERIOD,
                )
            ok = False
        if ok:
            first = seen.get((code, period))
            if first is not None:
                error(
                    _("Region %(code)s, %(period)s appears twice (rows %(first)s and %(row)s).")
                    % {"code": code, "period": period, "first": first, "row": number},
                    number,
                    TEMPLATE_REGION,
                )
                ok = False
            else:
                seen[(code, period)] = number
        row_ok, ok = ok, cells_ok
        values: dict[str, int] = {}
        for ind in indicator_codes:
            raw = values_in_row[ind]
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                values[ind] = parse_count(raw, name=f"{letters[ind]}{number}")
            except ValidationError as exc:
                error(" ".join(exc.messages), number, ind)
                ok = False
        explanation = values_in_row[TEMPLATE_EXPLANATION]
        explanation = str(explanation).strip()[:MAX_EXPLANATION] if explanation else ""
        if values and row_ok:
            row = ImportRow(title, number, code, period, values, explanation, dict(letters), ok)
            (result.rows if ok else result.partial).append(row)


# --- what would change --------------------------------------------------------------------------


def plan_changes(
    *, rows: Sequence[ImportRow], stored: Mapping[tuple[str, Quarter, str], StoredCount]
) -> list[ImportChange]:
    """The rows that change something, with only their changed values and the versions seen.

    An unchanged value is left out, so re-importing the same file changes nothing, and an
    unchanged value of a submitted or approved count does not trip the workflow's lock.
    """
    changes = []
    for row in rows:
        values, old, versions = {}, {}, {}
        for code, value in row.values.items():
            current = stored.get((row.region_code, row.period, code))
            if current is not None and current.value == value:
                continue
            values[code] = value
            old[code] = current.value if current else None
            versions[code] = current.version if current else None
        if values:
            changes.append(
                ImportChange(
                    sheet=row.sheet,
                    row=row.row,
                    region_code=row.region_code,
                    period=row.period,
                    values=values,
                    old=old,
                    expected_versions=versions,
                    explanation=row.explanation,
                    columns=row.columns,
                    complete=row.complete,
                )
            )
    return changes
