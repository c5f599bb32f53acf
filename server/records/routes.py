"""备案记录 and the actions on a submitted filing."""
from __future__ import annotations

from flask import Response
from server.common.openapi import Blueprint, Upload, binary_response
from marshmallow import fields, validate

from server.accounts.tokens import current_user, user_required
from server.common.schemas import StrictSchema, page_body
from server.common.storage import get_storage
from server.common.signed_urls import FILE_SECURITY, file_url, signed_or_bearer
from server.errors import ApiError
from server.institutions.qr import qr_png_cached
from server.records import service
from server.records.schemas import RecordDetailSchema, RecordPageSchema, VoucherSchema
from server.records.voucher import make_voucher

blp = Blueprint("records", __name__, url_prefix="/api/v1", description="备案记录与进度")


class RecordQuerySchema(StrictSchema):
    person = fields.String(load_default=None, metadata={"description": "self 或家庭成员 id"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ExtendSchema(StrictSchema):
    end_date = fields.Date(required=True)


class ChangeVisitPlaceSchema(StrictSchema):
    visit_region_code = fields.String(required=True, validate=validate.Length(equal=6))
    start_date = fields.Date(load_default=None)


class OwedProofSchema(StrictSchema):
    file = Upload(required=True, metadata={"description": "JPG、PNG 或 PDF 文件"})
    doc_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32),
                             metadata={"description": "材料类型；不填时按备案类型所需的第一种材料"})


class ContactSchema(StrictSchema):
    contact_phone = fields.String(load_default=None)
    address = fields.String(load_default=None, validate=validate.Length(max=200))


def _detail(filing):
    return service.detail(filing)


@blp.get("/records")
@blp.arguments(RecordQuerySchema, location="query")
@blp.response(200, RecordPageSchema, dump=False)
@user_required
def list_records(args):
    """备案记录

    本人和家人已提交的备案，最新的在前；person=self 或家人 id 时只看这个人的。
    """
    page = service.list_records(current_user(), person=args["person"], page=args["page"],
                                per_page=args["per_page"])
    return page_body([service.summary(f) for f in page.items], page=page.page, per_page=page.per_page,
                     has_more=page.page * page.per_page < page.total, total=page.total)


@blp.get("/records/<int:filing_id>")
@blp.response(200, RecordDetailSchema, dump=False)
@user_required
def get_record(filing_id):
    """备案详情

    申请内容、材料、承诺书、进度时间线，以及现在可以做的操作（撤销、延期、变更等）。
    """
    return service.detail_for_user(current_user(), filing_id)


@blp.get("/records/<int:filing_id>/documents/<int:doc_id>")
@blp.doc(**binary_response("image/jpeg", "image/png", "application/pdf", description="材料文件"), **FILE_SECURITY)
@signed_or_bearer
@user_required
def get_document(filing_id, doc_id):
    """下载本人备案的材料或承诺书

    本人或家人备案里的一个文件。
    """
    from server.filing.uploads import UploadError, open_file

    doc = service.document_for_user(current_user(), filing_id, doc_id)
    try:
        data = open_file(get_storage(), doc.storage_key)
    except UploadError as err:
        raise ApiError(404, "document.not_found", "没有找到这个文件") from err
    resp = Response(data, mimetype=doc.mime)
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@blp.post("/filings/<int:filing_id>/cancel")
@blp.response(200, RecordDetailSchema, dump=False)
@user_required
def cancel(filing_id):
    """撤销备案

    长期居住类备案在备案成功后一段时间内不能撤销（时长按参保地政策），此时返回 409 并说明何时可以撤销。
    """
    return _detail(service.cancel(current_user(), filing_id))


@blp.post("/filings/<int:filing_id>/withdraw")
@blp.response(200, RecordDetailSchema, dump=False)
@user_required
def withdraw(filing_id):
    """撤回待审核的申请

    只有待审核的申请可以撤回。
    """
    return _detail(service.withdraw(current_user(), filing_id))


@blp.post("/filings/<int:filing_id>/extend")
@blp.arguments(ExtendSchema)
@blp.response(200, RecordDetailSchema, dump=False)
@user_required
def extend(body, filing_id):
    """临时外出备案延期

    提交新的结束日期；只适用于临时外出就医类备案。
    """
    return _detail(service.extend(current_user(), filing_id, body["end_date"]))


@blp.post("/filings/<int:filing_id>/change-visit-place")
@blp.arguments(ChangeVisitPlaceSchema)
@blp.response(201, RecordDetailSchema, dump=False)
@user_required
def change_visit_place(body, filing_id):
    """变更就医地

    生成一条新备案（返回新备案的详情），原备案显示为已变更。
    """
    new = service.change_visit_place(current_user(), filing_id, body["visit_region_code"],
                                     body["start_date"])
    return _detail(new)


@blp.post("/filings/<int:filing_id>/contact")
@blp.arguments(ContactSchema)
@blp.response(200, RecordDetailSchema, dump=False)
@user_required
def update_contact(body, filing_id):
    """修改联系电话和地址

    只改提交的项。
    """
    return _detail(service.update_contact(current_user(), filing_id, body["contact_phone"], body["address"]))


@blp.post("/filings/<int:filing_id>/owed-proof")
@blp.arguments(OwedProofSchema, location="multipart")
@blp.response(200, RecordDetailSchema, dump=False)
@user_required
def owed_proof(form, filing_id):
    """补交证明材料

    以承诺制备案的，在承诺的期限内补交证明材料。multipart/form-data：file 和 doc_code。
    """
    user = current_user()
    service.filing_for_user(user, filing_id)  # 404 before reading a stranger's upload
    data = form["file"].read()
    return _detail(service.supply_owed_proof(user, filing_id, data, form["doc_code"] or None))


def _voucher_filing(filing_id):
    filing = service.filing_for_user(current_user(), filing_id)
    if service.effective_status(filing) != "approved":
        raise ApiError(409, "voucher.unavailable", "备案成功后才有备案凭证")
    return filing


@blp.get("/filings/<int:filing_id>/voucher")
@blp.response(200, VoucherSchema, dump=False)
@user_required
def voucher(filing_id):
    """备案凭证

    备案成功后给医院窗口查验用的凭证码和二维码地址；备案未成功时返回 409。
    """
    filing = _voucher_filing(filing_id)
    token = make_voucher(filing)
    return {"voucher": token, "token": token, "filing_id": filing.id, "number": filing.number,
            "qr_url": file_url(f"/api/v1/filings/{filing.id}/voucher.png"), "summary": service.summary(filing)}


@blp.get("/filings/<int:filing_id>/voucher.png")
@blp.doc(**binary_response("image/png", description="二维码图片"), **FILE_SECURITY)
@signed_or_bearer
@user_required
def voucher_png(filing_id):
    """备案凭证二维码

    二维码的内容就是凭证码，窗口扫码核验。
    """
    filing = _voucher_filing(filing_id)
    # The image of a voucher never changes (the token names the filing only): rendered once to disk.
    data, _ = qr_png_cached(make_voucher(filing), get_storage())
    resp = Response(data, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
