"""One JSON error envelope for the whole API.

{"error": {"code": "...", "message": "<Chinese, for the user>", "details": [{"field", "code", "message"}],
           "request_id": "..."}}

request_id is the request's id (also in the X-Request-ID response header): what a user or a
front-end team quotes to find the request in the logs.
"""
from __future__ import annotations

from dataclasses import dataclass

# A body can have more bad fields than anyone reads; the answer stays small whatever was sent.
MAX_DETAILS = 50


@dataclass
class Problem:
    """One bad field: machine code, Chinese message, the field at fault."""

    field: str | None
    code: str
    message: str

    def to_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 details: list[Problem] | None = None, headers: dict | None = None):
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details or [])
        if field is not None and not self.details:
            self.details.append(Problem(field, code, message))
        self.headers = headers or {}

    def to_dict(self) -> dict:
        from server.observability import request_id

        body = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = [d.to_dict() for d in self.details[:MAX_DETAILS]]
        rid = request_id()
        if rid:
            body["request_id"] = rid
        return {"error": body}


def validation_failed(problems: list[Problem], message: str = "请检查以下内容") -> ApiError:
    return ApiError(422, "validation_failed", message, details=problems)


def not_found(what: str = "resource", message: str = "没有找到相关内容") -> ApiError:
    return ApiError(404, f"{what}.not_found", message)


# --- HTTP wiring -----------------------------------------------------------------------------

_HTTP_DEFAULTS = {
    400: ("bad_request", "请求格式不正确"),
    401: ("auth.required", "请先登录"),
    403: ("forbidden", "您没有权限进行此操作"),
    404: ("not_found", "没有找到相关内容"),
    405: ("method_not_allowed", "不支持此操作"),
    409: ("conflict", "操作冲突，请刷新后重试"),
    413: ("payload_too_large", "文件或内容太大了"),
    415: ("unsupported_media_type", "请以 JSON 格式提交"),
    422: ("validation_failed", "请检查以下内容"),
    429: ("rate_limited", "操作太频繁了，请稍后再试"),
    500: ("internal_error", "系统开小差了，请稍后再试"),
    503: ("unavailable", "服务暂时不可用，请稍后再试"),
}

# marshmallow's English messages, turned into plain Chinese for the user.
_FIELD_MESSAGES = [
    ("Missing data for required field", "field.required", "此项必填"),
    ("Unknown field", "field.unknown", "不支持此项"),
    ("Field may not be null", "field.required", "此项不能为空"),
    ("Not a valid date", "field.date", "日期格式不正确，应为 年-月-日（如 2026-12-01）"),
    ("Not a valid datetime", "field.datetime", "时间格式不正确"),
    ("Not a valid integer", "field.integer", "请填写整数"),
    ("Not a valid boolean", "field.boolean", "请选择是或否"),
    ("Not a valid string", "field.string", "请填写文字"),
    ("Must be one of", "field.choice", "请从给出的选项中选择"),
    ("Length must be", "field.length", "长度不符合要求"),
    ("Shorter than minimum length", "field.length", "内容太短"),
    ("Longer than maximum length", "field.length", "内容太长"),
    ("Must be greater than or equal", "field.range", "数值太小"),
    ("Must be less than or equal", "field.range", "数值太大"),
    ("Invalid input type", "field.type", "格式不正确"),
    ("Invalid input", "field.invalid", "格式不正确"),
    ("Not a valid", "field.invalid", "格式不正确"),
]


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _translate(message: str) -> tuple[str, str]:
    if _has_cjk(message):
        return "field.invalid", message
    for needle, code, chinese in _FIELD_MESSAGES:
        if needle in message:
            return code, chinese
    return "field.invalid", "格式不正确"


def problems_from_messages(messages, prefix: str = "") -> list[Problem]:
    """Flatten webargs/marshmallow nested messages into one Problem per bad field."""
    out: list[Problem] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "form", "files", "multipart", "view_args", "headers") and not prefix:
                out.extend(problems_from_messages(value, ""))
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or None
            out.extend(problems_from_messages(value, name or ""))
    elif isinstance(messages, (list, tuple)):
        if messages and all(isinstance(m, str) for m in messages):
            code, text = _translate(messages[0])
            out.append(Problem(prefix or None, code, text))
        else:
            for item in messages:
                out.extend(problems_from_messages(item, prefix))
    elif isinstance(messages, str):
        code, text = _translate(messages)
        out.append(Problem(prefix or None, code, text))
    return out


def register_error_handlers(app) -> None:
    import logging

    from flask import jsonify
    from sqlalchemy.exc import SQLAlchemyError
    from werkzeug.exceptions import HTTPException

    log = logging.getLogger("server.errors")

    def respond(err: ApiError):
        resp = jsonify(err.to_dict())
        resp.status_code = err.status
        for k, v in err.headers.items():
            resp.headers[k] = v
        return resp

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return respond(err)

    def _http_error(exc: HTTPException):
        status = exc.code or 500
        code, message = _HTTP_DEFAULTS.get(status, ("http_error", "请求无法处理"))
        details = []
        data = getattr(exc, "data", None) or {}
        if status == 422 and data.get("messages"):
            details = problems_from_messages(data["messages"])
        elif status == 400 and data.get("messages"):
            details = [Problem(None, "bad_request", "请求内容不是有效的 JSON")]
        err = ApiError(status, code, message, details=details)
        if status == 405 and getattr(exc, "valid_methods", None):
            err.headers["Allow"] = ", ".join(exc.valid_methods)
        return respond(err)

    app.register_error_handler(HTTPException, _http_error)

    def _rollback() -> None:
        from server.extensions import db
        try:
            db.session.rollback()
        except Exception:  # the connection may be gone with the database: nothing to undo then
            log.debug("rollback failed", exc_info=True)

    @app.errorhandler(SQLAlchemyError)
    def _database_error(exc: SQLAlchemyError):
        from server import dbfaults
        from server.observability import metrics

        if not dbfaults.is_unavailable(exc):
            return _unexpected(exc)
        _rollback()
        if dbfaults.is_conflict(exc):
            log.warning("request gave up after repeated database conflicts: %s", dbfaults.describe(exc))
        else:
            dbfaults.burst.failed(exc)  # one log line per outage, no traceback, no parameters
        metrics().db_unavailable.inc()
        return respond(ApiError(503, *_HTTP_DEFAULTS[503],
                                headers={"Retry-After": str(app.config.get("DB_RETRY_AFTER", 5))}))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if app.testing and not app.config.get("SWALLOW_ERRORS"):
            raise exc  # fail tests loudly instead of hiding bugs behind a 500 body
        log.exception("unhandled error")
        _rollback()
        return respond(ApiError(500, *_HTTP_DEFAULTS[500]))
