"""A stopped Redis is a cache miss, never an error (certtrack/cache.py); the replica router's
WAL positions (certtrack/routers.py). The real outage is tested on the cluster (tests/cluster/)."""

from __future__ import annotations

import socket
import time

import pytest
from django.core import signing
from django.test import RequestFactory

from certtrack import cache as resilient
from certtrack.cache import ResilientRedisCache
from certtrack.routers import WRITTEN_COOKIE, WRITTEN_SALT, parse_lsn, written_lsn


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once the socket is closed


@pytest.fixture
def dead_redis():
    return ResilientRedisCache(
        f"redis://127.0.0.1:{closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )


def test_reads_miss_and_writes_are_skipped_when_redis_does_not_answer(dead_redis):
    assert dead_redis.get("k", "default") == "default"
    assert dead_redis.get_many(["a", "b"]) == {}
    assert dead_redis.has_key("k") is False
    assert dead_redis.add("k", 1) is False
    dead_redis.set("k", 1)  # no exception
    dead_redis.set_many({"a": 1})
    dead_redis.delete("k")
    dead_redis.delete_many(["a"])
    assert dead_redis.incr("counter") == 1  # counts this call: a throttle lets it pass


def test_after_a_failure_redis_is_not_asked_again_for_a_while(dead_redis, monkeypatch):
    calls = []

    dead_redis.get("k")
    assert not dead_redis.available()
    monkeypatch.setattr(
        "django.core.cache.backends.redis.RedisCache.get",
        lambda *a, **k: calls.append(a) or "asked",
    )
    assert dead_redis.get("k", "miss") == "miss" and calls == []  # the breaker is open
    monkeypatch.setattr(resilient, "RETRY_AFTER", 0.0)
    dead_redis._down_until = time.monotonic() - 1  # the pause is over: asked again
    assert dead_redis.get("k", "miss") == "asked" and len(calls) == 1
    assert dead_redis.available()


def test_wal_positions_order_as_the_wal_does():
    assert parse_lsn("0/16B3748") == 0x16B3748
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert parse_lsn("") is None and parse_lsn("nonsense") is None and parse_lsn(None) is None


def test_the_written_position_is_read_only_from_a_cookie_this_app_signed():
    signer = signing.get_cookie_signer(salt=WRITTEN_SALT)
    request = RequestFactory().get("/", HTTP_COOKIE=f"{WRITTEN_COOKIE}={signer.sign('0/3000')}")
    assert written_lsn(request) == 0x3000
    forged = RequestFactory().get("/", HTTP_COOKIE=f"{WRITTEN_COOKIE}=0/3000:forged")
    assert written_lsn(forged) is None  # a forged cookie cannot keep a user off the replica
