"""The mini-program's pages as JSON documents, generated from the request schemas.

One source of truth: the marshmallow schemas that validate the API also describe the forms
(field metadata), so a page and its endpoint cannot disagree. `scripts/build_miniapp_schema.py`
writes the result to `miniapp_schema/`; a test fails when the files drift from the schemas.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.filing import schemas
from server.filing.schemas import MINIAPP_META

_TYPES = {fields.String: "string", fields.Date: "date", fields.Boolean: "boolean",
          fields.Integer: "integer", schemas.ApplicantField: "string|integer"}


def _type_of(field: fields.Field) -> str:
    for cls in type(field).__mro__:
        if cls in _TYPES:
            return _TYPES[cls]
    return "string"


def _validation(field: fields.Field) -> dict:
    out: dict = {}
    validators = list(field.validators)
    for v in validators:
        if isinstance(v, validate.Length):
            if v.equal is not None:
                out["length"] = v.equal
            if v.min is not None:
                out["min_length"] = v.min
            if v.max is not None:
                out["max_length"] = v.max
        elif isinstance(v, validate.OneOf):
            out["one_of"] = list(v.choices)
    if "enum" in field.metadata:  # a closed set the service checks (with the request's other fields)
        out["one_of"] = list(field.metadata["enum"])
    meta = field.metadata.get(MINIAPP_META, {})
    for key in ("pattern", "min_from"):
        if key in meta:
            out[key] = meta[key]
    if "max_length" in meta:
        out["max_length"] = meta["max_length"]
    return out


def describe_fields(schema: Schema) -> list[dict]:
    out = []
    for name, field in schema.fields.items():
        meta = field.metadata.get(MINIAPP_META, {})
        if not meta.get("label"):
            continue
        item = {"name": name, "type": _type_of(field), "widget": meta.get("widget", "text"),
                "label": meta["label"], "required": meta.get("required", field.required)}
        for key in ("options_endpoint", "hint", "visible", "choices", "accept"):
            if key in meta:
                item[key] = meta[key]
        item["validation"] = _validation(field)
        out.append(item)
    return out


def _page(page_id: str, step: int | None, title: str, schema: Schema | None, submit: dict | None,
          **extra) -> dict:
    page = {"page_id": page_id, "step": step, "title": title,
            "fields": describe_fields(schema) if schema is not None else [], "submit": submit}
    page.update(extra)
    return page


def build_pages() -> list[dict]:
    """Every page, in the order the person meets them."""
    fid = "/api/v1/filings/{filing_id}"
    return [
        _page("consent", 0, "个人信息保护告知书", schemas.ConsentAcceptSchema(),
              {"method": "POST", "path": "/api/v1/consent", "encoding": "json"},
              content_endpoint="/api/v1/consent"),
        _page("family_member", None, "添加家人（亲情账户）", schemas.FamilyMemberCreateSchema(),
              {"method": "POST", "path": "/api/v1/family-members", "encoding": "json"}),
        _page("start", 0, "异地就医备案申请", schemas.StartSchema(),
              {"method": "POST", "path": "/api/v1/filings", "encoding": "json",
               "button": "自己备案 / 为他人备案"}),
        _page("choices", 1, "选择参保地、就医地和备案类型", schemas.ChoicesSchema(),
              {"method": "PATCH", "path": fid, "encoding": "json", "button": "开始备案"}),
        _page("notice", 2, "备案告知书", schemas.NoticeAcceptSchema(),
              {"method": "POST", "path": fid + "/notice", "encoding": "json", "button": "下一步"},
              content_endpoint="/api/v1/notices/{insured_region_code}/{filing_type}"),
        _page("details", 3, "填写备案信息", schemas.DetailsSchema(),
              {"method": "PATCH", "path": fid, "encoding": "json", "button": "下一步"},
              uploads={"method": "POST", "path": fid + "/documents", "encoding": "multipart",
                       "file_field": "file", "accept": ["image/jpeg", "image/png", "application/pdf"],
                       "fields": describe_fields(schemas.DocumentUploadSchema()),
                       "options_endpoint": fid + "#proof_options"}),
        _page("commitment", 4, "个人承诺书", schemas.CommitmentSignSchema(),
              {"method": "POST", "path": fid + "/commitment", "encoding": "json|multipart",
               "button": "保存并提交", "then": {"method": "POST", "path": fid + "/submit"}},
              content_endpoint=fid + "/commitment", shown_when="next_step == commitment"),
        _page("submit", 4, "确认提交", None,
              {"method": "POST", "path": fid + "/submit", "encoding": "json", "button": "提交",
               "headers": {"Idempotency-Key": "一次提交一个随机值，重试时不变"}},
              content_endpoint=fid),
        _page("result", 5, "提交结果", None, None, content_endpoint=fid,
              content_key="result", actions=[{"label": "查看备案记录", "path": "/api/v1/records"}]),
    ]
