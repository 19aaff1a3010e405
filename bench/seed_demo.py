"""Time ``seed_demo`` as the test fixture runs it, and prove a change leaves its rows unchanged.

    python bench/seed_demo.py time [N]        N seeds (default 5) on a fresh test database, each
                                              after load_reference in a rolled-back transaction
                                              as a test does; the first (cold: imports, the
                                              register simulation) is left out of the mean
    python bench/seed_demo.py dump FILE       seed once, write every table's rows (sorted) to FILE
    python bench/seed_demo.py compare A B     IDENTICAL, or what differs, table by table

The database is the one the test settings name (SQLite file, or DATABASE_URL); a test database
is created and destroyed. A dump masks only what differs between two runs of the same code: the
time of migrations, user creation, target events and register imports, the random data
version, the attachment's random file name; a password is kept as (algorithm, whether the demo
password checks against it). Everything else, ids included, must be equal.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time

MASK = {
    ("auth_user", "date_joined"),
    ("django_migrations", "applied"),
    ("indicators_dataversion", "number"),
    ("indicators_targetevent", "at"),
    ("register_registerimport", "created_at"),
    ("tasks_taskattachment", "file"),
}
END = "2026Q3"  # as tests/conftest.py's demo fixture


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certtrack.settings_test")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()


def _seed():
    from django.core.management import call_command

    with open(os.devnull, "w") as null:
        call_command("seed_demo", end=END, verbosity=0, stdout=null)


def _load_reference():
    from django.core.management import call_command

    with open(os.devnull, "w") as null:
        call_command("load_reference", verbosity=0, stdout=null)


def time_seeds(n: int) -> None:
    from django.db import connection, transaction

    walls, cpus = [], []
    for i in range(n):
        with transaction.atomic():
            _load_reference()
            wall, cpu = time.perf_counter(), time.process_time()
            _seed()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
            transaction.set_rollback(True)
        print(f"seed {i}: wall {walls[-1]:.3f} s, cpu {cpus[-1]:.3f} s", flush=True)
    warm = max(n - 1, 1)
    print(
        f"{connection.vendor}: mean of {warm} warm seeds: wall {sum(walls[1:]) / warm:.3f} s, "
        f"cpu (this process) {sum(cpus[1:]) / warm:.3f} s; load {os.getloadavg()[0]:.1f}"
    )


def dump(path: str) -> None:
    from django.conf import settings
    from django.contrib.auth.hashers import check_password
    from django.db import connection

    _load_reference()
    _seed()
    out = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            columns = [
                d.name for d in connection.introspection.get_table_description(cursor, table)
            ]
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = []
            for values in cursor.fetchall():
                row = [str(v) if isinstance(v, dt.date | bytes) else v for v in values]
                for i, column in enumerate(columns):
                    if (table, column) in MASK:
                        row[i] = "*"
                    elif (table, column) == ("auth_user", "password"):
                        demo = check_password(settings.CERTTRACK["DEMO_PASSWORD"], row[i])
                        row[i] = [row[i].split("$")[0], demo]
                rows.append(row)
            rows.sort(key=lambda r: json.dumps(r, ensure_ascii=False))
            out[table] = {"columns": columns, "rows": rows}
    with open(path, "w") as f:
        json.dump(out, f, ensure_ascii=False)
    print(f"{sum(len(t['rows']) for t in out.values())} rows in {len(out)} tables -> {path}")


def compare(a_path: str, b_path: str) -> bool:
    a, b = (json.load(open(p)) for p in (a_path, b_path))
    same = True
    for table in sorted(set(a) | set(b)):
        if table not in a or table not in b or a[table]["columns"] != b[table]["columns"]:
            print(f"{table}: the table or its columns differ")
            same = False
        elif a[table]["rows"] != b[table]["rows"]:
            ra = {json.dumps(r, ensure_ascii=False) for r in a[table]["rows"]}
            rb = {json.dumps(r, ensure_ascii=False) for r in b[table]["rows"]}
            print(f"{table}: {len(ra - rb)} rows only in A, {len(rb - ra)} only in B")
            same = False
    total = sum(len(t["rows"]) for t in a.values())
    print(f"{'IDENTICAL' if same else 'DIFFERENT'} ({total} rows in A)")
    return same


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "time"
    if command == "compare":
        return 0 if compare(argv[1], argv[2]) else 1
    _setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor == "sqlite":  # not the test suite's file: a test run may be using it
        connection.settings_dict["TEST"]["NAME"] = str(settings.BASE_DIR / ".bench-seed-db.sqlite3")
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        if command == "time":
            time_seeds(int(argv[1]) if len(argv) > 1 else 5)
        elif command == "dump":
            dump(argv[1])
        else:
            raise SystemExit(__doc__)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
