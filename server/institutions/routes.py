"""HTTP: directory search, 开通情况, counter QR codes, the entry a code leads to, counter verification."""
from __future__ import annotations

from flask import Response, request
from server.common.openapi import PUBLIC, Blueprint, binary_response
from marshmallow import fields, validate

from server.accounts.tokens import current_staff, current_user, staff_required, user_required
from server.common.schemas import StrictSchema, page_body
from server.common.storage import get_storage
from server.common.signed_urls import FILE_SECURITY, file_url, signed_or_bearer
from server.errors import ApiError, validation_failed
from server.institutions import search as directory_search
from server.institutions import service
from server.institutions.directory import CHRONIC_DISEASES, KINDS, LEVELS, SETTLEMENTS
from server.filing.schemas import FilingViewSchema
from server.institutions.models import CounterCode
from server.institutions.schemas import (CounterCodeListSchema, CounterCodeSchema, EntrySchema,
                                         InstitutionPageSchema, InstitutionSchema, SettlementStatusSchema,
                                         VerifyResultSchema)
from server.institutions.qr import qr_png_cached, qr_png_etag
from server.institutions.search import SearchInputError, to_dict

blp = Blueprint("institutions", __name__, url_prefix="/api/v1", description="定点医药机构、窗口二维码与核验")


class SearchArgs(StrictSchema):
    region = fields.String(validate=validate.Length(min=2, max=12))
    keyword = fields.String(validate=validate.Length(min=1, max=30))
    kind = fields.String(validate=validate.OneOf(list(KINDS)))
    level = fields.String(validate=validate.OneOf(list(LEVELS)))
    settlement = fields.String(validate=validate.OneOf(list(SETTLEMENTS)))
    disease = fields.String(validate=validate.OneOf([c for c, _ in CHRONIC_DISEASES]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=500))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=directory_search.MAX_PER_PAGE))


class RegionArg(StrictSchema):
    region = fields.String(required=True, validate=validate.Length(min=2, max=12))


class CounterCodeIn(StrictSchema):
    counter_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class EntryFilingIn(StrictSchema):
    applicant = fields.Raw(load_default="self")


class VerifyIn(StrictSchema):
    voucher = fields.String(validate=validate.Length(max=200))
    filing_number = fields.String(validate=validate.Length(max=32))
    id_number = fields.String(validate=validate.Length(max=32))
    admission_date = fields.Date()


def _input_error(exc: SearchInputError) -> ApiError:
    return validation_failed([exc.problem])


# --- directory -------------------------------------------------------------------------------------

@blp.get("/institutions")
@blp.arguments(SearchArgs, location="query")
@blp.response(200, InstitutionPageSchema, dump=False)
@blp.doc(**PUBLIC)
def search_institutions(args):
    """定点医药机构查询

    按地区（统筹区或省的代码或名称）、名称关键字、类别、等级、结算类型、慢特病病种查询，
    按等级、名称排序；至少给出地区或关键字。
    """
    try:
        page = directory_search.search(**args)
    except SearchInputError as exc:
        raise _input_error(exc) from None
    # No total: counting every match costs as much as the search itself.
    return page_body([to_dict(i) for i in page.items], page=page.page, per_page=page.per_page,
                     has_more=page.has_more, total=None)


@blp.get("/institutions/<code>")
@blp.response(200, InstitutionSchema, dump=False)
@blp.doc(**PUBLIC)
def institution_detail(code):
    """一家定点医药机构

    名称、地址、等级、类别、开通的跨省直接结算类型和慢特病病种。
    """
    return to_dict(service.get_institution(code))


@blp.get("/settlement-status")
@blp.arguments(RegionArg, location="query")
@blp.response(200, SettlementStatusSchema, dump=False)
@blp.doc(**PUBLIC)
def settlement_status_query(args):
    """开通情况查询

    一个统筹区里开通各类跨省直接结算的联网定点机构数。
    """
    return _settlement(args["region"])


@blp.get("/regions/<code>/settlement")
@blp.response(200, SettlementStatusSchema, dump=False)
@blp.doc(**PUBLIC)
def region_settlement(code):
    """统筹区的开通情况

    与 GET /settlement-status?region=… 相同，地区写在路径里。
    """
    return _settlement(code)


def _settlement(code: str) -> dict:
    try:
        return directory_search.settlement_status(code)
    except SearchInputError as exc:
        if exc.problem.code == "institutions.unknown_region":
            raise ApiError(404, "region.not_found", exc.problem.message) from None
        raise _input_error(exc) from None


# --- entry from a counter QR code ------------------------------------------------------------------

def _entry_dict(info: service.EntryInfo) -> dict:
    cat_region = info.region_code
    return {"institution": to_dict(info.institution),
            "counter_name": info.counter_code.counter_name,
            "region": {"code": cat_region, "name": info.region_name,
                       "province_code": info.institution.province_code},
            "prefill": info.prefill()}


@blp.get("/entry/<token>")
@blp.response(200, EntrySchema, dump=False)
@blp.doc(**PUBLIC)
def entry(token):
    """扫窗口二维码进入

    二维码里的 token 对应的医院、窗口、所在统筹区，以及开始备案时预填的就医地。
    """
    return _entry_dict(service.resolve_entry(token))


@blp.post("/entry/<token>/filings")
@blp.arguments(EntryFilingIn)
@blp.response(201, FilingViewSchema, dump=False)
@user_required
def entry_start_filing(body, token):
    """从窗口二维码开始备案

    建立草稿，就医地已填好；医院只记作来源，不限制在哪家机构就医。
    """
    from server.filing.service import draft_view

    filing = service.start_filing_from_entry(current_user(), token, applicant=body["applicant"])
    return draft_view(filing)


