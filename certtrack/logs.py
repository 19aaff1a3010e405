"""Logging filters."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError

# "The database cannot be reached" (down, restarting, connection lost), as opposed to a bug in a
# query (ProgrammingError, IntegrityError), which keeps its traceback and its 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


class DatabaseUnavailableFilter(logging.Filter):
    """While the database is down every request fails the same way: log one line per request
    (a warning with the driver's message), not a forty-line traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, DATABASE_UNAVAILABLE):
            detail = " ".join(str(exc).split())
            record.msg = f"Database unavailable: {record.getMessage()}: {detail}"
            record.args = None
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
