"""HTTP layer of the filing flow: thin handlers over server.filing.service."""
from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path

from flask import Response, g, request
from server.common.openapi import PUBLIC, Blueprint, binary_response, header_parameter
from marshmallow import ValidationError

from server.accounts.tokens import current_staff, current_token, current_user, user_required
from server.common.schemas import page_body
from server.common.signed_urls import FILE_SECURITY, file_url, signed_or_bearer
from server.common.timeutil import now_utc
from server.errors import ApiError, not_found, problems_from_messages, validation_failed
from server.extensions import db
from server.filing import consent, family, rules, service
from server.filing.models import Filing, StaffAccess
from server.filing.schemas import (CommitmentSignResultSchema, CommitmentSignSchema,
                                   CommitmentSignUploadSchema, CommitmentViewSchema, ConsentAcceptSchema,
                                   ConsentStatusSchema, DocumentUploadFormSchema, DocumentUploadResultSchema,
                                   DraftCreateSchema, DraftListQuerySchema, DraftPageSchema, DraftPatchSchema,
                                   FamilyMemberCreateSchema, FamilyMemberListSchema, FamilyMemberPatchSchema,
                                   FamilyMemberViewSchema, FilingViewSchema, MiniappPageSchema,
                                   MiniappPagesSchema, NoticeAcceptSchema, NoticeSchema, OptionsSchema)

blp = Blueprint("filing", __name__, url_prefix="/api/v1", description="备案申请（从选择到提交）")

MINIAPP_DIR = Path(__file__).resolve().parents[2] / "miniapp_schema"


# --- consent ---------------------------------------------------------------------------------------

@blp.get("/consent")
@blp.response(200, ConsentStatusSchema, dump=False)
@user_required
def get_consent():
    """个人信息保护告知书

    当前版本号、全文，以及本人是否已同意这个版本。备案前需要先同意（POST /consent）。
    """
    return service.plain(consent.consent_status(current_user()))


@blp.post("/consent")
@blp.arguments(ConsentAcceptSchema)
@blp.response(200, ConsentStatusSchema, dump=False)
@user_required
def post_consent(body):
    """同意个人信息保护告知书

    提交 GET /consent 返回的 version；记录同意的版本和时间。版本不是当前版本时返回 409。
    """
    user = consent.accept_privacy(current_user(), body["version"])
    return service.plain(consent.consent_status(user))


# --- family members --------------------------------------------------------------------------------

@blp.get("/family-members")
@blp.response(200, FamilyMemberListSchema, dump=False)
@user_required
def list_family():
    """亲情账户：家人列表

    可以为列表里的家人办理备案（备案时 applicant 填家人的 id）。证件号码和手机号码已脱敏。
    """
    return {"items": [service.plain(family.member_view(m)) for m in family.list_members(current_user())]}


@blp.post("/family-members")
@blp.arguments(FamilyMemberCreateSchema)
@blp.response(201, FamilyMemberViewSchema, dump=False)
@user_required
def add_family(body):
    """添加家人

    需填写家人姓名、关系、证件号码，并确认已征得家人本人同意（consent_confirmed）。
    """
    return service.plain(family.member_view(family.add_member(current_user(), body)))


@blp.get("/family-members/<int:member_id>")
@blp.response(200, FamilyMemberViewSchema, dump=False)
@user_required
def get_family(member_id):
    """一位家人的资料

    证件号码和手机号码已脱敏。
    """
    return service.plain(family.member_view(family.get_member(current_user(), member_id)))


@blp.patch("/family-members/<int:member_id>")
@blp.arguments(FamilyMemberPatchSchema)
@blp.response(200, FamilyMemberViewSchema, dump=False)
@user_required
def patch_family(body, member_id):
    """修改家人资料

    只改提交的字段；任何一项不合格时一项都不改。
    """
    user = current_user()
    return service.plain(family.member_view(family.update_member(user, family.get_member(user, member_id), body)))


@blp.delete("/family-members/<int:member_id>")
@blp.response(204)
@user_required
def delete_family(member_id):
    """删除家人

    已提交的备案不受影响。
    """
    user = current_user()
    family.remove_member(user, family.get_member(user, member_id))


