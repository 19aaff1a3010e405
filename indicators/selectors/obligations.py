"""Reporting obligations, defined once: for a scope of regions and a quarter, which units must
report, which have, which are late and since when, which wait for review and since when.

Every reader of these facts calls this module (docs/progress.md, "Reporting obligations"): the
review queue and its reporting rate, the brief's reporting section, the to-do homes and the
header badge (work.selectors.todo), the reminder digests (notifications.digests) and the
assessment's timeliness. Statuses and times only: no value is read or summed here.

The rules:

* **Who must report** a quarter: every active reporting unit of the scope (a zone such as
  兰州新区 included: it reports on its own), whatever its parent has entered.
* **Status** of a unit-quarter: :func:`indicators.selectors.entry.submission_status` of its own
  counts (not started, draft, returned, submitted, approved).
* **Reported**: submitted or approved now.
* **On time**: the unit's *first* complete submission of the quarter (every indicator submitted
  at least once; the latest of the counts' ``first_submitted_at``) came before the deadline
  (:func:`~indicators.selectors.entry.submission_deadline`). A return or reopen, and the time
  the count then spends returned, never changes it: a reopen never makes a unit late.
* **Late**: not on time and not reported now, once the last on-time day has passed; late since
  the day after that last day.
* **Waiting for review**: submitted; waiting since the current round's submission (the latest
  ``submitted_at`` of its counts).

Each function runs a constant number of queries whatever the number of regions or quarters
(aggregates grouped in the database, no query per region).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import reduce

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Collate
from django.utils import timezone

from indicators.models import Indicator, QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.entry import (
    NOT_STARTED,
    REPORTED_STATUSES,
    SUBMISSION_STATUS_LABELS,
    submission_deadline,
    submission_last_day,
    submission_status,
)
from regions.models import Membership, Region

S = QuarterlyCount.Status


@dataclass(frozen=True)
class Obligation:
    """One region's submission for one quarter, as every reader of reporting sees it.

    ``first_submitted_at``: when the submission was first complete (None: never); ``submitted_at``:
    the current round's submission; ``reviewed_at``: the latest review (approve/return/reopen).
    ``has_official``: someone can enter the region's counts (a unit without one is named to its
    reviewers). ``today``: the day the answer is for.
    """

    region: Region
    period: Quarter
    status: str
    today: dt.date
    first_submitted_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    reviewed_at: dt.datetime | None = None
    has_official: bool = True

    @property
    def status_label(self) -> str:
        return str(SUBMISSION_STATUS_LABELS[self.status])

    @property
    def last_day(self) -> dt.date:
        """The last day a first submission is on time (inclusive)."""
        return submission_last_day(self.period)

    @property
    def reported(self) -> bool:
        """Submitted or approved now."""
        return self.status in REPORTED_STATUSES

    @property
    def on_time(self) -> bool:
        """The first complete submission came before the deadline (whatever happened since)."""
        return (
            self.first_submitted_at is not None
            and self.first_submitted_at < submission_deadline(self.period)
        )

    @property
    def due_passed(self) -> bool:
        return _due_passed(self.period, self.today)

    @property
    def late(self) -> bool:
        """Not on time, not reported now, and the last on-time day has passed."""
        return self.due_passed and not self.on_time and not self.reported

    @property
    def late_since(self) -> dt.date | None:
        """The first day the unit is late (the day after the last on-time day)."""
        return self.last_day + dt.timedelta(days=1) if self.late else None

    @property
    def days_late(self) -> int:
        return (self.today - self.last_day).days if self.late else 0

    @property
    def waiting(self) -> bool:
        """Submitted: waits for a reviewer."""
        return self.status == S.SUBMITTED

    @property
    def waiting_since(self) -> dt.datetime | None:
        """When the current round was submitted (a resubmission starts a new wait)."""
        return self.submitted_at if self.waiting else None

    @property
    def waited_days(self) -> int | None:
        if self.waiting_since is None:
            return None
        return (self.today - timezone.localtime(self.waiting_since).date()).days


def _due_passed(period: Quarter, today: dt.date) -> bool:
    """The last on-time day of ``period`` has passed on ``today``."""
    return today > submission_last_day(period)


@dataclass(frozen=True)
class ObligationSummary:
    """One quarter's reporting over a scope: units expected, reported, on time, late, waiting."""

    period: Quarter
    rows: list[Obligation]

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def reported(self) -> list[Obligation]:
        return [r for r in self.rows if r.reported]

    @property
    def not_reported(self) -> list[Obligation]:
        return [r for r in self.rows if not r.reported]

    @property
    def on_time(self) -> list[Obligation]:
        return [r for r in self.rows if r.on_time]

    @property
    def late(self) -> list[Obligation]:
        return [r for r in self.rows if r.late]

    @property
    def waiting(self) -> list[Obligation]:
        return [r for r in self.rows if r.waiting]

    @property
    def by_status(self) -> dict[str, int]:
        out = {s: 0 for s in SUBMISSION_STATUS_LABELS}
        for r in self.rows:
            out[r.status] += 1
        return out


