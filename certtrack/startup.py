"""What an app process does once, after Django is set up and before its first request."""

from __future__ import annotations

import gc


def settle() -> None:
    """Import every view now (and plotly, openpyxl and the rest they import), then hide all
    these long-lived objects from the garbage collector (``gc.freeze``).

    Rendering a dashboard allocates many short-lived objects; every so often that triggers a
    full collection, which otherwise walks every object of every loaded module too: a 60-90 ms
    pause on one request in ten at national scale (bench/NOTES.md). Frozen objects are still
    freed normally when the process ends; gunicorn workers forked from a settled process also
    share these pages with it longer (the collector no longer writes to them).
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports every views module)
    gc.collect()
    gc.freeze()