# --- options and notices ---------------------------------------------------------------------------

@blp.get("/options")
@blp.response(200, OptionsSchema, dump=False)
@blp.doc(**PUBLIC)
def options():
    """选项表

    备案类型（含一句说明和所需证明材料）、类型分组、参保险种、与家人的关系、备案状态、
    证明方式，各带 code 和中文名称。页面上的选择都从这里取。
    """
    return {
        "filing_types": [t.to_dict() for t in rules.FILING_TYPES.values()],
        "groups": [{"code": k, "label": v} for k, v in rules.FILING_GROUPS.items()],
        "schemes": [{"code": k, "label": v} for k, v in rules.SCHEMES.items()],
        "relations": [{"code": k, "label": v} for k, v in rules.RELATIONS.items()],
        "statuses": [{"code": k, "label": v} for k, v in rules.STATUSES.items()],
        "proof_modes": [{"code": k, "label": v} for k, v in rules.PROOF_MODES.items()],
    }


@blp.get("/notices/<insured_region_code>/<filing_type>")
@blp.response(200, NoticeSchema, dump=False)
@blp.doc(**PUBLIC)
def get_notice(insured_region_code, filing_type):
    """备案告知书

    按参保地和备案类型给出告知书全文和版本号；阅读后用 POST /filings/{filing_id}/notice 确认。
    """
    return service.notice_for_region(insured_region_code, filing_type).to_dict()


# --- filings ---------------------------------------------------------------------------------------

def _mine(filing_id: int) -> Filing:
    return service.get_filing_for_user(current_user(), filing_id)


@blp.get("/filings")
@blp.arguments(DraftListQuerySchema, location="query")
@blp.response(200, DraftPageSchema, dump=False)
@user_required
def list_drafts(args):
    """我的草稿

    本人和家人还没提交的备案草稿，最近建立的在前；person=self 或家人 id 时只看这个人的。
    换了手机或丢了草稿 id 时，从这里找回继续填写（已提交的备案见 GET /records）。
    一直不动的草稿会在 removal_date 那天删除。
    """
    page = service.list_drafts(current_user(), person=args["person"], page=args["page"],
                               per_page=args["per_page"])
    from flask import current_app

    from server.housekeeping import draft_removal_date

    days = current_app.config["DRAFT_RETENTION_DAYS"]

    def item(f):
        removal = draft_removal_date(f.updated_at or f.created_at, days)
        return {**service.draft_view(f), "removal_date": removal.isoformat() if removal else None}

    return page_body([item(f) for f in page.items], page=page.page, per_page=page.per_page,
                     has_more=page.has_more, total=page.total)


@blp.post("/filings")
@blp.arguments(DraftCreateSchema, examples={
    "first_step": {"summary": "第一步：为自己备案，选好参保地、就医地、险种和类型", "value": {
        "applicant": "self", "insured_region_code": "330700", "visit_region_code": "310000",
        "scheme": "employee", "filing_type": "other_temporary"}}})
@blp.response(201, FilingViewSchema, dump=False)
@user_required
def create_filing(body):
    """开始备案：创建草稿

    applicant 为 self（自己备案）或家人的 id。参保地和险种从个人资料预填，也可以在这里一并提交
    第一步、第三步已知的内容。返回草稿，其中 missing 列出还缺什么，next_step 是下一步。
    """
    applicant = body.pop("applicant", "self")
    filing = service.create_draft(current_user(), applicant=applicant, prefill=body)
    return service.draft_view(filing)


@blp.get("/filings/<int:filing_id>")
@blp.response(200, FilingViewSchema, dump=False)
@user_required
def get_filing(filing_id):
    """草稿或备案的内容

    填写到哪一步都可以用它继续：missing 是还缺的字段，next_step 是下一步的页面。
    """
    return service.draft_view(_mine(filing_id))


