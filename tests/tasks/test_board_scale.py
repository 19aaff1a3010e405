"""The task board and tasks.json at two sizes (issue 25): as many queries with three times the
units and four times the history; only the reports the rows show are read, without their texts
(neither output shows them), never the plan's whole history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks.models import Task, TaskGroup, TaskReport, TaskUnit, Unit
from tasks.periods import HALF_YEAR, ReportPeriod
from tests.conftest import make_plan, make_user


def _plan_with(tree, *, units: int, halves: int):
    """A plan of the province with 3 tasks led by ``units`` units, each reporting the last
    ``halves`` ended half-years (all accepted but the latest, submitted)."""
    current = ReportPeriod.of_date(HALF_YEAR, timezone.localdate())
    first = current - halves
    plan = make_plan(tree["province"], issued_on=first.start, title=f"任务方案{units}")
    group = TaskGroup.objects.create(plan=plan, number=1, title_zh="任务组")
    tasks = [
        Task.objects.create(plan=plan, group=group, number=n, title_zh=f"任务{n}")
        for n in (1, 2, 3)
    ]
    made = [
        Unit.objects.create(
            code=f"u{plan.pk}-{k}",
            name_zh=f"单位{k}",
            kind=Unit.Kind.DEPARTMENT,
            region=tree["province"],
        )  # fmt: skip
        for k in range(units)
    ]
    now = timezone.now()
    for t in tasks:
        for i, u in enumerate(made):
            TaskUnit.objects.create(task=t, unit=u, role=TaskUnit.Role.LEAD, position=i)
            for h in range(halves):
                period = first + h
                state = "submitted" if h == halves - 1 else "accepted"
                TaskReport.objects.create(
                    task=t, unit=u, period=str(period), status="in_progress",
                    done=f"DONE-{period}-{t.number}-{u.pk}", state=state, created_at=now,
                    updated_at=now, submitted_at=now,
                )  # fmt: skip
    return plan


def _get(client, url) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


def _text_reads(sqls: list[str]) -> list[str]:
    """The queries that read the reports' texts (the ``done`` column)."""
    return [q for q in sqls if re.search(r'"tasks_taskreport"\."done"', q)]


@pytest.mark.parametrize("who", ["superuser", "reviewer"])
@pytest.mark.parametrize("fmt", ["board", "json"])
def test_board_and_data_make_as_many_queries_with_more_units_and_history(
    client, tree, django_user_model, fmt, who
):
    """As a superuser and as the province's reviewer (the bench's national reviewer)."""
    from regions.models import Membership

    if who == "superuser":
        user = make_user(django_user_model, "admin", superuser=True)
    else:
        user = make_user(django_user_model, "rev", (Membership.Role.REVIEWER, tree["province"]))
    client.force_login(user)
    small = _plan_with(tree, units=2, halves=2)
    large = _plan_with(tree, units=6, halves=8)

    def url(plan):
        if fmt == "board":
            return reverse("tasks:board", args=[plan.pk])
        return reverse("tasks:board_data", args=[plan.pk, "json"])

    client.get(url(small))  # the session and anything read once per process
    _small_response, small_sql = _get(client, url(small))
    large_response, large_sql = _get(client, url(large))
    assert len(large_sql) == len(small_sql)
    # No query reads a report's text: the rows show a report's period, progress and state.
    assert _text_reads(large_sql) == []
    if fmt == "json":
        latest = str(ReportPeriod.of_date(HALF_YEAR, timezone.localdate()) - 1)
        rows = large_response.json()["rows"]
        assert len(rows) == 18 and {r["period"] for r in rows} == {latest}