# --- counter staff ---------------------------------------------------------------------------------

def _code_dict(code: CounterCode) -> dict:
    base = f"/api/v1/staff/counter-codes/{code.id}"
    return {"id": code.id, "counter_name": code.counter_name, "url": service.entry_url(code),
            "token": service.token_for(code),
            "revoked": code.revoked_at is not None,
            "png": file_url(base + ".png"), "svg": file_url(base + ".svg"),
            "poster": file_url(base + "/poster.png"), "poster_pdf": file_url(base + "/poster.pdf"),
            "wxacode": file_url(base + "/wxacode.png")}


def _counter_staff():
    staff = current_staff()
    if not staff.institution_id:
        raise ApiError(403, "verify.no_institution", "您的账号未绑定定点医疗机构")
    return staff


@blp.post("/staff/counter-codes")
@blp.arguments(CounterCodeIn)
@blp.response(201, CounterCodeSchema, dump=False)
@staff_required("counter")
def create_counter_code(body):
    """生成窗口二维码

    医院窗口人员为本机构的一个窗口（如 住院处）生成二维码；患者扫码后开始备案，就医地已填好。
    """
    from server.extensions import db
    from server.institutions.models import Institution

    staff = _counter_staff()
    inst = db.session.get(Institution, staff.institution_id)
    return _code_dict(service.create_counter_code(inst, body.get("counter_name")))


@blp.get("/staff/counter-codes")
@blp.response(200, CounterCodeListSchema, dump=False)
@staff_required("counter")
def list_counter_codes():
    """本机构的窗口二维码

    包括已停用的。
    """
    from sqlalchemy import select

    from server.extensions import db

    staff = _counter_staff()
    codes = db.session.execute(select(CounterCode).where(CounterCode.institution_id == staff.institution_id)
                               .order_by(CounterCode.id)).scalars()
    return {"items": [_code_dict(c) for c in codes]}


def _image(code_id: int, kind: str) -> Response:
    code = service.counter_code_for_staff(_counter_staff(), code_id)
    if kind == "wxacode":
        return Response(service.wxacode_png(code), mimetype="image/png")
    images = service.code_images(code)
    if kind == "png":
        return _cached_png(images["url"])
    if kind == "svg":
        return Response(images["svg"](), mimetype="image/svg+xml")
    if kind == "poster_pdf":
        return Response(images[kind](), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="counter-{code.id}-poster.pdf"'})
    return Response(images[kind](), mimetype="image/png")


def _cached_png(url: str) -> Response:
    """The code's PNG never changes for a URL: rendered once to disk, revalidated by ETag (after the
    staff and institution checks, which a 304 does not skip)."""
    etag = qr_png_etag(url)
    if etag in request.if_none_match:
        resp = Response(status=304)
    else:
        data, etag = qr_png_cached(url, get_storage())
        resp = Response(data, mimetype="image/png")
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


@blp.get("/staff/counter-codes/<int:code_id>.png")
@blp.doc(**binary_response("image/png", description="二维码图片"), **FILE_SECURITY)
@signed_or_bearer
@staff_required("counter")
def counter_code_png(code_id):
    """窗口二维码 PNG

    带 ETag，可以缓存。
    """
    return _image(code_id, "png")


@blp.get("/staff/counter-codes/<int:code_id>.svg")
@blp.doc(**binary_response("image/svg+xml", description="二维码矢量图"), **FILE_SECURITY)
@signed_or_bearer
@staff_required("counter")
def counter_code_svg(code_id):
    """窗口二维码 SVG

    矢量图，适合印刷。
    """
    return _image(code_id, "svg")


@blp.get("/staff/counter-codes/<int:code_id>/poster.png")
@blp.doc(**binary_response("image/png", description="海报图片"), **FILE_SECURITY)
@signed_or_bearer
@staff_required("counter")
def counter_code_poster(code_id):
    """窗口二维码海报

    带医院名称、窗口名称和使用说明的海报，可以直接打印张贴。
    """
    return _image(code_id, "poster")


@blp.get("/staff/counter-codes/<int:code_id>/poster.pdf")
@blp.doc(**binary_response("application/pdf", description="海报 PDF（A4）"), **FILE_SECURITY)
@signed_or_bearer
@staff_required("counter")
def counter_code_poster_pdf(code_id):
    """窗口二维码海报（PDF）

    与海报图片相同的 A4 页面，便于打印。
    """
    return _image(code_id, "poster_pdf")


@blp.get("/staff/counter-codes/<int:code_id>/wxacode.png")
@blp.doc(**binary_response("image/png", description="小程序码图片"), **FILE_SECURITY)
@signed_or_bearer
@staff_required("counter")
def counter_code_wxacode(code_id):
    """窗口小程序码

    微信小程序码（由微信生成），扫码直接打开小程序。微信暂时不可用时返回 503。
    """
    return _image(code_id, "wxacode")


@blp.post("/staff/counter-codes/<int:code_id>/revoke")
@blp.response(200, CounterCodeSchema, dump=False)
@staff_required("counter")
def revoke_counter_code(code_id):
    """停用窗口二维码

    停用后扫码会提示二维码已失效。
    """
    code = service.counter_code_for_staff(_counter_staff(), code_id)
    return _code_dict(service.revoke_counter_code(code))


@blp.post("/staff/verify")
@blp.arguments(VerifyIn)
@blp.response(200, VerifyResultSchema, dump=False)
@staff_required("counter")
def verify(body):
    """窗口核验备案

    扫患者的备案凭证（voucher），或输入备案编号和完整证件号码，核对备案是否在本机构所在地有效。
    """
    return service.verify_filing(_counter_staff(), **body)
