"""Bearer tokens: a random id signed with the app secret, with its record in the database.

The signature rejects garbage without a query; the record makes logout, expiry and staff
deactivation take effect on every app server at once.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

from flask import current_app, g, request
from itsdangerous import BadSignature, Signer
from sqlalchemy import bindparam, select, update

from server.accounts.models import AuthToken, StaffAccount, User
from server.common.timeutil import now_utc
from server.config import signing_secrets
from server.errors import ApiError
from server.extensions import db


# One statement for the token, its revocation and whoever holds it, built once: it runs on every
# authenticated request. The token comes back as plain columns (an ORM object for it cost more
# than the rest of the lookup); the holder is the ORM object the services work with.
_TOKENS = AuthToken.__table__
_TOKEN_LOOKUP = (
    select(_TOKENS.c.id, _TOKENS.c.user_id, _TOKENS.c.staff_id, _TOKENS.c.expires_at,
           _TOKENS.c.revoked_at, User, StaffAccount)
    .select_from(_TOKENS)
    .outerjoin(User, _TOKENS.c.user_id == User.id)
    .outerjoin(StaffAccount, _TOKENS.c.staff_id == StaffAccount.id)
    .where(_TOKENS.c.id == bindparam("token_id")))


@dataclass(frozen=True)
class TokenInfo:
    """The current request's token as read (not an ORM object: revocation is an UPDATE)."""
    id: str
    user_id: int | None
    staff_id: int | None
    expires_at: datetime


def _signer() -> Signer:
    # itsdangerous signs with the last key and accepts all: the old ones stay valid during a rotation.
    # Built once per set of keys (it derives a key from each): every authenticated request needs it.
    cfg = current_app.config
    cache = current_app.extensions.setdefault("auth_token_signers", {})
    keys = (cfg["SECRET_KEY"], cfg.get("SECRET_KEYS_OLD"))
    signer = cache.get(keys)
    if signer is None:
        signer = cache[keys] = Signer(list(reversed(signing_secrets(cfg))), salt="auth-token")
    return signer


def issue_token(*, user: User | None = None, staff: StaffAccount | None = None) -> tuple[str, AuthToken]:
    ttl = current_app.config["STAFF_TOKEN_TTL_SECONDS" if staff else "TOKEN_TTL_SECONDS"]
    record = AuthToken(id=secrets.token_hex(16), user_id=user.id if user else None,
                       staff_id=staff.id if staff else None,
                       expires_at=now_utc() + timedelta(seconds=ttl))
    db.session.add(record)
    db.session.flush()
    return _signer().sign(record.id).decode(), record


def _unauthorized(message: str = "请先登录") -> ApiError:
    return ApiError(401, "auth.required", message, headers={"WWW-Authenticate": "Bearer"})


def _load_token() -> TokenInfo:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise _unauthorized()
    try:
        token_id = _signer().unsign(header[7:].strip()).decode()
    except BadSignature:
        raise ApiError(401, "auth.invalid_token", "登录信息无效，请重新登录") from None
    row = db.session.execute(_TOKEN_LOOKUP, {"token_id": token_id}).first()
    if row is None or row.revoked_at is not None:
        raise ApiError(401, "auth.invalid_token", "登录信息无效，请重新登录")
    if row.expires_at <= now_utc():
        raise ApiError(401, "auth.token_expired", "登录已过期，请重新登录")
    g.token_user, g.token_staff = row.User, row.StaffAccount
    return TokenInfo(row.id, row.user_id, row.staff_id, row.expires_at)


def current_token() -> TokenInfo:
    if "auth_token" not in g:
        g.auth_token = _load_token()
    return g.auth_token


def current_user() -> User:
    if "user" not in g:
        token = current_token()
        if token.user_id is None or g.token_user is None:
            raise ApiError(403, "auth.user_only", "此功能需要用微信登录使用")
        g.user = g.token_user
    return g.user


def current_staff() -> StaffAccount:
    if "staff" not in g:
        current_token()
        staff = g.token_staff
        if staff is None:
            raise ApiError(403, "auth.staff_only", "此功能仅限工作人员使用")
        if not staff.active:
            raise ApiError(401, "auth.account_disabled", "账号已停用")
        g.staff = staff
    return g.staff


# Each wrapper also names its check as `auth_check`; functools.wraps carries it out to the view the
# blueprint registers, so the app runs it before flask-smorest parses the body (see
# server.register_request_hooks). The wrapper checks again, at no cost, for calls outside a request.


def user_required(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        current_user()
        return fn(*args, **kwargs)
    wrapper.auth_check = current_user
    return wrapper


def staff_required(*roles: str):
    def check() -> StaffAccount:
        staff = current_staff()
        if roles and staff.role not in roles:
            raise ApiError(403, "auth.role", "您的账号没有此权限")
        return staff

    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            check()
            return fn(*args, **kwargs)
        wrapper.auth_check = check
        return wrapper
    return decorate


def revoke_current() -> None:
    token = current_token()
    db.session.execute(update(AuthToken).where(AuthToken.id == token.id).values(revoked_at=now_utc()))
