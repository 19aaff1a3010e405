"""CertTrack benchmarks at national scale: one command each, figures into bench/RESULTS.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/certtrack_bench python bench/run.py dashboards
    ... python bench/run.py throughput   # gunicorn + wrk on 127.0.0.1 (PORT, default 8017)
    ... python bench/run.py export       # the national report, in subprocesses (peak RSS)
    ... python bench/run.py import       # a 10,000-row workbook, preview + confirm, rolled back
    ... python bench/run.py all

The database must hold the national data set (bench/national_data.py). Every figure is written
beside its reference, measured in the same run, and its budget (issue 7). Each benchmark keeps
its figures in bench/results/<name>.json; RESULTS.md is rendered from all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certtrack.settings")
os.environ.setdefault("CERTTRACK_DEV", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/certtrack_bench")
os.environ.setdefault("CONN_MAX_AGE", "600")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("CERTTRACK_SECURE", "0")  # plain HTTP on the loopback: no SSL redirect
# The import bench writes new counts for 2014, before the data set's first quarter (2015Q1, the
# default first quarter counts may be entered for): the app must accept them.
os.environ.setdefault("CERTTRACK_FIRST_QUARTER", "2014Q1")

AS_OF = "2026Q2"  # a fixed quarter, so that every run measures the same page
BENCH_USER = "bench_admin"
BENCH_OFFICIAL = "bench_official"


def _setup():
    import django

    django.setup()
    from django.conf import settings

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():  # DEBUG off: manifest
        from django.core.management import call_command

        call_command("collectstatic", "--noinput", verbosity=0)


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _machine() -> dict:
    from django.db import connection

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            db = "PostgreSQL " + cur.fetchone()[0]
        else:
            db = connection.vendor
    return {
        "nproc": os.cpu_count(),
        "memory": mem,
        "cpu": cpu,
        "database": db,
        "python": platform.python_version(),
        "when": time.strftime("%Y-%m-%d %H:%M %Z"),
        # The machine may be shared: what else ran shows in the load average at the end.
        "load": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None,
    }


def _save(name: str, data: dict) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    data["machine"] = _machine()
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    render()


def _superuser():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_superuser": True, "is_staff": True}
    )
    return user


# --- dashboards ----------------------------------------------------------------------------

# Every plan's trend lines at once (≈ 150,000 records): a bulk download, shown for scale, not a
# page's data (the overview's page links carry ?page=N); no budget applies.
BULK = "overview JSON (trends), every plan: bulk download"

PAGES = [
    ("overview", "/"),
    ("overview JSON (trends)", "/overview/trends.json?page=1"),  # as linked from the page
    (BULK, "/overview/trends.json"),
    ("national /regions/100000/", "/regions/100000/"),
    ("national JSON (series)", "/regions/100000/series.json"),
    ("national JSON (completeness)", "/regions/100000/completeness.json"),
    ("provincial /regions/620000/", "/regions/620000/"),
    ("provincial JSON (series)", "/regions/620000/series.json"),
    ("prefecture /regions/620100/", "/regions/620100/"),
    ("prefecture JSON (series)", "/regions/620100/series.json"),
]

# The reference: the same aggregate as one hand-written query, the stock of every child of the
# region per indicator and quarter summed from the reporting leaves of the subtree.
REFERENCE_SQL = """
SELECT child.code, c.indicator_id, c.year, c.quarter, SUM(c.value)
FROM indicators_quarterlycount c
JOIN regions_region r ON r.id = c.region_id
JOIN regions_region child ON child.parent_id = %s AND r.path LIKE child.path || '%%'
WHERE NOT EXISTS (SELECT 1 FROM regions_region k WHERE k.parent_id = r.id)
  AND c.status IN ('approved', 'submitted')
  AND (c.year * 4 + c.quarter) BETWEEN %s AND %s
