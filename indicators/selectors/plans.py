"""Plans in a user's scope: the overview's plan cards and a plan's page (lineage, child plans,
targets' progress). Region dashboards are in dashboards.py; values come from values.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from indicators.models import Indicator, Plan, Target
from indicators.periods import Quarter
from indicators.selectors.progress import (
    TargetRow,
    TargetTrendRow,
    _target_trend_rows,
    default_range,
    target_gaps,
    target_rows,
)
from indicators.selectors.values import (
    Inclusion,
    ValueGrid,
    regions_values,
)
from regions.selectors import access_for


@dataclass(frozen=True)
class PlanCard:
    """A plan in the user's scope with the progress of each of its targets."""

    plan: Plan
    rows: list[TargetRow]


def plans_visible_to(user) -> list[Plan]:
    """Plans covering a region the user may see (nationwide plans only for a superuser), and
    plans with a target allocated to a region the user may see (a prefecture's leader sees
    the provincial plan through the prefecture's allocated targets, and only those)."""
    access = access_for(user)
    qs = Plan.objects.select_related("region", "parent")
    if not access.everything:
        allocated = Target.objects.filter(allocated_from__isnull=False).filter(
            access.visible_q("region__")
        )
        qs = qs.filter(
            Q(region__isnull=False, pk__in=Plan.objects.filter(access.visible_q("region__")))
            | Q(pk__in=allocated.values("plan_id"))
        )
    return list(qs.order_by("issued_on", "id"))


def overview_cards(
    *, user, as_of: Quarter, include: Inclusion = Inclusion.SUBMITTED
) -> list[PlanCard]:
    """Plan cards for the overview: plans in scope, each with its targets' progress."""
    plans = plans_visible_to(user)
    targets = _overview_targets(user, plans)
    rows = target_rows(targets=targets, as_of=as_of, include=include)
    by_plan: dict[int, list[TargetRow]] = defaultdict(list)
    for row in rows:
        by_plan[row.target.plan_id].append(row)
    return [PlanCard(plan, by_plan.get(plan.pk, [])) for plan in plans]


def _overview_targets(user, plans: Sequence[Plan]) -> list[Target]:
    """The targets an overview card shows: each plan's own targets in the user's scope, and the
    targets allocated to the user's own regions (the top regions of their scope: a prefecture's
    leader sees the prefecture's allocated targets; a province's sees the province's own, the
    prefectures' allocations being on their dashboards and the plan page)."""
    access = access_for(user)
    roots = set() if access.everything else access.view  # the top regions' paths
    return [
        t
        for t in Target.objects.filter(plan__in=plans)
        .filter(access.visible_q("region__"))
        .select_related("plan", "region", "indicator", "allocated_from__region")
        .order_by("indicator__sort_order", "due_year", "due_quarter", "region__path")
        if t.allocated_from_id is None or t.region.path in roots
    ]


@dataclass(frozen=True)
class OverviewCard:
    """A plan in the user's scope with each target's progress and trend line."""

    plan: Plan
    rows: list[TargetTrendRow]


def _grids_for_targets(
    *, targets: Sequence[Target], as_of: Quarter, include: Inclusion
) -> dict[int, ValueGrid]:
    """The values of every target region, from the materialized roll-ups in one query (two with
    the indicators) whatever the number of targets, regions or quarters; keyed by region id."""
    if not targets:
        return {}
    indicators = list(Indicator.objects.all())
    regions = {t.region_id: t.region for t in targets}
    start = min([default_range(as_of=as_of)[0]] + [t.plan.issued_quarter for t in targets])
    grid = regions_values(
        regions=list(regions.values()),
        start=start,
        end=as_of,
        indicators=indicators,
        include=include,
    )
    return dict.fromkeys(regions, grid)


def _gaps(targets: Sequence[Target], grids: dict[int, ValueGrid], as_of: Quarter) -> dict:
    """:func:`target_gaps` of every target of a page at once (one grid holds them all)."""
    if not targets:
        return {}
    return target_gaps(targets=targets, grid=next(iter(grids.values())), as_of=as_of)


