"""Timeliness and quality of a division's reporting: its units' obligations (the reporting
obligations selector: first submission, deadline) with the first decision on each submission,
and the fractions they make (docs/progress.md, "Assessment").

The rules are written once in Python (:class:`UnitQuarter`, :func:`timeliness_of`,
:func:`quality_of`) and beside them as database conditions (:func:`unit_quarter_flags`, built
on ``obligations.on_time_expression``), by which :func:`division_reporting` sums them per
division without making a Python object per unit-quarter."""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex, Substr
from django.utils import timezone

from indicators.models import CountEvent, QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.assessment.base import HUNDRED, Component, Reason
from indicators.selectors.entry import submission_deadline, submission_last_day
from indicators.selectors.obligations import (
    _figures,
    _indicator_count,
    first_complete_expression,
    on_time_expression,
    reporting_obligations,
    reporting_units,
    shared_reads,
)
from regions.models import Region


@dataclass(frozen=True)
class UnitQuarter:
    """One reporting unit's obligation for one quarter, as timeliness and quality read it:
    the deadline (last day), the first submission, the first decision on it."""

    unit: Region
    quarter: Quarter
    last_day: dt.date
    first_submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision: str  # "approved", "returned", "" (awaiting review, or nothing submitted)
    due: bool = True  # the deadline has passed or the unit has submitted
    # submission_deadline(quarter), computed once per quarter by unit_quarters: the rule asked
    # for it anew for each of the nation's 12,760 unit-quarters, twice (issue 25.3).
    deadline: dt.datetime | None = None

    @property
    def submitted(self) -> bool:
        return self.first_submitted_at is not None

    @property
    def on_time(self) -> bool:
        deadline = self.deadline or submission_deadline(self.quarter)
        return self.submitted and self.first_submitted_at < deadline

    @property
    def quality(self) -> str:
        """ "clean" (approved, never returned), "returned", "awaiting" (counts neither way) or
        "missing" (nothing submitted: no credit)."""
        if not self.submitted:
            return "missing"
        if self.decision == "returned":
            return "returned"
        return "clean" if self.decision == "approved" else "awaiting"

    @property
    def costs_points(self) -> bool:
        """Due and not on time (late, or not submitted), or returned: what a division's "why"
        lists first."""
        return (self.due and not self.on_time) or self.decision == "returned"


# The rules above as database conditions over a unit-quarter's figures (its counts':
# obligations._figures and _decision_figures), for the sums per division of
# division_reporting; tests/selectors/test_assessment_sql.py checks both forms agree.


def _decision_figures() -> dict:
    """What decides a unit-quarter's first decision (:func:`_first_decisions`), as aggregates
    over its counts: how many were ever returned, and how many were ever approved (an approval
    event, or approved as stored with a review time: older data without events)."""
    A = CountEvent.Action

    def event(action):
        return Q(Exists(CountEvent.objects.filter(count_id=OuterRef("id"), action=action)))

    stored = Q(status=QuarterlyCount.Status.APPROVED, reviewed_at__isnull=False)
    return {
        "n_returned_ever": Count("id", filter=event(A.RETURN)),
        "n_approved_ever": Count("id", filter=event(A.APPROVE) | stored),
    }


def returned_expression(*, expected: int) -> Q:
    """``decision == "returned"``: submitted, and one of its counts was returned."""
    return first_complete_expression(expected=expected) & Q(n_returned_ever__gt=0)


def approved_expression(*, expected: int) -> Q:
    """``decision == "approved"``: submitted, never returned, every count approved."""
    return first_complete_expression(expected=expected) & Q(
        n_returned_ever=0, n__gt=0, n_approved_ever=F("n")
    )


def due_expression(*, period: Quarter, expected: int, now: dt.datetime) -> Q:
    """:attr:`UnitQuarter.due`: submitted, or the deadline has passed at ``now``."""
    passed = Value(now >= submission_deadline(period), output_field=BooleanField())
    return Q(passed) | first_complete_expression(expected=expected)


def _awaiting_expression(*, expected: int) -> Q:
    """``quality == "awaiting"``: submitted, neither returned nor approved."""
    return (
        first_complete_expression(expected=expected)
        & ~returned_expression(expected=expected)
        & ~approved_expression(expected=expected)
    )