GROUP BY child.code, c.indicator_id, c.year, c.quarter
"""


def bench_dashboards(runs: int) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from certtrack.startup import settle
    from indicators.periods import Quarter
    from regions.models import Region

    client = Client()
    client.force_login(_superuser())
    as_of = Quarter.parse(AS_OF)
    rows = []
    settle()  # as certtrack/wsgi.py does in every app process
    for label, url in PAGES:
        full = f"{url}{'&' if '?' in url else '?'}as_of={AS_OF}"
        for _ in range(2 if label != BULK else 1):  # warm-up
            assert client.get(full).status_code == 200, full
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:  # the queries of a cold request
            client.get(full)
        queries = len(ctx.captured_queries)
        times, cold = [], []
        n = runs if label != BULK else max(3, runs // 10)  # ≈ 1 s each: fewer runs
        for _ in range(n):
            t0 = time.perf_counter()
            response = client.get(full)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        for _ in range(n):  # cold: nothing rendered yet (as right after a write)
            cache.clear()
            t0 = time.perf_counter()
            response = client.get(full)
            cold.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        code = url.split("/")[2] if url.startswith("/regions/") else "100000"
        region = Region.objects.get(code=code)
        ref = []
        with connection.cursor() as cur:
            for _ in range(runs):
                t0 = time.perf_counter()
                cur.execute(
                    REFERENCE_SQL,
                    [region.pk, 2017 * 4 + 4, as_of.year * 4 + as_of.quarter],
                )
                cur.fetchall()
                ref.append((time.perf_counter() - t0) * 1000)
        rows.append(
            {
                "page": label,
                "url": full,
                "p50_ms": round(_pct(times, 0.5), 1),
                "p95_ms": round(_pct(times, 0.95), 1),
                "cold_p50_ms": round(_pct(cold, 0.5), 1),
                "cold_p95_ms": round(_pct(cold, 0.95), 1),
                "queries": queries,
                "ref_region": code,
                "ref_p50_ms": round(_pct(ref, 0.5), 1),
                "ref_p95_ms": round(_pct(ref, 0.95), 1),
            }
        )
        print(rows[-1])
    return {"runs": runs, "as_of": AS_OF, "pages": rows}


# --- pages of every role ---------------------------------------------------------------------

# (page, user, url): every page issue 25 names, opened by the role that opens it at national
# scale. Users come from bench/national_workflow.py; "{plan}", "{target}" are filled in.
ROLE_PAGES = [
    ("home, superuser", BENCH_USER, "/home/"),
    ("home, national reviewer", "n_reviewer_100000", "/home/"),
    ("home, national leader", "n_leader_100000", "/home/"),
    ("home, national analyst", "n_analyst_100000", "/home/"),
    ("home, national target manager", "n_targets_100000", "/home/"),
    ("home, provincial reviewer", "n_reviewer_620000", "/home/"),
    ("home, provincial leader", "n_leader_620000", "/home/"),
    ("home, prefecture official", "n_official_620100", "/home/"),
    ("home, county official", "n_official_620101", "/home/"),
    ("home, unit (task reports)", "n_unit_gov-620000", "/home/"),
    ("review queue, national reviewer", "n_reviewer_100000", "/review/"),
    ("national dashboard, national reviewer", "n_reviewer_100000", "/regions/100000/"),
    ("provincial dashboard, provincial leader", "n_leader_620000", "/regions/620000/"),
    ("assessment of the nation", BENCH_USER, "/regions/100000/assessment/"),
    ("allocation page, nation → 34 provinces", "n_targets_100000", "/targets/{target}/allocation/"),
    ("task board, national plan", "n_reviewer_100000", "/plans/{plan}/tasks/"),
    ("tasks.json, national plan", "n_reviewer_100000", "/plans/{plan}/tasks.json"),
]
# A bare Django page, the reference of every ratio: the sign-in page.
BARE = "/accounts/login/"


class _Counted:
    """Counts the SQL statements run inside it (a request's queries: the test client's
    request_started signal empties ``connection.queries``, so CaptureQueriesContext may miss
    them)."""

    def __enter__(self):
        from django.db import connection

        self.n = 0
        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)


def _national_plan():
    from bench.national_workflow import NATIONAL_PLAN
    from indicators.models import Plan, Target

    plan = Plan.objects.get(document_number=NATIONAL_PLAN)
    # The one due latest (2027Q4): its allocations may still be changed.
    target = (
        Target.objects.filter(plan=plan, allocated_from__isnull=True)
        .order_by("-due_year", "pk")
        .first()
    )
    return plan, target


def bench_pages(runs: int, only: str = "", peak: bool = True) -> dict:
    """Each role's pages, cold (the cache emptied before every request), with their queries,
    size and the peak of Python allocations of one request; beside a bare page's cold time."""
    import tracemalloc

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from certtrack.startup import settle

    settle()
    _superuser()
    plan, target = _national_plan()
    anonymous = Client()
    for _ in range(2):  # warm-up, as for every page below
        anonymous.get(BARE)
    bare = []
    for _ in range(max(runs, 5)):
        cache.clear()
        t0 = time.perf_counter()
        assert anonymous.get(BARE).status_code == 200
        bare.append((time.perf_counter() - t0) * 1000)
    bare_p95 = _pct(bare, 0.95)
    rows = []
    User = get_user_model()
    for label, username, url in ROLE_PAGES:
        if only and only not in label:
            continue
        url = url.format(plan=plan.pk, target=target.pk)
        client = Client()
        client.force_login(User.objects.get(username=username))
        for _ in range(2):  # warm-up (and the home's first visit of the session)
            response = client.get(url)
            if response.status_code == 302 and url == "/home/":
                # a unit member without a region role: the home is the unit's page (issue 26.4)
                url = response["Location"]
                response = client.get(url)
            assert response.status_code == 200, (label, url, response.status_code)
        cache.clear()
        with _Counted() as counted:
            response = client.get(url)
        size = len(response.content)
        peak_bytes = 0
        if peak or "tasks" in label:  # tracemalloc slows a request down 2-3 times
            cache.clear()
            tracemalloc.start()
            client.get(url)
            peak_bytes = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        # The sign-in page is requested cold before each of the page's requests: on a shared
        # machine whose load moves by the minute, a reference measured once at the start made
        # the ratio move with the load as much as with the page (bench/NOTES.md).
        cold, beside = [], []
        for _ in range(runs):
            cache.clear()
            t0 = time.perf_counter()
            assert anonymous.get(BARE).status_code == 200
            beside.append((time.perf_counter() - t0) * 1000)
            cache.clear()
            t0 = time.perf_counter()
            assert client.get(url).status_code == 200
            cold.append((time.perf_counter() - t0) * 1000)
        rows.append(
            {
                "page": label,
                "user": username,
                "url": url,
                "cold_p50_ms": round(_pct(cold, 0.5), 1),
                "cold_p95_ms": round(_pct(cold, 0.95), 1),
                "bare_p50_ms": round(_pct(beside, 0.5), 1),
                "ratio_to_bare": round(_pct(cold, 0.5) / max(_pct(beside, 0.5), 0.01), 1),
                "queries": counted.n,
                "kb": round(size / 1024, 1),
                "peak_mb": round(peak_bytes / 1e6, 1),
            }
        )
        print(rows[-1])
    return {
        "runs": runs,
        "bare_p50_ms": round(_pct(bare, 0.5), 1),
        "bare_p95_ms": round(bare_p95, 1),
        "pages": rows,
    }


