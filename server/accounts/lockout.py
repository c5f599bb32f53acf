"""Back-off for failed staff logins, per (username as typed, source address).

The first FREE_FAILURES failures cost nothing; each one after that blocks the pair for twice as long
as the one before, from FIRST_DELAY up to MAX_DELAY (minutes, not hours: the owner is never kept out
for long, and a stranger elsewhere cannot keep them out at all). A success from that source, a
quiet FORGET_AFTER, or `flask staff unlock` clears it.

Each write runs in its own transaction: the failing login request rolls its session back, and
concurrent failures must all count. Every app server sees the same rows.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.accounts.models import StaffLoginFailure
from server.extensions import db

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=24)

_T = StaffLoginFailure.__table__


def delay_after(failures: int) -> timedelta | None:
    """How long a pair is blocked after its n-th failure in a row (pure)."""
    if failures < FREE_FAILURES:
        return None
    steps = min(failures - FREE_FAILURES, 20)  # 2**20 × 30 s is far past the cap already
    return min(FIRST_DELAY * (2 ** steps), MAX_DELAY)


def _key(username: str, source: str | None) -> tuple[str, str]:
    return (username or "")[:64], (source or "-")[:64]


def blocked_until(username: str, source: str | None, now: datetime) -> datetime | None:
    name, src = _key(username, source)
    with db.engine.connect() as conn:
        until = conn.execute(select(_T.c.locked_until).where(
            _T.c.username == name, _T.c.source == src)).scalar()
    if until is not None and until.tzinfo is None:  # SQLite hands back naive UTC
        until = until.replace(tzinfo=now.tzinfo)
    return until if until is not None and until > now else None


def record_failure(username: str, source: str | None, now: datetime) -> datetime | None:
    """Count one failure; returns until when the pair is now blocked, if it is."""
    name, src = _key(username, source)
    where = (_T.c.username == name) & (_T.c.source == src)
    for _ in range(3):
        with db.engine.begin() as conn:
            # A pair quiet for a day starts again from nothing.
            conn.execute(update(_T).where(where, _T.c.last_failure_at < now - FORGET_AFTER)
                         .values(failures=0))
            done = conn.execute(update(_T).where(where)
                                .values(failures=_T.c.failures + 1, last_failure_at=now))
            if not done.rowcount:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(_T).values(username=name, source=src, failures=1,
                                                       last_failure_at=now))
                except IntegrityError:
                    continue  # another server inserted it first: count on that row
                conn.execute(delete(_T).where(_T.c.last_failure_at < now - FORGET_AFTER))
            failures = conn.execute(select(_T.c.failures).where(where)).scalar_one()
            delay = delay_after(failures)
            if delay is None:
                return None
            conn.execute(update(_T).where(where).values(locked_until=now + delay))
            return now + delay
    raise RuntimeError("login failure counter contention")


def clear(username: str, source: str | None) -> None:
    name, src = _key(username, source)
    with db.engine.begin() as conn:
        conn.execute(delete(_T).where(_T.c.username == name, _T.c.source == src))


def state(username: str) -> tuple[datetime | None, int]:
    """For an operator's view: the latest block on this username from any source, and the failures
    counted over all sources."""
    name, _ = _key(username, None)
    with db.engine.connect() as conn:
        until, failures = conn.execute(select(func.max(_T.c.locked_until), func.sum(_T.c.failures))
                                       .where(_T.c.username == name)).one()
    if until is not None and until.tzinfo is None:  # SQLite hands back naive UTC
        until = until.replace(tzinfo=timezone.utc)
    return until, int(failures or 0)


def unlock(username: str) -> int:
    """Forget every failure of this username from every source; returns how many sources it had."""
    name, _ = _key(username, None)
    with db.engine.begin() as conn:
        return conn.execute(delete(_T).where(_T.c.username == name)).rowcount
