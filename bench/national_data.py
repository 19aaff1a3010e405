"""Generate the deterministic national-scale benchmark data set into the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/certtrack_bench python bench/national_data.py

About 34 provincial units, 340 prefecture-level and 2,850 county-level units with synthetic codes
shaped like GB/T 2260, under a synthetic country root 100000; quarters 2015Q1-2030Q4, both
indicators; counties and prefectures report (prefecture figures slightly above their counties'
sum, as direct figures from statistics would be), provinces and the country roll up. Targets
(2020Q4 and 2025Q4) for every province and prefecture under one synthetic plan each.
≈ 408,000 quarterly counts (approved; the reporting quarter 2026Q3 then in every state). Then
bench/national_workflow.py adds the people (3,670 users with memberships at every level), the
workflow, allocations down two levels, 8,160 task reports and notifications. Refuses to run on
a database that already holds regions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certtrack.settings")
os.environ.setdefault("CERTTRACK_DEV", "1")

PROVINCE_PREFIXES = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
]  # fmt: skip
PREFECTURES_PER_PROVINCE = 10
COUNTIES_TOTAL = 2850
START_YEAR, END_YEAR = 2015, 2030


def region_specs() -> list[tuple[str, str, str, str | None, bool]]:
    """(code, name, level, parent code, reporting) for the whole synthetic country."""
    specs = [("100000", "全国（模拟）", "country", None, False)]
    prefectures = []
    for p in PROVINCE_PREFIXES:
        code = f"{p}0000"
        specs.append((code, f"模拟省{p}", "province", "100000", False))
        for k in range(1, PREFECTURES_PER_PROVINCE + 1):
            prefectures.append((f"{p}{k:02d}00", code))
    extra = COUNTIES_TOTAL - 8 * len(prefectures)  # this many prefectures get a ninth county
    for i, (code, parent) in enumerate(prefectures):
        specs.append((code, f"模拟市{code}", "prefecture", parent, True))
        for c in range(1, (9 if i < extra else 8) + 1):
            specs.append((f"{code[:4]}{c:02d}", f"模拟县{code[:4]}{c:02d}", "county", code, True))
    return specs


def county_value(code: str, indicator: int, index: int) -> int:
    """A deterministic, slowly growing stock for a county at quarter ``index`` (0-based)."""
    seed = int(code) % 9973
    base = 20 + seed % 80
    value = base * (1 + 0.012 * index) + (seed * 7 + index * 13) % 5
    return int(value if indicator == 1 else value * 0.4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument(
        "--years",
        default=f"{START_YEAR}-{END_YEAR}",
        help="the quarters' years, e.g. 2025-2026 for the smoke run (bench/smoke.py)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from indicators.models import Indicator, Plan, QuarterlyCount, Target
    from indicators.periods import Quarter, quarter_range
    from regions.models import Region

    call_command("migrate", verbosity=0)
    if Region.objects.exists():
        print("refusing: this database already holds regions (use an empty database)")
        return 2
    started = time.perf_counter()
    call_command("loaddata", "plans", verbosity=0, exclude=["indicators.plan", "indicators.target"])
    indicators = {i.code: i for i in Indicator.objects.all()}

    specs = region_specs()
    paths: dict[str, str] = {}
    regions = []
    for code, name, level, parent, reporting in specs:
        paths[code] = (paths[parent] if parent else "/") + code + "/"
        regions.append(
            Region(
                code=code,
                name_zh=name,
                name_en=f"Synthetic {code}",
                level=level,
                path=paths[code],
                depth=paths[code].count("/") - 2,
                is_reporting_unit=reporting,
            )
        )
    with transaction.atomic():
        Region.objects.bulk_create(regions, batch_size=args.batch)
        ids = dict(Region.objects.values_list("code", "id"))
        by_code = {r.code: r for r in Region.objects.all()}
        for code, _n, _l, parent, _r in specs:
            if parent:
                by_code[code].parent_id = ids[parent]
        Region.objects.bulk_update(list(by_code.values()), ["parent"], batch_size=args.batch)

    first_year, last_year = (int(y) for y in args.years.split("-"))
    quarters = list(quarter_range(Quarter(first_year, 1), Quarter(last_year, 4)))
    now = timezone.now()
    children: dict[str, list[str]] = {}
    for code, _n, level, parent, _r in specs:
        if level == "county":
            children.setdefault(parent, []).append(code)
    batch: list = []
    total = 0

    def flush():
        nonlocal batch, total
        QuarterlyCount.objects.bulk_create(batch, batch_size=args.batch)
        total += len(batch)
        batch = []

    with transaction.atomic():
        for code, _n, level, _p, _r in specs:
            if level not in ("county", "prefecture"):
                continue
            for n, (_code, ind) in enumerate(sorted(indicators.items())):
                for i, q in enumerate(quarters):
                    if level == "county":
                        v = county_value(code, n + 1, i)
                    else:  # direct prefecture figure: its counties plus 1 %
                        v = round(sum(county_value(c, n + 1, i) for c in children[code]) * 1.01)
                    batch.append(
                        QuarterlyCount(
                            region_id=ids[code],
                            indicator=ind,
                            year=q.year,
                            quarter=q.quarter,
                            value=v,
                            status="approved",
                            entered_at=now,
                            version=1,
                        )
                    )
                    if len(batch) >= args.batch:
                        flush()
        flush()

    with transaction.atomic():
        plans = []
        for code, _n, level, _p, _r in specs:
            if level in ("province", "prefecture"):
                plans.append(
                    Plan(
                        title_zh=f"模拟方案{code}",
                        title_en=f"Synthetic plan {code}",
                        document_number=f"模〔2018〕{code}号",
                        issuer_zh="模拟",
                        issued_on=dt.date(2018, 7, 1),
                        region_id=ids[code],
                    )
                )
        Plan.objects.bulk_create(plans, batch_size=args.batch)
        targets = []
        for plan in Plan.objects.all():
            for ind in indicators.values():
                for year, factor in ((2020, 1.05), (2025, 1.25)):
                    targets.append(
                        Target(
                            plan=plan,
                            region_id=plan.region_id,
                            indicator=ind,
                            due_year=year,
                            due_quarter=4,
                            value=1000 if factor < 1.1 else 1300,
                        )
                    )
        Target.objects.bulk_create(targets, batch_size=args.batch)
    from django.db import connection

    from bench.national_workflow import add_workflow
    from indicators.rollups import rollups_rebuild

    print(add_workflow(batch=args.batch))  # people, the workflow, allocations, task reports

    cells = rollups_rebuild()  # bulk rows bypass the services: the dashboards read these cells
    print(f"{cells} roll-up cells")
    if connection.vendor == "postgresql":
        # Fresh statistics, or the planner guesses badly; and vacuumed, as autovacuum leaves a
        # running installation: the workflow's updates left every changed count twice in the
        # indexes (5,104 dead rows of the bench quarter), which the pages' scans then read.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f"{len(specs)} regions, {total} quarterly counts, {len(targets)} targets "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
