"""The bulk-accounts file: parse a workbook into typed rows and every error at once (never
writes). The workbook is read by the project's bounded reader (``indicators.xlsx.read_sheet``,
after ``indicators.imports.check_file``); nothing here opens the package another way.

A row: username, 姓名, English name, region code or unit, roles (codes or names, several
separated by commas), mail, phone. Each row is checked as ``accounts.services`` will check it
when the accounts are made (scope, roles, unique usernames), so the preview lists every problem
and the confirmation makes all the accounts or none.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from accounts.exports import COLUMNS, TEMPLATE_SHEET
from accounts.services import AccountData, _check_new
from indicators.imports import ImportIssue, _too_large, check_file
from indicators.xlsx import (
    CellError,
    FormulaWithoutValue,
    SheetTooLarge,
    WorkbookDamaged,
    read_sheet,
)
from regions.models import Membership, Region
from tasks.models import Unit

log = logging.getLogger(__name__)

MAX_ROWS = 2000
MAX_COLUMNS = 20
_SPLIT = re.compile(r"[,，、;；/\s]+")
_REGION_CODE = re.compile(r"^[0-9]{6,12}$")
# Field of AccountData -> column key of the sheet, for errors.
_FIELD_COLUMN = {
    "username": "username",
    "name": "name",
    "first_name": "name",
    "email": "email",
    "region": "place",
    "unit": "place",
    "roles": "roles",
}


@dataclass
class ImportRow:
    """One account of the file, by codes (kept in the session between preview and confirm)."""

    row: int
    username: str
    name: str
    name_en: str = ""
    email: str = ""
    phone: str = ""
    region_code: str = ""
    unit_code: str = ""
    roles: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ImportRow:
        return cls(**data)

    def data(self) -> AccountData:
        """The row with its region and unit looked up (LookupError if one has gone since)."""
        region = Region.objects.get(code=self.region_code) if self.region_code else None
        unit = (
            Unit.objects.select_related("region").get(code=self.unit_code)
            if self.unit_code
            else None
        )
        return AccountData(
            username=self.username,
            name=self.name,
            name_en=self.name_en,
            email=self.email,
            phone=self.phone,
            region=region,
            unit=unit,
            roles=tuple(self.roles),
        )


@dataclass
class ParsedAccounts:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _role_names() -> dict[str, str]:
    """Every way a role may be written (code, Chinese name, English name) -> its code."""
    names = {}
    for code, label in Membership.Role.choices:
        names[code.lower()] = code
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                names[str(label).strip().lower()] = code
    return names


def _unit_lookup(value: str) -> Unit | None:
    return (
        Unit.objects.select_related("region")
        .exclude(kind=Unit.Kind.COLLECTIVE)
        .filter(Q(code=value) | Q(name_zh=value) | Q(full_name_zh=value) | Q(current_name_zh=value))
        .order_by("sort_order", "code")
        .first()
    )


def parse_accounts(*, data: bytes, admin) -> ParsedAccounts:
    """The file's accounts and every problem found (file-level, or by row and column)."""
    result = ParsedAccounts()
    issue = check_file(data)
    if issue:
        result.errors.append(issue)
        return result
    try:
        sheet = read_sheet(
            data,
            prefer=TEMPLATE_SHEET,
            max_rows=MAX_ROWS + 1,
            max_columns=MAX_COLUMNS,
            max_cells=(MAX_ROWS + 1) * (MAX_COLUMNS + 1),
        )
    except SheetTooLarge as exc:
        result.errors.append(ImportIssue(_too_large(exc)))
        return result
    except Exception as exc:
        if not isinstance(exc, WorkbookDamaged):
            log.warning("unreadable workbook", exc_info=True)
        result.errors.append(
            ImportIssue(_("The workbook is damaged and cannot be read. Save it again in Excel."))
        )
        return result
    rows = sheet.rows
    if not rows:
        result.errors.append(ImportIssue(_("The sheet is empty."), sheet=sheet.title))
        return result
    _header_row, header = rows[0]
    expected = [label for _key, label in COLUMNS]
    found = [_text(header.get(i)) for i in range(len(expected))]
    if found != expected:
        result.errors.append(
            ImportIssue(
                _(
                    "The first row is not the template's header. Download the template and copy the accounts into it."
                ),
                sheet=sheet.title,
                row=_header_row,
            )
        )
        return result
    keys = [key for key, _label in COLUMNS]
    letters = {key: get_column_letter(i + 1) for i, key in enumerate(keys)}
    roles_by_name = _role_names()
    seen: dict[str, int] = {}

    def error(message: str, number: int, key: str = "") -> None:
        result.errors.append(
            ImportIssue(message, sheet=sheet.title, row=number, column=letters.get(key, ""))
        )

    for number, cells in rows[1:]:
        values = {}
        bad = False
        for i, key in enumerate(keys):
            value = cells.get(i)
            if isinstance(value, (CellError, FormulaWithoutValue)):
                error(_("This cell holds a formula or an error, not a value."), number, key)
                bad, value = True, None
            values[key] = _text(value)
        if not any(values.values()):
            continue
        row = ImportRow(
            row=number,
            username=values["username"],
            name=values["name"],
            name_en=values["name_en"],
            email=values["email"],
            phone=values["phone"],
        )
        region = unit = None
        place = values["place"]
        if not place:
            error(_("Give a region code or a unit."), number, "place")
            bad = True
        elif _REGION_CODE.match(place):
            region = Region.objects.filter(code=place, active=True).first()
            if region is None:
                error(_("No region has the code %(code)s.") % {"code": place}, number, "place")
                bad = True
            else:
                row.region_code = region.code
        else:
            unit = _unit_lookup(place)
            if unit is None:
                error(_("No unit is called %(name)s.") % {"name": place}, number, "place")
                bad = True
            else:
                row.unit_code = unit.code
        for word in (w for w in _SPLIT.split(values["roles"]) if w):
            code = roles_by_name.get(word.lower())
            if code is None:
                error(_("Unknown role: %(role)s.") % {"role": word}, number, "roles")
                bad = True
            elif code not in row.roles:
                row.roles.append(code)
        if row.username:
            if row.username.lower() in seen:
                error(
                    _("The username %(name)s is also on row %(row)s.")
                    % {"name": row.username, "row": seen[row.username.lower()]},
                    number,
                    "username",
                )
                bad = True
            seen.setdefault(row.username.lower(), number)
        try:
            _check_new(
                actor=admin,
                data=AccountData(
                    username=row.username,
                    name=row.name,
                    name_en=row.name_en,
                    email=row.email,
                    phone=row.phone,
                    region=region,
                    unit=unit,
                    roles=tuple(row.roles),
                ),
            )
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                if field_name in ("region", "unit") and not (region or unit):
                    continue  # already said: the place is missing or unknown
                for message in messages:
                    error(message, number, _FIELD_COLUMN.get(field_name, ""))
            bad = True
        if not bad:
            result.rows.append(row)
    if not result.rows and not result.errors:
        result.errors.append(ImportIssue(_("The sheet has no accounts."), sheet=sheet.title))
    return result
