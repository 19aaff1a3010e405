"""Read an officials' entry workbook into typed rows and errors; never writes anything.

``parse_counts_workbook`` checks the file itself (size, kind, encryption, damage, format
version) before openpyxl parses it, then opens it with ``read_only=True, data_only=True`` (rows
stream; formulas give their cached values) and closes it in ``finally``. What the database knows
(which region codes exist, which the user may change, the stored values) is passed in, so this
module stays pure and testable without a database. ``plan_changes`` compares the rows with the
stored counts and keeps only what would change; ``indicators.services.imports.counts_import``
applies those changes, all or nothing. Formats: docs/excel.md.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

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

# Documented limits (docs/excel.md), enforced before and while parsing.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_UNCOMPRESSED_BYTES = 60 * 1024 * 1024  # a zip bomb stops here, before openpyxl reads it
MAX_COLUMNS = 60
MAX_EXPLANATION = 2000

OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # a Compound File: an encrypted .xlsx, or an old .xls
ZIP_MAGIC = b"PK\x03\x04"
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


@dataclass
class ParsedImport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    sheet: str = ""


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


def check_file(data: bytes) -> ImportIssue | None:
    """The problems found without parsing: size, kind, encryption, damage, unpacked size."""
    if len(data) > MAX_UPLOAD_BYTES:
        return ImportIssue(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": f"{len(data) / 1048576:.1f}", "limit": MAX_UPLOAD_BYTES // 1048576}
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
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return ImportIssue(_("The workbook is damaged and cannot be read. Save it again in Excel."))
    if "xl/workbook.xml" not in names:
        return ImportIssue(_("This file is not an Excel workbook (.xlsx)."))
    if unpacked > MAX_UNCOMPRESSED_BYTES:
        return ImportIssue(
            _("The workbook is too large once unpacked; the limit is %(limit)s MB.")
            % {"limit": MAX_UNCOMPRESSED_BYTES // 1048576}
        )
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


def parse_counts_workbook(
    *,
    data: bytes,
    indicator_codes: Sequence[str],
    known_regions: Collection[str],
    enterable_regions: Collection[str],
) -> ParsedImport:
    """Rows and errors of an entry workbook (docs/excel.md); nothing is written anywhere.

    ``known_regions`` are the codes that exist, ``enterable_regions`` those the user may change.
    Every problem found is reported with its sheet, row and column, not only the first.
    """
    result = ParsedImport()
    issue = check_file(data)
    if issue:
        result.errors.append(issue)
        return result
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged file; all mean the same here
        result.errors.append(
            ImportIssue(_("The workbook is damaged and cannot be read. Save it again in Excel."))
        )
        return result
    try:
        _parse(wb, result, indicator_codes, known_regions, enterable_regions)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError):
        result.rows.clear()
        result.errors.append(
            ImportIssue(_("The workbook is damaged and cannot be read. Save it again in Excel."))
        )
    finally:
        wb.close()
    return result


def _parse(wb, result, indicator_codes, known_regions, enterable_regions) -> None:
    name = wb.defined_names.get(FORMAT_NAME)
    version = (name.attr_text or "").strip('"') if name is not None else None
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
    ws = wb[TEMPLATE_SHEET] if TEMPLATE_SHEET in wb.sheetnames else wb.worksheets[0]
    sheet = result.sheet = ws.title
    known_keys = {TEMPLATE_REGION, TEMPLATE_PERIOD, TEMPLATE_EXPLANATION, *indicator_codes}
    rows = ws.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    columns: dict[str, int] = {}
    header_row = 0
    for number, cells in enumerate(rows, start=1):
        if any(c not in (None, "") for c in cells):
            header_row = number
            for index, cell in enumerate(cells):
                key = _header_key(cell, known_keys)
                if key and key not in columns:
                    columns[key] = index
            break
    required = [TEMPLATE_REGION, TEMPLATE_PERIOD, *indicator_codes]
    missing = [key for key in required if key not in columns]
    if not header_row:
        result.errors.append(ImportIssue(_("The sheet is empty."), sheet=sheet))
        return
    for key in missing:
        result.errors.append(
            ImportIssue(
                _("The column “[%(key)s]” is missing from the header row.") % {"key": key},
                sheet=sheet,
                row=header_row,
            )
        )
    if missing:
        return
    letters = {key: get_column_letter(index + 1) for key, index in columns.items()}
    seen: dict[tuple[str, Quarter], int] = {}
    data_rows = 0

    def cell(cells, key):
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    def error(message, number, key=""):
        result.errors.append(
            ImportIssue(message, sheet=sheet, row=number, column=letters.get(key, ""))
        )

    for number, cells in enumerate(rows, start=header_row + 1):
        if not any(c not in (None, "") for c in cells):
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            # The file is refused as a whole; errors found so far would only bury this one.
            result.rows.clear()
            result.errors[:] = [
                ImportIssue(
                    _("The sheet has more than %(limit)s rows; split the file.")
                    % {"limit": f"{MAX_ROWS:,}"},
                    sheet=sheet,
                )
            ]
            return
        ok = True
        code = _region_code(cell(cells, TEMPLATE_REGION))
        if not code:
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
        raw_period = cell(cells, TEMPLATE_PERIOD)
        try:
            period = Quarter.parse(str(raw_period).strip() if raw_period is not None else "")
        except ValueError:
            error(
                _("“%(value)s” is not a quarter (write e.g. 2026Q3).")
                % {"value": str(raw_period or "")[:20]},
                number,
                TEMPLATE_PERIOD,
            )
            period, ok = None, False
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
        values: dict[str, int] = {}
        for ind in indicator_codes:
            raw = cell(cells, ind)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                values[ind] = parse_count(raw, name=f"{letters[ind]}{number}")
            except ValidationError as exc:
                error(" ".join(exc.messages), number, ind)
                ok = False
        explanation = cell(cells, TEMPLATE_EXPLANATION)
        explanation = str(explanation).strip()[:MAX_EXPLANATION] if explanation else ""
        if ok and values:
            result.rows.append(
                ImportRow(sheet, number, code, period, values, explanation, dict(letters))
            )


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
                )
            )
    return changes