def _period_q(periods: Iterable[Quarter], prefix: str = "") -> Q:
    return reduce(
        operator.or_,
        (Q(**{f"{prefix}year": p.year, f"{prefix}quarter": p.quarter}) for p in periods),
    )


def _figures(prefix: str = "") -> dict:
    """The figures that decide a region-quarter's status, as aggregates over its counts (reached
    through ``prefix``): read by :func:`_status`, :func:`_obligation` and, in the database,
    :func:`_status_filter`, :func:`reported_expression` and :func:`late_expression`."""
    status = f"{prefix}status"
    return {
        "n": Count(f"{prefix}id"),
        "n_returned": Count(f"{prefix}id", filter=Q(**{status: S.RETURNED})),
        "n_draft": Count(f"{prefix}id", filter=Q(**{status: S.DRAFT})),
        "n_submitted": Count(f"{prefix}id", filter=Q(**{status: S.SUBMITTED})),
        "n_approved": Count(f"{prefix}id", filter=Q(**{status: S.APPROVED})),
        "n_first": Count(f"{prefix}first_submitted_at"),
        "first": Max(f"{prefix}first_submitted_at"),
        "submitted": Max(f"{prefix}submitted_at"),
        "reviewed": Max(f"{prefix}reviewed_at"),
    }


def _submissions(counts: QuerySet[QuarterlyCount]):
    """Each (region, quarter) of ``counts`` with the figures that decide its status: one
    grouped query."""
    # order_by(): the model's ordering would otherwise join the GROUP BY (a row per indicator).
    return counts.order_by().values("region_id", "year", "quarter").annotate(**_figures())


def _status(row: dict, expected: int) -> str:
    statuses = (
        [S.RETURNED] * row["n_returned"]
        + [S.DRAFT] * row["n_draft"]
        + [S.SUBMITTED] * row["n_submitted"]
        + [S.APPROVED] * row["n_approved"]
    )
    return submission_status(statuses=statuses, expected=expected)


def _covered(path: str, paths: set[str]) -> bool:
    """Whether ``path`` lies under one of ``paths`` (materialized paths "/100000/620000/"): a
    look-up per ancestor, not a test per path (3 million tests, 5 s, for a national reviewer's
    late units; issue 25)."""
    if "/" in paths:  # every region
        return True
    parts = path.strip("/").split("/")
    return any("/" + "/".join(parts[: i + 1]) + "/" in paths for i in range(len(parts)))


# Within shared_reads(): what every person's obligations read alike is read once per run.
_SHARED: ContextVar[dict | None] = ContextVar("obligations_shared_reads", default=None)


@contextmanager
def shared_reads():
    """Read what is the same for every person (the officials' regions, the number of
    indicators) once for everything built inside: send_reminders builds thousands of digests
    in a run (each official's read the 3,190 officials' paths again: issue 25). A write during
    the run shows from the next run on, as for a mail already built. Inside another
    ``shared_reads()`` (a home built during a run), the outer one's reads are kept."""
    if _SHARED.get() is not None:
        yield
        return
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shared(name: str, compute):
    memo = _SHARED.get()
    if memo is None:
        return compute()
    if name not in memo:
        memo[name] = compute()
    return memo[name]


def _indicator_count() -> int:
    return _shared("indicators", Indicator.objects.count)


def _official_paths() -> set[str]:
    """Paths of regions where an active official works (an official enters below too)."""
    return _shared("official_paths", _read_official_paths)


def _read_official_paths() -> set[str]:
    # order_by(): the model's ordering (user, path, role) would join the DISTINCT and sort
    # 3,000 memberships by user name (16 ms a call at national scale).
    return set(
        Membership.objects.filter(
            role=Membership.Role.OFFICIAL, region__active=True, user__is_active=True
        )
        .order_by()
        .values_list("region__path", flat=True)
        .distinct()
    )


def _obligation(
    region: Region, period: Quarter, row: dict | None, *, expected: int, today, paths
) -> Obligation:
    if row is None:
        status, first, submitted, reviewed = NOT_STARTED, None, None, None
    else:
        status = _status(row, expected)
        # First complete: every indicator's count submitted at least once.
        first = row["first"] if row["n_first"] >= expected else None
        submitted, reviewed = row["submitted"], row["reviewed"]
    return Obligation(
        region=region,
        period=period,
        status=status,
        today=today,
        first_submitted_at=first,
        submitted_at=submitted,
        reviewed_at=reviewed,
        has_official=_covered(region.path, paths),
    )


