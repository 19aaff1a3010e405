"""The reference multi-server deployment on one machine: a balancer, two app servers, a
PostgreSQL primary with a streaming replica, and Redis (docs/deploy.md, section 8).

    .venv/bin/python bench/cluster.py             # start it, print where each part listens,
                                                  # stop everything on Ctrl-C (make cluster)
    .venv/bin/python bench/cluster.py --faults    # faults under load + one vs two app servers
    .venv/bin/python bench/cluster.py --faults --write-results   # ... into bench/RESULTS.md

From Debian's and PyPI's packages only: PostgreSQL (a private primary made with initdb and a
standby made with ``pg_basebackup -R``, each on a port of its own), ``redis-server``, two
gunicorn app servers (``bin/serve``, production settings, both with ``DATABASE_REPLICA_URL``
and ``REDIS_URL``) and HAProxy in front, health-checking ``/healthz`` every second and spreading
requests round-robin over both. As root, missing Debian packages (haproxy, redis-server) are
installed; otherwise the script says which are missing. The machine's own PostgreSQL (5432) is
never touched. Everything started here is stopped on exit. Loopback only.

The tests of "one user, any node" and "read your own writes" run against this cluster in
tests/cluster/ (``CERTTRACK_CLUSTER_TESTS=1``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.appserver import AppServer  # noqa: E402
from bench.httpclient import Session  # noqa: E402
from bench.pgcluster import PrivateCluster, free_port  # noqa: E402

DEBIAN_PACKAGES = {"haproxy": "/usr/sbin/haproxy", "redis-server": "/usr/bin/redis-server"}
DATABASE = "certtrack_cluster"
# HAProxy: a server is taken out after FALL failed checks INTER apart, and a request that
# cannot connect to a server is sent to the other one at once (retry-on conn-failure).
# A saturated server answers its check late (it queues behind users' requests), so the check
# waits CHECK_TIMEOUT_S before it counts as failed; a dead server refuses at once.
CHECK_INTER_S, CHECK_FALL, CHECK_RISE, CHECK_TIMEOUT_S = 1, 3, 2, 10
DETECTION_WINDOW_S = CHECK_INTER_S * (CHECK_FALL + 1)


def ensure_packages() -> None:
    missing = [name for name, path in DEBIAN_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"== installing {' '.join(missing)} (Debian packages)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)
        return
    raise SystemExit(f"missing Debian packages: {' '.join(missing)} (apt-get install them as root)")


class Replica(PrivateCluster):
    """A hot standby of ``primary``: ``pg_basebackup -R`` (streaming, recovery settings written)."""

    def __init__(self, primary: PrivateCluster):
        super().__init__(free_port(primary.port + 1, primary.port + 100), durable=False)
        self.primary = primary

    def init(self) -> None:
        self._run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.data),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
        )

    def sql(self, statement: str) -> str:
        return self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", DATABASE,
            "-At", "-c", statement,
        ).stdout.strip()  # fmt: skip


class Redis:
    def __init__(self, port: int):
        self.port = port
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                DEBIAN_PACKAGES["redis-server"],
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if _answers(self.port):
                return
            time.sleep(0.1)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Balancer:
    """HAProxy in front of the app servers, checking /healthz as the TLS proxy would ask it."""

    def __init__(self, port: int, servers: dict[str, int], folder: Path):
        self.port = port
        self.servers = servers
        self.config = folder / "haproxy.cfg"
        self.log_path = folder / "haproxy.log"
        self.proc: subprocess.Popen | None = None

    def write_config(self) -> None:
        lines = [
            "global",
            "    maxconn 2000",
            "defaults",
            "    mode http",
            "    timeout connect 2s",
            "    timeout client 60s",
            "    timeout server 60s",
            f"    timeout check {CHECK_TIMEOUT_S}s",
            "    retries 3",
            "    option redispatch 1",
            "    retry-on conn-failure",
            "frontend web",
            f"    bind 127.0.0.1:{self.port}",
            "    default_backend app",
            "backend app",
            "    balance roundrobin",
            "    option httpchk",
            "    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1 "
            "hdr X-Forwarded-Proto https",
            "    http-check expect status 200",
            # A server whose connections fail under real traffic is taken out at once, without
            # waiting for the checks (observe layer4).
            f"    default-server inter {CHECK_INTER_S}s fall {CHECK_FALL} rise {CHECK_RISE} "
            "observe layer4 error-limit 1 on-error mark-down",
            "    http-response set-header X-CertTrack-Node %[srv_name]",
            *(f"    server {name} 127.0.0.1:{port} check" for name, port in self.servers.items()),
        ]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        self.write_config()
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [DEBIAN_PACKAGES["haproxy"], "-f", str(self.config), "-db"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(50):
            if _answers(self.port):
                return
            time.sleep(0.1)
        raise SystemExit(f"haproxy did not start:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        if getattr(self, "log", None):
            self.log.close()


def _answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Cluster:
    """Every part, started in order and stopped in reverse; ``with Cluster() as c:``."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self.folder = Path(tempfile.mkdtemp(prefix="certtrack-cluster-"))
        self.primary = PrivateCluster(durable=True)
        self.replica = Replica(self.primary)
        self.redis = Redis(free_port(26379, 26479))
        port_a = free_port(8031, 8131)
        port_b = free_port(port_a + 1, 8132)
        self.nodes: dict[str, AppServer] = {}
        self._ports = {"a": port_a, "b": port_b}
        self.balancer = Balancer(free_port(port_b + 1, 8133), self._ports, self.folder)

    @property
    def database_url(self) -> str:
        return f"{self.primary.url}/{DATABASE}"

    @property
    def replica_url(self) -> str:
        return f"{self.replica.url}/{DATABASE}"

    def app_env(self) -> dict[str, str]:
        return {
            "DATABASE_REPLICA_URL": self.replica_url,
            "REDIS_URL": self.redis.url,
            "DATABASE_CONNECT_TIMEOUT": "2",
            # the same key on every app server: sessions and signed cookies work on both
            "SECRET_KEY": self.secret_key,
            "CERTTRACK_REPLICA_LAG_NOTICE": "2",
        }

    def start(self) -> Cluster:
        import secrets

        ensure_packages()
        self.secret_key = secrets.token_urlsafe(50)
        t0 = time.monotonic()
        self.primary.init()
        self.primary.start()
        self.replica.init()
        self.replica.start()
        self.redis.start()
        for name, port in self._ports.items():
            # The first server migrates and loads the demo data; the second finds it there.
            node = AppServer(
                self.database_url,
                port,
                workers=self.workers,
                seed_demo=(name == "a"),
                extra_env=self.app_env(),
            )
            self.nodes[name] = node
            node.start()
        self.balancer.start()
        self.wait_until_both_serve()
        print(f"== cluster up in {time.monotonic() - t0:.0f} s", flush=True)
        return self

    def wait_until_both_serve(self, timeout: float = 30) -> None:
        seen: set[str] = set()
        deadline = time.monotonic() + timeout
        probe = Session("127.0.0.1", self.balancer.port, timeout=5)
        while time.monotonic() < deadline and seen != set(self._ports):
            r = probe.get("/healthz")
            if r.status == 200:
                seen.add(r.headers.get("x-certtrack-node", ""))
            time.sleep(0.2)
        if seen != set(self._ports):
            raise SystemExit(f"the balancer did not reach both app servers (saw {seen})")

    def describe(self) -> str:
        return "\n".join(
            [
                f"balancer (HAProxy)     http://127.0.0.1:{self.balancer.port}/  "
                "(send X-Forwarded-Proto: https, as the TLS proxy does)",
                *(
                    f"app server {name} (gunicorn) 127.0.0.1:{node.port}  log {node.log_path}"
                    for name, node in self.nodes.items()
                ),
                f"PostgreSQL primary     {self.database_url}",
                f"PostgreSQL replica     {self.replica_url}  (pg_basebackup -R, hot standby)",
                f"Redis                  {self.redis.url}",
            ]
        )

    def kill_node(self, name: str) -> None:
        """kill -9 an app server: its gunicorn master and every worker."""
        node = self.nodes[name]
        os.killpg(node.proc.pid, signal.SIGKILL)
        node.proc.wait()

    def stop(self) -> None:
        for part in (self.balancer, *self.nodes.values(), self.redis):
            try:
                part.stop()
            except Exception as exc:  # keep stopping the rest
                print(f"while stopping {part}: {exc}", file=sys.stderr)
        self.replica.destroy()
        self.primary.destroy()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_until_interrupted() -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Cluster() as cluster:
        print(cluster.describe(), flush=True)
        print("demo sign-ins as with `make run`; Ctrl-C stops everything", flush=True)
        try:
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", action="store_true", help="faults under load, then exit")
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--duration", type=float, default=15, help="seconds per load run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write-results", action="store_true", help="rewrite bench/RESULTS.md")
    args = parser.parse_args()
    if not args.faults:
        return serve_until_interrupted()
    from bench.cluster_faults import run_faults

    return run_faults(args)


if __name__ == "__main__":
    sys.exit(main())
