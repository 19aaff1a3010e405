"""certtrack.tables2: the memoized signature changes nothing django-tables2 draws."""

from __future__ import annotations

import django_tables2 as tables
from django.test import RequestFactory
from django_tables2 import utils

from certtrack import tables2


class Doubled(tables.Column):
    def render(self, value, record):
        return f"{value * 2} ({record['name']})"


class Sample(tables.Table):
    name = tables.Column()
    value = Doubled()
    note = tables.Column(empty_values=())

    def render_note(self, value, bound_column):  # asks for another set of arguments
        return f"{bound_column.name}:{value or '—'}"


ROWS = [{"name": "甲", "value": 1, "note": ""}, {"name": "乙", "value": 20, "note": "<b>x</b>"}]


def _html(signature) -> str:
    old = utils.signature
    utils.signature = signature
    try:
        return Sample(ROWS).as_html(RequestFactory().get("/"))
    finally:
        utils.signature = old


def test_memoized_signature_draws_the_same_table():
    plain = _html(tables2._original)
    fast = _html(tables2.cached_signature)
    assert fast == plain
    assert "2 (甲)" in fast and "note:&lt;b&gt;x&lt;/b&gt;" in fast  # escaped as before


def test_signature_is_computed_once_per_function_not_per_cell():
    tables2._cache.clear()
    calls = []
    original = tables2._original

    def counting(fn):
        calls.append(fn)
        return original(fn)

    tables2._original = counting
    try:
        _html(tables2.cached_signature)
        first = len(calls)
        _html(tables2.cached_signature)  # new table, new bound methods: no new computation
    finally:
        tables2._original = original
    assert 0 < first <= 4  # one per render function, not one per cell (6 cells)
    assert len(calls) == first
    bound_a, bound_b = Doubled().render, Doubled().render
    assert (
        tables2.cached_signature(bound_a)
        == tables2.cached_signature(bound_b)
        == (
            ("value", "record"),
            None,
        )
    )
