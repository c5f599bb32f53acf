"""Request schemas of the filing flow. They also describe the mini-program's forms: each field's
`metadata` carries what a page needs (label, widget, options endpoint, hint, when it is required),
and `scripts/build_miniapp_schema.py` turns these schemas into `miniapp_schema/*.json`."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from server.common.openapi import Upload
from server.common.schemas import StrictSchema
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
