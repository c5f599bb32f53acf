"""Use cases of the filing flow, from the first choice to submission.

The wizard routes, the chat and the counter entry all call these functions; they take plain
values (never a request), check permissions beside the use case, flush and leave the commit to the
caller. Errors are ApiErrors with one Problem per bad field.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from server.accounts.models import FamilyMember, User
from server.common import crypto, datakeys, quotas
from server.common.pagination import Page, fetch_page
from server.common.storage import get_storage
from server.common.signed_urls import file_url
from server.common.idnumbers import (IdNumberError, mask_id, mask_phone, take_optional_mobile,
                                     validate_id_number)
from server.common.timeutil import iso_cn, now_utc, today_cn
from server.errors import ApiError, Problem, not_found, validation_failed
from server.extensions import db
from server.filing import consent, letter, notices, numbers, rules, uploads
from server.filing.access import can_staff_view  # noqa: F401 - the one staff rule, used by the routes
from server.filing.events import Actor, record_event
from server.filing.models import Filing, FilingDocument
from server.regions.catalogue import get_catalogue
from server.regions.policy import RegionPolicy, UnknownRegionError, policy_for

log = logging.getLogger(__name__)

EDITABLE_STATUSES = frozenset({"draft", "returned"})
STEP1_FIELDS = ("insured_region_code", "visit_region_code", "scheme", "filing_type")
STEP3_FIELDS = ("start_date", "end_date", "contact_name", "contact_phone", "address")
IDENTITY_FIELDS = ("person_name", "id_number")
# A document kept for a type that needs no proof (e.g. an emergency admission note).
SUPPORTING_DOC = rules.ProofDocument("supporting_document", "其他材料（如急诊病历、入院证明）")
NEXT_STEPS = ("start", "choices", "notice", "details", "commitment", "submit", "result")


def _key() -> str:
    return current_app.config["DATA_KEY"]


def _actor(user: User) -> Actor:
    return Actor("user", user.id)


def _region_name(code: str | None) -> str | None:
    region = get_catalogue().get(code) if code else None
    return region.name if region else None


def _policy(filing: Filing) -> RegionPolicy | None:
    try:
        return policy_for(filing.insured_region_code) if filing.insured_region_code else None
    except UnknownRegionError:
        return None


# --- reading and permissions --------------------------------------------------------------------

def get_filing_for_user(user: User, filing_id: int) -> Filing:
    """The user's own filing (their own and their family members' are all owned by them); 404
    for everyone else, so the existence of other people's filings is not disclosed."""
    filing = db.session.get(Filing, filing_id)
    if filing is None or filing.owner_id != user.id:
        raise not_found("filing", "没有找到这条备案")
    return filing


def list_drafts(user: User, *, person: str | None = None, page: int = 1, per_page: int = 20) -> Page:
    """The user's unsubmitted drafts (their own and their family members'), newest first, so any
    client can resume one. `person`: 'self' or a family member id."""
    query = select(Filing).where(Filing.owner_id == user.id, Filing.status == "draft")
    if person == "self":
        query = query.where(Filing.family_member_id.is_(None))
    elif person:
        if not person.isdigit():
            raise validation_failed([Problem("person", "filing.person_invalid", "请选择要查看的人")])
        query = query.where(Filing.family_member_id == int(person))
    return fetch_page(query.order_by(Filing.created_at.desc(), Filing.id.desc()), page, per_page)


def _require_editable(filing: Filing) -> None:
    if filing.status not in EDITABLE_STATUSES:
        raise ApiError(409, "filing.not_editable",
                       f"这条备案当前状态是“{rules.status_label(filing.status)}”，不能修改")


def _family_member(user: User, member_id: int) -> FamilyMember:
    member = db.session.get(FamilyMember, member_id)
    if member is None or member.owner_id != user.id or member.removed_at is not None:
        raise ApiError(404, "family_member.not_found", "没有找到这位家人", field="applicant")
    return member


def _set_person_from(filing: Filing, *, name: str | None, id_enc: str | None, id_hash: str | None,
                     id_masked: str | None) -> None:
    filing.person_name = name
    filing.person_id_enc = id_enc
    filing.person_id_hash = id_hash
    filing.person_id_masked = id_masked


def _apply_applicant(user: User, filing: Filing, applicant: Any) -> None:
    if applicant == "self" or applicant is None:
        filing.family_member_id = None
        _set_person_from(filing, name=user.name, id_enc=user.id_number_enc,
                         id_hash=user.id_number_hash, id_masked=user.id_number_masked)
        return
    member = _family_member(user, int(applicant))
    filing.family_member_id = member.id
    _set_person_from(filing, name=member.name, id_enc=member.id_number_enc,
                     id_hash=member.id_number_hash, id_masked=member.id_number_masked)


# --- editing a draft: one atomic call that applies what is valid and refuses what is not --------

# The rules that read several fields, and the fields each reads: a refused combination is blamed
# on the fields this update changed among them.
_PLACE_INPUTS = frozenset({"insured_region_code", "visit_region_code"})
_DATE_INPUTS = frozenset({"start_date", "end_date", "filing_type", "insured_region_code"})


