"""Faults under load on the cluster of bench/cluster.py, and one app server against two.

    .venv/bin/python bench/cluster.py --faults [--users 12] [--duration 15] [--write-results]

bench/load.py's users (officials entering and submitting counts, reviewers, leaders and the
analyst reading) run through the balancer while one part fails a third of the way in:

- ``kill -9`` app server a (master and workers): requests in flight on it are lost (counted);
  after HAProxy's detection window none may fail (a request that cannot connect to a is sent
  to b at once, ``retry-on conn-failure``);
- the replica stops: its reads go to the primary, no 5xx;
- Redis stops: pages come from the database, no 5xx, nobody is signed out (a signed-out user's
  page would be a redirect: an unexpected status);
- the primary stops for 5 s: the 503 page (never a 500 or a hang beyond the connect timeout),
  and pages again by themselves when it is back.

Each time, every save the clients were told succeeded is in the database afterwards (0 lost
writes; bench/loaddb.verify_writes). Then the same load against app server a alone and against
the balancer with both: throughput and p95 side by side (a ratio, one run). Exits 1 on any
unexpected 5xx or lost write.
"""

from __future__ import annotations

import platform
import threading
import time
from dataclasses import dataclass

from bench import load
from bench.cluster import CHECK_FALL, CHECK_INTER_S, DETECTION_WINDOW_S, Cluster
from bench.loaddb import create_officials, django_setup, last_event_id, verify_writes
from bench.results_md import write_section

FAULT_AT = 1 / 3  # of the run
PRIMARY_DOWN_S = 5


@dataclass
class FaultResult:
    name: str
    requests: int
    failed: int  # 5xx or transport errors
    failed_after_window: int
    statuses: dict
    lost_writes: int
    accepted: int
    ok: bool
    note: str = ""


def _run(cluster: Cluster, port: int, args, officials, fault=None):
    """bench/load.py's users against ``port``; ``fault(cluster)`` at FAULT_AT of the run."""
    from django.db import connections

    connections.close_all()  # this script's own connection may predate a restarted primary
    after = last_event_id()
    holder: dict = {}
    started = threading.Event()

    def go():
        try:
            holder["result"] = load.run_load(
                port, args.users, args.duration, args.seed, officials, started
            )
        except BaseException as exc:  # SystemExit too: a thread would swallow it
            holder["error"] = exc
            started.set()

    thread = threading.Thread(target=go)
    thread.start()
    fault_time = fault_end = None
    if fault is not None:
        # Sign-in happens first (not timed); the fault comes a third into the timed part.
        started.wait()
        time.sleep(args.duration * FAULT_AT)
        fault_time = time.monotonic()
        fault(cluster)
        fault_end = time.monotonic()
    thread.join()
    connections.close_all()
    if "error" in holder:
        raise SystemExit(f"the load did not run: {holder['error']!r}")
    by_kind, people, elapsed = holder["result"]
    samples = [s for group in by_kind.values() for s in group]
    writes = [w for person in people for w in person.writes]
    checked = verify_writes(writes, after_event=after)
    lost = [p for p in checked.problems if not p.startswith("phantom write")]
    return samples, elapsed, checked, lost, (fault_time, fault_end)


def _fault_row(name, samples, times, window, checked, lost, allowed=(500, 502, 503, 504)):
    failed = [s for s in samples if s.status == 0 or s.status >= 500]
    # The window counts from the end of the fault (a stopped primary: from its restart).
    late = [s for s in failed if times[1] is None or s.at > times[1] + window]
    statuses: dict[int, int] = {}
    for s in failed:
        statuses[s.status] = statuses.get(s.status, 0) + 1
    return FaultResult(
        name=name,
        requests=len(samples),
        failed=len(failed),
        failed_after_window=len(late),
        statuses=statuses,
        lost_writes=len(lost),
        accepted=checked.accepted,
        ok=not lost and not late and all(code in allowed for code in statuses),
    )


