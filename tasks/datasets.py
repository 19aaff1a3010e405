"""The rows of ``/plans/<id>/tasks.json`` and ``.csv`` (docs/api.md, "Tasks"); pure.

One record per reportable task and lead unit. Column names are stable English identifiers;
names and titles follow the session's language. The CSV neutralises any text cell a
spreadsheet would run as a formula (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading apostrophe): unit names, titles and reports come from people.
"""

from __future__ import annotations

from collections.abc import Sequence

from indicators.datasets import FORMULA_PREFIXES, Dataset, csv_safe  # noqa: F401
from tasks.selectors.rows import TaskRow

TASK_COLUMNS = [
    "plan_id", "group", "task_number", "task_title", "lead_units", "responsible_units",
    "period", "status", "reported_at", "accepted",
    "item", "group_title", "unit", "unit_id", "state", "deadline", "overdue", "demo",
    "overdue_periods",
]  # fmt: skip

UNIT_SEPARATOR = "、"


class TaskDataset(Dataset):
    """The tasks' records; formula-safe CSV like every Dataset (kept as a name for callers)."""


def units_text(units: Sequence) -> str:
    return UNIT_SEPARATOR.join(u.name for u in units)


def task_record(row: TaskRow, *, units=units_text) -> dict:
    """One row; a group without lead units (Beihai's measures) has no task number, unit or
    period, and owes nothing. ``units``: how a list of units is written."""
    report = row.report
    top = row.top
    group = row.task_group
    return dict(
        plan_id=row.plan.pk,
        group=group.label,
        task_number=top.number if top else None,
        task_title=top.title if top else group.title,
        lead_units=units(row.leads),
        responsible_units=units(row.responsible),
        period=str(row.period) if row.period else None,
        status=report.status if report else None,
        reported_at=report.submitted_at.isoformat() if report and report.submitted_at else None,
        accepted=(report.state == report.State.ACCEPTED) if report else None,
        item=(row.task.item or None) if row.task else None,
        group_title=group.title,
        unit=row.unit.name if row.unit else None,
        unit_id=row.unit.pk if row.unit else None,
        state=report.state if report else None,
        deadline=row.deadline.isoformat() if row.deadline else None,
        overdue=row.overdue,
        demo=report.is_demo if report else False,
        overdue_periods=" ".join(str(p) for p in row.overdue_periods),
    )


def tasks_dataset(rows: Sequence[TaskRow], *, meta: dict) -> TaskDataset:
    # Each list of units written once: a task's lead and responsible units are on every one
    # of its rows (a national plan's 510 rows named 18,000 units, each in the active language).
    written: dict[tuple[int, ...], str] = {}

    def units(found: Sequence) -> str:
        key = tuple(u.pk for u in found)
        if key not in written:
            written[key] = units_text(found)
        return written[key]

    return TaskDataset("tasks", TASK_COLUMNS, [task_record(r, units=units) for r in rows], meta)