def _check_step_values(data: dict, problems: list[Problem], today: date) -> dict:
    """Validate and normalise each given field on its own; returns the values to store."""
    cat = get_catalogue()
    out: dict[str, Any] = {}
    if "insured_region_code" in data:
        code = data["insured_region_code"]
        region = cat.get(code) if code else None
        if code is None:
            out["insured_region_code"] = None
        elif region is None or not region.is_pooling_region:
            problems.append(Problem("insured_region_code", "filing.insured_region_invalid",
                                    "请选择参保地（省 → 市）"))
        else:
            out["insured_region_code"] = region.code
    if "visit_region_code" in data:
        code = data["visit_region_code"]
        region = cat.pooling_region_for(code) if code else None
        if code is None:
            out["visit_region_code"] = None
        elif region is None or region.insured_only:
            problems.append(Problem("visit_region_code", "filing.visit_region_invalid",
                                    "请选择就医地（省 → 市）"))
        else:
            out["visit_region_code"] = region.code
    if "scheme" in data and data["scheme"] is not None and data["scheme"] not in rules.SCHEMES:
        problems.append(Problem("scheme", "filing.scheme_required", "请选择参保险种"))
    elif "scheme" in data:
        out["scheme"] = data["scheme"]
    if "filing_type" in data and data["filing_type"] is not None \
            and data["filing_type"] not in rules.FILING_TYPES:
        problems.append(Problem("filing_type", "filing.filing_type_invalid", "请选择备案类型"))
    elif "filing_type" in data:
        out["filing_type"] = data["filing_type"]
    take_optional_mobile(data, "contact_phone", out, problems)
    for name in ("contact_name", "address", "person_name"):
        if name in data:
            value = (data[name] or "").strip()
            out[name] = value or None
    for name in ("start_date", "end_date"):
        if name in data:
            value = data[name]
            if isinstance(value, str):  # direct callers (chat, counter) may pass ISO text
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    problems.append(Problem(name, "field.date", "日期格式不正确，应为 年-月-日（如 2026-12-01）"))
                    continue
            out[name] = value
    if "id_number" in data and data["id_number"]:
        try:
            out["id_info"] = validate_id_number(data["id_number"], today)
        except IdNumberError as exc:
            problems.append(exc.to_problem("id_number"))
    return out


def _identity_problems(user: User, family_member_id: int | None, clean: dict) -> list[Problem]:
    """A family member's identity is edited in the family account; one's own ID number must be
    the one registered (filing for someone else is a family filing)."""
    problems: list[Problem] = []
    if family_member_id is not None and ("person_name" in clean or "id_info" in clean):
        field = "id_number" if "id_info" in clean else "person_name"
        problems.append(Problem(field, "filing.identity_from_family",
                                "家人的姓名和证件号码请在亲情账户里修改"))
        clean.pop("person_name", None)
        clean.pop("id_info", None)
    elif "id_info" in clean:
        id_hash = datakeys.lookup_hash(clean["id_info"].number)
        if user.id_number_hash and user.id_number_hash != id_hash:
            problems.append(Problem("id_number", "filing.identity_mismatch",
                                    "证件号码和您实名登记的不一致；为家人办理请选择“为他人备案”"))
            clean.pop("id_info")
    return problems


def _with_end_date(values: dict, end_given: bool) -> dict:
    """Temporary: default to start + the place's validity when not chosen, or when a changed start
    left a chosen end below the minimum; long-term: no end date."""
    values = dict(values)
    ftype = rules.FILING_TYPES.get(values.get("filing_type") or "")
    if ftype is None:
        return values
    if ftype.is_long_term:
        values["end_date"] = None
        return values
    policy = _policy_of(values.get("insured_region_code"))
    if values.get("start_date") is None or end_given or policy is None:
        return values
    minimum = rules.default_end_date(values["filing_type"], values["start_date"], policy)
    if values.get("end_date") is None or values["end_date"] < minimum:
        values["end_date"] = minimum
    return values


def _policy_of(insured_region_code: str | None) -> RegionPolicy | None:
    try:
        return policy_for(insured_region_code) if insured_region_code else None
    except UnknownRegionError:
        return None


def _combined_problems(values: dict, touched: set[str], today: date) -> list[Problem]:
    """Rules that need several fields, checked once the fields they read are all known and one
    of them changed now."""
    policy = _policy_of(values.get("insured_region_code"))
    if policy is None:
        return []
    found: list[Problem] = []
    if values.get("visit_region_code") and touched & _PLACE_INPUTS:
        same = get_catalogue().same_province(values["insured_region_code"], values["visit_region_code"])
        found += rules.check_visit_place(values["insured_region_code"], values["visit_region_code"],
                                         same, policy)
    if values.get("filing_type") and values.get("start_date") and touched & _DATE_INPUTS:
        found += [p for p in rules.check_dates(values["filing_type"], values["start_date"],
                                               values.get("end_date"), today, policy)
                  if p.code != "filing.end_date_required"]
    return found


def _blamed(problem: Problem, touched: set[str]) -> set[str]:
    inputs = _PLACE_INPUTS if problem.field in _PLACE_INPUTS else _DATE_INPUTS
    if problem.field in touched:
        return {problem.field}
    return set(inputs & touched)


