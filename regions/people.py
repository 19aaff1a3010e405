"""A person's name in the page's language (docs/glossary.md, "display names").

Display names are data typed in one language (the demo's 甘肃省审核员, a colleague's 张三). A
Chinese page shows the full name; an English page shows it only when it carries no Han
characters, else the username, which is a neutral code (``reviewer_gansu``). So an English page
never shows a Chinese name, and no second name has to be kept for each user.
"""

from __future__ import annotations

import re

from django.db.models import Case, Q, Value, When
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import translation

HAN = "[\u3400-\u9fff\uf900-\ufaff]"
_HAN = re.compile(HAN)


def chinese_page() -> bool:
    """Whether the active language is Chinese."""
    return (translation.get_language() or "").lower().startswith("zh")


def name_fits_page(name: str) -> bool:
    """Whether ``name`` may be shown in the active language."""
    return chinese_page() or not _HAN.search(name)


def display_name(user) -> str:
    """The user's full name in the active language, else the username; '' for nobody."""
    if user is None:
        return ""
    full = user.get_full_name()
    if full and name_fits_page(full):
        return full
    return user.get_username()


def display_name_expression(prefix: str):
    """:func:`display_name` as a database expression over the user at ``prefix``."""
    full = Trim(Concat(f"{prefix}__first_name", Value(" "), f"{prefix}__last_name"))
    named = Coalesce(NullIf(full, Value("")), f"{prefix}__username")
    if chinese_page():
        return named
    han = Q(**{f"{prefix}__first_name__regex": HAN}) | Q(**{f"{prefix}__last_name__regex": HAN})
    return Case(When(han, then=f"{prefix}__username"), default=named)
