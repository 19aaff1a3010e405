"""Who sees what, the board's rows and flags, the unit page, and the reports due (the hook of
the to-do list and reminders)."""

from __future__ import annotations

import datetime as dt

import pytest

from tasks.models import Task, TaskReport
from tasks.periods import ReportPeriod
from tasks.selectors._common import expand_units, lead_links
from tasks.selectors.access import task_access_for, task_plans_visible_to
from tasks.selectors.board import task_board
from tasks.selectors.due import (
    task_reports_awaiting_review,
    task_reports_awaiting_review_count,
    task_reports_awaiting_review_page,
    task_reports_due,
)
from tasks.selectors.pages import task_page, unit_page
from tasks.selectors.rows import task_rows
from tasks.selectors.schedules import schedule_for
from tests.tasks.conftest import TODAY, make_report, recent_schedule, task, unit

JULY = dt.date(2026, 7, 10)  # 2026H1 has ended; its deadline (2026-07-15) has not passed


@pytest.mark.parametrize(
    "who, sees_gansu, sees_beihai",
    [
        ("fgw", True, False),  # a provincial department (unit in 620000)
        ("lanzhou_gov", True, False),  # a city government: its region lies in Gansu
        ("reviewer", True, False),
        ("leader", True, False),
        ("lanzhou_reviewer", False, False),  # as for the plan page: a city sees no province plan
        ("beihai", False, True),  # another province
    ],
)
def test_who_sees_a_plans_tasks(gansu, beihai, people, who, sees_gansu, sees_beihai):
    access = task_access_for(people[who])
    assert access.can_view_plan(gansu) is sees_gansu
    assert access.can_view_plan(beihai) is sees_beihai
    visible = {p.pk for p in task_plans_visible_to(people[who])}
    assert (gansu.pk in visible, beihai.pk in visible) == (sees_gansu, sees_beihai)


def test_units_are_seen_within_the_scope_only(gansu, people):
    assert task_access_for(people["lanzhou_reviewer"]).can_view_unit(unit("兰州市政府"))
    assert not task_access_for(people["lanzhou_reviewer"]).can_view_unit(unit("省质监局"))
    assert task_access_for(people["fgw"]).can_view_unit(unit("兰州新区管委会"))
    assert not task_access_for(people["beihai"]).can_view_unit(unit("省发展改革委"))


def test_the_default_schedule_is_half_years_from_the_plans_issue(gansu, settings):
    schedule = schedule_for(gansu)  # issued 2018-07-31
    assert (schedule.kind, str(schedule.first), schedule.last) == ("half_year", "2018H2", None)
    assert schedule.deadline_days == settings.CERTTRACK["TASK_DEADLINE_DAYS"] == 15
    assert schedule.deadline(ReportPeriod.parse("2026H1")) == dt.date(2026, 7, 15)
    # 2018H2 … 2026H1: 2018H2, 7 whole years 2019–2025 (14), 2026H1 = 16 ended half-years
    assert len(schedule.due_periods(TODAY)) == 16
    assert str(schedule.open_periods(TODAY)[-1]) == "2026H2"


def test_a_plan_may_report_by_quarter_from_a_later_day(gansu):
    recent_schedule(gansu, starts_on=dt.date(2026, 2, 1), days=10, kind="quarter")
    schedule = schedule_for(gansu)
    assert [str(p) for p in schedule.due_periods(TODAY)] == ["2026Q1", "2026Q2", "2026Q3"]
    assert schedule.deadline(ReportPeriod.parse("2026Q3")) == dt.date(2026, 10, 10)


