"""The shapes of the operators' answers."""
from __future__ import annotations

from marshmallow import fields

from server.common.openapi import Upload
from server.common.schemas import CNDateTime, ResponseSchema, StrictSchema


class StaffAccountSchema(ResponseSchema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    role = fields.String(metadata={"description": "reviewer、counter 或 operator"})
    region_codes = fields.List(fields.String())
    institution_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    locked = fields.Boolean(metadata={"description": "多次输错密码后暂时锁定"})
    locked_until = CNDateTime(allow_none=True)
    failed_logins = fields.Integer()


class StaffAccountListSchema(ResponseSchema):
    items = fields.List(fields.Nested(StaffAccountSchema))


class ImportFileSchema(StrictSchema):
    file = Upload(required=True, metadata={"description": "CSV 或 JSON 文件（文件名以 .json 结尾时按 JSON 读）"})


class ImportErrorSchema(ResponseSchema):
    line = fields.Integer(allow_none=True)
    field = fields.String(allow_none=True)
    message = fields.String()


class ImportResultSchema(ResponseSchema):
    imported = fields.Boolean(metadata={"description": "有任何一行不对时为 false，什么都不导入"})
    rows = fields.Integer()
    inserted = fields.Integer()
    updated = fields.Integer()
    error_count = fields.Integer()
    errors = fields.List(fields.Nested(ImportErrorSchema), metadata={"description": "按行号列出的问题（最多列出一部分）"})


class DeadLetterSchema(ResponseSchema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String(allow_none=True)
    filing_id = fields.Integer(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    created_at = CNDateTime()


class DeadLetterListSchema(ResponseSchema):
    items = fields.List(fields.Nested(DeadLetterSchema))


class QueuedSchema(ResponseSchema):
    queued = fields.Integer(metadata={"description": "重新排队的条数"})
