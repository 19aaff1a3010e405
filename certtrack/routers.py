"""Read replica for the read-only pages (optional): DATABASE_REPLICA_URL names a PostgreSQL standby.

Which reads go there: the views named in :data:`REPLICA_VIEWS` (the leaders' dashboards, the
overview, the plan page, the data behind their charts, the assessment and the Excel report),
for GET and HEAD only, through :class:`ReplicaMiddleware`; a view may also be wrapped in
:func:`reads_from_replica`. Everything else, and every write, uses the primary. Without
DATABASE_REPLICA_URL nothing changes.

Three promises (docs/deploy.md, "Read replica"), tested against a real standby in
tests/cluster/:

- **Read your own writes.** After a request that may write (any method but GET, HEAD, OPTIONS),
  the primary's WAL position (``pg_current_wal_lsn()``) is kept in a signed cookie. A later
  replica read of that browser goes to the primary until the standby has replayed that
  position, so nobody ever sees an older value than one they just saved, on any app server.
- **A lagging replica says so.** When the standby has not replayed everything the primary has
  written and its last replayed transaction is older than ``CERTTRACK_REPLICA_LAG_NOTICE``
  seconds, the page says the time its data is from (``request.certtrack_data_as_of``).
- **A missing replica costs nothing.** When the standby does not answer, the page is read from
  the primary, and the standby is not asked again for ``RETRY_AFTER`` seconds in this process.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from contextvars import ContextVar

from django.conf import settings
from django.core import signing
from django.db import DatabaseError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
WRITTEN_COOKIE = "certtrack_written"
WRITTEN_SALT = "certtrack.routers.written"
WRITTEN_MAX_AGE = 600  # seconds: longer than any replication lag we would serve pages through
RETRY_AFTER = 5.0  # seconds without asking a standby that did not answer
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# The read-only pages served from the replica (URL names).
REPLICA_VIEWS = frozenset(
    {
        "indicators:overview",
        "indicators:overview_data",
        "indicators:region_dashboard",
        "indicators:region_data",
        "indicators:plan_detail",
        "indicators:plan_data",
        "indicators:assessment",
        "indicators:assessment_data",
        "indicators:report_export",
    }
)

_use_replica: ContextVar[bool] = ContextVar("certtrack_use_replica", default=False)
_down_until = 0.0


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def parse_lsn(text: str | None) -> int | None:
    """'16/B374D848' -> an integer that orders as the WAL does."""
    if not text:
        return None
    high, _, low = str(text).partition("/")
    try:
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError:
        return None


def _mark_down(exc: BaseException) -> None:
    global _down_until
    if not _down_until or time.monotonic() >= _down_until:
        log.warning("read replica unavailable, reading from the primary: %s", exc)
    _down_until = time.monotonic() + RETRY_AFTER
    try:
        connections[REPLICA].close()
    except DatabaseError:
        pass


def written_lsn(request) -> int | None:
    """The WAL position this browser last wrote at (signed cookie), if any."""
    value = request.COOKIES.get(WRITTEN_COOKIE)
    if not value:
        return None
    try:
        text = signing.get_cookie_signer(salt=WRITTEN_SALT).unsign(value, max_age=WRITTEN_MAX_AGE)
    except signing.BadSignature:
        return None
    return parse_lsn(text)


def choose_replica(request) -> bool:
    """Whether this request's reads may go to the replica; sets the lag notice when they do."""
    global _down_until
    if not replica_configured() or time.monotonic() < _down_until:
        return False
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_last_wal_replay_lsn()::text, pg_last_xact_replay_timestamp(), "
                "pg_is_in_recovery()"
            )
            replay_text, replayed_at, in_recovery = cursor.fetchone()
    except DatabaseError as exc:
        _mark_down(exc)
        return False
    _down_until = 0.0
    if not in_recovery:
        return True  # a promoted standby is a primary of its own: nothing to wait for
    replay = parse_lsn(replay_text)
    wrote = written_lsn(request)
    if wrote is not None and (replay is None or replay < wrote):
        return False  # this user wrote something the replica has not replayed yet
    threshold = float(getattr(settings, "CERTTRACK_REPLICA_LAG_NOTICE", 10))
    if replayed_at is not None and replay is not None:
        behind = dt.datetime.now(dt.UTC) - replayed_at
        if behind.total_seconds() > threshold:
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT pg_current_wal_lsn()::text")
                    current = parse_lsn(cursor.fetchone()[0])
            except DatabaseError:
                current = None
            if current is not None and replay < current:
                request.certtrack_data_as_of = replayed_at
    return True


def _render(response):
    # A TemplateResponse renders after the view returns: render it here, inside the replica's
    # context, so that the template's queries read from the same place as the view's.
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    return response


def serve_from_replica(request, call):
    """``call()`` with its reads on the replica when it may; on the primary when the replica
    fails during the request (the view is read-only, so it runs again)."""
    if not choose_replica(request):
        return _render(call())
    token = _use_replica.set(True)
    try:
        return _render(call())
    except DatabaseError as exc:
        _mark_down(exc)
        request.certtrack_data_as_of = None
    finally:
        _use_replica.reset(token)
    return _render(call())


def reads_from_replica(view):
    """Serve this view's reads from the replica when there is one (GET and HEAD)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        request = args[0] if args else None
        if request is None or not hasattr(request, "COOKIES"):
            token = _use_replica.set(True)
            try:
                return view(*args, **kwargs)
            finally:
                _use_replica.reset(token)
        if request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        return serve_from_replica(request, lambda: view(*args, **kwargs))

    return wrapped


class ReplicaMiddleware:
    """Reads of :data:`REPLICA_VIEWS` from the replica; the written position after a write.

    Last in MIDDLEWARE: its ``process_view`` calls the view itself, after every other
    middleware's ``process_view`` (sign-in required, CSRF) has run.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and replica_configured():
            self._remember_written(response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not replica_configured() or request.method not in ("GET", "HEAD"):
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name not in REPLICA_VIEWS:
            return None
        return serve_from_replica(request, lambda: view_func(request, *view_args, **view_kwargs))

    @staticmethod
    def _remember_written(response) -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_lsn()::text")
                lsn = cursor.fetchone()[0]
        except DatabaseError:
            return
        value = signing.get_cookie_signer(salt=WRITTEN_SALT).sign(lsn)
        response.set_cookie(
            WRITTEN_COOKIE,
            value,
            max_age=WRITTEN_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _use_replica.get() and replica_configured():
            return REPLICA
        return None  # the primary

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the standby follows the primary's schema by replication
