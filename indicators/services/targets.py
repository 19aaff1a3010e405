"""Writes to targets: a target handed down to the divisions of its region (目标分解), and the
weights of a plan's assessment ranking (a recorded decision). Atomic,
permission-checked (the "manage targets" role of the target's region), audited in
``TargetEvent`` (who, when, old → new value). The page cache follows through the target signals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.models import AssessmentWeights, Plan, Target, TargetEvent, TargetStatus
from indicators.pagecache import data_changed
from indicators.selectors.allocation import allocation_editable, allocation_regions
from indicators.services.validation import parse_count
from indicators.target_statuses import target_statuses_refresh_groups
from regions.selectors import access_for

_REGION_ID = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class AllocationResult:
    """What a save changed, and how the divisions' sum compares with the parent target."""

    created: int
    updated: int
    deleted: int
    allocated_sum: int  # divisions only; a zone's target is never counted
    target_value: int

    @property
    def difference(self) -> int:
        """Negative: short by; positive: over by; 0: the allocations add up to the target."""
        return self.allocated_sum - self.target_value


def _clean_value(raw, *, name: str) -> int | None:
    """An allocation typed by a user: empty (none), or a count above 0 read by the one parser
    of counts (never ``int()``: it takes ``1_000``, ``+5``, ``٣`` and any size)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = parse_count(raw, name=name)
    if value <= 0:
        raise ValidationError(
            _("%(name)s: an allocation must be a whole number above 0 (or empty).") % {"name": name}
        )
    return value


def _region_id(key) -> int:
    """A region id from a field name (``alloc-<id>``): ASCII digits only."""
    if not isinstance(key, int) and not _REGION_ID.fullmatch(str(key)):
        raise ValidationError(_("Unknown region."))
    return int(key)


def allocation_difference_text(difference: int) -> str:
    """By how much the divisions' allocations miss the target, as the page and the service say
    it (negative: short)."""
    if difference < 0:
        return _("The divisions' allocations are short of the target by %(n)s.") % {
            "n": f"{-difference:,}"
        }
    return _("The divisions' allocations are over the target by %(n)s.") % {"n": f"{difference:,}"}


@transaction.atomic
def target_allocations_save(
    *,
    target: Target,
    values: Mapping[int, int | str | None],
    user,
    now=None,
    demo: bool = False,
    confirm_difference: bool = True,
) -> AllocationResult:
    """Save the allocations of ``target`` to regions of its region: ``values`` maps a region id
    to the allocated value (empty or None removes that region's allocation; regions not in
    ``values`` are left as they are).

    Refused (nothing written): a user without "manage targets" for the target's region
    (PermissionDenied); a region id that is not a division of the target's region or a zone
    under it (a forged id); a value that is not a whole number above 0; a region that already
    has a target of the same plan, indicator and due quarter not allocated from ``target``; a
    target whose due quarter has passed (``demo=True``, the seed, may still write it, marking
    the allocations as demo). A sum of the divisions that differs from the target is saved
    only with ``confirm_difference`` (the page asks for it explicitly; ValidationError with
    code ``difference`` naming by how much otherwise, nothing written).
    """
    if not access_for(user).can_manage_targets(target.region):
        raise PermissionDenied(_("You may not allocate the targets of this region."))
    # FOR UPDATE of the target row only: PostgreSQL refuses it on the nullable side of a join
    target = (
        Target.objects.select_for_update(of=("self",))
        .select_related("plan", "region")
        .get(pk=target.pk)
    )
    if not demo and not allocation_editable(target):
        raise ValidationError(
            _("The due quarter %(due)s has passed: its allocations can no longer be changed.")
            % {"due": target.due}
        )
    divisions, zones = allocation_regions(target)
    allowed = {r.pk: r for r in divisions + zones}
    zone_ids = {r.pk for r in zones}
    cleaned: dict[int, int | None] = {}
    errors: list[str] = []
    for key, raw in values.items():
        region_id = _region_id(key)
        if region_id not in allowed:
            raise ValidationError(_("A target can only be allocated to a division of its region."))
        try:
            cleaned[region_id] = _clean_value(raw, name=allowed[region_id].name)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:  # every value is judged before anything (an audit event first of all) is written
        raise ValidationError(errors)
    existing = {t.region_id: t for t in Target.objects.select_for_update().filter(
        allocated_from=target)}  # fmt: skip
    clashes = Target.objects.filter(
        plan_id=target.plan_id,
        indicator_id=target.indicator_id,
        due_year=target.due_year,
        due_quarter=target.due_quarter,
        region_id__in=[k for k, v in cleaned.items() if v is not None],
    ).exclude(allocated_from=target)
    clash = clashes.select_related("region").first()
    if clash is not None:
        raise ValidationError(
            _("%(region)s already has a target of this plan due %(due)s.")
            % {"region": clash.region.name, "due": target.due}
        )
    if not confirm_difference:
        after = {k: t.value for k, t in existing.items()} | cleaned
        total = sum(v for k, v in after.items() if v is not None and k not in zone_ids)
        if total != target.value:
            raise ValidationError(
                allocation_difference_text(total - target.value)
                + " "
                + _("Confirm that you want to save allocations that do not add up to the target."),
                code="difference",
            )
    now = now or timezone.now()
    user_id = getattr(user, "pk", None)
    A = TargetEvent.Action

    def event(action, region_id, old_value, new_value, target_row=None):
        return TargetEvent(
            target=target_row, parent=target, region_id=region_id, action=action, user_id=user_id,
            at=now, old_value=old_value, new_value=new_value,
        )  # fmt: skip

    # Set-wise (issue 25: 689 queries for 34 provinces when each division had its own
    # full_clean, save, signal and audit insert): one insert, one update, one delete and one
    # audit insert whatever the number of divisions. The values were checked above
    # (_clean_value), the regions are the target's divisions, the clash query stood for the
    # unique constraint; clean_fields checks the rest of each row without a query.
    fks = ["plan", "region", "indicator", "allocated_from"]
    new_rows, changed, removed, events = [], [], [], []
    for region_id, value in cleaned.items():
        old = existing.get(region_id)
        if value is None:
            if old is not None:
                events.append(event(A.DELETE, region_id, old.value, None))
                removed.append(old.pk)
        elif old is None:
            new = Target(
                plan_id=target.plan_id, region_id=region_id, indicator_id=target.indicator_id,
                due_year=target.due_year, due_quarter=target.due_quarter, value=value,
                comparator=target.comparator, allocated_from=target, is_demo=demo,
                clause=target.clause,
            )  # fmt: skip
            new.clean_fields(exclude=fks)
            new_rows.append(new)
        elif old.value != value:
            events.append(event(A.UPDATE, region_id, old.value, value, target_row=old))
            old.value = value
            old.is_demo = demo
            old.clean_fields(exclude=fks)
            changed.append(old)
    groups = set()
    if removed:
        groups |= _targets_delete(removed)
    if new_rows:
        Target.objects.bulk_create(new_rows)
        events += [event(A.CREATE, t.region_id, None, t.value, target_row=t) for t in new_rows]
    if changed:
        Target.objects.bulk_update(changed, ["value", "is_demo"])
    if events:
        TargetEvent.objects.bulk_create(events)
        # The bulk writes send no signal: the targets' kept statuses and the dashboards' parts
        # are refreshed here (a division's targets of this plan and indicator, other due
        # quarters included: their milestone path runs through the new values).
        groups |= {(t.plan_id, t.region_id, t.indicator_id) for t in new_rows + changed}
        target_statuses_refresh_groups(groups)
        data_changed()
    created, updated, deleted = len(new_rows), len(changed), len(removed)
    allocated_sum = sum(
        t.value
        for t in Target.objects.filter(allocated_from=target).exclude(region_id__in=zone_ids)
    )
    return AllocationResult(created, updated, deleted, allocated_sum, target.value)


WEIGHT_LABELS = {
    "progress": _("Progress against targets"),
    "growth": _("Growth on a year earlier"),
    "timeliness": _("Timeliness of reporting"),
    "quality": _("Data quality"),
}


@transaction.atomic
def assessment_weights_set(
    *, plan: Plan, user, weights: Mapping[str, object], now=None
) -> AssessmentWeights:
    """Record a target manager's decision on the assessment weights of ``plan``: four whole
    numbers (percent, through the one count parser) adding up to 100. A new row each time, with
    the decision it replaces (``previous``: the old weights), who and when; unchanged weights
    write nothing and return the decision in force.

    Refused (nothing written): a user without "manage targets" for the plan's region
    (PermissionDenied); a weight that is not a whole number, one above 100, or a total other than
    100 (ValidationError naming the field)."""
    from indicators.selectors.assessment import COMPONENTS

    if plan.region is None or not access_for(user).can_manage_targets(plan.region):
        raise PermissionDenied(_("You may not set the assessment weights of this plan."))
    errors: dict[str, list[str]] = {}
    values: dict[str, int] = {}
    for key in COMPONENTS:
        label = str(WEIGHT_LABELS[key])
        try:
            values[key] = parse_count(weights.get(key), name=label)
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        if values[key] > 100:
            errors[key] = [_("%(name)s: a weight is at most 100.") % {"name": label}]
    if not errors and sum(values.values()) != 100:
        errors["__all__"] = [
            _("The weights add up to %(total)s; they must add up to 100.")
            % {"total": sum(values.values())}
        ]
    if errors:
        raise ValidationError(errors)
    current = (
        AssessmentWeights.objects.select_for_update()
        .filter(plan=plan)
        .order_by("-decided_at", "-pk")
        .first()
    )
    if current is not None and current.as_dict() == values:
        return current
    decision = AssessmentWeights(
        plan=plan, previous=current, decided_by=user if getattr(user, "pk", None) else None,
        decided_at=now or timezone.now(), **values,
    )  # fmt: skip
    decision.full_clean()
    decision.save()
    return decision


def _targets_delete(ids: list[int]) -> set[tuple[int, int, int]]:
    """Delete the targets ``ids`` and the allocations made from them, at any depth, as the
    cascade of ``Target.allocated_from`` would, in a few queries whatever their number (the
    cascade sends a signal, hence a data-version write, per target); their history stays,
    pointing at no target (``SET_NULL``), their stored statuses go with them. Returns the
    (plan, region, indicator) groups they were in (the others' milestone paths changed)."""
    every = list(ids)
    level = list(ids)
    while level:
        level = list(
            Target.objects.filter(allocated_from_id__in=level).values_list("pk", flat=True)
        )
        every += level
    TargetEvent.objects.filter(target_id__in=every).update(target=None)
    TargetEvent.objects.filter(parent_id__in=every).update(parent=None)
    groups = set(
        Target.objects.filter(pk__in=every).values_list("plan_id", "region_id", "indicator_id")
    )
    TargetStatus.objects.filter(target_id__in=every)._raw_delete(TargetStatus.objects.db)
    # Children first: allocated_from is checked at commit, but keep the order obvious.
    Target.objects.filter(pk__in=every)._raw_delete(Target.objects.db)
    return groups