# --- writes -----------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def bench_writes(reminders: bool = True) -> dict:
    """The writes issue 25 names, each in a transaction rolled back afterwards: the allocation
    of a national target to the 34 provinces (a new save, then a change of every value), the
    notification fan-out of a submission and of an import's 340 region-quarters, and (with
    ``reminders``) the day's reminder digests of every person, mailed to Django's in-memory
    outbox. Queries and seconds of each."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import transaction

    from indicators.models import Target
    from indicators.periods import Quarter
    from indicators.services.targets import target_allocations_save
    from notifications.models import Notification
    from notifications.services import notifications_create, notifications_create_many
    from regions.models import Region

    User = get_user_model()
    _plan, target = _national_plan()
    manager = User.objects.get(username="n_targets_100000")
    provinces = list(Region.objects.filter(level="province").order_by("path"))
    prefectures = list(Region.objects.filter(level="prefecture").order_by("path"))
    queries: dict[str, int] = {}
    seconds: dict[str, float] = {}

    def measure(name, fn, setup=None):
        try:
            with transaction.atomic():
                if setup is not None:  # before the clock, rolled back with the rest
                    setup()
                with _Counted() as counted:
                    t0 = time.perf_counter()
                    fn()
                    seconds[name] = round(time.perf_counter() - t0, 3)
                queries[name] = counted.n
                raise _Rollback
        except _Rollback:
            pass

    def allocate_new():
        Target.objects.filter(allocated_from=target).delete()
        user = User.objects.get(pk=manager.pk)
        with _Counted() as inner:
            target_allocations_save(target=target, values={p.pk: 1000 for p in provinces},
                                    user=user)  # fmt: skip
        queries["allocation save, nation → 34 provinces (new)"] = inner.n

    def allocate_change():
        user = User.objects.get(pk=manager.pk)
        target_allocations_save(
            target=target, values={p.pk: 1001 + i for i, p in enumerate(provinces)}, user=user
        )

    measure("allocation setup", allocate_new)
    queries.pop("allocation setup", None)
    seconds.pop("allocation setup", None)
    measure("allocation save, nation → 34 provinces (change)", allocate_change)
    official = User.objects.get(username="n_official_620100")
    measure(
        "notifications of a submission (prefecture 620100)",
        lambda: notifications_create(
            kind=Notification.Kind.SUBMITTED, region=prefectures[0], period=Quarter(2026, 3),
            actor=official,
        ),
    )  # fmt: skip
    measure(
        "notifications of an import (340 prefectures)",
        lambda: notifications_create_many(
            kind=Notification.Kind.SUBMITTED,
            subjects=[(r, Quarter(2026, 3)) for r in prefectures],
            actor=official,
        ),
    )
    out = {"queries": queries, "seconds": seconds}
    if reminders:
        from django.test.utils import override_settings

        from notifications.digests import people_to_remind
        from notifications.reminders import reminders_send

        people = people_to_remind().count()
        sent = []
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            measure(
                "send_reminders",
                lambda: sent.append(len(reminders_send(day=dt.date(2026, 10, 19)).sent)),
                setup=_confirm_addresses,
            )
        out["reminders_people"] = people
        out["reminders_sent"] = sent[0]
    print(out)
    return out


def _confirm_addresses() -> None:
    """Every user's address confirmed, as in an installation in use (a digest goes only to a
    confirmed address, issue 24.5; the national set's users have never opened a link): else
    send_reminders would build every digest and mail none."""
    from django.contrib.auth import get_user_model
    from django.db.models import OuterRef, Subquery

    from notifications.models import Preference

    User = get_user_model()
    users = User.objects.exclude(email="")
    have = set(Preference.objects.values_list("user_id", flat=True))
    Preference.objects.bulk_create(
        [Preference(user_id=pk) for pk in users.values_list("pk", flat=True) if pk not in have],
        batch_size=2000,
    )
    email = User.objects.filter(pk=OuterRef("user_id")).values("email")[:1]
    Preference.objects.filter(user__in=users).update(email_confirmed=Subquery(email))


# --- throughput ----------------------------------------------------------------------------


def _wrk(url: str, cookie: str | None, seconds: int, connections: int) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: sessionid={cookie}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            rps = float(line.split()[1])
        if "Non-2xx" in line:
            raise RuntimeError(f"non-2xx answers from {url}:\n{out}")
    return rps


# Whose dashboards the throughput is measured for: every role, reviewers included (their
# header badge once made every page 30 times slower than a bare one).
THROUGHPUT = [
    ("superuser, provincial", BENCH_USER, "/regions/620000/"),
    ("national reviewer, national", "n_reviewer_100000", "/regions/100000/"),
    ("provincial reviewer, provincial", "n_reviewer_620000", "/regions/620000/"),
    ("provincial leader, provincial", "n_leader_620000", "/regions/620000/"),
    ("prefecture official, prefecture", "n_official_620100", "/regions/620100/"),
]


def bench_throughput(runs: int, seconds: int, port: int, workers: int) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    _superuser()
    User = get_user_model()
    cookies = {}
    for label, username, _url in THROUGHPUT:
        user = User.objects.filter(username=username).first()
        if user is None:  # a national set made before bench/national_workflow.py
            continue
        client = Client()
        client.force_login(user)
        cookies[label] = client.cookies[settings.SESSION_COOKIE_NAME].value
    env = {
        **os.environ,
        "CERTTRACK_DEV": "0",
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,  # the session cookie was signed with it
        "ALLOWED_HOSTS": "127.0.0.1",
        "CERTTRACK_SECURE": "0",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "certtrack.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    login = f"{base}/accounts/login/"
    rps: dict[str, list[float]] = {label: [] for label in cookies}
    login_rps: list[float] = []
    try:
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(login, timeout=2)
                break
            except OSError:
                time.sleep(0.2)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                raise RuntimeError("the dashboard redirected: the session is not valid there")

        urls = {label: f"{base}{url}?as_of={AS_OF}" for label, _u, url in THROUGHPUT}
        for label, cookie in cookies.items():
            opener = urllib.request.build_opener(NoRedirect)
            opener.addheaders = [("Cookie", f"sessionid={cookie}")]
            assert opener.open(urls[label], timeout=60).status == 200
            _wrk(urls[label], cookie, 2, 4)  # warm-up
        _wrk(login, None, 2, 4)
        for _ in range(runs):
            login_rps.append(_wrk(login, None, seconds, 8))
            for label, cookie in cookies.items():  # side by side with the reference
                rps[label].append(_wrk(urls[label], cookie, seconds, 8))
            print(login_rps[-1], {k: v[-1] for k, v in rps.items()})
    finally:
        server.terminate()
        server.wait(timeout=20)
    g = statistics.median(login_rps)
    pages = [
        {"page": label, "rps": round(statistics.median(v), 1),
         "ratio": round(statistics.median(v) / g, 3)}
        for label, v in rps.items()
    ]  # fmt: skip
    return {
        "runs": runs,
        "seconds": seconds,
        "workers": workers,
        "connections": 8,
        "login_rps": round(g, 1),
        "pages": pages,
        # the first row, under its former names
        "dashboard_rps": pages[0]["rps"],
        "ratio": pages[0]["ratio"],
    }


# --- export --------------------------------------------------------------------------------


def _child(mode: str, quarterly_only: bool) -> dict:
    """Run in a fresh process: time and peak RSS of one export (or of the bare reference)."""
    import datetime as dt

    from openpyxl import Workbook

    from indicators.models import Indicator
    from indicators.periods import Quarter
    from regions.models import Region

    start, end = Quarter(2015, 1), Quarter(2030, 4)
    root = Region.objects.get(code="100000")
    indicators = list(Indicator.objects.all())
    out = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    out.close()
    result: dict = {"mode": mode}
    if mode == "app":
        from indicators.exports.report import report_workbook
        from indicators.selectors.reports import report_data

        t0 = time.perf_counter()
        data = report_data(
            user=_superuser(),
            root=root,
            start=start,
            end=end,
            indicators=indicators,
            quarterly_only=quarterly_only,
        )
        wb = report_workbook(data=data, generated_by="bench", generated_at=dt.datetime.now())
        wb.save(out.name)
        result["seconds"] = time.perf_counter() - t0
    else:
        rows = _bare_rows(root=root, start=start, end=end, indicators=indicators)
        result["rows"] = len(rows)
        t0 = time.perf_counter()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Quarterly")
        for row in rows:
            ws.append(row)
        wb.save(out.name)
        result["seconds"] = time.perf_counter() - t0
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["bytes"] = os.path.getsize(out.name)
    os.unlink(out.name)
    return result


def _bare_rows(*, root, start, end, indicators) -> list[list]:
    """The Quarterly sheet's rows as plain lists (17 columns), read before the clock starts."""
    from indicators.models import RollupCell
    from indicators.periods import quarter_range
    from regions.models import Region

    regions = list(Region.objects.filter(path__startswith=root.path, active=True).order_by("path"))
    parent = {r.pk: r.code for r in regions}
    cells = {
        (c[0], c[1], c[2], c[3]): c
        for c in RollupCell.objects.filter(inclusion="submitted").values_list(
            "region_id", "indicator_id", "year", "quarter", "value", "status", "approved",
            "source", "complete", "children_sum",
        )
    }  # fmt: skip
    quarters = list(quarter_range(start, end))
    rows = []
    for r in regions:
        for ind in indicators:
            for q in quarters:
                c = cells.get((r.pk, ind.pk, q.year, q.quarter))
                v = c[4] if c else None
                csum = c[9] if c else None
                rows.append(
                    [
                        r.code, r.name_zh, r.name_en, r.level, parent.get(r.parent_id), ind.code,
                        ind.name_zh, q.year, q.quarter, str(q), v, (c[5] if c else ""),
                        c[6] if c else None, c[7] if c else "none", c[8] if c else None, csum,
                        (v - csum) if c and c[7] == "direct" and csum is not None else None,
                    ]
                )  # fmt: skip
    return rows


