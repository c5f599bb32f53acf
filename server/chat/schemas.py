"""Schemas of the chat contract: the requests, and the answers the service builds (the test suite
checks every answer against these through the OpenAPI document)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from server.common.openapi import OneOfSchemas
from server.common.schemas import CNDateTime, ResponseSchema, StrictSchema


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


# --- answers: the chat contract (docs/chat.md) ------------------------------------------------------
# One schema per reply kind and per card. A card is {"type": "card", "card": "<its name>", ...its
# fields beside the name}; the summary's choices are under `actions`.

def _kind(value: str):
    return fields.String(validate=validate.OneOf([value]))


class LabelValueSchema(ResponseSchema):
    label = fields.String()
    value = fields.String(metadata={"description": "点选时作为 choice 发回"})


class OptionSchema(LabelValueSchema):
    description = fields.String(metadata={"optional": True, "description": "一句说明（备案类型有）"})


class TextReplySchema(ResponseSchema):
    type = _kind("text")
    text = fields.String()
    source_url = fields.String(allow_none=True, metadata={
        "optional": True, "description": "回答问题时，答案出处的网址"})


class OptionsReplySchema(ResponseSchema):
    type = _kind("options")
    options = fields.List(fields.Nested(OptionSchema))


class SummaryFieldSchema(ResponseSchema):
    key = fields.String()
    label = fields.String()
    value = fields.String(allow_none=True)


class SummaryCardSchema(ResponseSchema):
    """请核对备案信息：每一项和“确认无误”“改某项”的选择"""

    type = _kind("card")
    card = _kind("summary")
    title = fields.String()
    items = fields.List(fields.Nested(SummaryFieldSchema), data_key="fields")
    actions = fields.List(fields.Nested(LabelValueSchema), metadata={
        "description": "confirm，以及每项一个 change:<key>"})


class ResultCardSchema(ResponseSchema):
    """提交后的结果"""

    type = _kind("card")
    card = _kind("result")
    filing_id = fields.Integer(allow_none=True)
    filing_number = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    status_label = fields.String(allow_none=True)
    message = fields.String(allow_none=True)
    record_url = fields.String(metadata={"description": "/api/v1/records/<id>"})


class PrivacyNoticeCardSchema(ResponseSchema):
    """个人信息保护告知书（摘要和全文地址）"""

    type = _kind("card")
    card = _kind("privacy_notice")
    title = fields.String(allow_none=True)
    version = fields.String(allow_none=True)
    text = fields.String(allow_none=True, metadata={"description": "摘要"})
    url = fields.String(allow_none=True, metadata={"description": "全文：GET /api/v1/consent"})


class NoticeCardSchema(ResponseSchema):
    """备案告知书"""

    type = _kind("card")
    card = _kind("notice")
    title = fields.String(allow_none=True)
    text = fields.String(allow_none=True)
    version = fields.String(allow_none=True)


class UploadDocumentSchema(ResponseSchema):
    code = fields.String(metadata={"description": "上传时的 doc_code"})
    label = fields.String()


class UploadRequestCardSchema(ResponseSchema):
    """请上传证明材料（与页面用同一个接口）"""

    type = _kind("card")
    card = _kind("upload_request")
    filing_id = fields.Integer(allow_none=True)
    method = fields.String()
    url = fields.String(metadata={"description": "POST /api/v1/filings/<id>/documents"})
    file_field = fields.String()
    documents = fields.List(fields.Nested(UploadDocumentSchema), metadata={"description": "任选其一"})
    done_value = fields.String(metadata={"description": "传好后作为 choice 发回"})


class SignatureRequestCardSchema(ResponseSchema):
    """请签署个人承诺书"""

    type = _kind("card")
    card = _kind("signature_request")
    filing_id = fields.Integer(allow_none=True)
    method = fields.String()
    url = fields.String(metadata={"description": "POST /api/v1/filings/<id>/commitment"})
    text_url = fields.String(metadata={"description": "承诺书全文：GET /api/v1/filings/<id>/commitment"})
    done_value = fields.String()


class AddFamilyMemberCardSchema(ResponseSchema):
    """去“亲情账户”页面添加家人"""

    type = _kind("card")
    card = _kind("add_family_member")
    method = fields.String()
    url = fields.String()
    text = fields.String()


class IdentityRequestCardSchema(ResponseSchema):
    """去“我的”页面填写姓名和证件号码"""

    type = _kind("card")
    card = _kind("identity_request")
    method = fields.String()
    url = fields.String()
    text = fields.String(metadata={"optional": True})


class ConsentRequestCardSchema(ResponseSchema):
    """去同意个人信息保护告知书"""

    type = _kind("card")
    card = _kind("consent_request")
    method = fields.String()
    url = fields.String()


CARD_SCHEMAS = (SummaryCardSchema, PrivacyNoticeCardSchema, NoticeCardSchema, UploadRequestCardSchema,
                SignatureRequestCardSchema, AddFamilyMemberCardSchema, IdentityRequestCardSchema,
                ConsentRequestCardSchema, ResultCardSchema)
REPLY_SCHEMAS = (TextReplySchema, OptionsReplySchema, *CARD_SCHEMAS)


def card_name(schema: type) -> str:
    return schema._declared_fields["card"].validate.choices[0]


def _replies(**kwargs):
    return fields.List(OneOfSchemas(*REPLY_SCHEMAS), **kwargs)


class ChatDraftSchema(ResponseSchema):
    """The contract's `draft`: every field always present, null where unknown."""

    insured_region_code = fields.String(allow_none=True)
    insured_region_name = fields.String(allow_none=True, metadata={"description": "全称"})
    visit_region_code = fields.String(allow_none=True)
    visit_region_name = fields.String(allow_none=True, metadata={"description": "全称"})
    scheme = fields.String(allow_none=True)
    filing_type = fields.String(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    applicant = fields.Raw(allow_none=True, metadata={"description": "self 或家人的 id", "oneOf": [
        {"type": "string", "enum": ["self", None], "nullable": True}, {"type": "integer"}]})
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True, metadata={"description": "已脱敏"})
    address = fields.String(allow_none=True)
    notice_accepted = fields.Boolean()
    proof = fields.String(allow_none=True, metadata={"description": "uploaded、commitment 或 none"})
    status = fields.String(metadata={"optional": True, "description": "提交后才有"})
    filing_number = fields.String(allow_none=True, metadata={"optional": True, "description": "提交后才有"})


class ChatTurnSchema(ResponseSchema):
    session_id = fields.String()
    replies = _replies()
    draft = fields.Nested(ChatDraftSchema)
    filing_id = fields.Integer(allow_none=True, metadata={"description": "对话填写的草稿；建立前为 null"})


class ChatMessageSchema(ResponseSchema):
    role = fields.String(metadata={"description": "user 或 assistant"})
    text = fields.String(allow_none=True, metadata={"description": "已脱敏"})
    replies = _replies(allow_none=True, metadata={"description": "助手的回复（用户的消息为 null）"})
    created_at = CNDateTime()


class ChatSessionSchema(ResponseSchema):
    session_id = fields.String()
    draft = fields.Nested(ChatDraftSchema)
    filing_id = fields.Integer(allow_none=True)
    expecting = fields.String(allow_none=True, metadata={"description": "助手正在等待回答的问题"})
    messages = fields.List(fields.Nested(ChatMessageSchema))
    created_at = CNDateTime()
    updated_at = CNDateTime()
