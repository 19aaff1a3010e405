"""The harness the bomb benchmarks share (bench/import_bomb.py, bench/attachment_bomb.py): each
case runs in a fresh child process, which measures one pure function alone: wall time (median of
three runs, without tracing), the peak of Python allocations (tracemalloc, a fourth run) and the
growth of the process's peak resident memory (``ru_maxrss``, which also counts what C code such
as zlib and expat allocates)."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(run: Callable[[], object]) -> tuple[dict, object]:
    """Times, peak traced and resident memory of ``run()``; its last answer with them."""
    import resource
    import tracemalloc

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(3):
        started = time.perf_counter()
        answer = run()
        times.append(time.perf_counter() - started)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    figures = {
        "seconds": statistics.median(times),
        "seconds_max": max(times),
        "peak_mb": peak / 1e6,
        "rss_growth_mb": (rss_after - rss_before) / 1024,
    }
    return figures, answer


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load:.1f} at the start"
    )


def run_cases(
    script: str, cases, name: str, line: Callable[[str, dict], str], env: dict | None = None
) -> tuple[str, dict]:
    """Runs ``script --child <case>`` for every case in a fresh process, prints ``line(case,
    result)`` for each and writes bench/results/<name>.json; returns the machine and results."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "certtrack.settings",
        "CERTTRACK_DEV": "1",
        **(env or {}),
    }
    results = {}
    where = machine()
    for case in cases:
        out = subprocess.run(
            [sys.executable, script, "--child", case],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        results[case] = json.loads(out.stdout.strip().splitlines()[-1])
        print(line(case, results[case]))
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / f"{name}.json").write_text(
        json.dumps({"machine": where, "results": results}, indent=2, ensure_ascii=False)
    )
    return where, results


def child_main(child: Callable[[str], dict], main: Callable[[], int]) -> None:
    """The script's entry point: ``--child <case>`` prints one case's figures as JSON."""
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        sys.exit(0)
    sys.exit(main())
