"""Read a certificate register file (.xlsx, or .csv in UTF-8 or GB18030) into typed rows and
errors; never writes anything.

Columns are found by their header, in Chinese or English, in any order (``HEADER_ALIASES``);
certification types by the authority's name, the standard's code or an alias; the holder's
region from the file's region code, else from characters 3–8 of the credit code, mapped to the
nearest region of the tree. What the database knows (types, region codes and paths, the
importer's scope) is passed in, so this module stays pure. Every problem of the file is
reported in one pass with its row and column. An .xlsx is checked and streamed by the one
bounded inspector (``indicators.imports.check_file``, ``indicators.xlsx.read_sheet``).
Format and rules: docs/register.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, ValidationError

from indicators.imports import ZIP_MAGIC, ImportIssue, check_file
from indicators.xlsx import CellError, FormulaWithoutValue, SheetTooLarge, read_sheet

logger = logging.getLogger(__name__)

# Documented limits (docs/register.md). A request is at most CERTTRACK_MAX_REQUEST_SIZE (10 MB).
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 40
MAX_HEADER_ROW = 20
MAX_TEXT = 200

# key -> the headers that name it (compared after _norm: case, width, spaces and marks ignored)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("证书编号", "证书号", "证书号码", "certificate number", "certificate no", "number"),
    "body": ("认证机构", "认证机构名称", "发证机构", "certification body", "body"),
    "type": ("认证类型", "认证项目", "认证领域", "certification type", "type", "scheme"),
    "holder": ("组织名称", "获证组织名称", "获证组织", "企业名称", "organization", "holder"),
    "credit_code": (
        "统一社会信用代码",
        "社会信用代码",
        "信用代码",
        "unified social credit code",
        "credit code",
        "uscc",
    ),
    "region": ("地区代码", "行政区划代码", "所在地区代码", "region code", "region"),
    "issued_on": ("颁证日期", "发证日期", "颁发日期", "证书颁发日期", "issue date", "issued on"),
    "expires_on": (
        "有效期至",
        "证书到期日期",
        "到期日期",
        "有效截止日期",
        "expiry date",
        "expires on",
        "valid until",
    ),
    "status": ("证书状态", "状态", "certificate status", "status"),
    "status_date": ("状态日期", "状态变更日期", "status date", "status since"),
}
REQUIRED = ("number", "body", "type", "holder", "credit_code", "issued_on", "expires_on", "status")

STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    "valid": ("有效", "valid", "正常"),
    "suspended": ("暂停", "suspended"),
    "withdrawn": ("撤销", "withdrawn", "revoked"),
    "cancelled": ("注销", "cancelled", "canceled"),
    "expired": ("过期", "失效", "expired"),
}

_YEAR_SUFFIX = re.compile(r"[:：-](19|20)\d\d$")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _norm(text: object) -> str:
    """Compare headers, types and statuses ignoring width, case, spaces and marks."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s_\-·.:：()（）]", "", text)


