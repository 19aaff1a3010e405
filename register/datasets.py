"""The register beside the reported counts as flat records for JSON and CSV (docs/api.md),
with the Dataset helper every other endpoint uses (pure)."""

from __future__ import annotations

from indicators.datasets import Dataset
from register.selectors import RegisterComparison

COLUMNS = [
    "region_code", "period", "indicator", "type_group", "type",
    "register_value", "reported_value", "difference", "reported_complete",
]  # fmt: skip


def register_dataset(comparison: RegisterComparison, *, as_of, start, include) -> Dataset:
    """One record per region, quarter, indicator and type; the total row has an empty type and
    type group, a group row an empty type. Reported values exist only on total rows."""
    rows = [
        {
            "region_code": r.region_code,
            "period": str(r.period),
            "indicator": r.indicator,
            "type_group": r.type_group,
            "type": r.type_code,
            "register_value": r.register_value,
            "reported_value": r.reported_value,
            "difference": r.difference,
            "reported_complete": r.reported_complete if r.reported_value is not None else None,
        }
        for r in comparison.rows
    ]
    meta = {
        "region": comparison.region.code,
        "as_of": str(as_of),
        "from": str(start),
        "values": include.value,
    }
    return Dataset("register", COLUMNS, rows, meta)
