"""Backups: what is dumped comes back identical in an empty database.

certtrack/backup.py (dumpdata/loaddata, the SQLite path of `make backup`) on every database;
bin/backup and bin/restore with pg_dump/pg_restore where the suite runs on PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from certtrack import backup
from indicators.models import CountEvent, Indicator, Plan, QuarterlyCount, Target
from regions.models import Membership, Region

ROOT = Path(__file__).resolve().parents[2]
MODELS = [Region, Indicator, Plan, Target, QuarterlyCount, CountEvent, Membership, get_user_model()]


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every model that holds the numbers, their history and who may see them."""
    return {
        model._meta.label: [tuple(row.values()) for row in model.objects.order_by("pk").values()]
        for model in MODELS
    }


@pytest.fixture
def history(demo):
    """Demo data plus a few extra events with notes, comments and every status."""
    count = QuarterlyCount.objects.filter(status=QuarterlyCount.Status.RETURNED).first()
    count.note = "含<b>标记</b> & 'quotes' \"双引号\"\n换行"
    count.save()
    return count


@pytest.mark.django_db(transaction=True)
def test_dump_and_restore_into_an_empty_database_gets_everything_back(history, tmp_path):
    before = snapshot()
    assert len(before["indicators.QuarterlyCount"]) > 1000
    assert len(before["indicators.CountEvent"]) > 1000
    assert len(before["indicators.Target"]) >= 8

    path = backup.dump(tmp_path / "certtrack.backup.gz")
    call_command("flush", interactive=False, verbosity=0)
    assert all(model.objects.count() == 0 for model in MODELS)

    backup.restore(path)
    assert snapshot() == before
    # Sequences follow the restored rows: new records do not collide with restored ids.
    new = CountEvent.objects.create(
        count=QuarterlyCount.objects.first(), action=CountEvent.Action.CREATE, at=history.entered_at
    )
    assert new.pk > max(row[0] for row in before["indicators.CountEvent"])


@pytest.mark.django_db(transaction=True)
def test_restore_replaces_what_was_there(history, tmp_path):
    path = backup.dump(tmp_path / "certtrack.backup")
    before = snapshot()
    QuarterlyCount.objects.filter(pk=history.pk).update(value=1)
    Target.objects.all().delete()
    backup.restore(path)
    assert snapshot() == before


def table_rows(cursor) -> dict[str, list[tuple]]:
    """Every row of the models' tables, read with plain SQL (works on any connection)."""
    rows = {}
    for model in MODELS:
        cursor.execute(f'SELECT * FROM "{model._meta.db_table}" ORDER BY id')
        rows[model._meta.db_table] = cursor.fetchall()
    return rows


def pg_url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="pg_dump/pg_restore round trip needs the suite on PostgreSQL (DATABASE_URL)",
)
@pytest.mark.django_db(transaction=True)
def test_make_backup_and_make_restore_with_pg_dump_into_an_empty_database(history, tmp_path):
    env = {
        **os.environ,
        "BACKUP_DIR": str(tmp_path),
        "DATABASE_URL": pg_url(connection.settings_dict["NAME"]),
    }
    out = subprocess.run(
        [str(ROOT / "bin" / "backup")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    dump_file = Path(out.stdout.strip())
    assert dump_file.suffix == ".dump" and dump_file.stat().st_size > 10_000

    empty = f"certtrack_prod_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{empty}"')
    try:
        env["DATABASE_URL"] = pg_url(empty)
        out = subprocess.run(
            [str(ROOT / "bin" / "restore"), str(dump_file)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            stdin=subprocess.DEVNULL,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        import psycopg2

        s = connection.settings_dict
        restored = psycopg2.connect(
            dbname=empty,
            user=s["USER"],
            password=s["PASSWORD"] or None,
            host=s["HOST"] or "127.0.0.1",
            port=s["PORT"] or 5432,
        )
        try:
            with restored.cursor() as cursor:
                after = table_rows(cursor)
        finally:
            restored.close()
        with connection.cursor() as cursor:
            before = table_rows(cursor)
        assert all(before.values())
        assert after == before
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')