def test_the_board_has_a_row_per_task_and_lead_unit_in_the_documents_order(gansu, people):
    board = task_board(plan=gansu, user=people["reviewer"], today=TODAY)
    # 27 = 2 (task 1) + 1 + 5 (task 3) + 1 + 1 + 1 + 7 (task 7: 2 + 3 + 2) + 9 × 1 (tasks 8–16)
    assert len(board.rows) == 27
    assert [g.group.label for g in board.groups] == list("一二三四五六")
    assert board.task_count == 16
    seven = next(t for g in board.groups for t in g.tasks if t.task.number == 7)
    assert [item.task.number_label for item in seven.items] == ["7.1", "7.2", "7.3"]
    assert [r.unit.name_zh for r in seven.items[1].rows] == ["省环保厅", "省发展改革委", "省质监局"]
    assert board.can_review


def test_the_board_shows_the_latest_readable_report_and_flags_overdue_periods(gansu, people):
    recent_schedule(gansu)  # half-years from 2025H1, due 15 days after
    t8, fgw_unit = task(gansu, 8), unit("省发展改革委")
    make_report(t8, fgw_unit, "2025H1", "accepted", "in_progress")
    make_report(t8, fgw_unit, "2025H2", "returned", "delayed")
    make_report(t8, fgw_unit, "2026H2", "draft", "in_progress")  # the current period's draft
    for who, sees_draft in (("reviewer", False), ("fgw", True)):
        board = task_board(plan=gansu, user=people[who], today=JULY)
        row = next(r for r in board.rows if r.task == t8)
        assert (row.latest.period, row.latest.state) == ("2025H2", "returned")
        # ended: 2025H1 (accepted), 2025H2 (returned: due again), 2026H1 (none)
        assert [str(p) for p in row.outstanding] == ["2025H2", "2026H1"]
        # deadlines 2026-01-15 (passed on 2026-07-10) and 2026-07-15 (not yet)
        assert [str(p) for p in row.overdue] == ["2025H2"]
        assert (row.own_draft is not None) is sees_draft
        assert row.can_report is sees_draft
    # every other row: none of 2025H1, 2025H2, 2026H1 → the first two overdue
    board = task_board(plan=gansu, user=people["reviewer"], today=JULY)
    other = next(r for r in board.rows if r.task.number == 16)
    assert other.latest is None and [str(p) for p in other.overdue] == ["2025H1", "2025H2"]
    assert board.overdue_rows == 27
    assert board.summary == {"delayed": 1, "none": 26}


def test_the_board_reads_in_a_fixed_number_of_queries(gansu, people, django_assert_max_num_queries):
    recent_schedule(gansu)
    for link in list(lead_links(gansu))[:10]:
        for period in ("2025H1", "2025H2"):
            make_report(link.task, link.unit, period, "accepted")
    user = people["reviewer"]
    task_board(plan=gansu, user=user, today=JULY)  # warm the user's access
    # The schedule; the links, their tasks and units; the reports shown, the periods
    # settled; the responsible units.
    with django_assert_max_num_queries(7):
        board = task_board(plan=gansu, user=user, today=JULY)
        assert sum(1 for r in board.rows if r.latest) == 10


def test_status_of_the_latest_readable_report_is_annotated_for_the_filter(gansu):
    t8, fgw_unit = task(gansu, 8), unit("省发展改革委")
    make_report(t8, fgw_unit, "2025H2", "accepted", "done")
    make_report(t8, fgw_unit, "2026H1", "draft", "delayed")  # a draft is nobody else's news
    statuses = {
        (link.task.number_label, link.unit.name_zh): link.latest_status
        for link in lead_links(gansu)
    }
    assert statuses[("8", "省发展改革委")] == "done"
    assert statuses[("1", "省质监局")] is None


