"""The certificate register at national scale (issue 27.6), or a fraction of it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/certtrack_register \\
        python bench/register_national.py --scale 0.01

A deterministic national register: ``scale`` × 4,067,752 certificates held by ``scale`` ×
1,087,967 organizations (the national totals at the end of 2024) across the 3,225 synthetic
regions of bench/national_data.py (created here when the database has none), with ten years of
issues (2015–2024), expiries, withdrawals and suspensions. Measured, each beside its bare
equivalent:

- import: the register through ``register.services.register_import`` in files of 20,000 rows
  (the upload limit), against a COPY of the same rows into a bare table; peak resident memory;
- stocks: every region's quarter-end stocks by type computed from the certificates (the event
  sweep of ``register.stocks.register_stocks_rebuild``, every quarter, rolled up over the tree)
  and read for 40 quarters (``register_stocks_by_region``), against the same counts by one
  hand-written SQL query (grouped by holder's region, no roll-up); the nation's 2024Q4 cells are
  checked against the read-time count (``register_stocks_counted``);
- a monthly update file of 100,000 × scale rows (new certificates and status changes), import
  to the refreshed national register page;
- the national register page (``/regions/100000/register/``, server time, median of 5).

Figures go to bench/RESULTS.md (section ``register-<scale in %>pct``, e.g. ``register-1pct``). Refuses a database holding certificates
(``--reset`` empties the register tables of a bench database first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certtrack.settings")
os.environ.setdefault("CERTTRACK_DEV", "1")
os.environ.setdefault("CERTTRACK_PLAIN_STATIC", "1")  # the page without a collected manifest
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")

NATIONAL_CERTIFICATES = 4_067_752
NATIONAL_ORGANIZATIONS = 1_087_967
FILE_ROWS = 20_000  # register.imports.MAX_ROWS
FIRST, LAST = dt.date(2015, 1, 1), dt.date(2024, 12, 31)
TYPES = ["qms", "ems", "ohsms", "ccc", "fsms", "service", "enms", "isms", "organic", "haccp"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_regions() -> None:
    from bench.national_data import region_specs
    from regions.models import Region

    if Region.objects.exists():
        return
    paths: dict[str, str] = {}
    rows = []
    for code, name, level, parent, reporting in region_specs():
        paths[code] = (paths[parent] if parent else "/") + code + "/"
        rows.append(
            Region(code=code, name_zh=name, name_en=f"Synthetic {code}", level=level,
                   path=paths[code], depth=paths[code].count("/") - 2,
                   is_reporting_unit=reporting)
        )  # fmt: skip
    Region.objects.bulk_create(rows, batch_size=5000)
    ids = dict(Region.objects.values_list("code", "id"))
    by_code = {r.code: r for r in Region.objects.all()}
    for code, _n, _l, parent, _r in region_specs():
        if parent:
            by_code[code].parent_id = ids[parent]
    Region.objects.bulk_update(list(by_code.values()), ["parent"], batch_size=5000)


def generate(scale: float):
    """The register's rows (RegisterRow), deterministic for ``scale``."""
    from stdnum.cn import uscc

    from regions.models import Region
    from register.imports import RegisterRow

    rng = random.Random(27)
    counties = sorted(Region.objects.filter(level="county").values_list("code", flat=True))
    n_orgs = max(1, round(NATIONAL_ORGANIZATIONS * scale))
    n_certs = max(n_orgs, round(NATIONAL_CERTIFICATES * scale))
    orgs = []
    for i in range(n_orgs):
        region = counties[i % len(counties)]
        base = f"91{region}MA{i:07d}"[:17]
        orgs.append((base + uscc.calc_check_digit(base), region))
    span = (LAST - FIRST).days
    rows = []
    for n in range(n_certs):
        code, region = orgs[n] if n < n_orgs else orgs[rng.randrange(n_orgs)]
        issued = FIRST + dt.timedelta(days=rng.randrange(span))
        expires = issued + dt.timedelta(days=3 * 365 - 1)
        roll = rng.random()
        status, status_date = "valid", None
        if roll < 0.25:  # renewed: valid on to the end
            expires = LAST + dt.timedelta(days=rng.randrange(30, 1000))
        elif roll < 0.30:
            status, status_date = "withdrawn", issued + dt.timedelta(days=rng.randrange(30, 900))
        elif roll < 0.33:
            status, status_date = "suspended", issued + dt.timedelta(days=rng.randrange(30, 900))
        rows.append(
            RegisterRow(
                row=n + 2,
                number=f"B{n:08d}",
                body=f"机构{n % 150:03d}",
                type_code=TYPES[n % len(TYPES)],
                credit_code=code,
                holder=f"组织{code[8:17]}",
                region_code=region,
                issued_on=issued,
                expires_on=expires,
                status=status,
                status_date=status_date,
                columns={},
            )  # fmt: skip
        )
    return rows


