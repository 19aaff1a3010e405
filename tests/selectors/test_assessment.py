"""The assessment ranking (indicators.selectors.assessment) with hand-computed numbers, its
JSON/CSV, the weights setting, and scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from indicators.models import CountEvent, QuarterlyCount, Target
from indicators.periods import Quarter
from indicators.selectors.assessment import parse_weights, region_assessment
from regions.models import Membership
from tests.conftest import PASSWORD, make_count, make_plan, make_target, make_user

S = QuarterlyCount.Status


def _at(y, m, d):
    return timezone.make_aware(dt.datetime(y, m, d, 10, 0))


@pytest.fixture
def ranked(tree, certs):
    """Baseline 2018Q3: A 400, B 300, C 200 (province 900); the province's ≥ 1,200 by 2020Q4,
    allocated to A only (600). 2019Q3: A 450 (on time, approved), B 380 (late, returned once,
    approved), C 200 (on time, awaiting review).

    Progress at 2019Q3 (path from each division's own baseline, 4 of 9 quarters):
      A: 450 / (400 + 4/9 × 200) = 450 / 488.89 = 92.05 %
      B: no allocation → 1,200 × 300/900 = 400; 380 / (300 + 4/9 × 100) = 110.32 % → 100 (capped)
      C: → 1,200 × 200/900 = 266.67; 200 / (200 + 4/9 × 66.67) = 200 / 229.63 = 87.10 %
    Growth on 2018Q3: A 12.5 %, B 26.67 %, C 0 % → points 46.88 (12.5 / 26.667), 100, 0.
    Timeliness (2018Q4–2019Q3, only 2019Q3 reported): A 25 %, B 0 %, C 25 %.
    Quality: A 100 %, B 0 % (returned), C 0 % (not approved).
    Scores (40/20/20/20): A (40×92.05 + 20×46.88 + 20×25 + 20×100)/100 = 71.20;
    B (40×100 + 20×100)/100 = 60.00; C (40×87.10 + 20×25)/100 = 39.84.
    """
    plan = make_plan(tree["province"], issued_on=dt.date(2018, 7, 31))
    parent = make_target(plan, tree["province"], certs, "2020Q4", 1200)
    Target.objects.create(
        plan=plan, region=tree["a"], indicator=certs, due_year=2020, due_quarter=4,
        value=600, allocated_from=parent,
    )  # fmt: skip
    for key, value in (("a", 400), ("b", 300), ("c", 200)):
        make_count(tree[key], certs, "2018Q3", value)
    a = make_count(tree["a"], certs, "2019Q3", 450)
    b = make_count(tree["b"], certs, "2019Q3", 380)
    c = make_count(tree["c"], certs, "2019Q3", 200, status=S.SUBMITTED)
    QuarterlyCount.objects.filter(pk=a.pk).update(first_submitted_at=_at(2019, 10, 10))
    QuarterlyCount.objects.filter(pk=b.pk).update(first_submitted_at=_at(2019, 11, 5))
    QuarterlyCount.objects.filter(pk=c.pk).update(first_submitted_at=_at(2019, 10, 20))
    CountEvent.objects.create(count=b, action=CountEvent.Action.RETURN, at=_at(2019, 11, 6))
    return tree


def test_components_scores_and_ranks_computed_by_hand(ranked):
    result = region_assessment(region=ranked["province"], period=Quarter(2019, 3))
    rows = {r.region.code: r for r in result.rows}
    a, b, c = rows["990100"], rows["990200"], rows["990300"]
    assert (a.progress, a.progress_basis) == (92.05, "allocated")
    assert (b.progress, b.progress_basis) == (100.0, "share_of_growth")  # 110.32 % capped
    assert c.progress == 87.1
    assert (a.growth, b.growth, c.growth) == (12.5, 26.67, 0.0)
    assert (a.points["growth"], b.points["growth"], c.points["growth"]) == (46.88, 100.0, 0.0)
    assert (a.timeliness, b.timeliness, c.timeliness) == (25.0, 0.0, 25.0)
    assert (a.quality, b.quality, c.quality) == (100.0, 0.0, 0.0)
    assert (a.score, b.score, c.score) == (71.2, 60.0, 39.84)
    assert [(r.region.code, r.rank) for r in result.rows] == [
        ("990100", 1), ("990200", 2), ("990300", 3),
    ]  # fmt: skip
    assert "990171" not in rows  # a zone is a part, never ranked


def test_the_weights_setting_changes_the_ranking(ranked, settings):
    settings.CERTTRACK = {**settings.CERTTRACK, "ASSESSMENT_WEIGHTS": "progress=1"}
    result = region_assessment(region=ranked["province"], period=Quarter(2019, 3))
    assert [(r.region.code, r.score) for r in result.rows] == [
        ("990200", 100.0), ("990100", 92.05), ("990300", 87.1),
    ]  # fmt: skip


def test_equal_scores_share_a_rank(tree, certs):
    make_count(tree["a"], certs, "2019Q3", 10)
    make_count(tree["b"], certs, "2019Q3", 10)
    result = region_assessment(region=tree["province"], period=Quarter(2019, 3))
    assert [r.rank for r in result.rows] == [1, 1, 1]


def test_parse_weights():
    assert parse_weights("progress=2, quality=1") == {
        "progress": 2.0, "growth": 0.0, "timeliness": 0.0, "quality": 1.0,
    }  # fmt: skip
    for bad in ("speed=1", "progress=-1", "progress=x", "progress=0"):
        with pytest.raises(ImproperlyConfigured):
            parse_weights(bad)


def test_assessment_json_csv_and_page(client, ranked, django_user_model):
    make_user(django_user_model, "lp", (Membership.Role.LEADER, ranked["province"]))
    client.login(username="lp", password=PASSWORD)
    body = client.get("/regions/990000/assessment.json?as_of=2019Q3").json()
    assert body["meta"]["dataset"] == "assessment"
    for column in ("region_code", "child_code", "child_name", "progress", "growth",
                   "timeliness", "quality", "score", "rank"):  # fmt: skip
        assert column in body["columns"]
    first = body["rows"][0]
    assert (first["region_code"], first["child_code"], first["score"], first["rank"]) == (
        "990000", "990100", 71.2, 1,
    )  # fmt: skip
    csv = client.get("/regions/990000/assessment.csv?as_of=2019Q3")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("region_code,quarter,child_code,child_name")
    assert len(lines) == 4
    html = client.get("/regions/990000/assessment/?as_of=2019Q3").content.decode()
    assert "71.2" in html and "CERTTRACK_ASSESSMENT_WEIGHTS" in html


def test_outsiders_never_see_the_ranking(client, ranked, django_user_model):
    make_user(django_user_model, "out", (Membership.Role.LEADER, ranked["other"]))
    client.login(username="out", password=PASSWORD)
    for path in ("/regions/990000/assessment/", "/regions/990000/assessment.json"):
        assert client.get(path).status_code == 404