def test_reports_due_from_a_users_units_overdue_first(gansu, people):
    recent_schedule(gansu)
    fgw_unit = unit("省发展改革委")  # leads 7.2, 7.3 and 8
    make_report(task(gansu, 8), fgw_unit, "2025H1", "accepted")
    make_report(task(gansu, 8), fgw_unit, "2025H2", "returned")
    make_report(task(gansu, 7, 2), fgw_unit, "2025H1", "accepted")
    make_report(task(gansu, 7, 2), fgw_unit, "2025H2", "submitted")
    make_report(task(gansu, 7, 2), fgw_unit, "2026H1", "draft")
    due = task_reports_due(people["fgw"], JULY)
    # 7.3: nothing (3 due); 8: 2025H2 returned, 2026H1 missing; 7.2: 2026H1 only a draft.
    # Deadlines: 2025H1 → 2025-07-15, 2025H2 → 2026-01-15 (both passed), 2026H1 → 2026-07-15.
    assert [(d.task.number_label, str(d.period), d.overdue) for d in due] == [
        ("7.3", "2025H1", True),
        ("7.3", "2025H2", True),
        ("8", "2025H2", True),
        ("7.2", "2026H1", False),
        ("7.3", "2026H1", False),
        ("8", "2026H1", False),
    ]
    assert [d.deadline for d in due[:3]] == [dt.date(2025, 7, 15)] + [dt.date(2026, 1, 15)] * 2
    assert due[2].report.state == "returned" and due[3].report.state == "draft"
    assert due[4].report is None
    assert due[0].days_left(JULY) == -360  # 2025-07-15 is 360 days before 2026-07-10
    assert due[3].days_left(JULY) == 5  # 2026-07-15
    assert due[5].url == f"/tasks/{task(gansu, 8).pk}/units/{fgw_unit.pk}/2026H1/"
    assert {d.unit.name_zh for d in due} == {"省发展改革委"}


def test_nothing_is_due_from_users_without_a_lead_unit(gansu, people):
    recent_schedule(gansu)
    assert task_reports_due(people["lanzhou_gov"], JULY) == []  # shares tasks, leads none
    assert task_reports_due(people["reviewer"], JULY) == []  # no unit
    assert task_reports_due(people["beihai"], JULY) == []


def test_reports_due_read_in_a_fixed_number_of_queries(
    gansu, people, django_assert_max_num_queries
):
    recent_schedule(gansu)
    user = people["zhijian"]  # 省质监局 leads 15 items
    task_access_for(user)
    with django_assert_max_num_queries(4):
        due = task_reports_due(user, JULY)
    assert len(due) == 15 * 3  # 15 items × (2025H1, 2025H2, 2026H1)


def test_reports_awaiting_review_go_to_the_plans_reviewers_only(gansu, people):
    make_report(task(gansu, 8), unit("省发展改革委"), "2026H1", "submitted")
    make_report(task(gansu, 1), unit("省质监局"), "2026H1", "accepted")
    assert [r.task.number for r in task_reports_awaiting_review(people["reviewer"])] == [8]
    for who in ("lanzhou_reviewer", "beihai", "leader", "fgw"):
        assert task_reports_awaiting_review(people[who]) == []