def unit_quarter_flags(*, period: Quarter, expected: int, now: dt.datetime) -> dict[str, Q]:
    """What :func:`timeliness_of` and :func:`quality_of` count, and the "why"'s order, as
    conditions over a unit-quarter's figures (``n``, ``n_first``, ``first``,
    ``n_returned_ever``, ``n_approved_ever``): ``due``; ``on_time``
    (:func:`~indicators.selectors.obligations.on_time_expression`); ``clean`` (due and
    ``quality == "clean"``); ``judged`` (due and not awaiting); ``costs``
    (:attr:`UnitQuarter.costs_points`)."""
    due = due_expression(period=period, expected=expected, now=now)
    on_time = Q(on_time_expression(period=period, expected=expected, first="first"))
    return {
        "due": due,
        "on_time": due & on_time,
        "clean": due & approved_expression(expected=expected),
        "judged": due & ~_awaiting_expression(expected=expected),
        "costs": (due & ~on_time) | returned_expression(expected=expected),
    }


def unit_quarters(
    *, children: Sequence[Region], quarters: Sequence[Quarter], now=None
) -> dict[int, list[UnitQuarter]]:
    """Each child's reporting obligations for ``quarters`` (``obligations.reporting_obligations``:
    its reporting units, the child itself and the reporting divisions below it; a zone reports
    on its own, for no division), with the first decision on each submission: the first return,
    else the moment the last of its counts was first approved. A return or reopen and what
    follows never move the first submission; a reopen is no decision. Child id → obligations,
    in a constant number of queries."""
    now = now or timezone.now()
    if not children or not quarters:
        return {}
    return _unit_quarters(
        scope=_children_scope(children), children=children, quarters=quarters, now=now
    )


def _unit_quarters(
    *, scope: Q, children: Sequence[Region], quarters: Sequence[Quarter], now
) -> dict[int, list[UnitQuarter]]:
    """:func:`unit_quarters` of the units of ``scope`` (under ``children``)."""
    # officials=False: whether a unit has an official is no part of the assessment.
    obligations = reporting_obligations(
        scope=scope, periods=quarters, today=timezone.localtime(now).date(), officials=False
    )
    decisions = _first_decisions(scope, quarters)
    deadlines = {q: submission_deadline(q) for q in quarters}
    last_days = {q: submission_last_day(q) for q in quarters}
    child_of = _child_by_unit(children, {o.region.pk: o.region for o in obligations}.values())
    out: dict[int, list[UnitQuarter]] = defaultdict(list)
    for o in obligations:
        decision, decided = decisions.get((o.region.pk, o.period), ("", None))
        submitted = o.first_submitted_at is not None
        out[child_of[o.region.pk].pk].append(
            UnitQuarter(
                unit=o.region,
                quarter=o.period,
                last_day=last_days[o.period],
                first_submitted_at=o.first_submitted_at,
                decided_at=decided if submitted else None,
                decision=decision if submitted else "",
                due=submitted or now >= deadlines[o.period],
                deadline=deadlines[o.period],
            )  # fmt: skip
        )
    return out


def _child_by_unit(children: Sequence[Region], units) -> dict[int, Region]:
    """Unit id → the first of ``children`` whose path starts the unit's path (a look-up per
    ancestor of each unit, not a test per child for each of its quarters)."""
    by_path = {child.path: (i, child) for i, child in reversed(list(enumerate(children)))}
    out = {}
    for unit in units:
        parts = unit.path.strip("/").split("/")
        found = [
            by_path[path]
            for i in range(len(parts))
            if (path := "/" + "/".join(parts[: i + 1]) + "/") in by_path
        ]
        if found:
            out[unit.pk] = min(found, key=lambda f: f[0])[1]
    return out