def first_complete_expression(*, expected: int, prefix: str = "") -> Q:
    """A first complete submission exists (every indicator's count submitted at least once:
    :func:`_obligation`'s ``first``), as a database condition over a grouped row that has
    ``n_first`` (the counts ever submitted)."""
    return Q(**{f"{prefix}n_first__gte": expected})


def on_time_expression(
    *, period: Quarter, expected: int, prefix: str = "", first: str = "first_submitted_at"
) -> Case:
    """The on-time rule as a database expression over a grouped row that has ``n_first`` (the
    counts ever submitted) and ``first`` (their latest first submission): the review queue
    sorts and filters by it. Same rule as :attr:`Obligation.on_time`."""
    return Case(
        When(
            first_complete_expression(expected=expected, prefix=prefix),
            **{f"{prefix}{first}__lt": submission_deadline(period)},
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def reported_expression(*, expected: int) -> Q:
    """:attr:`Obligation.reported` as a database condition over rows with the figures of
    :func:`_figures` (a unit without counts has ``n`` = 0): the submission status is one of
    ``REPORTED_STATUSES`` (:func:`_status_filter`, the status rule in the database)."""
    return _status_filter(REPORTED_STATUSES, expected)


def late_expression(*, period: Quarter, expected: int, today: dt.date) -> Q:
    """:attr:`Obligation.late` as a database condition over rows with the figures of
    :func:`_figures` and ``first_submitted_at``: the last on-time day has passed, the unit was
    not on time (:func:`on_time_expression`) and is not reported now
    (:func:`reported_expression`)."""
    due_passed = Value(_due_passed(period, today), output_field=BooleanField())
    return (
        Q(due_passed)
        & ~Q(on_time_expression(period=period, expected=expected))
        & ~reported_expression(expected=expected)
    )


def reporting_units(scope: Q) -> QuerySet[Region]:
    """The units that must report: every active reporting unit of ``scope`` (a ``Q`` on
    Region), in the tree's order."""
    return Region.objects.filter(scope, active=True, is_reporting_unit=True).order_by("path")


def reporting_obligations(
    *, scope: Q, periods: Sequence[Quarter], today: dt.date, officials: bool = True
) -> list[Obligation]:
    """Every reporting unit of ``scope`` × ``periods``, each with its status, on-time, late and
    waiting facts (see the module's rules). In the tree's order, then by quarter. Four queries
    (indicators, units, counts grouped, officials) whatever the number of units or quarters;
    three with ``officials=False`` (``has_official`` is then True throughout)."""
    periods = list(periods)
    if not periods:
        return []
    expected = _indicator_count()
    units = list(reporting_units(scope))
    if not units:
        return []
    # The units as a subquery, not a list of 3,000 ids: one join in the database (a statement of
    # thousands of parameters took twice as long to compile and plan; issue 25).
    rows = _submissions(
        QuarterlyCount.objects.filter(region__in=reporting_units(scope).values("pk")).filter(
            _period_q(periods)
        )
    )
    by_key = {(r["region_id"], Quarter(r["year"], r["quarter"])): r for r in rows}
    paths = _official_paths() if officials else {"/"}
    return [
        _obligation(u, p, by_key.get((u.pk, p)), expected=expected, today=today, paths=paths)
        for u in units
        for p in periods
    ]


def _official_paths_over(unit_paths: Iterable[str]) -> set[str]:
    """Of :func:`_official_paths`, those over the given units (the units themselves and their
    ancestors): all :func:`_covered` needs for them, read for a few units without reading
    every official (or taken from a run's shared reads)."""
    memo = _SHARED.get()
    if memo is not None and "official_paths" in memo:
        return memo["official_paths"]
    over = set()
    for path in unit_paths:
        parts = path.strip("/").split("/")
        over |= {"/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))}
    if not over:
        return set()
    return set(
        Membership.objects.filter(
            role=Membership.Role.OFFICIAL,
            region__active=True,
            user__is_active=True,
            region__path__in=sorted(over),
        )
        .order_by()
        .values_list("region__path", flat=True)
        .distinct()
    )


def quarter_obligations(
    *, scope: Q, period: Quarter, today: dt.date, officials: bool = True
) -> ObligationSummary:
    """One quarter's obligations over ``scope`` (:func:`reporting_obligations`)."""
    rows = reporting_obligations(scope=scope, periods=[period], today=today, officials=officials)
    return ObligationSummary(period=period, rows=rows)


def subtree_scope(region: Region) -> Q:
    """``region`` and everything below it, as a scope."""
    return Q(path__startswith=region.path)


def _status_filter(statuses: Sequence[str], expected: int) -> Q:
    """The grouped rows whose submission status (:func:`_status`) is one of ``statuses``, in
    the database, so that a count answers without fetching the rows. A row without counts
    (``n`` = 0: a unit joined to none) is not started."""
    parts = {
        NOT_STARTED: Q(n=0),
        S.RETURNED: Q(n_returned__gt=0),
        S.DRAFT: Q(n__gt=0, n_returned=0) & (Q(n_draft__gt=0) | Q(n__lt=expected)),
        S.SUBMITTED: Q(n_returned=0, n_draft=0, n_submitted__gt=0, n__gte=expected),
        S.APPROVED: Q(n__gt=0, n_returned=0, n_draft=0, n_submitted=0, n__gte=expected),
    }
    return reduce(operator.or_, (parts[s] for s in statuses))


def _open_rows(scope: Q, statuses: Sequence[str], expected: int):
    counts = QuarterlyCount.objects.filter(scope, region__active=True)
    if {S(s) for s in statuses} <= {S.SUBMITTED, S.RETURNED}:
        # A submitted (returned) submission has at least one count in that status: group only
        # the region-quarters that have one, found through the partial index on submitted
        # counts, instead of every count of the scope (408,000 for a national reviewer: 1.3 s
        # for the header's badge; issue 25). The same rows, since _status_filter asks for
        # n_submitted > 0 (n_returned > 0) anyway.
        counts = counts.filter(
            Exists(
                QuarterlyCount.objects.filter(
                    region_id=OuterRef("region_id"),
                    year=OuterRef("year"),
                    quarter=OuterRef("quarter"),
                    status__in=list(statuses),
                )
            )
        )
    return _submissions(counts).filter(_status_filter(statuses, expected))


def open_submissions(
    *, scope: Q, statuses: Sequence[str], today: dt.date, limit: int | None = None
) -> list[Obligation]:
    """Region-quarters of any quarter whose submission is in one of ``statuses`` (e.g.
    *submitted*: waiting for review; *returned*/*draft*: back with the official). ``scope`` is
    a ``Q`` on QuarterlyCount (``access.review_q("region__")``); any region with counts of its
    own, reporting unit or not. Oldest wait first for submitted ones. Four queries. ``limit``:
    only the first ``limit`` (:func:`open_submissions_page`)."""
    if limit is not None:
        return open_submissions_page(scope=scope, statuses=statuses, today=today, limit=limit)[0]
    expected = _indicator_count()
    rows = list(_open_rows(scope, statuses, expected))
    paths = _official_paths() if rows else set()
    return _open_obligations(rows, expected=expected, today=today, paths=lambda regions: paths)


def open_submissions_page(
    *, scope: Q, statuses: Sequence[str], today: dt.date, limit: int
) -> tuple[list[Obligation], int]:
    """The first ``limit`` of :func:`open_submissions` (oldest submission first, in the
    database) and how many there are in all (:func:`open_submission_count`'s number), for a
    bounded list: one grouped query, the total a window count over the same grouped rows, so
    the region-quarters are grouped once, not once for the page and again for its total
    (issue 25). The officials are read over the shown units only. Four queries at any size."""
    if limit <= 0:
        return [], open_submission_count(scope=scope, statuses=statuses)
    expected = _indicator_count()
    order = F("submitted").asc(nulls_first=True)
    rows = list(
        _open_rows(scope, statuses, expected)
        .annotate(open_total=Window(Count("*")))
        .order_by(order, _path_order("region__path"), "year", "quarter")[:limit]
    )
    total = rows[0]["open_total"] if rows else 0
    out = _open_obligations(
        rows,
        expected=expected,
        today=today,
        paths=lambda regions: _official_paths_over(r.path for r in regions),
    )
    return out, total


def _open_obligations(
    rows: list[dict], *, expected: int, today: dt.date, paths
) -> list[Obligation]:
    """The grouped rows of :func:`_open_rows` as obligations with their regions (one query),
    oldest wait first; ``paths(regions)``: the officials' paths that decide ``has_official``."""
    regions = Region.objects.in_bulk([r["region_id"] for r in rows])
    official = paths(regions.values()) if rows else set()
    out = [
        _obligation(
            regions[r["region_id"]],
            Quarter(r["year"], r["quarter"]),
            r,
            expected=expected,
            today=today,
            paths=official,
        )
        for r in rows
    ]
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    out.sort(key=lambda o: (o.submitted_at or epoch, o.region.path, o.period.index))
    return out


def _path_order(field: str):
    """Paths ordered by code point in the database, as Python sorts the full lists (a
    PostgreSQL database created with a language's collation ignores the slashes)."""
    return Collate(field, "C") if connection.vendor == "postgresql" else F(field)


def open_submission_count(*, scope: Q, statuses: Sequence[str]) -> int:
    """How many region-quarters :func:`open_submissions` would list (two queries)."""
    expected = _indicator_count()
    return _open_rows(scope, statuses, expected).count()
