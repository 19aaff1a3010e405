"""The Chinese catalogue ships complete and compiled, so a fresh clone needs no gettext."""

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.parametrize("domain", ["django"])
def test_every_message_is_translated_and_none_fuzzy(domain):
    po = polib.pofile(str(LOCALE / f"{domain}.po"))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("domain", ["django"])
def test_compiled_catalogue_matches_the_po_file(domain):
    po = polib.pofile(str(LOCALE / f"{domain}.po"))
    mo = polib.mofile(str(LOCALE / f"{domain}.mo"))
    expected = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in po.translated_entries()
    }
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in mo
        if e.msgid
    }
    assert compiled == expected, "run `make messages` to recompile locale/*.mo"


# What may keep ASCII punctuation inside a Chinese translation: placeholders, numbers (1.5, 1. ),
# file names and extensions (.xlsx), URLs (docs/glossary.md, "Punctuation").
_NOT_PROSE = re.compile(
    r"\.?%\([a-z_]+\)[-+ #0-9.]*[sdfr%]|%[sd]|\{[^}]*\}|https?://\S+|\d+[.:,]\d*|\.[a-z]{2,4}\b"
)
_HAN = re.compile(r"[\u3400-\u9fff]")


def ascii_punctuation_in_chinese(text: str) -> list[str]:
    """The ASCII , . : ; ( ) of a Chinese sentence (outside codes, numbers and placeholders)."""
    if not _HAN.search(text):
        return []
    return re.findall(r"[,.:;()]", _NOT_PROSE.sub("", text))


def test_the_punctuation_check_itself():
    assert ascii_punctuation_in_chinese("数据: JSON") == [":"]
    assert ascii_punctuation_in_chinese("（含待审核）.") == ["."]
    assert ascii_punctuation_in_chinese("截至 %(q)s (含待审核)") == ["(", ")"]
    assert ascii_punctuation_in_chinese("请另存为 .xlsx 后上传；共 %(n)s 条，1.5 MB。") == []
    assert ascii_punctuation_in_chinese("Data: JSON") == []  # not Chinese


def test_chinese_translations_use_chinese_punctuation():
    po = polib.pofile(str(LOCALE / "django.po"))
    bad = [
        (e.msgid, text)
        for e in po.translated_entries()
        for text in [e.msgstr, *e.msgstr_plural.values()]
        if ascii_punctuation_in_chinese(text)
    ]
    assert bad == []
