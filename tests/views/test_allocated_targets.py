"""Allocated targets everywhere: a division's dashboard data, the plan page, the overview and
the Excel Summary show them with the same progress rules, from the division's own baseline,
marked "allocated from" the parent target. Numbers computed by hand."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from indicators.models import Target
from regions.models import Membership
from tests.conftest import PASSWORD, make_count, make_plan, make_target, make_user

ROLE = Membership.Role


@pytest.fixture
def s(tree, certs, django_user_model):
    """Plan issued 2018-07-31 (baseline 2018Q3); the province's ≥ 1,200 by 2020Q4 allocated:
    A 600, B 400, C 250 (sum 1,250, over by 50), the zone 40 (not counted).

    A: 400 at 2018Q3, 450 at 2019Q3. As of 2019Q3 A's path (from its own baseline 400 to 600
    over 9 quarters) asks 400 + 4/9 × 200 = 488.9; 450 is short by 38.9 > 5 % × 200 = 10:
    behind. Needs ⌈(600 − 450) / 5⌉ = 30 a quarter (2019Q3 → 2020Q4: 5 quarters).
    """
    plan = make_plan(tree["province"], issued_on=dt.date(2018, 7, 31))
    parent = make_target(plan, tree["province"], certs, "2020Q4", 1200)
    allocated = {}
    for key, value in (("a", 600), ("b", 400), ("c", 250), ("zone", 40)):
        allocated[key] = Target.objects.create(
            plan=plan, region=tree[key], indicator=certs, due_year=2020, due_quarter=4,
            value=value, allocated_from=parent,
        )  # fmt: skip
    make_count(tree["a"], certs, "2018Q3", 400)
    make_count(tree["a"], certs, "2019Q3", 450)
    make_count(tree["b"], certs, "2018Q3", 300)
    make_count(tree["b"], certs, "2019Q3", 380)
    users = dict(
        leader_a=make_user(django_user_model, "leader_a", (ROLE.LEADER, tree["a"])),
        leader_p=make_user(django_user_model, "leader_p", (ROLE.LEADER, tree["province"])),
        outsider=make_user(django_user_model, "outsider", (ROLE.LEADER, tree["other"])),
        analyst=make_user(django_user_model, "ana", (ROLE.ANALYST, tree["province"])),
    )
    return dict(tree, plan=plan, parent=parent, allocated=allocated, **users)


def _get(client, user, path, **params):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    return response


def test_division_targets_json_judges_the_allocation_from_the_divisions_baseline(client, s):
    body = _get(client, s["leader_a"], "/regions/990100/targets.json", as_of="2019Q3").json()
    assert "allocated_from" in body["columns"]
    (row,) = body["rows"]
    assert row["allocated_from"] == s["parent"].pk
    assert row["target"] == 600
    assert row["baseline_value"] == 400
    assert row["expected"] == 488.9
    assert row["status"] == "behind"
    assert row["needed_per_quarter"] == 30
    assert row["percent"] == 75.0  # 450 / 600


def test_b_on_track_on_its_own_path(client, s):
    # B: 300 → 400 over 9 quarters; at 2019Q3 the path asks 300 + 4/9 × 100 = 344.4; 380 ≥ it
    body = _get(client, s["leader_p"], "/regions/990200/targets.json", as_of="2019Q3").json()
    (row,) = body["rows"]
    assert (row["status"], row["expected"], row["allocated_from"]) == (
        "on_track",
        344.4,
        s["parent"].pk,
    )


def test_csv_has_the_allocated_from_column_empty_for_the_plans_own_target(client, s):
    text = _get(client, s["leader_p"], "/regions/990000/targets.csv").content.decode("utf-8-sig")
    head, first = text.splitlines()[:2]
    index = head.split(",").index("allocated_from")
    assert first.split(",")[index] == ""


def test_dashboard_marks_the_allocated_target(client, s):
    html = _get(client, s["leader_a"], "/regions/990100/", as_of="2019Q3").content.decode()
    assert "allocated-from" in html
    assert "≥ 1,200 (2020Q4)" in html


def test_plan_page_and_overview_of_a_divisions_leader(client, s):
    body = _get(client, s["leader_a"], f"/plans/{s['plan'].pk}/targets.json").json()
    # A's leader sees only A's allocated target (and its zone's, inside A's scope)
    assert {r["region_code"] for r in body["rows"]} == {"990100", "990171"}
    body = _get(client, s["leader_a"], "/overview/targets.json").json()
    assert [(r["region_code"], r["allocated_from"]) for r in body["rows"]] == [
        ("990100", s["parent"].pk)
    ]
    # the province's leader: the plan's own target on the overview, every allocation on the plan page
    body = _get(client, s["leader_p"], "/overview/targets.json").json()
    assert [r["allocated_from"] for r in body["rows"]] == [None]
    body = _get(client, s["leader_p"], f"/plans/{s['plan'].pk}/targets.json").json()
    assert len(body["rows"]) == 5


def test_outsiders_never_see_the_allocations(client, s):
    client.logout()
    client.login(username="outsider", password=PASSWORD)
    assert client.get(f"/plans/{s['plan'].pk}/targets.json").status_code == 404
    assert client.get("/regions/990100/targets.json").status_code == 404
    assert client.get(f"/targets/{s['allocated']['a'].pk}/allocation/").status_code == 404
    assert client.get(f"/targets/{s['parent'].pk}/allocation/").status_code == 404
    body = client.get("/overview/targets.json").json()
    assert body["rows"] == []


def test_excel_summary_names_the_parent(client, s):
    response = _get(
        client, s["analyst"], "/reports/export.xlsx",
        region="990000", start="2018Q3", end="2019Q3", values="submitted",
    )  # fmt: skip
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb["汇总 Summary"]
    head = [c.value for c in ws[1]]
    rows = [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    parent_col = "上级目标编号 Parent target id [allocated_from]"
    a = next(r for r in rows if r["地区代码 Region code"] == "990100")
    assert a[parent_col] == s["parent"].pk
    assert "1,200" in a["分解自 Allocated from"]
    own = next(r for r in rows if r["地区代码 Region code"] == "990000")
    assert own[parent_col] is None
