"""Task obligations, defined once (issue 22.4): the board, tasks.json/.csv, the to-do home's
reports due and the digests agree on which reports are due and overdue; an invalidated plan asks
for no report of a period that starts after its invalidation; tasks.json lists every task the
board shows, Beihai's four measure groups included."""

from __future__ import annotations

import datetime as dt
from unittest import mock

from django.test import Client
from django.urls import reverse

from indicators.models import Plan
from tasks.selectors.board import task_board
from tasks.selectors.due import task_reports_due
from tasks.selectors.rows import task_rows
from tasks.selectors.schedules import schedule_for
from tests.tasks.conftest import make_report, recent_schedule, task, unit

JULY = dt.date(2026, 7, 10)  # 2026H1 has ended; its deadline (2026-07-15) has not passed


def _reports(gansu):
    fgw = unit("省发展改革委")  # leads 7.2, 7.3 and 8
    make_report(task(gansu, 8), fgw, "2025H1", "accepted")
    make_report(task(gansu, 8), fgw, "2025H2", "returned")
    make_report(task(gansu, 7, 2), fgw, "2025H1", "accepted")
    make_report(task(gansu, 7, 2), fgw, "2025H2", "submitted")
    return fgw


def _invalidate(plan):
    plan.status, plan.invalidated_by = Plan.Status.INVALIDATED, "甘政发〔2023〕60号"
    plan.save(update_fields=["status", "invalidated_by"])


def test_board_data_and_reports_due_name_the_same_overdue_reports(gansu, people):
    """Reports from 2025H1; on 2026-07-10 2025H1 (deadline 2025-07-15) and 2025H2 (2026-01-15)
    are overdue where not in, 2026H1 (2026-07-15) is due but not overdue. 省发展改革委: 8 has
    2025H1 accepted, 2025H2 returned (overdue); 7.2 has both in; 7.3 nothing (2 overdue).
    Every other lead link has nothing: both half-years overdue."""
    recent_schedule(gansu)
    fgw = _reports(gansu)
    board = task_board(plan=gansu, user=people["reviewer"], today=JULY)
    on_board = {(r.task.pk, r.unit.pk, str(p)) for r in board.rows for p in r.overdue}
    data = task_rows(plan=gansu, today=JULY)
    in_data = {(r.task.pk, r.unit.pk, str(p)) for r in data for p in r.overdue_periods}
    assert on_board == in_data
    links = len(board.rows)
    # Every link is overdue but 7.2 of 省发展改革委: rows flagged overdue = links − 1.
    assert board.overdue_rows == sum(1 for r in data if r.overdue) == links - 1
    # Periods: 2 per link, less 7.2's two and 8's 2025H1 (in): 2 × links − 3.
    assert len(on_board) == 2 * links - 3
    due = task_reports_due(people["fgw"], JULY)
    chased = {(d.task.pk, d.unit.pk, str(d.period)) for d in due if d.overdue}
    assert chased == {k for k in on_board if k[1] == fgw.pk}
    assert sorted(k[2] for k in chased) == ["2025H1", "2025H2", "2025H2"]  # 7.3 ×2, 8 ×1


def test_the_json_overdue_flag_and_periods_of_the_latest_report_row(gansu, people):
    """8 of 省发展改革委: the latest readable report is 2025H2 (returned); the row is overdue
    with 2025H2 (2025H1 accepted). 7.3: no report, overdue 2025H1 and 2025H2."""
    recent_schedule(gansu)
    fgw = _reports(gansu)
    client = Client()
    client.force_login(people["reviewer"])
    with mock.patch("tasks.views._today", return_value=JULY):
        rows = client.get(reverse("tasks:board_data", args=[gansu.pk, "json"])).json()["rows"]
    by = {(r["task_number"], r["item"], r["unit_id"]): r for r in rows}
    eight, seven3 = by[(8, None, fgw.pk)], by[(7, 3, fgw.pk)]
    assert (eight["period"], eight["overdue"], eight["overdue_periods"]) == (
        "2025H2",
        True,
        "2025H2",
    )
    assert (seven3["period"], seven3["overdue"], seven3["overdue_periods"]) == (
        None,
        True,
        "2025H1 2025H2",
    )


def test_an_invalidated_plan_asks_for_no_report_of_a_later_period(gansu, people):
    """Invalidated by 甘政发〔2023〕60号 (from 2023-01-01): with reports expected from 2025H1
    nothing is asked; by default (half-years from the issue, 2018-07-31) 2018H2 … 2023H1 are
    asked: 2018H2, 2019H1/H2, 2020H1/H2, 2021H1/H2, 2022H1/H2, 2023H1 = 10 periods."""
    default = schedule_for(gansu)
    assert len(default.due_periods(JULY)) == 16  # in force: 2018H2 … 2026H1
    _invalidate(gansu)
    gansu.refresh_from_db()
    periods = schedule_for(gansu).due_periods(JULY)
    assert [str(periods[0]), str(periods[-1]), len(periods)] == ["2018H2", "2023H1", 10]
    recent_schedule(gansu)
    _reports(gansu)
    assert schedule_for(gansu).due_periods(JULY) == []
    assert task_reports_due(people["fgw"], JULY) == []
    assert task_board(plan=gansu, user=people["reviewer"], today=JULY).overdue_rows == 0
    assert not any(r.overdue for r in task_rows(plan=gansu, today=JULY))
    # A later period may still be written (it is in the schedule), it is only never due.
    assert schedule_for(gansu).open_periods(JULY)[-1].year == 2026


def test_tasks_json_lists_beihais_four_measure_groups(beihai, people):
    client = Client()
    client.force_login(people["beihai"])
    board = client.get(reverse("tasks:board", args=[beihai.pk]))
    assert board.status_code == 200
    data = client.get(reverse("tasks:board_data", args=[beihai.pk, "json"])).json()
    rows = data["rows"]
    assert [r["group"] for r in rows] == ["一", "二", "三", "四"]
    assert all(r["unit"] is None and not r["overdue"] for r in rows)
    csv = client.get(reverse("tasks:board_data", args=[beihai.pk, "csv"])).content.decode()
    assert len(csv.strip().splitlines()) == 1 + 4