def test_a_homes_reports_awaiting_review_are_the_head_of_the_list_with_its_total(
    gansu, people, django_user_model, django_assert_num_queries
):
    """A home reads the first few reports awaiting review and counts the rest in the database,
    by the list's own rule: the same reports in the same order (oldest submission first), and
    as many queries for 12 reports as for 2 (issue 25: every submitted report was read)."""
    from django.utils import timezone

    from tests.conftest import make_user

    admin = make_user(django_user_model, "admin", superuser=True)
    start = timezone.now() - dt.timedelta(days=30)
    periods = ["2025H1", "2025H2", "2026H1"]
    made = []

    def add(n: int) -> None:
        for _ in range(n):
            k = len(made)
            at = start + dt.timedelta(hours=(7 * k) % 12)  # not in the order they were made
            nth = Task.objects.filter(plan=gansu).order_by("pk")[k // 3]
            report = make_report(nth, unit("省质监局"), periods[k % 3])
            TaskReport.objects.filter(pk=report.pk).update(submitted_at=at)
            made.append(report)
        make_report(task(gansu, 8), unit("省发展改革委"), periods[n % 3], "accepted")

    def read(user) -> tuple[int, int]:
        full = task_reports_awaiting_review(user)
        with django_assert_num_queries(2) as ctx:  # the first rows, the count
            shown, total = task_reports_awaiting_review_page(user, limit=2)
        assert [r.pk for r in shown] == [r.pk for r in full[:2]]
        assert total == len(full) == task_reports_awaiting_review_count(user)
        assert [r.submitted_at for r in full] == sorted(r.submitted_at for r in full)
        return total, len(ctx.captured_queries)

    add(2)
    assert read(people["reviewer"]) == (2, 2) and read(admin) == (2, 2)
    add(10)
    assert read(people["reviewer"]) == (12, 2) and read(admin) == (12, 2)
    for other in ("beihai", "lanzhou_reviewer", "leader"):  # another province, a city, no review
        assert task_reports_awaiting_review_page(people[other], limit=2) == ([], 0)


def test_a_city_government_shares_every_task_through_its_collective(gansu, people):
    page = unit_page(unit=unit("兰州市政府"), user=people["lanzhou_gov"], today=TODAY)
    assert page.led == []
    assert len(page.shared) == 18  # every reportable item names 各市州政府
    assert {s.via.name_zh for s in page.shared} == {"各市州政府"}
    assert [c.name_zh for c in page.collectives] == ["各市州政府"]


def test_a_department_page_lists_what_it_leads_and_shares_and_its_own_drafts(gansu, people):
    fgw_unit = unit("省发展改革委")
    make_report(task(gansu, 8), fgw_unit, "2026H1", "draft")
    make_report(task(gansu, 7, 3), fgw_unit, "2026H1", "submitted")
    own = unit_page(unit=fgw_unit, user=people["fgw"], today=TODAY)
    assert [r.task.number_label for r in own.led] == ["7.2", "7.3", "8"]
    assert [(s.task.number_label, s.via) for s in own.shared] == [("14", None)]
    assert len(own.reports) == 2
    other = unit_page(unit=fgw_unit, user=people["reviewer"], today=TODAY)
    assert [r.task.number_label for r in other.reports] == ["7.3"]  # drafts stay the unit's


def test_collectives_expand_into_their_known_members(gansu):
    responsible = [unit("省质量发展领导小组各成员单位"), unit("各市州政府"), unit("兰州新区管委会")]
    expanded = expand_units(responsible)
    # the group (members unknown) stays itself; 14 governments; the New Area: 1 + 14 + 1
    assert len(expanded) == 16
    assert expanded[0].name_zh == "省质量发展领导小组各成员单位"
    assert expanded[-1].name_zh == "兰州新区管委会"


def test_the_task_page_hides_other_units_drafts(gansu, people):
    recent_schedule(gansu)
    make_report(task(gansu, 8), unit("省发展改革委"), "2026H1", "draft")
    for who, sees in (("fgw", True), ("reviewer", False)):
        page = task_page(task=task(gansu, 8), user=people[who], today=JULY)
        (row,) = page.items[0].rows
        cells = {str(c.period): c for c in row.cells}
        assert list(cells) == ["2026H2", "2026H1", "2025H2", "2025H1"]
        assert (cells["2026H1"].report is not None) is sees
        assert cells["2026H1"].outstanding and not cells["2026H1"].overdue
        assert cells["2025H1"].overdue


def test_data_rows_carry_the_latest_readable_report_or_a_chosen_periods(gansu):
    recent_schedule(gansu)
    t8, fgw_unit = task(gansu, 8), unit("省发展改革委")
    make_report(t8, fgw_unit, "2025H1", "accepted", "done")
    make_report(t8, fgw_unit, "2025H2", "draft")
    rows = task_rows(plan=gansu, today=JULY)
    assert len(rows) == 27
    row = next(r for r in rows if r.task == t8)
    assert (str(row.period), row.report.state) == ("2025H1", "accepted")
    chosen = task_rows(plan=gansu, today=JULY, period=ReportPeriod.parse("2025H2"))
    row = next(r for r in chosen if r.task == t8)
    assert row.report is None and row.overdue  # a draft is not a report; deadline 2026-01-15
    assert TaskReport.objects.count() == 2
