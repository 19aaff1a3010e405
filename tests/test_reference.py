"""The reference fixtures hold exactly the facts of DOMAIN.md."""

import pytest

from indicators.models import Plan, Target
from regions.models import Region
from regions.services import region_paths_rebuild

GANSU = "甘政办发〔2018〕145号"
BEIHAI = "北政办〔2018〕200号"

EIGHT_TARGETS = {
    # (region, indicator, due year): (value, plan document)
    ("620000", "certificates", 2020): (11000, GANSU),
    ("620000", "certificates", 2022): (12000, GANSU),
    ("620000", "organizations", 2020): (4500, GANSU),
    ("620000", "organizations", 2022): (5000, GANSU),
    ("450500", "certificates", 2020): (800, BEIHAI),
    ("450500", "certificates", 2022): (850, BEIHAI),
    ("450500", "organizations", 2020): (300, BEIHAI),
    ("450500", "organizations", 2022): (320, BEIHAI),
}


def test_exactly_the_eight_targets_of_the_two_plans(reference):
    targets = Target.objects.select_related("plan", "region", "indicator")
    found = {
        (t.region.code, t.indicator.code, t.due_year): (t.value, t.plan.document_number)
        for t in targets
    }
    assert found == EIGHT_TARGETS
    assert targets.count() == 8
    assert {(t.due_quarter, t.comparator) for t in targets} == {(4, "at_least")}


@pytest.mark.parametrize(("key", "expected"), sorted(EIGHT_TARGETS.items()))
def test_each_target_value_region_indicator_due_and_plan(reference, key, expected):
    region, indicator, year = key
    target = Target.objects.get(region__code=region, indicator__code=indicator, due_year=year)
    assert (target.value, target.plan.document_number) == expected
    assert str(target.due) == f"{year}Q4"


def test_plans_record_issue_dates_parents_and_gansu_invalidation(reference):
    gansu = Plan.objects.get(document_number=GANSU)
    beihai = Plan.objects.get(document_number=BEIHAI)
    assert str(gansu.issued_on) == "2018-07-31" and gansu.issuer_zh == "甘肃省人民政府办公厅"
    assert gansu.status == Plan.Status.INVALIDATED
    assert gansu.invalidated_by == "甘政发〔2023〕60号" and gansu.invalidated_year == 2023
    assert str(beihai.issued_on) == "2018-12-07" and beihai.status == Plan.Status.IN_FORCE
    assert beihai.parent.title_zh == "广西加强质量认证体系建设促进全面质量管理实施方案"
    assert beihai.parent.parent.document_number == "国发〔2018〕3号"
    assert gansu.parent.document_number == "国发〔2018〕3号"
    assert gansu.region.code == "620000" and beihai.region.code == "450500"


def test_gansu_has_its_fourteen_prefectures(reference):
    codes = set(
        Region.objects.filter(parent__code="620000", kind=Region.Kind.DIVISION).values_list(
            "code", flat=True
        )
    )
    assert codes == {
        "620100", "620200", "620300", "620400", "620500", "620600", "620700",
        "620800", "620900", "621000", "621100", "621200", "622900", "623000",
    }  # fmt: skip


def test_lanzhou_new_area_is_a_zone_under_lanzhou(reference):
    new_area = Region.objects.get(code="620171")
    assert new_area.name_zh == "兰州新区" and new_area.parent.code == "620100"
    assert new_area.kind == Region.Kind.ZONE and new_area.is_reporting_unit
    assert new_area.path == "/620000/620100/620171/"


def test_beihai_and_its_four_county_level_units(reference):
    beihai = Region.objects.get(code="450500")
    assert beihai.parent.code == "450000" and beihai.name_zh == "北海市"
    assert set(beihai.children.values_list("code", flat=True)) == {
        "450502", "450503", "450512", "450521"
    }  # fmt: skip


def test_fixture_paths_match_the_parent_links(reference):
    assert region_paths_rebuild() == 0
