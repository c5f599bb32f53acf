"""Request schemas of the filing flow. They also describe the mini-program's forms: each field's
`metadata` carries what a page needs (label, widget, options endpoint, hint, when it is required),
and `scripts/build_miniapp_schema.py` turns these schemas into `miniapp_schema/*.json`."""
from __future__ import annotations

from marshmallow import INCLUDE, ValidationError, fields, validate

from server.common.openapi import ErrorDetailSchema, Upload
from server.common.schemas import CNDateTime, CodeLabelSchema, ResponseSchema, StrictSchema, page_of
from server.filing import rules

REGIONS = "/api/v1/regions"
OPTIONS = "/api/v1/options"


class ApplicantField(fields.Field):
    """"self" or the id of one of the user's family members."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "self":
            return "self"
        if isinstance(value, bool):
            raise ValidationError("请选择自己备案或一位家人")
        try:
            member_id = int(value)
        except (TypeError, ValueError):
            raise ValidationError("请选择自己备案或一位家人") from None
        if member_id <= 0:
            raise ValidationError("请选择自己备案或一位家人")
        return member_id


def _meta(label: str, widget: str, *, required: bool | str = False, options: str | None = None,
          hint: str | None = None, **extra) -> dict:
    """`required`: True, False, or a condition the page evaluates (e.g. "group == long_term").

    Kept under an `x-miniapp` vendor key so the OpenAPI document stays valid (a property may not
    carry `required` itself); the label doubles as the property's OpenAPI description."""
    out = {"label": label, "widget": widget, "required": required}
    if options:
        out["options_endpoint"] = options
    if hint:
        out["hint"] = hint
    out.update(extra)
    return {"description": label, MINIAPP_META: out}


MINIAPP_META = "x-miniapp"


# --- consent and family members --------------------------------------------------------------------

class ConsentAcceptSchema(StrictSchema):
    version = fields.String(required=True, validate=validate.Length(min=1, max=16), metadata=_meta(
        "告知书版本", "hidden", required=True, options="/api/v1/consent",
        hint="取 GET /api/v1/consent 返回的 version"))
    accepted = fields.Boolean(load_default=True, validate=validate.Equal(True, error="请勾选同意"),
                              metadata=_meta("我已阅读并同意《个人信息保护告知书》", "checkbox", required=True))


class FamilyMemberCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata=_meta("家人姓名", "text", required=True, max_length=64))
    relation = fields.String(required=True, validate=validate.OneOf(list(rules.RELATIONS)),
                             metadata=_meta("与您的关系", "select", required=True,
                                            options=OPTIONS + "#relations"))
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata=_meta(
        "证件号码", "id_number", required=True, max_length=18,
        hint="居民身份证、港澳台居民居住证或外国人永久居留身份证，18位", pattern=r"^\d{17}[\dXx]$"))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20),
                          metadata=_meta("家人手机号码", "phone", hint="11位手机号码",
                                         pattern=r"^1[3-9]\d{9}$"))
    consent_confirmed = fields.Boolean(required=True, metadata=_meta(
        "我确认已征得家人本人同意，由我为其办理备案", "checkbox", required=True))


class FamilyMemberPatchSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=64))
    relation = fields.String(validate=validate.OneOf(list(rules.RELATIONS)))
    id_number = fields.String(validate=validate.Length(min=1, max=32))
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))


# --- the steps -----------------------------------------------------------------------------------

class StartSchema(StrictSchema):
    """Page "start": who the filing is for; one's own name and ID when the profile lacks them."""

    applicant = ApplicantField(load_default="self", metadata=_meta(
        "为谁备案", "applicant", required=True, options="/api/v1/family-members",
        hint="自己备案，或为亲情账户里的家人备案", choices=[{"value": "self", "label": "自己备案"}]))
    person_name = fields.String(validate=validate.Length(min=1, max=64), metadata=_meta(
        "姓名", "text", required="applicant == self and profile lacks name", max_length=64))
    id_number = fields.String(validate=validate.Length(min=1, max=32), load_only=True, metadata=_meta(
        "证件号码", "id_number", required="applicant == self and profile lacks id_number",
        max_length=18, pattern=r"^\d{17}[\dXx]$",
        hint="居民身份证、港澳台居民居住证或外国人永久居留身份证，18位"))


