"""imports.py and services.counts_import: every bad input is reported and changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from indicators.exports.report import report_workbook
from indicators.exports.template import TEMPLATE_SHEET, import_template_workbook
from indicators.imports import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    ImportChange,
    StoredCount,
    parse_counts_workbook,
    plan_changes,
)
from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.reports import import_template_rows, report_data, stored_counts
from indicators.services.imports import ImportRejected, counts_import
from regions.models import Membership
from tests.conftest import make_count, make_user

NOW = dt.datetime(2020, 10, 5, 9, 0)
TODAY = dt.date(2020, 10, 5)
Q = Quarter(2020, 3)
CODES = ["certificates", "organizations"]


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (msgids); the Chinese catalogue is tested by test_i18n."""
    with translation.override("en"):
        yield


def _bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def template(tree, certs, orgs, regions=("a", "c"), period=Q) -> Workbook:
    rows = import_template_rows(regions=[tree[k] for k in regions], period=period)
    wb = import_template_workbook(
        rows=rows, period=period, indicators=[certs, orgs], generated_by="t", generated_at=NOW
    )
    return load_workbook(io.BytesIO(_bytes(wb)))


def parse(data: bytes, enterable=("990100", "990300", "990171")):
    return parse_counts_workbook(
        data=data,
        indicator_codes=CODES,
        known_regions={"990000", "990100", "990171", "990200", "990201", "990300", "880100"},
        enterable_regions=set(enterable),
    )


def fill(wb: Workbook, cells: dict[str, object]) -> bytes:
    ws = wb[TEMPLATE_SHEET]
    for ref, value in cells.items():
        ws[ref] = value
    return _bytes(wb)


def errors(parsed) -> list[tuple]:
    return [(e.row, e.column, e.message) for e in parsed.errors]


# --- parsing ----------------------------------------------------------------------------------


def test_filled_template_parses_into_typed_rows(tree, certs, orgs):
    parsed = parse(fill(template(tree, certs, orgs), {"D2": 100, "E2": "40", "G2": "新增企业"}))
    assert parsed.errors == []
    assert len(parsed.rows) == 1  # row 3 (C) has no values: nothing to do
    row = parsed.rows[0]
    assert (row.sheet, row.row, row.region_code, row.period) == (TEMPLATE_SHEET, 2, "990100", Q)
    assert row.values == {"certificates": 100, "organizations": 40}
    assert row.explanation == "新增企业"
    assert row.columns["certificates"] == "D"


def test_wrong_region_code_is_reported_with_row_and_column(tree, certs, orgs):
    parsed = parse(fill(template(tree, certs, orgs), {"A2": "999999", "D2": 1}))
    assert parsed.rows == []
    assert errors(parsed) == [(2, "A", "“999999” is not a known region code.")]


def test_region_the_user_may_not_change_is_reported(tree, certs, orgs):
    parsed = parse(fill(template(tree, certs, orgs), {"A2": "880100", "D2": 1}))
    assert parsed.rows == []
    assert errors(parsed) == [(2, "A", "You may not enter counts for region 880100.")]


def test_non_number_is_reported(tree, certs, orgs):
    parsed = parse(fill(template(tree, certs, orgs), {"D2": "about 12"}))
    assert parsed.rows == [] and errors(parsed)[0][:2] == (2, "D")
    assert "not a whole number" in errors(parsed)[0][2]


def test_negative_number_is_reported(tree, certs, orgs):
    parsed = parse(fill(template(tree, certs, orgs), {"E2": -5}))
    assert errors(parsed) == [(2, "E", "E2: a count cannot be negative.")]


def test_fraction_is_reported(tree, certs, orgs):
    parsed = parse(fill(template(tree, certs, orgs), {"D2": 12.5}))
    assert errors(parsed) == [(2, "D", "D2: “12.5” is not a whole number.")]


def test_duplicate_row_is_reported(tree, certs, orgs):
    parsed = parse(fill(template(tree, certs, orgs), {"D2": 1, "A3": "990100", "D3": 2}))
    assert errors(parsed) == [(3, "A", f"Region 990100, {Q} appears twice (rows 2 and 3).")]


def test_missing_column_is_reported(tree, certs, orgs):
    wb = template(tree, certs, orgs)
    wb[TEMPLATE_SHEET]["E1"] = "组织"
    parsed = parse(_bytes(wb))
    assert parsed.rows == []
    assert errors(parsed) == [
        (1, "", "The column “[organizations]” is missing from the header row.")
    ]


