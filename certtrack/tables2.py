"""django-tables2 asks ``inspect.signature`` for the arguments of a column's ``render`` on
every cell it draws (``django_tables2.utils.call_with_appropriate``): about 40 µs a cell, half
the rendering time of a national dashboard's tables (bench/NOTES.md). A function's signature
never changes, so :func:`install` puts a memoized ``signature`` in its place; the tables draw
exactly what they drew before (tests/test_tables2_speedup.py)."""

from __future__ import annotations

from django.core.paginator import Paginator
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
