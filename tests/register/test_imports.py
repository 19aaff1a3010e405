"""Parsing register files: headers in either language and any order, encodings, types by name
or standard, credit codes, regions, scope; every error with its row and column."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from register.imports import nearest_region, parse_date
from tests.register.conftest import HEADER, credit_code, csv_bytes, parse

LANZHOU = credit_code("620100", 1)


def row(number="QMS-1", code=LANZHOU, type_="ISO 9001:2015", status="有效", status_date=""):
    return [
        number,
        "机构甲",
        type_,
        "组织甲",
        code,
        "2022-01-10",
        "2025-01-09",
        status,
        status_date,
    ]


def test_a_gb18030_csv_is_read(types, rtree):
    parsed = parse(csv_bytes([row()], encoding="gb18030"))
    assert parsed.errors == []
    (only,) = parsed.rows
    assert (only.holder, only.type_code, only.region_code) == ("组织甲", "qms", "620100")


def test_english_headers_in_another_order_with_a_region_column(types, rtree):
    header = [
        "Status", "Certificate number", "Certification body", "Certification type",
        "Organization", "Credit code", "Issue date", "Expiry date", "Region code",
    ]  # fmt: skip
    data = csv_bytes(
        [["valid", "ems 1", "Body", "Environmental management system certification",
          "Org", LANZHOU, "2022/1/10", "2025年1月9日", "620500"]],
        header=header,
    )  # fmt: skip
    parsed = parse(data)
    assert parsed.errors == []
    (only,) = parsed.rows
    # the region column wins over the credit code's 620100; the number is upper-cased, unspaced
    assert (only.region_code, only.number, only.type_code) == ("620500", "EMS1", "ems")
    assert only.expires_on == dt.date(2025, 1, 9)


def test_a_bad_check_character_is_an_error_at_its_cell(types, rtree):
    good = credit_code("620100", 7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    parsed = parse(csv_bytes([row(), row("QMS-2", code=bad)]))
    assert len(parsed.rows) == 1 and parsed.refused_rows == 1
    (issue,) = parsed.errors
    assert (issue.row, issue.column) == (3, "E")
    assert "check character" in issue.message


def test_an_unresolvable_region_is_an_error_with_its_row(types, rtree):
    # 110000 Beijing: neither it, nor 110100, nor 110000 is in the tree
    parsed = parse(csv_bytes([row(code=credit_code("110105", 1))]))
    assert parsed.rows == []
    (issue,) = parsed.errors
    assert (issue.row, issue.column) == (2, "E") and "110105" in issue.message


def test_a_county_not_in_the_tree_goes_to_its_prefecture():
    known = {"620000": "/620000/", "620100": "/620000/620100/", "620102": "/x/"}
    assert nearest_region("620102", known) == "620102"  # in the tree: itself
    assert nearest_region("620103", known) == "620100"  # 七里河区: its prefecture
    assert nearest_region("629999", known) == "620000"  # no prefecture: the province
    assert nearest_region("110105", known) is None


def test_rows_of_another_province_are_refused(types, rtree):
    beihai = credit_code("450500", 1)
    parsed = parse(csv_bytes([row(), row("QMS-2", code=beihai)]), scope=("/620000/",))
    assert [r.number for r in parsed.rows] == ["QMS-1"]
    (issue,) = parsed.errors
    assert issue.row == 3 and "450500" in issue.message


def test_every_error_of_the_file_is_reported_at_once(types, rtree):
    rows = [
        row(type_="不存在的认证"),  # row 2, column C
        ["", "机构甲", "ISO 9001", "组织", LANZHOU, "2022-13-01", "2025-01-09", "有效", ""],
        row("QMS-3", status="暂停"),  # a status other than valid without its date: column I
        row(),  # the same certificate as row 2 again: column A
    ]
    parsed = parse(csv_bytes(rows))
    places = sorted((i.row, i.column) for i in parsed.errors)
    assert places == [(2, "C"), (3, "A"), (3, "F"), (4, "I"), (5, "A")]
    assert parsed.refused_rows == 4 and parsed.rows == []


def test_a_missing_column_is_named(types, rtree):
    parsed = parse(csv_bytes([row()[:-2]], header=HEADER[:-2]))
    assert [i.message for i in parsed.errors] == [
        "No column “证书状态” in the header row (also read as: 状态、certificate status、status)."
    ]


def test_an_xlsx_with_real_dates_is_read_by_the_bounded_reader(types, rtree):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "证书信息表"
    ws.append(["填报说明：证书信息表"])  # a title line above the header
    ws.append(HEADER)
    ws.append(["QMS-1", "机构甲", "质量管理体系认证", "组织甲", LANZHOU,
               dt.datetime(2022, 1, 10), dt.datetime(2025, 1, 9), "有效", None])  # fmt: skip
    out = io.BytesIO()
    wb.save(out)
    parsed = parse(out.getvalue(), name="register.xlsx")
    assert parsed.errors == []
    (only,) = parsed.rows
    assert (only.row, only.issued_on) == (3, dt.date(2022, 1, 10))


def test_a_damaged_xlsx_is_one_clear_error(types, rtree):
    parsed = parse(b"PK\x03\x04 not really a zip", name="register.xlsx")
    assert len(parsed.errors) == 1 and parsed.rows == []


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-03-31", dt.date(2024, 3, 31)),
        ("2024/3/31", dt.date(2024, 3, 31)),
        ("20240331", dt.date(2024, 3, 31)),
        ("2024年3月31日", dt.date(2024, 3, 31)),
        ("2024-03-31 00:00:00", dt.date(2024, 3, 31)),
        (45382, dt.date(2024, 3, 31)),  # Excel's day number
        ("2024-02-30", None),
        ("soon", None),
    ],
)
def test_dates(value, expected):
    assert parse_date(value) == expected