def _run_child(mode: str, quarterly_only: bool = False) -> dict:
    cmd = [sys.executable, __file__, "_export-child", mode]
    if quarterly_only:
        cmd.append("--quarterly-only")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_export(runs: int) -> dict:
    full, quarterly, bare = [], [], []
    for _ in range(runs):
        bare.append(_run_child("bare"))
        full.append(_run_child("app"))
        quarterly.append(_run_child("app", quarterly_only=True))
        print(bare[-1], full[-1], quarterly[-1])

    def med(items, key):
        return round(statistics.median(i[key] for i in items), 2)

    return {
        "runs": runs,
        "rows": bare[0]["rows"],
        "bare_seconds": med(bare, "seconds"),
        "bare_peak_mb": med(bare, "peak_mb"),
        "full_seconds": med(full, "seconds"),
        "full_peak_mb": med(full, "peak_mb"),
        "full_bytes": full[0]["bytes"],
        "quarterly_seconds": med(quarterly, "seconds"),
        "quarterly_peak_mb": med(quarterly, "peak_mb"),
    }


# --- import --------------------------------------------------------------------------------

IMPORT_ROWS = 10_000
IMPORT_QUARTERS = ["2014Q1", "2014Q2", "2014Q3", "2014Q4"]  # before the data set: all new