def overview_plan_cards(
    *,
    user,
    as_of: Quarter,
    include: Inclusion = Inclusion.SUBMITTED,
    plans: Sequence[Plan] | None = None,
) -> list[OverviewCard]:
    """Plan cards for the overview: plans in scope, each target with progress, forecast and the
    values behind its trend line (same progress as :func:`overview_cards`).

    ``plans`` narrows the cards to one page of :func:`plans_visible_to` (never widens them: a
    plan outside the user's scope is dropped).
    """
    visible = plans_visible_to(user)
    if plans is not None:
        wanted = {p.pk for p in plans}
        visible = [p for p in visible if p.pk in wanted]
    plans = visible
    targets = _overview_targets(user, plans)
    grids = _grids_for_targets(targets=targets, as_of=as_of, include=include)
    gaps = _gaps(targets, grids, as_of)
    by_plan: dict[int, list[TargetTrendRow]] = defaultdict(list)
    by_region: dict[int, list[Target]] = defaultdict(list)
    for t in targets:
        by_region[t.region_id].append(t)
    for region_id, region_targets in by_region.items():
        for row in _target_trend_rows(
            targets=region_targets, grid=grids[region_id], as_of=as_of, gaps=gaps
        ):
            by_plan[row.target.plan_id].append(row)
    order = {t.pk: i for i, t in enumerate(targets)}
    return [
        OverviewCard(plan, sorted(by_plan.get(plan.pk, []), key=lambda r: order[r.target.pk]))
        for plan in plans
    ]


def plan_visible_to(user, plan: Plan) -> bool:
    """The rule of :func:`plans_visible_to` for one plan: its region is in the user's scope
    (a nationwide plan only for a superuser); also a plan whose tasks the user sees as a member
    of a unit (a provincial department opens the plan its task pages name; issue 22.10)."""
    access = access_for(user)
    if access.everything:
        return True
    if plan.region is not None and access.can_view(plan.region):
        return True
    if (
        Target.objects.filter(plan=plan, allocated_from__isnull=False)
        .filter(access.visible_q("region__"))
        .exists()
    ):
        return True
    from tasks.selectors.access import task_access_for  # tasks builds on indicators

    return task_access_for(user).can_view_plan(plan)


@dataclass(frozen=True)
class PlanLink:
    """A plan named on another plan's page; ``visible`` if the user may open its page."""

    plan: Plan
    visible: bool


@dataclass
class PlanPage:
    """A plan's page: the plan, its lineage (root first) and child plans, its targets' progress."""

    plan: Plan
    lineage: list[PlanLink]
    children: list[PlanLink]
    rows: list[TargetTrendRow]
    as_of: Quarter
    include: Inclusion


def plan_page(
    *, plan: Plan, user, as_of: Quarter, include: Inclusion = Inclusion.SUBMITTED
) -> PlanPage:
    """A plan with its parent chain (国发〔2018〕3号 → 广西 → 北海), child plans and its targets
    (those for regions the user may see) with progress; queries do not depend on the tree size."""
    access = access_for(user)
    plans = {p.pk: p for p in Plan.objects.select_related("region")}  # a handful of documents
    lineage = []
    parent_id = plans[plan.pk].parent_id if plan.pk in plans else None
    while parent_id is not None and parent_id in plans and len(lineage) < 20:
        parent = plans[parent_id]
        lineage.insert(0, PlanLink(parent, plan_visible_to(user, parent)))
        parent_id = parent.parent_id
    children = [
        PlanLink(p, plan_visible_to(user, p))
        for p in sorted(plans.values(), key=lambda p: (p.issued_on, p.pk))
        if p.parent_id == plan.pk
    ]
    targets = [
        t
        for t in Target.objects.filter(plan=plan)
        .select_related("plan", "region", "indicator", "allocated_from__region")
        .order_by("region__path", "indicator__sort_order", "due_year", "due_quarter")
        if access.can_view(t.region)
    ]
    grids = _grids_for_targets(targets=targets, as_of=as_of, include=include)
    gaps = _gaps(targets, grids, as_of)
    rows = []
    by_region: dict[int, list[Target]] = defaultdict(list)
    for t in targets:
        by_region[t.region_id].append(t)
    for region_id, region_targets in by_region.items():
        rows += _target_trend_rows(
            targets=region_targets, grid=grids[region_id], as_of=as_of, gaps=gaps
        )
    order = {t.pk: i for i, t in enumerate(targets)}
    rows.sort(key=lambda r: order[r.target.pk])
    return PlanPage(plan, lineage, children, rows, as_of, include)