def bare_copy(rows) -> float:
    """COPY of the same rows into a bare table (the reference of the import)."""
    from django.db import connection

    out = io.StringIO()
    null = "\\N"
    for r in rows:
        since = r.status_date or null
        out.write(
            f"{r.number}\t{r.body}\t{r.type_code}\t{r.credit_code}\t{r.holder}\t{r.region_code}\t"
            f"{r.issued_on}\t{r.expires_on}\t{r.status}\t{since}\n"
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bare_register (number text, body text, type text, credit text, "
            "holder text, region text, issued date, expires date, status text, since date)"
        )
        out.seek(0)
        cursor.copy_expert("COPY bare_register FROM STDIN", out)
        cursor.execute("DROP TABLE bare_register")
    return time.perf_counter() - started


def import_files(rows, *, name: str, bulk: bool = False) -> tuple[float, dict]:
    """The rows through ``register_import`` in files of 20,000: each its own transaction with
    its stock refresh (an upload), or with ``bulk`` all in one transaction whose stock cells
    are rebuilt once at the end (``register_stocks_deferred``, the initial national load)."""
    from contextlib import ExitStack

    from django.db import transaction

    from register.services import register_import
    from register.stocks import register_stocks_deferred

    totals = {"added": 0, "changed": 0, "unchanged": 0}
    started = time.perf_counter()
    with ExitStack() as stack:
        if bulk:
            stack.enter_context(transaction.atomic())
            stack.enter_context(register_stocks_deferred())
        for start in range(0, len(rows), FILE_ROWS):
            summary = register_import(
                user=None, rows=rows[start : start + FILE_ROWS],
                file_name=f"{name}-{start // FILE_ROWS}", file_hash=f"{name}-{start}",
            )  # fmt: skip
            for key in ("added", "changed", "unchanged"):
                totals[key] += getattr(summary, key)
        totals["files_s"] = time.perf_counter() - started  # the rest: end of the load, commit
    return time.perf_counter() - started, totals


def bare_stocks(days) -> float:
    from django.db import connection

    sql = (
        "WITH days(d) AS (VALUES " + ", ".join(["(%s)"] * len(days)) + ") "
        "SELECT days.d, o.region_id, c.type_id, COUNT(*), COUNT(DISTINCT c.holder_id) FROM days "
        "JOIN register_certificatestatus s ON s.status = 'valid' AND s.valid_from <= days.d "
        "AND (s.valid_to IS NULL OR s.valid_to > days.d) "
        "JOIN register_certificate c ON c.id = s.certificate_id AND c.issued_on <= days.d "
        "AND c.expires_on >= days.d JOIN register_organization o ON o.id = c.holder_id "
        "GROUP BY days.d, o.region_id, c.type_id"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, list(days))
        cursor.fetchall()
    return time.perf_counter() - started


def monthly_update(rows, scale: float, month: int = 1):
    """100,000 × scale rows of 2025's ``month``: 70 % new certificates, 30 % status changes of
    existing ones."""
    from register.imports import RegisterRow

    rng = random.Random(2025 if month == 1 else 2025 * 100 + month)
    prefix = "U" if month == 1 else f"U{month:02d}-"
    n = max(10, round(100_000 * scale))
    update = []
    changed: set[str] = set()
    for i in range(n):
        if i % 10 < 7:
            base = rows[rng.randrange(len(rows))]
            update.append(
                RegisterRow(
                    row=i + 2,
                    number=f"{prefix}{i:08d}",
                    body=base.body,
                    type_code=base.type_code,
                    credit_code=base.credit_code,
                    holder=base.holder,
                    region_code=base.region_code,
                    issued_on=dt.date(2025, month, 15),
                    expires_on=dt.date(2028, month, 14),
                    status="valid",
                    status_date=None,
                    columns={},
                )  # fmt: skip
            )
        else:
            base = rows[rng.randrange(len(rows))]
            if base.number in changed:  # one row per certificate, as in a real file
                continue
            changed.add(base.number)
            new = "suspended" if base.status == "valid" else "valid"
            update.append(
                RegisterRow(
                    **{**base.__dict__, "status": new, "status_date": dt.date(2025, month, 20)}
                )
            )
    return update


def page_time(client, url: str) -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times)


