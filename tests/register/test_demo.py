"""The demo register equals the demo counts except its labelled differences, and is demo data."""

from __future__ import annotations

from indicators.periods import Quarter
from regions.models import Region
from register.demo import DIFFERENCES
from register.models import Certificate, Organization, RegisterImport
from register.selectors import register_comparison


def test_the_demo_register_matches_the_demo_counts_except_the_labelled_differences(demo):
    labelled = {
        (d.region_code, d.period, indicator): delta
        for d in DIFFERENCES
        for indicator, delta in (
            ("certificates", d.certificates),
            ("organizations", d.organizations),
        )
        if delta
    }
    for code in ("620100", "620171", "620500", "623000", "450500"):
        comparison = register_comparison(
            region=Region.objects.get(code=code), start=Quarter(2017, 4), end=Quarter(2026, 3)
        )
        for row in comparison.totals("certificates") + comparison.totals("organizations"):
            if row.reported_value is None:
                continue  # the demo leaves some latest quarters unreported
            expected = labelled.get((code, row.period, row.indicator), 0)
            # register − reported is the labelled delta (e.g. Tianshui 2021Q2: +15), else 0
            assert row.register_value - row.reported_value == expected, (code, row)


def test_the_demo_register_is_flagged_and_reference_data_holds_no_certificate(demo, reference):
    assert Certificate.objects.exists()
    assert not Certificate.objects.filter(is_demo=False).exists()
    assert not Organization.objects.filter(is_demo=False).exists()
    assert set(RegisterImport.objects.values_list("is_demo", flat=True)) == {True}
    assert all(
        name.startswith("【演示】")
        for name in Organization.objects.values_list("name", flat=True)[:50]
    )
