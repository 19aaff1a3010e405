"""``reverse`` remembered: the same page's path is worked out once, not for every line of every
mail (send_reminders links ≈ 10,000 items a run; a ``reverse`` costs ≈ 0.2 ms)."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def path_for(name: str, *args) -> str:
    """``reverse(name, args=args)``, remembered for the same prefix, URL configuration, name
    and arguments (each argument as its text, as in the path)."""
    return _path(
        get_script_prefix(),
        settings.ROOT_URLCONF,
        get_urlconf(),
        name,
        tuple(str(a) for a in args),
    )


@lru_cache(maxsize=20_000)
def _path(_prefix: str, _root: str, urlconf, name: str, args: tuple[str, ...]) -> str:
    return reverse(name, args=args, urlconf=urlconf)
