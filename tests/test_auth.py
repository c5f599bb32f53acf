"""Login through the real requests path against a fake WeChat server on 127.0.0.1."""
from __future__ import annotations

import logging
import threading

import pytest

from server import create_app
from server.accounts.models import User
from server.config import TestConfig
from tests.conftest import login


@pytest.fixture(autouse=True)
def _reset(fake_wechat):
    fake_wechat.reset()
    yield


def test_wechat_login_success_creates_user_and_keeps_session_key_private(client, db, fake_wechat, caplog):
    caplog.set_level(logging.DEBUG)
    resp = client.post("/api/v1/auth/wechat", json={"code": "ok-wx-user-1"})
    assert resp.status_code == 200
    body = resp.json
    assert set(body) == {"token", "expires_at", "user"}
    assert body["expires_at"].endswith("+08:00")
    text = resp.get_data(as_text=True)
    assert "SESSIONKEY" not in text and "test-app-secret" not in text
    user = db.session.execute(db.select(User).filter_by(openid="wx-user-1")).scalar_one()
    assert user.session_key_enc and "SESSIONKEY" not in user.session_key_enc
    call = fake_wechat.calls_for("/sns/jscode2session")[0]
    assert call["query"]["appid"] == "wx-test-appid"
    assert call["query"]["grant_type"] == "authorization_code"
    assert "test-app-secret" not in caplog.text and "SESSIONKEY" not in caplog.text
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json["id"] == user.id


def test_unionid_is_stored(client, db):
    resp = client.post("/api/v1/auth/wechat", json={"code": "ok-union-42"})
    assert resp.status_code == 200
    user = db.session.execute(db.select(User).filter_by(openid="union-42")).scalar_one()
    assert user.unionid == "union-42"


@pytest.mark.parametrize("code,status,err", [
    ("err-40029", 401, "auth.code_invalid"),
    ("err-40163", 401, "auth.code_invalid"),
    ("err-45011", 429, "auth.too_frequent"),
    ("err--1", 503, "wechat.unavailable"),
    ("slow", 503, "wechat.unavailable"),
    ("html", 503, "wechat.unavailable"),
    ("boom", 503, "wechat.unavailable"),
])
def test_wechat_errors_map_to_clear_errors(client, code, status, err):
    resp = client.post("/api/v1/auth/wechat", json={"code": code})
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == err
    assert resp.json["error"]["message"]


def test_unreachable_wechat_is_503(app, db):
    app.config["WECHAT_API_BASE"], saved = "http://127.0.0.1:9", app.config["WECHAT_API_BASE"]
    try:
        resp = app.test_client().post("/api/v1/auth/wechat", json={"code": "ok-x"})
    finally:
        app.config["WECHAT_API_BASE"] = saved
    assert resp.status_code == 503
    assert resp.json["error"]["code"] == "wechat.unavailable"


def test_same_code_sent_twice_at_once_makes_one_call(app, fake_wechat):
    fake_wechat.delay = 0.3
    results = []

    def post():
        results.append(app.test_client().post("/api/v1/auth/wechat", json={"code": "ok-twice"}))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200, 200]
    assert len(fake_wechat.calls_for("/sns/jscode2session")) == 1
    assert results[0].json["user"]["id"] == results[1].json["user"]["id"]


def test_missing_code_is_validation_error(client):
    resp = client.post("/api/v1/auth/wechat", json={})
    assert resp.status_code == 422
    assert resp.json["error"]["details"][0]["field"] == "code"


def test_logout_revokes_token(client):
    headers = login(client, "openid-bob")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "auth.invalid_token"


def test_expired_and_forged_tokens_are_401(app, client, db):
    from server.accounts.models import AuthToken
    from server.common.timeutil import now_utc
    from datetime import timedelta

    headers = login(client, "openid-carol")
    with app.app_context():
        for token in db.session.execute(db.select(AuthToken)).scalars():
            token.expires_at = now_utc() - timedelta(seconds=1)
        db.session.commit()
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401 and resp.json["error"]["code"] == "auth.token_expired"
    forged = {"Authorization": headers["Authorization"][:-3] + "abc"}
    assert client.get("/api/v1/me", headers=forged).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_token_from_one_app_server_works_on_another(app):
    """Two app instances on one database: nothing that matters lives in process memory."""
    other = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                  WECHAT_API_BASE=app.config["WECHAT_API_BASE"]))
    headers = login(app.test_client(), "openid-dave")
    resp = other.test_client().get("/api/v1/me", headers=headers)
    assert resp.status_code == 200
    assert other.test_client().post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    with other.app_context():
        from server.extensions import db
        db.session.remove()


