"""Display names in the page's language (docs/glossary.md): a Chinese name on Chinese pages only;
English pages show the username (a neutral code) in its place."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from indicators.periods import Quarter
from regions.people import display_name
from tests.work.conftest import submit

P = Quarter.last_complete(timezone.localdate())


@pytest.fixture
def chinese_names(people):
    for key, first, last in [("official", "甲市", "填报员"), ("reviewer", "审核员", "")]:
        user = people[key]
        user.first_name, user.last_name = first, last
        user.save()
    people["analyst"].first_name, people["analyst"].last_name = "Ann", "Lee"
    people["analyst"].save()
    return people


def test_display_name_follows_the_language(chinese_names):
    official, analyst = chinese_names["official"], chinese_names["analyst"]
    with translation.override("zh-hans"):
        assert display_name(official) == "甲市 填报员"
        assert display_name(analyst) == "Ann Lee"
    with translation.override("en"):
        assert display_name(official) == "off"
        assert display_name(analyst) == "Ann Lee"
        assert display_name(None) == ""


@pytest.mark.parametrize("path", ["/home/", "/review/", "/entry/?region=990100", "/entry/"])
def test_english_pages_show_no_chinese_name(chinese_names, tree, as_user, path):
    submit(chinese_names["official"], tree["a"], P)
    for who in ("reviewer", "official"):
        client = as_user(who, "en")
        response = client.get(path)
        if response.status_code != 200:
            continue
        page = response.content.decode()
        assert "甲市" not in page and "审核员" not in page, (who, path)
    # The same pages in Chinese show the names.
    page = as_user("reviewer", "zh-hans").get("/home/").content.decode()
    assert "审核员" in page  # the header


def test_the_entry_table_names_the_person_in_the_language(chinese_names, tree, as_user):
    submit(chinese_names["official"], tree["a"], P)
    en = as_user("reviewer", "en").get("/review/").content.decode()
    zh = as_user("reviewer", "zh-hans").get("/review/").content.decode()
    assert "甲市 填报员" in zh and "甲市" not in en
    assert ">off<" in en or "off</" in en
