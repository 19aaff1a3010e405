"""Benchmark of the Word brief (issue 17): a province's brief against the Excel report of the same
scope, measured in the same run, through the whole view (permission check, selectors, document,
charts, saving the file), in process with Django's test client: no server, no network.

    .venv/bin/python bench/brief.py                     # SQLite file in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ct_brief_bench .venv/bin/python bench/brief.py
    .venv/bin/python bench/brief.py --runs 9 --write-results   # also rewrite bench/RESULTS.md

The database gets the reference and demo data when it has no counts (migrate, load_reference,
seed_demo up to the last complete quarter). Gansu (620000, 14 prefectures and 兰州新区, two
indicators, three plans' targets) as of the last complete quarter with approved values; the
reference is ``/reports/export.xlsx`` for 620000 over the quarters the brief's charts show
(2017Q4 to that quarter), all indicators, approved values. The first request of each (imports
of python-docx and matplotlib, the font lookup) is reported apart; then the two alternate, and
the medians are compared with the budget (about 2 s for the brief).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_S = 2.0
REGION = "620000"


def _setup(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        folder = Path(tempfile.gettempdir()) / "certtrack-bench-brief"
        folder.mkdir(exist_ok=True)
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certtrack.settings")
    os.environ.setdefault("CERTTRACK_DEV", "1")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("CERTTRACK_SECURE", "0")
    import django

    django.setup()
    import io

    from django.core.management import call_command

    from indicators.models import QuarterlyCount
    from indicators.periods import Quarter

    call_command("migrate", "--noinput", verbosity=0)
    if not QuarterlyCount.objects.exists():
        call_command("load_reference", verbosity=0)
        call_command("seed_demo", end=str(Quarter.last_complete()), stdout=io.StringIO())


def _timed(client, url: str, params: dict) -> tuple[float, int]:
    start = time.perf_counter()
    response = client.get(url, params)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed, len(body)


def _parts(as_of) -> dict[str, float]:
    """Where the brief's time goes: selectors, document with charts, saving (one call each)."""
    import datetime as dt
    import io

    from django.utils import translation

    from indicators.exports.brief import brief_document
    from indicators.selectors.brief import brief_data
    from indicators.selectors.values import Inclusion
    from regions.models import Region

    with translation.override("zh-hans"):
        t0 = time.perf_counter()
        data = brief_data(
            region=Region.objects.get(code=REGION), as_of=as_of, include=Inclusion.APPROVED
        )
        t1 = time.perf_counter()
        doc = brief_document(data=data, issuer="bench", issued_on=dt.date.today())
        t2 = time.perf_counter()
        doc.save(io.BytesIO())
        t3 = time.perf_counter()
    return {"selectors": t1 - t0, "document and charts": t2 - t1, "save": t3 - t2}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--write-results", action="store_true", help="rewrite bench/RESULTS.md")
    args = parser.parse_args(argv)
    _setup(args.database_url)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from indicators.periods import Quarter

    as_of = Quarter.last_complete()
    client = Client()
    client.force_login(get_user_model().objects.get(username="analyst"))
    brief = (reverse("indicators:report_brief"),
             {"region": REGION, "as_of": str(as_of), "values": "approved"})  # fmt: skip
    excel = (reverse("indicators:report_export"),
             {"region": REGION, "start": "2017Q4", "end": str(as_of), "values": "approved"})  # fmt: skip

    first_brief, brief_bytes = _timed(client, *brief)
    first_excel, excel_bytes = _timed(client, *excel)
    times: dict[str, list[float]] = {"brief": [], "excel": []}
    for _ in range(max(args.runs, 1)):
        times["brief"].append(_timed(client, *brief)[0])
        times["excel"].append(_timed(client, *excel)[0])
    parts = _parts(as_of)

    med = {k: statistics.median(v) for k, v in times.items()}
    ok = med["brief"] <= BUDGET_S
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Word brief: benchmark results",
        "",
        "Reproduce (from the repository root, after `make install`):",
        "",
        "```",
        ".venv/bin/python bench/brief.py --write-results",
        "```",
        "",
        f"- {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}, database {connection.vendor}; load average "
        f"{load:.1f} at the end (other work on the machine competes)",
        f"- Gansu ({REGION}) as of {as_of}, approved values, demo data, in the Chinese interface; "
        "the whole view through Django's test client (permission check, selectors, document "
        "with two charts, file), in one process",
        f"- reference, in the same run: the Excel report of the same region, 2017Q4–{as_of}, "
        "all indicators (`/reports/export.xlsx`)",
        f"- {len(times['brief'])} timed runs of each, alternating, after one first request of each",
        "",
        "| request | first s | median s | min s | max s | file KB |",
        "|---|---:|---:|---:|---:|---:|",
        f"| brief `/reports/brief.docx` | {first_brief:.2f} | {med['brief']:.2f} | "
        f"{min(times['brief']):.2f} | {max(times['brief']):.2f} | {brief_bytes / 1024:.0f} |",
        f"| Excel report `/reports/export.xlsx` | {first_excel:.2f} | {med['excel']:.2f} | "
        f"{min(times['excel']):.2f} | {max(times['excel']):.2f} | {excel_bytes / 1024:.0f} |",
        "",
        f"Brief ÷ Excel report (medians): **{med['brief'] / med['excel']:.2f}×**. Budget for the "
        f"brief: about {BUDGET_S:.0f} s → **{'met' if ok else 'NOT met'}** "
        f"(median {med['brief']:.2f} s).",
        "",
        "Where the brief's time goes (one call each, after the runs): "
        + ", ".join(f"{name} {secs:.2f} s" for name, secs in parts.items())
        + ". The first request also imports python-docx and matplotlib and finds the CJK font "
        "(once per server process).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_results:
        from bench.results_md import write_section

        write_section("brief", text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
