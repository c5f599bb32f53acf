"""Request schemas of the chat contract (responses are plain dicts built by the service)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from server.common.schemas import StrictSchema


class SessionCreateSchema(StrictSchema):
    entry = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=512),
                          metadata={"description": "柜台二维码里的 token（从医院窗口扫码进入时）"})


class MessageSchema(StrictSchema):
    text = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000),
                         metadata={"description": "用户输入的文字"})
    choice = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                           metadata={"description": "所点选项的 value"})
    sent_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None,
                                   metadata={"description": "发送时间（“明天”等相对日期以它为准）"})

    @validates_schema
    def _one_of(self, data, **kwargs):
        has_text = bool((data.get("text") or "").strip())
        if has_text == (data.get("choice") is not None and data.get("choice") != ""):
            raise ValidationError("请发送文字或选择一个选项", "text")
