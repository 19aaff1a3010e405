"""Applying register files: re-imports change nothing, later files add certificates and status
history, a full extract flags what it no longer lists and deletes nothing."""

from __future__ import annotations

import datetime as dt

from register.models import Certificate, CertificateStatus, Organization, RegisterImport
from tests.register.conftest import credit_code, csv_bytes, load

A = credit_code("620100", 1)
B = credit_code("620500", 2)
ROWS = [
    ["QMS-1", "机构甲", "ISO 9001", "组织A", A, "2022-01-10", "2025-01-09", "有效", ""],
    ["EMS-1", "机构甲", "ISO 14001", "组织A", A, "2022-01-10", "2025-01-09", "有效", ""],
    ["CCC-1", "机构乙", "CCC", "组织B", B, "2021-05-01", "2026-04-30", "暂停", "2023-08-01"],
]


def _state():
    return sorted(
        Certificate.objects.values_list(
            "number", "status", "issued_on", "expires_on", "holder__credit_code", "absent_since"
        )
    ), sorted(
        CertificateStatus.objects.values_list(
            "certificate__number", "status", "valid_from", "valid_to"
        )
    )


def test_a_first_file_adds_certificates_holders_and_history(types, rtree, django_user_model):
    user = django_user_model.objects.create_user("reviewer")
    _parsed, summary = load(csv_bytes(ROWS), user=user)
    assert (summary.added, summary.changed, summary.unchanged, summary.refused) == (3, 0, 0, 0)
    assert Organization.objects.count() == 2
    history = list(
        CertificateStatus.objects.filter(certificate__number="CCC-1").values_list(
            "status", "valid_from", "valid_to"
        )
    )
    # valid from its issue date until the suspension, then suspended from 2023-08-01
    assert history == [
        ("valid", dt.date(2021, 5, 1), dt.date(2023, 8, 1)),
        ("suspended", dt.date(2023, 8, 1), None),
    ]
    record = RegisterImport.objects.get()
    assert (record.user, record.rows_added, record.region.code) == (user, 3, "620000")
    assert len(record.file_hash) == 64


def test_importing_the_same_file_again_changes_nothing(types, rtree):
    data = csv_bytes(ROWS)
    load(data)
    before = _state()
    _parsed, summary = load(data)
    assert (summary.added, summary.changed, summary.unchanged) == (0, 0, 3)
    assert _state() == before
    second = RegisterImport.objects.order_by("pk").last()
    assert (second.rows_added, second.rows_changed, second.rows_unchanged) == (0, 0, 3)


def test_a_later_file_adds_and_records_a_status_change_as_new_history(types, rtree):
    load(csv_bytes(ROWS))
    later = [
        [*ROWS[0][:7], "撤销", "2024-02-01"],  # withdrawn
        ROWS[1],  # unchanged
        [*ROWS[2][:7], "有效", "2023-10-15"],  # valid again after the suspension
        ["OG-1", "机构乙", "有机产品", "组织B", B, "2024-01-05", "2027-01-04", "有效", ""],
    ]
    _parsed, summary = load(csv_bytes(later))
    assert (summary.added, summary.changed, summary.unchanged) == (1, 2, 1)
    assert summary.status_changes == 2
    history = list(
        CertificateStatus.objects.filter(certificate__number="QMS-1").values_list(
            "status", "valid_from", "valid_to"
        )
    )
    assert history == [
        ("valid", dt.date(2022, 1, 10), dt.date(2024, 2, 1)),
        ("withdrawn", dt.date(2024, 2, 1), None),
    ]
    assert CertificateStatus.objects.filter(certificate__number="CCC-1").count() == 3
    assert Certificate.objects.get(number="CCC-1").status == "valid"


def test_a_status_dated_before_the_recorded_one_is_refused(types, rtree):
    load(csv_bytes(ROWS))
    before = _state()
    _parsed, summary = load(csv_bytes([[*ROWS[2][:7], "有效", "2023-07-01"]]))
    assert summary.refused == 1 and summary.changed == 0
    assert "2023-08-01" in summary.problems[0].message
    assert _state() == before


def test_a_full_extract_flags_what_it_no_longer_lists_and_deletes_nothing(types, rtree):
    load(csv_bytes(ROWS))
    _parsed, summary = load(csv_bytes(ROWS[:2]), full_extract_of=rtree["tianshui"])
    # CCC-1 (Tianshui) is no longer listed: flagged; Lanzhou's are outside the extract
    assert summary.flagged == 1
    assert Certificate.objects.count() == 3
    assert list(
        Certificate.objects.filter(absent_since__isnull=False).values_list("number", flat=True)
    ) == ["CCC-1"]
    # listed again later: the flag is lifted
    load(csv_bytes(ROWS))
    assert not Certificate.objects.filter(absent_since__isnull=False).exists()


def test_a_preview_writes_nothing(types, rtree):
    _parsed, summary = load(csv_bytes(ROWS), dry_run=True)
    assert summary.added == 3
    assert not Certificate.objects.exists() and not RegisterImport.objects.exists()


def test_a_certificate_twice_in_the_rows_is_refused_once_and_applied_once(types, rtree):
    from register.imports import RegisterRow  # rows built by hand: the parser would refuse it
    from register.services import register_import

    row = RegisterRow(
        row=2, number="QMS-1", body="机构甲", type_code="qms", credit_code=A, holder="组织A",
        region_code="620100", issued_on=dt.date(2022, 1, 10), expires_on=dt.date(2025, 1, 9),
        status="valid", status_date=None, columns={},
    )  # fmt: skip
    summary = register_import(user=None, rows=[row, row], file_name="x", file_hash="x")
    assert (summary.added, summary.refused) == (1, 1)
    assert Certificate.objects.count() == 1 and CertificateStatus.objects.count() == 1


def test_a_certificate_moves_to_a_holder_new_in_the_file_or_to_a_stored_one(types, rtree):
    load(csv_bytes(ROWS))
    c = credit_code("620100", 3)
    moved = [
        ["QMS-1", "机构甲", "ISO 9001", "组织C", c, "2022-01-10", "2025-01-09", "有效", ""],  # new
        [
            "EMS-1",
            "机构甲",
            "ISO 14001",
            "组织B",
            B,
            "2022-01-10",
            "2025-01-09",
            "有效",
            "",
        ],  # stored
        ROWS[2],
    ]
    _parsed, summary = load(csv_bytes(moved))
    assert (summary.added, summary.changed, summary.unchanged) == (0, 2, 1)
    holders = dict(Certificate.objects.values_list("number", "holder__credit_code"))
    assert holders == {"QMS-1": c, "EMS-1": B, "CCC-1": B}
    assert Organization.objects.get(credit_code=c).name == "组织C"
    assert Organization.objects.count() == 3  # 组织A keeps its record, holding nothing now
