"""Rate limits, login de-duplication and the WeChat access token live in shared storage:
the database by default, Redis when REDIS_URL is set; never only in one process's memory."""
from __future__ import annotations

import os
import uuid

import pytest

from server import create_app
from server.common.kv import DatabaseKV, RedisKV
from server.config import TestConfig

REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _exercise(kv):
    key = f"t:{uuid.uuid4().hex}"
    assert kv.get(key) is None
    assert kv.add(key, "first", 30) is True
    assert kv.add(key, "second", 30) is False
    assert kv.get(key) == "first"
    kv.set(key, "third", 30)
    assert kv.get(key) == "third"
    kv.delete(key)
    assert kv.get(key) is None
    counter = f"c:{uuid.uuid4().hex}"
    assert [kv.incr(counter, 30) for _ in range(3)] == [1, 2, 3]


def test_database_kv(app, db):
    _exercise(DatabaseKV(db.engine))


def test_database_kv_expiry(app, db):
    kv = DatabaseKV(db.engine)
    assert kv.add("short", "x", 0) is True
    assert kv.get("short") is None          # expired at once
    assert kv.add("short", "y", 30) is True  # an expired key can be taken again
    assert kv.incr("short-counter", 0) == 1
    assert kv.incr("short-counter", 30) == 1  # a new window after expiry


def test_database_kv_is_shared_between_app_instances(app):
    from server.common.kv import get_kv

    other = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    with app.app_context():
        assert get_kv().add("shared-lock", "a", 30)
    with other.app_context():
        assert get_kv().get("shared-lock") == "a"
        assert get_kv().add("shared-lock", "b", 30) is False
        from server.extensions import db
        db.engine.dispose()


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set (scripts/test sets it when Redis answers)")
def test_redis_kv():
    _exercise(RedisKV(REDIS_URL))


@pytest.mark.skipif(not REDIS_URL, reason="TEST_REDIS_URL not set")
def test_login_dedup_and_rate_limit_through_redis(app, fake_wechat):
    app.config["REDIS_URL"] = REDIS_URL
    app.extensions.pop("kv", None)
    try:
        client = app.test_client()
        code = f"ok-redis-{uuid.uuid4().hex[:8]}"
        fake_wechat.reset()
        first = client.post("/api/v1/auth/wechat", json={"code": code})
        again = client.post("/api/v1/auth/wechat", json={"code": code})
        assert first.status_code == again.status_code == 200
        assert len(fake_wechat.calls_for("/sns/jscode2session")) == 1
        assert isinstance(app.extensions["kv"], RedisKV)
    finally:
        app.config["REDIS_URL"] = None
        app.extensions.pop("kv", None)