def _settle(current: dict, clean: dict, today: date) -> tuple[dict, list[Problem]]:
    """The values a draft will hold: the current ones with each clean value applied, except
    those a rule over several fields refuses (each refused value with its Problem, named after
    the field that was changed)."""
    clean = {k: v for k, v in clean.items() if k in current}
    problems: list[Problem] = []
    for _ in range(len(clean) + 1):
        values = _with_end_date({**current, **clean}, "end_date" in clean)
        found = _combined_problems(values, set(clean), today)
        refused: set[str] = set()
        for p in found:
            for name in sorted(_blamed(p, set(clean)) - refused):
                refused.add(name)
                problems.append(p if p.field == name else Problem(name, p.code, p.message))
        if not refused:
            return values, problems
        clean = {k: v for k, v in clean.items() if k not in refused}
    return _with_end_date(current, False), problems


def _settle_values(filing: Filing, clean: dict, today: date) -> tuple[dict, list[Problem]]:
    return _settle({n: getattr(filing, n) for n in STEP1_FIELDS + STEP3_FIELDS}, clean, today)


def preview_changes(current: dict, data: dict, *, today: date | None = None) -> tuple[dict, list[Problem]]:
    """What `apply_changes` would make of `data` on a draft holding `current` (step-1/step-3
    fields, unknown ones None), without a draft: the values kept, and the problems. For a door
    that holds values before a draft may exist (the chat, before the privacy consent)."""
    today = today or today_cn()
    problems: list[Problem] = []
    clean = _check_step_values(data, problems, today)
    clean.pop("id_info", None)
    clean.pop("person_name", None)
    values, combined = _settle({n: current.get(n) for n in STEP1_FIELDS + STEP3_FIELDS}, clean, today)
    return values, problems + combined


def _fill_end_date(filing: Filing, end_given: bool) -> None:
    values = _with_end_date({n: getattr(filing, n) for n in STEP1_FIELDS + STEP3_FIELDS}, end_given)
    filing.end_date = values["end_date"]


def _resolve_applicant(user: User, filing: Filing, applicant: Any) -> FamilyMember | None:
    """The family member a changed applicant names (None for oneself); raises before any change."""
    if filing.status != "draft":
        raise ApiError(409, "filing.applicant_locked", "已提交的备案不能更换办理人", field="applicant")
    if applicant == "self" or applicant is None:
        return None
    return _family_member(user, int(applicant))


def _write_identity(user: User, filing: Filing, clean: dict) -> None:
    if "person_name" in clean:
        filing.person_name = clean["person_name"]
        if not user.name:
            user.name = clean["person_name"]
    if "id_info" in clean:
        info = clean["id_info"]
        id_hash = datakeys.lookup_hash(info.number)
        _set_person_from(filing, name=filing.person_name, id_enc=crypto.encrypt(info.number, _key()),
                         id_hash=id_hash, id_masked=mask_id(info.number))
        if not user.id_number_hash:  # remembered for the next filing
            user.id_number_enc, user.id_number_hash = filing.person_id_enc, id_hash
            user.id_number_masked = filing.person_id_masked


def _write_values(filing: Filing, values: dict) -> None:
    before = (filing.insured_region_code, filing.filing_type)
    for name, value in values.items():
        if getattr(filing, name) != value:
            setattr(filing, name, value)
    if (filing.insured_region_code, filing.filing_type) != before and not notice_accepted(filing):
        # a different place or type has a different notice: it must be read again
        filing.notice_version = None
        filing.notice_accepted_at = None
    _refresh_proof_mode(filing)


def apply_changes(user: User, filing: Filing, data: dict, *, today: date | None = None,
                  all_or_nothing: bool = False) -> list[Problem]:
    """Apply a partial update of a draft (or a filing returned for more material): every field
    of step 1 and step 3, `applicant`, and one's own name and ID number.

    Each valid value is applied and each invalid one refused with its Problem; a refused value
    changes nothing, side effects included (the notice acceptance, the profile's identity, the
    proof mode). With `all_or_nothing` (the pages' forms) one problem refuses the whole update.
    Returns the problems: every one found in the request, in one pass. `today` is the day the
    person acted on (the chat passes the message's date)."""
    if filing.owner_id != user.id:
        raise not_found("filing", "没有找到这条备案")
    _require_editable(filing)
    today = today or today_cn()
    data = dict(data)
    member: FamilyMember | None = None
    applicant_given = "applicant" in data
    if applicant_given:
        member = _resolve_applicant(user, filing, data.pop("applicant"))
    problems: list[Problem] = []
    clean = _check_step_values(data, problems, today)
    member_id = member.id if member is not None else (None if applicant_given else filing.family_member_id)
    problems += _identity_problems(user, member_id, clean)
    with db.session.no_autoflush:
        values, combined = _settle_values(filing, clean, today)
    problems += combined
    if all_or_nothing and problems:
        return problems
    with db.session.no_autoflush:
        if applicant_given:
            _apply_applicant(user, filing, member.id if member is not None else "self")
        _write_identity(user, filing, clean)
        _write_values(filing, values)
    filing.updated_at = now_utc()
    db.session.flush()
    return problems


