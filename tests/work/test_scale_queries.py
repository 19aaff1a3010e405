"""What every page shows (the header) and every home and dashboard read a number of queries that
does not grow with the data (issue 25): each is measured at two sizes of the test tree, the
second with seven times the regions, submissions, drafts and targets of the first, and must make
exactly as many queries. The homes list the first items of each kind with their total."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.entry import submission_deadline, submission_last_day
from regions.models import Membership, Region
from tests.conftest import (
    confirm_address,
    make_count,
    make_plan,
    make_region,
    make_target,
    make_user,
)
from work import views
from work.context_processors import work
from work.selectors import todo

Role = Membership.Role
S = QuarterlyCount.Status
P = Quarter.last_complete(timezone.localdate())  # the reporting quarter


def grow(tree, certs, orgs, *, start: int, n: int) -> None:
    """Add ``n`` prefectures under the province, each with a submission waiting (P), a draft
    (P - 1), an approved quarter (P - 2) and a target of its own plan that is behind."""
    for k in range(start, start + n):
        region = make_region(f"99{k + 10:02d}00", f"市{k}", parent=tree["province"])
        for ind in (certs, orgs):
            make_count(region, ind, P, 10 + k, status=S.SUBMITTED)
            make_count(region, ind, P - 1, 9 + k, status=S.DRAFT)
            make_count(region, ind, P - 2, 8 + k, status=S.APPROVED)
        plan = make_plan(region, title=f"方案{k}")
        make_target(plan, region, certs, P + 8, 100_000)


def _queries(fn) -> int:
    cache.clear()  # cold: nothing computed yet, as right after a write
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _header(user) -> int:
    request = RequestFactory().get("/")
    request.user = user
    return _queries(lambda: work(request))


def _page(client, user, url) -> int:
    client.force_login(user)
    client.get(url)  # the session's first visit is recorded once; measure the next one

    def get():
        assert client.get(url).status_code == 200

    return _queries(get)


@pytest.fixture
def roles(people, tree, django_user_model):
    return {
        **people,
        "admin": make_user(django_user_model, "admin", superuser=True),
        "county_official": make_user(django_user_model, "coff", (Role.OFFICIAL, tree["b1"])),
    }


def _measure(client, roles) -> dict[str, int]:
    out = {}
    for name, user in roles.items():
        user = type(user).objects.get(pk=user.pk)  # no access cached on the object
        out[f"header {name}"] = _header(user)
        out[f"home {name}"] = _page(client, user, reverse("work:home"))
    for kind in ("waiting", "targets", "late"):
        out[f"list {kind}"] = _page(client, roles["reviewer"], reverse("work:list", args=[kind]))
    out["review queue"] = _page(client, roles["reviewer"], reverse("indicators:review_queue"))
    for code in ("990000", "990100"):
        out[f"dashboard {code}"] = _page(
            client, roles["leader"], reverse("indicators:region_dashboard", args=[code])
        )
    return out


def test_header_homes_and_dashboards_make_as_many_queries_at_seven_times_the_data(
    client, roles, tree, certs, orgs
):
    grow(tree, certs, orgs, start=0, n=2)
    for user in roles.values():  # a previous visit: the analyst's "since" is then set
        client.force_login(user)
        client.get(reverse("work:home"))
    small = _measure(client, roles)
    grow(tree, certs, orgs, start=2, n=12)  # 2 → 14 prefectures
    large = _measure(client, roles)
    assert large == small
    # The header, cold: the user's access, the data version, the waiting submissions (the
    # indicators' number and one count, then kept under the version), the task reports' count
    # and the unread notifications: at most six.
    assert max(v for k, v in small.items() if k.startswith("header")) <= 6


def test_the_header_makes_as_many_queries_with_seven_times_the_task_reports_waiting(
    reference, django_user_model
):
    """The badge's task reports are counted in the database by the full list's rule
    (tasks.selectors.due.awaiting_review): the header of a superuser and of a provincial
    reviewer makes as many queries for 14 reports waiting as for 2 (issue 25: every submitted
    report was read and filtered in Python on every page)."""
    from indicators.models import Plan
    from tasks.models import Task
    from tasks.selectors.due import task_reports_awaiting_review
    from tests.tasks.conftest import GANSU_DOC, make_report, unit

    admin = make_user(django_user_model, "admin", superuser=True)
    reviewer = make_user(
        django_user_model, "rev", (Role.REVIEWER, Region.objects.get(code="620000"))
    )
    tasks = list(Task.objects.filter(plan__document_number=GANSU_DOC).order_by("pk")[:14])
    assert Plan.objects.get(document_number=GANSU_DOC).region.code == "620000"

    def add(start: int, stop: int) -> None:
        for t in tasks[start:stop]:
            make_report(t, unit("省质监局"), "2026H1")

    def measure() -> dict[str, tuple[int, int]]:
        out = {}
        for name, user in (("admin", admin), ("reviewer", reviewer)):
            user = type(user).objects.get(pk=user.pk)  # no access cached on the object
            listed = len(task_reports_awaiting_review(user))
            assert todo.waiting_count(user) == listed  # no count submitted: the reports only
            out[name] = (_header(user), listed)
        return out

    add(0, 2)
    small = measure()
    add(2, 14)
    large = measure()
    assert {k: v[1] for k, v in small.items()} == {"admin": 2, "reviewer": 2}
    assert {k: v[1] for k, v in large.items()} == {"admin": 14, "reviewer": 14}
    assert {k: v[0] for k, v in small.items()} == {k: v[0] for k, v in large.items()}


def test_the_header_badge_reads_the_cached_count_and_follows_a_write(people, tree, certs, orgs):
    from tests.work.conftest import submit

    grow(tree, certs, orgs, start=0, n=3)
    reviewer = people["reviewer"]
    assert todo.waiting_count(reviewer) == 3  # three prefectures' P submitted
    fresh = type(reviewer).objects.get(pk=reviewer.pk)  # no access cached on the object
    with CaptureQueriesContext(connection) as ctx:
        again = todo.waiting_count(fresh)
    # Warm: access, data version, the task reports' count; the counts are not read again.
    assert again == 3 and len(ctx.captured_queries) == 3
    assert not any("indicators_quarterlycount" in q["sql"] for q in ctx.captured_queries)
    submit(people["official"], tree["a"], P)  # a write changes the data version
    assert todo.waiting_count(type(reviewer).objects.get(pk=reviewer.pk)) == 4


def test_a_home_shows_the_first_items_of_each_kind_with_their_total_and_a_link(
    client, people, tree, certs, orgs
):
    grow(tree, certs, orgs, start=0, n=views.HOME_ITEMS + 3)
    client.force_login(people["reviewer"])
    page = client.get(reverse("work:home")).content.decode()
    section = page.split('id="todo-review"')[1].split("</section>")[0]
    n = views.HOME_ITEMS + 3  # every new prefecture's P waits for review
    assert section.count('class="todo-item todo-submitted"') == views.HOME_ITEMS
    assert f'<span class="badge count-badge">{n}</span>' in section
    assert reverse("work:list", args=["waiting"]) in section


def test_the_full_list_is_paginated_and_shows_every_item(client, people, tree, certs, orgs):
    n = views.LIST_PAGE_SIZE + 5
    grow(tree, certs, orgs, start=0, n=n)
    client.force_login(people["reviewer"])
    url = reverse("work:list", args=["waiting"])
    first = client.get(url).content.decode()
    second = client.get(url + "?page=2").content.decode()
    assert first.count('class="todo-item todo-submitted"') == views.LIST_PAGE_SIZE
    assert second.count('class="todo-item todo-submitted"') == 5  # 55 - 50
    assert client.get(reverse("work:list", args=["nothing"])).status_code == 404


def test_a_list_shows_only_the_users_regions(client, people, tree, certs, orgs):
    grow(tree, certs, orgs, start=0, n=2)
    other = make_region("880200", "别市2", parent=Region.objects.get(code="880000"))
    make_count(other, certs, P, 5, status=S.SUBMITTED)
    make_count(other, orgs, P, 5, status=S.SUBMITTED)
    client.force_login(people["reviewer"])
    page = client.get(reverse("work:list", args=["waiting"])).content.decode()
    assert "市0" in page and "别市2" not in page
    client.force_login(people["other_reviewer"])
    page = client.get(reverse("work:list", args=["waiting"])).content.decode()
    assert "别市2" in page and "市0" not in page


def test_a_notification_fan_out_makes_as_many_queries_for_more_recipients_and_regions(
    people, tree, certs, orgs, django_user_model
):
    """An import's submissions tell every reviewer above each region-quarter: the same queries
    for 2 regions and 1 extra reviewer as for 12 regions and 6 extra reviewers."""
    from notifications.models import Notification
    from notifications.services import notifications_create_many

    def fan_out(regions, n_reviewers, tag):
        for k in range(n_reviewers):
            make_user(django_user_model, f"r{tag}{k}", (Role.REVIEWER, tree["province"]))
        subjects = [(r, P) for r in regions]
        with CaptureQueriesContext(connection) as ctx:
            made = notifications_create_many(
                kind=Notification.Kind.SUBMITTED, subjects=subjects, actor=people["official"]
            )
        return len(ctx.captured_queries), len(made)

    grow(tree, certs, orgs, start=0, n=12)
    regions = list(Region.objects.filter(code__startswith="99", level="prefecture")[:12])
    few_queries, few = fan_out(regions[:2], 1, "a")
    many_queries, many = fan_out(regions, 5, "b")
    assert few_queries == many_queries
    # Reviewers of the province: 'rev' plus 1 (first call) → 2 a region: 2 x 2 = 4; then
    # 'rev' plus 6 → 7 a region: 12 x 7 = 84.
    assert (few, many) == (4, 84)


def test_send_reminders_reads_what_every_digest_shares_once_per_run(
    people, tree, certs, orgs, django_user_model, settings, monkeypatch
):
    """The officials' regions and the number of indicators are read once per run, not once per
    person (issue 25: 3,190 officials' paths read again for each of 3,700 digests); the digests
    stay those built one by one."""
    from indicators.selectors import obligations
    from notifications.digests import digest_for
    from notifications.reminders import reminders_send

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for k in range(6):  # six more officials, each with a quarter not started
        region = make_region(f"99{k + 40:02d}00", f"县{k}", parent=tree["province"])
        official = make_user(django_user_model, f"o{k}", (Role.OFFICIAL, region))
        official.email = f"o{k}@example.org"
        official.save()
        confirm_address(official)  # digests go only to a confirmed address (issue 24.5)
    day = submission_last_day(P) + dt.timedelta(days=1)  # every unreported quarter is late
    reads = []
    real = obligations._read_official_paths
    monkeypatch.setattr(obligations, "_read_official_paths", lambda: reads.append(1) or real())
    from notifications.digests import people_to_remind

    alone = {u.username: digest_for(u, day=day).sections for u in people_to_remind()}
    reads.clear()
    result = reminders_send(day=day, dry_run=True)
    assert len(reads) == 1  # once for the run, for 8 officials
    assert {d.user.username: d.sections for d, _m in result.planned} == {
        k: v for k, v in alone.items() if v
    }


def test_a_homes_bounded_lists_are_the_first_items_of_the_full_lists(people, tree, certs, orgs):
    grow(tree, certs, orgs, start=0, n=5)  # five prefectures' P waiting; A, 兰州新区, B, C not in
    make_count(tree["a"], certs, P, 3, status=S.DRAFT)  # begun, still not reported
    # C was first submitted in time, then returned: not reported, never overdue.
    on_time = submission_deadline(P) - dt.timedelta(hours=1)
    for ind in (certs, orgs):
        make_count(tree["c"], ind, P, 4, status=S.RETURNED)
    QuarterlyCount.objects.filter(region=tree["c"]).update(first_submitted_at=on_time)
    today = timezone.localdate()

    def key(items):
        return [
            (i.region.code, i.period, i.status, i.overdue, i.by, i.at, i.has_official)
            for i in items
        ]

    for user, scope in ((people["reviewer"], "review"), (people["leader"], "view")):
        full = todo.late_units(user, today=today, scope=scope)
        shown, total = todo.late_units_page(user, today=today, limit=2, scope=scope)
        assert len(full) == total == 4
        assert key(shown) == key(full[:2])
        # All four: C has no official (it is named to its reviewers), the others have one.
        shown, total = todo.late_units_page(user, today=today, limit=4, scope=scope)
        assert key(shown) == key(full)
        assert [i.has_official for i in shown] == [True, True, True, False]
    overdue = [i for i in todo.late_units(people["leader"], today=today, scope="view") if i.overdue]
    shown, total = todo.late_units_page(
        people["leader"], today=today, limit=2, scope="view", overdue_only=True
    )
    assert total == len(overdue) and key(shown) == key(overdue[:2])
    # Past the last on-time day A, 兰州新区 and B are overdue, C is not; before it none is.
    assert total == (3 if today > submission_last_day(P) else 0)
    full = todo.submissions_waiting(people["reviewer"], today=today)
    shown, total = todo.submissions_waiting_page(people["reviewer"], today=today, limit=2)
    assert len(full) == total == 5
    assert key(shown) == key(full[:2])
    targets = todo.targets_needing_attention(people["leader"], today=today)
    shown, total = todo.targets_needing_attention_page(people["leader"], today=today, limit=2)
    assert len(targets) == total == 5  # every new prefecture's target is behind
    assert [r.target.pk for r in shown] == [r.target.pk for r in targets[:2]]
    # The other reviewer's scope holds none of them.
    assert todo.submissions_waiting_page(people["other_reviewer"], today=today, limit=2) == ([], 0)


def test_a_superusers_home_reads_both_late_lists_at_once_and_shows_the_same(
    people, tree, certs, orgs, django_user_model
):
    # A begun (not reported, overdue once the day has passed); C first submitted on time then
    # returned (not reported, never overdue); B and the zone not started; 别市 reported.
    make_count(tree["a"], certs, P, 3, status=S.DRAFT)
    on_time = submission_deadline(P) - dt.timedelta(hours=1)
    for ind in (certs, orgs):
        make_count(tree["c"], ind, P, 4, status=S.RETURNED)
        make_count(tree["other_city"], ind, P, 5, status=S.SUBMITTED)
    QuarterlyCount.objects.filter(region=tree["c"]).update(first_submitted_at=on_time)
    admin = make_user(django_user_model, "admin", superuser=True)
    today = timezone.localdate()

    def key(items):
        return [(i.region.code, i.status, i.overdue) for i in items]

    cache.clear()
    home = todo.todo_for(admin, today=today, limit=2)
    full = todo.late_units(admin, today=today)
    overdue = [i for i in full if i.overdue]
    assert (key(home.late), home.total("late")) == (key(full[:2]), len(full))
    assert (key(home.scope_late), home.total("scope_late")) == (key(overdue[:2]), len(overdue))
    assert len(full) == 4  # A, its zone, B, C
    assert len(overdue) == (3 if today > submission_last_day(P) else 0)
    # One read for both: the separate late_units_page of each scope is not asked.
    cache.clear()
    asked = []
    original = todo.late_units_page
    todo.late_units_page = lambda *a, **k: asked.append(k) or original(*a, **k)
    try:
        assert key(todo.todo_for(admin, today=today, limit=2).late) == key(home.late)
    finally:
        todo.late_units_page = original
    assert asked == []


def test_a_leaders_home_shows_the_kept_targets_and_computes_no_progress(
    client, people, tree, certs, orgs, monkeypatch
):
    """The targets needing attention are found and shown from the kept statuses (status,
    value, percent, baseline: all the list shows): the home computes no target's progress, in
    as many queries for 14 targets behind as for 2 (issue 25: a national leader's home
    computed 2,996, then the ten it showed with their groups)."""
    from work.selectors import target_attention

    computed = []
    real = target_attention.progress_rows
    monkeypatch.setattr(
        target_attention,
        "progress_rows",
        lambda targets, as_of: computed.append(len(targets)) or real(targets, as_of),
    )
    leader = people["leader"]
    client.force_login(leader)
    url = reverse("work:home")

    def home() -> tuple[int, list[int], str]:
        computed.clear()
        queries = _page(client, leader, url)
        page = client.get(url).content.decode()
        return queries, list(computed), page

    grow(tree, certs, orgs, start=0, n=2)
    small, small_computed, _page_small = home()
    grow(tree, certs, orgs, start=2, n=12)  # 2 → 14 targets behind, each its own plan
    large, large_computed, page = home()
    assert small == large
    assert small_computed == large_computed == []
    section = page.split("todo-targets")[1].split("</table>")[0]
    assert section.count("<tr>") == views.HOME_ITEMS + 1  # the header row and ten targets
    assert reverse("work:list", args=["targets"]) in page


def test_the_waiting_submissions_read_as_many_queries_for_few_units_as_for_many(
    people, tree, certs, orgs, django_user_model
):
    """The home's first waiting submissions and their total (work.selectors.todo
    ``submissions_waiting_page``) are read in as many queries for 2 waiting units as for 14,
    for a provincial reviewer and a superuser; the total is the full list's length, the page
    its head, and the header's badge then reads the total the page counted (no second grouped
    count of the submissions; issue 25)."""
    admin = make_user(django_user_model, "admin", superuser=True)
    today = timezone.localdate()

    def measure() -> dict[str, tuple[int, int]]:
        out = {}
        for name, user in (("reviewer", people["reviewer"]), ("admin", admin)):
            user = type(user).objects.get(pk=user.pk)  # no access cached on the object
            full = todo.submissions_waiting(user, today=today)
            cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                shown, total = todo.submissions_waiting_page(user, today=today, limit=2)
            assert total == len(full)
            assert [(i.region.code, i.period, i.by) for i in shown] == [
                (i.region.code, i.period, i.by) for i in full[:2]
            ]
            grouped = [q for q in ctx.captured_queries if "GROUP BY" in q["sql"]]
            assert len(grouped) == 1  # the page and its total: grouped once
            with CaptureQueriesContext(connection) as badge:
                assert todo.waiting_count(user) == total  # no task report waits
            assert not any("indicators_quarterlycount" in q["sql"] for q in badge.captured_queries)
            out[name] = (len(ctx.captured_queries), total)
        return out

    grow(tree, certs, orgs, start=0, n=2)
    small = measure()
    grow(tree, certs, orgs, start=2, n=12)  # 2 → 14 prefectures waiting
    large = measure()
    assert {k: v[1] for k, v in small.items()} == {"reviewer": 2, "admin": 2}
    assert {k: v[1] for k, v in large.items()} == {"reviewer": 14, "admin": 14}
    assert {k: v[0] for k, v in small.items()} == {k: v[0] for k, v in large.items()}
