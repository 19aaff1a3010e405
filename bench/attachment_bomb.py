"""Attachment bombs: time and peak memory of the attachment check on the worst Office files.

Each file is built in memory (bench/hostile_zip.py), is inside the 5 MB attachment limit, and is
checked by ``tasks.attachments.check_attachment`` (which opens every zip through the one bounded
inspector, ``certtrack.zipcheck``) in a fresh child process, so that the figures are its own:
wall time (median of three runs, without tracing), the peak of Python allocations (tracemalloc,
a fourth run) and the growth of the process's peak resident memory (``ru_maxrss``, which also
counts what zlib allocates).

    .venv/bin/python bench/attachment_bomb.py     # prints and rewrites its RESULTS.md section

No database is needed: the check is pure.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bombs import child_main, measure, run_cases  # noqa: E402

# name -> (what it is, expected outcome, builder arguments)
CASES = {
    "largest_accepted": (
        "a 4.9 MB .docx: a stored photo and 60,000 paragraphs (largest accepted)",
        "accepted",
    ),
    "most_unpacking": (
        "63 parts of 1 MB of zeros each (63 MB unpacked: the most a check unpacks)",
        "accepted",
    ),
    "bzip2_bomb": ("1 GiB of zeros in one bzip2 part (issue 24: 10 s per file)", "refused"),
    "duplicate_entries": (
        "100 central-directory entries of one name (issue 24: 60 s, stored)",
        "refused",
    ),
    "deflate_bomb": ("1,000 MB of zeros in one deflate part", "refused"),
    "overlapping": ("one 4 MB deflate stream under 1,990 names (8 GB)", "refused"),
    "understated": ("a part declaring 1 KB that unpacks to 1,000 MB", "refused"),
    "many_entries": ("50,000 empty members", "refused"),
}
ARGS = {
    "overlapping": {"names": 1990},
    "understated": {"megabytes": 1000},
    "many_entries": {"count": 50_000},
}


def _child(name: str) -> dict:
    """Runs in a fresh process: build the file, then measure the check alone."""
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from bench import hostile_zip
    from tasks.attachments import check_attachment

    translation.activate("en")
    data = getattr(hostile_zip, name)(**ARGS.get(name, {}))

    def check() -> str:
        try:
            return "accepted as " + check_attachment(name="report.docx", data=data).kind.code
        except ValidationError as exc:
            return exc.messages[0]

    figures, answer = measure(check)
    return {"bytes": len(data), **figures, "answer": answer}


def main() -> int:
    machine, results = run_cases(
        __file__,
        CASES,
        "attachment_bomb",
        lambda name, r: (
            f"{name:20} {r['bytes'] / 1024:7.0f} KB {r['seconds']:6.2f} s "
            f"{r['peak_mb']:6.1f} MB traced {r['rss_growth_mb']:6.1f} MB rss  {r['answer'][:60]}"
        ),
    )
    _write_markdown(machine, results)
    return 0


def _write_markdown(machine: str, results: dict) -> None:
    from bench.results_md import write_section

    lines = [
        "# Attachment bombs (issue 24)",
        "",
        "Reproduce: `.venv/bin/python bench/attachment_bomb.py` (no database; each file in a "
        "fresh process).",
        "",
        f"- {machine}",
        "- every file is built in memory by `bench/hostile_zip.py` and is inside the 5 MB "
        "attachment limit; time is the median of three checks of the file (the check alone: "
        "`check_attachment`), traced is the peak of Python allocations (tracemalloc), rss the "
        "growth of the process's peak resident memory",
        "- before (`testzip()`, issue 24): a 1,270-byte .docx holding a 1 GiB bzip2 part cost "
        "10 s per file, a 210 KB .docx with 100 duplicate entries 60 s (and was stored)",
        "",
        "| file | size KB | outcome | time s | traced MB | rss growth MB | answer |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for name, (what, outcome) in CASES.items():
        r = results[name]
        lines.append(
            f"| {what} | {r['bytes'] / 1024:,.1f} | {outcome} | {r['seconds']:.2f} | "
            f"{r['peak_mb']:.1f} | {r['rss_growth_mb']:.1f} | {r['answer'][:90]} |"
        )
    worst = max(results.values(), key=lambda r: r["seconds"])
    refused = [results[n] for n, (_w, o) in CASES.items() if o == "refused"]
    lines += [
        "",
        f"Worst of all: **{worst['seconds']:.2f} s, "
        f"{max(r['peak_mb'] for r in results.values()):.1f} MB traced**; worst refused: "
        f"**{max(r['seconds'] for r in refused):.2f} s** (budget: any upload under the size "
        "limit answered in ≤ 2 s, ≤ 100 MB). How: `certtrack/zipcheck.py` reads the member "
        "count from the end record, then the central directory alone (no duplicate name, "
        "stored or deflate only, no overlapping data, declared sizes within 64 MB and 200 "
        "times the packed size), and unpacks through a counting stream that stops at the "
        "limit; the counts import goes through the same inspector.",
    ]
    write_section("attachment-bomb", "\n".join(lines))


if __name__ == "__main__":
    child_main(_child, main)
