"""How the API describes itself: the one error envelope, public operations, multipart bodies and
binary answers in the OpenAPI document that front-end teams build on.

Every module's routes use the Blueprint below instead of flask-smorest's, so the document and the
answers come from the same place.
"""
from __future__ import annotations

import json
from pathlib import Path

import flask_smorest
from apispec import BasePlugin
from flask_smorest.fields import Upload
from marshmallow import fields
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from server.common.schemas import StrictSchema

# --- the error envelope ----------------------------------------------------------------------------


class ErrorDetailSchema(StrictSchema):
    field = fields.String(required=True, allow_none=True,
                          metadata={"description": "出错的字段名（与请求里的字段名一致）；与某个字段无关时为 null"})
    code = fields.String(required=True, metadata={"description": "机器可读的原因，如 field.required"})
    message = fields.String(required=True, metadata={"description": "给用户看的中文说明"})


class ErrorBodySchema(StrictSchema):
    code = fields.String(required=True, metadata={
        "description": "机器可读的错误码，如 validation_failed、auth.required、filing.not_found"})
    message = fields.String(required=True, metadata={"description": "给用户看的中文说明"})
    details = fields.List(fields.Nested(ErrorDetailSchema), metadata={
        "description": "每个有问题的字段一项（没有时省略）"})
    request_id = fields.String(metadata={"description": "本次请求的编号，反馈问题时请提供"})


class ErrorSchema(StrictSchema):
    """所有错误的统一格式"""

    error = fields.Nested(ErrorBodySchema, required=True)


class OneOfSchemas(fields.Field):
    """A value that is exactly one of several shapes (e.g. the chat's replies: text, options, each
    card). Documentation only: the views build these values themselves."""

    def __init__(self, *schemas, **kwargs):
        self.schemas = schemas
        super().__init__(**kwargs)


def _one_of2properties(self, field, **kwargs):
    if isinstance(field, OneOfSchemas):
        return {"oneOf": [self.resolve_nested_schema(s) for s in field.schemas]}
    return {}


_ANY_OBJECT_OR_NULL = {"type": "object", "nullable": True}


def _null_only(self, field, ret=None, **kwargs):
    """apispec writes a nullable nested schema as anyOf [any object or null, the schema]: any
    object would then pass. Narrow the first branch to null itself."""
    if ret and _ANY_OBJECT_OR_NULL in ret.get("anyOf", []):
        ret["anyOf"] = [{"$ref": b["$ref"]} if "$ref" in b else b for b in ret["anyOf"]
                        if b != _ANY_OBJECT_OR_NULL] + [{**_ANY_OBJECT_OR_NULL, "enum": [None]}]
    return {}


# --- response examples -----------------------------------------------------------------------------

EXAMPLES_FILE = Path(__file__).with_name("openapi_examples.json")


class ResponseExamples(BasePlugin):
    """Puts a real answer beside each documented JSON response: bodies the API gave in its own test
    flows (scripts/collect_examples.py), checked against their schemas by the test suite."""

    def __init__(self, path: Path = EXAMPLES_FILE):
        self.examples = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            by_status = self.examples.get(f"{method.upper()} {path}", {})
            for status, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get("application/json") if isinstance(response, dict) else None
                if media is not None and str(status) in by_status:
                    media["example"] = by_status[str(status)]


class Api(flask_smorest.Api):
    # flask-smorest's own error schema (integer code, status, errors) is not what the API answers.
    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *args, extra_plugins=None, **kwargs):
        super()._init_spec(*args, extra_plugins=[*(extra_plugins or ()), ResponseExamples()], **kwargs)
        self.ma_plugin.converter.add_attribute_function(_one_of2properties)
        self.ma_plugin.converter.add_attribute_function(_null_only)
        from server.common.signed_urls import SECURITY_SCHEME
        self.spec.components.security_scheme("signedUrl", SECURITY_SCHEME)


# --- request bodies --------------------------------------------------------------------------------


class Parser(FlaskParser):
    """Adds the "multipart" location: form fields and file parts of one multipart/form-data body,
    validated by one schema (so the document shows the file part beside the other fields)."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


__all__ = ["Api", "Blueprint", "ErrorSchema", "OneOfSchemas", "PUBLIC", "Upload", "binary_response", "header_parameter"]


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

    def response(self, status_code, schema=None, *, dump: bool = True, **kwargs):
        """As flask-smorest's, plus `dump=False`: the schema documents a body that the service has
        already built (hot paths and prebuilt JSON); the test suite checks every such body against
        the document, so the two cannot drift apart."""
        if dump or schema is None:
            return super().response(status_code, schema, **kwargs)
        documented = super().response(status_code, schema, **kwargs)
        raw = super().response(status_code, None, **kwargs)

        def decorator(func):
            wrapper = raw(func)
            wrapper._apidoc = documented(func)._apidoc
            return wrapper

        return decorator


# --- operation helpers -----------------------------------------------------------------------------

# An operation anyone may call: no bearer token (overrides the document's top-level requirement).
PUBLIC = {"security": []}


def binary_response(*mimes: str, description: str, headers: dict | None = None) -> dict:
    """`@blp.doc(**binary_response(...))` for an answer that is a file, not JSON."""
    resp = {"description": description,
            "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in mimes}}
    if headers:
        resp["headers"] = headers
    return {"responses": {"200": resp}}


def header_parameter(name: str, description: str, *, max_length: int = 128) -> dict:
    return {"in": "header", "name": name, "required": False, "description": description,
            "schema": {"type": "string", "maxLength": max_length}}
