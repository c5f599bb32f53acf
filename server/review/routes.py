"""Staff login and the reviewers' queue and decisions."""
from __future__ import annotations

import hashlib

from server.common.openapi import PUBLIC, Blueprint
from marshmallow import fields, validate

from server.accounts import staff as staff_service
from server.accounts.tokens import current_staff, current_token, revoke_current, staff_required
from server.common.kv import hit_rate_limit
from server.common.schemas import CNDateTime, ResponseSchema, StrictSchema, page_body
from server.common.timeutil import iso_cn, now_utc
from server.records import service as records
from server.records.schemas import RecordDetailSchema
from server.review import service
from server.review.schemas import QueuePageSchema, ReviewDetailSchema

blp = Blueprint("staff", __name__, url_prefix="/api/v1/staff", description="工作人员登录与审核")


class StaffLoginSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class StaffSchema(ResponseSchema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String(allow_none=True)
    role = fields.String()
    region_codes = fields.List(fields.String())
    institution_id = fields.Integer(allow_none=True)


class StaffLoginResultSchema(ResponseSchema):
    token = fields.String()
    expires_at = CNDateTime()
    staff = fields.Nested(StaffSchema)


class QueueQuerySchema(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ReasonSchema(StrictSchema):
    reason = fields.String(load_default=None, validate=validate.Length(max=500))


@blp.post("/auth/login")
@blp.arguments(StaffLoginSchema)
@blp.response(200, StaffLoginResultSchema)
@blp.doc(**PUBLIC)
def staff_login(body):
    """工作人员登录

    审核人员和医院窗口人员用用户名和密码登录，返回令牌（有效期较短）和账号信息。
    """
    from flask import current_app, request

    # Keyed on the username at the caller's address: one caller's guessing does not lock out
    # colleagues behind the same proxy; failures also slow that pair down (accounts.lockout).
    caller = f"{body['username'].casefold()}@{request.remote_addr or '?'}"
    hit_rate_limit("staff-login", hashlib.sha256(caller.encode()).hexdigest(),
                   current_app.config["RATE_LIMIT_LOGIN_PER_MINUTE"])
    return staff_service.login(body["username"], body["password"], request.remote_addr)


@blp.post("/auth/logout")
@blp.response(204)
def staff_logout():
    """工作人员退出登录

    当前令牌立即失效。
    """
    current_token()
    revoke_current()


@blp.get("/me")
@blp.response(200, StaffSchema)
@staff_required()
def staff_me():
    """我的工作人员账号

    角色（reviewer 审核、counter 医院窗口）、负责的参保地或所在机构。
    """
    return current_staff()


def _queue_item(filing, now):
    item = records.summary(filing)
    item.update({"review_due_at": iso_cn(filing.review_due_at), "overdue": service.is_overdue(filing, now),
                 "due_message": service.due_label(filing), "person_id_masked": filing.person_id_masked})
    return item


@blp.get("/review/queue")
@blp.arguments(QueueQuerySchema, location="query")
@blp.response(200, QueuePageSchema, dump=False)
@staff_required("reviewer")
def review_queue(args):
    """待审核队列

    负责的参保地的待审核申请，按审核截止时间排序，超时的标出。
    """
    page = service.review_queue(current_staff(), args["page"], args["per_page"])
    now = now_utc()
    return page_body([_queue_item(f, now) for f in page.items], page=page.page, per_page=page.per_page,
                     has_more=page.page * page.per_page < page.total, total=page.total)


@blp.get("/review/filings/<int:filing_id>")
@blp.response(200, ReviewDetailSchema, dump=False)
@staff_required("reviewer")
def review_filing(filing_id):
    """审核详情

    申请内容、材料和承诺书；每次查看都会记录。
    """
    filing = service.open_for_review(current_staff(), filing_id)
    out = records.detail(filing, for_staff=True)
    out["overdue"] = service.is_overdue(filing)
    out["review_due_at"] = iso_cn(filing.review_due_at)
    return out


@blp.post("/review/filings/<int:filing_id>/approve")
@blp.arguments(ReasonSchema)
@blp.response(200, RecordDetailSchema, dump=False)
@staff_required("reviewer")
def approve(body, filing_id):
    """审核通过

    可附说明（reason）。
    """
    return records.detail(service.decide(current_staff(), filing_id, "approve", body["reason"]),
                          for_staff=True)


@blp.post("/review/filings/<int:filing_id>/reject")
@blp.arguments(ReasonSchema)
@blp.response(200, RecordDetailSchema, dump=False)
@staff_required("reviewer")
def reject(body, filing_id):
    """审核不通过

    必须填写原因（reason），申请人会看到。
    """
    return records.detail(service.decide(current_staff(), filing_id, "reject", body["reason"]),
                          for_staff=True)


@blp.post("/review/filings/<int:filing_id>/return")
@blp.arguments(ReasonSchema)
@blp.response(200, RecordDetailSchema, dump=False)
@staff_required("reviewer")
def return_for_material(body, filing_id):
    """退回补充材料

    必须说明需要补充什么（reason）；申请人补充后重新提交。
    """
    return records.detail(service.decide(current_staff(), filing_id, "return", body["reason"]),
                          for_staff=True)
