"""Who may see and do what with tasks: :func:`task_access_for`, the one place every view,
export and data endpoint of the tasks app asks (the rule: tasks/selectors/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass

from indicators.models import Plan
from regions.models import Region
from regions.selectors import RegionAccess, access_for
from tasks.models import (
    TaskReport,
    Unit,
    UnitMembership,
)


@dataclass(frozen=True)
class TaskAccess:
    """What a user may see and do with tasks; see the module docstring for the rule."""

    everything: bool
    regions: RegionAccess
    unit_ids: frozenset[int]
    view_paths: frozenset[str]  # region paths whose plans (and units) the user sees

    def _in_scope(self, region: Region | None) -> bool:
        if self.everything:
            return True
        return region is not None and any(region.path.startswith(p) for p in self.view_paths)

    def can_view_plan(self, plan: Plan) -> bool:
        return self._in_scope(plan.region)

    def can_view_unit(self, unit: Unit) -> bool:
        return self.everything or unit.pk in self.unit_ids or self._in_scope(unit.region)

    def can_report_for(self, unit: Unit) -> bool:
        """Member of the unit (a superuser may act for any unit)."""
        return self.everything or unit.pk in self.unit_ids

    def can_review_plan(self, plan: Plan) -> bool:
        """A reviewer of the plan's region (or of a region above it)."""
        if self.everything:
            return True
        return plan.region is not None and self.regions.can_review(plan.region)

    def can_read_report(self, report: TaskReport) -> bool:
        """The plan is visible, and a draft only to its own unit."""
        if not self.can_view_plan(report.task.plan):
            return False
        return report.state != TaskReport.State.DRAFT or self.can_report_for(report.unit)


def task_access_for(user) -> TaskAccess:
    """The user's task access: two queries at most, cached on the user object."""
    cached = getattr(user, "_certtrack_task_access", None)
    if cached is not None:
        return cached
    regions = access_for(user)
    rows: list[tuple[int, str]] = []
    if getattr(user, "is_authenticated", False) and user.is_active and not regions.everything:
        rows = list(
            UnitMembership.objects.filter(user=user, unit__active=True).values_list(
                "unit_id", "unit__region__path"
            )
        )
    return _keep(user, _task_access(regions, rows, _plan_paths if rows else frozenset))


def task_accesses_load(users) -> None:
    """:func:`task_access_for` of many users at once: their region access
    (``regions.selectors.accesses_load``), their units and the plans' regions in three queries
    for all, each user object keeping its access (send_reminders)."""
    from regions.selectors import accesses_load

    users = [u for u in users if getattr(u, "_certtrack_task_access", None) is None]
    accesses_load(users)
    rows: dict[int, list[tuple[int, str]]] = {u.pk: [] for u in users}
    for user_id, unit_id, path in UnitMembership.objects.filter(
        user_id__in=list(rows), unit__active=True
    ).values_list("user_id", "unit_id", "unit__region__path"):
        rows[user_id].append((unit_id, path))
    plan_paths = None

    def paths():
        nonlocal plan_paths
        if plan_paths is None:
            plan_paths = _plan_paths()
        return plan_paths

    for user in users:
        regions = access_for(user)
        mine = rows[user.pk] if user.is_active and not regions.everything else []
        _keep(user, _task_access(regions, mine, paths))


def _plan_paths() -> frozenset[str]:
    return frozenset(
        Plan.objects.filter(region__isnull=False).values_list("region__path", flat=True)
    )


def _task_access(regions: RegionAccess, rows, plan_paths) -> TaskAccess:
    """The task access from the region access and the user's (unit id, unit's region path)
    rows; ``plan_paths()`` gives the regions of the plans (read only when the user has units)."""
    unit_ids = frozenset(pk for pk, _path in rows)
    unit_paths = {path for _pk, path in rows}
    view = set(regions.view)
    if unit_paths:
        view |= {p for p in plan_paths() if any(u.startswith(p) for u in unit_paths)}
    return TaskAccess(regions.everything, regions, unit_ids, frozenset(view))


def _keep(user, access: TaskAccess) -> TaskAccess:
    try:
        user._certtrack_task_access = access
    except AttributeError:
        pass
    return access


def task_plans_visible_to(user) -> list[Plan]:
    """Plans that have task groups and that the user may see, in order of issue."""
    access = task_access_for(user)
    plans = Plan.objects.filter(task_groups__isnull=False).distinct().select_related("region")
    return [p for p in plans.order_by("issued_on", "id") if access.can_view_plan(p)]