class ChoicesSchema(StrictSchema):
    """Page "choices" (step 1). Whether a code is a place one may choose, or a value of the closed
    sets (`enum`), is the filing service's check, so that it comes back together with every other
    bad field of the request in one answer."""

    insured_region_code = fields.String(allow_none=True, validate=validate.Length(equal=6), metadata=_meta(
        "参保地", "region_picker", required=True, options=REGIONS + "?purpose=insured",
        hint="默认是您资料里的参保地"))
    visit_region_code = fields.String(allow_none=True, validate=validate.Length(equal=6), metadata=_meta(
        "就医地", "region_picker", required=True, options=REGIONS + "?purpose=visit",
        hint="先选省，再选市；一般需在参保地以外的省份"))
    scheme = fields.String(allow_none=True, metadata={**_meta(
        "参保险种", "select", required=True, options=OPTIONS + "#schemes"), "enum": list(rules.SCHEMES)})
    filing_type = fields.String(allow_none=True, metadata={
        **_meta("备案类型", "select", required=True, options=OPTIONS + "#filing_types",
                hint="每种类型下方有一句说明"),
        "enum": list(rules.FILING_TYPES)})


class NoticeAcceptSchema(StrictSchema):
    """Page "notice" (step 2)."""

    version = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata=_meta(
        "告知书版本", "hidden", required=True,
        options="/api/v1/notices/{insured_region_code}/{filing_type}"))
    accepted = fields.Boolean(load_default=True, validate=validate.Equal(True, error="请勾选已阅读"),
                              metadata=_meta("本人已仔细阅读备案告知书", "checkbox", required=True))


class DetailsSchema(StrictSchema):
    """Page "details" (step 3); uploads go to the documents endpoint."""

    start_date = fields.Date(allow_none=True, metadata=_meta(
        "开始日期", "date", required=True, min_from="earliest_start_date",
        hint="已经住院的，可以选入院那天"))
    end_date = fields.Date(allow_none=True, metadata=_meta(
        "结束日期", "date", required="group == temporary", visible="group == temporary",
        hint="默认半年，不能短于参保地规定的最短有效期"))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=64), metadata=_meta(
        "联系人", "text", required=True, max_length=64))
    contact_phone = fields.String(allow_none=True, validate=validate.Length(max=20), metadata=_meta(
        "联系电话", "phone", required=True, pattern=r"^1[3-9]\d{9}$", hint="11位手机号码"))
    address = fields.String(allow_none=True, validate=validate.Length(max=200), metadata=_meta(
        "就医地居住地址", "textarea", required="group == long_term", visible="group == long_term",
        max_length=200))


class DraftCreateSchema(StartSchema, ChoicesSchema, DetailsSchema):
    """POST /filings: who, plus any step-1/step-3 fields already known."""


class DraftPatchSchema(ChoicesSchema, DetailsSchema):
    applicant = ApplicantField()
    person_name = fields.String(validate=validate.Length(min=1, max=64))
    id_number = fields.String(validate=validate.Length(min=1, max=32), load_only=True)


class DocumentUploadSchema(StrictSchema):
    doc_code = fields.String(required=True, validate=validate.Length(min=1, max=32), metadata=_meta(
        "材料类型", "select", required=True, options=OPTIONS + "#filing_types[].proof_documents"))


class CommitmentSignSchema(StrictSchema):
    """Page "commitment" (step 4): the name written on screen, as a PNG (base64 in JSON, or the
    multipart field `signature`)."""

    signature = fields.String(required=True, validate=validate.Length(min=1, max=3_000_000),
                              metadata=_meta("请在框内手写您的姓名", "signature_pad", required=True,
                                             hint="PNG图片；也可以用 multipart 字段 signature 上传",
                                             accept=["image/png"]))


# --- multipart bodies (as the OpenAPI document shows them) ------------------------------------------

