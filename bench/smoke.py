"""A short national-scale smoke run for CI (issue 25): fails on a query-count or a time-ratio
regression beyond a generous margin.

    .venv/bin/python bench/smoke.py            # ≈ 2-3 min; a database of its own, dropped after

It builds the national set with four years of counts (bench/national_data.py --years 2023-2026:
3,225 regions, every person, the 2026Q3 workflow in every state, allocations down two levels,
8,160 task reports, notifications; four years because the dashboards look back twelve
quarters: over quarters without any count the completeness walk goes down every region, which
took minutes on a two-year set) in a fresh PostgreSQL database (SMOKE_DB, by default
``certtrack_smoke`` or ``${CI_DATABASE_NAME}_smoke``), then opens every page of
bench/run.py's ROLE_PAGES as its role, cold, saves an allocation of the nation to its 34
provinces and runs send_reminders for everyone (mails to Django's in-memory outbox), each in a
rolled-back transaction. It compares each with bench/smoke_baseline.json:

* queries: at most the baseline's + max(3, 25 %) (a page's queries do not depend on the
  machine, so a real regression, e.g. a query per row, shows at once);
* time: the page's cold median ÷ the sign-in page's cold median (measured in the same run,
  so the machine's speed cancels out) at most 3 × the baseline's ratio, plus 5.

``--update`` rewrites the baseline from this run (after an intended change). Exit status 1 on a
regression, with a line per page that failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "smoke_baseline.json"
QUERY_SLACK = (3, 0.25)
RATIO_FACTOR, RATIO_SLACK = 3.0, 5.0


def _db_url() -> str:
    name = os.environ.get("CI_DATABASE_NAME", "certtrack") + "_smoke"
    return os.environ.get("SMOKE_DB", f"postgres://postgres@127.0.0.1:5432/{name}")


def _psql(url: str, sql: str) -> None:
    base, name = url.rsplit("/", 1)
    subprocess.run(
        ["psql", f"{base}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql.format(name=name)],
        check=True,
        capture_output=True,
    )


def _measure(url: str, runs: int) -> dict:
    """In a child process on ``url``: every role's pages and the allocation save."""
    env = {**os.environ, "DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--runs", str(runs)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.stderr.write(out.stdout[-3000:] + out.stderr[-5000:])
        raise SystemExit("smoke: the measurement failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _child(runs: int) -> dict:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import run  # bench/run.py: the same pages, users and method as `make bench`

    run._setup()
    pages = run.bench_pages(runs, peak=False)
    return {"pages": pages, "writes": run.bench_writes()}  # send_reminders included (issue 25.4)


def check(result: dict, baseline: dict) -> list[str]:
    """The regressions of ``result`` against ``baseline`` (empty: none)."""
    failures = []
    base = {p["page"]: p for p in baseline["pages"]["pages"]}
    for page in result["pages"]["pages"]:
        ref = base.get(page["page"])
        if ref is None:
            continue
        allowed = ref["queries"] + max(QUERY_SLACK[0], int(ref["queries"] * QUERY_SLACK[1]))
        if page["queries"] > allowed:
            failures.append(
                f"{page['page']}: {page['queries']} queries (baseline {ref['queries']}, "
                f"allowed {allowed})"
            )
        limit = ref["ratio_to_bare"] * RATIO_FACTOR + RATIO_SLACK
        if page["ratio_to_bare"] > limit:
            failures.append(
                f"{page['page']}: {page['ratio_to_bare']} × the sign-in page's time "
                f"(baseline {ref['ratio_to_bare']}, allowed {limit:.1f})"
            )
    for name, value in result["writes"]["queries"].items():
        ref = baseline["writes"]["queries"].get(name)
        if ref is not None and value > ref + max(QUERY_SLACK[0], int(ref * QUERY_SLACK[1])):
            failures.append(f"{name}: {value} queries (baseline {ref})")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--update", action="store_true", help="rewrite the baseline")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database kept by --keep (no rebuild)"
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.runs)))
        return 0
    started = time.perf_counter()
    url = _db_url()
    if not args.reuse:
        _psql(url, 'DROP DATABASE IF EXISTS "{name}"')
        _psql(url, 'CREATE DATABASE "{name}"')
    try:
        if not args.reuse:
            subprocess.run(
                [sys.executable, "bench/national_data.py", "--years", "2023-2026"],
                env={**os.environ, "DATABASE_URL": url},
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            print(f"smoke: national set built in {time.perf_counter() - started:.0f} s")
        result = _measure(url, args.runs)
    finally:
        if not (args.keep or args.reuse):
            _psql(url, 'DROP DATABASE IF EXISTS "{name}"')
    for page in result["pages"]["pages"]:
        print(
            f"  {page['page']:45} {page['queries']:3} queries  {page['ratio_to_bare']:6.1f} × "
            f"bare  {page['kb']:7.1f} KB"
        )
    print(f"  writes: {result['writes']['queries']}")
    if args.update or not BASELINE.exists():
        BASELINE.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print(f"smoke: baseline written to {BASELINE.relative_to(ROOT)}")
        return 0
    failures = check(result, json.loads(BASELINE.read_text()))
    print(f"smoke: {time.perf_counter() - started:.0f} s in all")
    if failures:
        print("smoke: REGRESSION\n  " + "\n  ".join(failures))
        return 1
    print("smoke: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
