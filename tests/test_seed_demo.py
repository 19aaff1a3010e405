"""The demo series: deterministic, plausible, labelled, and showing every status."""

from django.contrib.auth import authenticate
from django.core.management import call_command

from indicators.demo import allocate, gansu_units
from indicators.models import Plan, QuarterlyCount, Target
from indicators.periods import Quarter
from indicators.progress import Status
from indicators.selectors.progress import target_rows
from indicators.selectors.values import subtree_values
from regions.models import Membership, Region


def snapshot():
    return sorted(
        QuarterlyCount.objects.values_list(
            "region__code", "indicator__code", "year", "quarter", "value", "status"
        )
    )


def test_seed_demo_is_deterministic_and_idempotent(demo):
    first = snapshot()
    call_command("seed_demo", end="2026Q3", verbosity=0)
    assert snapshot() == first
    assert QuarterlyCount.objects.filter(is_demo=False).count() == 0


def test_series_runs_from_2017q4_to_the_end_for_every_reporting_unit(demo):
    units = Region.objects.filter(is_reporting_unit=True)
    assert units.count() == 16  # 14 prefectures, Lanzhou New Area, Beihai
    for unit in units:
        periods = set(
            QuarterlyCount.objects.filter(region=unit, indicator__code="certificates").values_list(
                "year", "quarter"
            )
        )
        assert (2017, 4) in periods and (2026, 2) in periods
        assert min(periods) == (2017, 4) and max(periods) <= (2026, 3)


def test_scale_is_plausible_and_certificates_never_below_organizations(demo):
    grid = subtree_values(
        root=Region.objects.get(code="620000"), start=Quarter(2020, 4), end=Quarter(2020, 4)
    )
    assert 10_000 <= grid.get("620000", "certificates", Quarter(2020, 4)).value <= 20_000
    beihai = subtree_values(
        root=Region.objects.get(code="450500"), start=Quarter(2020, 4), end=Quarter(2020, 4)
    )
    assert 100 <= beihai.get("450500", "certificates", Quarter(2020, 4)).value < 1000
    certs = {
        (r, y, q): v
        for r, y, q, v in QuarterlyCount.objects.filter(indicator__code="certificates").values_list(
            "region_id", "year", "quarter", "value"
        )
    }
    for r, y, q, v in QuarterlyCount.objects.filter(indicator__code="organizations").values_list(
        "region_id", "year", "quarter", "value"
    ):
        assert v <= certs[(r, y, q)]


def test_at_least_one_target_is_met_and_one_missed(demo):
    real = Target.objects.filter(plan__is_demo=False).select_related("plan", "region", "indicator")
    statuses = {
        (r.target.region.code, r.target.indicator.code, r.target.due_year): r.progress.status
        for r in target_rows(targets=list(real), as_of=Quarter(2026, 3))
    }
    # Hand-set anchors in indicators/demo.py: Gansu orgs 2022Q4 = 4,910 < 5,000; Beihai certs
    # 2020Q4 = 781 < 800; Gansu certs 2020Q4 = 11,180 ≥ 11,000.
    assert statuses[("620000", "organizations", 2022)] is Status.MISSED
    assert statuses[("450500", "certificates", 2020)] is Status.MISSED
    assert statuses[("620000", "certificates", 2020)] is Status.ACHIEVED
    demo_plan_statuses = {
        r.progress.status
        for r in target_rows(
            targets=list(Target.objects.filter(plan__is_demo=True)), as_of=Quarter(2026, 3)
        )
    }
    assert {Status.ON_TRACK, Status.AT_RISK, Status.BEHIND} <= demo_plan_statuses


def test_prefectures_add_up_to_the_anchor_total():
    units = gansu_units("certificates", Quarter(2020, 4))
    total = sum(v[Quarter(2020, 4)] for code, v in units.items() if code != "620171")
    assert total == 11180


def test_allocate_adds_up_exactly():
    shares = allocate(100, {"a": 1, "b": 1, "c": 1})
    assert sum(shares.values()) == 100 and sorted(shares.values()) == [33, 33, 34]


def test_demo_users_have_their_roles_and_the_demo_password(demo, settings):
    expected = {
        "official_lanzhou": {("official", "620100")},
        "official_beihai": {("official", "450500")},
        "reviewer_gansu": {("reviewer", "620000")},
        "reviewer_beihai": {("reviewer", "450500")},
        "leader_gansu": {("leader", "620000")},
        "leader_beihai": {("leader", "450500")},
        "analyst": {("analyst", "620000"), ("analyst", "450500")},
    }
    for username, roles in expected.items():
        got = set(
            Membership.objects.filter(user__username=username).values_list("role", "region__code")
        )
        assert got == roles
        assert authenticate(username=username, password=settings.CERTTRACK["DEMO_PASSWORD"])
    admin = authenticate(username="admin", password=settings.CERTTRACK["DEMO_PASSWORD"])
    assert admin.is_superuser


def test_everything_seeded_is_flagged_as_demo(demo):
    assert not QuarterlyCount.objects.filter(is_demo=False).exists()
    assert all(p.is_demo for p in Plan.objects.filter(document_number__contains="演示"))


def test_if_empty_leaves_existing_counts_alone(demo):
    QuarterlyCount.objects.filter(region__code="620100").update(value=1)
    call_command("seed_demo", end="2026Q3", if_empty=True, verbosity=0)
    assert set(
        QuarterlyCount.objects.filter(region__code="620100").values_list("value", flat=True)
    ) == {1}


def test_demo_gives_every_role_something_to_do(demo):
    """Issue 14: a returned quarter for official_lanzhou, waiting submissions for both
    reviewers, a late unit, and an example address for every demo user."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from indicators.selectors.entry import submission_last_day
    from notifications.models import Notification
    from work.selectors import todo

    users = {u.username: u for u in get_user_model().objects.all()}
    assert all(u.email.endswith("@example.org") for u in users.values())
    end = Quarter(2026, 3)
    after = submission_last_day(end) + dt.timedelta(days=1)
    items = todo.official_items(users["official_lanzhou"], today=after)
    assert (items[0].region.code, items[0].period, items[0].status) == ("620171", end, "returned")
    assert items[0].by == "甘肃省审核员" and items[0].comment
    assert Notification.objects.filter(user=users["official_lanzhou"], kind="returned").exists()
    for reviewer in ("reviewer_gansu", "reviewer_beihai"):
        assert todo.submissions_waiting(users[reviewer], today=after), reviewer
    late = todo.late_units(users["reviewer_gansu"], today=after)
    assert "623000" in {i.region.code for i in late if i.overdue and not i.has_official}
