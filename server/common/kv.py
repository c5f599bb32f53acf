"""Shared short-lived state: the database by default, Redis when REDIS_URL is set.

Each operation runs in its own transaction, apart from the request's session, so a lock or a
counter is visible to every app server at once and survives a failed request.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.common.timeutil import now_utc


class DatabaseKV:
    def __init__(self, engine):
        self.engine = engine
        from server.accounts.models import KVEntry
        self.table = KVEntry.__table__

    def _purge(self, conn, key: str) -> None:
        t = self.table
        conn.execute(delete(t).where(t.c.key == key, t.c.expires_at <= now_utc()))

    def add(self, key: str, value: str, ttl: int) -> bool:
        """Set key only if absent (or expired). True when this caller set it."""
        t = self.table
        try:
            with self.engine.begin() as conn:
                self._purge(conn, key)
                conn.execute(insert(t).values(key=key, value=value, counter=0,
                                              expires_at=now_utc() + timedelta(seconds=ttl)))
            return True
        except IntegrityError:
            return False

    def set(self, key: str, value: str, ttl: int) -> None:
        t = self.table
        expires = now_utc() + timedelta(seconds=ttl)
        with self.engine.begin() as conn:
            done = conn.execute(update(t).where(t.c.key == key).values(value=value, expires_at=expires))
            if done.rowcount == 0:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(t).values(key=key, value=value, counter=0, expires_at=expires))
                except IntegrityError:
                    conn.execute(update(t).where(t.c.key == key).values(value=value, expires_at=expires))

    def get(self, key: str) -> str | None:
        t = self.table
        with self.engine.connect() as conn:
            row = conn.execute(select(t.c.value).where(t.c.key == key, t.c.expires_at > now_utc())).first()
        return row[0] if row else None

    def delete(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.key == key))

    def incr(self, key: str, ttl: int) -> int:
        """Increment a counter that lives ttl seconds from its first hit; returns the new value."""
        t = self.table
        for _ in range(3):
            with self.engine.begin() as conn:
                self._purge(conn, key)
                done = conn.execute(update(t).where(t.c.key == key).values(counter=t.c.counter + 1))
                if done.rowcount:
                    return conn.execute(select(t.c.counter).where(t.c.key == key)).scalar_one()
                try:
                    with conn.begin_nested():
                        conn.execute(insert(t).values(key=key, value="", counter=1,
                                                      expires_at=now_utc() + timedelta(seconds=ttl)))
                    return 1
                except IntegrityError:
                    continue  # another server created it first: count on the existing row
        raise RuntimeError("rate counter contention")


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