def _import_workbook(units) -> bytes:
    """A template-format workbook: IMPORT_ROWS rows of (region, quarter, both indicators)."""
    import datetime as dt
    import io

    from indicators.exports.template import import_template_workbook
    from indicators.models import Indicator
    from indicators.periods import Quarter

    indicators = list(Indicator.objects.all())
    wb = import_template_workbook(
        rows=[],
        period=Quarter.parse(IMPORT_QUARTERS[0]),
        indicators=indicators,
        generated_by="bench",
        generated_at=dt.datetime(2026, 7, 1),
    )
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]] if ws.max_row else []
    n = 0
    for q in IMPORT_QUARTERS:
        for i, unit in enumerate(units):
            if n >= IMPORT_ROWS:
                break
            ws.append([unit.code, unit.name_zh, q, 100 + i % 50, 40 + i % 20, ""])
            n += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), header


def _vacuum() -> None:
    """Every run starts from the same tables: the rows a rolled-back run inserted are dead
    tuples that would slow the next runs down until autovacuum came by."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM ANALYZE indicators_quarterlycount, indicators_countevent, "
                "indicators_rollupcell"
            )


def _check_constraints() -> None:
    """Check the deferred foreign keys of the rows written so far, as a commit would. Both
    sides of the import's comparison are rolled back, never committed; the application checks
    its rows before the end of its transaction (``indicators.pagecache.data_changed``, against
    a deadlock), so the reference must check its own too, or it would be spared the work its
    commit does."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def bench_import(runs: int) -> dict:
    import io

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from openpyxl import load_workbook

    from indicators import imports
    from indicators.models import Indicator, QuarterlyCount, RollupCell
    from indicators.periods import Quarter
    from indicators.selectors.reports import stored_counts
    from indicators.services.imports import counts_import
    from regions.models import Membership, Region
    from regions.selectors import regions_enterable_by

    official, _ = get_user_model().objects.get_or_create(username=BENCH_OFFICIAL)
    root = Region.objects.get(code="100000")
    Membership.objects.get_or_create(user=official, region=root, role=Membership.Role.OFFICIAL)
    units = list(Region.objects.filter(is_reporting_unit=True, active=True).order_by("path"))
    data, header = _import_workbook(units)
    imports.MAX_ROWS = max(imports.MAX_ROWS, IMPORT_ROWS)  # the documented limit is 5,000 rows
    imports.MAX_UPLOAD_BYTES = max(imports.MAX_UPLOAD_BYTES, len(data) + 1)
    indicators = list(Indicator.objects.all())
    codes = [i.code for i in indicators]
    today = __import__("datetime").date(2026, 7, 1)

    class Rollback(Exception):
        pass

    app: dict[bool, list] = {False: [], True: []}  # submit ticked or not
    ref = []
    unchecked = []  # the reference without its foreign keys checked (before issue 25's fix)
    for _ in range(runs):
        # The application: parse, plan, preview (dry run), confirm; then everything is undone.
        # Twice: as drafts (the form's default) and with "submit for review" ticked, which also
        # refreshes the roll-ups of every ancestor (drafts are in no roll-up).
        for submit in (False, True):
            _vacuum()
            try:
                with transaction.atomic():
                    t0 = time.perf_counter()
                    parsed = imports.parse_counts_workbook(
                        data=data,
                        indicator_codes=codes,
                        known_regions=set(
                            Region.objects.filter(active=True).values_list("code", flat=True)
                        ),
                        enterable_regions=set(
                            regions_enterable_by(official).values_list("code", flat=True)
                        ),
                    )
                    assert not parsed.errors, parsed.errors[:3]
                    stored = {
                        key: imports.StoredCount(c.value, c.version, c.status)
                        for key, c in stored_counts(
                            keys=[(r.region_code, r.period) for r in parsed.rows]
                        ).items()
                    }
                    changes = imports.plan_changes(rows=parsed.rows, stored=stored)
                    counts_import(
                        user=official, changes=changes, submit=submit, dry_run=True, today=today
                    )
                    t_preview = time.perf_counter() - t0
                    changed = counts_import(
                        user=official, changes=changes, submit=submit, today=today
                    )
                    app[submit].append((time.perf_counter() - t0, t_preview))
                    assert changed == 2 * len(parsed.rows), changed
                    if submit:  # the import reached the dashboards' roll-ups
                        assert RollupCell.objects.filter(year=2014).exists()
                    raise Rollback
            except Rollback:
                pass
        # The reference: openpyxl read-only reading the same file, one bulk insert.
        _vacuum()
        try:
            with transaction.atomic():
                t0 = time.perf_counter()
                wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
                region_id = dict(Region.objects.values_list("code", "pk"))
                now = __import__("django.utils.timezone").utils.timezone.now()
                objs = []
                for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True):
                    if not row or row[0] is None or str(row[0]) not in region_id:
                        continue
                    q = Quarter.parse(str(row[2]))
                    for ind, value in zip(indicators, row[3:5], strict=True):
                        objs.append(
                            QuarterlyCount(
                                region_id=region_id[str(row[0])],
                                indicator=ind,
                                year=q.year,
                                quarter=q.quarter,
                                value=int(value),
                                entered_at=now,
                            )
                        )
                wb.close()
                QuarterlyCount.objects.bulk_create(objs, batch_size=2000)
                unchecked.append(time.perf_counter() - t0)
                _check_constraints()  # as its commit would (the application checks its own)
                ref.append(time.perf_counter() - t0)
                assert len(objs) == 2 * IMPORT_ROWS, len(objs)
                raise Rollback
        except Rollback:
            pass
        connection.close()
        print(app[False][-1], app[True][-1], ref[-1])
    return {
        "runs": runs,
        "rows": IMPORT_ROWS,
        "values": 2 * IMPORT_ROWS,
        "app_seconds": round(statistics.median(a for a, _ in app[False]), 2),
        "preview_seconds": round(statistics.median(p for _, p in app[False]), 2),
        "submit_seconds": round(statistics.median(a for a, _ in app[True]), 2),
        "submit_preview_seconds": round(statistics.median(p for _, p in app[True]), 2),
        "ref_seconds": round(statistics.median(ref), 2),
        "ref_unchecked_seconds": round(statistics.median(unchecked), 2),
        "header": header,
    }


