"""Two writers on two database connections at once, for the row-lock tests (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection, transaction

WAIT = 20  # seconds any step may wait for the other before the test gives up


def first_holds_while_second_writes(
    first: Callable[[], None], second: Callable[[], None], *, pause: float = 0.5
) -> list[Exception]:
    """Run ``first()`` in a transaction on one connection and keep it open; once it is inside,
    start ``second()`` on another connection, give it ``pause`` seconds to reach the locks the
    first holds, then commit the first and let both finish. Returns what either raised."""
    inside, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                first()
                inside.set()
                release.wait(WAIT)
        except Exception as exc:  # noqa: BLE001 - returned to the test
            errors.append(exc)
        finally:
            inside.set()
            connection.close()

    def write():
        try:
            inside.wait(WAIT)
            second()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=write)]
    for t in threads:
        t.start()
    inside.wait(WAIT)
    time.sleep(pause)
    release.set()
    for t in threads:
        t.join(WAIT + 10)
    return errors
