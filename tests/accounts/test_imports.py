"""Bulk accounts from Excel: the template, every error of a file in one pass, all or nothing,
and one-time links (listed and exportable, never a password)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model

from accounts.exports import COLUMNS, TEMPLATE_SHEET
from accounts.imports import parse_accounts
from accounts.models import AccountEvent
from tasks.models import Unit

HEADER = [label for _key, label in COLUMNS]


def workbook(*rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    ws.append(HEADER)
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def unit(tree):
    return Unit.objects.create(
        code="b-gov", name_zh="乙市政府", kind=Unit.Kind.GOVERNMENT, region=tree["b"]
    )


def test_template_has_the_header_and_only_the_regions_in_scope(accounts, login):
    response = login(accounts["ua_a"]).get("/users/import/template.xlsx")
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert [c.value for c in wb[TEMPLATE_SHEET][1]] == HEADER
    codes = [row[0] for row in wb["地区 Regions"].iter_rows(min_row=2, values_only=True)]
    assert codes == ["990100", "990171"]  # A and its zone; no sibling, nothing above
    roles = {row[0]: row[1] for row in wb["角色 Roles"].iter_rows(min_row=2, values_only=True)}
    assert roles["official"] == "填报员" and roles["useradmin"] == "用户管理员"


def test_every_error_of_the_file_is_reported_in_one_pass(accounts, tree, unit):
    data = workbook(
        ["new1", "甲", "", "990100", "填报员", "", ""],  # fine
        ["off_a", "乙", "", "990100", "official", "", ""],  # username taken
        ["new2", "", "", "990100", "official", "", ""],  # no name
        ["new3", "丙", "", "123456", "official", "", ""],  # unknown region
        ["new4", "丁", "", "990100", "boss", "", ""],  # unknown role
        ["new5", "戊", "", "990200", "official", "", ""],  # outside scope (sibling)
        ["new6", "己", "", "990100", "用户管理员", "", ""],  # user admin at own level
        ["new1", "庚", "", "990100", "official", "x@", ""],  # duplicate username + bad mail
        ["new7", "辛", "", "不存在的单位", "", "", ""],  # unknown unit
    )
    parsed = parse_accounts(data=data, admin=accounts["ua_a"])
    found = sorted((e.row, e.column) for e in parsed.errors)
    assert found == [
        (3, "A"),
        (4, "B"),
        (5, "D"),
        (6, "E"),
        (7, "E"),
        (8, "E"),
        (9, "A"),
        (9, "F"),
        (10, "D"),
    ]


def test_rows_accept_codes_names_several_roles_and_units(accounts, tree, unit):
    data = workbook(
        ["new1", "甲", "Jia", 990100, "official、审核员", "a@example.org", 13900000000],
        ["new2", "乙", "", "乙市政府", "", "", ""],
    )
    parsed = parse_accounts(data=data, admin=accounts["ua_prov"])
    assert parsed.errors == []
    one, two = parsed.rows
    assert (one.region_code, one.roles, one.phone) == (
        "990100",
        ["official", "reviewer"],
        "13900000000",
    )
    assert (two.unit_code, two.region_code) == ("b-gov", "")


def test_a_file_with_errors_creates_nothing(accounts, login):
    client = login(accounts["ua_a"])
    data = workbook(
        ["new1", "甲", "", "990100", "official", "", ""], ["new2", "", "", "990100", "", "", ""]
    )
    upload = io.BytesIO(data)
    upload.name = "accounts.xlsx"
    response = client.post("/users/import/", {"file": upload})
    assert response.status_code == 400
    assert response.context["token"] == ""
    assert not get_user_model().objects.filter(username__startswith="new").exists()


def test_upload_preview_confirm_creates_all_and_lists_links_once(accounts, login, settings):
    settings.EMAIL_HOST = ""
    client = login(accounts["ua_prov"])
    upload = io.BytesIO(
        workbook(
            ["new1", "甲", "", "990100", "official", "", ""],
            ["new2", "乙", "Yi", "990200", "reviewer", "", ""],
        )
    )
    upload.name = "accounts.xlsx"
    preview = client.post("/users/import/", {"file": upload})
    assert preview.status_code == 200
    assert not get_user_model().objects.filter(username__startswith="new").exists()
    done = client.post("/users/import/confirm/", {"token": preview.context["token"]})
    assert done.status_code == 302 and done["Location"] == "/users/links/"
    made = get_user_model().objects.filter(username__startswith="new")
    assert sorted(made.values_list("username", flat=True)) == ["new1", "new2"]
    assert not any(u.has_usable_password() for u in made)
    assert AccountEvent.objects.filter(account__in=made, action="created").count() == 2
    export = client.get("/users/links.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    rows = list(wb.active.iter_rows(min_row=2, max_row=3, values_only=True))
    assert [r[0] for r in rows] == ["new1", "new2"]
    assert all("/accounts/set-password/" in r[2] for r in rows)
    # The same preview cannot be confirmed twice.
    again = client.post("/users/import/confirm/", {"token": preview.context["token"]})
    assert again["Location"] == "/users/import/"


def test_confirm_is_all_or_nothing(accounts, login, django_user_model):
    client = login(accounts["ua_prov"])
    upload = io.BytesIO(
        workbook(
            ["new1", "甲", "", "990100", "official", "", ""],
            ["new2", "乙", "", "990200", "reviewer", "", ""],
        )
    )
    upload.name = "accounts.xlsx"
    token = client.post("/users/import/", {"file": upload}).context["token"]
    django_user_model.objects.create_user(username="new2")  # taken between preview and confirm
    response = client.post("/users/import/confirm/", {"token": token})
    assert response["Location"] == "/users/import/"
    assert not django_user_model.objects.filter(username="new1").exists()


def test_a_file_that_is_not_a_workbook_is_refused(accounts):
    parsed = parse_accounts(data=b"username,name\n", admin=accounts["ua_a"])
    assert parsed.rows == [] and len(parsed.errors) == 1