# --- RESULTS.md ----------------------------------------------------------------------------


def _ok(flag: bool) -> str:
    return "**met**" if flag else "**NOT met**"


# The results this file renders, in the order of RESULTS.md's national-scale section (other
# benchmarks keep their own files there, e.g. import_bomb.json, and their own sections).
STEPS = ["dashboards", "pages", "throughput", "writes", "export", "import"]


def render() -> None:
    found = {
        p.stem: json.loads(p.read_text())
        for p in sorted(RESULTS_DIR.glob("*.json"))
        if p.stem in STEPS
    }
    found = {name: found[name] for name in STEPS if name in found}
    lines = [
        "# CertTrack at national scale: benchmark results",
        "",
        "Generated by `bench/run.py` (`make bench`) on the national data set of "
        "`bench/national_data.py` (3,225 regions, 2015Q1–2030Q4, 408,320 counts) on "
        "PostgreSQL. Each figure is the median of the runs stated, beside its reference "
        "measured in the same run and its budget (issues 7 and 25). What changed to meet them, "
        "and notes on method: bench/NOTES.md. Since issue 25 the set also holds 3,670 users "
        "with memberships at every level, 2026Q3 in every state, allocations down two levels, "
        "8,160 task reports and notifications (`bench/national_workflow.py`). On a shared "
        "machine absolute times move with its load; the ratios beside a reference measured "
        "in the same run are what to compare.",
        "",
    ]
    machines: dict[tuple, list[str]] = {}
    for name, data in found.items():
        m = data["machine"]
        if not isinstance(m, dict):  # older files named the machine in one line
            m = {"cpu": str(m), "nproc": "?", "memory": "?", "database": "?", "python": "?"}
        key = (m["cpu"], m["nproc"], m["memory"], m["database"], m["python"])
        machines.setdefault(key, []).append(name)
    if machines:
        lines += ["## Machine", ""]
        for (cpu, nproc, memory, database, python), names in machines.items():
            which = "" if len(machines) == 1 else f" ({', '.join(names)})"
            lines += [
                f"- CPU: {cpu}, nproc {nproc}, memory {memory}; {database}, Python {python}{which}"
            ]
        when = [
            f"{name} {data['machine'].get('when', '?')}"
            + (f" (load {data['machine']['load']})" if data["machine"].get("load") else "")
            for name, data in found.items()
            if isinstance(data["machine"], dict)
        ]
        lines += [f"- Measured: {'; '.join(when)} (load: the 1-minute load average at the end)"]
        lines.append("")
    if "dashboards" in found:
        d = found["dashboards"]
        lines += [
            "## Dashboards: server time and SQL queries",
            "",
            f"In-process Django test client, superuser, `as_of={d['as_of']}`, {d['runs']} "
            f"requests per page after 2 warm-ups; measured {d['machine']['when']}. **Cold**: "
            "the cache emptied before each request, so the page is computed and rendered from "
            "the database (as after every write); **warm**: its rendered parts come from the "
            "cache (`indicators.pagecache`: the same data version, i.e. no write in between). "
            "Queries: a cold request's. Reference: one hand-written SQL query computing the "
            "same aggregate (each child's stock per indicator and quarter, summed from the "
            "reporting leaves of the subtree). Budgets: p95 ≤ 150 ms (judged cold), ≤ 20 "
            "queries.",
            "",
            "| page | cold p50 ms | cold p95 ms | warm p50 ms | warm p95 ms | queries | "
            "reference SQL p50 / p95 ms | p95 ≤ 150 ms | ≤ 20 queries |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for r in d["pages"]:
            cold = r.get("cold_p95_ms", r["p95_ms"])
            budget = "n/a" if r["page"] == BULK else _ok(cold <= 150)
            lines.append(
                f"| {r['page']} | {r.get('cold_p50_ms', '')} | {r.get('cold_p95_ms', '')} | "
                f"{r['p50_ms']} | {r['p95_ms']} | {r['queries']} | "
                f"{r['ref_p50_ms']} / {r['ref_p95_ms']} ({r['ref_region']}) | "
                f"{budget} | {_ok(r['queries'] <= 20)} |"
            )
        lines.append("")
    if "pages" in found:
        pg = found["pages"]
        lines += [
            "## Every role's pages (issue 25)",
            "",
            f"In-process Django test client, each page as the role that opens it (users of "
            f"`bench/national_workflow.py`), {pg['runs']} cold requests each (the cache "
            f"emptied before each); measured {pg['machine']['when']}. Reference: the sign-in "
            f"page, cold, in the same run: p50 {pg['bare_p50_ms']} ms, p95 "
            f"{pg['bare_p95_ms']} ms at the start; × sign-in page is the page's p50 over "
            "the sign-in page's p50 requested cold just before each of the page's requests "
            "(its p50 in the column beside). Queries and size: one cold request; peak: Python "
            "allocations of one request (tracemalloc). Budgets: p95 ≤ 150 ms cold; a home "
            "≤ 100 KB; tasks.json ≤ 10 MB per request.",
            "",
            "| page | user | cold p50 ms | cold p95 ms | sign-in page p50 ms | × sign-in page "
            "| queries | KB | peak MB | p95 ≤ 150 ms | size |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for r in pg["pages"]:
            size = (
                _ok(r["kb"] <= 100)
                if r["page"].startswith("home")
                else (_ok(r["peak_mb"] <= 10) if "tasks.json" in r["page"] else "")
            )
            lines.append(
                f"| {r['page']} | {r['user']} | {r['cold_p50_ms']} | {r['cold_p95_ms']} | "
                f"{r.get('bare_p50_ms', '')} | "
                f"{r['ratio_to_bare']} | {r['queries']} | {r['kb']} | {r['peak_mb']} | "
                f"{_ok(r['cold_p95_ms'] <= 150)} | {size} |"
            )
        lines.append("")
    if "throughput" in found:
        t = found["throughput"]
        rows = t.get("pages") or [
            {"page": "superuser, provincial", "rps": t["dashboard_rps"], "ratio": t["ratio"]}
        ]
        lines += [
            "## Throughput: dashboards of every role under gunicorn",
            "",
            f"gunicorn ({t['workers']} sync workers, DEBUG off) on 127.0.0.1, wrk 2 threads "
            f"{t['connections']} connections, {t['seconds']} s per measurement, median of "
            f"{t['runs']}; measured {t['machine']['when']}. Reference: the login page (a bare "
            "Django page) in the same run, measured before each round of dashboards. Budget: "
            "≥ 40 % of the reference for every role. No write happens "
            "during the run, so after its first request each worker serves the dashboard's "
            "rendered part from its cache (`indicators.pagecache`), as for leaders reading "
            "between two entries; the cost of a render, after a write, is the dashboards' cold "
            "column above.",
            "",
            "| dashboard | requests/s | ratio | ≥ 40 % |",
            "|---|---:|---:|---|",
            f"| /accounts/login/ (reference) | {t['login_rps']} | 100 % | |",
        ]
        for r in rows:
            lines.append(
                f"| {r['page']} | {r['rps']} | {r['ratio'] * 100:.1f} % | "
                f"{_ok(r['ratio'] >= 0.4)} |"
            )
        lines.append("")
    if "writes" in found:
        w = found["writes"]
        lines += [
            "## Writes in bulk (issue 25)",
            "",
            f"Each in a transaction rolled back afterwards; measured {w['machine']['when']}. "
            "Budget: a number of queries that does not grow with the divisions or recipients "
            "(tests: tests/services/test_targets.py, tests/work/test_scale_queries.py, "
            "tests/work/test_todo_set.py); "
            "send_reminders for every person ≤ 10 s (every address confirmed first, before the "
            "clock: a digest goes only to a confirmed address; mailed to Django's in-memory "
            "outbox).",
            "",
            "| write | queries | seconds |",
            "|---|---:|---:|",
        ]
        for name, n in w["queries"].items():
            extra = ""
            if name == "send_reminders" and w.get("reminders_people"):
                extra = f" ({w['reminders_people']:,} people"
                if "reminders_sent" in w:
                    extra += f", {w['reminders_sent']:,} mails sent"
                extra += f"; {n / w['reminders_people']:.3f} queries a person)"
                extra += " " + _ok(w["seconds"].get(name, 1e9) <= 10)
            lines.append(f"| {name}{extra} | {n} | {w['seconds'].get(name, '')} |")
        lines.append("")
    if "export" in found:
        e = found["export"]
        lines += [
            "## Export of the national report (2015Q1–2030Q4)",
            "",
            f"{e['rows']:,} Quarterly rows; each run in a fresh subprocess, peak memory its "
            f"`ru_maxrss`; median of {e['runs']}; measured {e['machine']['when']}. Reference: "
            "openpyxl write-only writing the same 17-column rows from a list (time of the "
            "writing only; the list is read from the database before the clock starts). "
            "Budgets: ≤ 1.5 × the reference time, ≤ 250 MB peak.",
            "",
            "| export | seconds | × reference | peak MB | time budget | memory budget |",
            "|---|---:|---:|---:|---|---|",
            f"| bare openpyxl write-only (reference) | {e['bare_seconds']} | 1.00 | "
            f"{e['bare_peak_mb']:.0f} | | |",
        ]
        for label, key in (
            ("full report (5 sheets, data read included)", "full"),
            ("Quarterly sheet only (data dump, data read included)", "quarterly"),
        ):
            ratio = e[f"{key}_seconds"] / e["bare_seconds"]
            lines.append(
                f"| {label} | {e[f'{key}_seconds']} | {ratio:.2f} | {e[f'{key}_peak_mb']:.0f} "
                f"| {_ok(ratio <= 1.5)} | {_ok(e[f'{key}_peak_mb'] <= 250)} |"
            )
        lines.append("")
    if "import" in found:
        i = found["import"]
        ref = i["ref_seconds"]
        lines += [
            "## Import of a 10,000-row workbook",
            "",
            f"{i['rows']:,} rows ({i['values']:,} values, new counts for 2014) through "
            "`imports.parse_counts_workbook` → `stored_counts` → `plan_changes` → "
            "`counts_import(dry_run=True)` (preview) → `counts_import` (confirm), as the import "
            f"views do, in a transaction rolled back afterwards; median of {i['runs']}; measured "
            f"{i['machine']['when']}. As drafts (the form's default) and with “submit for "
            "review” ticked (every value also submitted, with its audit event, and the roll-ups "
            "of every ancestor refreshed, the reviewers told). Reference: openpyxl read-only "
            "reading the same file plus one `bulk_create` of the counts, their foreign keys "
            "checked as a commit checks them (the application checks its own before its end). "
            "Budget: ≤ 2 × the reference.",
            "",
            "| import | seconds | × reference | budget |",
            "|---|---:|---:|---|",
            f"| openpyxl read-only + bulk insert (reference) | {ref} | 1.00 | |",
        ]
        if "ref_unchecked_seconds" in i:
            lines.append(
                "| of which the bulk insert's foreign keys checked | "
                f"{ref - i['ref_unchecked_seconds']:.2f} | "
                f"{(ref - i['ref_unchecked_seconds']) / ref:.2f} | |"
            )
        for label, total, preview in (
            ("as drafts", "app_seconds", "preview_seconds"),
            ("submitted for review", "submit_seconds", "submit_preview_seconds"),
        ):
            if total not in i:
                continue
            ratio = i[total] / ref
            lines += [
                f"| preview + confirm, {label} | {i[total]} | {ratio:.2f} | {_ok(ratio <= 2)} |",
                f"| of which preview | {i[preview]} | {i[preview] / ref:.2f} | |",
            ]
        lines.append("")
    from bench.results_md import write_section

    write_section("national-scale", "\n".join(lines))


def _ensure_data() -> None:
    """From a fresh clone: create the database if it is missing and fill it with the national
    set (bench/national_data.py, a few minutes); a set made before bench/national_workflow.py
    gains its people and work."""
    import psycopg2
    from django.conf import settings
    from django.db import connection

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("bench/run.py needs PostgreSQL (DATABASE_URL=postgres://…)")
    try:
        connection.ensure_connection()
    except Exception:  # noqa: BLE001  most likely: the database does not exist yet
        connection.close()
        admin = psycopg2.connect(
            dbname="postgres", user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432,
            password=db["PASSWORD"] or None,
        )  # fmt: skip
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{db["NAME"]}"')
        admin.close()
        print(f"created database {db['NAME']}")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.national_workflow import NATIONAL_PLAN
    from indicators.models import Plan
    from regions.models import Region

    env = {**os.environ}
    if not Region.objects.exists():
        print("building the national data set (bench/national_data.py) …")
        subprocess.run([sys.executable, "bench/national_data.py"], cwd=ROOT, env=env, check=True)
    elif not Plan.objects.filter(document_number=NATIONAL_PLAN).exists():
        print("adding people and work to the national set (bench/national_workflow.py) …")
        subprocess.run(
            [sys.executable, "bench/national_workflow.py"], cwd=ROOT, env=env, check=True
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "what",
        choices=[*STEPS, "all", "_export-child"],
    )
    parser.add_argument("mode", nargs="?")
    parser.add_argument("--runs", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8017")))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--quarterly-only", action="store_true")
    args = parser.parse_args()
    _setup()
    if args.what == "_export-child":
        print(json.dumps(_child(args.mode, args.quarterly_only)))
        return 0
    _ensure_data()
    todo = STEPS if args.what == "all" else [args.what]
    for what in todo:
        if what == "dashboards":
            _save(what, bench_dashboards(args.runs or 30))
        elif what == "pages":
            _save(what, bench_pages(args.runs or 15))
        elif what == "writes":
            _save(what, bench_writes())
        elif what == "throughput":
            _save(what, bench_throughput(args.runs or 3, args.seconds, args.port, args.workers))
        elif what == "export":
            _save(what, bench_export(args.runs or 3))
        elif what == "import":
            _save(what, bench_import(args.runs or 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
