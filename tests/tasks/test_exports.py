"""The Excel report's "任务进展 Tasks" sheet: the pure writer, and the download."""

from __future__ import annotations

import datetime as dt
import io

from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tasks.exports import SHEET_TASKS, TASK_SHEET_COLUMNS, write_tasks_sheet
from tasks.selectors.rows import task_rows
from tests.tasks.conftest import make_report, recent_schedule, task, unit

JULY = dt.date(2026, 7, 10)


def _sheet(rows):
    wb = Workbook(write_only=True)
    write_tasks_sheet(wb, rows)
    out = io.BytesIO()
    wb.save(out)
    return load_workbook(io.BytesIO(out.getvalue()))[SHEET_TASKS]


def test_the_sheet_has_a_row_per_task_lead_unit_and_period(gansu):
    recent_schedule(gansu)
    make_report(task(gansu, 8), unit("省发展改革委"), "2026H1", "accepted", "done")
    rows = task_rows(plan=gansu, today=JULY)
    ws = _sheet(rows)
    values = list(ws.iter_rows(values_only=True))
    assert list(values[0]) == [label for label, _w in TASK_SHEET_COLUMNS]
    assert len(values) == 1 + 27
    row = next(v for v in values[1:] if v[4] == 8)
    header = [label for label, _w in TASK_SHEET_COLUMNS]
    record = dict(zip(header, row, strict=True))
    assert record["组 Group"] == "三" and record["牵头单位 Lead unit"] == "省发展改革委"
    assert record["期间 Period"] == "2026H1" and record["进展代码 Progress code"] == "done"
    assert record["报告状态 Report state"] == "accepted" and record["已采纳 Accepted"] is True
    assert record["截止日期 Deadline"] == dt.datetime(2026, 7, 15)  # 2026-06-30 + 15 days
    seven = [v for v in values[1:] if v[4] == 7]
    assert [v[5] for v in seven] == [1, 1, 2, 2, 2, 3, 3]  # paragraphs of task 7


def test_text_that_looks_like_a_formula_stays_text(gansu):
    from tasks.models import Unit

    Unit.objects.filter(name_zh="省质监局").update(name_zh="=1+1")
    ws = _sheet(task_rows(plan=gansu, today=JULY))
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.value == "=1+1"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_an_empty_list_writes_the_header_only():
    ws = _sheet([])
    assert ws.max_row == 1


def test_the_report_download_carries_the_plans_tasks(gansu, people):
    client = Client()
    client.force_login(people["reviewer"])
    response = client.get(
        reverse("indicators:report_export"),
        {"region": "620000", "start": "2025Q1", "end": "2026Q2"},
    )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames[-1] == SHEET_TASKS
    rows = list(wb[SHEET_TASKS].iter_rows(min_row=2, values_only=True))
    # default schedule (half-years from 2018H2); 2025Q1–2026Q2 spans 2025H1, 2025H2, 2026H1:
    # 27 lead rows × 3 periods = 81
    assert len(rows) == 27 * 3
    assert {r[10] for r in rows} == {"2025H1", "2025H2", "2026H1"}


def test_a_report_of_another_province_has_no_gansu_tasks(beihai, people, django_user_model):
    from regions.models import Membership, Region
    from tests.conftest import make_user

    user = make_user(
        django_user_model, "bhana", (Membership.Role.ANALYST, Region.objects.get(code="450500"))
    )
    client = Client()
    client.force_login(user)
    response = client.get(
        reverse("indicators:report_export"),
        {"region": "450500", "start": "2025Q1", "end": "2026Q2"},
    )
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    # Beihai's measures name no lead units: one row per group, as its board shows them (issue
    # 22.4), owing nothing; no Gansu task.
    ws = wb[SHEET_TASKS]
    assert ws.max_row == 1 + 4
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows] == ["一", "二", "三", "四"]
    assert all(r[0].startswith("北海市") and r[-2] is False for r in rows)