class DocumentUploadFormSchema(DocumentUploadSchema):
    """POST /filings/<id>/documents: one multipart/form-data body with the file and its type."""

    file = Upload(required=True, metadata={"description": "JPG、PNG 或 PDF 文件"})


class CommitmentSignUploadSchema(StrictSchema):
    """POST /filings/<id>/commitment as multipart/form-data: the drawn signature as a PNG part."""

    signature = Upload(required=True, metadata={"description": "手写签名的 PNG 图片"})


# --- answers ---------------------------------------------------------------------------------------
# The shapes the filing endpoints send (server/filing/service.py builds them; the test suite checks
# every body it receives against these, through the OpenAPI document).

OPTIONAL = {"optional": True}



class ConsentStatusSchema(ResponseSchema):
    version = fields.String(metadata={"description": "当前版本，同意时提交它"})
    title = fields.String()
    text = fields.String()
    summary = fields.String(metadata=OPTIONAL)
    accepted = fields.Boolean(metadata={"description": "是否已同意当前版本"})
    accepted_version = fields.String(allow_none=True)
    accepted_at = CNDateTime(allow_none=True)


class FamilyMemberViewSchema(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    relation = fields.String()
    relation_label = fields.String()
    id_number_masked = fields.String(allow_none=True)
    phone_masked = fields.String(allow_none=True)
    consent_confirmed_at = CNDateTime(allow_none=True)
    created_at = CNDateTime()


class FamilyMemberListSchema(ResponseSchema):
    items = fields.List(fields.Nested(FamilyMemberViewSchema))


class FilingTypeSchema(ResponseSchema):
    code = fields.String()
    label = fields.String()
    group = fields.String()
    group_label = fields.String()
    explanation = fields.String(metadata={"description": "一句话说明，显示在选项下方"})
    proof_documents = fields.List(fields.Nested(CodeLabelSchema), metadata={
        "description": "证明材料（任选其一）；doc_code 取这里的 code"})
    proof_needed = fields.Boolean()
    commitment_can_replace = fields.Boolean(metadata={"description": "全国规定上可否用个人承诺书代替"})


class OptionsSchema(ResponseSchema):
    filing_types = fields.List(fields.Nested(FilingTypeSchema))
    groups = fields.List(fields.Nested(CodeLabelSchema))
    schemes = fields.List(fields.Nested(CodeLabelSchema))
    relations = fields.List(fields.Nested(CodeLabelSchema))
    statuses = fields.List(fields.Nested(CodeLabelSchema))
    proof_modes = fields.List(fields.Nested(CodeLabelSchema))


class NoticeSchema(ResponseSchema):
    version = fields.String()
    title = fields.String()
    text = fields.String()
    insured_region_code = fields.String()
    filing_type = fields.String()


class DocumentViewSchema(ResponseSchema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "proof（证明材料）或 letter（个人承诺书）"})
    doc_code = fields.String(allow_none=True)
    label = fields.String()
    mime = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = CNDateTime()
    url = fields.String(metadata={"description": "查看文件的地址"})


class ProofOptionsSchema(ResponseSchema):
    documents = fields.List(fields.Nested(CodeLabelSchema))
    commitment_allowed = fields.Boolean()
    none_needed = fields.Boolean()
    modes = fields.List(fields.String(), metadata={"description": "proof 字段可取的值"})


class CommitmentBriefSchema(ResponseSchema):
    signed = fields.Boolean()
    signed_at = CNDateTime(allow_none=True)
    sha256 = fields.String(allow_none=True)
    url = fields.String(allow_none=True, metadata={"description": "已签署的承诺书 PDF"})


class ResultViewSchema(ResponseSchema):
    number = fields.String(allow_none=True)
    number_display = fields.String(allow_none=True, metadata={"description": "分组显示的备案编号"})
    proof_due_date = fields.Date(allow_none=True, metadata={"description": "承诺补交证明材料的截止日期"})
    status = fields.String()
    status_label = fields.String()
    message = fields.String()
    submitted_at = CNDateTime(allow_none=True)
    review_due_at = CNDateTime(allow_none=True)
    records_path = fields.String()


