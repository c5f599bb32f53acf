"""The shapes of the institutions, entry and counter answers."""
from __future__ import annotations

from marshmallow import fields

from server.common.schemas import CodeLabelSchema, PageSchema, ResponseSchema



class SettlementFlagsSchema(ResponseSchema):
    inpatient = fields.Boolean(metadata={"description": "住院费用跨省直接结算"})
    general_outpatient = fields.Boolean(metadata={"description": "普通门诊费用跨省直接结算"})
    chronic_outpatient = fields.Boolean(metadata={"description": "门诊慢特病费用跨省直接结算"})


class InstitutionSchema(ResponseSchema):
    code = fields.String(metadata={"description": "机构编码"})
    name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    level = fields.String(allow_none=True)
    region_code = fields.String()
    province_code = fields.String()
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    settlement = fields.Nested(SettlementFlagsSchema)
    chronic_diseases = fields.List(fields.Nested(CodeLabelSchema))
    is_demo = fields.Boolean(metadata={"description": "演示数据"})
    region_name = fields.String(allow_none=True)
    province_name = fields.String(allow_none=True)


class InstitutionPageSchema(PageSchema):
    items = fields.List(fields.Nested(InstitutionSchema))


class SettlementCountSchema(ResponseSchema):
    code = fields.String()
    label = fields.String()
    institutions = fields.Integer()
    open = fields.Boolean()


class SettlementStatusSchema(ResponseSchema):
    region_code = fields.String()
    region_name = fields.String()
    province_code = fields.String()
    province_name = fields.String(allow_none=True)
    institutions = fields.Integer()
    hospitals = fields.Integer()
    pharmacies = fields.Integer()
    settlements = fields.List(fields.Nested(SettlementCountSchema))
    chronic_diseases = fields.List(fields.Nested(SettlementCountSchema))


class EntryRegionSchema(ResponseSchema):
    code = fields.String()
    name = fields.String(allow_none=True)
    province_code = fields.String()


class EntryPrefillSchema(ResponseSchema):
    visit_region_code = fields.String()
    visit_region_name = fields.String(allow_none=True)
    origin_institution_id = fields.Integer()
    origin_institution_name = fields.String()


class EntrySchema(ResponseSchema):
    institution = fields.Nested(InstitutionSchema)
    counter_name = fields.String(allow_none=True)
    region = fields.Nested(EntryRegionSchema)
    prefill = fields.Nested(EntryPrefillSchema, metadata={"description": "开始备案时预填的内容"})


class CounterCodeSchema(ResponseSchema):
    id = fields.Integer()
    counter_name = fields.String(allow_none=True)
    url = fields.String(metadata={"description": "二维码里的地址"})
    token = fields.String(metadata={"description": "二维码里的 token（GET /entry/{token}）"})
    revoked = fields.Boolean()
    png = fields.String()
    svg = fields.String()
    poster = fields.String()
    poster_pdf = fields.String()
    wxacode = fields.String()


class CounterCodeListSchema(ResponseSchema):
    items = fields.List(fields.Nested(CounterCodeSchema))


class VerifyResultSchema(ResponseSchema):
    """The filing's facts are left out when it belongs to another place (reason_code
    verify.other_region): the counter learns only that it does not cover here."""

    filing_number = fields.String(allow_none=True)
    filing_number_display = fields.String(allow_none=True)
    person_name = fields.String(allow_none=True, metadata={"optional": True, "description": "已脱敏"})
    person_id = fields.String(allow_none=True, metadata={"optional": True, "description": "已脱敏"})
    insured_region_code = fields.String(allow_none=True, metadata={"optional": True})
    insured_region_name = fields.String(allow_none=True, metadata={"optional": True})
    visit_region_code = fields.String(allow_none=True, metadata={"optional": True})
    visit_region_name = fields.String(allow_none=True, metadata={"optional": True})
    filing_type = fields.String(allow_none=True, metadata={"optional": True})
    filing_type_label = fields.String(allow_none=True, metadata={"optional": True})
    start_date = fields.Date(allow_none=True, metadata={"optional": True})
    end_date = fields.Date(allow_none=True, metadata={"optional": True})
    status = fields.String(metadata={"optional": True})
    status_label = fields.String(metadata={"optional": True})
    checked_date = fields.Date(metadata={"description": "按哪天核验（入院日期，默认今天）"})
    covers = fields.Boolean(metadata={"description": "这一天是否在有效备案范围内"})
    reason_code = fields.String(allow_none=True, metadata={"description": "不能结算时的原因代码"})
    reason = fields.String(allow_none=True)
    message = fields.String()
