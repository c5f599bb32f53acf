"""Use cases of accounts: WeChat login, the development login, the profile, logout."""
from __future__ import annotations

import hashlib
import time

from flask import current_app, request

from server.accounts.models import User
from server.accounts.tokens import issue_token
from server.common import crypto, datakeys
from server.common.kv import get_kv, hit_rate_limit
from server.errors import ApiError
from server.extensions import db
from server.wechat import WeChatError, WeChatGateway

_WECHAT_ERRORS = {
    "invalid_code": (401, "auth.code_invalid", "登录凭证已失效，请重新进入小程序"),
    "too_frequent": (429, "auth.too_frequent", "登录太频繁了，请稍后再试"),
    "unavailable": (503, "wechat.unavailable", "微信服务暂时不可用，请稍后再试"),
    "rejected": (503, "wechat.rejected", "微信登录暂时不可用，请稍后再试"),
}
_PENDING = "pending"
_CODE_TTL = 120


def _wechat_error(kind: str) -> ApiError:
    status, code, message = _WECHAT_ERRORS.get(kind, _WECHAT_ERRORS["unavailable"])
    return ApiError(status, code, message)


def _upsert_user(openid: str, unionid: str | None, session_key: str | None) -> User:
    user = None
    if unionid:
        user = db.session.execute(db.select(User).filter_by(unionid=unionid)).scalar_one_or_none()
    if user is None:
        user = db.session.execute(db.select(User).filter_by(openid=openid)).scalar_one_or_none()
    if user is None:
        user = User(openid=openid)
        db.session.add(user)
    if unionid:
        user.unionid = unionid
    if session_key:
        user.session_key_enc = crypto.encrypt(session_key, current_app.config["DATA_KEY"])
    db.session.flush()
    return user


def login_response(user: User) -> dict:
    token, record = issue_token(user=user)
    return {"token": token, "expires_at": record.expires_at, "user": user}


def login_with_wechat(code: str) -> dict:
    # Limits per caller: a generous one per source address (carriers put many phones behind one),
    # one per code (a repeated code waits for the first request: it must not hold many workers) and
    # one per WeChat user once WeChat says who it is.
    cfg = current_app.config
    kv = get_kv()
    # The code itself is a one-time credential: only its digest is used as a key.
    digest = hashlib.sha256(code.encode()).hexdigest()
    key = "wxcode:" + digest
    # Both counters and the code's claim in one commit; a limit hit is committed all the same.
    with kv.together():
        hit_rate_limit("login-addr", request.remote_addr or "-", cfg["RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE"])
        hit_rate_limit("login-code", digest, cfg["RATE_LIMIT_LOGIN_PER_MINUTE"])
        claimed = kv.add(key, _PENDING, _CODE_TTL)
    if not claimed:
        return _await_other_login(key)
    try:
        session = WeChatGateway.from_app().code2session(code)
    except WeChatError as exc:
        kv.set(key, f"error:{exc.kind}", _CODE_TTL)
        raise _wechat_error(exc.kind) from None
    except Exception:
        kv.delete(key)
        raise
    try:
        hit_rate_limit("login-openid", hashlib.sha256(session.openid.encode()).hexdigest(),
                       cfg["RATE_LIMIT_LOGIN_PER_MINUTE"])
    except ApiError:
        kv.set(key, "error:too_frequent", _CODE_TTL)
        raise
    user = _upsert_user(session.openid, session.unionid, session.session_key)
    answer = login_response(user)
    # The user and the token in one commit, before the code says whom it logged in (a second
    # request with the same code then finds both). What was just written stays loaded: the
    # answer is built from it without reading it back.
    db_session = db.session()
    db_session.expire_on_commit = False
    try:
        db_session.commit()
    finally:
        db_session.expire_on_commit = True
    kv.set(key, f"user:{user.id}", _CODE_TTL)
    return answer


def _await_other_login(key: str) -> dict:
    """A second request with the same code waits for the first one's answer instead of calling WeChat."""
    deadline = time.monotonic() + current_app.config["WECHAT_TIMEOUT"] + 2
    kv = get_kv()
    while time.monotonic() < deadline:
        value = kv.get(key)
        if value and value.startswith("user:"):
            user = db.session.get(User, int(value[5:]))
            if user is not None:
                return login_response(user)
        if value and value.startswith("error:"):
            raise _wechat_error(value[6:])
        if value is None:
            break
        time.sleep(0.05)
    raise ApiError(503, "auth.login_in_progress", "正在登录，请稍后再试")


def dev_login(openid: str) -> dict:
    if not current_app.config["DEV_LOGIN_ENABLED"]:
        raise ApiError(404, "not_found", "没有找到相关内容")
    user = _upsert_user(openid, None, None)
    return login_response(user)


def update_profile(user: User, data: dict) -> User:
    from server.common.idnumbers import IdNumberError, mask_id, validate_id_number
    from server.errors import Problem, validation_failed
    from server.regions.catalogue import get_catalogue

    problems = []
    id_info = None
    if "default_insured_region_code" in data and data["default_insured_region_code"] is not None:
        region = get_catalogue().get(data["default_insured_region_code"])
        if region is None or region.level == "province":
            problems.append(Problem("default_insured_region_code", "region.unknown", "请选择正确的参保地"))
        else:
            data["default_insured_region_code"] = region.code
    if "id_number" in data and data["id_number"]:
        try:
            id_info = validate_id_number(data["id_number"])
        except IdNumberError as exc:
            problems.append(Problem("id_number", exc.code, exc.message))
    if data.get("phone"):
        from server.common.idnumbers import InputError, validate_mobile
        try:
            data["phone"] = validate_mobile(data["phone"])
        except InputError as exc:
            problems.append(Problem("phone", exc.code, exc.message))
    if problems:
        raise validation_failed(problems)  # nothing is changed unless every value is valid
    if id_info is not None:
        key = current_app.config["DATA_KEY"]
        user.id_number_enc = crypto.encrypt(id_info.number, key)
        user.id_number_hash = datakeys.lookup_hash(id_info.number)
        user.id_number_masked = mask_id(id_info.number)
    for field in ("name", "phone", "default_insured_region_code", "default_scheme", "nickname"):
        if field in data:
            setattr(user, field, data[field])
    db.session.flush()
    return user
