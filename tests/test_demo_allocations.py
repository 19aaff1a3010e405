"""seed_demo's demo allocations: Gansu's 2022 targets to its 14 prefectures (by their 2018Q3
baseline values), Beihai's to its four districts; flagged demo; adding up to the parent."""

from __future__ import annotations

from django.core.management import call_command

from indicators.models import Target


def test_gansu_and_beihai_2022_targets_are_allocated_as_demo(demo):
    for code, n, sums in (("620000", 14, {12000, 5000}), ("450500", 4, {850, 320})):
        parents = Target.objects.filter(
            region__code=code, due_year=2022, allocated_from__isnull=True, plan__is_demo=False
        )
        assert {p.value for p in parents} == sums
        for parent in parents:
            children = list(Target.objects.filter(allocated_from=parent))
            assert len(children) == n
            assert sum(c.value for c in children) == parent.value
            assert all(c.is_demo and c.due == parent.due for c in children)
            assert all(c.region.parent_id == parent.region_id for c in children)
    lanzhou = Target.objects.get(
        region__code="620100", indicator__code="certificates", allocated_from__isnull=False
    )
    assert 0 < lanzhou.value < 12000


def test_seeding_again_replaces_the_demo_allocations(demo):
    before = Target.objects.filter(allocated_from__isnull=False).count()
    call_command("seed_demo", end="2026Q3", verbosity=0)
    assert Target.objects.filter(allocated_from__isnull=False).count() == before == 36
