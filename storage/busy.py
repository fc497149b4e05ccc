"""Telling "the database is busy" (another writer holds the lock) from a real failure.

SQLite waits busy_timeout for another writer's lock and then fails with "database is locked";
PostgreSQL fails a lock wait or a conflicting transaction with a retryable SQLSTATE. Either way
nothing was written and the same request will work in a moment.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

BUSY_MESSAGE = "The database is busy; try again in a moment. Nothing was changed."

_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
# lock_not_available (lock_timeout), deadlock_detected, serialization_failure
_PG_RETRYABLE = frozenset({"55P03", "40P01", "40001"})


def is_busy(exc: BaseException) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    original = exc.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if code in _PG_RETRYABLE:
        return True
    text = str(original).lower()
    return any(marker in text for marker in _SQLITE_BUSY)
