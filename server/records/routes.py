"""备案记录 and the actions on a submitted filing."""
from __future__ import annotations

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.accounts.tokens import current_user, user_required
from server.common.schemas import StrictSchema
from server.errors import ApiError, Problem
from server.institutions.qr import qr_png_cached
from server.records import service
from server.records.voucher import make_voucher

blp = Blueprint("records", __name__, url_prefix="/api/v1", description="备案记录与进度")


class RecordQuerySchema(StrictSchema):
    person = fields.String(load_default=None, metadata={"description": "self 或家庭成员 id"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ExtendSchema(StrictSchema):
    end_date = fields.Date(required=True)


class ChangeVisitPlaceSchema(StrictSchema):
    visit_region_code = fields.String(required=True, validate=validate.Length(equal=6))
    start_date = fields.Date(load_default=None)


class ContactSchema(StrictSchema):
    contact_phone = fields.String(load_default=None)
    address = fields.String(load_default=None, validate=validate.Length(max=200))


def _detail(filing):
    return service.detail(filing)


@blp.get("/records")
@blp.arguments(RecordQuerySchema, location="query")
@blp.response(200)
@user_required
def list_records(args):
    """备案记录：本人和家庭成员的备案，最新的在前"""
    page = service.list_records(current_user(), person=args["person"], page=args["page"],
                                per_page=args["per_page"])
    return {"items": [service.summary(f) for f in page.items], "total": page.total,
            "page": page.page, "per_page": page.per_page}


@blp.get("/records/<int:filing_id>")
@blp.response(200)
@user_required
def get_record(filing_id):
    """备案详情：申请内容、材料、承诺书、进度"""
    return service.detail_for_user(current_user(), filing_id)


@blp.get("/records/<int:filing_id>/documents/<int:doc_id>")
@user_required
def get_document(filing_id, doc_id):
    """下载本人备案的材料或承诺书"""
    from server.filing.uploads import UploadError, open_file

    doc = service.document_for_user(current_user(), filing_id, doc_id)
    try:
        data = open_file(current_app.config["UPLOAD_FOLDER"], doc.storage_key)
    except UploadError as err:
        raise ApiError(404, "document.not_found", "没有找到这个文件") from err
    resp = Response(data, mimetype=doc.mime)
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@blp.post("/filings/<int:filing_id>/cancel")
@blp.response(200)
@user_required
def cancel(filing_id):
    """撤销备案（长期居住备案在备案成功后一段时间内不能撤销）"""
    return _detail(service.cancel(current_user(), filing_id))


@blp.post("/filings/<int:filing_id>/withdraw")
@blp.response(200)
@user_required
def withdraw(filing_id):
    """撤回待审核的申请"""
    return _detail(service.withdraw(current_user(), filing_id))


@blp.post("/filings/<int:filing_id>/extend")
@blp.arguments(ExtendSchema)
@blp.response(200)
@user_required
def extend(body, filing_id):
    """临时外出备案延期"""
    return _detail(service.extend(current_user(), filing_id, body["end_date"]))


@blp.post("/filings/<int:filing_id>/change-visit-place")
@blp.arguments(ChangeVisitPlaceSchema)
@blp.response(201)
@user_required
def change_visit_place(body, filing_id):
    """变更就医地：生成新备案，原备案显示为已变更"""
    new = service.change_visit_place(current_user(), filing_id, body["visit_region_code"],
                                     body["start_date"])
    return _detail(new)


@blp.post("/filings/<int:filing_id>/contact")
@blp.arguments(ContactSchema)
@blp.response(200)
@user_required
def update_contact(body, filing_id):
    """修改联系电话和地址"""
    return _detail(service.update_contact(current_user(), filing_id, body["contact_phone"], body["address"]))


@blp.post("/filings/<int:filing_id>/owed-proof")
@blp.response(200)
@user_required
def owed_proof(filing_id):
    """补交承诺制备案的证明材料（multipart: file, doc_code）"""
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(422, "validation_failed", "请检查以下内容",
                       details=[Problem("file", "field.required", "请选择要上传的文件")])
    user = current_user()
    service.filing_for_user(user, filing_id)  # 404 before reading a stranger's upload
    data = upload.read()
    return _detail(service.supply_owed_proof(user, filing_id, data, request.form.get("doc_code") or None))


def _voucher_filing(filing_id):
    filing = service.filing_for_user(current_user(), filing_id)
    if service.effective_status(filing) != "approved":
        raise ApiError(409, "voucher.unavailable", "备案成功后才有备案凭证")
    return filing


@blp.get("/filings/<int:filing_id>/voucher")
@blp.response(200)
@user_required
def voucher(filing_id):
    """备案凭证：给医院窗口查验用的凭证码"""
    filing = _voucher_filing(filing_id)
    token = make_voucher(filing)
    return {"token": token, "filing_id": filing.id, "number": filing.number,
            "qr_url": f"/api/v1/filings/{filing.id}/voucher.png", "summary": service.summary(filing)}


@blp.get("/filings/<int:filing_id>/voucher.png")
@user_required
def voucher_png(filing_id):
    """备案凭证二维码（内容为凭证码）"""
    filing = _voucher_filing(filing_id)
    # The image of a voucher never changes (the token names the filing only): rendered once to disk.
    data, _ = qr_png_cached(make_voucher(filing), current_app.config["UPLOAD_FOLDER"])
    resp = Response(data, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
