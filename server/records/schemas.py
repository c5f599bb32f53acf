"""The shapes of 备案记录 answers (server/records/service.py builds them; the test suite checks every
body against these through the OpenAPI document)."""
from __future__ import annotations

from marshmallow import fields

from server.common.schemas import CNDateTime, ResponseSchema, page_of

OPTIONAL = {"optional": True}


class RecordSummarySchema(ResponseSchema):
    id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "备案编号"})
    number_display = fields.String(allow_none=True, metadata={"description": "分组显示的备案编号（如 YD 6H9T FHE5 PWW）"})
    person_name = fields.String(allow_none=True)
    family_member_id = fields.Integer(allow_none=True, metadata={"description": "为家人备案时是家人的 id"})
    is_self = fields.Boolean()
    filing_type = fields.String(allow_none=True)
    filing_type_label = fields.String(allow_none=True)
    insured_region_code = fields.String(allow_none=True)
    insured_region_name = fields.String(allow_none=True)
    visit_region_code = fields.String(allow_none=True)
    visit_region_name = fields.String(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    status = fields.String(metadata={"description": "保存的状态"})
    status_label = fields.String()
    effective_status = fields.String(metadata={"description": "今天看到的状态（过了结束日期的显示为已过期）"})
    effective_status_label = fields.String()
    submitted_at = CNDateTime(allow_none=True)
    proof_owed = fields.Boolean(metadata={"description": "是否还欠着承诺补交的证明材料"})


RecordPageSchema = page_of(RecordSummarySchema, "RecordPageSchema")


class RecordDocumentSchema(ResponseSchema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "proof（证明材料）或 letter（个人承诺书）"})
    doc_code = fields.String(allow_none=True)
    doc_label = fields.String(allow_none=True)
    mime = fields.String()
    size = fields.Integer()
    uploaded_at = CNDateTime()
    url = fields.String(metadata={"description": "下载地址"})


class ProofStateSchema(ResponseSchema):
    owed = fields.Boolean()
    due_date = fields.Date(allow_none=True)
    overdue = fields.Boolean()
    supplied_at = CNDateTime(allow_none=True)
    message = fields.String(allow_none=True)


class TimelineEntrySchema(ResponseSchema):
    at = CNDateTime()
    action = fields.String()
    label = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    actor_label = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    status_label = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class VerificationSchema(ResponseSchema):
    at = CNDateTime()
    institution_name = fields.String(allow_none=True)
    text = fields.String()


class CancelStateSchema(ResponseSchema):
    allowed = fields.Boolean()
    unlocked_on = fields.Date(allow_none=True, metadata={"description": "从哪天起可以撤销"})
    message = fields.String(allow_none=True)


class OriginInstitutionSchema(ResponseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class RecordDetailSchema(RecordSummarySchema):
    person_id_masked = fields.String(allow_none=True)
    relation = fields.String(allow_none=True)
    scheme = fields.String(allow_none=True)
    scheme_label = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True, metadata=OPTIONAL)
    contact_phone_masked = fields.String(allow_none=True, metadata=OPTIONAL)
    address = fields.String(allow_none=True)
    proof_mode = fields.String(allow_none=True)
    proof_mode_label = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    decided_at = CNDateTime(allow_none=True)
    approved_on = fields.Date(allow_none=True)
    return_reason = fields.String(allow_none=True, metadata={"description": "退回补充材料的原因（已退回时）"})
    reject_reason = fields.String(allow_none=True, metadata={
        "description": "审核不通过的原因（未通过时）。已退回时这里也带着退回原因，此用法已弃用，请读 return_reason"})
    review_due_at = CNDateTime(allow_none=True)
    review_due_message = fields.String(allow_none=True)
    superseded_by_id = fields.Integer(allow_none=True, metadata={"description": "变更后的新备案"})
    change_pending_filing_id = fields.Integer(allow_none=True, metadata={
        "description": "正在审核中的变更申请（新备案）的 id"})
    origin_institution = fields.Nested(OriginInstitutionSchema, allow_none=True, metadata={
        "description": "从哪家医院的窗口二维码开始的（只记来源，不限制就医机构）"})
    replaces_id = fields.Integer(allow_none=True, metadata={"description": "变更前的原备案"})
    documents = fields.List(fields.Nested(RecordDocumentSchema))
    letter = fields.Nested(RecordDocumentSchema, allow_none=True, metadata={"description": "个人承诺书"})
    proof = fields.Nested(ProofStateSchema)
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    verifications = fields.List(fields.Nested(VerificationSchema), metadata={"description": "医院窗口的查验记录"})
    cancel = fields.Nested(CancelStateSchema, allow_none=True)
    can_withdraw = fields.Boolean()
    can_extend = fields.Boolean()
    voucher_available = fields.Boolean()


class VoucherSchema(ResponseSchema):
    voucher = fields.String(metadata={"description": "凭证码：窗口核验时作为 voucher 提交（POST /staff/verify）"})
    token = fields.String(metadata={"description": "同 voucher（已弃用，请读 voucher）", "deprecated": True})
    filing_id = fields.Integer()
    number = fields.String(allow_none=True)
    qr_url = fields.String(metadata={"description": "凭证二维码图片"})
    summary = fields.Nested(RecordSummarySchema)
