"""send_reminders builds every digest set-wise (work.selectors.todo_set, issue 25): each list is
read once for everyone and divided among the people by subtree. The digests, and the mails made
of them, are exactly those built person by person through the to-do selectors, on the demo and
on a generated tree of several levels and roles; the number of queries of a run does not grow
with the number of people; and a second run of the day sends nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from indicators.models import QuarterlyCount
from indicators.periods import Quarter
from indicators.selectors.entry import submission_last_day
from notifications.digests import digest_for, digests_for, people_to_remind
from notifications.mail import digest_message
from notifications.models import SentMail
from notifications.reminders import reminders_send
from regions.models import Membership, Region
from tests.conftest import confirm_address, make_count, make_plan, make_region, make_target

Role = Membership.Role
S = QuarterlyCount.Status


def _fresh(users):
    """The users again, without the access cached on the objects."""
    User = get_user_model()
    return list(User.objects.filter(pk__in=[u.pk for u in users]).order_by("username"))


def _message(digest) -> tuple:
    m = digest_message(digest)
    return (m.subject, m.body, m.to, m.alternatives[0][0])


def _compare(day: dt.date) -> dict:
    """Every person's digest of ``day`` both ways; they must be equal, and so their mails.
    Returns the per-person digests (by username) for the caller's own checks."""
    people = list(people_to_remind())
    cache.clear()
    alone = {u.pk: digest_for(u, day=day) for u in _fresh(people)}
    cache.clear()
    together = digests_for(_fresh(people), day=day)
    assert together.keys() == alone.keys()
    for pk, digest in alone.items():
        other = together[pk]
        assert other.sections == digest.sections, digest.user.username
        for name in (
            "official", "tasks_due", "waiting", "tasks_waiting", "no_official", "late",
        ):  # fmt: skip
            assert getattr(other, name) == getattr(digest, name), (digest.user.username, name)
        assert [(r.target.pk, r.progress.status) for r in other.targets] == [
            (r.target.pk, r.progress.status) for r in digest.targets
        ]
        if not digest.empty:
            assert _message(other) == _message(digest), digest.user.username
    return {d.user.username: d for d in alone.values()}


# --- the demo ------------------------------------------------------------------------------

Q3 = Quarter(2026, 3)
LAST = submission_last_day(Q3)


@pytest.mark.parametrize("offset", [-3, 1, 9])  # before the deadline, the day after, a week on
def test_set_wise_digests_are_the_per_person_digests_on_the_demo(demo, settings, offset):
    day = LAST + dt.timedelta(days=offset)
    settings.CERTTRACK = {**settings.CERTTRACK, "LEADER_SUMMARY_WEEKDAY": day.weekday()}
    digests = _compare(day)
    sections = {s for d in digests.values() for s in d.sections}
    if offset > 0:  # every kind of section is in some digest: the comparison compared them
        assert sections >= {"official", "review", "no_official", "leader"}, sections
    assert sum(not d.empty for d in digests.values()) >= 3


# --- a generated tree: nation, provinces, prefectures, counties; every role ----------------

P = Quarter.last_complete(timezone.localdate())
DAY = submission_last_day(P) + dt.timedelta(days=2)  # the reporting quarter is late


def _person(username, *memberships, email=True, superuser=False):
    User = get_user_model()
    user = User.objects.create_user(username=username, password="x")
    user.is_superuser = user.is_staff = superuser
    user.email = f"{username}@example.org" if email else ""
    user.save()
    for role, region in memberships:
        Membership.objects.create(user=user, region=region, role=role)
    confirm_address(user)
    return user


def _grow(nation, certs, orgs, *, n: int, tag: str) -> list[Region]:
    """A province of ``n`` prefectures under ``nation``, each with a county; the
    prefectures in four states of the reporting quarter (submitted long ago, returned,
    draft, not started), each a target behind; officials in the counties and in every other
    prefecture (so some are late without one), a reviewer in each prefecture."""
    province = make_region(f"{tag}0000", f"省{tag}", parent=nation, level="province")
    province.is_reporting_unit = False
    province.save()
    _person(f"rev_{tag}", (Role.REVIEWER, province))
    _person(f"lead_{tag}", (Role.LEADER, province))
    plan = make_plan(province, title=f"方案{tag}")
    old = timezone.make_aware(dt.datetime.combine(DAY - dt.timedelta(days=8), dt.time(9)))
    prefectures = []
    for k in range(n):
        pref = make_region(f"{tag}{k + 1:02d}00", f"市{tag}{k}", parent=province)
        county = make_region(
            f"{tag}{k + 1:02d}01", f"县{tag}{k}", parent=pref, level=Region.Level.COUNTY
        )
        prefectures.append(pref)
        _person(f"off_{tag}{k}c", (Role.OFFICIAL, county))
        if k % 2 == 0:
            _person(f"off_{tag}{k}", (Role.OFFICIAL, pref))
        _person(f"rev_{tag}{k}", (Role.REVIEWER, pref), email=k % 5 != 4)
        state = (S.SUBMITTED, S.RETURNED, S.DRAFT, None)[k % 4]
        for ind in (certs, orgs) if state else ():
            count = make_count(pref, ind, P, 10 + k, status=state)
            count.submitted_at = old if state == S.SUBMITTED else None
            count.first_submitted_at = old if state != S.DRAFT else None
            count.save()
        for ind in (certs, orgs):
            make_count(county, ind, P - 1, 5 + k, status=S.APPROVED)
        make_target(plan, pref, certs, P, 100_000)
    return prefectures


