"""Fault test: PostgreSQL stops under a running app and comes back.

    .venv/bin/python bench/fault_db_restart.py [--http-port 8016]

1. initdb a private PostgreSQL cluster in a temporary folder on its own port (the machine's
   shared server on 5432 is never stopped), run the app on it as `make serve` does (gunicorn,
   production settings, behind a pretend TLS proxy), sign in, check pages answer 200;
2. stop the cluster: pages answer the 503 page (translated, no stack trace), /healthz 503, for a
   signed-in user and for the sign-in page alike, and gunicorn stays up;
3. start the cluster again: without touching gunicorn, /healthz and pages answer 200 again and
   the signed-in user is still signed in (sessions live in the database).
Exits non-zero on the first failed check; cleans up the cluster and gunicorn in every case.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.appserver import AppServer  # noqa: E402
from bench.httpclient import Session  # noqa: E402
from bench.pgcluster import PrivateCluster, free_port  # noqa: E402

DEMO_PASSWORD = "certtrack-demo"
PAGES = ["/", "/accounts/login/", "/healthz"]
LEAKS = ("Traceback", "OperationalError", "psycopg2", "connection to server", "5432")


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    print(("  ok   " if condition else "  FAIL ") + message, flush=True)
    if not condition:
        raise CheckFailed(message)


def wait_for(predicate, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--http-port", type=int, default=0, help="default: 8016 or the next free")
    args = parser.parse_args()
    http_port = args.http_port or free_port(8016, 8116)

    cluster = PrivateCluster(durable=False)
    server = None
    t0 = time.monotonic()
    try:
        print(f"== private PostgreSQL on 127.0.0.1:{cluster.port} in {cluster.dir}")
        cluster.init()
        cluster.start()
        server = AppServer(f"{cluster.url}/certtrack_prod_fault", http_port, workers=2)
        print(f"== gunicorn (bin/serve, production settings) on 127.0.0.1:{http_port}")
        server.start()
        master = server.pid

        leader = Session("127.0.0.1", http_port)
        anonymous = Session("127.0.0.1", http_port)
        check(leader.login("leader_gansu", DEMO_PASSWORD), "leader_gansu signs in")
        page = leader.get("/")
        check(page.status == 200 and "甘政办发〔2018〕145号" in page.text, "overview 200")
        check(anonymous.get("/healthz").status == 200, "/healthz 200")

        print("== stop PostgreSQL")
        cluster.stop()
        # (An anonymous "/" is redirected to sign in without asking the database: not checked.)
        for who, session, paths in (("leader", leader, PAGES), ("anonymous", anonymous, PAGES[1:])):
            for path in paths:
                r = session.get(path)
                check(r.status == 503, f"{who} {path}: 503 while the database is down")
                if path == "/healthz" and who == "anonymous":  # as a load balancer probes
                    check(r.text.strip() == '{"status": "unavailable"}', "/healthz: unavailable")
                else:
                    check("暂时无法使用" in r.text, f"{who} {path}: the translated 503 page")
                    check(
                        not any(leak in r.text for leak in LEAKS), f"{who} {path}: no stack trace"
                    )
        english = Session("127.0.0.1", http_port, language="en")
        check(
            "temporarily unavailable" in english.get("/accounts/login/").text, "503 page in English"
        )
        check(server.alive() and server.pid == master, "gunicorn still running")

        print("== start PostgreSQL again (gunicorn untouched)")
        cluster.start()
        check(wait_for(lambda: anonymous.get("/healthz").status == 200, 30), "/healthz 200 again")
        page = leader.get("/")
        check(
            page.status == 200 and "甘政办发〔2018〕145号" in page.text,
            "overview 200 again, still signed in",
        )
        check(anonymous.get("/accounts/login/").status == 200, "sign-in page 200 again")
        # Every worker recovers, not only the one that answered first.
        statuses = {leader.get("/").status for _ in range(20)}
        check(statuses == {200}, f"20 more requests all 200 ({sorted(statuses)})")

        print("== restart PostgreSQL between two requests (stale pooled connections)")
        cluster.stop()
        cluster.start()
        statuses = [leader.get("/").status for _ in range(20)]
        # A worker may meet its dead connection once (503) before the health check replaces it;
        # CONN_HEALTH_CHECKS makes that at most the first request, and the rest must be 200.
        check(
            statuses.count(200) >= 20 - 3 and statuses[-10:] == [200] * 10,
            f"pages answer 200 again by themselves ({statuses})",
        )
        check(server.alive() and server.pid == master, "same gunicorn master, never restarted")
        print(f"== fault test passed in {time.monotonic() - t0:.0f} s")
        return 0
    except CheckFailed:
        if server is not None:
            print("---- gunicorn log (tail)\n" + server.tail(), file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        cluster.destroy()


if __name__ == "__main__":
    sys.exit(main())