@blp.patch("/filings/<int:filing_id>")
@blp.arguments(DraftPatchSchema, examples={
    "dates_and_contact": {"summary": "第三步：日期和联系方式", "value": {
        "start_date": "2026-12-08", "end_date": "2027-06-07", "contact_name": "张三",
        "contact_phone": "13800138000"}},
    "long_term_address": {"summary": "长期居住类还要就医地地址", "value": {"address": "上海市徐汇区漕溪北路1号"}}})
@blp.response(200, FilingViewSchema, dump=False)
@user_required
def patch_filing(body, filing_id):
    """分步填写

    第一步的选择（参保地、就医地、险种、备案类型）和第三步的信息（日期、联系人、地址），
    草稿或待补充材料时可改。只改提交的字段；有不合格的项时一项都不改，错误逐项列在 details 里。
    """
    filing = service.update_draft(current_user(), _mine(filing_id), body)
    return service.draft_view(filing)


@blp.post("/filings/<int:filing_id>/notice")
@blp.arguments(NoticeAcceptSchema, example={"version": "N2026.11:other_temporary", "accepted": True})
@blp.response(200, FilingViewSchema, dump=False)
@user_required
def accept_notice(body, filing_id):
    """确认已阅读备案告知书

    提交告知书的 version；记录版本和时间。
    """
    filing = service.accept_notice(current_user(), _mine(filing_id), body["version"])
    return service.draft_view(filing)


@blp.post("/filings/<int:filing_id>/documents")
@blp.arguments(DocumentUploadFormSchema, location="multipart")
@blp.response(201, DocumentUploadResultSchema, dump=False)
@user_required
def upload_document(form, filing_id):
    """上传证明材料

    multipart/form-data：file 为 JPG、PNG 或 PDF 文件，doc_code 为材料类型（取自 GET /options 里
    该备案类型的 proof_documents）。文件按内容检查格式，照片的拍摄信息会被去掉。
    """
    filing = _mine(filing_id)
    doc = service.add_document(current_user(), filing, form["doc_code"], form["file"].read())
    return {"document": service.plain(service._doc_view(filing, doc)), "filing": service.draft_view(filing)}


def _viewable_filing(filing_id: int) -> Filing:
    """The owner, or a reviewer of the filing's insured place (each such view is logged); known by
    the bearer header or by the link's signature (signed_or_bearer)."""
    if "signed_viewer" not in g:
        current_token()
    if g.token_user is not None:
        return _mine(filing_id)
    staff = current_staff()
    filing = db.session.get(Filing, filing_id)
    if filing is None or not service.can_staff_view(staff, filing):
        raise not_found("filing", "没有找到这条备案")
    db.session.add(StaffAccess(staff_id=staff.id, filing_id=filing.id, action="view", at=now_utc(),
                               detail=request.path))
    return filing


def _file_response(data: bytes, mime: str, name: str) -> Response:
    resp = Response(data, mimetype=mime)
    resp.headers["Content-Disposition"] = f'inline; filename="{name}"'
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


@blp.get("/filings/<int:filing_id>/documents/<int:doc_id>")
@blp.doc(**binary_response("image/jpeg", "image/png", "application/pdf", description="材料文件"), **FILE_SECURITY)
@signed_or_bearer
def get_document(filing_id, doc_id):
    """查看材料

    本人，或负责该参保地审核的工作人员（每次查看都会记录）。用 JSON 里给出的 url（已带签名 sig，
    10 分钟内有效），小程序的 <image>、wx.previewImage、wx.downloadFile 不带请求头也能打开。
    """
    filing = _viewable_filing(filing_id)
    doc, data = service.read_document(filing, doc_id)
    ext = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}.get(doc.mime, "bin")
    return _file_response(data, doc.mime, f"document-{doc.id}.{ext}")


@blp.delete("/filings/<int:filing_id>/documents/<int:doc_id>")
@blp.response(204)
@user_required
def delete_document(filing_id, doc_id):
    """删除已上传的材料

    草稿或待补充材料时可删。
    """
    service.remove_document(current_user(), _mine(filing_id), doc_id)


