"""bench/RESULTS.md holds the figures of several benchmarks; each rewrites only its own section.

A section sits between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``; a section not yet in
the file is appended.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().with_name("RESULTS.md")


def write_section(name: str, text: str, *, path: Path = RESULTS) -> None:
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        new = head + block + ("\n" + tail if tail else "")
    else:
        new = current.rstrip() + ("\n\n" if current.strip() else "") + block
    path.write_text(new, encoding="utf-8")
