"""Scenarios of issue 11: a division's count reopened at a plan's baseline quarter and at a
target's due quarter, through the services, read back from the page, the JSON and the Excel
workbook, in the "submitted" and the "approved" views. Every number computed by hand below.

The tree of conftest: province 990000 with divisions A 990100, B 990200, C 990300 (A新区 a
zone in A, never added). A plan issued 2018-08-01: baseline quarter 2018Q3. Approved counts
from 2018Q3 (i = 0) on, rising every quarter:

    A = 400 + 10 i,  B = 300 + 5 i,  C = 200 + 5 i,  province = 900 + 20 i

    i:  0 2018Q3 900 | 5 2019Q4 1000 | 8 2020Q3 1060 | 9 2020Q4 1080 (C 245, A + B = 835)
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from indicators.periods import Quarter
from indicators.services.counts import counts_submit
from indicators.services.review import counts_reopen
from regions.models import Membership
from tests.conftest import PASSWORD, make_count, make_plan, make_target, make_user

Q = Quarter.parse
Role = Membership.Role


@pytest.fixture
def scenario(tree, certs, django_user_model):
    plan = make_plan(
        tree["province"], issued_on=dt.date(2018, 8, 1), document_number="试〔2018〕1号"
    )
    for i in range(0, 12):  # 2018Q3 .. 2021Q2
        q = Q("2018Q3") + i
        make_count(tree["a"], certs, q, 400 + 10 * i)
        make_count(tree["b"], certs, q, 300 + 5 * i)
        make_count(tree["c"], certs, q, 200 + 5 * i)
    people = dict(
        reviewer=make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"])),
        official=make_user(django_user_model, "off_c", (Role.OFFICIAL, tree["c"])),
        leader=make_user(django_user_model, "lead", (Role.LEADER, tree["province"])),
        analyst=make_user(django_user_model, "ana", (Role.ANALYST, tree["province"])),
    )
    return dict(plan=plan, certs=certs, **tree, **people)


def reopen_c(s, period: str, *, resubmit: bool = False) -> None:
    """The reviewer reopens C's approved count (it goes back to the official as returned);
    with ``resubmit`` the official submits it again: awaiting review."""
    counts_reopen(user=s["reviewer"], region=s["c"], period=Q(period), reason="复核 recheck")
    if resubmit:
        counts_submit(user=s["official"], region=s["c"], period=Q(period))


def fetch(client, s, who, path, **params):
    client.logout()
    assert client.login(username=s[who].username, password=PASSWORD)
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:500]
    return response


def target_json(client, s, *, as_of, values, due):
    body = fetch(
        client, s, "leader", "/regions/990000/targets.json", as_of=as_of, values=values
    ).json()
    (row,) = [r for r in body["rows"] if r["due"] == due]
    return row


def summary_rows(client, s, *, end, values):
    response = fetch(
        client, s, "analyst", "/reports/export.xlsx",
        region="990000", start="2018Q3", end=end, values=values,
    )  # fmt: skip
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    head = [c.value for c in wb["汇总 Summary"][1]]
    rows = [
        dict(zip(head, r, strict=True))
        for r in wb["汇总 Summary"].iter_rows(min_row=2, values_only=True)
    ]
    return rows, wb


# --- a due quarter with a partial figure is pending ------------------------------------------


@pytest.fixture
def due_target(scenario):
    # ≥ 1,050 by 2020Q4; the full 2020Q4 figure 1,080 meets it.
    make_target(scenario["plan"], scenario["province"], scenario["certs"], "2020Q4", 1050)
    return scenario


@pytest.mark.parametrize("values", ["submitted", "approved"])
def test_full_due_quarter_is_achieved(client, due_target, values):
    row = target_json(client, due_target, as_of="2021Q1", values=values, due="2020Q4")
    assert (row["status"], row["value"], row["measured_at"], row["at_due"]) == (
        "achieved", 1080, "2020Q4", True,
    )  # fmt: skip
    assert row["percent"] == 102.86  # 1080 / 1050 = 1.028571… → 102.86 %
    assert row["missing_divisions"] is None and row["plan_status"] == "in_force"


@pytest.mark.parametrize("values", ["submitted", "approved"])
def test_due_quarter_reopened_is_pending_not_missed(client, due_target, values):
    s = due_target
    reopen_c(s, "2020Q4")  # C's 245 is returned: both views lack it
    # 2020Q4 is A + B = 490 + 345 = 835 < 1,050: a partial sum, never "missed".
    row = target_json(client, s, as_of="2021Q1", values=values, due="2020Q4")
    assert row["status"] == "pending"
    assert row["missing_divisions"] == "990300" and row["missing_division_names"] == "C"
    assert row["awaiting_review"] == 0
    # Context: the latest complete value up to the due quarter, 2020Q3's 1,060 (i = 8).
    assert (row["value"], row["measured_at"], row["at_due"]) == (1060, "2020Q3", False)
    assert row["percent"] == 100.95  # 1060 / 1050 = 1.009523…
    # A finished target has no forecast.
    for key in ("forecast_value", "forecast_meets", "crossing", "needed_per_quarter"):
        assert row[key] is None, key

    page = fetch(client, s, "leader", "/regions/990000/", as_of="2021Q1", values=values)
    html = page.content.decode()
    assert "待定" in html and "2020Q4 数据不完整：C 尚无完整数据" in html
    assert "status-missed" not in html

    rows, _wb = summary_rows(client, s, end="2021Q1", values=values)
    (summary,) = rows
    assert summary["状态代码 Status code"] == "pending" and summary["状态 Status"] == "待定"
    assert summary["实际值 Value"] == 1060 and summary["取值季度 Measured at"] == "2020Q3"
    assert summary["缺数地区代码 Missing divisions [missing_divisions]"] == "990300"
    assert "C" in summary["说明 Notes"]


def test_due_quarter_awaiting_review_is_pending_only_in_the_approved_view(client, due_target):
    s = due_target
    reopen_c(s, "2020Q4", resubmit=True)  # C's 245 submitted again, awaiting review
    # Submitted view: A + B + C = 1,080 complete: achieved.
    submitted = target_json(client, s, as_of="2021Q1", values="submitted", due="2020Q4")
    assert (submitted["status"], submitted["value"]) == ("achieved", 1080)
    # Approved view: C has no approved value: pending, one count awaiting review, none missing.
    approved = target_json(client, s, as_of="2021Q1", values="approved", due="2020Q4")
    assert approved["status"] == "pending" and approved["awaiting_review"] == 1
    assert approved["missing_divisions"] is None
    assert (approved["value"], approved["measured_at"]) == (1060, "2020Q3")

    html = fetch(client, s, "leader", "/regions/990000/", as_of="2021Q1",
                 values="approved").content.decode()  # fmt: skip
    assert "2020Q4：1 条数据待审核" in html

    rows, wb = summary_rows(client, s, end="2021Q1", values="approved")
    (summary,) = rows
    assert summary["状态代码 Status code"] == "pending"
    assert summary["待审核数 Awaiting review [awaiting_review]"] == 1
    # The Chart sheet: 2020Q4's 835 (A + B approved) is a partial sum, off the actual line.
    chart = {r[0]: r[1:4] for r in wb["图表 Chart"].iter_rows(min_row=2, values_only=True)}
    assert chart["2020Q3"] == (1060, None, None)
    assert chart["2020Q4"] == (None, 835, 1050)


def test_excel_summary_judges_as_of_the_last_complete_quarter(client, due_target):
    s = due_target
    # end 2027Q4 lies ahead: the Summary judges as of the last complete quarter (as the JSON
    # does for that quarter), never "no data" for a quarter that has not ended.
    last = Quarter.last_complete()
    make_target(s["plan"], s["province"], s["certs"], str(last + 5), 2000)
    rows, _wb = summary_rows(client, s, end=str(last + 5), values="submitted")
    by_due = {r["截止季度 Due"]: r for r in rows}
    assert by_due["2020Q4"]["状态代码 Status code"] == "achieved"
    ahead = by_due[str(last + 5)]
    assert ahead["评估截至 As of"] == str(last)
    json_row = target_json(client, s, as_of=str(last), values="submitted", due=str(last + 5))
    assert ahead["状态代码 Status code"] == json_row["status"] != "no_data"
    # 2021Q2 (i = 11) is the latest value: 900 + 220 = 1,120, short of 2,000: behind.
    assert ahead["实际值 Value"] == 1120 == json_row["value"]


# --- a baseline is never a partial sum -----------------------------------------------------


@pytest.fixture
def path_target(scenario):
    # ≥ 1,200 by 2020Q4, judged as of 2019Q4 (i = 5, value 1,000).
    make_target(scenario["plan"], scenario["province"], scenario["certs"], "2020Q4", 1200)
    return scenario


@pytest.mark.parametrize("values", ["submitted", "approved"])
def test_complete_baseline_draws_the_path_and_judges_on_it(client, path_target, values):
    row = target_json(client, path_target, as_of="2019Q4", values=values, due="2020Q4")
    # Path at 2019Q4: 900 + 5/9 × (1,200 − 900) = 1,066.67; 1,000 short by 66.7 > 5 % × 300.
    assert (row["baseline_value"], row["baseline_note"]) == (900, None)
    assert row["expected"] == 1066.7 and row["status"] == "behind"
    # Trend over 2018Q3..2019Q4 (+20 a quarter) reaches 1,080 by 2020Q4: not projected.
    assert row["forecast_value"] == 1080.0 and row["forecast_meets"] is False
    # ⌈(1,200 − 1,000) / 4 quarters⌉ = 50 a quarter
    assert row["needed_per_quarter"] == 50


@pytest.mark.parametrize(("values", "resubmit"), [("submitted", False), ("approved", False),
                                                  ("approved", True)])  # fmt: skip
def test_partial_baseline_is_no_baseline(client, path_target, values, resubmit):
    """Reopened (both views lack C) or awaiting review (the approved view lacks it): the
    baseline quarter 2018Q3 is A + B = 700, a partial sum. Before this fix the path started
    at 700 (700 + 5/9 × 500 = 977.8 ≤ 1,000: "on track" next to "not projected to be met")."""
    s = path_target
    reopen_c(s, "2018Q3", resubmit=resubmit)
    row = target_json(client, s, as_of="2019Q4", values=values, due="2020Q4")
    assert row["baseline_value"] is None and row["baseline_note"] == "incomplete"
    assert row["baseline_quarter"] == "2018Q3" and row["expected"] is None
    # The fallback: 1,000 < 1,200 and the trend (2018Q4..2019Q4, +20 a quarter: 1,080 by
    # 2020Q4) does not meet it: behind, as with the full baseline.
    assert row["status"] == "behind" and row["forecast_meets"] is False

    series = fetch(client, s, "leader", "/regions/990000/series.json", as_of="2019Q4",
                   values=values).json()["rows"]  # fmt: skip
    assert all(r["milestone"] is None for r in series)  # no path drawn

    html = fetch(client, s, "leader", "/regions/990000/", as_of="2019Q4",
                 values=values).content.decode()  # fmt: skip
    assert "基期数据不完整（2018Q3），不绘制目标路径" in html and "status-behind" in html
    plan_html = fetch(client, s, "leader", f"/plans/{s['plan'].pk}/", as_of="2019Q4",
                      values=values).content.decode()  # fmt: skip
    assert "基期数据不完整" in plan_html

    rows, _wb = summary_rows(client, s, end="2019Q4", values=values)
    (summary,) = rows
    assert summary["基期说明代码 Baseline note [baseline_note]"] == "incomplete"
    assert summary["基期值 Baseline value"] is None and "基期数据不完整" in summary["说明 Notes"]
    assert summary["状态代码 Status code"] == "behind"


def test_resubmitted_baseline_counts_again_in_the_submitted_view(client, path_target):
    s = path_target
    reopen_c(s, "2018Q3", resubmit=True)
    row = target_json(client, s, as_of="2019Q4", values="submitted", due="2020Q4")
    assert (row["baseline_value"], row["baseline_note"], row["expected"]) == (900, None, 1066.7)
    series = fetch(client, s, "leader", "/regions/990000/series.json", as_of="2019Q4",
                   values="submitted").json()["rows"]  # fmt: skip
    by_q = {r["quarter"]: r["milestone"] for r in series if r["indicator"] == "certificates"}
    assert by_q["2018Q3"] == 900.0 and by_q["2019Q4"] == 1066.7


# --- percentages round half up, the same everywhere -------------------------------------------


def test_a_percentage_is_rounded_half_up_on_the_page_in_json_csv_and_excel(client, scenario):
    s = scenario
    # A target of 4,000 with 3,905 at the due quarter: 3,905 / 4,000 = 97.625 % → 97.63 %
    # (Python's round() would say 97.62). A's own target; A's 2020Q4 count set to 3,905.
    from indicators.models import QuarterlyCount
    from indicators.rollups import rollups_rebuild

    make_target(s["plan"], s["a"], s["certs"], "2020Q4", 4000)
    QuarterlyCount.objects.filter(region=s["a"], year=2020, quarter=4).update(value=3905)
    rollups_rebuild()
    body = fetch(client, s, "leader", "/regions/990100/targets.json", as_of="2021Q1").json()
    (row,) = [r for r in body["rows"] if r["due"] == "2020Q4" and r["target"] == 4000]
    assert (row["value"], row["percent"], row["status"]) == (3905, 97.63, "missed")
    csv_text = fetch(client, s, "leader", "/regions/990100/targets.csv", as_of="2021Q1")
    csv_text = csv_text.content.decode("utf-8-sig")
    assert ",97.63," in csv_text
    html = fetch(client, s, "leader", "/regions/990100/", as_of="2021Q1").content.decode()
    assert "97.63%" in html and "97.62%" not in html
    rows, wb = summary_rows(client, s, end="2021Q1", values="submitted")
    ws = wb["汇总 Summary"]
    (line,) = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 9).value == 4000]
    cell = ws.cell(line, 13)
    assert cell.value == 0.9763 and cell.number_format == "0.00%"
