"""One user, any node; read your own writes: against the real cluster of bench/cluster.py.

HAProxy in front of two gunicorn app servers, a PostgreSQL primary with a streaming replica
(pg_basebackup -R), Redis. Slow to start (about a minute), so these run only with
CERTTRACK_CLUSTER_TESTS=1 (.ci/run does, once); without it they are skipped with that message.
"""

from __future__ import annotations

import os
import re
import time

import pytest

from bench.httpclient import Session
from indicators.periods import Quarter

pytestmark = pytest.mark.skipif(
    os.environ.get("CERTTRACK_CLUSTER_TESTS") != "1",
    reason="the multi-server cluster tests run with CERTTRACK_CLUSTER_TESTS=1 (.ci/run)",
)

PASSWORD = "certtrack-demo"
VERSION_RE = re.compile(r'<input type="hidden" name="version_(\w+)"(?: value="(\d+)")?')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
HOST_RE = re.compile(r"127\.0\.0\.1:\d+")  # each node is asked under its own address here
DISTRICT = "450502"  # 海城区: Beihai's districts have no demo counts, every quarter is open
OPEN = Quarter.last_complete()


@pytest.fixture(scope="module")
def cluster():
    from bench.cluster import Cluster

    with Cluster() as running:
        yield running


def balancer(cluster, **kwargs) -> Session:
    return Session("127.0.0.1", cluster.balancer.port, timeout=30, **kwargs)


def node(cluster, name: str, **kwargs) -> Session:
    session = Session("127.0.0.1", cluster.nodes[name].port, timeout=30, **kwargs)
    return session


def on_node(session: Session, cluster, name: str) -> Session:
    """The same browser (its cookies) talking to one app server directly."""
    other = node(cluster, name, client_ip=session.client_ip, language=session.language)
    other.cookies = session.cookies
    return other


def submit_count(session: Session, period: Quarter, certificates: int) -> None:
    form = session.get(f"/entry/?region={DISTRICT}&period={period}")
    assert form.status == 200, form.status
    versions = {code: v or "" for code, v in VERSION_RE.findall(form.text)}
    data = {
        "region": DISTRICT,
        "period": str(period),
        "value_certificates": str(certificates),
        "value_organizations": str(certificates // 3),
        "action": "submit",
        "explanation": "cluster test: figures from the register",
        **{f"version_{code}": v for code, v in versions.items()},
    }
    r = session.post("/entry/", data, referer=f"{session.origin}/entry/")
    assert r.status == 302, (r.status, r.text[:500])


def series(session: Session) -> str:
    r = session.get(f"/regions/{DISTRICT}/series.json?values=submitted")
    assert r.status == 200, r.status
    return r.text


def test_a_signed_in_user_is_signed_in_on_both_nodes(cluster):
    leader = balancer(cluster)
    assert leader.login("leader_gansu", PASSWORD)
    served_by = []
    for _ in range(6):
        r = leader.get("/regions/620000/")
        assert r.status == 200, r.status  # a signed-out user would be sent to sign in (302)
        served_by.append(r.headers["x-certtrack-node"])
    assert set(served_by) == {"a", "b"}  # round robin: both nodes served the one session
    for name in ("a", "b"):
        assert on_node(leader, cluster, name).get("/home/").status == 200


def test_a_lock_out_counted_on_one_node_holds_on_both(cluster):
    # Wrong passwords through the balancer (alternating nodes), from one client address.
    attacker = balancer(cluster, client_ip="10.9.9.9")
    attacker.get("/accounts/login/")
    for _ in range(5):  # CERTTRACK_LOGIN_FAILURE_LIMIT
        attacker.post("/accounts/login/", {"username": "analyst", "password": "wrong"})
    for name in ("a", "b"):
        same_client = node(cluster, name, client_ip="10.9.9.9")
        assert not same_client.login("analyst", PASSWORD), f"node {name} let a locked user in"
    # Another address is not locked out (the lock-out is per username and address).
    assert node(cluster, "b", client_ip="10.9.9.10").login("analyst", PASSWORD)


def test_a_count_saved_through_one_node_is_on_the_other_nodes_dashboard(cluster):
    official = node(cluster, "a")
    assert official.login("official_beihai", PASSWORD)
    before = on_node(official, cluster, "b")
    before.get(f"/regions/{DISTRICT}/")  # node b renders (and caches) the dashboard first
    submit_count(official, OPEN - 1, 4321987)
    page = on_node(official, cluster, "b").get(f"/regions/{DISTRICT}/?values=submitted")
    assert page.status == 200
    assert "4,321,987" in page.text or "4321987" in page.text
    assert "4321987" in series(on_node(official, cluster, "b"))


def without_tokens(html: str) -> str:
    return HOST_RE.sub("", CSRF_RE.sub("", html))


def test_the_to_do_home_and_notifications_agree_on_both_nodes(cluster):
    reviewer = balancer(cluster)
    assert reviewer.login("reviewer_beihai", PASSWORD)
    for path in ("/home/", "/notifications/"):
        a = on_node(reviewer, cluster, "a").get(path)
        b = on_node(reviewer, cluster, "b").get(path)
        assert a.status == b.status == 200
        assert without_tokens(a.text) == without_tokens(b.text), path


def test_a_user_reads_their_own_write_while_the_replica_lags(cluster):
    official = balancer(cluster)
    assert official.login("official_beihai", PASSWORD)
    leader = balancer(cluster)
    assert leader.login("leader_beihai", PASSWORD)
    cluster.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        submit_count(official, OPEN - 2, 7654321)
        # The writer's reads, on either node, come from the primary until the replica catches up.
        for name in ("a", "b"):
            assert "7654321" in series(on_node(official, cluster, name)), name
        # Someone else reads the replica: the older data, and once it lags by more than the
        # notice threshold (2 s here), the page says when its data is from.
        assert "7654321" not in series(leader)
        time.sleep(3)
        page = leader.get(f"/regions/{DISTRICT}/?values=submitted")
        assert page.status == 200
        assert "7,654,321" not in page.text
        assert 'class="demo-banner data-as-of"' in page.text
    finally:
        cluster.replica.sql("SELECT pg_wal_replay_resume()")
    deadline = time.monotonic() + 10
    while "7654321" not in series(leader) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "7654321" in series(leader)
    page = leader.get(f"/regions/{DISTRICT}/?values=submitted")
    assert "data-as-of" not in page.text


def test_a_stopped_replica_sends_its_reads_to_the_primary(cluster):
    leader = balancer(cluster)
    assert leader.login("leader_gansu", PASSWORD)
    cluster.replica.stop()
    try:
        for _ in range(6):  # both nodes, each noticing on its own
            assert leader.get("/regions/620000/").status == 200
            assert leader.get("/regions/620000/series.json").status == 200
    finally:
        cluster.replica.start()


def test_a_stopped_redis_costs_no_page_and_signs_nobody_out(cluster):
    leader = balancer(cluster)
    assert leader.login("leader_gansu", PASSWORD)
    cluster.redis.stop()
    try:
        for path in ("/", "/regions/620000/", "/home/", "/accounts/login/", "/healthz"):
            for _ in range(2):  # both nodes
                r = leader.get(path)
                assert r.status in (200, 302), (path, r.status)
        assert leader.get("/regions/620000/").status == 200  # still signed in
        anonymous = balancer(cluster)
        assert anonymous.get("/accounts/login/").status == 200
        assert anonymous.login("leader_beihai", PASSWORD)  # signing in works without Redis
    finally:
        cluster.redis.start()
    assert leader.get("/regions/620000/").status == 200
