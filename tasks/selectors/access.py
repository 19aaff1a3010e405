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
    unit_ids: frozenset[int] = frozenset()
    view = set(regions.view)
    if getattr(user, "is_authenticated", False) and user.is_active and not regions.everything:
        rows = list(
            UnitMembership.objects.filter(user=user, unit__active=True).values_list(
                "unit_id", "unit__region__path"
            )
        )
        unit_ids = frozenset(pk for pk, _path in rows)
        unit_paths = {path for _pk, path in rows}
        if unit_paths:
            plan_paths = set(
                Plan.objects.filter(region__isnull=False).values_list("region__path", flat=True)
            )
            view |= {p for p in plan_paths if any(u.startswith(p) for u in unit_paths)}
    access = TaskAccess(regions.everything, regions, unit_ids, frozenset(view))
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
