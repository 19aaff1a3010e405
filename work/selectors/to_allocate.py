"""A target manager's waiting allocations (目标分解): the targets whose divisions do not all
have their share yet, for the to-do home (work.selectors.todo)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from indicators.models import Plan, Target
from indicators.periods import Quarter
from regions.models import Membership, Region

Role = Membership.Role


@dataclass(frozen=True)
class Allocation:
    """A target in force, still open for allocation, that not every division has its share
    of yet (目标分解 waiting): how many of its divisions have one, out of how many."""

    target: Target
    allocated: int
    divisions: int

    @property
    def url(self) -> str:
        return reverse("indicators:target_allocation", args=[self.target.pk])


def targets_to_allocate(user, *, today: dt.date, limit: int = 10) -> tuple[list[Allocation], int]:
    """The target manager's waiting allocations: targets of plans in force set for a region
    the user is target manager of (a division's share is handed down by that division's own
    managers), whose due quarter has not passed (allocations may still be saved,
    ``indicators.selectors.allocation.allocation_editable``) and that fewer of the region's
    active divisions have an allocation of than it has divisions. The first ``limit`` by due
    quarter and region, and how many there are in all. Two queries."""
    managed = Membership.objects.filter(
        user=user, role=Role.TARGET_MANAGER, region__active=True
    ).values("region_id")
    current = Quarter.of_date(today)
    divisions = (
        Region.objects.filter(parent=OuterRef("region"), active=True, kind=Region.Kind.DIVISION)
        .order_by()
        .values("parent")
        .annotate(n=Count("pk"))
        .values("n")
    )
    waiting = (
        Target.objects.filter(
            region_id__in=managed, region__active=True, plan__status=Plan.Status.IN_FORCE
        )
        .filter(
            Q(due_year__gt=current.year)
            | Q(due_year=current.year, due_quarter__gte=current.quarter)
        )
        .annotate(
            n_divisions=Coalesce(Subquery(divisions), 0),
            n_allocated=Count(
                "allocations",
                filter=Q(
                    allocations__region__active=True,
                    allocations__region__kind=Region.Kind.DIVISION,
                    allocations__region__parent=F("region"),
                ),
            ),
        )
        .filter(n_divisions__gt=0, n_allocated__lt=F("n_divisions"))
    )
    total = waiting.count()
    rows = waiting.select_related("plan", "region", "indicator").order_by(
        "due_year", "due_quarter", "region__path", "indicator__sort_order"
    )[:limit]
    return [Allocation(t, t.n_allocated, t.n_divisions) for t in rows], total
