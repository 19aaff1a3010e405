"""Growing past one machine: stateless app servers, shared cache and sessions, a read replica."""

from __future__ import annotations

import json

from django.conf import settings

from certtrack.routers import ReplicaRouter, reads_from_replica
from indicators.models import QuarterlyCount
from tests.deploy.test_deploy import run_python

SHOW = """
import json
import django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "cache": s.CACHES["default"]["BACKEND"],
    "location": s.CACHES["default"].get("LOCATION"),
    "sessions": s.SESSION_ENGINE,
    "databases": {k: [v["ENGINE"], v["NAME"], v["HOST"]] for k, v in s.DATABASES.items()},
}))
"""


def settings_under(**env: str) -> dict:
    result = run_python(SHOW, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_one_machine_uses_a_memory_cache_and_database_sessions():
    values = settings_under(REDIS_URL="")
    assert values["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["sessions"] == "django.contrib.sessions.backends.db"


def test_redis_url_shares_the_cache_and_keeps_sessions_in_the_database():
    values = settings_under(REDIS_URL="redis://10.0.0.5:6379/1")
    assert values["cache"] == "certtrack.cache.ResilientRedisCache"
    assert values["location"] == "redis://10.0.0.5:6379/1"
    # Never in Redis: a Redis outage or flush signs nobody out, and cannot revive a session
    # that was signed out while Redis was away.
    assert values["sessions"] == "django.contrib.sessions.backends.db"


def test_database_replica_url_adds_a_replica():
    values = settings_under(
        DATABASE_URL="postgres://certtrack@db1:5432/certtrack",
        DATABASE_REPLICA_URL="postgres://certtrack@db2:5432/certtrack",
    )
    assert values["databases"] == {
        "default": ["django.db.backends.postgresql", "certtrack", "db1"],
        "replica": ["django.db.backends.postgresql", "certtrack", "db2"],
    }


def test_only_views_marked_for_the_replica_read_from_it(monkeypatch):
    monkeypatch.setitem(settings.DATABASES, "replica", {})
    router = ReplicaRouter()
    seen = []

    @reads_from_replica
    def dashboard():
        seen.append(router.db_for_read(QuarterlyCount))
        seen.append(router.db_for_write(QuarterlyCount))

    dashboard()
    assert seen == ["replica", "default"]
    assert router.db_for_read(QuarterlyCount) is None  # everything else: the primary
    assert router.allow_migrate("replica", "indicators") is False


def test_a_marked_view_reads_from_the_primary_without_a_replica():
    router = ReplicaRouter()
    assert "replica" not in settings.DATABASES
    assert reads_from_replica(lambda: router.db_for_read(QuarterlyCount))() is None


def test_nothing_is_kept_on_an_app_servers_disk():
    assert "file" not in settings.SESSION_ENGINE
    assert all("FileBasedCache" not in c["BACKEND"] for c in settings.CACHES.values())
    # Uploads up to the request limit stay in memory, never spooled to a temporary file.
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= settings.CERTTRACK_MAX_REQUEST_SIZE
    # Login failures are counted in the database, seen by every app server.
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
