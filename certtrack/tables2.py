"""django-tables2 asks ``inspect.signature`` for the arguments of a column's ``render`` on
every cell it draws (``django_tables2.utils.call_with_appropriate``): about 40 µs a cell, half
the rendering time of a national dashboard's tables (bench/NOTES.md). A function's signature
never changes, so :func:`install` puts a memoized ``signature`` in its place; the tables draw
exactly what they drew before (tests/test_tables2_speedup.py)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Model as _Model
from django.utils.functional import cached_property
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
# the table's own ``render_*`` methods, with the value and arguments the library would give
# them (:class:`_Column`); a column's ``td`` attributes are computed once when none of them is
# computed per record. tests/test_tables2_speedup.py compares both outputs.

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


_ARGUMENTS = frozenset(("value", "record", "column", "bound_column", "bound_row", "table"))


class _Column:
    """How the cells of one column are drawn: what ``BoundRow._get_and_render_with`` and
    ``call_with_appropriate`` work out for every cell (the accessor's parts, the arguments the
    render function takes), worked out once. A cell it cannot draw as the library would (a
    model record, whose field may have choices; a link; an accessor with arguments) goes
    through the library."""

    def __init__(self, column, table):
        from django_tables2.columns.linkcolumn import BaseLinkColumn
        from django_tables2.columns.manytomanycolumn import ManyToManyColumn

        self.column = column
        self.table = table
        accessor = utils.A(column.accessor)
        self.bits = tuple(accessor.bits)
        self.library = bool(
            column.link
            or not self.bits
            or accessor.callable_args
            or accessor.callable_kwargs
            or isinstance(column.column, (BaseLinkColumn, ManyToManyColumn))
        )
        self.default = column.default
        self.empty_values = column.column.empty_values
        self.render = column.render
        args, keywords = cached_signature(column.render)
        self.args = None if keywords else args  # None: every argument
        self.callable = keywords is not None or all(a in _ARGUMENTS for a in args)

    def cell(self, row):
        record = row.record
        if (
            self.library
            or isinstance(record, _Model)
            or (isinstance(record, dict) and len(self.bits) > 1)
        ):
            return row._get_and_render_with(self.column, row._call_render, self.default)
        try:
            value = _resolve(record, self.bits)
        except _PastModel:
            return row._get_and_render_with(self.column, row._call_render, self.default)
        except Exception:  # as the library: a failed look-up is no value
            value = None
        if value in self.empty_values:
            return self.default
        if not self.callable:
            return None
        arguments = {
            "value": value,
            "record": record,
            "column": self.column.column,
            "bound_column": self.column,
            "bound_row": row,
            "table": self.table,
        }
        if self.args is None:
            return self.render(**arguments)
        return self.render(**{a: arguments[a] for a in self.args})


class _PastModel(Exception):
    """The look-up met a model before its last part: the library's own path decides."""


def _resolve(current, bits):
    """``Accessor.resolve`` (dictionary, attribute, then index look-up; callables called) for a
    record that is no model."""
    last = len(bits) - 1
    for i, bit in enumerate(bits):
        if i == last and isinstance(current, _Model):
            raise _PastModel
        if hasattr(type(current), "__getitem__"):
            try:
                current = current[bit]
            except (TypeError, AttributeError, KeyError):
                current = _attribute_or_index(current, bit)
        else:
            current = _attribute_or_index(current, bit)
        if callable(current):
            if getattr(current, "alters_data", False):
                raise ValueError(bit)
            if not getattr(current, "do_not_call_in_templates", False):
                current = current()
        if current is None:
            break
    return current


def _attribute_or_index(current, bit):
    try:
        return getattr(current, bit)
    except (TypeError, AttributeError):
        try:
            return current[int(bit)]
        except (IndexError, ValueError, KeyError, TypeError):
            raise ValueError(bit) from None


def tbody_html(table, context) -> str | None:
    """The ``table.tbody`` block of ``django_tables2/table.html`` for ``table``, character for
    character, or None where the template must draw it (a localized column, or a table that
    asks for it with ``rows_in_template``: the tests' reference)."""
    from django.template.base import render_value_in_context
    from django.utils.html import escape
    from django.utils.safestring import SafeString, mark_safe

    if getattr(table, "rows_in_template", False):
        return None
    columns = list(table.columns)
    if any(column.localize is not None for column in columns):
        return None
    static = {column.name: _static_td(column) for column in columns}
    plans = [_Column(column, table) for column in columns]
    autoescape = context.autoescape
    tbody = table.attrs.get("tbody")
    tbody = tbody.as_html() if hasattr(tbody, "as_html") else ""
    out = [f"\n                <tbody {tbody}>\n                "]
    rows = 0
    for row in table.paginated_rows:
        rows += 1
        cells = []
        for plan in plans:
            # BoundRow.items(), and the current_* the computed attributes read.
            column = plan.column
            cell = plan.cell(row)
            column.current_value, column.current_record = cell, row.record
            td = static[column.name]
            if td is None:
                td = column.attrs["td"].as_html()
            # What {{ cell }} prints (render_value_in_context): a str is not localized, a
            # safe one printed as it is, another escaped.
            if autoescape and isinstance(cell, SafeString):
                shown = cell
            elif autoescape and type(cell) is str:
                shown = escape(cell)
            else:
                shown = render_value_in_context(cell, context)
            cells.append(_CELL.format(td, shown))
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


class CountedPaginator(Paginator):
    """A paginator told how many rows there are (``known_count``) where a cheaper query than
    the table's own ``count()`` answers it (the review queue's rows aggregate every unit's
    counts and people; the number of rows is the number of units)."""

    def __init__(self, object_list, per_page, *args, known_count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.known_count = known_count

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return self.known_count
        return super().count
