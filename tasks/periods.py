"""Reporting periods of task progress reports: half-years by default, quarters or years per plan.

A period is a small value type like ``indicators.periods.Quarter``: ``ReportPeriod("half_year",
2026, 1)``, ``str() == "2026H1"``; quarters read ``2026Q3`` and years ``2026``. Progress reports
are about what happened *during* a period (a flow of work, unlike the stock counts), so a period
can be reported from its first day, and a report falls due when the period has ended.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

HALF_YEAR = "half_year"
QUARTER = "quarter"
YEAR = "year"

# kind -> (periods per year, label for choices)
KINDS = {
    HALF_YEAR: (2, gettext_lazy("Half-year")),
    QUARTER: (4, gettext_lazy("Quarter")),
    YEAR: (1, gettext_lazy("Year")),
}
KIND_CHOICES = [(kind, label) for kind, (_n, label) in KINDS.items()]

_PATTERNS = (
    (re.compile(r"^\s*(\d{4})\s*[-_ ]?[Hh]([12])\s*$"), HALF_YEAR),
    (re.compile(r"^\s*(\d{4})\s*[-_ ]?[Qq]([1-4])\s*$"), QUARTER),
    (re.compile(r"^\s*(\d{4})\s*$"), YEAR),
)


@dataclass(frozen=True, order=True)
class ReportPeriod:
    """One reporting period; ordered within a kind, steppable with ``+``/``-`` an int."""

    kind: str
    year: int
    index: int  # 1-based within the year; 1 for a year

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind: {self.kind!r}")
        if not 1 <= self.index <= KINDS[self.kind][0]:
            raise ValueError(f"{self.kind} index out of range: {self.index}")
        if not 1900 <= self.year <= 2999:
            raise ValueError(f"year out of range: {self.year}")

    @property
    def per_year(self) -> int:
        return KINDS[self.kind][0]

    def __str__(self) -> str:
        if self.kind == HALF_YEAR:
            return f"{self.year}H{self.index}"
        if self.kind == QUARTER:
            return f"{self.year}Q{self.index}"
        return str(self.year)

    @property
    def label(self) -> str:
        """For people, in the active language: 2026年上半年 / H1 2026."""
        if self.kind == HALF_YEAR:
            if self.index == 1:
                return _("first half of %(year)s") % {"year": self.year}
            return _("second half of %(year)s") % {"year": self.year}
        if self.kind == QUARTER:
            return _("Q%(quarter)s %(year)s") % {"quarter": self.index, "year": self.year}
        return _("year %(year)s") % {"year": self.year}

    @property
    def serial(self) -> int:
        """Periods since year 0; differences of serials count periods."""
        return self.year * self.per_year + self.index - 1

    @classmethod
    def from_serial(cls, kind: str, serial: int) -> ReportPeriod:
        per_year = KINDS[kind][0]
        return cls(kind, serial // per_year, serial % per_year + 1)

    def __add__(self, n: int) -> ReportPeriod:
        return ReportPeriod.from_serial(self.kind, self.serial + n)

    def __sub__(self, n: int) -> ReportPeriod:
        return ReportPeriod.from_serial(self.kind, self.serial - n)

    @property
    def start(self) -> dt.date:
        months = 12 // self.per_year
        return dt.date(self.year, (self.index - 1) * months + 1, 1)

    @property
    def end(self) -> dt.date:
        """The period's last day."""
        return (self + 1).start - dt.timedelta(days=1)

    @classmethod
    def of_date(cls, kind: str, date: dt.date) -> ReportPeriod:
        per_year = KINDS[kind][0]
        return cls(kind, date.year, (date.month - 1) * per_year // 12 + 1)

    @classmethod
    def parse(cls, text: str, kind: str | None = None) -> ReportPeriod:
        """``2026H1``, ``2026Q3`` or ``2026``; with ``kind``, only periods of that kind.
        ValueError otherwise."""
        for pattern, found in _PATTERNS:
            match = pattern.match(str(text))
            if match:
                if kind is not None and found != kind:
                    break
                index = int(match.group(2)) if found != YEAR else 1
                return cls(found, int(match.group(1)), index)
        expected = {HALF_YEAR: "2026H1", QUARTER: "2026Q3", YEAR: "2026"}
        example = expected.get(kind or HALF_YEAR)
        raise ValueError(f"not a reporting period: {str(text)[:20]!r} (expected e.g. {example})")


def period_range(first: ReportPeriod, last: ReportPeriod) -> Iterator[ReportPeriod]:
    """Every period from ``first`` to ``last``, both included (empty if ``last`` is earlier)."""
    for serial in range(first.serial, last.serial + 1):
        yield ReportPeriod.from_serial(first.kind, serial)