def test_the_rows_read_the_latest_reports_only_and_not_their_texts(tree, django_user_model):
    """3 tasks × 3 units with 4 half-years each (36 reports): the 9 rows show the latest
    reports, read in one query of 9 reports, none with its text."""
    from tasks.selectors.rows import task_rows

    plan = _plan_with(tree, units=3, halves=4)
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as ctx:
        rows = task_rows(plan=plan, today=today)
        # Read, not fetched later: the same queries.
        assert all(r.report.submitted_at is not None for r in rows)
        assert all(r.report.task is r.task and r.report.unit is r.unit for r in rows)
    latest = str(ReportPeriod.of_date(HALF_YEAR, today) - 1)
    assert len(rows) == 9  # 3 tasks x 3 units
    assert {r.report.period for r in rows} == {latest}
    assert {r.report.state for r in rows} == {"submitted"}
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert _text_reads(sqls) == []
    # The schedule; the links, their tasks (with group, parent and plan), their units; the
    # reports shown, the periods settled, the responsible units.
    assert len(sqls) == 7


def test_the_settled_periods_of_a_long_schedule_are_those_of_the_whole_history(tree):
    """A quarterly schedule from 2008Q1: more than 60 periods are due. Accepted: the 1st, 60th, 61st, 62nd and the last due quarter; submitted:
    the 2nd; a draft, a returned report and a later period settle nothing. The outstanding
    periods are the due ones but those six, as the whole history's index finds them."""
    from tasks.models import ReportingSchedule
    from tasks.periods import QUARTER
    from tasks.selectors._common import ShownReports, lead_links, reports_of_plans
    from tasks.selectors.schedules import schedule_for

    plan = _plan_with(tree, units=1, halves=0)
    ReportingSchedule.objects.create(
        plan=plan, period_kind=QUARTER, deadline_days=30, starts_on=dt.date(2008, 1, 1)
    )
    today = timezone.localdate()
    schedule = schedule_for(plan)
    due = schedule.due_periods(today)
    assert len(due) > 62
    link = lead_links(plan).filter(task__number=1).get()
    now = timezone.now()
    states = {0: "accepted", 1: "submitted", 2: "draft", 3: "returned", 59: "accepted"}
    states |= {60: "accepted", 61: "accepted", len(due) - 1: "accepted"}
    for index, state in states.items():
        TaskReport.objects.create(
            task=link.task, unit=link.unit, period=str(due[index]), status="done",
            state=state, created_at=now, updated_at=now,
        )  # fmt: skip
    TaskReport.objects.create(
        task=link.task, unit=link.unit, period=str(due[-1] + 1), status="done",
        state="accepted", created_at=now, updated_at=now,
    )  # fmt: skip
    links = list(lead_links(plan))
    shown = ShownReports(plan, links, schedule=schedule, today=today)
    outstanding = shown.outstanding(link.task_id, link.unit_id, schedule, today)
    settled = {0, 1, 59, 60, 61, len(due) - 1}
    assert outstanding == [p for i, p in enumerate(due) if i not in settled]
    history = reports_of_plans([plan.pk])
    assert outstanding == history.outstanding(link.task_id, link.unit_id, schedule, today)
    # The latest report others may read is the later period's.
    assert shown.latest_published(link.task_id, link.unit_id).period == str(due[-1] + 1)


def test_the_boards_rows_name_each_units_overdue_periods(client, tree, django_user_model):
    """Of three ended half-years, the first unit's first two reports of task 1 are missing
    (both past their deadline), the second unit's first: "Overdue: 2 periods" and "Overdue: 1
    period", each period named in the badge's title; the other rows owe nothing overdue."""
    plan = _plan_with(tree, units=2, halves=3)
    current = ReportPeriod.of_date(HALF_YEAR, timezone.localdate())
    first, second = current - 3, current - 2
    t1 = Task.objects.get(plan=plan, number=1)
    units = list(Unit.objects.filter(code__startswith=f"u{plan.pk}-").order_by("code"))
    TaskReport.objects.filter(task=t1, unit=units[0], period__in=[str(first), str(second)]).delete()
    TaskReport.objects.filter(task=t1, unit=units[1], period=str(first)).delete()
    client.force_login(make_user(django_user_model, "admin", superuser=True))
    page = client.get(reverse("tasks:board", args=[plan.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert f'title="{first}、{second}">Overdue: 2 periods</span>' in html
    assert f'title="{first}">Overdue: 1 period</span>' in html
    assert html.count("is-overdue") == 2
