"""The quarter as a small value type: ``Quarter(2020, 4)``, ``str() == "2020Q4"``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[-_ ]?[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter; ordered, hashable, and steppable with ``+``/``-`` an int of quarters."""

    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4:
            raise ValueError(f"quarter must be 1..4, not {self.quarter}")
        if not 1900 <= self.year <= 2999:
            raise ValueError(f"year out of range: {self.year}")

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def index(self) -> int:
        """Quarters since year 0; differences of indexes count quarters."""
        return self.year * 4 + self.quarter - 1

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        return cls(index // 4, index % 4 + 1)

    def __add__(self, n: int) -> Quarter:
        return Quarter.from_index(self.index + n)

    def __sub__(self, other: int | Quarter):
        if isinstance(other, Quarter):
            return self.index - other.index
        return Quarter.from_index(self.index - other)

    @property
    def end_date(self) -> dt.date:
        """The last day of the quarter (the stock's snapshot date)."""
        month = self.quarter * 3
        next_first = dt.date(self.year + (month == 12), month % 12 + 1, 1)
        return next_first - dt.timedelta(days=1)

    @classmethod
    def of_date(cls, date: dt.date) -> Quarter:
        return cls(date.year, (date.month - 1) // 3 + 1)

    @classmethod
    def last_complete(cls, today: dt.date | None = None) -> Quarter:
        """The latest quarter that has ended by ``today``."""
        return cls.of_date(today or dt.date.today()) - 1

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``2020Q4`` (also ``2020-Q4``, ``2020 q4``); ValueError otherwise."""
        match = _QUARTER_RE.match(str(text))
        if not match:
            raise ValueError(f"not a quarter: {text!r} (expected e.g. 2020Q4)")
        return cls(int(match.group(1)), int(match.group(2)))


def first_quarter() -> Quarter:
    """The first quarter counts may be entered for (``CERTTRACK_FIRST_QUARTER``, default
    2015Q1): nothing from the distant past; every quarter parameter before it is refused."""
    from django.conf import settings

    return Quarter.parse(settings.CERTTRACK["FIRST_QUARTER"])


def last_open_quarter(today: dt.date) -> Quarter:
    """The latest quarter whose counts may be entered on ``today``: a quarter-end stock is known
    on the quarter's last day at the earliest, so a quarter opens on its last day."""
    current = Quarter.of_date(today)
    return current if today >= current.end_date else current - 1


def open_quarters(today: dt.date) -> list[Quarter]:
    """Every quarter that may be entered on ``today``, newest first: from
    :func:`last_open_quarter` back to :func:`first_quarter`."""
    last, first = last_open_quarter(today), first_quarter()
    return [Quarter.from_index(i) for i in range(last.index, first.index - 1, -1)]


def quarter_range(start: Quarter, end: Quarter) -> Iterator[Quarter]:
    """Every quarter from ``start`` to ``end``, both included."""
    for index in range(start.index, end.index + 1):
        yield Quarter.from_index(index)