_HEADERS = {_norm(alias): key for key, aliases in HEADER_ALIASES.items() for alias in aliases}
_STATUSES = {_norm(alias): key for key, aliases in STATUS_ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class TypeNames:
    """A certification type and every name a file may call it by (from the database)."""

    code: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class RegisterRow:
    """One certificate as the file states it, with its holder's region resolved."""

    row: int
    number: str
    body: str
    type_code: str
    credit_code: str
    holder: str
    region_code: str
    issued_on: dt.date
    expires_on: dt.date
    status: str
    status_date: dt.date | None
    columns: dict[str, str]  # key -> column letter, to place the service's errors

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("issued_on", "expires_on", "status_date"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: Mapping) -> RegisterRow:
        values = dict(data)
        for key in ("issued_on", "expires_on", "status_date"):
            values[key] = dt.date.fromisoformat(values[key]) if values[key] else None
        return cls(**values)


@dataclass
class ParsedRegister:
    rows: list[RegisterRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    refused_rows: int = 0  # data rows with at least one error


def type_lookup(types: Sequence[TypeNames]) -> dict[str, str]:
    """Normalised name -> type code; a standard's year (ISO 9001:2015) is ignored."""
    found: dict[str, str] = {}
    for t in types:
        for name in t.names:
            if name:
                found.setdefault(_norm(name), t.code)
    return found


def _type_code(text: str, lookup: Mapping[str, str]) -> str | None:
    key = _norm(text)
    return lookup.get(key) or lookup.get(_norm(_YEAR_SUFFIX.sub("", text.strip())))


def parse_date(value: object) -> dt.date | None:
    """A date cell: an Excel serial number, ``2024-03-31``, ``2024/3/31``, ``2024.3.31``,
    ``20240331``, ``2024年3月31日`` (a time after the date is ignored); None if unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # 1954 .. 2119 as Excel day numbers
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = text.split(" ")[0].split("T")[0] if "年" not in text else text
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    match = _DATE_RE.match(text)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def credit_code_error(code: str) -> str | None:
    """Why ``code`` is no valid 统一社会信用代码 (GB 32100-2015), or None. python-stdnum checks
    the length, the alphabet and the check character."""
    try:
        uscc.validate(code)
    except InvalidChecksum:
        return _("The check character of the unified social credit code %(code)s is wrong.") % {
            "code": code
        }
    except ValidationError:
        return _(
            "%(code)s is not a unified social credit code (18 characters: digits and capital "
            "letters except I, O, S, V, Z)."
        ) % {"code": code}
    return None


def nearest_region(code: str, known: Mapping[str, str]) -> str | None:
    """The region of the tree for a GB/T 2260 code: itself, else its prefecture (a county not
    in the tree), else its province; None if none of them is in the tree."""
    code = code.strip()
    if not code.isdigit():
        return None
    if code in known:
        return code
    if len(code) < 6:
        return None
    for candidate in (code[:4] + "00", code[:2] + "0000"):
        if candidate in known:
            return candidate
    return None


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()[:MAX_TEXT] if value is not None else ""


def _upper_code(value: object) -> str:
    """Numbers and codes are written upper-case without spaces (the authority's rule)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _text(value))).upper()


# --- reading the file ------------------------------------------------------------------------


def _csv_rows(data: bytes, result: ParsedRegister) -> list[tuple[int, dict[int, object]]] | None:
    """The rows of a CSV file in UTF-8 (with or without a byte order mark), else GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        result.errors.append(
            ImportIssue(_("The file is neither UTF-8 nor GB18030 text; save it as CSV again."))
        )
        return None
    rows: list[tuple[int, dict[int, object]]] = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if len(cells) > MAX_COLUMNS:
                result.errors.append(
                    ImportIssue(
                        _("The file has more than %(limit)s columns.") % {"limit": MAX_COLUMNS},
                        row=number,
                    )
                )
                return None
            row = {i: c.strip() for i, c in enumerate(cells) if c.strip()}
            if row:
                if len(rows) > MAX_ROWS:
                    result.errors.append(_too_many_rows())
                    return None
                rows.append((number, row))
    except csv.Error as exc:
        result.errors.append(
            ImportIssue(_("The file cannot be read as CSV: %(error)s") % {"error": exc})
        )
        return None
    return rows


def _too_many_rows() -> ImportIssue:
    return ImportIssue(
        _("The file has more than %(limit)s certificates; split it.") % {"limit": f"{MAX_ROWS:,}"}
    )


def _xlsx_rows(data: bytes, result: ParsedRegister) -> list[tuple[int, dict[int, object]]] | None:
    issue = check_file(data, max_bytes=MAX_UPLOAD_BYTES, max_unpacked=MAX_UNPACKED_BYTES)
    if issue:
        result.errors.append(issue)
        return None
    try:
        sheet = read_sheet(
            data,
            prefer="证书信息表",  # the authority's sheet name; else the first sheet
            max_rows=MAX_ROWS + MAX_HEADER_ROW,
            max_columns=MAX_COLUMNS,
            max_cells=(MAX_ROWS + MAX_HEADER_ROW) * (MAX_COLUMNS + 1),
        )
    except SheetTooLarge as exc:
        result.errors.append(
            _too_many_rows()
            if exc.kind in ("rows", "cells")
            else ImportIssue(
                _("The file has more than %(limit)s columns.") % {"limit": MAX_COLUMNS}
            )
        )
        return None
    except Exception:  # WorkbookDamaged, or a case the reader does not know: still damage
        logger.info("unreadable register workbook", exc_info=True)
        result.errors.append(
            ImportIssue(_("The workbook is damaged and cannot be read. Save it again in Excel."))
        )
        return None
    return sheet.rows


def parse_register_file(
    *,
    data: bytes,
    file_name: str,
    types: Sequence[TypeNames],
    regions: Mapping[str, str],
    in_scope: Callable[[str], bool],
) -> ParsedRegister:
    """Rows and errors of a register file (docs/register.md); nothing is written anywhere.

    ``regions`` maps every region code of the tree to its path; ``in_scope(path)`` says whether
    the importer may import for that region (a row outside is an error).
    """
    result = ParsedRegister()
    if len(data) > MAX_UPLOAD_BYTES:
        result.errors.append(
            ImportIssue(
                _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
                % {"size": f"{len(data) / 1048576:.1f}", "limit": MAX_UPLOAD_BYTES // 1048576}
            )
        )
        return result
    is_xlsx = data.startswith(ZIP_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm"))
    rows = _xlsx_rows(data, result) if is_xlsx else _csv_rows(data, result)
    if rows is None:
        return result
    if not rows:
        result.errors.append(ImportIssue(_("The file holds no certificates.")))
        return result
    columns = _header(rows, result)
    if columns is None:
        return result
    header_row, columns = columns
    _parse_rows(
        [(n, cells) for n, cells in rows if n > header_row],
        columns,
        result,
        type_lookup(types),
        regions,
        in_scope,
    )
    return result


def _header(rows, result) -> tuple[int, dict[str, int]] | None:
    """The first row (within MAX_HEADER_ROW) that names every required column."""
    best: tuple[int, dict[str, int]] | None = None
    for number, cells in rows:
        if number > MAX_HEADER_ROW:
            break
        found: dict[str, int] = {}
        for index in sorted(cells):
            key = _HEADERS.get(_norm(cells[index]))
            if key and key not in found:
                found[key] = index
        if best is None or len(found) > len(best[1]):
            best = (number, found)
        if all(k in found for k in REQUIRED):
            return number, found
    header_row, found = best or (1, {})
    for key in REQUIRED:
        if key not in found:
            result.errors.append(
                ImportIssue(
                    _("No column “%(name)s” in the header row (also read as: %(aliases)s).")
                    % {
                        "name": HEADER_ALIASES[key][0],
                        "aliases": "、".join(HEADER_ALIASES[key][1:4]),
                    },
                    row=header_row,
                )
            )
    return None


def _parse_rows(data_rows, columns, result, types, regions, in_scope) -> None:
    letters = {key: get_column_letter(index + 1) for key, index in columns.items()}
    seen: dict[tuple[str, str], int] = {}
    statuses = {k for k in STATUS_ALIASES}

    for number, cells in data_rows:
        errors: list[ImportIssue] = []

        def error(message, key, number=number, errors=errors):
            errors.append(ImportIssue(message, row=number, column=letters.get(key, "")))

        def cell(key, cells=cells):
            value = cells.get(columns[key]) if key in columns else None
            if isinstance(value, FormulaWithoutValue | CellError):
                error(_("This cell holds a formula or an error value, not data."), key)
                return None
            return value

        number_text = _upper_code(cell("number"))
        body = _text(cell("body"))
        for key, value in (("number", number_text), ("body", body)):
            if not value:
                error(_("This cell is empty."), key)
        type_text = _text(cell("type"))
        type_code = _type_code(type_text, types) if type_text else None
        if not type_text:
            error(_("This cell is empty."), "type")
        elif type_code is None:
            error(
                _("“%(type)s” is no certification type of the list.") % {"type": type_text}, "type"
            )
        holder = _text(cell("holder"))
        if not holder:
            error(_("This cell is empty."), "holder")
        credit_code = _upper_code(cell("credit_code"))
        code_error = credit_code_error(credit_code) if credit_code else _("This cell is empty.")
        if code_error:
            error(code_error, "credit_code")
        region_text = _upper_code(cell("region")) if "region" in columns else ""
        source = region_text or (credit_code[2:8] if not code_error else "")
        region_code = nearest_region(source, regions) if source else None
        if source and region_code is None:
            where = "region" if region_text else "credit_code"
            error(
                _(
                    "The region %(code)s is not in the region tree; the holder's region cannot be resolved."
                )
                % {"code": source},
                where,
            )
        elif region_code and not in_scope(regions[region_code]):
            error(
                _("The region %(code)s is outside the regions you may import for.")
                % {"code": region_code},
                "region" if region_text else "credit_code",
            )
        dates = {}
        for key in ("issued_on", "expires_on", "status_date"):
            raw = cell(key) if key in columns else None
            dates[key] = parse_date(raw) if raw not in (None, "") else None
            if raw not in (None, "") and dates[key] is None:
                error(
                    _("“%(value)s” is not a date (write e.g. 2024-03-31).")
                    % {"value": _text(raw)[:30]},
                    key,
                )
            elif raw in (None, "") and key != "status_date":
                error(_("This cell is empty."), key)
        if dates["issued_on"] and dates["expires_on"] and dates["expires_on"] < dates["issued_on"]:
            error(_("The certificate expires before it was issued."), "expires_on")
        status_text = _text(cell("status"))
        status = _STATUSES.get(_norm(status_text)) if status_text else None
        if not status_text:
            error(_("This cell is empty."), "status")
        elif status not in statuses:
            error(
                _("“%(value)s” is not a certificate status (有效, 暂停, 撤销, 注销, 过期).")
                % {"value": status_text[:30]},
                "status",
            )
        if status and status != "valid" and dates["status_date"] is None:
            error(_("A status other than valid needs its date."), "status_date")
        if number_text and body:
            first = seen.setdefault((body, number_text), number)
            if first != number:
                error(
                    _("Certificate %(number)s of this body is listed twice (also row %(row)s).")
                    % {"number": number_text, "row": first},
                    "number",
                )
        if errors:
            result.errors.extend(errors)
            result.refused_rows += 1
            continue
        result.rows.append(
            RegisterRow(
                row=number,
                number=number_text,
                body=body,
                type_code=type_code,
                credit_code=credit_code,
                holder=holder,
                region_code=region_code,
                issued_on=dates["issued_on"],
                expires_on=dates["expires_on"],
                status=status,
                status_date=dates["status_date"],
                columns=letters,
            )
        )
