"""Rendered dashboard parts, cached under the data version.

A dashboard's tables and figures cost tens of milliseconds to render at national scale and
change only when the data does. :func:`cached_part` keeps a rendered part in Django's cache
(Redis in production, so every app server shares it; per process otherwise) under a key
that ends with the current :class:`~indicators.models.DataVersion` number. Every write that
a dashboard shows raises that number in its own transaction (:func:`data_changed`), so a part
rendered before the write is never read again: no write shows late, on any app server, and
nothing else needs invalidating. Reading the number is one indexed one-row query.

What changes it: every change to a count or its status (``indicators.rollups.rollups_touch``,
which every service write passes through), a roll-up rebuild (bulk loads, the demo seed), and
saving or deleting a plan, target, region, indicator or membership (signals,
:func:`connect_signals`).

Only parts that are the same for everyone allowed to see them are cached, keyed by everything
they depend on (region, quarter, values shown, language, the table's sort order); the user's
own parts of a page (menus, breadcrumbs, forms) are rendered every time.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import translation

T = TypeVar("T")
TIMEOUT = 3600  # seconds; parts of older versions are never read, this only frees the memory


def data_changed() -> None:
    """Give the data a new version, in the current transaction (call it after the roll-ups).

    A random number, not a counter: a database restored from a backup, or a rolled-back
    transaction, takes the version back with the data, and a counter would then count up again
    through numbers that old, different parts are cached under."""
    from indicators.models import DataVersion

    number = secrets.randbits(62)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The version row is locked until commit, and must be the last lock a writer takes.
            # Django's foreign keys are checked at commit (DEFERRABLE INITIALLY DEFERRED),
            # taking KEY SHARE locks on the regions a new count points to: after this row, and
            # against a submit that holds a region FOR UPDATE (its roll-ups) while it waits for
            # this row, a deadlock (seen under bench/load.py). Checking them now takes those
            # locks first.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if not DataVersion.objects.filter(pk=1).update(number=number):
            DataVersion.objects.update_or_create(pk=1, defaults={"number": number})


def data_version(request=None) -> int:
    """The current data version; read once per request when ``request`` is given."""
    from indicators.models import DataVersion

    number = getattr(request, "_certtrack_data_version", None)
    if number is None:
        number = DataVersion.objects.filter(pk=1).values_list("number", flat=True).first() or 0
        if request is not None:
            request._certtrack_data_version = number
    return number


def part_key(name: str, parts: Iterable[object], *, request=None) -> str:
    """The cache key of a rendered part or value: its name, what it depends on, the active
    language and the data version."""
    version = data_version(request)
    text = "|".join([name, *map(str, parts), translation.get_language() or "", str(version)])
    return "certtrack:part:" + hashlib.sha256(text.encode()).hexdigest()


_MISSING = object()


def cached_value(
    name: str, parts: Iterable[object], compute: Callable[[], T], *, request=None
) -> T:
    """``compute()``'s result from the cache, or computed and stored there for the next
    request: for what depends on nothing but ``parts`` and the data (it must pickle)."""
    key = part_key(name, parts, request=request)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value


def cached_part(
    name: str, parts: Iterable[object], render: Callable[[], str], *, request=None
) -> str:
    """A rendered part (HTML) from the cache, or ``render()`` stored there."""
    return cached_value(name, parts, render, request=request)


def _changed(sender, **kwargs) -> None:
    data_changed()


def connect_signals() -> None:
    """Saving or deleting what the dashboards show outside the count services (the admin,
    ``load_reference``): plans, targets, regions, indicators."""
    from indicators.models import Indicator, Plan, Target
    from regions.models import Membership, Region

    # Memberships: the to-do lists kept under the version name the units without an official.
    for model in (Plan, Target, Region, Indicator, Membership):
        post_save.connect(_changed, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}"
        )
