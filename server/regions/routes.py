from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from flask import Response, request
from server.common.openapi import PUBLIC, Blueprint
from marshmallow import fields, validate

from server.common.schemas import ResponseSchema, StrictSchema
from server.errors import ApiError
from server.regions.catalogue import get_catalogue
from server.regions.policy import policy_for

blp = Blueprint("regions", __name__, url_prefix="/api/v1/regions", description="参保地与就医地")


class RegionSchema(ResponseSchema):
    code = fields.String()
    name = fields.String()
    short_name = fields.String()
    level = fields.String()
    province_code = fields.String()
    aliases = fields.List(fields.String())
    insured_only = fields.Boolean()


class ProvinceSchema(RegionSchema):
    regions = fields.List(fields.Nested(RegionSchema))


class RegionQuerySchema(StrictSchema):
    q = fields.String(validate=validate.Length(min=1, max=20))
    purpose = fields.String(load_default="visit", validate=validate.OneOf(["insured", "visit"]))


class PolicySchema(ResponseSchema):
    region_code = fields.String()
    allow_same_province = fields.Boolean()
    commitment_types = fields.Method("_types", metadata={"type": "array", "items": {"type": "string"}})
    max_backdate_days = fields.Integer()
    temporary_validity_months = fields.Integer()
    long_term_lock_months = fields.Integer()
    proof_due_days = fields.Integer()
    review_working_days = fields.Integer()
    allow_temporary_beside_long_term = fields.Boolean()

    def _types(self, policy):
        return sorted(policy.commitment_types)


class RegionDetailSchema(RegionSchema):
    province_name = fields.String(allow_none=True)
    counties = fields.List(fields.String())
    policy = fields.Nested(PolicySchema, allow_none=True, metadata={"description": "统筹区的备案政策（省级地区为 null）"})


class RegionListSchema(ResponseSchema):
    provinces = fields.List(fields.Nested(ProvinceSchema), metadata={
        "optional": True, "description": "不带 q 时：省→统筹区级联"})
    items = fields.List(fields.Nested(RegionSchema), metadata={
        "optional": True, "description": "带 q 时：搜索结果"})


@blp.get("")
@blp.arguments(RegionQuerySchema, location="query")
@blp.response(200, RegionListSchema, dump=False)
@blp.alt_response(304, description="级联数据没有变化（If-None-Match）")
@blp.doc(**PUBLIC)
def list_regions(args):
    """省→市级联；带 q 时搜索地区

    不带 q：31 个省级地区，每个带下属统筹区（`purpose=insured` 时含省本级）。带 q：按名称、简称、
    别名或下属区县搜索（如 q=义乌 找到金华市），结果在 items 里。级联数据带 ETag，可以缓存一天。
    """
    insured = args["purpose"] == "insured"
    if args.get("q"):
        hits = get_catalogue().search(args["q"], include_insured_only=insured)
        return {"items": RegionSchema(many=True).dump(hits)}
    body, etag = _cascade(insured)
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    resp = Response(body, mimetype="application/json")
    resp.set_etag(etag)
    # The catalogue changes only with a release: clients and proxies may keep it for a day.
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@lru_cache(maxsize=2)
def _cascade(insured: bool) -> tuple[bytes, str]:
    """The whole cascade rendered once per process: it is read-only reference data."""
    cat = get_catalogue()
    provinces = []
    for province in cat.provinces():
        row = RegionSchema().dump(province)
        row["regions"] = RegionSchema(many=True).dump(
            cat.pooling_regions(province.code, include_insured_only=insured))
        provinces.append(row)
    body = json.dumps({"provinces": provinces}, ensure_ascii=False, separators=(",", ":")).encode()
    return body, hashlib.sha256(body).hexdigest()[:32]


@blp.get("/<code>")
@blp.response(200, RegionDetailSchema, dump=False)
@blp.doc(**PUBLIC)
def get_region(code):
    """地区详情与当地政策

    6 位地区代码对应的全称、简称、所属省、下属区县，以及统筹区的备案政策（可追溯天数、有效期、
    承诺制适用的类型等）。
    """
    cat = get_catalogue()
    region = cat.get(code)
    if region is None:
        raise ApiError(404, "region.not_found", "没有找到这个地区", field="code")
    out = RegionDetailSchema().dump(region)
    province = cat.get(region.province_code)
    out["province_name"] = province.name if province else None
    out["counties"] = [c.name for c in cat.counties(region.code)]
    out["policy"] = PolicySchema().dump(policy_for(region.code)) if region.level != "province" else None
    return out