class FilingViewSchema(ResponseSchema):
    """一条草稿或已提交的备案：页面（和对话）需要的全部内容，已脱敏"""

    id = fields.Integer()
    number = fields.String(allow_none=True, metadata={"description": "备案编号（签署承诺书或提交时生成）"})
    filing_number = fields.String(allow_none=True, metadata={"description": "同 number"})
    status = fields.String()
    status_label = fields.String()
    source = fields.String(allow_none=True, metadata={"description": "pages、chat 或 counter"})
    applicant = fields.Raw(metadata={"description": "self 或家人的 id", "oneOf": [
        {"type": "string", "enum": ["self"]}, {"type": "integer"}]})
    person_name = fields.String(allow_none=True)
    person_id_masked = fields.String(allow_none=True)
    insured_region_code = fields.String(allow_none=True)
    insured_region_name = fields.String(allow_none=True)
    visit_region_code = fields.String(allow_none=True)
    visit_region_name = fields.String(allow_none=True)
    scheme = fields.String(allow_none=True)
    scheme_label = fields.String(allow_none=True)
    filing_type = fields.String(allow_none=True)
    filing_type_label = fields.String(allow_none=True)
    group = fields.String(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    earliest_start_date = fields.Date(allow_none=True, metadata={"description": "开始日期最早可选到哪天"})
    contact_name = fields.String(allow_none=True)
    contact_phone_masked = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    notice_version = fields.String(allow_none=True)
    notice_accepted = fields.Boolean()
    notice_accepted_at = CNDateTime(allow_none=True)
    proof = fields.String(allow_none=True, metadata={"description": "uploaded、commitment 或 none"})
    proof_options = fields.Nested(ProofOptionsSchema, allow_none=True)
    documents = fields.List(fields.Nested(DocumentViewSchema))
    commitment = fields.Nested(CommitmentBriefSchema)
    missing = fields.List(fields.String(), metadata={"description": "还缺的字段"})
    next_step = fields.String(metadata={"description": "下一步的页面"})
    created_at = CNDateTime()
    submitted_at = CNDateTime(allow_none=True)
    review_due_at = CNDateTime(allow_none=True)
    result = fields.Nested(ResultViewSchema, allow_none=True, metadata={"description": "提交后的结果（草稿时为 null）"})


class DocumentUploadResultSchema(ResponseSchema):
    document = fields.Nested(DocumentViewSchema)
    filing = fields.Nested(FilingViewSchema)


class CommitmentStatusSchema(ResponseSchema):
    possible = fields.Boolean(metadata={"description": "现在能否签署"})
    reasons = fields.List(fields.Nested(ErrorDetailSchema), metadata={"description": "不能签署的原因"})
    text = fields.String(allow_none=True, metadata={"description": "承诺书全文（签署前阅读）"})
    template_version = fields.String()
    signed = fields.Boolean()
    signed_at = CNDateTime(allow_none=True)
    sha256 = fields.String(allow_none=True)


class CommitmentViewSchema(CommitmentStatusSchema):
    filing_id = fields.Integer()
    pdf_url = fields.String()


class CommitmentSignResultSchema(ResponseSchema):
    commitment = fields.Nested(CommitmentStatusSchema)
    pdf_url = fields.String()
    sha256 = fields.String()
    filing = fields.Nested(FilingViewSchema)


class MiniappPageSchema(ResponseSchema):
    """A page description (miniapp_schema/*.json); its fields' keys vary by widget."""

    class Meta:
        unknown = INCLUDE

    page_id = fields.String()
    title = fields.String()


class MiniappPagesSchema(ResponseSchema):
    pages = fields.List(fields.Nested(MiniappPageSchema))


class DraftListQuerySchema(StrictSchema):
    person = fields.String(load_default=None, validate=validate.Length(max=12),
                           metadata={"description": "self 或家人的 id；不填时列出全部"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class DraftListItemSchema(FilingViewSchema):
    removal_date = fields.Date(allow_none=True, metadata={
        "description": "草稿一直不动会在这天删除（最后修改后 DRAFT_RETENTION_DAYS 天，默认 90 天）"})


DraftPageSchema = page_of(DraftListItemSchema, "DraftPageSchema")
