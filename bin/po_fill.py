"""Fill Chinese translations into locale/zh_Hans/LC_MESSAGES/django.po and compile the .mo.

Usage: python bin/po_fill.py TRANSLATIONS.json   (a JSON object msgid -> msgstr)
       python bin/po_fill.py --from OTHER.po     (take translations from another catalogue)
       python bin/po_fill.py                      (just report untranslated entries and compile)
Existing translations are kept unless the JSON gives a new one. Used after `make messages`.
"""

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main(argv: list[str]) -> int:
    po = polib.pofile(str(PO))
    given: dict = {}
    plurals: dict = {}
    by_context = len(argv) >= 2 and argv[0] == "--from"
    if len(argv) >= 2 and argv[0] == "--from":
        # From another catalogue an entry is matched on its context and its msgid: the same
        # English word may carry a different Chinese term under another context.
        for other in argv[1:]:
            for e in polib.pofile(other).translated_entries():
                if e.msgid_plural:
                    plurals[(e.msgctxt, e.msgid)] = e.msgstr_plural
                else:
                    given[(e.msgctxt, e.msgid)] = e.msgstr
    elif argv:
        given = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    for entry in po:
        # A JSON file names msgids only (any context); another catalogue names both.
        key = (entry.msgctxt, entry.msgid) if by_context else entry.msgid
        if key in given and given[key]:
            entry.msgstr = given[key]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        if entry.msgid_plural and key in plurals:
            entry.msgstr_plural = dict(plurals[key])
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif entry.msgid_plural and key in given:
            entry.msgstr_plural = {0: given[key]}
    po.metadata["Language"] = "zh_Hans"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.save()
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    missing = [e.msgid for e in po.untranslated_entries()] + [e.msgid for e in po.fuzzy_entries()]
    for msgid in missing:
        print("untranslated:", json.dumps(msgid, ensure_ascii=False))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