def update_only(scale: float, month: int) -> int:
    """The monthly update alone, on a loaded register (see ``--update-only``)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from bench.results_md import write_section
    from register.models import Certificate

    if not Certificate.objects.filter(number="B00000000").exists() or not 2 <= month <= 12:
        print("refusing: load the register first (a full run at this --scale), MONTH in 2..12")
        return 2
    rows = generate(scale)
    update = monthly_update(rows, scale, month)
    copy_s = bare_copy(update)
    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench_admin", is_superuser=True, is_staff=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    url = "/regions/100000/register/?as_of=2024Q4"
    client.get(url, secure=True)
    t = time.perf_counter()
    update_s, totals = import_files(update, name=f"monthly-{month}")
    client.get(url, secure=True)
    total_s = time.perf_counter() - t
    load = os.getloadavg()
    print(f"monthly update {len(update):,} rows: {update_s:.1f} s, with the page {total_s:.1f} s")
    text = f"""## Certificate register at {scale:g} of national scale: a monthly update alone

Run {dt.date.today()} (`--update-only {month}` on a copy of the loaded register; load average
{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}), {connection.vendor}.

| measure | time | bare equivalent | ratio | budget (scale 1) | × 1/scale (indicative) |
|---|---|---|---|---|---|
| monthly update of {len(update):,} rows ({totals["added"]:,} added, {totals["changed"]:,} changed), to the refreshed national page | {total_s:.1f} s | COPY {copy_s:.2f} s | {total_s / copy_s:.0f}× | ≤ 30 s (100,000 rows) | {total_s / scale:.0f} s |
"""
    write_section(f"register-{scale * 100:g}pct-update", text)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument(
        "--reset", action="store_true", help="empty the register tables first (bench data only)"
    )
    parser.add_argument(
        "--update-only",
        type=int,
        metavar="MONTH",
        help="on a database this script has loaded at the same --scale (a copy: it is written "
        "to), time only the monthly update file of 2025's MONTH (2..12; 1 is the full run's) "
        "and the page after it; section register-<scale>pct-update",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench.results_md import write_section
    from indicators.periods import Quarter, quarter_range
    from regions.models import Region
    from register.models import Certificate
    from register.selectors import register_stocks_by_region, register_stocks_counted
    from register.stocks import register_stocks_rebuild

    call_command("migrate", verbosity=0)
    if args.reset:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE register_certificatestatus, register_certificate, "
                "register_organization, register_registerimport"
            )
    if args.update_only:
        return update_only(args.scale, args.update_only)
    if Certificate.objects.exists():
        print("refusing: this database already holds certificates (use an empty database)")
        return 2
    make_regions()
    call_command("loaddata", "plans", "register_types", verbosity=0,
                 exclude=["indicators.plan", "indicators.target"])  # fmt: skip
    t = time.perf_counter()
    rows = generate(args.scale)
    generated = time.perf_counter() - t
    print(f"generated {len(rows):,} rows in {generated:.1f} s")
    copy_s = bare_copy(rows)
    rss_rows = rss_mb()  # the generated rows, held for the whole run (not the import's)
    import_s, totals = import_files(rows, name="national", bulk=True)
    rss = rss_mb()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"import {import_s:.1f} s (COPY {copy_s:.2f} s), peak RSS {rss:.0f} MB "
        f"({rss_rows:.0f} MB before the import: the generated rows), {totals}"
    )

    days = [q.end_date for q in quarter_range(Quarter(2015, 1), Quarter(2024, 4))]
    t = time.perf_counter()
    cells = register_stocks_rebuild()
    rebuild_s = time.perf_counter() - t
    certs, orgs = register_stocks_by_region(days=days)
    stocks_s = time.perf_counter() - t
    bare_s = bare_stocks(days)
    nation = certs.get(("100000", days[-1], ""), 0), orgs.get(("100000", days[-1], ""), 0)
    counted = register_stocks_counted(region=Region.objects.get(code="100000"), days=days[-1:])
    counted = (counted.total_certificates[days[-1]], counted.total_organizations[days[-1]])
    assert nation == counted, (nation, counted)  # the cells kept by the imports are right
    print(
        f"stocks every region × quarter: rebuild {rebuild_s:.1f} s ({cells:,} cells), with the "
        f"40-quarter read {stocks_s:.1f} s (bare {bare_s:.1f} s); 2024Q4 {nation}"
    )

    User = get_user_model()
    admin, _ = User.objects.get_or_create(username="bench_admin", is_superuser=True, is_staff=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    url = "/regions/100000/register/?as_of=2024Q4"
    page_s = page_time(client, url)

    update = monthly_update(rows, args.scale)
    t = time.perf_counter()
    update_s, update_totals = import_files(update, name="monthly")
    client.get(url, secure=True)
    update_total_s = time.perf_counter() - t
    print(
        f"monthly update {len(update):,} rows: {update_s:.1f} s, with the page {update_total_s:.1f} s"
    )
    print(f"national register page: {page_s * 1000:.0f} ms")

    cores = os.cpu_count()
    load = os.getloadavg()
    extra = 1 / args.scale
    checks = [
        ("import", import_s * extra <= 600 and rss <= 1024),
        ("stocks", stocks_s * extra <= 60),
        ("monthly update", update_total_s * extra <= 30),
        ("page", page_s <= 0.150),
    ]
    met = [name for name, ok in checks if ok]
    missed = [name for name, ok in checks if not ok]
    scaled = (
        "measured at national scale"
        if args.scale >= 1
        else (
            f"at {args.scale:g} of national scale, extrapolated linearly (× {extra:g}; indicative, "
            "not measured)"
        )
    )
    text = f"""## Certificate register at {args.scale:g} of national scale (bench/register_national.py)

