"""Targets needing attention (behind, at risk, pending) read from the kept statuses.

Which targets need attention, and how many, is read from ``indicators.target_statuses`` (every
target's status as of the reporting quarter, kept in the writers' transactions) with one
indexed query and a count, whatever the number of targets in scope: a national home computed
the progress of 2,996 targets on every cold visit (issue 25). The rows listed are computed by
the same derivation as the stored statuses (``target_statuses.progress_rows``), for the
targets listed and the other targets of their plan, region and indicator only (their
milestone path); a home's first few are shown as they are kept (their status, value, percent
and baseline: all its list shows), nothing computed.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Case, Count, F, Q, Value, When, Window
from django.db.models.functions import Collate

from indicators.models import Target, TargetStatus
from indicators.periods import Quarter
from indicators.progress import Status
from indicators.selectors.progress import TargetRow, targets_with_relations
from indicators.target_statuses import (
    KeptRow,
    kept_row,
    progress_rows,
    target_statuses_ensure,
)

# Behind first, then at risk, then pending (work.selectors.todo's order).
ATTENTION_STATUSES = (Status.BEHIND, Status.AT_RISK, Status.PENDING)


def _path_order(field: str):
    """Paths by code point, as Python sorts them (see obligations._path_order)."""
    return Collate(field, "C") if connection.vendor == "postgresql" else F(field)


def _on_target(q: Q) -> Q:
    """``q`` (a ``Q`` on targets) as a ``Q`` on their statuses: every lookup behind
    ``target__``, so the scope is a join, not a subquery over the targets."""
    children = [
        _on_target(child) if isinstance(child, Q) else (f"target__{child[0]}", child[1])
        for child in q.children  # (lookup, value) pairs or Q objects (regions.selectors)
    ]
    return Q(*children, _connector=q.connector, _negated=q.negated)


def attention_statuses(scope: Q, *, as_of: Quarter):
    """The kept statuses (as of ``as_of``) of the targets of ``scope`` (a ``Q`` on targets) set
    for an active region that need attention, in the order the to-do lists show them: behind,
    at risk, pending; then by due quarter, region path, plan, indicator. Built first if the
    quarter has none yet (a new quarter)."""
    target_statuses_ensure(as_of)
    rank = Case(*[When(status=s.value, then=Value(i)) for i, s in enumerate(ATTENTION_STATUSES)])
    return (
        TargetStatus.objects.filter(
            as_of_year=as_of.year,
            as_of_quarter=as_of.quarter,
            status__in=[s.value for s in ATTENTION_STATUSES],
            target__region__active=True,
        )
        .filter(_on_target(scope))
        .annotate(rank=rank)
        .order_by(
            "rank",
            "target__due_year",
            "target__due_quarter",
            _path_order("target__region__path"),
            "target__plan__issued_on",
            "target__indicator__sort_order",
            "target_id",
        )
    )


def _rows(listed: list[tuple[int, int, int, int]], as_of: Quarter) -> list[TargetRow]:
    """The progress rows of the ``listed`` targets (id, plan, region, indicator), in that
    order, computed with the other targets of their plan, region and indicator."""
    if not listed:
        return []
    groups = {key[1:] for key in listed}
    plans, regions, indicators = (sorted({g[i] for g in groups}) for i in range(3))
    candidates = Target.objects.filter(
        plan_id__in=plans, region_id__in=regions, indicator_id__in=indicators
    ).order_by("pk")
    targets = [
        t
        for t in targets_with_relations(candidates)
        if (t.plan_id, t.region_id, t.indicator_id) in groups
    ]
    by_pk = {row.target.pk: row for row in progress_rows(targets, as_of)}
    return [by_pk[key[0]] for key in listed if key[0] in by_pk]


def targets_needing_attention_rows(
    scope: Q, *, as_of: Quarter, limit: int | None = None
) -> tuple[list[TargetRow] | list[KeptRow], int]:
    """The targets of ``scope`` needing attention as of ``as_of`` with their progress, and how
    many there are in all. Every one (no ``limit``): the targets listed (one query) and the
    progress of those computed. The first ``limit`` (a home): their kept rows as they are
    stored, status, value, percent and baseline, and the total (one query), with their
    targets' relations (one query by target); nothing computed."""
    statuses = attention_statuses(scope, as_of=as_of)
    if limit is None:
        listed = list(
            statuses.values_list(
                "target_id", "target__plan_id", "target__region_id", "target__indicator_id"
            )
        )
        return _rows(listed, as_of), len(listed)
    if limit <= 0:
        return [], statuses.count()
    # The targets shown with the total beside each (counted over the same rows, not by a
    # second join for a count), then their rows with the targets' relations: ordering the 750
    # statuses of the nation with every relation joined took twice as long (15 → 8 ms). By
    # target, not by the rows' ids: a writer committing in between replaces the rows (a target
    # deleted meanwhile is left out).
    total = Window(Count("*"))
    listed = list(statuses.annotate(total=total).values_list("target_id", "total")[:limit])
    related = ("target__plan", "target__region", "target__indicator")
    shown = {
        status.target_id: status
        for status in TargetStatus.objects.filter(
            as_of_year=as_of.year,
            as_of_quarter=as_of.quarter,
            target_id__in=[target_id for target_id, _total in listed],
        ).select_related(*related, "target__allocated_from__region")
    }
    rows = [kept_row(shown[t]) for t, _total in listed if t in shown]
    return rows, (listed[0][1] if listed else 0)
