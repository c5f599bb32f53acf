"""Counter QR codes, the entry they lead to, and filing verification at the counter.

Use-case functions with their permission checks; they flush and leave the commit to the request.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from server.common.timeutil import now_utc, today_cn
from server.errors import ApiError, Problem, validation_failed
from server.extensions import db
from server.institutions import qr
from server.institutions.directory import mask_name
from server.institutions.models import CounterCode, Institution
from server.regions.catalogue import get_catalogue

ENTRY_INVALID = "二维码无效或已过期，请向窗口工作人员索取新的二维码"
ENTRY_REVOKED = "这个二维码已停用，请向窗口工作人员索取新的二维码"
MINIPROGRAM_NAME = "国家异地就医备案"
WXACODE_PAGE = "pages/entry/index"


# --- entry -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EntryInfo:
    institution: Institution
    counter_code: CounterCode
    region_code: str
    region_name: str

    def prefill(self) -> dict:
        return {"visit_region_code": self.region_code, "visit_region_name": self.region_name,
                "origin_institution_id": self.institution.id,
                "origin_institution_name": self.institution.name}


def token_for(code: CounterCode) -> str:
    return qr.make_token(current_app.config["SECRET_KEY"], code.id)


def entry_url(code: CounterCode) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/q/{token_for(code)}"


def find_counter_code(token: str) -> CounterCode:
    """The counter code a token names; 404 entry.invalid (unknown or forged), 410 entry.revoked."""
    from server.config import signing_secrets

    code_id = None
    for secret in signing_secrets(current_app.config):  # printed codes outlive a SECRET_KEY rotation
        try:
            code_id = qr.read_token(secret, token)
            break
        except qr.BadToken:
            continue
    if code_id is None:
        raise ApiError(404, "entry.invalid", ENTRY_INVALID)
    code = db.session.get(CounterCode, code_id)
    if code is None:
        raise ApiError(404, "entry.invalid", ENTRY_INVALID)
    if code.revoked_at is not None:
        raise ApiError(410, "entry.revoked", ENTRY_REVOKED)
    return code


def resolve_entry(token: str) -> EntryInfo:
    """What a counter QR token leads to: the hospital, the counter, and its pooling region (the
    visit place to prefill). Raises ApiError 404 entry.invalid / 410 entry.revoked."""
    code = find_counter_code(token)
    inst = db.session.get(Institution, code.institution_id)
    region = get_catalogue().get(inst.region_code)
    return EntryInfo(inst, code, region.code, region.name)


def start_filing_from_entry(user, token: str, applicant="self"):
    """A draft filing with the visit place filled; the hospital is recorded as where it started."""
    from server.filing.service import create_draft

    info = resolve_entry(token)
    return create_draft(user, applicant=applicant,
                        prefill={"visit_region_code": info.region_code},
                        source="counter", origin_institution_id=info.institution.id)


# --- counter codes -----------------------------------------------------------------------------------

def get_institution(code: str) -> Institution:
    inst = db.session.execute(select(Institution).where(Institution.code == code)).scalar_one_or_none()
    if inst is None:
        raise ApiError(404, "institution.not_found", "没有找到这家机构")
    return inst


def create_counter_code(institution: Institution, counter_name: str | None) -> CounterCode:
    code = CounterCode(institution_id=institution.id, counter_name=(counter_name or "").strip() or None)
    db.session.add(code)
    db.session.flush()
    return code


def counter_code_for_staff(staff, code_id: int) -> CounterCode:
    code = db.session.get(CounterCode, code_id)
    # Another institution's code is answered like a missing one.
    if code is None or code.institution_id != staff.institution_id:
        raise ApiError(404, "counter_code.not_found", "没有找到这个二维码")
    return code


def revoke_counter_code(code: CounterCode) -> CounterCode:
    if code.revoked_at is None:
        code.revoked_at = now_utc()
        db.session.flush()
    return code


def code_images(code: CounterCode) -> dict:
    url = entry_url(code)

    def poster() -> bytes:
        inst = db.session.get(Institution, code.institution_id)  # only the poster shows its name
        return qr.poster_png(url, inst.name, code.counter_name)

    return {"url": url, "png": lambda: qr.qr_png(url), "svg": lambda: qr.qr_svg(url), "poster": poster,
            "poster_pdf": lambda: qr.poster_pdf(poster())}


def wxacode_png(code: CounterCode) -> bytes:
    """The mini-program code for this counter (scene = the same token), fetched from WeChat once
    and kept in the file storage by content hash."""
    from server.wechat import WeChatError, WeChatGateway

    cfg = current_app.config
    if not (cfg.get("WECHAT_APPID") and cfg.get("WECHAT_SECRET")):
        raise ApiError(503, "wechat.not_configured", "未配置微信小程序，暂不能生成小程序码")
    from server.common.storage import FileMissing, get_storage

    storage = get_storage()
    if code.wxacode_sha256:
        try:
            return storage.get(f"wxacode/{code.wxacode_sha256}.png")
        except FileMissing:
            pass
    try:
        png = WeChatGateway.from_app().wxacode_unlimited(token_for(code), WXACODE_PAGE)
    except WeChatError:
        raise ApiError(503, "wechat.unavailable", "微信服务暂时不可用，请稍后再试") from None
    digest = hashlib.sha256(png).hexdigest()
    storage.put(f"wxacode/{digest}.png", png)
    code.wxacode_sha256 = digest
    db.session.flush()
    return png


URL_LINK_DAYS = 30


def url_link(token: str) -> str | None:
    """A WeChat URL Link opening the mini-program's entry page for this counter token, for a
    browser outside WeChat; kept in shared storage for a day (WeChat limits how many are made).
    None when WeChat is not configured or does not answer: the page then explains the way by hand."""
    from server.common.kv import get_kv
    from server.wechat import WeChatError, WeChatGateway

    cfg = current_app.config
    if not (cfg.get("WECHAT_APPID") and cfg.get("WECHAT_SECRET")):
        return None
    kv = get_kv()
    key = f"wechat:urllink:{hashlib.sha256(token.encode()).hexdigest()[:32]}"
    cached = kv.get(key)
    if cached:
        return cached
    try:
        link = WeChatGateway.from_app().generate_urllink(WXACODE_PAGE, f"scene={token}", URL_LINK_DAYS)
    except WeChatError:
        return None
    kv.set(key, link, 24 * 3600)
    return link


# --- verification at the counter -------------------------------------------------------------------

VISIBLE_STATUSES_EXCLUDED = ("draft",)


def _find_filing(*, voucher: str | None, filing_number: str | None, id_number: str | None,
                 on_date: date, place_code: str | None):
    from server.common.datakeys import lookup_hash
    from server.common.idnumbers import IdNumberError, validate_id_number
    from server.filing import rules
    from server.filing.models import Filing

    if voucher:
        from server.records.voucher import read_voucher

        filing = db.session.get(Filing, read_voucher(voucher))
    elif filing_number:
        from server.filing.numbers import lookup_forms

        forms = lookup_forms(filing_number)  # 422 on a mistyped new-style number
        filing = db.session.execute(
            select(Filing).where(Filing.number.in_(forms))).scalars().first() if forms else None
    else:
        try:
            info = validate_id_number(id_number)
        except IdNumberError as exc:
            raise validation_failed([exc.to_problem("id_number")]) from None
        digest = lookup_hash(info.number)
        candidates = list(db.session.execute(
            select(Filing).where(Filing.person_id_hash == digest,
                                 Filing.status.not_in(VISIBLE_STATUSES_EXCLUDED))
            .order_by(Filing.submitted_at.desc(), Filing.id.desc())).scalars())
        # The filing in force here that day first, then the newest one for this place (staff see
        # why not), else the newest one, answered without its details.
        here = [f for f in candidates if not _other_region(f, place_code)]
        filing = next((f for f in here if rules.covers(_probe(f), on_date, place_code)), None) or \
            (here[0] if here else None) or (candidates[0] if candidates else None)
    if filing is None or filing.status in VISIBLE_STATUSES_EXCLUDED:
        raise ApiError(404, "verify.not_found", "没有找到备案信息，请核对后重试")
    return filing


def _probe(filing) -> dict:
    """The fields coverage reads, with the visit place as its pooling region: stored codes from
    before canonicalisation (a district, 110100) compare as their region."""
    from server.filing.access import pooling_code

    return {"status": filing.status, "start_date": filing.start_date, "end_date": filing.end_date,
            "visit_region_code": pooling_code(filing.visit_region_code)}


def _other_region(filing, place_code: str | None) -> bool:
    from server.filing.access import pooling_code

    return place_code is not None and pooling_code(filing.visit_region_code) != place_code


def verify_filing(staff, *, voucher: str | None = None, filing_number: str | None = None,
                  id_number: str | None = None, admission_date: date | None = None) -> dict:
    """What counter staff may see of a filing, and whether it covers the day at their hospital;
    recorded in StaffAccess. A filing for another region is answered with its number and the
    reason only: a counter sees the details of the filings for its own region."""
    from server.common.kv import hit_rate_limit
    from server.filing import rules
    from server.filing.access import pooling_code
    from server.filing.models import StaffAccess
    from server.filing.numbers import display_number

    given = [k for k, v in (("voucher", voucher), ("filing_number", filing_number),
                            ("id_number", id_number)) if v]
    if len(given) != 1:
        raise validation_failed([Problem(None, "verify.one_key",
                                         "请扫描备案凭证，或填写备案编号、身份证号码中的一项")])
    hit_rate_limit("verify", str(staff.id), current_app.config["RATE_LIMIT_VERIFY_PER_MINUTE"])
    inst = db.session.get(Institution, staff.institution_id) if staff.institution_id else None
    if inst is None:
        raise ApiError(403, "verify.no_institution", "您的账号未绑定定点医疗机构")
    on_date = admission_date or today_cn()
    place_code = pooling_code(inst.region_code)
    filing = _find_filing(voucher=voucher, filing_number=filing_number, id_number=id_number,
                          on_date=on_date, place_code=place_code)
    answer = rules.coverage(_probe(filing), on_date, place_code)
    covered = answer.covers
    message = (f"{on_date.isoformat()} 在备案有效期内，可直接结算" if covered
               else f"{on_date.isoformat()} 不能按此备案直接结算：{answer.reason}")
    if answer.reason_code == "verify.other_region":
        result = {"filing_number": filing.number, "filing_number_display": display_number(filing.number),
                  "checked_date": on_date.isoformat(), "covers": False,
                  "reason_code": answer.reason_code, "reason": answer.reason, "message": message}
    else:
        status = rules.status_on(filing.status, filing.filing_type, filing.end_date, on_date)
        cat = get_catalogue()
        insured, visit = cat.get(filing.insured_region_code or ""), cat.get(filing.visit_region_code or "")
        ftype = rules.FILING_TYPES.get(filing.filing_type)
        result = {
            "filing_number": filing.number,
            "filing_number_display": display_number(filing.number),
            "person_name": mask_name(filing.person_name),
            "person_id": filing.person_id_masked,
            "insured_region_code": filing.insured_region_code,
            "insured_region_name": insured.name if insured else None,
            "visit_region_code": filing.visit_region_code,
            "visit_region_name": visit.name if visit else None,
            "filing_type": filing.filing_type,
            "filing_type_label": ftype.label if ftype else None,
            "start_date": filing.start_date.isoformat() if filing.start_date else None,
            "end_date": filing.end_date.isoformat() if filing.end_date else None,
            "status": status,
            "status_label": rules.status_label(status),
            "checked_date": on_date.isoformat(),
            "covers": covered,
            "reason_code": answer.reason_code,
            "reason": answer.reason,
            "message": message,
        }
    detail = {"institution_code": inst.code, "institution_name": inst.name,
              "staff_name": staff.display_name, "by": given[0],
              "checked_date": on_date.isoformat(), "result": "covered" if covered else "not_covered",
              "reason_code": answer.reason_code}
    at = now_utc()
    db.session.add(StaffAccess(staff_id=staff.id, filing_id=filing.id, action="verify", at=at,
                               detail=json.dumps(detail, ensure_ascii=False)))
    # The person hears that a hospital checked their filing (someone else's use of it shows too).
    from server.notifications.outbox import on_verified

    on_verified(filing, inst.name, at, inst.id)
    db.session.flush()
    return result
