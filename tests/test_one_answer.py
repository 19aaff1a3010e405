"""One fact, one answer (issue 22.2, 22.3, 22.11): who must report a quarter, who has, who is
late and who waits for review read the same through every output that shows them: the review
queue page, the Word brief (through the brief's own download), the to-do home, the header
badge and the reminder mails. All on the deterministic demo (seed_demo up to 2026Q3)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from docx import Document

from indicators.periods import Quarter
from indicators.selectors.entry import queue_completeness, review_queue, submission_last_day
from indicators.selectors.obligations import quarter_obligations, subtree_scope
from indicators.services.review import counts_reopen
from notifications.digests import digest_for
from notifications.mail import digest_message
from regions.models import Region
from regions.selectors import access_for
from work.selectors import todo

Q3 = Quarter(2026, 3)
TODAY = submission_last_day(Q3) + dt.timedelta(days=1)  # 2026-10-21: 2026Q3 is late from today


@pytest.fixture
def users(demo):
    return {u.username: u for u in get_user_model().objects.all()}


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_gansus_units_read_the_same_in_queue_brief_home_and_mail(users, monkeypatch):
    """Gansu's reporting units are its 14 prefectures and 兰州新区 (a zone reporting on its
    own): 15, in the queue, the brief, the home and the mails alike; 兰州新区's returned 2026Q3
    is named as not reported everywhere (and, first submitted on time, is not late)."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    gansu = Region.objects.get(code="620000")
    reviewer = users["reviewer_gansu"]
    facts = quarter_obligations(scope=subtree_scope(gansu), period=Q3, today=TODAY)
    assert facts.expected == 15  # 14 prefectures + 兰州新区
    missing = {o.region.code for o in facts.not_reported}
    late = {o.region.code for o in facts.late}
    zone = next(o for o in facts.rows if o.region.code == "620171")
    assert zone.status == "returned" and "620171" in missing
    assert zone.on_time is not zone.late  # late only if its first submission was not on time

    # The review queue (page and selector): the same 15 units and rates.
    queue = list(review_queue(user=reviewer, period=Q3))
    assert len(queue) == 15
    assert {r.code for r in queue if r.status not in ("submitted", "approved")} == missing
    rates = queue_completeness(user=reviewer, period=Q3, today=TODAY)
    assert (rates.expected, rates.reported) == (15, 15 - len(missing))
    page = _client(reviewer).get("/review/", {"period": str(Q3)}).content.decode()
    assert f"{15 - len(missing)} of 15 units submitted or approved" in page

    # The Word brief, downloaded: the same count, and 兰州新区 named as not reported.
    response = _client(users["leader_gansu"]).get(
        "/reports/brief.docx", {"region": "620000", "as_of": str(Q3), "values": "approved"}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    text = "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)
    assert f"{15 - len(missing)} of 15 reporting units have sent their figures" in text
    not_reported = next(line for line in text.splitlines() if line.startswith("Not yet reported"))
    assert "Lanzhou New Area" in not_reported

    # The to-do homes and the mails: the late units of the reviewer and of the leader.
    home_late = {i.region.code for i in todo.late_units(reviewer, today=TODAY) if i.overdue}
    assert home_late == late
    leader = users["leader_gansu"]
    leader_home = todo.todo_for(leader, today=TODAY)
    assert {i.region.code for i in leader_home.scope_late} == late
    digest = digest_for(reviewer, day=TODAY)
    assert {i.region.code for i in digest.no_official} <= late


def test_the_badge_the_home_and_the_digest_count_the_same_waiting_items(users, monkeypatch):
    """A reviewer's header badge counts exactly the home's review items (submissions and task
    reports waiting); the digest, when it has a review section, lists the home's items."""
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    for name in ("reviewer_gansu", "reviewer_beihai"):
        reviewer = users[name]
        home = todo.todo_for(reviewer, today=TODAY)
        assert home.waiting, name  # the demo has submissions waiting for both
        badge = _client(reviewer).get("/").context["review_waiting_count"]
        assert badge == len(home.waiting) + len(home.tasks_to_review)
        digest = digest_for(reviewer, day=TODAY)
        if digest.waiting:
            assert [(i.region.code, i.period) for i in digest.waiting] == [
                (i.region.code, i.period) for i in home.waiting
            ]
            body = digest_message(digest).body
            assert all(f"/review/{i.region.code}/{i.period}/" in body for i in home.waiting)


def test_a_reopen_in_gansu_never_makes_baiyin_late(users):
    """白银市 620400 first submitted 2018Q3 on time; a reviewer reopens it in 2026. It stays on
    time in the obligations, the queue and the rates, and is not late (only not reported)."""
    reviewer = users["reviewer_gansu"]
    baiyin = Region.objects.get(code="620400")
    q = Quarter(2018, 3)
    before = queue_completeness(user=reviewer, period=q, today=TODAY)
    row = next(r for r in review_queue(user=reviewer, period=q) if r.code == "620400")
    assert row.on_time is True and row.status == "approved"
    counts_reopen(user=reviewer, region=baiyin, period=q, reason="复核 recheck")
    scope = access_for(reviewer).review_q()
    unit = next(
        o
        for o in quarter_obligations(scope=scope, period=q, today=TODAY).rows
        if o.region.code == "620400"
    )
    assert (unit.status, unit.on_time, unit.late, unit.reported) == ("returned", True, False, False)
    row = next(r for r in review_queue(user=reviewer, period=q) if r.code == "620400")
    assert row.on_time is True
    after = queue_completeness(user=reviewer, period=q, today=TODAY)
    assert after.on_time == before.on_time and after.reported == before.reported - 1
