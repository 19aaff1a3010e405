"""Run the app the way `make serve` does (bin/serve: gunicorn, production settings) for a script.

Static files are collected into a temporary folder and the secret key is made up, so a script
never touches the developer's staticfiles/ or .secret_key.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.httpclient import Session

ROOT = Path(__file__).resolve().parent.parent
DEV_VARS = (
    "CERTTRACK_DEV",
    "CERTTRACK_PLAIN_STATIC",
    "CERTTRACK_COMPRESSED_STATIC",
    "CERTTRACK_DEBUG",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
)


class AppServer:
    def __init__(
        self,
        database_url: str,
        port: int,
        *,
        workers: int = 3,
        seed_demo: bool = True,
        extra_env: dict[str, str] | None = None,
    ):
        self.port = port
        self.static = tempfile.mkdtemp(prefix="certtrack-static-")
        self.log_path = Path(self.static) / "gunicorn.log"
        env = {k: v for k, v in os.environ.items() if k not in DEV_VARS}
        env.update(
            DATABASE_URL=database_url,
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CERTTRACK_BASE_URL=f"http://127.0.0.1:{port}",  # two hosts: the address is named
            CERTTRACK_SECURE="1",
            CERTTRACK_BEHIND_PROXY="1",
            HOST="127.0.0.1",
            PORT=str(port),
            STATIC_ROOT=self.static,
            WEB_CONCURRENCY=str(workers),
            GUNICORN_ACCESSLOG=os.environ.get("GUNICORN_ACCESSLOG", "/dev/null"),
            CERTTRACK_SEED_DEMO="1" if seed_demo else "0",
            PY=sys.executable,
        )
        env.update(extra_env or {})  # may override the defaults above (CERTTRACK_SECURE=0)
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> None:
        self.log = open(self.log_path, "w")
        # Its own process group, so that stop() ends gunicorn and its workers and nothing else.
        self.proc = subprocess.Popen(
            [str(ROOT / "bin" / "serve")],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        probe = Session("127.0.0.1", self.port, timeout=2)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"bin/serve exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if probe.get("/healthz").status == 200:
                    return
            except OSError:
                pass
            probe.close()
            time.sleep(0.5)
        raise SystemExit(f"the app did not answer /healthz within {timeout}s:\n{self.tail()}")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        subprocess.run(["rm", "-rf", self.static], check=False)