def test_dev_login_disabled_when_configured_off(app):
    app.config["DEV_LOGIN_ENABLED"] = False
    try:
        resp = app.test_client().post("/api/v1/auth/dev", json={"openid": "x"})
    finally:
        app.config["DEV_LOGIN_ENABLED"] = True
    assert resp.status_code == 404


def test_login_rate_limited_per_wechat_user(app, monkeypatch):
    """Fixed one-minute windows on a frozen clock (it sits one second before a window's edge, where
    a real clock made this test fail): the limit within one window, then the next window."""
    from datetime import datetime, timedelta, timezone

    from server.common import kv

    clock = {"now": datetime(2026, 3, 2, 8, 15, 59, tzinfo=timezone.utc)}
    monkeypatch.setattr(kv, "now_utc", lambda: clock["now"])
    app.config["RATE_LIMIT_LOGIN_PER_MINUTE"], saved = 3, app.config["RATE_LIMIT_LOGIN_PER_MINUTE"]
    try:
        client = app.test_client()
        statuses = [client.post("/api/v1/auth/wechat", json={"code": f"ok-rl~{i}"}).status_code
                    for i in range(5)]
        limited = client.post("/api/v1/auth/wechat", json={"code": "ok-rl~5"})
        # Other WeChat users from the same address are not held back by this one.
        others = [client.post("/api/v1/auth/wechat", json={"code": f"ok-rl-other-{i}"}).status_code
                  for i in range(5)]
        clock["now"] += timedelta(seconds=1)  # the next window
        after = client.post("/api/v1/auth/wechat", json={"code": "ok-rl~6"}).status_code
    finally:
        app.config["RATE_LIMIT_LOGIN_PER_MINUTE"] = saved
    assert statuses == [200, 200, 200, 429, 429]
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert others == [200] * 5
    assert after == 200


def test_profile_update_and_validation(client, auth):
    from tests.idgen import resident_id

    number = resident_id()
    resp = client.patch("/api/v1/me", headers=auth, json={
        "name": "张三", "id_number": number, "phone": "13812345678",
        "default_insured_region_code": "330700", "default_scheme": "employee"})
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in resp.get_data(as_text=True)
    assert body["phone_masked"] == "138****5678"
    assert body["default_insured_region_code"] == "330700"
    bad = client.patch("/api/v1/me", headers=auth, json={
        "id_number": number[:-1] + ("0" if number[-1] != "0" else "1"), "phone": "12345",
        "default_insured_region_code": "999999"})
    assert bad.status_code == 422
    fields = {d["field"] for d in bad.json["error"]["details"]}
    assert fields == {"id_number", "phone", "default_insured_region_code"}
    assert client.get("/api/v1/me", headers=auth).json["phone_masked"] == "138****5678"


def test_profile_accepts_municipality_alias_code(client, auth):
    resp = client.patch("/api/v1/me", headers=auth, json={"default_insured_region_code": "310100"})
    assert resp.status_code == 200
    assert resp.json["default_insured_region_code"] == "310000"


def test_profile_update_changes_nothing_when_any_value_is_bad(app, client, auth):
    from server.accounts.models import User
    from server.accounts.service import update_profile
    from server.errors import ApiError
    from server.extensions import db
    from tests.idgen import resident_id

    with app.test_request_context():
        user = db.session.execute(db.select(User).filter_by(openid="openid-alice")).scalar_one()
        with pytest.raises(ApiError):
            update_profile(user, {"id_number": resident_id(), "phone": "12345", "name": "王五"})
        assert user.id_number_enc is None and user.id_number_masked is None and user.name is None
        db.session.rollback()