def _first_decisions(scope: Q, quarters) -> dict[tuple[int, Quarter], tuple[str, dt.datetime]]:
    """(unit id, quarter) → the first decision on its submission ("returned" at the first
    return of any of its counts, else "approved" once every count has been approved, at the
    last of their first approvals). Two queries, the units and counts as subqueries (no list
    of ids however large the scope)."""
    counts: dict[tuple[int, Quarter], list[int]] = defaultdict(list)
    approved_at: dict[int, dt.datetime] = {}
    # The quarters themselves, not their whole years (twice the counts read), each Quarter
    # built once: the nation's four quarters are 25,000 counts.
    wanted = {(q.year, q.quarter): q for q in quarters}
    in_scope = QuarterlyCount.objects.filter(
        reduce(operator.or_, (Q(year=q.year, quarter=q.quarter) for q in quarters)),
        region__in=Region.objects.filter(scope, active=True, is_reporting_unit=True),
    )
    for pk, region_id, year, quarter, status, reviewed in in_scope.values_list(
        "pk", "region_id", "year", "quarter", "status", "reviewed_at"
    ):
        period = wanted.get((year, quarter))
        if period is not None:
            counts[(region_id, period)].append(pk)
            if status == QuarterlyCount.Status.APPROVED and reviewed is not None:
                approved_at[pk] = reviewed  # approved without an event (older data): as stored
    returned_at: dict[int, dt.datetime] = {}
    first_approval: dict[int, dt.datetime] = {}
    for count_id, action, at in (
        CountEvent.objects.filter(
            count__in=in_scope.values("pk"),
            action__in=[CountEvent.Action.APPROVE, CountEvent.Action.RETURN],
        )
        .order_by("at", "pk")
        .values_list("count_id", "action", "at")
    ):
        target = first_approval if action == CountEvent.Action.APPROVE else returned_at
        target.setdefault(count_id, at)
    approved_at.update(first_approval)  # the first approval decides, never a re-approval
    out = {}
    for key, ids in counts.items():
        returns = [returned_at[pk] for pk in ids if pk in returned_at]
        if returns:
            out[key] = ("returned", min(returns))
        elif ids and all(pk in approved_at for pk in ids):
            out[key] = ("approved", max(approved_at[pk] for pk in ids))
    return out


def timeliness_of(obligations: Sequence[UnitQuarter]) -> Component:
    """On-time unit-quarters ÷ unit-quarters due (nothing submitted by now counts as late)."""
    return DivisionReporting.of(obligations).timeliness


def quality_of(obligations: Sequence[UnitQuarter]) -> Component:
    """Clean submissions ÷ (decided submissions + unit-quarters due with nothing submitted);
    a submission awaiting review counts neither way."""
    return DivisionReporting.of(obligations).quality


def timeliness_from(*, on_time: int, due: int) -> Component:
    """Timeliness from its counts: ``on_time`` of ``due`` unit-quarters."""
    if not due:
        return Component(None, Reason.NOT_REPORTING, (Reason.NOT_REPORTING,))
    return Component(HUNDRED * on_time / due, numerator=on_time, denominator=due)


def quality_from(*, clean: int, judged: int, due: int) -> Component:
    """Quality from its counts: ``clean`` of ``judged`` (of ``due``) unit-quarters."""
    if not due:
        return Component(None, Reason.NOT_REPORTING, (Reason.NOT_REPORTING,))
    if not judged:
        return Component(None, Reason.NONE_DECIDED, (Reason.NONE_DECIDED,))
    return Component(HUNDRED * clean / judged, numerator=clean, denominator=judged)


@dataclass(frozen=True)
class DivisionReporting:
    """A division's reporting as its ranking row reads it: the counts of its unit-quarters
    (``total``; ``due``, ``on_time``, ``clean``, ``judged`` as :func:`timeliness_of` and
    :func:`quality_of` count them) and the unit-quarters ``listed`` (all of them, or the first
    few, those that cost points first, in the order of :func:`unit_quarters`)."""

    total: int = 0
    due: int = 0
    on_time: int = 0
    clean: int = 0
    judged: int = 0
    listed: list[UnitQuarter] = field(default_factory=list)

    @classmethod
    def of(cls, obligations: Sequence[UnitQuarter]) -> DivisionReporting:
        """The counts of ``obligations`` themselves, all listed: the Python form of the rules
        :func:`timeliness_of` and :func:`quality_of` apply (and the exports' reading, when every
        unit-quarter is read anyway)."""
        due = [o for o in obligations if o.due]
        return cls(
            total=len(obligations),
            due=len(due),
            on_time=sum(1 for o in due if o.on_time),
            clean=sum(1 for o in due if o.quality == "clean"),
            judged=sum(1 for o in due if o.quality != "awaiting"),
            listed=list(obligations),
        )

    @property
    def timeliness(self) -> Component:
        return timeliness_from(on_time=self.on_time, due=self.due)

    @property
    def quality(self) -> Component:
        return quality_from(clean=self.clean, judged=self.judged, due=self.due)


