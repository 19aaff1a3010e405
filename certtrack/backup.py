"""Backups through Django's serializers, for SQLite (``make backup`` / ``make restore``).

PostgreSQL is backed up with pg_dump -Fc and restored with pg_restore (bin/backup, bin/restore);
this module is the database-independent path, and the one the round-trip test exercises.

    python -m certtrack.backup dump backups/certtrack-20261122-101500.backup.gz
    python -m certtrack.backup restore backups/certtrack-20261122-101500.backup.gz

The file is JSON in the "backup" format (certtrack/serializers.py: times kept to the
microsecond), gzip-compressed when the name ends in .gz; loaddata reads it by its name.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management import call_command
from django.db import transaction

# Rebuilt by migrate (content types, permissions) or worthless after a restore (sessions).
EXCLUDE = ["contenttypes", "auth.permission", "sessions"]


def dump(path: str | Path) -> Path:
    """Write every table worth keeping to ``path`` (``NAME.backup``, or ``NAME.backup.gz`` etc.).

    Natural keys for content types, so the file loads into any freshly migrated database.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    call_command(
        "dumpdata",
        format="backup",
        natural_foreign=True,
        natural_primary=False,
        exclude=EXCLUDE,
        output=str(path),
        indent=None,
        verbosity=0,
    )
    return path


def restore(path: str | Path) -> None:
    """Replace the database's content with the file's: empty it, then load, all in one transaction."""
    with transaction.atomic():
        call_command("flush", interactive=False, verbosity=0)
        call_command("loaddata", str(path), verbosity=0)


def main(argv: list[str]) -> int:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certtrack.settings")
    django.setup()
    if len(argv) != 2 or argv[0] not in ("dump", "restore"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "dump":
        print(dump(argv[1]))
    else:
        restore(argv[1])
        print(f"Restored {argv[1]}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
