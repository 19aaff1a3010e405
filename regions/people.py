"""A person's name in the page's language (docs/glossary.md, "display names").

The one place that decides how a person is named on a page, in a mail, a log line or an export.
The real name (姓名) is ``User.first_name`` (typed in one language: the demo's 甘肃省审核员, a
colleague's 张三); an optional English name is ``accounts.Profile.name_en``. A Chinese page
shows the 姓名; an English page shows the English name where there is one, else the 姓名 when it
carries no Han characters, else the username, a neutral code (``reviewer_gansu``). So an English
page never shows a Chinese name.
"""

from __future__ import annotations

import re

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Case, F, Q, Value, When
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


def english_name(user) -> str:
    """The user's English name ('' where none is kept). Reads ``user.profile``: lists select it
    with the user (``select_related("profile")``), the signed-in user comes with it
    (``accounts.backends``)."""
    try:
        return user.profile.name_en
    except (ObjectDoesNotExist, AttributeError):
        return ""


def display_name(user) -> str:
    """The user's name in the active language, else the username; '' for nobody."""
    if user is None:
        return ""
    if not chinese_page():
        english = english_name(user)
        if english:
            return english
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
    english = f"{prefix}__profile__name_en"
    has_english = Q(**{f"{english}__isnull": False}) & ~Q(**{english: ""})
    return Case(
        When(has_english, then=F(english)),
        When(han, then=f"{prefix}__username"),
        default=named,
    )
