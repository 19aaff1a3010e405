"""Register stocks at a day, with the worked examples of docs/register.md computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from indicators.periods import Quarter
from register.selectors import (
    register_comparison,
    register_stocks,
    register_stocks_by_region,
    register_stocks_counted,
)
from tests.conftest import make_count, make_indicator
from tests.register.conftest import credit_code, csv_bytes, load

X = credit_code("620100", 1)  # Lanzhou: holds a quality and an environmental certificate
Y = credit_code("620102", 2)  # 城关区, a county in the tree
Z = credit_code("620500", 3)  # Tianshui
W = credit_code("620500", 4)

FIRST = [
    ["QMS-X1", "机构甲", "ISO 9001", "组织X", X, "2021-06-01", "2027-05-31", "有效", ""],
    ["EMS-X2", "机构甲", "环境管理体系认证", "组织X", X, "2022-02-01", "2028-01-31", "有效", ""],
    ["QMS-Y1", "机构乙", "质量管理体系认证", "组织Y", Y, "2022-01-10", "2025-01-09", "有效", ""],
    # expires the day before the quarter end 2024-03-31
    ["CCC-Z1", "机构丙", "CCC", "组织Z", Z, "2021-04-01", "2024-03-30", "有效", ""],
    # issued on the quarter end itself
    ["ORG-W1", "机构丙", "有机产品认证", "组织W", W, "2024-03-31", "2025-03-30", "有效", ""],
]
SUSPENDED = [[*FIRST[2][:7], "暂停", "2024-03-15"]]
RESTORED = [[*FIRST[2][:7], "有效", "2024-04-20"]]

Q4_2023, Q1_2024, Q2_2024 = dt.date(2023, 12, 31), dt.date(2024, 3, 31), dt.date(2024, 6, 30)


@pytest.fixture
def register(types, rtree):
    load(csv_bytes(FIRST))
    load(csv_bytes(SUSPENDED))  # a later file: Y1 suspended from 2024-03-15
    load(csv_bytes(RESTORED))  # and another: valid again from 2024-04-20
    return rtree


# Every hand-computed example holds for the kept cells and for the read-time count alike.
both = pytest.mark.parametrize("stocks_at", [register_stocks, register_stocks_counted])


@both
def test_worked_examples_at_a_quarter_end(register, stocks_at):
    stocks = stocks_at(region=register["gansu"], days=[Q1_2024])
    # Valid on 2024-03-31: X1, X2 (two types, one holder) and W1 (issued that day) = 3;
    # Y1 is suspended across the quarter end, Z1 expired on 2024-03-30, the day before.
    assert stocks.total_certificates[Q1_2024] == 3
    # Holders of a valid certificate: X and W = 2 (X counted once for its two certificates).
    assert stocks.total_organizations[Q1_2024] == 2
    assert stocks.certificates[(Q1_2024, "qms")] == 1
    assert stocks.certificates[(Q1_2024, "ems")] == 1
    assert stocks.certificates[(Q1_2024, "organic")] == 1
    assert (Q1_2024, "ccc") not in stocks.certificates
    # Certificates by type add up to the total: 1 + 1 + 1 = 3.
    assert sum(v for (d, _t), v in stocks.certificates.items() if d == Q1_2024) == 3
    # Organizations by type: qms 1 + ems 1 + organic 1 = 3 > 2 organizations: never summed.
    assert stocks.organizations[(Q1_2024, "qms")] == 1
    assert stocks.organizations[(Q1_2024, "ems")] == 1
    # By group: X holds two management-system certificates, so 1 organization there.
    assert stocks.organizations_by_group[(Q1_2024, "management")] == 1
    assert stocks.organizations_by_group[(Q1_2024, "product")] == 1


@both
def test_stocks_before_and_after_the_suspension(register, stocks_at):
    stocks = stocks_at(region=register["gansu"], days=[Q4_2023, Q2_2024])
    # 2023-12-31: X1, X2, Y1, Z1 (W1 not yet issued) = 4 certificates of X, Y, Z = 3 holders.
    assert stocks.total_certificates[Q4_2023] == 4
    assert stocks.total_organizations[Q4_2023] == 3
    # 2024-06-30: X1, X2, Y1 (valid again since 2024-04-20), W1 = 4; holders X, Y, W = 3.
    assert stocks.total_certificates[Q2_2024] == 4
    assert stocks.total_organizations[Q2_2024] == 3


@both
def test_stocks_of_a_region_count_its_subtree_only(register, stocks_at):
    lanzhou = stocks_at(region=register["lanzhou"], days=[Q4_2023, Q1_2024])
    tianshui = stocks_at(region=register["tianshui"], days=[Q1_2024])
    # Lanzhou (with 城关区): 2023-12-31 X1, X2, Y1 = 3; 2024-03-31 X1, X2 = 2 of 1 holder.
    assert lanzhou.total_certificates == {Q4_2023: 3, Q1_2024: 2}
    assert lanzhou.total_organizations[Q1_2024] == 1
    # Tianshui on 2024-03-31: W1 only; 2 + 1 = 3, Gansu's total: summed over regions.
    assert tianshui.total_certificates[Q1_2024] == 1
    beihai = stocks_at(region=register["beihai"], days=[Q1_2024])
    assert beihai.total_certificates == {} and beihai.total_organizations == {}


def test_stocks_take_one_query_whatever_the_days(register, django_assert_num_queries):
    days = [Quarter(2020, 1) + i for i in range(20)]
    with django_assert_num_queries(1):
        register_stocks(region=register["gansu"], days=[q.end_date for q in days])
    with django_assert_num_queries(3):
        register_stocks_counted(region=register["gansu"], days=[q.end_date for q in days])


def test_kept_stocks_are_for_quarter_ends_only(register):
    with pytest.raises(ValueError):
        register_stocks(region=register["gansu"], days=[dt.date(2024, 3, 30)])


def test_comparison_puts_the_reported_count_beside_the_register(register):
    certificates = make_indicator("certificates", 1)
    make_indicator("organizations", 2)
    make_count(register["gansu"], certificates, "2024Q1", 5)
    comparison = register_comparison(
        region=register["gansu"], start=Quarter(2023, 4), end=Quarter(2024, 1)
    )
    total = {(r.period, r.indicator): r for r in comparison.rows if r.is_total}
    row = total[(Quarter(2024, 1), "certificates")]
    # reported 5 - register 3 = 2
    assert (row.register_value, row.reported_value, row.difference) == (3, 5, 2)
    assert total[(Quarter(2024, 1), "organizations")].reported_value is None
    types = [
        r for r in comparison.rows
        if r.period == Quarter(2024, 1) and r.indicator == "certificates" and r.type_code
    ]  # fmt: skip
    assert sum(r.register_value for r in types) == row.register_value


def test_every_regions_stocks_roll_up_over_the_tree(register, django_assert_num_queries):
    days = [Q4_2023, Q1_2024]
    with django_assert_num_queries(1):  # the kept cells
        certs, orgs = register_stocks_by_region(days=days)
    for name in ("gansu", "lanzhou", "chengguan", "tianshui"):
        region = register[name]
        stocks = register_stocks(region=region, days=days)
        for day in days:
            assert certs.get((region.code, day, ""), 0) == stocks.total_certificates.get(day, 0)
            assert orgs.get((region.code, day, ""), 0) == stocks.total_organizations.get(day, 0)
    # Gansu on 2024-03-31: Lanzhou 2 + Tianshui 1 = 3 certificates; holders X + W = 2
    assert certs[("620000", Q1_2024, "")] == 3 and orgs[("620000", Q1_2024, "")] == 2
    assert orgs[("620000", Q1_2024, "qms")] == 1 and orgs[("620000", Q1_2024, "ems")] == 1
