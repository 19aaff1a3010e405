"""A leader of a division sees the division's allocated targets on the to-do home (when behind,
at risk or pending) and on the overview, marked "allocated from" the parent target (issue 15.2).
Numbers computed by hand."""

from __future__ import annotations

import pytest
from django.utils import timezone

from indicators.models import Target
from indicators.periods import Quarter
from indicators.progress import Status
from regions.models import Membership
from tests.conftest import PASSWORD, make_count, make_plan, make_target, make_user
from work.selectors import todo

TODAY = timezone.localdate()
P = Quarter.last_complete(TODAY)  # the reporting quarter
Role = Membership.Role


@pytest.fixture
def s(tree, certs, django_user_model):
    """The province's ≥ 2,000 by P+4 (plan issued in P−4: the baseline quarter) is allocated:
    A 600, B 400.

    A: 400 at P−4, 420 at P. Its path from its own baseline asks 400 + 4/8 × 200 = 500 at P;
    420 is short by 80 > 5 % × 200 = 10: behind; 420 / 600 = 70 %.
    B: 300 at P−4, 360 at P. Its path asks 300 + 4/8 × 100 = 350; 360 is above it and the
    trend (+15 a quarter) reaches 420 ≥ 400 by P+4: on track, never on a to-do list.
    """
    plan = make_plan(tree["province"], issued_on=(P - 4).end_date)
    parent = make_target(plan, tree["province"], certs, P + 4, 2000)
    alloc = {
        key: Target.objects.create(
            plan=plan, region=tree[key], indicator=certs, due_year=(P + 4).year,
            due_quarter=(P + 4).quarter, value=value, allocated_from=parent,
        )
        for key, value in (("a", 600), ("b", 400))
    }  # fmt: skip
    make_count(tree["a"], certs, P - 4, 400)
    make_count(tree["a"], certs, P, 420)
    make_count(tree["b"], certs, P - 4, 300)
    make_count(tree["b"], certs, P, 360)
    leader_a = make_user(django_user_model, "leader_a", (Role.LEADER, tree["a"]))
    leader_b = make_user(django_user_model, "leader_b", (Role.LEADER, tree["b"]))
    return dict(plan=plan, parent=parent, alloc=alloc, leader_a=leader_a, leader_b=leader_b)


def test_division_leaders_todo_lists_the_allocated_target_behind(s):
    (row,) = todo.targets_needing_attention(s["leader_a"], today=TODAY)
    assert row.target.pk == s["alloc"]["a"].pk
    assert row.target.allocated_from_id == s["parent"].pk
    assert row.progress.status is Status.BEHIND
    assert row.progress.expected == 500
    assert row.progress.value == 420
    assert row.progress.percent == 70.0


def test_an_allocated_target_on_track_is_not_on_the_todo(s):
    assert todo.targets_needing_attention(s["leader_b"], today=TODAY) == []


@pytest.mark.parametrize("lang, mark", [("en", "allocated from"), ("zh-hans", "分解自")])
def test_division_leaders_home_shows_the_allocated_target_and_its_parent(client, s, lang, mark):
    assert client.login(username="leader_a", password=PASSWORD)
    page = client.get("/home/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    section = page[page.index('id="todo-leader"') :]
    section = section[: section.index("</section>")]
    assert f"≥ 600 ({P + 4})" in section and "420 (70.00%)" in section
    assert f"{mark} 省 ≥ 2,000 ({P + 4})" in section
    assert "≥ 400" not in section  # B's allocation is not A's leader's


def test_division_leaders_overview_shows_the_allocated_targets(client, s):
    assert client.login(username="leader_a", password=PASSWORD)
    body = client.get("/overview/targets.json", {"as_of": str(P)}).json()
    rows = [(r["region_code"], r["allocated_from"], r["target"], r["status"]) for r in body["rows"]]
    assert rows == [("990100", s["parent"].pk, 600, "behind")]
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "allocated from" in page and "≥ 2,000" in page
