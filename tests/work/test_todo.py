"""The to-do selectors and the home page: what waits for each role, most urgent first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from indicators.periods import Quarter
from indicators.progress import Status
from indicators.selectors.entry import NOT_STARTED
from indicators.services.review import counts_approve, counts_reopen, counts_return
from regions.models import Membership
from tests.conftest import make_plan, make_target
from tests.work.conftest import draft, submit
from work.selectors import todo

Role = Membership.Role
TODAY = timezone.localdate()
P = Quarter.last_complete(TODAY)  # the reporting quarter


def test_official_sees_returned_then_draft_then_not_started_with_reason_and_who(people, tree):
    off, rev = people["official"], people["reviewer"]
    submit(off, tree["a"], P - 1)
    counts_return(user=rev, region=tree["a"], period=P - 1, comment="证书数偏高，请核对")
    draft(off, tree["zone"], P)
    items = todo.official_items(off, today=TODAY)
    first = items[0]
    assert (first.region.code, first.period, first.status) == ("990100", P - 1, "returned")
    assert first.comment == "证书数偏高，请核对" and first.by == "reviewer"
    assert not first.reopened
    assert (items[1].region.code, items[1].period, items[1].status) == ("990171", P, "draft")
    rest = [(i.region.code, i.period) for i in items[2:]]
    assert all(i.status == NOT_STARTED for i in items[2:])
    # Four ended quarters per reporting unit (A and its zone), minus the two started ones;
    # the reporting quarter first.
    assert len(rest) == 2 * 4 - 2
    assert rest[0] == ("990100", P)
    assert ("990200", P) not in rest  # B is not the official's


def test_a_reopened_quarter_says_so(people, tree):
    off, rev = people["official"], people["reviewer"]
    submit(off, tree["a"], P)
    counts_approve(user=rev, region=tree["a"], period=P)
    counts_reopen(user=rev, region=tree["a"], period=P, reason="统计口径调整")
    first = todo.official_items(off, today=TODAY)[0]
    assert first.status == "returned" and first.reopened and first.comment == "统计口径调整"


def test_deadline_and_days_left():
    item = todo.QuarterItem(
        region=None, period=Quarter(2026, 3), status=NOT_STARTED,
        last_day=dt.date(2026, 10, 20), today=dt.date(2026, 10, 15),
    )  # fmt: skip
    assert item.days_left == 5 and not item.overdue
    late = todo.QuarterItem(
        region=None, period=Quarter(2026, 3), status=NOT_STARTED,
        last_day=dt.date(2026, 10, 20), today=dt.date(2026, 10, 23),
    )  # fmt: skip
    assert late.overdue and late.days_overdue == 3


def test_reviewer_sees_every_waiting_submission_across_quarters_oldest_first(people, tree):
    off, off_b = people["official"], people["official_b"]
    submit(off, tree["a"], P - 2)
    submit(off_b, tree["b"], P)
    submit(off, tree["a"], P)
    waiting = todo.submissions_waiting(people["reviewer"], today=TODAY)
    assert [(i.region.code, i.period) for i in waiting] == [
        ("990100", P - 2),
        ("990200", P),
        ("990100", P),
    ]
    assert todo.submissions_waiting(people["other_reviewer"], today=TODAY) == []
    assert todo.waiting_count(people["reviewer"]) == 3
    assert todo.waiting_count(people["official"]) == 0


def test_late_units_name_those_without_an_official(people, tree):
    submit(people["official"], tree["a"], P)
    late = todo.late_units(people["reviewer"], today=TODAY)
    codes = {i.region.code: i for i in late}
    # A reported; the zone (A's official covers it), B (official_b) and C (nobody) did not.
    assert set(codes) == {"990171", "990200", "990300"}
    assert codes["990300"].has_official is False
    assert codes["990200"].has_official is True and codes["990171"].has_official is True


def test_leader_sees_targets_behind_at_risk_or_pending_in_scope(people, tree, certs):
    from tests.conftest import make_count

    plan = make_plan(tree["province"], issued_on=dt.date(2018, 7, 31))
    # Far from a 2020Q4 target that is past: missed, not listed. A future one far off: behind.
    for q in (Quarter(2018, 3), P - 1, P):
        make_count(tree["province"], certs, q, 100)
    make_target(plan, tree["province"], certs, Quarter(2020, 4), 10_000)
    behind = make_target(plan, tree["province"], certs, P + 8, 10_000)
    other_plan = make_plan(tree["other"])
    make_target(other_plan, tree["other"], certs, P + 8, 10_000)  # outside the scope
    rows = todo.targets_needing_attention(people["leader"], today=TODAY)
    assert [r.target.pk for r in rows] == [behind.pk]
    assert rows[0].progress.status in (Status.BEHIND, Status.AT_RISK)


def test_analyst_sees_approvals_and_targets_since_the_last_visit(people, tree, certs):
    since = timezone.now()
    first_target = todo.latest_target_id()
    submit(people["official"], tree["a"], P)
    counts_approve(user=people["reviewer"], region=tree["a"], period=P)
    plan = make_plan(tree["province"])
    target = make_target(plan, tree["province"], certs, P + 4, 500)
    ana = people["analyst"]
    changes = todo.approvals_since(ana, since=since)
    assert [(c.region.code, c.period) for c in changes] == [("990100", P)]
    assert todo.approvals_since(ana, since=None) == []
    assert [t.pk for t in todo.targets_added_since(ana, after_id=first_target)] == [target.pk]
    assert todo.approvals_since(people["analyst"], since=timezone.now()) == []


@pytest.mark.parametrize("lang, words", [("en", "Returned"), ("zh-hans", "退回")])
def test_official_home_shows_the_returned_quarter_and_opens_it(people, tree, as_user, lang, words):
    submit(people["official"], tree["a"], P - 1)
    counts_return(user=people["reviewer"], region=tree["a"], period=P - 1, comment="请核对")
    page = as_user("official", lang).get("/home/").content.decode()
    assert words in page and "请核对" in page and f"990100&amp;period={P - 1}" in page
    # The entry page without a quarter opens on the returned one.
    entry = as_user("official", lang).get("/entry/").content.decode()
    assert f'<option value="{P - 1}" selected>' in entry


def test_reviewer_home_and_badge(people, tree, as_user):
    submit(people["official"], tree["a"], P)
    page = as_user("reviewer").get("/home/").content.decode()
    assert "Submissions waiting for your review" in page
    assert f"/review/990100/{P}/" in page
    assert 'class="badge count-badge"' in page  # the navigation's badge
    assert "No official assigned" in page  # C has none


def test_empty_states_say_what_will_appear(people, as_user):
    client = as_user("analyst")
    assert "first visit" in client.get("/home/").content.decode()
    assert "first visit" in client.get("/home/").content.decode()  # the session keeps it
    page = as_user("analyst").get("/home/").content.decode()  # a new session: a next visit
    assert "Nothing has changed since your last visit" in page
    page = as_user("reviewer").get("/home/").content.decode()
    assert "No submission is waiting" in page


def test_sign_in_from_the_root_lands_on_the_home(people, client):
    from tests.conftest import PASSWORD

    response = client.post(
        "/accounts/login/?next=/", {"username": "off", "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/home/"
    response = client.get("/")
    assert response.status_code == 200  # the overview stays one click away


def test_home_needs_sign_in(client, db):
    response = client.get("/home/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_link_of_the_demo_homes_opens_a_page(demo, client):
    """Each link of each demo role's home answers a page (a GET), never a 405 or a 404: a task
    report awaiting review links to the report's page, where the decision is posted."""
    import re

    from django.conf import settings

    for username in (
        "reviewer_gansu", "official_lanzhou", "official_fgw", "leader_gansu", "manager_gansu",
    ):  # fmt: skip
        client.logout()
        assert client.login(username=username, password=settings.CERTTRACK["DEMO_PASSWORD"])
        # official_fgw, a member of one unit without a region role, lands on its unit's page
        home = client.get("/home/", follow=True)
        assert home.status_code == 200
        hrefs = set(re.findall(r'href="(/[^"#]*)"', home.content.decode()))
        pages = [h for h in hrefs if not re.search(r"^/(static|accounts|i18n)/|\.\w+$", h)]
        assert pages, username
        for href in sorted(pages):
            answer = client.get(href.replace("&amp;", "&"), follow=True)
            assert answer.status_code == 200, (username, href, answer.status_code)


@pytest.mark.parametrize(
    "lang, term, banned",
    [("en", "Not reported", ("Not started",)), ("zh-hans", "未填报", ("未开始", "未启动"))],
)
def test_a_quarter_nothing_was_entered_for_reads_not_reported(
    people, tree, as_user, lang, term, banned
):
    # docs/glossary.md: nothing entered for a region and quarter is 未填报 / not reported.
    page = as_user("official", lang).get("/home/").content.decode()
    assert term in page
    assert not any(word in page for word in banned)
    page = as_user("reviewer", lang).get("/home/").content.decode()  # the late units
    assert term in page and not any(word in page for word in banned)


def test_the_officials_mail_line_reads_not_reported(people, tree):
    from django.utils import translation

    from notifications.mail import _official_line

    item = todo.official_items(people["official"], today=TODAY)[0]
    assert item.status == NOT_STARTED
    with translation.override("zh-hans"):
        assert "未填报" in _official_line(item).text
    with translation.override("en"):
        assert "Not reported" in _official_line(item).text
