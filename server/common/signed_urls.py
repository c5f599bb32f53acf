"""Short-lived signed URLs for files (documents, letters, QR images).

A mini-program's <image>, wx.previewImage and wx.downloadFile cannot send an Authorization header,
so the JSON answers give file URLs that carry their own proof: `?sig=` signs the path (one object)
and the viewer (one user or one staff account) with SECRET_KEY, valid for SIGNED_URL_TTL_SECONDS
(10 minutes by default). The file endpoint still applies its own access rule to that viewer; the
signature only stands in for the header.
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import quote

from flask import current_app, g, has_app_context, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from server.errors import ApiError

_SALT = "file-url.v1"
DEFAULT_TTL = 600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def ttl_seconds() -> int:
    return int(current_app.config.get("SIGNED_URL_TTL_SECONDS", DEFAULT_TTL))


def _viewer() -> str | None:
    """Who asked for the JSON that carries the URL: "u<id>" or "s<id>", else None."""
    if not has_app_context():
        return None
    user = g.get("user") or g.get("token_user")
    if user is not None:
        return f"u{user.id}"
    staff = g.get("staff") or g.get("token_staff")
    if staff is not None:
        return f"s{staff.id}"
    return None


def file_url(path: str, viewer: str | None = None) -> str:
    """`path` with a signature for the current viewer (unchanged outside an identified request)."""
    viewer = viewer or _viewer()
    if viewer is None:
        return path
    token = _serializer().dumps([path, viewer])
    return f"{path}?sig={quote(token)}"


def _check(token: str) -> str:
    try:
        path, viewer = _serializer().loads(token, max_age=ttl_seconds())
    except SignatureExpired:
        raise ApiError(401, "url.expired", "链接已过期，请返回上一页重新打开") from None
    except (BadSignature, ValueError, TypeError):
        raise ApiError(401, "url.invalid", "链接无效，请返回上一页重新打开") from None
    if path != request.path:  # signed for another object
        raise ApiError(401, "url.invalid", "链接无效，请返回上一页重新打开")
    return viewer


def _load_viewer(viewer: str) -> None:
    from server.accounts.models import StaffAccount, User
    from server.extensions import db

    kind, ident = viewer[:1], viewer[1:]
    if not ident.isdigit():
        raise ApiError(401, "url.invalid", "链接无效，请返回上一页重新打开")
    if kind == "u":
        user = db.session.get(User, int(ident))
        if user is None:
            raise ApiError(401, "url.invalid", "链接无效，请返回上一页重新打开")
        g.user = g.token_user = user
        g.token_staff = None
    elif kind == "s":
        staff = db.session.get(StaffAccount, int(ident))
        if staff is None or not staff.active:
            raise ApiError(401, "url.invalid", "链接无效，请返回上一页重新打开")
        g.staff = g.token_staff = staff
        g.token_user = None
    else:
        raise ApiError(401, "url.invalid", "链接无效，请返回上一页重新打开")
    g.signed_viewer = viewer


def signed_or_bearer(fn):
    """A file endpoint: the bearer header, or instead a valid `sig` for this path. The answer may
    be kept privately by the client until the link expires, never by a shared cache."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        token = request.args.get("sig")
        if token and not request.headers.get("Authorization"):
            _load_viewer(_check(token))
        try:
            resp = current_app.make_response(fn(*args, **kwargs))
            if g.get("signed_viewer") and resp.status_code == 200:
                resp.headers["Cache-Control"] = f"private, max-age={ttl_seconds()}"
            return resp
        finally:
            g.pop("signed_viewer", None)

    return wrapper


# How the document describes it: the file operations accept either.
SECURITY_SCHEME = {"type": "apiKey", "in": "query", "name": "sig",
                   "description": "文件链接自带的签名（JSON 里给出的 url 已带上；10 分钟内有效，只对这个文件和这位用户有效）"}
FILE_SECURITY = {"security": [{"bearerAuth": []}, {"signedUrl": []}]}
