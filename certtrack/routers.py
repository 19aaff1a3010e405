"""Read replica for dashboards (optional): DATABASE_REPLICA_URL names a PostgreSQL standby.

Only reads that ask for it go there: a view decorated with :func:`reads_from_replica` (the
leaders' dashboards, the JSON behind their charts) reads from the replica; everything else, and
every write, uses the primary, so an official always sees what they just saved. Without
DATABASE_REPLICA_URL the decorator changes nothing.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_use_replica: ContextVar[bool] = ContextVar("certtrack_use_replica", default=False)


def reads_from_replica(view):
    """Serve this view's reads from the replica when there is one."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        token = _use_replica.set(True)
        try:
            return view(*args, **kwargs)
        finally:
            _use_replica.reset(token)

    return wrapped


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _use_replica.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None  # the primary

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # the standby follows the primary's schema by replication
