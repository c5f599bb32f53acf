"""Request input checked once, before any view or schema sees it.

- Path integers: `<int:…>` only matches what a database integer can hold (larger ids cannot exist: 404).
- Text: NUL characters (PostgreSQL refuses them) and lone surrogates (not encodable as UTF-8) in the
  path, the query, form fields, file names or anywhere in a JSON body: 422 naming the field; a NUL
  in a header: 400.
- JSON bodies: size, total number of members and nesting depth are bounded, so a hostile body is
  refused before a schema spends time on it or reports one problem per member.
"""
from __future__ import annotations

import json
import re

from flask import request
from werkzeug.routing import IntegerConverter

from server.errors import ApiError, Problem, validation_failed

# The largest id any table here can hold (BIGINT / SQLite INTEGER); larger ones cannot exist.
MAX_ID = 2**63 - 1
# The commitment signature (base64 PNG, up to 3 MB) is the largest JSON body with a purpose.
MAX_JSON_BYTES = 4 * 1024 * 1024
# Members of all objects in one body together; the largest real form has a few dozen.
MAX_JSON_MEMBERS = 500
MAX_JSON_DEPTH = 16

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a non-negative integer that fits a database integer, else 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _id_param_schema(converter) -> dict:
    return {"type": "integer", "minimum": 0, "maximum": MAX_ID}


def register(app, api) -> None:
    """Before the blueprints: routes pick up the bounded converter when they are added."""
    app.url_map.converters["int"] = IdConverter
    api.register_converter(IdConverter, _id_param_schema)
    app.before_request(check_request)


def has_bad_text(value: str) -> bool:
    return bool(_BAD_TEXT.search(value))


def _bad_text(field: str | None) -> ApiError:
    return validation_failed([Problem(field or None, "field.invalid_characters",
                                      "含有无法识别的字符，请删除后重新填写")])


def _too_large_json() -> ApiError:
    return ApiError(413, "payload_too_large", "提交的内容太多了，请精简后再试")


def _too_many_members() -> ApiError:
    return ApiError(413, "request.too_many_fields",
                    f"提交的内容项太多了（一次最多{MAX_JSON_MEMBERS}项），请精简后再试")


def _too_deep() -> ApiError:
    return ApiError(400, "request.too_deep", f"请求内容的层级太多了（最多{MAX_JSON_DEPTH}层）")


def check_request() -> None:
    if has_bad_text(request.path):
        raise _bad_text("path")
    for name, value in request.headers.items():
        if "\x00" in value:  # e.g. Idempotency-Key, which is stored
            raise ApiError(400, "bad_request", "请求格式不正确", field=name)
    for key, value in request.args.items(multi=True):
        if has_bad_text(key) or has_bad_text(value):
            raise _bad_text(key if not has_bad_text(key) else None)
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for key, value in request.form.items(multi=True):
            if has_bad_text(key) or has_bad_text(value):
                raise _bad_text(key if not has_bad_text(key) else None)
        for key, upload in request.files.items(multi=True):
            if has_bad_text(key) or has_bad_text(upload.filename or ""):
                raise _bad_text(key if not has_bad_text(key) else None)
    elif request.is_json:
        _check_json_body()


def _check_json_body() -> None:
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise _too_large_json()
    data = request.get_data(cache=True)
    if len(data) > MAX_JSON_BYTES:
        raise _too_large_json()
    if not data.strip():
        return
    # Cheap upper bound first: every member name ends in `":` (escaped quotes inside strings are
    # `\"`, so a string value rarely adds to this), so a body of 600,000 keys is refused unparsed.
    if data.count(b'":') > MAX_JSON_MEMBERS * 4:
        raise _too_many_members()
    members = 0

    def count_members(pairs):
        nonlocal members
        members += len(pairs)
        if members > MAX_JSON_MEMBERS:
            raise _too_many_members()
        return dict(pairs)

    try:
        doc = json.loads(data, object_pairs_hook=count_members)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError):
        return  # not JSON: the arguments parser answers its usual 400
    _walk(doc)


def _walk(doc) -> None:
    """Depth and text of every value, iteratively (the body may be as deep as the parser allows)."""
    stack = [(doc, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(value, str):
            if has_bad_text(value):
                raise _bad_text(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                if has_bad_text(key):
                    raise _bad_text(path)
                stack.append((item, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{i}" if path else str(i), depth + 1)
                         for i, item in enumerate(value))
