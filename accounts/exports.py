"""Workbooks of the user pages (pure: rows in, openpyxl Workbook out, write-only).

* the bulk-accounts template: the sheet to fill, the regions one may use, the roles;
* the set-password links not mailed, for the administrator to hand over.

Text from users goes through ``indicators.exports.cells.text_cell`` (never a formula).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from openpyxl import Workbook

from indicators.exports.cells import HEADER_ALIGN, HEADER_FILL, HEADER_FONT, text_cell
from regions.models import Membership, Region

TEMPLATE_SHEET = "账号 Accounts"
# Column keys in order; the header shows the Chinese name first, then the English.
COLUMNS = [
    ("username", "用户名 Username"),
    ("name", "姓名 Name"),
    ("name_en", "英文名 English name"),
    ("place", "地区代码或单位 Region code or unit"),
    ("roles", "角色 Roles"),
    ("email", "邮箱 Mail"),
    ("phone", "电话 Phone"),
]
WIDTHS = [18, 14, 20, 26, 22, 28, 16]


def _header(ws, labels: list[str]) -> list:
    return [
        text_cell(ws, label, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN)
        for label in labels
    ]


def import_template_workbook(*, regions: list[Region]) -> Workbook:
    """The empty bulk-accounts sheet, with the regions and roles it accepts beside it."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(TEMPLATE_SHEET)
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(65 + i)].width = width
    ws.append(_header(ws, [label for _key, label in COLUMNS]))

    ref = wb.create_sheet("地区 Regions")
    ref.column_dimensions["A"].width = 12
    ref.column_dimensions["B"].width = 30
    ref.append(_header(ref, ["代码 Code", "名称 Name", "English"]))
    for region in regions:
        ref.append([region.code, text_cell(ref, region.name_zh), text_cell(ref, region.name_en)])

    roles = wb.create_sheet("角色 Roles")
    roles.column_dimensions["A"].width = 14
    roles.column_dimensions["B"].width = 16
    roles.append(_header(roles, ["代码 Code", "名称 Name", "English"]))
    from django.utils import translation

    for code, label in Membership.Role.choices:
        with translation.override("zh-hans"):
            zh = str(label)
        with translation.override("en"):
            en = str(label)
        roles.append([code, zh, en])
    notes = wb.create_sheet("说明 Notes")
    notes.column_dimensions["A"].width = 100
    for line in (
        "每行一个账号。地区填 6 位代码，或填单位名称（此时账号属于该单位及其地区）。",
        "角色可填代码（official）或名称（填报员），多个角色用顿号或逗号分隔；角色在该地区生效。",
        "文件中不写密码：每个新账号获得一次性设置密码链接。",
        "One account per row. Region: its 6-digit code, or a unit's name (the account then "
        "belongs to the unit and its region).",
        "Roles: by code (official) or name (填报员), several separated by commas; a role holds "
        "in that region.",
        "No password in the file: every new account gets a one-time link to set its password.",
    ):
        notes.append([line])
    return wb


def links_workbook(*, rows: list[dict], generated_by: str, at: dt.datetime) -> Workbook:
    """The one-time set-password links to hand over: username, name, link."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Set-password links"))
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 90
    ws.append(_header(ws, [_("Username"), _("Name"), _("One-time link")]))
    for row in rows:
        ws.append(
            [text_cell(ws, row["username"]), text_cell(ws, row["name"]), text_cell(ws, row["url"])]
        )
    ws.append([])
    ws.append(
        [
            text_cell(
                ws,
                _("Made by %(name)s at %(at)s. Each link works once.")
                % {"name": generated_by, "at": f"{at:%Y-%m-%d %H:%M}"},
            )
        ]
    )
    return wb