def division_reporting(
    *,
    region: Region,
    children: Sequence[Region],
    quarters: Sequence[Quarter],
    now=None,
    listed: int | None = None,
    listed_in_full: str = "",
) -> dict[int, DivisionReporting]:
    """Child id → its :class:`DivisionReporting` over ``quarters`` (the unit-quarters of
    :func:`unit_quarters`): the counts summed per division in the database, in one query
    whatever the number of units: each quarter's units with their figures, their decisions,
    the rules of :func:`unit_quarter_flags` over both as 0/1 columns, summed and ranked in
    windows per division (the unit-quarters were built as Python objects to be counted: 12,760
    for the nation; issue 25). ``listed``: list at most that many unit-quarters of each
    division, those that cost points first (:attr:`UnitQuarter.costs_points`), all of them for
    the division coded ``listed_in_full``; None: all of every division, and then counted from
    them (:meth:`DivisionReporting.of`, the same rules) instead. The listed ones are read by
    :func:`unit_quarters`' own path. A constant number of queries."""
    now = now or timezone.now()
    if not children or not quarters:
        return {}
    with shared_reads():  # the number of indicators, read once for both reads below
        return _division_reporting(
            region=region, children=children, quarters=quarters, now=now,
            listed=listed, listed_in_full=listed_in_full,
        )  # fmt: skip


def _division_reporting(*, region, children, quarters, now, listed, listed_in_full):
    scope = _children_scope(children)
    if listed is None:
        # Every unit-quarter is read to be listed (the exports): counted from them, by the
        # same rules, rather than summed again in the database (≈ 100 ms for the nation).
        made = _unit_quarters(scope=scope, children=children, quarters=quarters, now=now)
        return {pk: DivisionReporting.of(uqs) for pk, uqs in made.items() if uqs}
    expected = _indicator_count()
    start = len(region.path)
    decisions, decision_params = _decisions(scope, quarters).query.sql_with_params()
    # Each quarter's units with their figures (f) and decisions (d), and the rules' 0/1
    # flags computed over those columns: the figures are aggregated once, in the inner
    # queries, and the rules read them as columns (a rule inlined over the aggregates made
    # PostgreSQL run the events' sub-plans once per use: 24 scans of the events).
    sql, params = [], []
    for q in quarters:
        part, part_params = _unit_quarter_rows(scope, q, start=start).query.sql_with_params()
        flags = _flag_columns(period=q, expected=expected, now=now)
        sql.append(
            'SELECT f."pk", f."code", f."division", f."year", f."quarter", '
            + ", ".join(f'{flag_sql} AS "{name}"' for name, flag_sql, _p in flags)
            + f' FROM ({part}) f LEFT JOIN d ON d."region_id" = f."pk"'
            ' AND d."year" = f."year" AND d."quarter" = f."quarter"'
        )
        params += [*(p for _n, _s, flag_params in flags for p in flag_params), *part_params]
    sql = " UNION ALL ".join(sql)
    params = [*decision_params, *params]
    # Compared by code point, as Python sorts (and a sort by the database's collation of
    # 12,760 texts took 40 ms on PostgreSQL).
    bytewise = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    part = f'PARTITION BY "division"{bytewise}'
    full = next((c.path for c in children if c.code == listed_in_full), "")
    limit = max(listed, 1)
    sums = ", ".join(
        f'SUM("{name}") OVER ({part}) AS "{name}_n"'
        for name in ("due", "on_time", "clean", "judged")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH d AS ({decisions}) "
            'SELECT "division", "pk", "year", "quarter", "place", "total", "due_n", "on_time_n",'
            ' "clean_n", "judged_n" FROM (SELECT "division", "pk", "year", "quarter",'
            f' ROW_NUMBER() OVER ({part} ORDER BY "costs" DESC, "year", "quarter", "code"{bytewise})'
            f' AS "place", COUNT(*) OVER ({part})'
            f' AS "total", {sums} FROM ({sql}) u) w' + ' WHERE "place" <= %s OR "division" = %s',
            (*params, limit, full),
        )
        rows = cursor.fetchall()
    by_path = {c.path: c for c in children}
    out: dict[int, DivisionReporting] = {}
    picked: dict[tuple[int, int, int], int] = {}
    for division, pk, year, quarter, place, total, *counts in rows:
        child = by_path[division]
        if child.pk not in out:
            due, on_time, clean, judged = (int(n) for n in counts)
            out[child.pk] = DivisionReporting(total, due, on_time, clean, judged)
        if place <= listed or division == full:
            picked[(pk, year, quarter)] = child.pk
    if picked:
        # The units and quarters listed only (at most ``listed`` of each division).
        units = Q(pk__in=sorted({pk for pk, _y, _q in picked}))
        wanted = {(year, quarter) for _pk, year, quarter in picked}
        periods = [q for q in quarters if (q.year, q.quarter) in wanted]
        made = _unit_quarters(scope=units, children=children, quarters=periods, now=now)
    else:
        made = {}
    for uqs in made.values():
        for o in uqs:
            child_pk = picked.get((o.unit.pk, o.quarter.year, o.quarter.quarter))
            if child_pk is not None:
                out[child_pk].listed.append(o)
    return out


