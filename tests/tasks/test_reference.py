"""The reference fixture against the documents themselves: the test reads the seed texts and
parses them on its own, so the fixture cannot drift from what the plans say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from regions.models import Region
from tasks.models import Task, TaskGroup, TaskUnit, Unit
from tests.tasks.conftest import lead_units, task, unit

REPO_SOURCES = Path(settings.BASE_DIR) / "fixtures" / "sources"
SHARED_SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
GANSU_FILE = "gansu-plan-2018-145.txt"
BEIHAI_FILE = "beihai-plan-interpretation-2018.txt"
SPAM = "体球网,足球比分网"


def read(name: str) -> str:
    """The document as published (../shared/seeds where present, else the repo's copy)."""
    path = SHARED_SEEDS / name if (SHARED_SEEDS / name).exists() else REPO_SOURCES / name
    return path.read_text(encoding="utf-8")


def names(text: str) -> list[str]:
    return [n for n in re.split(r"[、，,]", text) if n.strip()]


def gansu_document() -> tuple[list[tuple[str, str]], dict[int, dict]]:
    """Groups (numeral, title) in order, and per task number: group numeral, title and its
    paragraphs (body, lead names, responsible names)."""
    text = read(GANSU_FILE)
    part = text[text.index("二、主要任务") : text.index("三、保障措施")]
    groups, tasks, group = [], {}, None
    current = None
    for line in part.splitlines():
        line = line.strip()
        if m := re.fullmatch(r"[(（]([一二三四五六])[)）](.+)。", line):
            group = m.group(1)
            groups.append((group, m.group(2)))
        elif m := re.fullmatch(r"(\d{1,2})\.(.+)。", line):
            current = tasks.setdefault(
                int(m.group(1)), {"group": group, "title": m.group(2), "paragraphs": []}
            )
        elif m := re.fullmatch(r"(.+)[(（]牵头单位[:：;；](.+?)[;；]责任单位[:：](.+)[)）]", line):
            current["paragraphs"].append((m.group(1), names(m.group(2)), names(m.group(3))))
    return groups, tasks


NUMERALS = "一二三四五六"


def test_the_repo_copies_of_the_documents_are_verbatim():
    if not SHARED_SEEDS.exists():
        pytest.skip("../shared/seeds is not beside this clone")
    for name in (GANSU_FILE, BEIHAI_FILE):
        assert (REPO_SOURCES / name).read_bytes() == (SHARED_SEEDS / name).read_bytes()


def test_gansu_has_sixteen_numbered_tasks_in_six_groups(gansu):
    groups, tasks = gansu_document()
    assert len(groups) == 6 and len(tasks) == 16  # the document, parsed here
    stored_groups = list(TaskGroup.objects.filter(plan=gansu).order_by("number"))
    assert [(g.label, g.title_zh) for g in stored_groups] == groups
    numbered = Task.objects.filter(plan=gansu, parent__isnull=True)
    assert numbered.count() == 16
    assert sorted(numbered.values_list("number", flat=True)) == list(range(1, 17))
    for number, doc in tasks.items():
        stored = task(gansu, number)
        assert stored.title_zh == doc["title"]
        assert stored.group.label == doc["group"]


def test_every_task_paragraph_and_its_units_are_as_the_document_writes_them(gansu):
    _groups, tasks = gansu_document()
    raw = read(GANSU_FILE)
    reportable = 0
    for number, doc in tasks.items():
        paragraphs = doc["paragraphs"]
        items = (
            [task(gansu, number)]
            if len(paragraphs) == 1
            else [task(gansu, number, i) for i in range(1, len(paragraphs) + 1)]
        )
        for stored, (body, leads, responsible) in zip(items, paragraphs, strict=True):
            reportable += 1
            assert stored.text == body and body in raw
            assert lead_units(stored) == leads
            stored_responsible = list(
                TaskUnit.objects.filter(task=stored, role=TaskUnit.Role.RESPONSIBLE)
                .order_by("position")
                .values_list("unit__name_zh", flat=True)
            )
            assert stored_responsible == responsible
            assert names(stored.lead_text) == leads
            assert names(stored.responsible_text) == responsible
    assert reportable == 15 + 3  # 15 tasks of one paragraph, task 7 of three


def test_task_7_keeps_its_three_paragraphs_each_with_its_own_lead_units(gansu):
    seven = task(gansu, 7)
    items = list(seven.items.order_by("item"))
    assert [i.number_label for i in items] == ["7.1", "7.2", "7.3"]
    assert [lead_units(i) for i in items] == [
        ["省农牧厅", "省食品药品监管局"],
        ["省环保厅", "省发展改革委", "省质监局"],
        ["省工信委", "省发展改革委"],
    ]
    assert not TaskUnit.objects.filter(task=seven).exists()  # the units are the paragraphs'


def test_every_unit_named_in_the_text_is_a_unit_of_gansu_and_nothing_else_is_named(gansu):
    _groups, tasks = gansu_document()
    in_text = {
        n for doc in tasks.values() for _b, lead, resp in doc["paragraphs"] for n in lead + resp
    }
    named = set(TaskUnit.objects.filter(task__plan=gansu).values_list("unit__name_zh", flat=True))
    assert named == in_text
    gansu_region = Region.objects.get(code="620000")
    for name in in_text - {"兰州新区管委会"}:
        assert unit(name).region == gansu_region  # provincial departments and collectives
    assert unit("兰州新区管委会").region.code == "620171"


def test_collectives_are_kept_as_written_and_expanded_where_the_members_are_known(gansu):
    prefectures = Region.objects.filter(parent__code="620000", kind=Region.Kind.DIVISION)
    assert prefectures.count() == 14
    shizhou = unit("各市州政府")
    assert shizhou.kind == Unit.Kind.COLLECTIVE
    members = list(shizhou.members.all())
    assert len(members) == 14
    assert {m.region_id for m in members} == set(prefectures.values_list("id", flat=True))
    assert all(m.kind == Unit.Kind.GOVERNMENT for m in members)
    assert "兰州市政府" in {m.name_zh for m in members}
    group = unit("省质量发展领导小组各成员单位")
    assert group.kind == Unit.Kind.COLLECTIVE
    assert not group.members.exists()  # the document does not list the group's members
    # The prefecture governments and 兰州新区管委会 are the 15 units of "各市州政府、兰州新区管委会".
    assert unit("兰州新区管委会").kind == Unit.Kind.GOVERNMENT


def test_renamed_departments_keep_their_2018_name_with_the_current_one_beside(gansu):
    zhijian = unit("省质监局")
    assert zhijian.full_name_zh == "甘肃省质量技术监督局"
    assert zhijian.current_name_zh == "甘肃省市场监督管理局"
    assert unit("省发展改革委").current_name_zh == ""  # not renamed


def test_beihai_has_its_four_measure_groups_without_numbered_lead_units(beihai):
    text = read(BEIHAI_FILE).replace(SPAM, "")
    groups = list(TaskGroup.objects.filter(plan=beihai).order_by("number"))
    assert [g.short_zh for g in groups] == ["组织领导", "宣传", "政策支持", "督促检查"]
    assert [g.label for g in groups] == list("一二三四")
    for g in groups:
        assert f"({g.label}){g.title_zh}。{g.text}" in text
    assert not Task.objects.filter(plan=beihai).exists()


def test_the_fixture_carries_none_of_the_web_copies_noise(reference):
    texts = [t.text + t.lead_text + t.responsible_text + t.title_zh for t in Task.objects.all()]
    texts += [g.text + g.title_zh for g in TaskGroup.objects.all()]
    assert texts and not any("体球网" in t or "足球比分网" in t or "牵头单位" in t for t in texts)


def test_load_reference_twice_changes_nothing(reference):
    before = (Unit.objects.count(), Task.objects.count(), TaskUnit.objects.count())
    call_command("load_reference", verbosity=0)
    assert (Unit.objects.count(), Task.objects.count(), TaskUnit.objects.count()) == before
    # Units: 18 named (tasks/fixture table) + 14 prefecture governments = 32. Tasks: 16 + 3
    # paragraphs of task 7 = 19. Links: 27 lead (1:2, 2:1, 3:5, 4-6:3, 7:2+3+2, 8-16:9) + 71
    # responsible (15 items × 3, tasks 9 and 10 × 10, task 14 × 6 = 45 + 20 + 6) = 98.
    assert before == (32, 19, 98)