def test_bad_quarter_is_reported(tree, certs, orgs):
    parsed = parse(fill(template(tree, certs, orgs), {"C2": "2020Q5", "D2": 1}))
    assert errors(parsed) == [(2, "C", "“2020Q5” is not a quarter (write e.g. 2026Q3).")]


def test_columns_are_found_by_key_in_any_order(certs, orgs):
    wb = Workbook()
    wb.active.append(["[organizations]", "period", "region", "[certificates]"])
    wb.active.append([3, "2020Q3", 990100, 5])
    parsed = parse(_bytes(wb))
    assert parsed.errors == []
    assert parsed.rows[0].values == {"certificates": 5, "organizations": 3}
    assert parsed.rows[0].region_code == "990100"


def test_not_a_workbook_is_reported():
    parsed = parse(b"region,certificates\n990100,5\n")
    assert errors(parsed) == [(None, "", "This file is not an Excel workbook (.xlsx).")]


def test_a_zip_that_is_not_a_workbook_is_reported():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
    assert "not an Excel workbook" in parse(buffer.getvalue()).errors[0].message


def test_password_protected_workbook_is_reported():
    # An encrypted .xlsx is an OLE compound file (as is an old .xls).
    data = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504
    assert "password-protected" in parse(data).errors[0].message


def test_corrupt_workbook_is_reported(tree, certs, orgs):
    data = _bytes(template(tree, certs, orgs))
    parsed = parse(data[: len(data) // 2])
    assert parsed.rows == []
    assert errors(parsed) == [
        (None, "", "The workbook is damaged and cannot be read. Save it again in Excel.")
    ]


def test_oversized_upload_is_refused_before_parsing():
    parsed = parse(b"PK\x03\x04" + b"\0" * MAX_UPLOAD_BYTES)
    assert parsed.rows == [] and "too large" in parsed.errors[0].message


def test_too_many_rows_are_refused(certs, orgs):
    wb = Workbook()
    wb.active.append(["[region]", "[period]", "[certificates]", "[organizations]"])
    for _ in range(MAX_ROWS + 1):
        wb.active.append(["990100", "2020Q3", 1, 1])
    parsed = parse(_bytes(wb))
    assert parsed.rows == [] and "more than 5,000 rows" in parsed.errors[0].message


def test_other_format_version_is_refused(tree, certs, orgs):
    wb = template(tree, certs, orgs)
    from openpyxl.workbook.defined_name import DefinedName

    wb.defined_names["certtrack_format"] = DefinedName(
        "certtrack_format", attr_text='"certtrack-template/0"'
    )
    assert "certtrack-template/0" in parse(fill(wb, {"D2": 1})).errors[0].message


def test_every_error_of_a_file_is_reported_not_only_the_first(tree, certs, orgs):
    parsed = parse(
        fill(template(tree, certs, orgs), {"D2": -1, "E2": "x", "A3": "880100", "D3": 1})
    )
    assert [(r, c) for r, c, _m in errors(parsed)] == [(2, "D"), (2, "E"), (3, "A")]


# --- planning and applying ----------------------------------------------------------------------


def test_plan_changes_keeps_only_changed_values_with_versions(tree, certs, orgs):
    parsed = parse(fill(template(tree, certs, orgs), {"D2": 100, "E2": 40}))
    stored = {("990100", Q, "certificates"): StoredCount(100, 3, "approved")}
    (change,) = plan_changes(rows=parsed.rows, stored=stored)
    assert change.values == {"organizations": 40}
    assert change.old == {"organizations": None}
    assert change.expected_versions == {"organizations": None}
    assert ImportChange.from_json(change.to_json()) == change


@pytest.fixture
def official(tree, django_user_model):
    return make_user(django_user_model, "off_a", (Membership.Role.OFFICIAL, tree["a"]))


def _changes(data: bytes, enterable=("990100", "990171")):
    parsed = parse(data, enterable=enterable)
    assert parsed.errors == []
    stored = {
        k: StoredCount(c.value, c.version, c.status)
        for k, c in stored_counts(keys=[(r.region_code, r.period) for r in parsed.rows]).items()
    }
    return plan_changes(rows=parsed.rows, stored=stored)


def test_import_applies_every_change_with_audit(tree, certs, orgs, official):
    wb = template(tree, certs, orgs, regions=("a", "zone"))
    changes = _changes(fill(wb, {"D2": 100, "E2": 40, "D3": 9}))
    assert counts_import(user=official, changes=changes, today=TODAY) == 3
    stored = {(c.region.code, c.indicator.code): c for c in QuarterlyCount.objects.all()}
    assert stored[("990100", "certificates")].value == 100
    assert stored[("990171", "certificates")].value == 9
    assert stored[("990100", "certificates")].status == "draft"
    assert CountEvent.objects.filter(action=CountEvent.Action.IMPORT).count() == 3


def test_reimporting_the_same_file_changes_nothing(tree, certs, orgs, official):
    data = fill(template(tree, certs, orgs, regions=("a",)), {"D2": 100, "E2": 40})
    counts_import(user=official, changes=_changes(data), today=TODAY)
    events = CountEvent.objects.count()
    assert _changes(data) == []
    assert counts_import(user=official, changes=_changes(data), today=TODAY) == 0
    assert CountEvent.objects.count() == events


def test_import_is_all_or_nothing(tree, certs, orgs, official):
    """Zone row fine, A row breaks organizations ≤ certificates: nothing is written."""
    data = fill(template(tree, certs, orgs, regions=("zone", "a")), {"D2": 5, "D3": 10, "E3": 20})
    with pytest.raises(ImportRejected) as exc:
        counts_import(user=official, changes=_changes(data), today=TODAY)
    (problem,) = exc.value.problems
    assert problem.index == 1 and problem.field == "organizations"
    assert QuarterlyCount.objects.count() == 0 and CountEvent.objects.count() == 0


def test_dry_run_reports_problems_and_writes_nothing(tree, certs, orgs, official):
    data = fill(template(tree, certs, orgs, regions=("a",)), {"D2": 100, "E2": 40})
    assert counts_import(user=official, changes=_changes(data), dry_run=True, today=TODAY) == 2
    assert QuarterlyCount.objects.count() == 0 and CountEvent.objects.count() == 0


def test_official_cannot_import_into_another_region(tree, certs, orgs, official):
    """Even past the parser (a forged preview), the service refuses and writes nothing."""
    data = fill(template(tree, certs, orgs, regions=("c",)), {"D2": 5})
    changes = _changes(data, enterable=("990300",))
    with pytest.raises(ImportRejected) as exc:
        counts_import(user=official, changes=changes, today=TODAY)
    assert exc.value.problems[0].field == "region"
    assert QuarterlyCount.objects.count() == 0


def test_submitted_values_cannot_be_changed_by_import(tree, certs, orgs, official):
    make_count(tree["a"], certs, Q, 50, status=QuarterlyCount.Status.SUBMITTED)
    data = fill(template(tree, certs, orgs, regions=("a",)), {"D2": 60})
    with pytest.raises(ImportRejected) as exc:
        counts_import(user=official, changes=_changes(data), today=TODAY)
    assert "awaiting review" in exc.value.problems[0].message
    assert QuarterlyCount.objects.get().value == 50


def test_unchanged_submitted_values_are_left_alone(tree, certs, orgs, official):
    make_count(tree["a"], certs, Q, 50, status=QuarterlyCount.Status.SUBMITTED)
    data = fill(template(tree, certs, orgs, regions=("a",)), {})  # pre-filled 50, untouched
    assert _changes(data) == []


def test_stale_preview_is_refused(tree, certs, orgs, official):
    count = make_count(tree["a"], certs, Q, 50, status=QuarterlyCount.Status.DRAFT, user=official)
    data = fill(template(tree, certs, orgs, regions=("a",)), {"D2": 60})
    changes = _changes(data)
    QuarterlyCount.objects.filter(pk=count.pk).update(value=55, version=2)  # someone else
    with pytest.raises(ImportRejected) as exc:
        counts_import(user=official, changes=changes, today=TODAY)
    assert exc.value.stale and "off_a" in exc.value.problems[0].message
    assert QuarterlyCount.objects.get().value == 55


def test_large_change_needs_the_explanation_column_to_submit(tree, certs, orgs, official):
    make_count(tree["a"], certs, Quarter(2020, 2), 100, status=QuarterlyCount.Status.APPROVED)
    make_count(tree["a"], orgs, Quarter(2020, 2), 40, status=QuarterlyCount.Status.APPROVED)
    data = fill(template(tree, certs, orgs, regions=("a",)), {"D2": 200, "E2": 41})
    with pytest.raises(ImportRejected) as exc:
        counts_import(user=official, changes=_changes(data), submit=True, today=TODAY)
    assert exc.value.problems[0].field == "explanation"
    explained = fill(
        template(tree, certs, orgs, regions=("a",)), {"D2": 200, "E2": 41, "G2": "合并统计口径"}
    )
    counts_import(user=official, changes=_changes(explained), submit=True, today=TODAY)
    stored = QuarterlyCount.objects.get(indicator=certs, quarter=3)
    assert stored.status == "submitted" and stored.note == "合并统计口径"


def test_export_edit_import_round_trip(tree, certs, orgs, official):
    """Export the report, read a region's value from the Quarterly sheet, enter it plus 5."""
    make_count(tree["a"], certs, Quarter(2020, 2), 100, status=QuarterlyCount.Status.APPROVED)
    data = report_data(
        user=official,
        root=tree["a"],
        start=Quarter(2020, 2),
        end=Quarter(2020, 2),
        indicators=[certs, orgs],
    )
    report = load_workbook(
        io.BytesIO(_bytes(report_workbook(data=data, generated_by="o", generated_at=NOW)))
    )
    exported = {
        (r[0], r[5]): r[10]
        for r in report["季度数据 Quarterly"].iter_rows(min_row=2, values_only=True)
    }
    assert exported[("990100", "certificates")] == 100
    wb = template(tree, certs, orgs, regions=("a",))
    changes = _changes(fill(wb, {"D2": exported[("990100", "certificates")] + 5, "E2": 30}))
    counts_import(user=official, changes=changes, today=TODAY)
    assert QuarterlyCount.objects.get(quarter=3, indicator=certs).value == 105
    assert QuarterlyCount.objects.get(quarter=3, indicator=orgs).value == 30


# --- the set-wise import writes exactly what the entry form's service writes -------------------


def _change(region, period, values, versions, explanation="") -> ImportChange:
    return ImportChange(
        sheet="导入",
        row=2,
        region_code=region.code,
        period=period,
        values=values,
        old={code: None for code in values},
        expected_versions=versions,
        explanation=explanation,
        columns={},
    )


def _written():
    """Counts and audit events as (region, indicator, quarter, ...) tuples, ids left out."""
    counts = sorted(
        QuarterlyCount.objects.values_list(
            "region__code", "indicator__code", "year", "quarter", "value", "note", "status",
            "version", "entered_by__username",
        )
    )  # fmt: skip
    events = [
        tuple(e)
        for e in CountEvent.objects.order_by("count__region__code", "count__indicator__code", "id")
        .values_list(
            "count__region__code", "count__indicator__code", "action", "old_value",
            "new_value", "old_status", "new_status", "comment", "version", "user__username",
        )
    ]  # fmt: skip
    return counts, events


def test_import_writes_what_counts_save_writes(tree, certs, orgs, django_user_model):
    """A new quarter for C, a draft of A changed, a returned B changed and resubmitted with an
    explanation for a large change: the import's bulk writes equal one ``counts_save`` per
    region-quarter (the entry form's service), count for count and event for event."""
    from django.db import transaction

    from indicators.services.counts import counts_save

    official = make_user(django_user_model, "off_p", (Membership.Role.OFFICIAL, tree["province"]))
    make_count(tree["a"], certs, Q, 100, status=QuarterlyCount.Status.DRAFT, user=official)
    make_count(tree["b"], certs, Q - 1, 100)
    b = make_count(tree["b"], certs, Q, 100, status=QuarterlyCount.Status.RETURNED)
    make_count(tree["b"], orgs, Q, 40, status=QuarterlyCount.Status.RETURNED)
    changes = [
        _change(tree["a"], Q, {"certificates": 120, "organizations": 50}, {
            "certificates": 1, "organizations": None}),
        _change(tree["b"], Q, {"certificates": 180}, {"certificates": b.version}, "新增认证"),
        _change(tree["c"], Q, {"certificates": 7, "organizations": 3}, {
            "certificates": None, "organizations": None}),
    ]  # fmt: skip

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            assert counts_import(user=official, changes=changes, submit=True, today=TODAY) == 5
            bulk = _written()
            raise Undo
    except Undo:
        pass
    for change in changes:
        counts_save(
            user=official,
            region=next(r for r in tree.values() if r.code == change.region_code),
            period=change.period,
            values=change.values,
            expected_versions=change.expected_versions,
            explanation=change.explanation,
            submit=True,
            action=CountEvent.Action.IMPORT,
            today=TODAY,
        )
    one_by_one = _written()
    assert bulk == one_by_one
    statuses = {(c[0], c[1]): (c[4], c[6], c[7]) for c in bulk[0]}
    # One version per save (issue 22.9): changed and submitted by one import, 1 → 2; a new
    # count submitted by the import that creates it stays at 1.
    assert statuses[("990100", "certificates")] == (120, "submitted", 2)  # changed, submitted
    assert statuses[("990200", "certificates")] == (180, "submitted", 2)
    assert statuses[("990200", "organizations")] == (40, "returned", 1)  # not in the file
    assert statuses[("990300", "organizations")] == (3, "submitted", 1)  # new, submitted


def test_large_change_is_checked_against_the_files_own_previous_quarter(
    tree, certs, orgs, official
):
    """Stored Q-1 is 100; the file sets Q-1 to 150. Q at 100 is −33 % against the file's 150
    (refused without an explanation, though equal to the stored 100); Q at 150 is +0 % (fine,
    though +50 % against the stored 100)."""
    make_count(tree["a"], certs, Q - 1, 100, status=QuarterlyCount.Status.DRAFT, user=official)

    def changes(q_value):
        return [
            _change(tree["a"], Q - 1, {"certificates": 150}, {"certificates": 1}),
            _change(tree["a"], Q, {"certificates": q_value}, {"certificates": None}),
        ]

    with pytest.raises(ImportRejected) as exc:
        counts_import(user=official, changes=changes(100), submit=True, today=TODAY)
    assert [(p.index, p.field) for p in exc.value.problems] == [(1, "explanation")]
    assert counts_import(user=official, changes=changes(150), submit=True, today=TODAY) == 2
    assert sorted(QuarterlyCount.objects.values_list("quarter", "value", "status")) == [
        (2, 150, "submitted"),
        (3, 150, "submitted"),
    ]


def test_import_queries_do_not_grow_with_the_number_of_regions(
    tree, certs, orgs, django_user_model
):
    """Checking and writing a file of 3 region-quarters and one of 24 takes as many queries.
    (Past that, only the bulk INSERTs grow, by one statement per batch: 99 audit events on
    SQLite, whose statements take at most 999 parameters; PostgreSQL copies them in one.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from regions.selectors import access_for
    from tests.conftest import make_region

    official = make_user(django_user_model, "off_p", (Membership.Role.OFFICIAL, tree["province"]))
    regions = [make_region(f"99{i:04d}", f"县{i}", parent=tree["c"]) for i in range(1, 31)]

    def queries(n: int, period: Quarter) -> int:
        changes = [
            _change(r, period, {"certificates": 10 + i, "organizations": 5}, {
                "certificates": None, "organizations": None})
            for i, r in enumerate(regions[:n])
        ]  # fmt: skip
        with CaptureQueriesContext(connection) as ctx:
            assert counts_import(user=official, changes=changes, submit=True, today=TODAY) == 2 * n
        return len(ctx.captured_queries)

    access_for(official)  # the user's memberships are read once per request, as in a view
    small, large = queries(3, Q - 1), queries(24, Q)
    assert QuarterlyCount.objects.filter(year=Q.year, quarter=Q.quarter).count() == 48
    assert large == small


def test_a_count_created_while_the_import_runs_is_a_stale_preview(
    monkeypatch, tree, certs, orgs, official
):
    """Row locks cannot guard a count that does not exist yet: one created by someone else
    between the check and the write makes the bulk insert hit the unique constraint, which is
    reported as a stale preview, and the whole file is rolled back."""
    from indicators.services import imports as services

    data = fill(template(tree, certs, orgs, regions=("a", "zone")), {"D2": 100, "D3": 9})
    changes = _changes(data)
    real = services._check_change
    raced = []

    def check_then_race(**kwargs):
        real(**kwargs)
        if not raced:  # someone else enters A's certificates now
            raced.append(make_count(tree["a"], certs, Q, 77, status="draft"))

    monkeypatch.setattr(services, "_check_change", check_then_race)
    with pytest.raises(ImportRejected) as exc:
        counts_import(user=official, changes=changes, today=TODAY)
    assert exc.value.stale
    assert [p.index for p in exc.value.problems] == [0] and "77" in exc.value.problems[0].message
    assert QuarterlyCount.objects.count() == 0 and CountEvent.objects.count() == 0
