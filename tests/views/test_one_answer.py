"""Issue 22: one fact, one answer. A due-quarter count is reopened in Beihai (a city that
enters its own counts, no reporting divisions) and in Gansu (a province summed over its
prefectures); the 2022 targets' status is read through the page, the targets JSON, the Excel
Summary and the Word brief, all with the same address parameters (none for the values: the one
default, docs/glossary.md), and every output gives the same answer: pending, with the latest
complete value (2022Q3) as context, never achieved or missed on it.

The demo series (indicators/demo.py, deterministic), at 2022Q3 and 2022Q4:

    Beihai certificates 854 → 866 (target ≥ 850), organizations 316 → 318 (≥ 320)
    Gansu  certificates 12,086 → 12,240 (≥ 12,000), organizations 4,858 → 4,910 (≥ 5,000)

Context shares of the target: 854 ÷ 850 = 100.4705… → 100.47 %; 316 ÷ 320 = 98.75 %;
12,086 ÷ 12,000 = 100.7166… → 100.72 %; 4,858 ÷ 5,000 = 97.16 %.
Before issue 22.1 Beihai read "achieved" (854 ≥ 850) and "missed" (316 < 320) on 2022Q3 while
its brief said in the same paragraph that 2022Q4 had no data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from indicators.periods import Quarter
from indicators.services.review import counts_reopen
from regions.models import Membership, Region

Q = Quarter.parse
AS_OF = "2026Q3"

# region, reviewer, reopened region, its name, leader; per indicator: target, 2022Q3, percent
CASES = {
    "beihai": dict(
        region="450500", reviewer="reviewer_beihai", reopened="450500", name="北海市",
        leader="leader_beihai",
        expected={"certificates": (850, 854, 100.47), "organizations": (320, 316, 98.75)},
    ),
    "gansu": dict(
        region="620000", reviewer="reviewer_gansu", reopened="620100", name="兰州市",
        leader="leader_gansu",
        expected={"certificates": (12000, 12086, 100.72), "organizations": (5000, 4858, 97.16)},
    ),
}  # fmt: skip


@pytest.fixture
def login(client, settings):
    def _login(username):
        client.logout()
        assert client.login(username=username, password=settings.CERTTRACK["DEMO_PASSWORD"])
        return client

    return _login


def _reopen(case, django_user_model) -> None:
    counts_reopen(
        user=django_user_model.objects.get(username=case["reviewer"]),
        region=Region.objects.get(code=case["reopened"]),
        period=Q("2022Q4"),
        reason="复核 recheck",
    )


def _json_rows(client, region: str, **params) -> list[dict]:
    url = reverse("indicators:region_data", args=[region, "targets", "json"])
    response = client.get(url, {"as_of": AS_OF, **params})
    assert response.status_code == 200
    return [r for r in response.json()["rows"] if r["due"] == "2022Q4"]


def _page_statuses(client, region: str, target_ids: list[int]) -> dict[int, str]:
    html = client.get(reverse("indicators:region_dashboard", args=[region]), {"as_of": AS_OF})
    assert html.status_code == 200
    page = html.content.decode()
    out = {}
    for pk in target_ids:
        row = re.search(rf'<tr[^>]*data-target="{pk}"[^>]*>(.*?)</tr>', page, re.S)
        assert row is not None, pk
        (status,) = set(re.findall(r"status-(achieved|missed|pending|on_track|behind)", row[1]))
        out[pk] = status
    return out, page


def _summary(client, region: str) -> list[dict]:
    response = client.get(
        "/reports/export.xlsx", {"region": region, "start": "2018Q3", "end": AS_OF}
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    ws = wb["汇总 Summary"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    return [
        r
        for r in (dict(zip(head, row, strict=True)) for row in rows[1:])
        if r["截止季度 Due"] == "2022Q4" and r["地区代码 Region code"] == region
    ]


def _brief_text(client, region: str) -> str:
    response = client.get(reverse("indicators:report_brief"), {"region": region, "as_of": AS_OF})
    assert response.status_code == 200
    doc = Document(io.BytesIO(b"".join(response.streaming_content)))
    return "\n".join(p.text for p in doc.paragraphs)


@pytest.mark.parametrize("where", ["beihai", "gansu"])
def test_a_reopened_due_quarter_is_pending_on_the_page_json_excel_and_brief(
    demo, login, django_user_model, where
):
    case = CASES[where]
    client = login(case["leader"])
    before = _json_rows(client, case["region"])
    assert {r["status"] for r in before} <= {"achieved", "missed"}  # 2022Q4 complete

    _reopen(case, django_user_model)

    # JSON, in the default view and the approved-only one: pending, the reopened region named.
    for params in ({}, {"values": "approved"}):
        rows = _json_rows(client, case["region"], **params)
        assert len(rows) == 2
        for row in rows:
            target, value, percent = case["expected"][row["indicator"]]
            assert row["target"] == target
            assert row["status"] == "pending", (params, row)
            assert row["missing_divisions"] == case["reopened"]
            assert (row["value"], row["measured_at"], row["at_due"]) == (value, "2022Q3", False)
            assert row["percent"] == percent

    rows = _json_rows(client, case["region"])
    # The page: the same targets, pending, with what 2022Q4 lacks.
    statuses, page = _page_statuses(client, case["region"], [r["target_id"] for r in rows])
    assert set(statuses.values()) == {"pending"}
    assert f"2022Q4 数据不完整：{case['name']} 尚无完整数据" in page

    # The Excel Summary (same address, no values parameter): pending, the same context value.
    client = login("analyst")
    summary = _summary(client, case["region"])
    assert len(summary) == 2
    for row in summary:
        assert row["状态代码 Status code"] == "pending" and row["状态 Status"] == "待定"
        assert row["取值季度 Measured at"] == "2022Q3"
        assert row["缺数地区代码 Missing divisions [missing_divisions]"] == case["reopened"]
    assert sorted(r["实际值 Value"] for r in summary) == sorted(
        v for _t, v, _p in case["expected"].values()
    )

    # The brief: pending for both 2022 targets; never "achieved"/"missed" for 2022.
    client = login(case["leader"])
    text = _brief_text(client, case["region"])
    for indicator, (target, value, percent) in case["expected"].items():
        unit = "张" if indicator == "certificates" else "家"
        assert f"2022年目标（{target:,}{unit}）待定" in text
        assert f"2022年目标（{target:,}{unit}）已完成" not in text
        assert f"2022年目标（{target:,}{unit}）未完成" not in text
        assert f"{value:,}{unit}（2022年第三季度），为目标的{percent:.2f}%" in text
    assert f"{case['name']} 尚无完整数据" in text


# --- how far along a target is: both shares, the same in every output (issue 22.6) ----------


@pytest.fixture
def effort(tree, certs, django_user_model):
    """DOMAIN.md's example in a small tree: a plan issued 2024-01-15 (baseline quarter 2024Q1)
    sets the province ≥ 14,200 by 2027Q4. Divisions A + B + C: 2024Q1 6,000 + 4,000 + 2,781 =
    12,781 (the baseline); 2026Q2 6,400 + 4,226 + 3,000 = 13,626 (the latest value).

        reached:  13,626 ÷ 14,200 = 0.959577… → 95.96 %
        increase: (13,626 − 12,781) ÷ (14,200 − 12,781) = 845 ÷ 1,419 = 0.595489… → 59.55 %
        gap 13,626 − 14,200 = −574
    """
    from tests.conftest import make_count, make_plan, make_target, make_user

    plan = make_plan(
        tree["province"], issued_on=dt.date(2024, 1, 15), document_number="试〔2024〕1号"
    )
    target = make_target(plan, tree["province"], certs, "2027Q4", 14200)
    for region, first, latest in ((tree["a"], 6000, 6400), (tree["b"], 4000, 4226),
                                  (tree["c"], 2781, 3000)):  # fmt: skip
        make_count(region, certs, "2024Q1", first)
        make_count(region, certs, "2026Q2", latest)
    leader = make_user(django_user_model, "lead_e", (Membership.Role.LEADER, tree["province"]))
    analyst = make_user(django_user_model, "ana_e", (Membership.Role.ANALYST, tree["province"]))
    return dict(target=target, leader=leader, analyst=analyst, **tree)


def test_both_shares_of_a_target_agree_on_page_json_csv_excel_brief_and_todo(client, effort):
    from tests.conftest import PASSWORD

    assert client.login(username="lead_e", password=PASSWORD)
    params = {"as_of": "2026Q2"}
    (row,) = client.get("/regions/990000/targets.json", params).json()["rows"]
    assert (row["value"], row["percent"], row["increase_percent"]) == (13626, 95.96, 59.55)
    assert (row["baseline_quarter"], row["baseline_value"], row["gap"]) == ("2024Q1", 12781, -574)

    csv_text = client.get("/regions/990000/targets.csv", params).content.decode("utf-8-sig")
    (record,) = list(csv.DictReader(io.StringIO(csv_text)))
    assert (record["percent"], record["increase_percent"]) == ("95.96", "59.55")

    page = client.get("/regions/990000/", params).content.decode()
    assert "95.96%" in page and "增量完成率59.55%（自2024Q1基期）" in page

    home = client.get(reverse("work:home")).content.decode()
    assert "增量完成率59.55%（自2024Q1基期）" in home

    response = client.get(reverse("indicators:report_brief"), {"region": "990000", **params})
    doc = Document(io.BytesIO(b"".join(response.streaming_content)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert (
        "对照2027年目标（14,200张），完成率95.96%；自2024年第一季度基期（12,781张）以来，"
        "已完成所需增量的59.55%，尚差574张" in text
    )

    client.logout()
    assert client.login(username="ana_e", password=PASSWORD)
    response = client.get(
        "/reports/export.xlsx", {"region": "990000", "start": "2024Q1", "end": "2026Q2"}
    )
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb["汇总 Summary"]
    head = [c.value for c in ws[1]]
    (summary,) = [
        dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)
    ]
    assert summary["完成率 Achieved"] == 0.9596
    assert summary["增量完成率 Increase achieved [increase_percent]"] == 0.5955
    assert (
        summary["基期 Baseline quarter"] == "2024Q1" and summary["基期值 Baseline value"] == 12781
    )
