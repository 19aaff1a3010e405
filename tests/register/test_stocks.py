"""The kept quarter-end stock cells (register.stocks) equal the read-time count of the stock
rule (register.selectors.register_stocks_counted) on random registers, after later files that
change statuses and move holders, and after a rebuild."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from indicators.periods import Quarter, quarter_range
from register.models import RegisterStock
from register.selectors import register_stocks, register_stocks_counted
from register.services import register_demo_delete
from register.stocks import register_stocks_rebuild
from tests.register.conftest import HEADER, credit_code, csv_bytes, load

REGION_HEADER = [*HEADER, "地区代码"]
TYPES = ["ISO 9001", "ISO 14001", "CCC", "有机产品认证", "服务认证"]
STATUSES = ["有效", "暂停", "撤销", "注销", "过期"]
DAYS = [q.end_date for q in quarter_range(Quarter(2018, 4), Quarter(2030, 1))]


def _random_rows(rng: random.Random, *, first: int, count: int, holders: list) -> list[list]:
    rows = []
    for n in range(first, first + count):
        code, region = rng.choice(holders)
        issued = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(6 * 365))
        expires = issued + dt.timedelta(days=rng.choice([89, 90, 364, 3 * 365 - 1]))
        status, since = "有效", ""
        if rng.random() < 0.4:
            status = rng.choice(STATUSES[1:])
            since = (issued + dt.timedelta(days=rng.randrange(0, 400))).isoformat()
        rows.append(
            [f"C{n:05d}", f"机构{n % 3}", rng.choice(TYPES), f"组织{code[-6:]}", code,
             issued.isoformat(), expires.isoformat(), status, since, region]
        )  # fmt: skip
    return rows


def _rows() -> list[tuple]:
    """Every kept cell as its stored columns, sorted (ids left out)."""
    fields = [
        "region_id",
        "year",
        "quarter",
        "certificates",
        "organizations",
        "by_type",
        "by_group",
    ]
    return sorted(RegisterStock.objects.values_list(*fields))


def _assert_cells_equal_the_count(rtree) -> None:
    for region in rtree.values():
        kept = register_stocks(region=region, days=DAYS)
        counted = register_stocks_counted(region=region, days=DAYS)
        assert kept == counted, region.code


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_stocks_equal_the_counted_ones_on_random_registers(types, rtree, seed):
    rng = random.Random(seed)
    regions = ["620100", "620102", "620500", "450500"]
    holders = [(credit_code(rng.choice(regions), i), rng.choice(regions)) for i in range(12)]
    first = _random_rows(rng, first=0, count=80, holders=holders)
    load(csv_bytes(first, header=REGION_HEADER))
    assert RegisterStock.objects.exists()
    _assert_cells_equal_the_count(rtree)

    # A later file: statuses change from later dates, some certificates are new, and two
    # holders move to another region (their certificates' stocks move with them).
    moved = {holders[0][0]: "620500", holders[1][0]: "620102"}
    later = []
    for row in rng.sample(first, 40):
        status = rng.choice(STATUSES)
        since = dt.date(2025, 6, 30) + dt.timedelta(days=rng.randrange(0, 500))
        later.append([*row[:7], status, since.isoformat(), moved.get(row[4], row[9])])
    later += _random_rows(rng, first=1000, count=20, holders=holders)
    later = [[*row[:9], moved.get(row[4], row[9])] for row in later]
    _parsed, summary = load(csv_bytes(later, header=REGION_HEADER))
    assert summary.status_changes > 0 and summary.added == 20
    _assert_cells_equal_the_count(rtree)

    cells = _rows()
    register_stocks_rebuild()
    assert cells == _rows()


def test_a_re_import_writes_no_cell_and_deleting_the_register_empties_them(types, rtree):
    rng = random.Random(7)
    holders = [(credit_code("620100", i), "620100") for i in range(4)]
    data = csv_bytes(_random_rows(rng, first=0, count=20, holders=holders), header=REGION_HEADER)
    load(data)
    cells = sorted(RegisterStock.objects.values_list("pk", "certificates", "by_type"))
    load(data)  # the same file again: nothing changes, not even a cell rewritten
    assert cells == sorted(RegisterStock.objects.values_list("pk", "certificates", "by_type"))
    from register.models import Certificate

    Certificate.objects.update(is_demo=True)
    register_demo_delete()
    assert not RegisterStock.objects.exists()


def test_a_deferred_bulk_load_leaves_the_same_cells_as_file_by_file(types, rtree):
    from django.db import transaction

    from register.stocks import register_stocks_deferred

    rng = random.Random(11)
    holders = [(credit_code(r, i), r) for i, r in enumerate(["620100", "620500", "450500"] * 3)]
    files = [
        csv_bytes(_random_rows(rng, first=n * 30, count=30, holders=holders), header=REGION_HEADER)
        for n in range(3)
    ]
    for data in files:
        load(data)
    file_by_file = _rows()
    assert file_by_file
    RegisterStock.objects.all().delete()
    from register.models import Certificate, CertificateStatus

    CertificateStatus.objects.all().delete()
    Certificate.objects.all().delete()
    with transaction.atomic(), register_stocks_deferred():
        for data in files:
            load(data)
        assert not RegisterStock.objects.exists()  # nothing kept until the end of the block
    assert _rows() == file_by_file


def test_moving_a_region_in_the_admin_moves_its_kept_stocks(types, rtree, rf):
    from django.contrib.admin.sites import site

    from regions.models import Region

    holders = [(credit_code("620500", 1), "620500")]
    load(csv_bytes(_random_rows(random.Random(3), first=0, count=10, holders=holders),
                   header=REGION_HEADER))  # fmt: skip
    tianshui = Region.objects.get(code="620500")
    before = register_stocks(region=rtree["gansu"], days=DAYS).total_certificates
    assert before and not register_stocks(region=rtree["guangxi"], days=DAYS).total_certificates
    tianshui.parent = rtree["guangxi"]  # Tianshui placed under Guangxi (a wrong move, say)
    form = type("Form", (), {"changed_data": ["parent"]})()
    site._registry[Region].save_model(rf.post("/"), tianshui, form, change=True)
    assert register_stocks(region=rtree["guangxi"], days=DAYS).total_certificates == before
    assert not register_stocks(region=rtree["gansu"], days=DAYS).total_certificates
    _assert_cells_equal_the_count({k: Region.objects.get(pk=r.pk) for k, r in rtree.items()})


def test_changing_a_types_code_or_group_in_the_admin_keeps_the_stocks_by_type(types, rtree, rf):
    from django.contrib.admin.sites import site

    from register.models import CertificationType

    rng = random.Random(6)
    holders = [(credit_code("620100", i), "620100") for i in range(4)]
    load(csv_bytes(_random_rows(rng, first=0, count=40, holders=holders),
                   header=REGION_HEADER))  # fmt: skip
    ccc = CertificationType.objects.get(code="ccc")
    ccc.code = "ccc_renamed"
    ccc.group = "service"  # a wrong group, say, corrected later
    form = type("Form", (), {"changed_data": ["code", "group"]})()
    site._registry[CertificationType].save_model(rf.post("/"), ccc, form, change=True)
    from register.models import Certificate

    assert Certificate.objects.filter(type=ccc).exists()
    kept = register_stocks(region=rtree["gansu"], days=DAYS)
    assert any(code == "ccc_renamed" and n for (_day, code), n in kept.certificates.items())
    assert not any(code == "ccc" and n for (_day, code), n in kept.certificates.items())
    _assert_cells_equal_the_count(rtree)  # by type and group, under the new code and group


def _cells() -> dict:
    fields = ["pk", "certificates", "organizations", "by_type", "by_group"]
    return {
        (r, y, q): tuple(v)
        for r, y, q, *v in RegisterStock.objects.values_list(
            "region_id", "year", "quarter", *fields
        )
    }


@pytest.mark.parametrize("seed", [4, 5])
def test_a_later_file_rewrites_only_the_quarters_from_its_earliest_change(types, rtree, seed):
    rng = random.Random(seed)
    regions = ["620100", "620102", "620500", "450500"]
    holders = [(credit_code(rng.choice(regions), i), rng.choice(regions)) for i in range(10)]
    first = _random_rows(rng, first=0, count=80, holders=holders)
    load(csv_bytes(first, header=REGION_HEADER))

    # Recent statuses only: valid certificates issued before 2024-05-10 withdrawn that day.
    # Every cell before 2024Q2 is left as it was (not even rewritten); some after it change.
    before = _cells()
    recent = [r for r in first if r[7] == "有效" and r[5] < "2024-05-10" and r[6] > "2024-06-30"]
    assert len(recent) >= 3
    later = [[*row[:7], "撤销", "2024-05-10", row[9]] for row in recent[:5]]
    _parsed, summary = load(csv_bytes(later, header=REGION_HEADER))
    assert summary.status_changes == len(later)
    _assert_cells_equal_the_count(rtree)
    after = _cells()
    early = {k: v for k, v in before.items() if (k[1], k[2]) < (2024, 2)}
    assert early and early == {k: v for k, v in after.items() if (k[1], k[2]) < (2024, 2)}
    assert {k: v for k, v in before.items() if (k[1], k[2]) == (2024, 2)} != {
        k: v for k, v in after.items() if (k[1], k[2]) == (2024, 2)
    }

    # A backdated status: certificates valid since their issue in 2019 are reported suspended
    # from 2020-02-01 (long before the last stocked quarter): every quarter from 2020Q1 on.
    old = [r for r in first if r[7] == "有效" and r[5] < "2020-02-01" and r not in recent[:5]]
    assert old
    backdated = [[*row[:7], "暂停", "2020-02-01", row[9]] for row in old[:4]]
    _parsed, summary = load(csv_bytes(backdated, header=REGION_HEADER))
    assert summary.status_changes == len(backdated)
    _assert_cells_equal_the_count(rtree)
    again = _cells()
    assert {k: v for k, v in after.items() if (k[1], k[2]) < (2020, 1)} == {
        k: v for k, v in again.items() if (k[1], k[2]) < (2020, 1)
    }