def _children_scope(children: Sequence[Region]) -> Q:
    scope = reduce(operator.or_, (Q(path__startswith=c.path) for c in children))
    return scope & Q(kind=Region.Kind.DIVISION)


def _unit_quarter_rows(scope: Q, period: Quarter, *, start: int) -> QuerySet:
    """Every reporting unit of ``scope`` for ``period`` (a unit without counts too: joined to
    none, ``n`` = 0) with the figures of its counts (:func:`obligations._figures`) and its
    division's path (its path up to the segment after the first ``start`` characters: the
    region's path): one grouped query."""
    division = Substr("path", 1, Value(start) + StrIndex(Substr("path", start + 1), Value("/")))
    return (
        reporting_units(scope)
        .order_by()
        .annotate(
            qc=FilteredRelation(
                "counts", condition=Q(counts__year=period.year, counts__quarter=period.quarter)
            )
        )
        .annotate(**_figures("qc__"))
        .annotate(
            division=division,
            year=Value(period.year, output_field=IntegerField()),
            quarter=Value(period.quarter, output_field=IntegerField()),
        )
        .values("pk", "code", "division", "year", "quarter", "n", "n_first", "first")
    )


def _decisions(scope: Q, quarters: Sequence[Quarter]) -> QuerySet:
    """The decision figures (:func:`_decision_figures`) of every unit-quarter of ``scope``
    and ``quarters`` that has counts: one grouped query."""
    periods = reduce(operator.or_, (Q(year=q.year, quarter=q.quarter) for q in quarters))
    return (
        QuarterlyCount.objects.filter(periods, region__in=reporting_units(scope).values("pk"))
        .order_by()
        .values("region_id", "year", "quarter")
        .annotate(**_decision_figures())
    )


# The columns the rules read, as the wrapping query names them (f: the unit-quarter's
# figures, d: its decisions, none for a unit-quarter without counts).
_COLUMNS = {
    "n": ('f."n"', IntegerField()),
    "n_first": ('f."n_first"', IntegerField()),
    "first": ('f."first"', DateTimeField()),
    "n_returned_ever": ('COALESCE(d."n_returned_ever", 0)', IntegerField()),
    "n_approved_ever": ('COALESCE(d."n_approved_ever", 0)', IntegerField()),
}


def _flag_columns(*, period: Quarter, expected: int, now) -> list[tuple[str, str, tuple]]:
    """:func:`unit_quarter_flags` compiled to SQL over the columns of :data:`_COLUMNS`, each
    as a 0/1 value: (name, sql, params)."""
    flags = unit_quarter_flags(period=period, expected=expected, now=now)
    query = (
        Region.objects.annotate(
            **{name: RawSQL(sql, (), output_field=field) for name, (sql, field) in _COLUMNS.items()}
        )
        .annotate(
            **{
                name: Case(When(cond, then=Value(1)), default=Value(0), output_field=IntegerField())
                for name, cond in flags.items()
            }
        )
        .query
    )
    compiler = query.get_compiler(connection=connection)
    return [(name, *compiler.compile(query.annotations[name])) for name in flags]
