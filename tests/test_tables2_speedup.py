"""certtrack.tables2: the memoized signature changes nothing django-tables2 draws."""

from __future__ import annotations

import re

import django_tables2 as tables
import pytest
from django.template import Context
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


# --- the rows drawn in Python (tables2.tbody_html) against the template's own loop ----------


class Styled(tables.Table):
    """Every kind of attribute the template draws: static and computed cell attributes, row
    attributes, a sortable column and the empty text."""

    name = tables.Column(attrs={"td": {"class": "place", "data-x": "1"}})
    value = Doubled(attrs={"td": {"class": "num", "data-value": lambda record: record["value"]}})
    note = tables.Column(default="—", orderable=False)

    class Meta:
        template_name = "indicators/table.html"
        attrs = {"class": "data"}
        row_attrs = {"data-name": lambda record: record["name"]}
        empty_text = "没有数据 <none>"


def _drawn(table_class, rows, in_template: bool, **kwargs) -> str:
    table = table_class(rows, **kwargs)
    table.rows_in_template = in_template
    request = RequestFactory().get("/", {"sort": "-value"})
    tables.RequestConfig(request, paginate=False).configure(table)
    return table.as_html(request)


@pytest.mark.parametrize(
    "rows",
    [ROWS, [{"name": "<丙>", "value": 3, "note": None}], []],
    ids=["two rows", "escaped name, default", "empty"],
)
def test_rows_drawn_in_python_are_the_templates_characters(rows):
    template = _drawn(Styled, rows, in_template=True)
    fast = _drawn(Styled, rows, in_template=False)
    assert fast == template
    assert tables2.tbody_html(Styled(rows), Context({})).count("<tr") == max(len(rows), 1)
    if rows == ROWS:  # the computed attributes per record, sorted by value descending
        assert fast.index('data-name="乙"') < fast.index('data-name="甲"')
        assert 'data-value="20"' in fast and 'class="num"' in fast
    if not rows:
        assert '<td colspan="3">没有数据 &lt;none&gt;</td>' in fast


def test_a_table_without_empty_text_draws_the_same_empty_body():
    class Bare(Styled):
        class Meta(Styled.Meta):
            empty_text = None

    assert _drawn(Bare, [], in_template=False) == _drawn(Bare, [], in_template=True)
    assert "colspan" not in _drawn(Bare, [], in_template=False)


@pytest.mark.parametrize(
    "url",
    [
        "/regions/620000/",
        "/regions/620000/?certificates-sort=-value&organizations-sort=name&values=approved",
        "/regions/450500/",
        "/plans/3/",
        "/",
    ],
)
def test_dashboards_draw_the_same_html_with_rows_drawn_in_python(demo, client, url, settings):
    """A region's dashboard (targets, series, children, completeness), a plan page and the
    overview, in both languages: the same characters whichever draws the rows."""
    import django_tables2
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    client.force_login(get_user_model().objects.get(username="admin"))
    pages = {}
    for in_template in (True, False):
        django_tables2.Table.rows_in_template = in_template
        try:
            for language in ("zh-hans", "en"):
                cache.clear()
                response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
                assert response.status_code == 200
                # the per-response CSRF mask and the printed time apart, every character
                pages[(in_template, language)] = re.sub(
                    r'(csrfmiddlewaretoken" value=")[^"]+|\d\d:\d\d · http',
                    r"\1",
                    response.content.decode(),
                )
        finally:
            del django_tables2.Table.rows_in_template
    for language in ("zh-hans", "en"):
        assert pages[(False, language)] == pages[(True, language)]
    assert "<tbody" in pages[(False, "zh-hans")]


class Nested(tables.Table):
    """Records that are objects: a nested accessor through a missing part, a method called, a
    render function asking for arguments the library does not give (drawn as None)."""

    name = tables.Column()
    inner = tables.Column(accessor="inner__x", default="(none)")
    shout = tables.Column(accessor="shout")
    odd = tables.Column(accessor="name", empty_values=())

    class Meta:
        template_name = "indicators/table.html"

    def render_odd(self, value, unknown):  # an argument the library does not know
        return "never"


def test_object_records_are_drawn_as_the_library_draws_them():
    from types import SimpleNamespace

    rows = [
        SimpleNamespace(name="甲", inner=SimpleNamespace(x=1), shout=lambda: "HI"),
        SimpleNamespace(name="乙", inner=None, shout=lambda: None),
        SimpleNamespace(name="丙", inner=SimpleNamespace(), shout="plain"),
    ]
    fast = _drawn(Nested, rows, in_template=False)
    assert fast == _drawn(Nested, rows, in_template=True)
    assert ">HI<" in fast and ">(none)<" in fast and ">None<" in fast and "never" not in fast
