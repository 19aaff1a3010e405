"""The deterministic demo series behind ``manage.py seed_demo`` (pure: no ORM).

No real quarterly series is published in the plans, so everything here is *demo data*: anchor
totals chosen to be plausible in scale (a province in the low ten-thousands of certificates, a
city in the hundreds), interpolated between anchors and split over reporting units by fixed
weights with a largest-remainder allocation so that the units add up exactly to the total.
With these anchors: Gansu meets both certificate targets and the 2020 organization target but
misses 2022's (4,910 < 5,000); Beihai misses the 2020 certificate target (781 < 800) and the
2022 organization target (318 < 320) and meets the other two.
"""

from __future__ import annotations

import math

from indicators.periods import Quarter, quarter_range

START = Quarter(2017, 4)

# Anchor totals (quarter -> value); values between anchors are interpolated with a small wiggle.
ANCHORS: dict[tuple[str, str], dict[Quarter, int]] = {
    ("620000", "certificates"): {
        Quarter(2017, 4): 9200,
        Quarter(2018, 3): 9650,
        Quarter(2020, 4): 11180,
        Quarter(2022, 4): 12240,
        Quarter(2024, 4): 13100,
        Quarter(2026, 4): 13820,
    },
    ("620000", "organizations"): {
        Quarter(2017, 4): 3900,
        Quarter(2018, 3): 4020,
        Quarter(2020, 4): 4560,
        Quarter(2022, 4): 4910,
        Quarter(2024, 4): 5150,
        Quarter(2026, 4): 5330,
    },
    ("450500", "certificates"): {
        Quarter(2017, 4): 610,
        Quarter(2018, 4): 655,
        Quarter(2020, 4): 781,
        Quarter(2022, 4): 866,
        Quarter(2024, 4): 905,
        Quarter(2026, 4): 950,
    },
    ("450500", "organizations"): {
        Quarter(2017, 4): 228,
        Quarter(2018, 4): 246,
        Quarter(2020, 4): 305,
        Quarter(2022, 4): 318,
        Quarter(2024, 4): 338,
        Quarter(2026, 4): 356,
    },
}

# Gansu's prefectures: share of the provincial stock (per cent) and a drift of that share per
# year (per cent of the share), so that the units' series differ in shape.
GANSU_WEIGHTS: dict[str, tuple[float, float]] = {
    "620100": (30, 0.8),
    "620200": (4, -1.0),
    "620300": (4, -0.5),
    "620400": (6, 0.0),
    "620500": (8, 1.0),
    "620600": (6, -0.3),
    "620700": (6, 0.4),
    "620800": (5, 0.2),
    "620900": (7, 0.6),
    "621000": (7, 1.2),
    "621100": (5, -0.6),
    "621200": (5, 0.3),
    "622900": (4, -0.2),
    "623000": (3, -1.5),
}
# 兰州新区 reports its own figure, a part of Lanzhou's (never added into Gansu's roll-up).
NEW_AREA = ("620171", "620100", 0.16)


def _interpolate(anchors: dict[Quarter, int], period: Quarter) -> float:
    points = sorted(anchors.items())
    if period <= points[0][0]:
        return float(points[0][1])
    for (q0, v0), (q1, v1) in zip(points, points[1:], strict=False):
        if q0 <= period <= q1:
            return v0 + (v1 - v0) * (period - q0) / (q1 - q0)
    return float(points[-1][1])


def total_series(region_code: str, indicator_code: str, end: Quarter) -> dict[Quarter, int]:
    """A region's demo total per quarter; anchor quarters keep their exact anchor values."""
    anchors = ANCHORS[(region_code, indicator_code)]
    scale = max(anchors.values())
    series = {}
    for period in quarter_range(START, end):
        value = _interpolate(anchors, period)
        if period not in anchors:
            value += scale * 0.002 * math.sin(period.index * 1.7)
        series[period] = round(value)
    return series


def allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split ``total`` over ``weights`` in whole numbers that add up to it exactly."""
    wsum = sum(weights.values())
    raw = {k: total * w / wsum for k, w in weights.items()}
    shares = {k: math.floor(v) for k, v in raw.items()}
    rest = total - sum(shares.values())
    for k in sorted(raw, key=lambda k: (shares[k] - raw[k], k))[:rest]:
        shares[k] += 1
    return shares


def gansu_units(indicator_code: str, end: Quarter) -> dict[str, dict[Quarter, int]]:
    """Per prefecture (and the New Area) demo values; prefectures add up to the Gansu total."""
    totals = total_series("620000", indicator_code, end)
    units: dict[str, dict[Quarter, int]] = {code: {} for code in GANSU_WEIGHTS}
    units[NEW_AREA[0]] = {}
    for period, total in totals.items():
        years = (period - START) / 4
        weights = {c: w * (1 + drift / 100 * years) for c, (w, drift) in GANSU_WEIGHTS.items()}
        for code, value in allocate(total, weights).items():
            units[code][period] = value
        units[NEW_AREA[0]][period] = round(units[NEW_AREA[1]][period] * NEW_AREA[2])
    return units
