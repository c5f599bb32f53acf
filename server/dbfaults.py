"""When the database cannot be used: which errors mean that, bounded retries of conflicts, and one
log line per burst instead of a traceback per request.

A request that fails this way has committed nothing (the request commits once, at its end), so
the caller may simply try again: it gets 503 with Retry-After. A serialization failure or deadlock
rolls the whole transaction back, so the whole request is tried again a few times first.
"""
from __future__ import annotations

import logging
import random
import threading
import time

from sqlalchemy import exc as sa_exc

log = logging.getLogger("server.db")

# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected.
_CONFLICT_STATES = {"40001", "40P01"}
# SQLite: another writer holds the lock past busy_timeout, or the file cannot be used.
_SQLITE_TRANSIENT = ("database is locked", "database is busy", "unable to open database", "disk i/o error")


def _sqlstate(err: BaseException) -> str | None:
    orig = getattr(err, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def is_conflict(err: BaseException) -> bool:
    """A serialization failure or deadlock: the transaction was rolled back and may be retried."""
    return isinstance(err, sa_exc.DBAPIError) and _sqlstate(err) in _CONFLICT_STATES


def is_unavailable(err: BaseException) -> bool:
    """The database could not be used for this request (down, unreachable, overloaded, pool
    exhausted, connection lost, a conflict that outlived its retries), as opposed to a bug."""
    if isinstance(err, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True
    if not isinstance(err, sa_exc.DBAPIError):
        return False
    if err.connection_invalidated or is_conflict(err):
        return True
    if isinstance(err, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        orig = getattr(err, "orig", None)
        if type(orig).__module__.startswith("sqlite3"):
            # SQLite reports bugs (no such table, syntax) as OperationalError too.
            text = str(orig).lower()
            return any(s in text for s in _SQLITE_TRANSIENT)
        return True
    return False


def describe(err: BaseException) -> str:
    """A log-safe description: the driver's error class and SQLSTATE, never statement parameters."""
    orig = getattr(err, "orig", None) or err
    state = _sqlstate(err)
    return f"{type(err).__name__}/{type(orig).__name__}" + (f" sqlstate={state}" if state else "")


class _Burst:
    """Logs the first failure of an outage, counts the rest, and logs once when a request succeeds
    again. Per process and only about logging: nothing here decides an answer."""

    def __init__(self, quiet_seconds: float = 30.0):
        self.quiet = quiet_seconds
        self.lock = threading.Lock()
        self.active = False
        self.started = 0.0
        self.last_logged = 0.0
        self.suppressed = 0
        self.total = 0

    def failed(self, err: BaseException) -> None:
        now = time.monotonic()
        with self.lock:
            self.total += 1
            if self.active and now - self.last_logged < self.quiet:
                self.suppressed += 1
                return
            first = not self.active
            self.active, self.last_logged = True, now
            if first:
                self.started, self.total = now, 1
            suppressed, self.suppressed = self.suppressed, 0
        if first:
            log.error("database unavailable: %s; answering 503 until it is back", describe(err))
        else:
            log.error("database still unavailable: %s (%d more failed requests since the last line)",
                      describe(err), suppressed)

    def succeeded(self) -> None:
        if not self.active:  # the common case: no lock taken
            return
        with self.lock:
            if not self.active:
                return
            self.active = False
            seconds, total = time.monotonic() - self.started, self.total
        log.warning("database reachable again after %.1f s (%d failed requests)", seconds, total)


burst = _Burst()


def dispatch_with_retries(app, dispatch):
    """Run the view and commit its work here, so that a serialization failure or deadlock, in the
    view or in the commit, runs the whole request again (up to DB_CONFLICT_RETRIES more times).
    A failed answer (4xx, 5xx) commits nothing: the request hook rolls it back."""
    from flask import g

    from server.common import writes
    from server.extensions import db

    attempt = 0
    while True:
        try:
            response = app.make_response(dispatch())
            if response.status_code < 400 and writes.has_writes(db.session):
                db.session.commit()
            return response
        except sa_exc.DBAPIError as err:
            if not is_conflict(err) or attempt >= app.config.get("DB_CONFLICT_RETRIES", 2):
                raise
            attempt += 1
            db.session.rollback()
            for name in ("auth_token", "user", "staff", "token_user", "token_staff"):
                g.pop(name, None)
            time.sleep(random.uniform(0.01, 0.05) * attempt)  # de-synchronise the two sides
            log.info("retrying a request after %s (attempt %d)", describe(err), attempt + 1)
