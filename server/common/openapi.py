"""How the API describes itself: the one error envelope, public operations, multipart bodies and
binary answers in the OpenAPI document that front-end teams build on.

Every module's routes use the Blueprint below instead of flask-smorest's, so the document and the
answers come from the same place.
"""
from __future__ import annotations

import flask_smorest
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


class Api(flask_smorest.Api):
    # flask-smorest's own error schema (integer code, status, errors) is not what the API answers.
    ERROR_SCHEMA = ErrorSchema


# --- request bodies --------------------------------------------------------------------------------


class Parser(FlaskParser):
    """Adds the "multipart" location: form fields and file parts of one multipart/form-data body,
    validated by one schema (so the document shows the file part beside the other fields)."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


__all__ = ["Api", "Blueprint", "ErrorSchema", "PUBLIC", "Upload", "binary_response", "header_parameter"]


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
