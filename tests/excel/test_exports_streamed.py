"""The streamed report (national scale) writes exactly what the in-memory report writes."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from indicators.exports.report import SHEET_QUARTERLY, SHEET_WIDE, report_workbook
from indicators.periods import Quarter
from indicators.selectors.reports import report_data
from indicators.selectors.values import Inclusion
from regions.models import Membership
from tests.conftest import make_count, make_user

NOW = dt.datetime(2026, 10, 5, 9, 30)


def _sheets(data) -> dict[str, list[tuple]]:
    buf = io.BytesIO()
    report_workbook(data=data, generated_by="ana", generated_at=NOW).save(buf)
    wb = load_workbook(io.BytesIO(buf.getvalue()), read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


def _report(user, tree, certs, orgs, **extra):
    return report_data(
        user=user,
        root=tree["province"],
        start=Quarter(2020, 2),
        end=Quarter(2020, 4),
        indicators=[certs, orgs],
        include=Inclusion.SUBMITTED,
        **extra,
    )


def test_streamed_sheets_equal_the_in_memory_ones(tree, certs, orgs, django_user_model):
    t = tree
    for region, ind, period, value in [
        (t["a"], certs, "2020Q3", 100),
        (t["b1"], certs, "2020Q3", 50),
        (t["c"], certs, "2020Q3", 30),
        (t["a"], certs, "2020Q4", 120),
        (t["b"], certs, "2020Q4", 75),  # direct beside its county: a discrepancy of 15
        (t["b1"], certs, "2020Q4", 60),
        (t["zone"], orgs, "2020Q4", 7),
    ]:
        make_count(region, ind, period, value)
    user = make_user(django_user_model, "ana", (Membership.Role.ANALYST, t["province"]))
    memory = _sheets(_report(user, t, certs, orgs, stream=False))
    streamed_data = _report(user, t, certs, orgs, stream=True)
    assert streamed_data.stream is not None
    streamed = _sheets(streamed_data)
    assert streamed == memory
    quarterly = streamed[SHEET_QUARTERLY]
    # 6 regions × 2 indicators × 3 quarters, and the header.
    assert len(quarterly) == 1 + 6 * 2 * 3
    by_key = {(r[0], r[5], r[9]): r for r in quarterly[1:]}
    # Hand-computed: B's direct 75 beside its county's 60; the province 120 + 75 + C missing.
    assert by_key[("990200", "certificates", "2020Q4")][10] == 75
    assert by_key[("990200", "certificates", "2020Q4")][16] == 15
    assert by_key[("990000", "certificates", "2020Q4")][10] == 195
    assert by_key[("990000", "certificates", "2020Q3")][10] == 180
    assert len(streamed[SHEET_WIDE]) == 1 + 2 * 6


def test_a_data_dump_has_the_quarterly_sheet_only(tree, certs, orgs, django_user_model):
    make_count(tree["a"], certs, "2020Q4", 5)
    user = make_user(django_user_model, "ana", (Membership.Role.ANALYST, tree["province"]))
    sheets = _sheets(_report(user, tree, certs, orgs, stream=True, quarterly_only=True))
    assert list(sheets) == [SHEET_QUARTERLY]
    assert len(sheets[SHEET_QUARTERLY]) == 1 + 6 * 2 * 3


def test_the_streamed_read_is_one_query_per_pass(
    tree, certs, orgs, django_user_model, django_assert_max_num_queries
):
    make_count(tree["a"], certs, "2020Q4", 5)
    user = make_user(django_user_model, "ana", (Membership.Role.ANALYST, tree["province"]))
    data = _report(user, tree, certs, orgs, stream=True)
    with django_assert_max_num_queries(1):
        rows = list(data.series_rows())
    assert len(rows) == 6 * 2
    with django_assert_max_num_queries(2):  # one pass per indicator
        assert len(list(data.series_rows(by_indicator=True))) == 12