@pytest.fixture
def world(db, certs, orgs):
    nation = make_region("100000", "国", level="country")
    nation.is_reporting_unit = False
    nation.save()
    first = _grow(nation, certs, orgs, n=5, tag="41")
    second = _grow(nation, certs, orgs, n=3, tag="42")
    _person("national_reviewer", (Role.REVIEWER, nation))
    _person("national_leader", (Role.LEADER, nation))
    _person("root", (Role.LEADER, nation), superuser=True)
    # Three subtrees apart (three roots) and two roles.
    _person(
        "two",
        (Role.REVIEWER, first[0]),
        (Role.REVIEWER, second[0]),
        (Role.REVIEWER, first[3]),
        (Role.OFFICIAL, first[1]),
    )
    _person("ana", (Role.ANALYST, first[0]))
    return dict(nation=nation, first=first, second=second)


@pytest.mark.parametrize("offset", [-4, 0, 2])
def test_set_wise_digests_are_the_per_person_digests_on_a_generated_tree(world, settings, offset):
    day = submission_last_day(P) + dt.timedelta(days=offset)
    settings.CERTTRACK = {**settings.CERTTRACK, "LEADER_SUMMARY_WEEKDAY": day.weekday()}
    digests = _compare(day)
    if offset == 2:
        two = digests["two"]  # its three subtrees, in the home's order
        assert [i.region.code for i in two.waiting] == ["410100", "420100"]
        assert [i.region.code for i in two.no_official] == ["410400"]
        assert {i.region.code for i in two.official} == {"410200", "410201"}
        assert [i.region.code for i in digests["national_reviewer"].waiting] == [
            "410100", "410500", "420100",
        ]  # fmt: skip
        assert [i.region.code for i in digests["root"].waiting] == [
            i.region.code for i in digests["national_reviewer"].waiting
        ]
        assert digests["national_leader"].targets
        assert digests["ana"].empty


def test_a_run_makes_as_many_queries_for_forty_prefectures_as_for_five(db, certs, orgs, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CERTTRACK = {**settings.CERTTRACK, "LEADER_SUMMARY_WEEKDAY": DAY.weekday()}
    nation = make_region("100000", "国", level="country")

    def run(n, tag) -> tuple[int, int]:
        _grow(nation, certs, orgs, n=n, tag=tag)
        SentMail.objects.all().delete()
        mail.outbox.clear()
        cache.clear()
        # The quarter's target statuses are stored once by the daily timer (docs/deploy.md
        # 6b), then kept by the writes of _grow: the run reads them.
        call_command("refresh_target_statuses", date=DAY, stdout=io.StringIO())
        with CaptureQueriesContext(connection) as ctx:
            result = reminders_send(day=DAY)
        return len(ctx.captured_queries), len(result.sent)

    few, few_sent = run(5, "41")
    # 5 + 35 prefectures: 15 then 120 people. (Fewer than 99 mails in all: SQLite takes at
    # most 99 records in one INSERT, a statement per 99 people; PostgreSQL one per 500.)
    many, many_sent = run(35, "43")
    assert few == many
    assert len(mail.outbox) == many_sent
    # 5 prefectures (k = 0..4): 5 county officials and 3 prefecture officials (k even), all
    # late; the prefectures' reviewers with something to do and an address: k = 0 (a
    # submission waiting 8 days) and 3 (late, no official), not 4 (no address); the
    # province's reviewer (k = 0 and 4 waiting) and leader (the weekly summary): 12.
    assert few_sent == 12
    # Then everyone again with 35 more (k = 0..34): 35 + 18 officials, 14 reviewers (k % 4
    # in {0, 3}: 17, less the 3 without an address: k = 4, 19, 24) and the new province's
    # reviewer and leader.
    assert many_sent == 12 + 35 + 18 + 14 + 2


def test_a_second_run_the_same_day_sends_nothing(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    first = reminders_send(day=DAY)
    assert first.sent and len(mail.outbox) == len(first.sent)
    assert SentMail.objects.count() == len(first.sent)
    again = reminders_send(day=DAY)
    assert again.sent == [] and again.failed == []
    assert sorted(again.already) == sorted(first.sent)
    assert len(mail.outbox) == len(first.sent)
    assert set(SentMail.objects.values_list("attempts", flat=True)) == {1}
