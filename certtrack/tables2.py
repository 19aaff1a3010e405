"""django-tables2 asks ``inspect.signature`` for the arguments of a column's ``render`` on
every cell it draws (``django_tables2.utils.call_with_appropriate``): about 40 µs a cell, half
the rendering time of a national dashboard's tables (bench/NOTES.md). A function's signature
never changes, so :func:`install` puts a memoized ``signature`` in its place; the tables draw
exactly what they drew before (tests/test_tables2_speedup.py)."""

from __future__ import annotations

from django_tables2 import utils

_original = utils.signature
_cache: dict[tuple[type, object], tuple] = {}
_MAX_ENTRIES = 4096  # columns are defined once; a bound keeps a stray lambda from piling up


def cached_signature(fn):
    """``django_tables2.utils.signature`` of ``fn``, computed once per function (bound methods
    share their function's entry: their signature drops ``self`` whatever the instance)."""
    try:
        key = (type(fn), getattr(fn, "__func__", fn))
        hash(key)
    except TypeError:  # an unhashable callable: ask every time
        return _original(fn)
    found = _cache.get(key)
    if found is None:
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
        found = _cache[key] = _original(fn)
    return found


def install() -> None:
    utils.signature = cached_signature


# --- the rows of a table, drawn without the template engine -----------------------------------
#
# django-tables2 draws every cell through its template: a loop of template nodes and, per cell,
# ``column.attrs.td.as_html`` (the column's th/td/tf attributes merged and computed again for
# every cell). On a national dashboard that was half of the page (bench/NOTES.md, "Dashboards
# and assessment rendering"). :func:`tbody_html` writes the very characters of the template's
# ``table.tbody`` block (``django_tables2/table.html``, 2.8): the cells are still rendered by
# the table's own ``render_*`` methods, through the call ``BoundRow.get_cell`` makes; a column's
# ``td`` attributes are computed once when none of them is computed per record.
# tests/test_tables2_speedup.py compares both outputs.

_ROW = "\n                    \n                    <tr {}>\n                        {}\n                    </tr>\n                    \n                "  # noqa: E501
_CELL = "\n                            <td {}>{}</td>\n                        "
_EMPTY = '\n                    \n                    <tr><td colspan="{}">{}</td></tr>\n                    \n                    '  # noqa: E501


def _has_callable(value) -> bool:
    if callable(value):
        return True
    if isinstance(value, dict):
        return any(_has_callable(v) for v in value.values())
    return False


def _static_td(column):
    """The ``td`` attributes of a column as HTML when they are the same for every cell (no
    value computed from the record), else None."""
    merged = {**dict(column._table.attrs), **dict(column.column.attrs)}
    if _has_callable(merged.get("td", merged.get("cell", {}))):
        return None
    return column.attrs["td"].as_html()


def tbody_html(table, context) -> str | None:
    """The ``table.tbody`` block of ``django_tables2/table.html`` for ``table``, character for
    character, or None where the template must draw it (a localized column, or a table that
    asks for it with ``rows_in_template``: the tests' reference)."""
    from django.template.base import render_value_in_context
    from django.utils.safestring import mark_safe

    if getattr(table, "rows_in_template", False):
        return None
    columns = list(table.columns)
    if any(column.localize is not None for column in columns):
        return None
    static = {column.name: _static_td(column) for column in columns}
    tbody = table.attrs.get("tbody")
    tbody = tbody.as_html() if hasattr(tbody, "as_html") else ""
    out = [f"\n                <tbody {tbody}>\n                "]
    rows = 0
    for row in table.paginated_rows:
        rows += 1
        cells = []
        for column in columns:
            # BoundRow.items() without its look-up of each column by name (a scan of the
            # columns): the call get_cell makes, and the current_* the attributes read.
            cell = row._get_and_render_with(column, row._call_render, column.default)
            column.current_value, column.current_record = cell, row.record
            td = static[column.name]
            if td is None:
                td = column.attrs["td"].as_html()
            cells.append(_CELL.format(td, render_value_in_context(cell, context)))
        out.append(_ROW.format(row.attrs.as_html(), "".join(cells)))
    if not rows:
        out.append("\n                    ")
        if table.empty_text:
            out.append(
                _EMPTY.format(
                    render_value_in_context(len(table.columns), context),
                    render_value_in_context(table.empty_text, context),
                )
            )
        out.append("\n                ")
    out.append("\n                </tbody>\n            ")
    return mark_safe("".join(out))
