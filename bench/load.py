"""Load test: many users at once against gunicorn + PostgreSQL, loopback only, bounded in time.

    .venv/bin/python bench/load.py                       # 50 users, 60 s, private PostgreSQL
    .venv/bin/python bench/load.py --users 10 --duration 10
    .venv/bin/python bench/load.py --write-results       # also rewrite bench/RESULTS.md
    .venv/bin/python bench/load.py --sqlite --users 18   # the default SQLite database instead

Starts a private PostgreSQL cluster (durable settings, its own port; bench/pgcluster.py) and
the app as `make serve` runs it (bin/serve: gunicorn, production settings, demo data), unless
--base-port points at a running server (then --database-url names its database). Before the
run, bench/loaddb.py adds officials (one per Gansu prefecture, two per Beihai district, the demo
password). Every user signs in (in a warm-up, not timed), then requests a random *kind* of
request, as fast as answers come back (closed loop, no think time), until the time is up: the
demo roles read (overview, region dashboards, their JSON/CSV, the analyst's Excel export, the
review queue), the extra officials enter, save and submit counts for their own region and some
quarter, and post deliberately refused writes (stale version, negative value, forged region,
future quarter). Reports requests per second and the 50th/95th/99th percentile latency per
kind, and fails (exit 1) on any 5xx, transport error or unexpected status, or if the database
afterwards disagrees with what the clients were told: every accepted write there with the value
sent, every refused one absent, no write the clients did not make, roll-ups consistent.

With ``--sqlite`` the app runs on a SQLite file in a temporary folder (the default database of a
small install, with the settings' WAL journal, busy timeout and immediate transactions) instead
of PostgreSQL; its figures go to a section of their own in bench/RESULTS.md.

Adding a kind: write a function ``(user: User) -> Outcome`` and add a ``Kind`` to ``KINDS``
with its weight and the roles that do it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.appserver import AppServer  # noqa: E402
from bench.httpclient import Session  # noqa: E402
from bench.loaddb import (  # noqa: E402
    BEIHAI_DISTRICTS,
    GANSU_PREFECTURES,
    Official,
    Verification,
    Write,
    create_officials,
    django_setup,
    last_event_id,
    verify_writes,
)
from bench.pgcluster import PrivateCluster, free_port  # noqa: E402
from bench.results_md import write_section  # noqa: E402
from indicators.periods import Quarter  # noqa: E402

DEMO_PASSWORD = os.environ.get("CERTTRACK_DEMO_PASSWORD", "certtrack-demo")
ROLES = {
    "official": ["official_lanzhou", "official_beihai"],
    "reviewer": ["reviewer_gansu", "reviewer_beihai"],
    "leader": ["leader_gansu", "leader_beihai"],
    "analyst": ["analyst"],
}
# The extra officials made by bench/loaddb.py (one per Gansu prefecture, two per Beihai
# district) have the role "entry": they enter counts, nothing else.
ENTRY = "entry"
GANSU_CHILDREN = (*GANSU_PREFECTURES, "620171")
DASHBOARD_REGIONS = {
    "leader_gansu": ("620000", *GANSU_CHILDREN),
    "leader_beihai": ("450500", *BEIHAI_DISTRICTS),
    "analyst": ("620000", "450500", "620100", "450502"),
}
TODAY = Quarter.of_date(dt.date.today())
# Quarters each official works on: Beihai's districts have never reported (any recent quarter is
# open, and the two officials of a district meet there); the prefectures have the demo series
# from 2017Q4 to last quarter, so a backfill of the quarters before.
# Only quarters that may be entered (a quarter opens on its last day; none before 2015Q1).
OPEN = Quarter.last_complete()
BEIHAI_QUARTERS = tuple(str(OPEN - i) for i in range(8))
GANSU_QUARTERS = tuple(str(Quarter(2017, 3) - i) for i in range(8))
# The Excel export: a modest range (one region's subtree, two years) so one export takes a
# second or two, as an analyst's typical report does; the 80-quarter national report is in the
# performance section.
EXPORT_START = str(TODAY - 8)
EXPORT_END = str(TODAY - 1)


@dataclass
class User:
    username: str
    role: str
    session: Session
    rng: random.Random
    official: Official | None = None
    writes: list[Write] = field(default_factory=list)  # every entry POST, for verification
    out: list = field(default_factory=list)  # extra samples (the entry form before a POST)


@dataclass(frozen=True)
class Outcome:
    status: int
    ok: bool  # the status is what this kind expects
    ms: float | None = None  # the timed part, when not the whole run (a POST after its form)


@dataclass(frozen=True)
class Kind:
    name: str
    weight: int
    roles: tuple[str, ...]
    run: Callable[[User], Outcome]


def get(path: str, expect: int = 200, contains: str | None = None) -> Callable[[User], Outcome]:
    def run(user: User) -> Outcome:
        r = user.session.get(path)
        ok = r.status == expect and (contains is None or contains in r.text)
        if not ok and os.environ.get("BENCH_DEBUG"):
            print(
                f"{user.username} {path}: {r.status} {r.headers} {r.text[:300]!r}", file=sys.stderr
            )
        return Outcome(r.status, ok)

    return run


def get_random(
    paths: Callable[[User], str], contains: str | None = None, content_type: str | None = None
) -> Callable[[User], Outcome]:
    """GET a path chosen for the user (their regions), expecting 200 (and a body/type)."""

    def run(user: User) -> Outcome:
        path = paths(user)
        r = user.session.get(path)
        ok = (
            r.status == 200
            and (contains is None or contains in r.text)
            and (content_type is None or r.headers.get("content-type", "").startswith(content_type))
        )
        if not ok and os.environ.get("BENCH_DEBUG"):
            print(f"{user.username} {path}: {r.status} {r.text[:300]!r}", file=sys.stderr)
        return Outcome(r.status, ok)

    return run


def dashboard_path(user: User) -> str:
    return f"/regions/{user.rng.choice(DASHBOARD_REGIONS[user.username])}/"


def data_path(fmt: str) -> Callable[[User], str]:
    def path(user: User) -> str:
        code = user.rng.choice(DASHBOARD_REGIONS[user.username])
        dataset = user.rng.choice(("series", "children", "completeness", "targets"))
        values = user.rng.choice(("submitted", "approved"))
        return f"/regions/{code}/{dataset}.{fmt}?values={values}"

    return path


def export_path(user: User) -> str:
    region = user.rng.choice(("620000", "450500"))
    indicator = user.rng.choice(("certificates", "organizations"))
    return (
        f"/reports/export.xlsx?region={region}&start={EXPORT_START}&end={EXPORT_END}"
        f"&indicator={indicator}&values=submitted"
    )


# --- quarterly entries by many officials ------------------------------------------------------

_serial = itertools.count(1)
_serial_lock = threading.Lock()
VERSION_RE = re.compile(r'<input type="hidden" name="version_(\w+)"(?: value="(\d+)")?')
STALE_MSG = "Your changes were not saved"
LOCKED_MSG = "awaiting review and cannot be changed"
NEGATIVE_MSG = "count cannot be negative"  # "Certificates: a count cannot be negative."
FUTURE_MSG = "has not begun yet"


def unique_values() -> dict[str, str]:
    """Values no other write uses, so a refused one can be looked for in the whole database."""
    with _serial_lock:
        n = next(_serial)
    return {"certificates": str(1_000_000 + n), "organizations": str(500_000 + n)}


def entry(mode: str) -> Callable[[User], Outcome]:
    """An official opens the entry form of their region for a quarter and posts it.

    ``save`` / ``submit``: new values at the versions the form showed; accepted (a redirect)
    unless a colleague got there first (stale) or the quarter is locked, both refused with the
    form's message. Deliberately refused: ``stale`` (versions older than the form's),
    ``negative`` (a negative count), ``forged`` (a region not theirs: 403), ``future`` (the
    next quarter). Every POST is recorded for the verification after the run.
    """

    def run(user: User) -> Outcome:
        me = user.official
        quarters = GANSU_QUARTERS if me.region in GANSU_PREFECTURES else BEIHAI_QUARTERS
        period = str(TODAY + 1) if mode == "future" else user.rng.choice(quarters)
        t0 = time.perf_counter()
        form = user.session.get(f"/entry/?region={me.region}&period={period}")
        ms = (time.perf_counter() - t0) * 1000
        user.out.append(Sample("entry_form", form.status, form.status == 200, ms))
        if form.status != 200:
            return Outcome(form.status, False, 0.0)
        versions = {code: int(v) if v else None for code, v in VERSION_RE.findall(form.text)}
        editable = mode != "future" and 'name="value_certificates"' in form.text
        editable = editable and "disabled" not in _tag(form.text, 'name="value_certificates"')
        values = unique_values()
        region = me.forged_region if mode == "forged" else me.region
        if mode == "stale":
            versions = {c: ((v - 1) or None) if v else 9 for c, v in versions.items()}
        if mode == "negative":
            values["certificates"] = "-" + values["certificates"]
        data = {
            "region": region,
            "period": period,
            "note": f"load {user.username}",
            **{f"value_{c}": v for c, v in values.items()},
        }
        data |= {f"version_{c}": "" if v is None else str(v) for c, v in versions.items()}
        if mode == "submit":
            data |= {"action": "submit", "explanation": "load test: figures from the register"}
        else:
            data["action"] = "save"
        t0 = time.perf_counter()
        r = user.session.post("/entry/", data, referer=f"{user.session.origin}/entry/")
        ms = (time.perf_counter() - t0) * 1000
        accepted = r.status == 302
        # A refused form comes back as the page with its errors: 400, or 409 when stale.
        refused = r.status in (400, 409)
        text = r.text if refused else ""
        if mode in ("save", "submit"):
            if editable:
                ok = accepted or (refused and (STALE_MSG in text or LOCKED_MSG in text))
            else:  # locked when the form was shown; or changed since (returned, reopened)
                ok = refused and (
                    LOCKED_MSG in text or "approved and locked" in text or STALE_MSG in text
                )
        elif mode == "stale":
            ok = refused and (STALE_MSG in text or not editable)
        elif mode == "negative":
            ok = r.status == 400 and NEGATIVE_MSG in text
        elif mode == "future":
            ok = r.status == 400 and FUTURE_MSG in text
        else:  # forged
            ok = r.status == 403
        if not ok:  # said at once, so that a failed run (in CI too) says what was answered
            errors = re.findall(r'class="errorlist[^>]*>(.*?)</ul>', text, re.S)
            detail = text[:2000] if os.environ.get("BENCH_DEBUG") else errors[:3]
            print(f"unexpected: {user.username} {mode} {region} {period}: {r.status} {detail!r}")
        user.writes.append(
            Write(
                user.username,
                region,
                period,
                values,
                versions,
                mode == "submit",
                accepted,
                reason=mode,
            )
        )
        return Outcome(r.status, ok, ms)

    return run


def _tag(html: str, needle: str) -> str:
    """The HTML tag that contains ``needle`` (empty if none)."""
    at = html.find(needle)
    if at < 0:
        return ""
    return html[html.rfind("<", 0, at) : html.find(">", at) + 1]


ALL = tuple(ROLES)
READERS = ("leader", "analyst")
# The mix: weights per kind, and which roles do it. The officials of role ENTRY do nothing but
# entries, so about two fifths of the users are writing at any time.
KINDS = [
    Kind("overview", 6, ALL, get("/", contains='<main id="main">')),
    Kind("overview_approved", 2, READERS, get("/?values=approved")),
    Kind("dashboard", 6, READERS, get_random(dashboard_path, contains='class="chart')),
    Kind("data_json", 3, READERS, get_random(data_path("json"), content_type="application/json")),
    Kind("data_csv", 2, READERS, get_random(data_path("csv"), content_type="text/csv")),
    Kind(
        "excel_export",
        1,
        ("analyst",),
        get_random(export_path, content_type="application/vnd.openxmlformats"),
    ),
    Kind("review_queue", 3, ("reviewer",), get("/review/")),
    Kind("entry_page", 3, ("official",), get("/entry/", contains='name="value_certificates"')),
    Kind("healthz", 1, ALL, get("/healthz", contains='"ok"')),
    Kind("static_css", 1, ALL, get("/static/css/certtrack.css")),
    Kind("entry_save", 10, (ENTRY,), entry("save")),
    Kind("entry_submit", 1, (ENTRY,), entry("submit")),
    Kind("refused_stale", 1, (ENTRY,), entry("stale")),
    Kind("refused_negative", 1, (ENTRY,), entry("negative")),
    Kind("refused_forged", 1, (ENTRY,), entry("forged")),
    Kind("refused_future", 1, (ENTRY,), entry("future")),
]


@dataclass
class Sample:
    kind: str
    status: int
    ok: bool
    ms: float
    at: float = 0.0  # time.monotonic() when the answer came (bench/cluster.py's fault windows)


def percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    index = min(len(sorted_ms) - 1, max(0, round(q / 100 * len(sorted_ms) + 0.5) - 1))
    return sorted_ms[index]


def user_loop(user: User, kinds: list[Kind], deadline: float, out: list[Sample]) -> None:
    weights = [k.weight for k in kinds]
    while time.monotonic() < deadline:
        kind = user.rng.choices(kinds, weights)[0]
        t0 = time.perf_counter()
        try:
            outcome = kind.run(user)
        except OSError as exc:  # refused, reset, timed out: a transport error
            out.append(
                Sample(kind.name, 0, False, (time.perf_counter() - t0) * 1000, time.monotonic())
            )
            print(f"transport error in {kind.name}: {exc!r}", file=sys.stderr)
            user.session.close()
            continue
        ms = outcome.ms if outcome.ms is not None else (time.perf_counter() - t0) * 1000
        out.append(Sample(kind.name, outcome.status, outcome.ok, ms, time.monotonic()))
        out.extend(user.out)
        user.out.clear()


def cast(users: int, officials: list[Official]) -> list[tuple[str, str, Official | None]]:
    """Who the users are: the entry officials and the demo roles in turn, officials first."""
    demo = [(role, name, None) for role, names in ROLES.items() for name in names]
    entry = [(ENTRY, o.username, o) for o in officials]
    slots: list[tuple[str, str, Official | None]] = []
    while len(slots) < users:
        if entry:
            slots.append(entry.pop(0))
        slots.append(demo[len(slots) % len(demo)])
    return slots[:users]


def run_load(
    port: int,
    users: int,
    duration: float,
    seed: int,
    officials: list[Official],
    started: threading.Event | None = None,
) -> tuple[dict, list[User], float]:
    """Sign every user in, then run them until ``duration`` is up; ``started`` is set when the
    timed part begins (bench/cluster_faults.py times its faults from there)."""
    people = []
    login_ms = []
    for i, (role, username, official) in enumerate(cast(users, officials)):
        # Each user from an address of its own, as the proxy would report it. The entry
        # officials read English, so their messages can be told apart.
        session = Session(
            "127.0.0.1",
            port,
            timeout=30,
            client_ip=f"10.0.{i // 250}.{i % 250 + 1}",
            language="en" if role == ENTRY else "zh-hans",
        )
        t0 = time.perf_counter()
        if not session.login(username, DEMO_PASSWORD):
            raise SystemExit(f"{username} could not sign in")
        login_ms.append((time.perf_counter() - t0) * 1000)
        people.append(User(username, role, session, random.Random(seed + i), official))
    writers = sum(1 for p in people if p.role == ENTRY)
    print(
        f"{users} users signed in ({writers} officials entering counts; "
        f"median {statistics.median(login_ms):.0f} ms each)"
    )

    samples: list[list[Sample]] = [[] for _ in people]
    start = time.monotonic()
    if started is not None:
        started.set()
    deadline = start + duration
    threads = []
    for user, out in zip(people, samples, strict=True):
        mine = [k for k in KINDS if user.role in k.roles]
        t = threading.Thread(target=user_loop, args=(user, mine, deadline, out), daemon=True)
        threads.append(t)
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()) + 60)
    elapsed = time.monotonic() - start
    if any(t.is_alive() for t in threads):
        raise SystemExit("some users did not finish within 60 s of the deadline")

    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for out in samples:
        for s in out:
            by_kind[s.kind].append(s)
    return by_kind, people, elapsed


def summarize(by_kind: dict[str, list[Sample]], elapsed: float) -> tuple[list[dict], dict]:
    rows = []
    every = [s for samples in by_kind.values() for s in samples]
    for name, samples in [*sorted(by_kind.items()), ("all", every)]:
        ms = sorted(s.ms for s in samples)
        rows.append(
            dict(
                kind=name,
                requests=len(samples),
                rps=len(samples) / elapsed,
                p50=percentile(ms, 50),
                p95=percentile(ms, 95),
                p99=percentile(ms, 99),
                errors_5xx=sum(1 for s in samples if s.status >= 500),
                transport=sum(1 for s in samples if s.status == 0),
                unexpected=sum(1 for s in samples if not s.ok and 0 < s.status < 500),
            )
        )
    return rows, rows[-1]


def table(rows: list[dict]) -> str:
    lines = [
        "| kind | requests | req/s | p50 ms | p95 ms | p99 ms | 5xx | transport errors | unexpected |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['requests']} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} "
            f"| {r['p99']:.0f} | {r['errors_5xx']} | {r['transport']} | {r['unexpected']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60, help="seconds (at most 600)")
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (default: 2 x cores + 1)"
    )
    parser.add_argument(
        "--base-port", type=int, default=0, help="use the server already on this port"
    )
    parser.add_argument(
        "--database-url", default="", help="with --base-port: that server's DATABASE_URL"
    )
    parser.add_argument("--port", type=int, default=0, help="port for gunicorn (default: free)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write-results", action="store_true", help="rewrite bench/RESULTS.md")
    parser.add_argument(
        "--sqlite", action="store_true", help="run on a SQLite file instead of PostgreSQL"
    )
    args = parser.parse_args()
    if not 0 < args.duration <= 600 or not 0 < args.users <= 500:
        parser.error("--duration must be in (0, 600] and --users in (0, 500]")
    if args.base_port and not args.database_url:
        parser.error("--base-port needs --database-url (to make officials and verify writes)")

    cluster = server = folder = None
    workers = args.workers or min(2 * (os.cpu_count() or 1) + 1, 9)
    try:
        if args.base_port:
            port, database_url = args.base_port, args.database_url
        elif args.sqlite:
            folder = Path(tempfile.mkdtemp(prefix="certtrack-load-"))
            database_url = f"sqlite:///{folder / 'certtrack.sqlite3'}"
            port = args.port or free_port(8016, 8116)
            server = AppServer(database_url, port, workers=workers)
            print(f"== gunicorn ({workers} workers, production settings, SQLite) on :{port}")
            server.start()
        else:
            cluster = PrivateCluster(durable=True)
            print(f"== private PostgreSQL on 127.0.0.1:{cluster.port}")
            cluster.init()
            cluster.start()
            port = args.port or free_port(8016, 8116)
            database_url = f"{cluster.url}/certtrack_prod_load"
            server = AppServer(database_url, port, workers=workers)
            print(f"== gunicorn ({workers} workers, production settings) on 127.0.0.1:{port}")
            server.start()
        django_setup(database_url)
        officials = create_officials(DEMO_PASSWORD)
        after_event = last_event_id()
        print(f"== {args.users} users for {args.duration:.0f} s")
        by_kind, people, elapsed = run_load(port, args.users, args.duration, args.seed, officials)
        writes = [w for person in people for w in person.writes]
        checked = verify_writes(writes, after_event=after_event)
        problems = checked.problems
        print(
            f"== writes: {checked.accepted} accepted, {checked.refused} refused, "
            f"{checked.events} audit events; verified against the database: "
            f"{len(problems)} problems"
        )
    finally:
        if server:
            if os.environ.get("BENCH_SERVER_LOG"):  # keep gunicorn's log (errors) for a look
                shutil.copy(server.log_path, os.environ["BENCH_SERVER_LOG"])
            server.stop()
        if cluster:
            cluster.destroy()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    rows, total = summarize(by_kind, elapsed)
    print(table(rows))
    failed = total["errors_5xx"] or total["transport"] or total["unexpected"] or problems
    for p in problems:
        print("problem:", p)
    print("== FAILED" if failed else "== passed: no 5xx, no transport errors, no unexpected status")

    if args.write_results and not failed:
        command = "python bench/load.py " + " ".join(sys.argv[1:])
        write_results(
            rows, command.replace(" --write-results", ""), args, workers, elapsed, checked, writes
        )
    return 1 if failed else 0


def write_results(
    rows, command, args, workers, elapsed, checked: Verification, writes: list[Write]
) -> None:
    """Rewrite the load section of bench/RESULTS.md (between its markers), nothing else."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    refused = defaultdict(int)
    for w in writes:
        if not w.accepted:
            refused[w.reason] += 1
    races = refused.get("save", 0) + refused.get("submit", 0)
    database = (
        "the default SQLite database (a file; WAL journal, busy timeout, immediate transactions)"
        if args.sqlite
        else "a private PostgreSQL cluster with durable settings"
    )
    title = "Load test results on SQLite" if args.sqlite else "Load test results"
    section = f"""# {title}

Reproduce (from the repository root, after `make install`):

```
.venv/bin/{command.strip()}
```

- {dt.date.today().isoformat()}, {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()};
  load average {os.getloadavg()[0]:.1f} at the end (this run included; any other work competes)
- gunicorn with {workers} sync workers, production settings (`bin/serve`: DEBUG off, HTTPS behind
  a pretend proxy, whitenoise), {database}, demo data
- {args.users} concurrent users, closed loop without think time, for {elapsed:.0f} s: the demo
  roles (leaders, analyst, reviewers, officials reading) and {len({w.username for w in writes})}
  extra officials entering counts (one per Gansu prefecture, two per Beihai district, made by
  `bench/loaddb.py`); the load client runs on the same machine and shares its cores
- latency is from the client's side, connection set-up included (sync gunicorn workers close
  the connection after each answer); for entries, `entry_form` is the form's GET and the
  `entry_*` / `refused_*` rows time the POST alone

{table(rows)}

Writes: **{checked.accepted} accepted, {checked.refused} refused** ({refused.get("stale", 0)} stale
versions, {refused.get("negative", 0)} negative values, {refused.get("forged", 0)} forged regions,
{refused.get("future", 0)} future quarters, {races} saves or submits refused because a colleague
had changed the quarter first or it was awaiting review). Verified afterwards against the
database: {checked.events} audit events since the start, **{len(checked.problems)} lost, phantom
or wrong writes**; the materialized roll-ups equal a rebuild from the counts.

Reading the figures: with {args.users} users and no think time against {workers} workers, every
request waits for a free worker, so the latencies are mostly queueing (even `healthz`, one
`SELECT 1`, waits about as long as a full page); the request rate is the capacity of this
machine shared with the client. Fifty people actually at work (a page every few seconds each)
ask for well under 20 requests per second.

Kinds (`KINDS` in `bench/load.py`): `overview` the home page with every plan's targets and
progress (all roles); `overview_approved` the same with approved figures only; `dashboard` a
region dashboard (leaders: their region and its divisions; the analyst); `data_json` /
`data_csv` a dashboard's data (series, children, completeness or targets); `excel_export` the
analyst's report for Gansu or Beihai over the last eight quarters, one indicator;
`review_queue` the reviewers' queue; `entry_page` the demo officials' entry page; `healthz`
the load balancers' probe; `static_css` a stylesheet served by whitenoise. Writes by the entry
officials, each for their own region and a quarter: `entry_save` (a draft), `entry_submit`
(save and submit), and deliberately refused ones: `refused_stale` (versions older than the
form's), `refused_negative`, `refused_forged` (another region: 403), `refused_future` (next
quarter). Every write carries values no other write uses, so a refused one can be looked for
in the whole database (`verify_writes` in `bench/loaddb.py`).
"""
    write_section("load-sqlite" if args.sqlite else "load", section)
    print("wrote the load section of bench/RESULTS.md")


if __name__ == "__main__":
    sys.exit(main())
