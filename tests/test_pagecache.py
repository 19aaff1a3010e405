"""indicators.pagecache: dashboard parts are rendered once per data version, and every write
that a dashboard shows is shown at once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from indicators.models import DataVersion, Target
from indicators.pagecache import data_version
from indicators.periods import Quarter
from indicators.services.counts import counts_save
from indicators.services.review import counts_approve, counts_reopen
from regions.models import Membership
from tests.conftest import make_count, make_plan, make_target, make_user

Role = Membership.Role
Q = Quarter(2024, 2)
TODAY = dt.date(2024, 8, 1)
URL = "/regions/990000/?as_of=2024Q2"


@pytest.fixture
def people(tree, certs, orgs, django_user_model):
    for key, (c, o) in {"a": (100, 40), "b": (200, 80), "c": (300, 120)}.items():
        make_count(tree[key], certs, Q, c)
        make_count(tree[key], orgs, Q, o)
    return {
        "leader": make_user(django_user_model, "lead", (Role.LEADER, tree["province"])),
        "official": make_user(django_user_model, "off_a", (Role.OFFICIAL, tree["a"])),
        "reviewer": make_user(django_user_model, "rev", (Role.REVIEWER, tree["province"])),
    }


def body(html: str) -> str:
    """The cached part: from the page's heading to the end of its content."""
    return html.split('<div class="page-head">', 1)[1].split("<footer", 1)[0]


def crumbs(html: str) -> str:
    return html.split('<nav class="breadcrumb"', 1)[1].split("</nav>", 1)[0]


def latest(html: str, code: str = "certificates") -> int:
    return int(re.search(rf'data-indicator="{code}" data-value="(\d+)"', html).group(1))


def get(client, url=URL) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_a_second_view_is_served_from_the_cache(client, people):
    client.force_login(people["leader"])
    first, cold = get(client)
    second, warm = get(client)
    assert body(second) == body(first)
    assert latest(first) == 600  # 100 + 200 + 300
    # Cold: the dashboard's own reads (indicators, targets, subtree, counts, statuses) too;
    # warm: session, user, region, access, data version, base.html's flag and regions.
    assert warm <= 7 < cold


def test_every_write_is_shown_at_once(client, people, tree):
    """Reopen, save, submit, approve: each write gives a new data version, and the next view
    renders what it changed (A's latest value; the province's heatmap for A)."""
    official, reviewer = people["official"], people["reviewer"]
    client.force_login(people["leader"])
    a_url, p_url = "/regions/990100/?as_of=2024Q2", URL
    assert latest(get(client, a_url)[0]) == 100
    assert 'class="report report-returned"' not in get(client, p_url)[0]
    versions = {data_version()}

    counts_reopen(user=reviewer, region=tree["a"], period=Q, reason="口径有误")
    versions.add(data_version())
    assert 'class="report report-returned"' in get(client, p_url)[0]  # A in the heatmap table

    counts_save(
        user=official,
        region=tree["a"],
        period=Q,
        values={"certificates": 110, "organizations": 44},
        expected_versions={"certificates": 2, "organizations": 2},
        submit=True,
        explanation="更正",
        today=TODAY,
    )
    versions.add(data_version())
    html = get(client, a_url)[0]
    assert latest(html) == 110 and "(2024Q2, awaiting review)" in html

    counts_approve(user=reviewer, region=tree["a"], period=Q)
    versions.add(data_version())
    html = get(client, a_url)[0]
    assert latest(html) == 110 and "(2024Q2, awaiting review)" not in html
    assert len(versions) == 4  # every write a new version


def test_a_change_of_a_target_is_shown_at_once(client, people, tree, certs):
    plan = make_plan(tree["province"])
    target = make_target(plan, tree["province"], certs, "2025Q4", 900)
    client.force_login(people["leader"])
    assert "≥ 900" in get(client)[0]
    Target.objects.filter(pk=target.pk).update(value=950)  # no signal: the cached part stays
    assert "≥ 950" not in get(client)[0]
    target.value = 950
    target.save()  # what the admin does: the signal gives a new version
    assert "≥ 950" in get(client)[0]


def test_breadcrumbs_are_each_users_own(client, people, tree, django_user_model):
    """The cached part is shared; the breadcrumbs above it are not: an official of A does not
    get a link to the province, a leader of the province does."""
    official = people["official"]
    client.force_login(official)
    mine, cold = get(client, "/regions/990100/?as_of=2024Q2")
    client.force_login(people["leader"])
    theirs, warm = get(client, "/regions/990100/?as_of=2024Q2")
    assert body(mine) == body(theirs) and warm < cold - 3  # rendered once, for both
    assert 'href="/regions/990000/' not in crumbs(mine)
    assert 'href="/regions/990000/' in crumbs(theirs)


def test_the_language_is_part_of_the_key(client, people):
    client.force_login(people["leader"])
    with translation.override("zh-hans"):
        chinese = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "最新值" in body(chinese) or "目标" in body(chinese)
    assert "Latest value" in body(english)


def test_a_missing_version_row_is_made_again(db):
    """A flushed table (a test database, a hand-made restore): the next write recreates it."""
    from indicators.pagecache import data_changed

    DataVersion.objects.all().delete()
    assert data_version() == 0
    data_changed()
    assert DataVersion.objects.get().number == data_version() != 0


def test_the_demo_banner_follows_the_data(client, people, tree, certs):
    """base.html's "is there demo data?" is cached under the data version too: a demo count
    written through the roll-ups (as seed_demo's rebuild does) shows the banner at once."""
    from indicators.models import QuarterlyCount
    from indicators.rollups import rollups_touch

    client.force_login(people["leader"])
    assert 'class="demo-banner"' not in get(client)[0]
    assert 'class="demo-banner"' not in get(client)[0]  # now from the cache
    QuarterlyCount.objects.filter(region=tree["a"], indicator=certs).update(is_demo=True)
    rollups_touch(region=tree["a"], indicator=certs, period=Q)
    assert 'class="demo-banner"' in get(client)[0]
