"""Demo allocations written by ``manage.py seed_demo`` (目标分解; no document allocated them):
Gansu's 2022 targets handed down to its 14 prefectures in proportion to their values at the
plan's baseline quarter (2018Q3), and Beihai's 2022 targets to its four county-level districts
by fixed demo shares (the districts do not report). Written through the allocation service,
flagged ``is_demo`` and shown as "(demo allocation)" wherever they appear.
"""

from __future__ import annotations

from indicators.models import Target
from indicators.selectors.allocation import allocation_page, allocation_regions, proportional_split
from indicators.services.targets import target_allocations_save

# Beihai's districts: demo shares (海城区, 银海区, 铁山港区, 合浦县).
BEIHAI_SHARES = {"450502": 35, "450503": 25, "450512": 15, "450521": 25}


def seed_allocations(*, user) -> int:
    """Allocate the Gansu and Beihai 2022 targets (plans' own targets); returns how many."""
    Target.objects.filter(is_demo=True, allocated_from__isnull=False).delete()
    n = 0
    parents = Target.objects.filter(
        region__code__in=["620000", "450500"],
        due_year=2022,
        due_quarter=4,
        allocated_from__isnull=True,
        plan__is_demo=False,
    ).select_related("plan", "region", "indicator")
    for parent in parents:
        if parent.region.code == "620000":
            page = allocation_page(target=parent, basis="baseline")
            values = {row.region.pk: row.prefill for row in page.divisions}
        else:
            divisions, _zones = allocation_regions(parent)
            by_code = {d.code: d for d in divisions if d.code in BEIHAI_SHARES}
            split = proportional_split(
                weights={c: BEIHAI_SHARES[c] for c in by_code}, total=parent.value
            )
            values = {by_code[c].pk: v for c, v in split.items()}
        result = target_allocations_save(target=parent, values=values, user=user, demo=True)
        n += result.created + result.updated
    return n
