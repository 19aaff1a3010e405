"""The rows of ``/plans/<id>/tasks.json`` and ``.csv`` (docs/api.md, "Tasks"); pure.

One record per reportable task and lead unit. Column names are stable English identifiers;
names and titles follow the session's language. The CSV neutralises any text cell a
spreadsheet would run as a formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading apostrophe): unit names, titles and reports come from people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from indicators.datasets import Dataset
from tasks.selectors.rows import TaskRow

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

TASK_COLUMNS = [
    "plan_id", "group", "task_number", "task_title", "lead_units", "responsible_units",
    "period", "status", "reported_at", "accepted",
    "item", "group_title", "unit", "unit_id", "state", "deadline", "overdue", "demo",
]  # fmt: skip

UNIT_SEPARATOR = "、"


def csv_safe(value: object) -> object:
    """Text a spreadsheet would evaluate, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_safe(value)


class TaskDataset(Dataset):
    """A Dataset whose CSV is formula-safe."""

    def as_csv(self) -> str:
        out = io.StringIO()
        out.write("\ufeff")  # Excel opens the Chinese names correctly
        writer = csv.DictWriter(out, fieldnames=self.columns, lineterminator="\r\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: _csv_value(row.get(k)) for k in self.columns})
        return out.getvalue()


def units_text(units: Sequence) -> str:
    return UNIT_SEPARATOR.join(u.name for u in units)


def task_record(row: TaskRow) -> dict:
    report = row.report
    top = row.top
    return dict(
        plan_id=row.plan.pk,
        group=top.group.label,
        task_number=top.number,
        task_title=top.title,
        lead_units=units_text(row.leads),
        responsible_units=units_text(row.responsible),
        period=str(row.period) if row.period else None,
        status=report.status if report else None,
        reported_at=report.submitted_at.isoformat() if report and report.submitted_at else None,
        accepted=(report.state == report.State.ACCEPTED) if report else None,
        item=row.task.item or None,
        group_title=top.group.title,
        unit=row.unit.name,
        unit_id=row.unit.pk,
        state=report.state if report else None,
        deadline=row.deadline.isoformat() if row.deadline else None,
        overdue=row.overdue,
        demo=report.is_demo if report else False,
    )


def tasks_dataset(rows: Sequence[TaskRow], *, meta: dict) -> TaskDataset:
    return TaskDataset("tasks", TASK_COLUMNS, [task_record(r) for r in rows], meta)
