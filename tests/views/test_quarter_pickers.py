"""Quarter pickers (issue 26.6): newest first, grouped by year, the quarter due now selected."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from indicators.forms import QuarterPickForm, _quarter_choices
from indicators.periods import Quarter


@pytest.fixture
def login(client, settings):
    def _login(username):
        assert client.login(username=username, password=settings.CERTTRACK["DEMO_PASSWORD"])
        return client

    return _login


def test_quarter_choices_are_grouped_by_year_in_the_given_newest_first_order():
    quarters = [Quarter(2026, 3), Quarter(2026, 2), Quarter(2026, 1), Quarter(2025, 4)]
    assert _quarter_choices(quarters) == [
        ("2026", [("2026Q3", "2026Q3"), ("2026Q2", "2026Q2"), ("2026Q1", "2026Q1")]),
        ("2025", [("2025Q4", "2025Q4")]),
    ]
    html = str(QuarterPickForm(initial={"period": "2026Q2"}, quarters=quarters)["period"])
    assert html.index('<optgroup label="2026">') < html.index('<optgroup label="2025">')
    assert '<option value="2026Q2" selected>' in html


def _select(page: str, name: str) -> str:
    return re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)


def _options(select: str) -> list[str]:
    return re.findall(r'<option value="(\d{4}Q\d)"', select)


@pytest.mark.parametrize(
    ("username", "path", "name"),
    [
        ("official_lanzhou", "indicators:import", "period"),
        ("reviewer_gansu", "indicators:review_queue", "period"),
    ],
)
def test_pickers_list_newest_first_by_year_with_the_quarter_due_now_selected(
    demo, login, username, path, name
):
    page = login(username).get(reverse(path)).content.decode()
    select = _select(page, name)
    options = _options(select)
    due = str(Quarter.last_complete())
    assert options[0] >= due and options == sorted(options, reverse=True)
    years = re.findall(r'<optgroup label="(\d{4})">', select)
    assert years == sorted({o[:4] for o in options}, reverse=True)
    assert re.search(rf'<option value="{due}" selected', select)
