"""SQLite holds concurrent officials (issue 12.7): WAL, a busy timeout, immediate transactions.

Each test runs a short Python process against a SQLite *file* with the project's settings (the
test database is in memory, where neither WAL nor locking between connections applies).
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys, threading, time
    import django
    django.setup()
    from django.db import connection, connections, transaction

    with connection.cursor() as c:
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT, n INTEGER)")
        c.execute("PRAGMA journal_mode")
        print("journal", c.fetchone()[0])
    connection.close()
    errors, THREADS, WRITES = [], 8, 15

    def worker(k):
        try:
            for i in range(WRITES):
                # Read, then write, in one transaction: what every save of a count does.
                with transaction.atomic():
                    with connection.cursor() as c:
                        c.execute("SELECT COUNT(*) FROM t")
                        n = c.fetchone()[0]
                        time.sleep(0.002)
                        c.execute("INSERT INTO t (who, n) VALUES (%s, %s)", [f"w{k}", n])
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for t in threads: t.start()
    for t in threads: t.join()
    with connection.cursor() as c:
        c.execute("SELECT COUNT(*), COUNT(DISTINCT n) FROM t")
        rows, distinct = c.fetchone()
    print("rows", rows, "distinct", distinct, "errors", len(errors))
    for e in errors[:3]: print("error", e)
    """
)


def run(tmp_path, **env_extra):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "certtrack.settings",
        "CERTTRACK_DEV": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'load.sqlite3'}",
        **env_extra,
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


def test_sqlite_settings_use_wal_a_busy_timeout_and_immediate_transactions():
    from certtrack import settings as project

    if project.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("this run is on PostgreSQL; the next test reads the settings on SQLite")
    options = project.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
    assert "journal_mode=WAL" in options["init_command"]


def test_concurrent_read_then_write_transactions_all_succeed_in_order(tmp_path):
    out = run(tmp_path)
    assert out["journal"] == "wal"
    # 8 writers × 15 transactions, none refused with "database is locked", and each saw the
    # writes before it (serialized: the counts read are 0, 1, …, 119, all different).
    assert out["rows"].split()[0] == "120"
    assert out["rows"].split()[2] == "120", out
    assert out["rows"].split()[4] == "0", out
