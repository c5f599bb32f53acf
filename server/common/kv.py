"""Shared short-lived state: the database by default, Redis when REDIS_URL is set.

Each operation runs in its own transaction (or several in one, inside `together()`), apart from the
request's session, so a lock or a counter is visible to every app server at once and survives a
failed request.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, case, delete, select

from server.common.timeutil import now_utc


class DatabaseKV:
    """Each operation is one statement (INSERT ... ON CONFLICT, which SQLite and PostgreSQL both
    have, for writes): no read-then-write race to retry, no savepoint. The statements are built
    once, with bound parameters (building and keying them on every call cost more than the old
    three statements). Operations inside `together()` share one transaction and one commit."""

    def __init__(self, engine):
        self.engine = engine
        from server.accounts.models import KVEntry
        self.table = t = KVEntry.__table__
        if engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as upsert
        else:
            from sqlalchemy.dialects.sqlite import insert as upsert
        self._local = threading.local()
        when = t.c.expires_at.type
        now, expires = bindparam("now", type_=when), bindparam("expires", type_=when)
        expired = t.c.expires_at <= now
        row = {"key": bindparam("key"), "value": bindparam("value"), "counter": 0, "expires_at": expires}
        add = upsert(t).values(row)
        # An expired row is taken over, as if it had been purged first; a live one is left alone.
        self._add = add.on_conflict_do_update(
            index_elements=[t.c.key], where=expired,
            set_={"value": add.excluded.value, "counter": 0, "expires_at": add.excluded.expires_at},
        ).returning(t.c.key)  # RETURNING, not rowcount: psycopg reports no row count for an upsert
        put = upsert(t).values(row)
        self._set = put.on_conflict_do_update(
            index_elements=[t.c.key], set_={"value": put.excluded.value, "expires_at": put.excluded.expires_at})
        incr = upsert(t).values({**row, "value": "", "counter": 1})
        self._incr = incr.on_conflict_do_update(index_elements=[t.c.key], set_={
            "counter": case((expired, 1), else_=t.c.counter + 1),
            "expires_at": case((expired, incr.excluded.expires_at), else_=t.c.expires_at),
            "value": case((expired, ""), else_=t.c.value),
        }).returning(t.c.counter)
        self._get = select(t.c.value).where(t.c.key == bindparam("key"), t.c.expires_at > now)
        self._delete = delete(t).where(t.c.key == bindparam("key"))

    @contextmanager
    def together(self):
        """Run the operations inside in one transaction (one commit instead of one each). It commits
        also when the block raises (a rate-limit hit must count even when the request fails)."""
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        with self.engine.connect() as conn:
            trans = conn.begin()
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None
                if trans.is_active:
                    trans.commit()

    def _run(self, stmt, params: dict, fetch=None, write: bool = True):
        """Execute on the shared transaction or in one of its own; `fetch` reads the result before
        the commit (SQLite refuses to commit while a RETURNING result is unread)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            result = conn.execute(stmt, params)
            return fetch(result) if fetch else None
        with (self.engine.begin() if write else self.engine.connect()) as conn:
            result = conn.execute(stmt, params)
            return fetch(result) if fetch else None

    @staticmethod
    def _times(ttl: int) -> dict:
        now = now_utc()
        return {"now": now, "expires": now + timedelta(seconds=ttl)}

    def add(self, key: str, value: str, ttl: int) -> bool:
        """Set key only if absent (or expired). True when this caller set it."""
        return self._run(self._add, {"key": key, "value": value, **self._times(ttl)},
                         lambda r: r.first() is not None)

    def set(self, key: str, value: str, ttl: int) -> None:
        self._run(self._set, {"key": key, "value": value, **self._times(ttl)})

    def get(self, key: str) -> str | None:
        row = self._run(self._get, {"key": key, "now": now_utc()}, lambda r: r.first(), write=False)
        return row[0] if row else None

    def delete(self, key: str) -> None:
        self._run(self._delete, {"key": key})

    def incr(self, key: str, ttl: int) -> int:
        """Increment a counter that lives ttl seconds from its first hit; returns the new value."""
        return self._run(self._incr, {"key": key, **self._times(ttl)}, lambda r: r.scalar_one())


class RedisKV:
    def __init__(self, url: str):
        import redis

        self.r = redis.Redis.from_url(url, socket_timeout=2, decode_responses=True)

    def add(self, key, value, ttl):
        return bool(self.r.set(key, value, nx=True, ex=ttl))

    def set(self, key, value, ttl):
        self.r.set(key, value, ex=ttl)

    def get(self, key):
        return self.r.get(key)

    def delete(self, key):
        self.r.delete(key)

    def together(self):
        return nullcontext()  # each Redis command stands on its own

    def incr(self, key, ttl):
        pipe = self.r.pipeline()
        pipe.incr(key)
        pipe.expire(key, ttl, nx=True)
        count, _ = pipe.execute()
        return int(count)


def get_kv():
    ext = current_app.extensions
    if "kv" not in ext:
        url = current_app.config.get("REDIS_URL")
        from server.extensions import db
        ext["kv"] = RedisKV(url) if url else DatabaseKV(db.engine)
    return ext["kv"]


def hit_rate_limit(name: str, ident: str, limit: int, window: int = 60) -> None:
    """Raise 429 once `ident` has made more than `limit` calls of `name` in the current window."""
    from server.errors import ApiError

    bucket = int(now_utc().timestamp()) // window
    count = get_kv().incr(f"rl:{name}:{ident}:{bucket}", window + 5)
    if count > limit:
        retry = window - int(now_utc().timestamp()) % window
        raise ApiError(429, "rate_limited", "操作太频繁了，请稍后再试",
                       headers={"Retry-After": str(retry)})