Run {dt.date.today()} on this machine ({cores} cores, shared with other jobs; load average
{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}), {connection.vendor}; {len(rows):,} certificates of
{round(NATIONAL_ORGANIZATIONS * args.scale):,} organizations over 3,225 regions, issued 2015–2024.
The budgets of issue 27.6 are for the full national register (scale 1).

| measure | time | bare equivalent | ratio | budget (scale 1) | × 1/scale (indicative) |
|---|---|---|---|---|---|
| import through the service, files of 20,000 rows in one load ({totals["files_s"]:.1f} s), then foreign keys and indexes restored and stock cells rebuilt at its end | {import_s:.1f} s | COPY {copy_s:.2f} s | {import_s / copy_s:.1f}× | ≤ 10 min, ≤ 1 GB | {import_s * extra / 60:.1f} min |
| peak resident memory of the importing process (of which before the import, the generated rows held by the harness) | {rss:.0f} MB ({rss_rows:.0f} MB) | — | — | ≤ 1 GB | — |
| every region's stocks by type: sweep of every certificate ({cells:,} cells) + read of 40 quarters | {stocks_s:.2f} s (read {stocks_s - rebuild_s:.2f} s) | one SQL query {bare_s:.2f} s | {stocks_s / bare_s:.2f}× | ≤ 60 s | {stocks_s * extra:.0f} s |
| monthly update of {len(update):,} rows, to the refreshed national page | {update_total_s:.1f} s | import part {update_s:.1f} s | — | ≤ 30 s (100,000 rows) | {update_total_s * extra:.0f} s |
| national register page (12 quarters), median of 5 | {page_s * 1000:.0f} ms | — | — | ≤ 150 ms | (cells read: independent of scale) |

Import added {totals["added"]:,}; the update added {update_totals["added"]:,} and changed
{update_totals["changed"]:,}. Nation at 2024-12-31: {nation[0]:,} valid certificates,
{nation[1]:,} certified organizations (the kept cells equal the read-time count).

**Verdict** ({scaled}): within budget: {", ".join(met) or "none"}; over budget:
{", ".join(missed) or "none"}. Details: bench/NOTES.md, "Certificate register".
"""
    write_section(f"register-{args.scale * 100:g}pct", text)
    print("written to bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
