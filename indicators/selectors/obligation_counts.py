"""Reporting obligations chosen and counted in the database: a home's first units not reported
(or late) with their total, and a quarter's totals for the review queue, without making an
:class:`~indicators.selectors.obligations.Obligation` per unit (issue 25: 3,190 of them for a
national page that shows ten or fifty).

The rules are those of :mod:`indicators.selectors.obligations`, read there as database
expressions (:func:`~indicators.selectors.obligations.reported_expression`,
:func:`~indicators.selectors.obligations.late_expression`,
:func:`~indicators.selectors.obligations.on_time_expression`); the units shown, and each group
counted, are decided by its :class:`Obligation` rules. tests/selectors/test_obligations_sql.py
checks both ways agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    When,
    Window,
)

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.entry import SUBMISSION_STATUS_LABELS, submission_deadline
from indicators.selectors.obligations import (
    Obligation,
    S,
    _figures,
    _indicator_count,
    _obligation,
    _official_paths_over,
    _period_q,
    _status_filter,
    _submissions,
    late_expression,
    on_time_expression,
    reported_expression,
    reporting_units,
)
from regions.models import Region


def unreported_page(
    *, scope: Q, period: Quarter, today: dt.date, limit: int, late_only: bool = False
) -> tuple[list[Obligation], int]:
    """The first ``limit`` units of ``scope`` not reported for ``period`` (only the late ones
    with ``late_only``), in the order of :func:`reporting_units`, and how many there are in all:
    the obligations of :func:`quarter_obligations` (same rules, same rows), for a home that
    shows the first few. The units are chosen and counted in the database
    (:func:`reported_expression`, :func:`late_expression`); only the ``limit`` shown are read
    and made obligations (every unit was, 3,190 of them for a national home that shows ten;
    issue 25). Three queries (indicators, page with its total, officials), whatever the units'
    number."""
    expected = _indicator_count()
    units = _unit_figures(scope, period).filter(~reported_expression(expected=expected))
    if late_only:
        units = units.filter(late_expression(period=period, expected=expected, today=today))
    if limit > 0:
        # The total beside each row shown (counted over the same rows, after the filter): the
        # units are grouped once, not once for the page and again for a count.
        shown = list(units.annotate(total=Window(Count("*")))[:limit])
        total = shown[0].total if shown else 0
    else:
        shown, total = [], units.count()
    paths = _official_paths_over(u.path for u in shown)  # the officials over them only
    return [
        _obligation(u, period, _unit_row(u), expected=expected, today=today, paths=paths)
        for u in shown
    ], total


def unreported_pages(
    *, scope: Q, period: Quarter, today: dt.date, limit: int
) -> tuple[tuple[list[Obligation], int], tuple[list[Obligation], int]]:
    """:func:`unreported_page` and ``unreported_page(late_only=True)`` of the same ``scope``
    from one grouped query: the not-reported units, each with a late flag, both totals counted
    beside them and only the first ``limit`` of each list read (a row number over all, a
    running count of the late ones). For a home that shows both over the same regions (a
    superuser's: review and view scopes both everything), which grouped the quarter's counts
    twice (issue 25). The windows are written around the grouped query's SQL, so the rules'
    conditions are compiled once, then the figures of the units shown are read. Four queries,
    whatever the units' number."""
    if limit <= 0:
        return (
            unreported_page(scope=scope, period=period, today=today, limit=0),
            unreported_page(scope=scope, period=period, today=today, limit=0, late_only=True),
        )
    expected = _indicator_count()
    late = late_expression(period=period, expected=expected, today=today)
    units = (
        _unit_figures(scope, period)
        .filter(~reported_expression(expected=expected))
        .annotate(is_late=Case(When(late, then=1), default=0, output_field=IntegerField()))
        .only("pk", "path")  # what the windows read: not the regions' names, grouped beside
        .order_by()
    )
    sql, params = units.query.sql_with_params()
    with connection.cursor() as cursor:
        # Paths in reporting_units' order (the database's collation, as order_by("path")).
        cursor.execute(
            "SELECT id, place, is_late, total, late_total FROM (SELECT u.id, u.is_late,"
            " ROW_NUMBER() OVER (ORDER BY u.path) AS place,"
            " SUM(u.is_late) OVER (ORDER BY u.path) * u.is_late AS late_place,"
            " COUNT(*) OVER () AS total, SUM(u.is_late) OVER () AS late_total"
            f" FROM ({sql}) u) w"
            " WHERE w.place <= %s OR (w.late_place >= 1 AND w.late_place <= %s)"
            " ORDER BY w.place",
            (*params, limit, limit),
        )
        picked = cursor.fetchall()
    if not picked:
        return ([], 0), ([], 0)
    # The figures of the units picked only (at most twice ``limit``), by the grouped query.
    figures = {u.pk: u for u in _unit_figures(Q(pk__in=[r[0] for r in picked]), period)}
    # The officials over the units picked only (every official's region was read: 3,000
    # paths, ≈ 5 ms of a national home for twenty units; issue 25).
    paths = _official_paths_over(u.path for u in figures.values())
    made = {
        pk: _obligation(u, period, _unit_row(u), expected=expected, today=today, paths=paths)
        for pk, u in figures.items()
    }
    shown = [made[pk] for pk, place, *_ in picked if place <= limit]
    late_shown = [made[pk] for pk, _place, is_late, *_ in picked if is_late]
    return (shown, picked[0][3]), (late_shown, int(picked[0][4]))


def _unit_figures(scope: Q, period: Quarter) -> QuerySet[Region]:
    """:func:`reporting_units` of ``scope``, each with the figures of its counts for ``period``
    (:func:`_figures`; zero counts for a unit without any): the quarter's counts joined on the
    quarter, one grouped query. ``first_submitted_at`` names ``first`` for
    :func:`on_time_expression`."""
    return (
        reporting_units(scope)
        .annotate(
            qc=FilteredRelation(
                "counts", condition=Q(counts__year=period.year, counts__quarter=period.quarter)
            )
        )
        .annotate(**_figures("qc__"))
        .annotate(first_submitted_at=F("first"))
    )


def _unit_row(unit: Region) -> dict | None:
    """A unit of :func:`_unit_figures` as the grouped row :func:`_obligation` reads (None
    without counts: not started)."""
    return {name: getattr(unit, name) for name in _figures()} if unit.n else None


@dataclass(frozen=True)
class _UnitRef:
    """A stand-in for a region where only its key and path are read (the rules read no more)."""

    pk: int
    path: str


@dataclass(frozen=True)
class ObligationTotals:
    """How many of one quarter's obligations over a scope are in each standing: the numbers
    of :class:`ObligationSummary`, counted without its rows."""

    period: Quarter
    expected: int
    reported: int
    on_time: int
    late: int
    waiting: int
    by_status: dict[str, int]


def quarter_totals(*, scope: Q, period: Quarter, today: dt.date) -> ObligationTotals:
    """The totals of :func:`quarter_obligations`, counted in the database without reading the
    units: a national reviewer's queue shows fifty units beside these totals, and read 3,190
    regions (and built as many obligations) to count them (issue 25). The units with counts
    are counted by submission status and on-time (:func:`_status_filter` and
    :func:`on_time_expression`, the rules as database expressions); each such group, and the
    units without counts (not started), then stands as one :class:`Obligation` whose rules
    decide reported, late and waiting. Three queries."""
    expected = _indicator_count()
    units = reporting_units(scope).order_by()
    on_time = Q(on_time_expression(period=period, expected=expected, first="first"))
    groups = {
        (status, punctual): Count(
            "region_id",
            filter=_status_filter([status], expected) & (on_time if punctual else ~on_time),
        )
        for status in (S.RETURNED, S.DRAFT, S.SUBMITTED, S.APPROVED)
        for punctual in (True, False)
    }
    names = {f"g{i}": key for i, key in enumerate(groups)}
    counted = _submissions(
        QuarterlyCount.objects.filter(region__in=units.values("pk")).filter(_period_q([period]))
    ).aggregate(**{name: groups[key] for name, key in names.items()})
    # An obligation with the group's standing: its first complete submission on time or none.
    on_time_first = submission_deadline(period) - dt.timedelta(microseconds=1)
    standings = [
        (
            Obligation(
                region=_UnitRef(0, "/"),
                period=period,
                status=status,
                today=today,
                first_submitted_at=on_time_first if punctual else None,
            ),
            counted[name],
        )
        for name, (status, punctual) in names.items()
    ]
    with_counts = sum(n for _o, n in standings)
    blank = _obligation(_UnitRef(0, "/"), period, None, expected=expected, today=today, paths={"/"})
    standings.append((blank, units.count() - with_counts))
    by_status = {s: 0 for s in SUBMISSION_STATUS_LABELS}
    tally = {"reported": 0, "on_time": 0, "late": 0, "waiting": 0}
    for o, n in standings:
        by_status[o.status] += n
        for name in tally:
            tally[name] += n * getattr(o, name)
    return ObligationTotals(
        period=period, expected=sum(by_status.values()), by_status=by_status, **tally
    )