def create_draft(user: User, *, applicant: Any = "self", prefill: dict | None = None,
                 source: str = "wizard", origin_institution_id: int | None = None) -> Filing:
    """A new draft for the user or one of their family members (`applicant`: "self" or a family
    member id). Insured place and scheme come from the profile unless `prefill` names them;
    `prefill` may carry any step-1/step-3 field and is validated like a PATCH: every problem is
    raised at once, and no draft is made when there is one."""
    quotas.check_new_draft(user.id)
    filing = Filing(owner_id=user.id, status="draft", source=source,
                    origin_institution_id=origin_institution_id,
                    insured_region_code=user.default_insured_region_code,
                    scheme=user.default_scheme, contact_name=user.name, contact_phone=user.phone)
    _apply_applicant(user, filing, applicant)
    if filing.family_member_id is not None:
        member = db.session.get(FamilyMember, filing.family_member_id)
        filing.contact_name, filing.contact_phone = (member.name, member.phone) if member.phone \
            else (user.name, user.phone)
    prefill = dict(prefill or {})
    today = today_cn()
    problems: list[Problem] = []
    clean = _check_step_values(prefill, problems, today)
    problems += _identity_problems(user, filing.family_member_id, clean)
    with db.session.no_autoflush:
        values, combined = _settle_values(filing, clean, today)
    problems += combined
    if problems:
        raise validation_failed(problems)
    with db.session.no_autoflush:
        _write_identity(user, filing, clean)
        for name, value in values.items():
            setattr(filing, name, value)
        _refresh_proof_mode(filing)
    db.session.add(filing)
    db.session.flush()
    note = None
    if filing.family_member_id is not None:
        member = db.session.get(FamilyMember, filing.family_member_id)
        note = f"为家人备案；家人同意已确认于 {member.consent_confirmed_at.isoformat()}"
    record_event(filing, _actor(user), "created", note=note)
    db.session.flush()
    return filing


def update_draft(user: User, filing: Filing, data: dict) -> Filing:
    """The pages' PATCH: all or nothing; every bad field of the request in one 422."""
    problems = apply_changes(user, filing, data, all_or_nothing=True)
    if problems:
        raise validation_failed(problems)
    return filing


# --- step 2: the notice ----------------------------------------------------------------------------

def _current_notice(filing: Filing) -> notices.Notice:
    region = get_catalogue().get(filing.insured_region_code)
    return notices.notice_for(region.code, region.name, filing.filing_type, region.province_code)


def notice_for_region(insured_region_code: str, filing_type: str) -> notices.Notice:
    region = get_catalogue().get(insured_region_code)
    if region is None or not region.is_pooling_region:
        raise ApiError(404, "region.not_found", "没有找到这个参保地", field="insured_region_code")
    if filing_type not in rules.FILING_TYPES:
        raise ApiError(404, "filing_type.not_found", "没有这个备案类型", field="filing_type")
    return notices.notice_for(region.code, region.name, filing_type, region.province_code)


def accept_notice(user: User, filing: Filing, version: str) -> Filing:
    """Record that the person read and accepted this version of the notice."""
    if filing.owner_id != user.id:
        raise not_found("filing", "没有找到这条备案")
    _require_editable(filing)
    missing = [Problem(n, f"filing.{n}_required", "请先选择参保地和备案类型")
               for n in ("insured_region_code", "filing_type") if not getattr(filing, n)]
    if missing:
        raise ApiError(409, "filing.notice_not_ready", "请先选择参保地和备案类型", details=missing)
    current = _current_notice(filing)
    if version != current.version:
        raise ApiError(409, "filing.notice_version_outdated", "告知书已更新，请重新阅读后再确认",
                       field="version")
    filing.notice_version = current.version
    filing.notice_accepted_at = now_utc()
    record_event(filing, _actor(user), "notice_accepted", note=current.version)
    db.session.flush()
    return filing


def notice_accepted(filing: Filing) -> bool:
    if not (filing.notice_version and filing.insured_region_code and filing.filing_type):
        return False
    try:
        return _current_notice(filing).version == filing.notice_version
    except (rules.UnknownCode, AttributeError):
        return False


# --- step 3: documents -----------------------------------------------------------------------------

def _live_documents(filing: Filing, kind: str | None = None) -> list[FilingDocument]:
    return [d for d in filing.documents if d.removed_at is None and (kind is None or d.kind == kind)]


def _uploaded_codes(filing: Filing) -> set[str]:
    return {d.doc_code for d in _live_documents(filing, "proof") if d.doc_code}


def _letter(filing: Filing) -> FilingDocument | None:
    docs = _live_documents(filing, "letter")
    return docs[-1] if docs else None


def _refresh_proof_mode(filing: Filing) -> None:
    """uploaded when an accepted proof document is there, commitment when a letter is signed,
    none for the types that need no proof; None while proof is still missing."""
    if not filing.filing_type:
        filing.proof_mode = None
        return
    ftype = rules.get_filing_type(filing.filing_type)
    accepted = {d.code for d in ftype.proof_documents}
    if ftype.proof_needed and _uploaded_codes(filing) & accepted:
        filing.proof_mode = "uploaded"
    elif not ftype.proof_needed:
        filing.proof_mode = "uploaded" if _uploaded_codes(filing) else "none"
    elif _letter(filing) is not None:
        filing.proof_mode = "commitment"
    else:
        filing.proof_mode = None


def allowed_doc_codes(filing_type: str | None) -> dict[str, str]:
    if not filing_type:
        return {}
    ftype = rules.get_filing_type(filing_type)
    docs = ftype.proof_documents or (SUPPORTING_DOC,)
    return {d.code: d.label for d in docs}


