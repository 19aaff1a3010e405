"""Load test: many users at once against gunicorn + PostgreSQL, loopback only, bounded in time.

    .venv/bin/python bench/load.py                       # 50 users, 60 s, private PostgreSQL
    .venv/bin/python bench/load.py --users 10 --duration 10
    .venv/bin/python bench/load.py --write-results       # also rewrite bench/RESULTS.md

Starts a private PostgreSQL cluster (durable settings, its own port; bench/pgcluster.py) and
the app as `make serve` runs it (bin/serve: gunicorn, production settings, demo data), unless
--base-port points at a running server. Every user signs in as one of the demo roles (in a
warm-up, not timed), then requests a random *kind* of request, as fast as answers come back
(closed loop, no think time), until the time is up. Reports requests per second and the
50th/95th/99th percentile latency per kind, and fails (exit 1) on any 5xx, transport error or
unexpected status. Kinds with writes verify afterwards that every accepted write is in the
database and every refused one is not.

Adding a kind: write a function ``(user: User) -> Outcome`` and add a ``Kind`` to ``KINDS``
with its weight and the roles that do it (entries by officials, exports by analysts, ...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.appserver import AppServer  # noqa: E402
from bench.httpclient import Session  # noqa: E402
from bench.pgcluster import PrivateCluster, free_port  # noqa: E402

DEMO_PASSWORD = os.environ.get("CERTTRACK_DEMO_PASSWORD", "certtrack-demo")
ROLES = {
    "official": ["official_lanzhou", "official_beihai"],
    "reviewer": ["reviewer_gansu", "reviewer_beihai"],
    "leader": ["leader_gansu", "leader_beihai"],
    "analyst": ["analyst"],
}


@dataclass
class User:
    username: str
    role: str
    session: Session
    rng: random.Random
    written: list = field(default_factory=list)  # (kind, key, accepted) for verification


@dataclass(frozen=True)
class Outcome:
    status: int
    ok: bool  # the status is what this kind expects


@dataclass(frozen=True)
class Kind:
    name: str
    weight: int
    roles: tuple[str, ...]
    run: Callable[[User], Outcome]
    verify: Callable[[list[User]], list[str]] | None = None  # problems found after the run


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


ALL = tuple(ROLES)
# The mix. Dashboards, their JSON, exports and quarterly entries join as their views land
# (issues 3-5): add them here with the roles that use them.
KINDS = [
    Kind("overview", 6, ALL, get("/", contains='<main id="main">')),
    Kind("overview_approved", 2, ("leader", "analyst"), get("/?values=approved")),
    Kind("healthz", 1, ALL, get("/healthz", contains='"ok"')),
    Kind("static_css", 1, ALL, get("/static/css/certtrack.css")),
]


@dataclass
class Sample:
    kind: str
    status: int
    ok: bool
    ms: float


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
            out.append(Sample(kind.name, 0, False, (time.perf_counter() - t0) * 1000))
            print(f"transport error in {kind.name}: {exc!r}", file=sys.stderr)
            user.session.close()
            continue
        out.append(Sample(kind.name, outcome.status, outcome.ok, (time.perf_counter() - t0) * 1000))


def run_load(port: int, users: int, duration: float, seed: int) -> tuple[dict, list[str], float]:
    roles = [(role, name) for role, names in ROLES.items() for name in names]
    people = []
    login_ms = []
    for i in range(users):
        role, username = roles[i % len(roles)]
        # Each user from an address of its own, as the proxy would report it.
        session = Session("127.0.0.1", port, timeout=30, client_ip=f"10.0.{i // 250}.{i % 250 + 1}")
        t0 = time.perf_counter()
        if not session.login(username, DEMO_PASSWORD):
            raise SystemExit(f"{username} could not sign in")
        login_ms.append((time.perf_counter() - t0) * 1000)
        people.append(User(username, role, session, random.Random(seed + i)))
    print(f"{users} users signed in (median {statistics.median(login_ms):.0f} ms each)")

    samples: list[list[Sample]] = [[] for _ in people]
    start = time.monotonic()
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
    problems = []
    for kind in KINDS:
        if kind.verify:
            problems += kind.verify(people)
    return by_kind, problems, elapsed


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
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write-results", action="store_true", help="rewrite bench/RESULTS.md")
    args = parser.parse_args()
    if not 0 < args.duration <= 600 or not 0 < args.users <= 500:
        parser.error("--duration must be in (0, 600] and --users in (0, 500]")

    cluster = server = None
    workers = args.workers or min(2 * (os.cpu_count() or 1) + 1, 9)
    try:
        if args.base_port:
            port = args.base_port
        else:
            cluster = PrivateCluster(durable=True)
            print(f"== private PostgreSQL on 127.0.0.1:{cluster.port}")
            cluster.init()
            cluster.start()
            port = free_port(8016, 8116)
            server = AppServer(f"{cluster.url}/certtrack_prod_load", port, workers=workers)
            print(f"== gunicorn ({workers} workers, production settings) on 127.0.0.1:{port}")
            server.start()
        print(f"== {args.users} users for {args.duration:.0f} s")
        by_kind, problems, elapsed = run_load(port, args.users, args.duration, args.seed)
    finally:
        if server:
            server.stop()
        if cluster:
            cluster.destroy()

    rows, total = summarize(by_kind, elapsed)
    print(table(rows))
    failed = total["errors_5xx"] or total["transport"] or total["unexpected"] or problems
    for p in problems:
        print("problem:", p)
    print("== FAILED" if failed else "== passed: no 5xx, no transport errors, no unexpected status")

    if args.write_results and not failed:
        command = "python bench/load.py " + " ".join(sys.argv[1:])
        write_results(rows, command.replace(" --write-results", ""), args, workers, elapsed)
    return 1 if failed else 0


def write_results(rows, command, args, workers, elapsed) -> None:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    text = f"""# Load test results

Reproduce (from the repository root, after `make install`):

```
.venv/bin/{command.strip()}
```

- {dt.date.today().isoformat()}, {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}
- gunicorn with {workers} sync workers, production settings (`bin/serve`: DEBUG off, HTTPS behind
  a pretend proxy, whitenoise), a private PostgreSQL 15 cluster with durable settings, demo data
- {args.users} concurrent users signed in as the demo roles, closed loop without think time, for
  {elapsed:.0f} s; the load client runs on the same machine and shares its 2 cores
- latency is from the client's side, connection set-up included (sync gunicorn workers close
  the connection after each answer)

{table(rows)}

Reading the figures: with 50 users and no think time against {workers} workers, every request
waits for a free worker, so the latencies are mostly queueing (even `healthz`, one `SELECT 1`,
waits about as long as a full page); the request rate is the capacity of this machine shared
with the client. Fifty people actually at work (a page every few seconds each) ask for well under
20 requests per second.

Kinds: `overview` the home page with every plan's targets and progress (all roles);
`overview_approved` the same with approved figures only (leaders, analysts); `healthz` the load
balancers' probe; `static_css` a stylesheet served by whitenoise. Dashboards, their JSON,
Excel exports and quarterly entries by officials join the mix as those views land (`KINDS` in
`bench/load.py`); entries will be verified afterwards against the database (every accepted
write present, every refused one absent).
"""
    Path(__file__).with_name("RESULTS.md").write_text(text, encoding="utf-8")
    print("wrote bench/RESULTS.md")


if __name__ == "__main__":
    sys.exit(main())