def run_faults(args) -> int:
    results: list[FaultResult] = []
    with Cluster() as cluster:
        print(cluster.describe(), flush=True)
        django_setup(cluster.database_url)
        officials = create_officials(load.DEMO_PASSWORD)
        port = cluster.balancer.port

        # 1. Scale: app server a alone, then both behind the balancer (same load, one run).
        scale = {}
        for label, target in (("one app server", cluster.nodes["a"].port), ("two", port)):
            samples, elapsed, checked, lost, _ = _run(cluster, target, args, officials)
            ms = sorted(s.ms for s in samples)
            scale[label] = (len(samples) / elapsed, load.percentile(ms, 95), len(lost))
            print(f"== {label}: {scale[label][0]:.1f} req/s, p95 {scale[label][1]:.0f} ms")

        # 2. kill -9 one app server.
        def kill(c):
            c.kill_node("a")

        samples, _, checked, lost, at = _run(cluster, port, args, officials, kill)
        # Requests in flight on a when it died are the only losses; after the window, none.
        results.append(
            _fault_row("kill -9 app server a", samples, at, DETECTION_WINDOW_S, checked, lost)
        )
        node = cluster.nodes["a"]
        node.env["CERTTRACK_SEED_DEMO"] = "0"
        node.start()
        cluster.wait_until_both_serve()

        # 3. Stop the replica: reads go to the primary, no 5xx at all.
        samples, _, checked, lost, at = _run(
            cluster, port, args, officials, lambda c: c.replica.stop()
        )
        results.append(_fault_row("stop the replica", samples, at, 0, checked, lost, allowed=()))
        cluster.replica.start()

        # 4. Stop Redis: pages from the database, no 5xx, nobody signed out.
        samples, _, checked, lost, at = _run(
            cluster, port, args, officials, lambda c: c.redis.stop()
        )
        row = _fault_row("stop Redis", samples, at, 0, checked, lost, allowed=())
        unexpected = sum(1 for s in samples if not s.ok and 0 < s.status < 500)
        row.ok = row.ok and unexpected == 0
        row.note = f"{unexpected} unexpected statuses (a signed-out user would be one)"
        results.append(row)
        cluster.redis.start()

        # 5. Stop the primary for a few seconds: 503 pages, then pages again by themselves.
        def primary_down(c):
            c.primary.stop()
            time.sleep(PRIMARY_DOWN_S)
            c.primary.start()

        samples, _, checked, lost, at = _run(cluster, port, args, officials, primary_down)
        # 503 while it is down; after it is back (+ the connect timeout) every request answers.
        row = _fault_row("stop the primary 5 s", samples, at, 5, checked, lost, allowed=(503,))
        row.note = "503 page while the primary is down, answers again by itself"
        results.append(row)

    lines = [
        "| fault | requests | failed (5xx or transport) | by status | failed after the window "
        "| accepted writes | lost writes | result |",
        "|---|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in results:
        by = ", ".join(f"{k or 'transport'}: {v}" for k, v in sorted(r.statuses.items())) or "—"
        lines.append(
            f"| {r.name} | {r.requests} | {r.failed} | {by} | {r.failed_after_window} "
            f"| {r.accepted} | {r.lost_writes} | {'pass' if r.ok else 'FAIL'} |"
        )
    one, two = scale["one app server"], scale["two"]
    scale_lines = [
        "| app servers | req/s | p95 ms |",
        "|---|---:|---:|",
        f"| one (app server a directly) | {one[0]:.1f} | {one[1]:.0f} |",
        f"| two (through HAProxy) | {two[0]:.1f} | {two[1]:.0f} |",
        f"| ratio two ÷ one | {two[0] / one[0]:.2f} | {two[1] / one[1]:.2f} |",
    ]
    print("\n".join(lines))
    print("\n".join(scale_lines))
    failed = not all(r.ok for r in results) or any(s[2] for s in scale.values())
    print("== FAILED" if failed else "== cluster faults passed")
    if args.write_results and not failed:
        text = "\n".join(
            [
                "## Multi-server cluster: faults under load, one app server against two",
                "",
                f"`python bench/cluster.py --faults --users {args.users} --duration "
                f"{args.duration:.0f}` on {platform.node() or 'this machine'} "
                f"({time.strftime('%Y-%m-%d')}): HAProxy, two gunicorn app servers "
                f"({cluster.workers} workers each), PostgreSQL primary + streaming replica, "
                "Redis, all on one 2-core machine. Detection window: HAProxy checks /healthz "
                f"every {CHECK_INTER_S} s and takes a server out after {CHECK_FALL} failures "
                f"(window {DETECTION_WINDOW_S} s); a request that cannot connect is retried "
                "on the other server at once. Each fault comes a third into a run of "
                f"{args.users} users for {args.duration:.0f} s.",
                "",
                *lines,
                "",
                "Same load against one app server and against two (one run, side by side). "
                "Both app servers share the machine's two cores, so the ratio measures the "
                "balancer's cost and the spread, not added hardware:",
                "",
                *scale_lines,
            ]
        )
        write_section("cluster", text)
    return 1 if failed else 0