def add_document(user: User, filing: Filing, doc_code: str, data: bytes) -> FilingDocument:
    """Check, clean and store one proof upload (JPEG/PNG/PDF)."""
    if filing.owner_id != user.id:
        raise not_found("filing", "没有找到这条备案")
    _require_editable(filing)
    if not filing.filing_type:
        raise ApiError(409, "filing.filing_type_required", "请先选择备案类型", field="filing_type")
    codes = allowed_doc_codes(filing.filing_type)
    if doc_code not in codes:
        raise ApiError(422, "validation_failed", "请检查以下内容", details=[Problem(
            "doc_code", "filing.doc_code_invalid", "请选择材料类型：" + "、".join(codes.values()))])
    quotas.check_new_document(filing.id)
    try:
        clean = uploads.sanitize_upload(data, max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
        key = uploads.store_file(get_storage(), clean)
    except uploads.UploadError as exc:
        raise ApiError(exc.status, exc.code, exc.message, field=exc.field) from None
    doc = FilingDocument(kind="proof", doc_code=doc_code, storage_key=key,
                         sha256=clean.sha256, mime=clean.mime, size=clean.size)
    # Appended only (the cascade adds it): adding it to the session first let the collection's
    # lazy load flush and read it, and the append then listed it a second time.
    filing.documents.append(doc)
    _refresh_proof_mode(filing)
    record_event(filing, _actor(user), "document_added", note=f"{doc_code} {clean.sha256[:12]}")
    db.session.flush()
    return doc


def _document(filing: Filing, doc_id: int) -> FilingDocument:
    doc = db.session.get(FilingDocument, doc_id)
    if doc is None or doc.filing_id != filing.id or doc.removed_at is not None:
        raise not_found("document", "没有找到这份材料")
    return doc


def remove_document(user: User, filing: Filing, doc_id: int) -> None:
    if filing.owner_id != user.id:
        raise not_found("filing", "没有找到这条备案")
    _require_editable(filing)
    doc = _document(filing, doc_id)
    if doc.kind != "proof":
        raise ApiError(409, "document.not_removable", "只能删除上传的证明材料")
    doc.removed_at = now_utc()
    _refresh_proof_mode(filing)
    record_event(filing, _actor(user), "document_removed", note=doc.doc_code)
    db.session.flush()


def read_document(filing: Filing, doc_id: int) -> tuple[FilingDocument, bytes]:
    """The stored bytes of a document; the caller has checked who may read it."""
    doc = _document(filing, doc_id)
    try:
        return doc, uploads.open_file(get_storage(), doc.storage_key)
    except uploads.UploadError:
        raise not_found("document", "没有找到这份材料") from None


def read_letter(filing: Filing) -> tuple[FilingDocument, bytes]:
    doc = _letter(filing)
    if doc is None:
        raise not_found("commitment", "还没有签署个人承诺书")
    return read_document(filing, doc.id)


# --- step 4: the commitment letter --------------------------------------------------------------------

def assign_number(filing: Filing) -> str:
    """A random, checked number (server.filing.numbers) that says nothing about how many filings
    exist; drawn again in the unlikely case it is taken."""
    while not filing.number:
        candidate = numbers.new_number()
        if db.session.scalar(db.select(Filing.id).where(Filing.number == candidate)) is None:
            filing.number = candidate
    return filing.number


def _letter_context(filing: Filing, number: str, signed_at=None) -> letter.LetterContext:
    ftype = rules.get_filing_type(filing.filing_type)
    policy = _policy(filing)
    return letter.LetterContext(
        filing_number=numbers.display_number(number), person_name=filing.person_name or "",
        id_masked=filing.person_id_masked or "", insured_region_name=_region_name(filing.insured_region_code) or "",
        visit_region_name=_region_name(filing.visit_region_code) or "",
        filing_type_label=ftype.label, proof_labels=[d.label for d in ftype.proof_documents],
        proof_due_days=policy.proof_due_days if policy else None, signed_at=signed_at)


def commitment_status(filing: Filing) -> dict:
    """Whether a letter is possible now, and why not; the text to read before signing."""
    reasons: list[Problem] = []
    policy = _policy(filing)
    for name in ("insured_region_code", "visit_region_code", "filing_type"):
        if not getattr(filing, name):
            reasons.append(Problem(name, f"filing.{name}_required", "请先完成第一步的选择"))
    if not (filing.person_name and filing.person_id_masked):
        reasons.append(Problem("id_number", "filing.identity_required", "请先填写姓名和证件号码"))
    if filing.filing_type and policy is not None:
        ftype = rules.get_filing_type(filing.filing_type)
        if not ftype.proof_needed:
            reasons.append(Problem("proof", "filing.commitment_not_needed",
                                   f"{ftype.label}不需要证明材料，也不需要签署个人承诺书"))
        elif not rules.commitment_allowed(filing.filing_type, policy):
            reasons += rules.check_proof(filing.filing_type, "commitment", (), policy)
        elif _uploaded_codes(filing) & {d.code for d in ftype.proof_documents}:
            reasons.append(Problem("proof", "filing.proof_already_uploaded",
                                   "已经上传了证明材料，不需要再签署个人承诺书"))
    doc = _letter(filing)
    text = None
    if filing.filing_type and filing.insured_region_code:
        text = letter.letter_text(_letter_context(filing, filing.number or "（提交时生成）"))
    return {"possible": not reasons, "reasons": [p.to_dict() for p in reasons], "text": text,
            "template_version": letter.LETTER_TEMPLATE_VERSION, "signed": doc is not None,
            "signed_at": doc.created_at if doc else None, "sha256": doc.sha256 if doc else None}


def sign_commitment(user: User, filing: Filing, signature: bytes) -> FilingDocument:
    """Render the letter with the drawn signature as PDF, store it with its SHA-256; the filing
    gets its number now, since the letter names it. Signing again replaces the earlier letter."""
    if filing.owner_id != user.id:
        raise not_found("filing", "没有找到这条备案")
    _require_editable(filing)
    status = commitment_status(filing)
    if not status["possible"]:
        first = status["reasons"][0]
        raise ApiError(409, "filing.commitment_not_possible", first["message"],
                       details=[Problem(**r) for r in status["reasons"]])
    try:
        png = letter.sanitize_signature(signature)
    except uploads.UploadError as exc:
        raise ApiError(exc.status, exc.code, exc.message, field="signature") from None
    number = assign_number(filing)
    signed_at = now_utc()
    pdf = letter.render_letter_pdf(_letter_context(filing, number, signed_at), png)
    for old in _live_documents(filing, "letter") + _live_documents(filing, "signature"):
        old.removed_at = signed_at
    stored = []
    for kind, data in (("signature", png), ("letter", pdf)):
        clean = uploads.CleanFile(kind="png" if kind == "signature" else "pdf",
                                  mime="image/png" if kind == "signature" else "application/pdf",
                                  data=data, sha256=hashlib.sha256(data).hexdigest(),
                                  size=len(data))
        key = uploads.store_file(get_storage(), clean)
        doc = FilingDocument(kind=kind, doc_code="commitment_letter"
                             if kind == "letter" else None, storage_key=key, sha256=clean.sha256,
                             mime=clean.mime, size=clean.size, created_at=signed_at)
        filing.documents.append(doc)  # the cascade adds it (see add_document)
        stored.append(doc)
    _refresh_proof_mode(filing)
    record_event(filing, _actor(user), "commitment_signed",
                 note=f"template {letter.LETTER_TEMPLATE_VERSION} sha256 {stored[1].sha256}")
    db.session.flush()
    return stored[1]


# --- what is missing, and the view ----------------------------------------------------------------

def missing_in(values: Any, *, consent_given: bool, person_known: bool, id_known: bool,
               notice_is_accepted: bool, proof_mode: str | None) -> list[str]:
    """What is missing next: the fields still to be supplied before submission (the API's field
    names), in page order, from plain values (a mapping of step-1/step-3 fields). Every door asks
    in its own order, but from this list: the pages' `missing` and `next_step`, the draft view and
    the chat's next question."""
    get = values.get
    out: list[str] = []
    if not consent_given:
        out.append("privacy_consent")
    if not person_known:
        out.append("person_name")
    if not id_known:
        out.append("id_number")
    out += [n for n in STEP1_FIELDS if not get(n)]
    if not notice_is_accepted:
        out.append("notice_accepted")
    ftype = rules.FILING_TYPES.get(get("filing_type") or "")
    if not get("start_date"):
        out.append("start_date")
    if ftype is not None and not ftype.is_long_term and not get("end_date"):
        out.append("end_date")
    for name in ("contact_name", "contact_phone"):
        if not get(name):
            out.append(name)
    if ftype is not None and ftype.is_long_term and not get("address"):
        out.append("address")
    if ftype is not None and ftype.proof_needed and proof_mode not in ("uploaded", "commitment"):
        out.append("proof")
    return out


def missing_fields(filing: Filing) -> list[str]:
    """`missing_in` for a filing."""
    owner = db.session.get(User, filing.owner_id)
    values = {n: getattr(filing, n) for n in STEP1_FIELDS + STEP3_FIELDS}
    return missing_in(values, consent_given=owner is None or consent.has_current_consent(owner),
                      person_known=bool(filing.person_name), id_known=bool(filing.person_id_hash),
                      notice_is_accepted=notice_accepted(filing), proof_mode=filing.proof_mode)


def next_step(filing: Filing, missing: list[str] | None = None) -> str:
    """The page the front end should show next (page ids of miniapp_schema)."""
    if filing.status not in EDITABLE_STATUSES:
        return "result"
    missing = missing_fields(filing) if missing is None else missing
    if {"person_name", "id_number"} & set(missing):
        return "start"
    if set(STEP1_FIELDS) & set(missing):
        return "choices"
    if "notice_accepted" in missing:
        return "notice"
    if set(STEP3_FIELDS) & set(missing):
        return "details"
    if "proof" in missing:
        policy = _policy(filing)
        if policy and rules.commitment_allowed(filing.filing_type, policy):
            return "commitment"
        return "details"
    return "submit"


def _doc_view(filing: Filing, doc: FilingDocument) -> dict:
    labels = allowed_doc_codes(filing.filing_type) if filing.filing_type else {}
    label = labels.get(doc.doc_code or "") or rules.PROOF_DOCUMENTS.get(doc.doc_code or "", None)
    return {"id": doc.id, "kind": doc.kind, "doc_code": doc.doc_code,
            "label": label if isinstance(label, str) else (label.label if label else "个人承诺书"),
            "mime": doc.mime, "size": doc.size, "sha256": doc.sha256, "uploaded_at": doc.created_at,
            "url": file_url(f"/api/v1/filings/{filing.id}/documents/{doc.id}")}


def result_view(filing: Filing) -> dict | None:
    """What the result page (step 5) shows after submission."""
    if filing.status == "draft":
        return None
    label = rules.status_label(filing.status)
    if filing.status == "approved":
        message = "备案成功，就医地的联网定点医疗机构都可以直接结算"
        if rules.owes_proof(filing.filing_type, filing.proof_mode) and filing.proof_supplied_at is None:
            due = filing.proof_due_date
            message += (f"；请于{due.year}年{due.month}月{due.day}日前补交证明材料" if due
                        else "；请按承诺时间补交证明材料")
    elif filing.status == "pending_review":
        message = "已提交，等待医保经办机构审核，结果会在备案记录里显示"
    else:
        message = f"当前状态：{label}"
    return {"number": filing.number, "number_display": numbers.display_number(filing.number),
            "status": filing.status, "status_label": label,
            "message": message, "submitted_at": filing.submitted_at,
            "review_due_at": filing.review_due_at, "proof_due_date": filing.proof_due_date,
            "records_path": f"/api/v1/records/{filing.id}"}


def plain(value: Any) -> Any:
    """JSON-ready copy: datetimes as ISO text in Asia/Shanghai, dates as YYYY-MM-DD."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return iso_cn(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def draft_view(filing: Filing, today: date | None = None) -> dict:
    """Everything a page (or the chat) needs about a draft or a submitted filing, masked and
    JSON-ready. `today`: the day the person acts on (the chat's message date)."""
    today = today or today_cn()
    ftype = rules.FILING_TYPES.get(filing.filing_type or "")
    missing = missing_fields(filing)
    policy = _policy(filing)
    letter_doc = _letter(filing)
    return plain({
        "id": filing.id,
        "number": filing.number,
        "filing_number": filing.number,
        "status": filing.status,
        "status_label": rules.status_label(filing.status),
        "source": filing.source,
        "applicant": filing.family_member_id if filing.family_member_id is not None else "self",
        "person_name": filing.person_name,
        "person_id_masked": filing.person_id_masked,
        "insured_region_code": filing.insured_region_code,
        "insured_region_name": _region_name(filing.insured_region_code),
        "visit_region_code": filing.visit_region_code,
        "visit_region_name": _region_name(filing.visit_region_code),
        "scheme": filing.scheme,
        "scheme_label": rules.SCHEMES.get(filing.scheme or ""),
        "filing_type": filing.filing_type,
        "filing_type_label": ftype.label if ftype else None,
        "group": ftype.group if ftype else None,
        "start_date": filing.start_date.isoformat() if filing.start_date else None,
        "end_date": filing.end_date.isoformat() if filing.end_date else None,
        "earliest_start_date": rules.earliest_start_date(today, policy).isoformat() if policy else None,
        "contact_name": filing.contact_name,
        "contact_phone_masked": mask_phone(filing.contact_phone) if filing.contact_phone else None,
        "address": filing.address,
        "notice_version": filing.notice_version,
        "notice_accepted": notice_accepted(filing),
        "notice_accepted_at": filing.notice_accepted_at,
        "proof": filing.proof_mode,
        "proof_options": rules.proof_options(filing.filing_type, policy).to_dict()
        if ftype and policy else None,
        "documents": [_doc_view(filing, d) for d in _live_documents(filing, "proof")],
        "commitment": {"signed": letter_doc is not None,
                       "signed_at": letter_doc.created_at if letter_doc else None,
                       "sha256": letter_doc.sha256 if letter_doc else None,
                       "url": file_url(f"/api/v1/filings/{filing.id}/commitment.pdf") if letter_doc else None},
        "missing": missing,
        "next_step": next_step(filing, missing),
        "created_at": filing.created_at,
        "submitted_at": filing.submitted_at,
        "review_due_at": filing.review_due_at,
        "result": result_view(filing),
    })


# --- submit ---------------------------------------------------------------------------------------

def _submission_problems(filing: Filing) -> list[Problem]:
    problems: list[Problem] = []
    owner = db.session.get(User, filing.owner_id)
    if owner is not None and not consent.has_current_consent(owner):
        problems.append(Problem("privacy_consent", "consent.required", "请先阅读并同意个人信息保护告知书"))
    if not filing.person_name:
        problems.append(Problem("person_name", "filing.person_name_required", "请填写姓名"))
    if not filing.person_id_hash:
        problems.append(Problem("id_number", "id_number.required", "请输入证件号码"))
    policy = _policy(filing)
    if policy is None:
        problems += rules.check_basics(filing.scheme, filing.filing_type, notice_accepted(filing))
        problems.append(Problem("insured_region_code", "filing.insured_region_required", "请选择参保地"))
        if filing.filing_type in rules.FILING_TYPES:
            problems += rules.check_contact(filing.filing_type, filing.contact_name,
                                            filing.contact_phone, filing.address)
        return problems
    same = bool(filing.visit_region_code) and get_catalogue().same_province(
        filing.insured_region_code, filing.visit_region_code)
    data = {n: getattr(filing, n) for n in STEP1_FIELDS + STEP3_FIELDS}
    data.update(proof=filing.proof_mode, notice_accepted=notice_accepted(filing))
    problems += rules.check_submission(data, today=today_cn(), policy=policy, same_province=same,
                                       uploaded_doc_codes=_uploaded_codes(filing))
    return problems


def _refresh_person(filing: Filing) -> None:
    """Copy the person's identity again at submission, so the record is what was filed."""
    if filing.family_member_id is not None:
        member = db.session.get(FamilyMember, filing.family_member_id)
        if member is not None and member.removed_at is None:
            _set_person_from(filing, name=member.name, id_enc=member.id_number_enc,
                             id_hash=member.id_number_hash, id_masked=member.id_number_masked)


def _check_conflict(filing: Filing, policy: RegionPolicy) -> None:
    others = list(db.session.execute(
        db.select(Filing).where(Filing.person_id_hash == filing.person_id_hash,
                                Filing.status.in_(rules.ACTIVE_STATUSES), Filing.id != filing.id)
        .order_by(Filing.id)).scalars())
    today = today_cn()
    # The filing a change of visit place replaces stays in force beside its replacement.
    others = [o for o in others if o.superseded_by_id != filing.id]
    others = [o for o in others
              if rules.effective_status(o.status, o.filing_type, o.end_date, today) in rules.ACTIVE_STATUSES]
    other = rules.conflicting_filing(filing, others, policy)
    if other is None:
        return
    end = other.end_date.isoformat() if other.end_date else "长期有效"
    period = f"{other.start_date.isoformat()} 至 {end}"
    if other.owner_id == filing.owner_id:
        message = (f"{other.person_name or '该参保人'}已有一条{rules.status_label(other.status)}的"
                   f"“{rules.get_filing_type(other.filing_type).label}”备案（编号 {other.number}，"
                   f"{period}），时间有重叠。请先撤销或变更那条备案，再重新申请")
    else:
        # made from another account: its number is not this user's to see
        message = (f"该参保人已有一条{rules.status_label(other.status)}的备案（{period}，"
                   "由其他账户办理），时间有重叠。请先撤销或变更那条备案，再重新申请")
    raise ApiError(409, "filing.conflict", message, details=[
        Problem("start_date", "filing.conflict", message)])


def _claim(filing: Filing) -> bool:
    """Take the filing for this submission, or tell that another request already has (a double
    tap). A conditional UPDATE on the status this request read does it on both databases: on
    PostgreSQL the second UPDATE waits for the first transaction's row lock and then re-reads the
    row; on SQLite, where SELECT ... FOR UPDATE does nothing, it waits for the one writer lock and
    then sees the committed status. The loser reloads the filing as the winner left it."""
    seen = filing.status
    if seen not in EDITABLE_STATUSES:
        return False
    claimed = db.session.execute(
        db.update(Filing).where(Filing.id == filing.id, Filing.status == seen)
        .values(updated_at=now_utc()).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.refresh(filing)
        return False
    return True


def _lock_person(filing: Filing) -> None:
    """Two drafts for one person submitted at the same instant must not both pass the
    one-active-filing check: on PostgreSQL a transaction-scoped advisory lock per person
    serialises them."""
    if db.session.get_bind().dialect.name == "postgresql":
        if filing.person_id_hash:
            db.session.execute(db.text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                               {"k": filing.person_id_hash})
    # On SQLite the UPDATE in _claim already holds the one writer lock, so the conflict check
    # that follows sees any submit committed before it.


def submit_filing(user: User, filing: Filing, idempotency_key: str | None = None) -> Filing:
    """Validate everything at once; number the filing; hand it to review. A filing already
    submitted (a double tap, a retry, the same Idempotency-Key) is answered as it is."""
    if filing.owner_id != user.id:
        raise not_found("filing", "没有找到这条备案")
    if idempotency_key:
        idempotency_key = idempotency_key[:64]
        earlier = db.session.execute(db.select(Filing).filter_by(
            owner_id=user.id, idempotency_key=idempotency_key)).scalar_one_or_none()
        if earlier is not None and earlier.status not in EDITABLE_STATUSES:
            return earlier
        if earlier is not None and earlier.id != filing.id:
            raise ApiError(409, "filing.idempotency_key_reused",
                           "这个请求编号已用于另一条备案，请刷新后重试")
    if not _claim(filing):
        return filing
    _refresh_person(filing)
    _fill_end_date(filing, end_given=filing.end_date is not None)
    _refresh_proof_mode(filing)
    problems = _submission_problems(filing)
    if problems:
        raise validation_failed(problems)
    policy = _policy(filing)
    _lock_person(filing)
    _check_conflict(filing, policy)
    assign_number(filing)
    if idempotency_key:
        filing.idempotency_key = idempotency_key
    filing.submitted_at = now_utc()
    from server.review.adapter import get_review_adapter  # review is built beside this module

    get_review_adapter().on_submitted(filing, _actor(user))
    db.session.flush()
    log.info("filing %s submitted (type %s, source %s)", filing.number, filing.filing_type, filing.source)
    return filing