@blp.get("/filings/<int:filing_id>/commitment")
@blp.response(200, CommitmentViewSchema, dump=False)
@user_required
def get_commitment(filing_id):
    """个人承诺书

    现在能否签署（不能时 reasons 说明原因）、签署前要阅读的全文，以及是否已签。
    """
    filing = _mine(filing_id)
    return service.plain({**service.commitment_status(filing), "filing_id": filing.id,
                          "pdf_url": file_url(f"/api/v1/filings/{filing.id}/commitment.pdf")})


def _signature_bytes() -> bytes:
    upload = request.files.get("signature")
    if upload is not None:
        return upload.read()
    try:
        body = CommitmentSignSchema().load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        raise validation_failed(problems_from_messages(exc.messages)) from None
    text = body["signature"]
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(422, "signature.invalid", "签名图片格式不正确，请重新签名", field="signature") from None


@blp.post("/filings/<int:filing_id>/commitment")
@blp.response(201, CommitmentSignResultSchema, dump=False)
@blp.doc(requestBody={"required": True, "content": {
    "application/json": {"schema": CommitmentSignSchema},
    "multipart/form-data": {"schema": CommitmentSignUploadSchema}}})
@user_required
def sign_commitment(filing_id):
    """签署个人承诺书

    手写签名的 PNG 图片：JSON `{"signature": "<base64 或 data:image/png;base64,...>"}`，
    或 multipart/form-data 的 signature 文件。生成带签名的 PDF，备案编号此时确定。再签一次会替换之前的承诺书。
    """
    filing = _mine(filing_id)
    doc = service.sign_commitment(current_user(), filing, _signature_bytes())
    return {"commitment": service.plain(service.commitment_status(filing)),
            "pdf_url": file_url(f"/api/v1/filings/{filing.id}/commitment.pdf"), "sha256": doc.sha256,
            "filing": service.draft_view(filing)}


@blp.get("/filings/<int:filing_id>/commitment.pdf")
@blp.doc(**binary_response("application/pdf", description="个人承诺书 PDF"), **FILE_SECURITY)
@signed_or_bearer
def get_commitment_pdf(filing_id):
    """已签署的个人承诺书 PDF

    本人，或负责该参保地审核的工作人员。JSON 里给出的 pdf_url 已带签名，wx.downloadFile 后
    wx.openDocument 即可打开。
    """
    filing = _viewable_filing(filing_id)
    doc, data = service.read_letter(filing)
    return _file_response(data, "application/pdf", f"commitment-{filing.number or filing.id}.pdf")


@blp.post("/filings/<int:filing_id>/submit")
@blp.response(200, FilingViewSchema, dump=False)
@blp.doc(parameters=[header_parameter(
    "Idempotency-Key", "同一个值重复提交只会得到同一条备案（网络重试时带上）")])
@user_required
def submit(filing_id):
    """提交备案

    内容齐全时提交，返回备案结果（result）。重复提交返回同一条备案，不会生成第二条；
    补充材料后也用它重新提交。还缺内容时返回 422，逐项说明。
    """
    key = request.headers.get("Idempotency-Key") or None
    filing = service.submit_filing(current_user(), _mine(filing_id), idempotency_key=key)
    return service.draft_view(filing)


# --- mini-program page descriptions ------------------------------------------------------------------

def _load_pages() -> dict[str, dict]:
    out = {}
    for path in sorted(MINIAPP_DIR.glob("*.json")):
        with open(path, encoding="utf-8") as f:
            page = json.load(f)
        out[page["page_id"]] = page
    return out


@blp.get("/miniapp/pages")
@blp.response(200, MiniappPagesSchema, dump=False)
@blp.doc(**PUBLIC)
def miniapp_pages():
    """小程序页面与表单描述

    每个页面的字段、控件、选项来源和必填条件，由接口的请求 schema 生成。
    """
    pages = _load_pages()
    return {"pages": list(pages.values())}


@blp.get("/miniapp/pages/<page_id>")
@blp.response(200, MiniappPageSchema, dump=False)
@blp.doc(**PUBLIC)
def miniapp_page(page_id):
    """一个小程序页面的描述

    page_id 如 choices、details、commitment。
    """
    page = _load_pages().get(page_id)
    if page is None:
        raise not_found("page", "没有这个页面")
    return page
