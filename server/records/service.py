"""Records: the person's filings as they stand, their progress, and the actions after submission.

`today_cn` is read through this module (monkeypatch `server.records.service.today_cn` in tests)
so expiry, locks and extensions use one notion of today.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import aliased

from server.accounts.models import FamilyMember, StaffAccount, User
from server.common.idnumbers import PhoneNumberError, mask_phone, validate_mobile
from server.common.signed_urls import file_url
from server.common.timeutil import iso_cn, now_utc, to_cn, today_cn
from server.errors import ApiError, Problem, not_found, validation_failed
from server.extensions import db
from server.filing import rules
from server.filing.events import SYSTEM, Actor, record_event
from server.filing.models import Filing, FilingDocument, FilingEvent, StaffAccess
from server.filing.numbers import display_number
from server.regions.catalogue import get_catalogue
from server.regions.policy import policy_for

ACTION_LABELS = {
    "created": "创建草稿",
    "submitted": "提交备案申请",
    "resubmitted": "补充材料后重新提交",
    "approved": "备案成功",
    "rejected": "审核不通过",
    "returned": "退回补充材料",
    "cancelled": "撤销备案",
    "withdrawn": "撤回申请",
    "extended": "延期",
    "superseded": "变更就医地，本备案已变更",
    "change_requested": "申请变更就医地（新备案审核通过前，本备案继续有效）",
    "created_by_change": "变更就医地后的新备案",
    "contact_updated": "修改联系方式",
    "proof_supplied": "补交证明材料",
    "expired": "备案到期，已失效",
    "commitment_signed": "签署个人承诺书",
}
# Draft-time bookkeeping (uploads, notice versions) stays out of the person's progress view;
# notes of these actions are technical (hashes, template versions) and are not shown.
HIDDEN_ACTIONS = frozenset({"notice_accepted", "document_added", "document_removed", "draft_updated"})
NOTE_HIDDEN_ACTIONS = frozenset({"commitment_signed", "created"})
ACTOR_LABELS = {"user": "本人", "staff": "医保经办机构", "system": "系统"}

WITHDRAWABLE = frozenset({"pending_review", "returned"})


def _fmt(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _region_name(code: str | None) -> str | None:
    if not code:
        return None
    region = get_catalogue().get(code)
    return region.name if region else None


def _label(table: dict, code: str | None) -> str | None:
    if code is None:
        return None
    return table.get(code, code)


def _type_label(code: str | None) -> str | None:
    ftype = rules.FILING_TYPES.get(code or "")
    return ftype.label if ftype else None


def effective_status(filing: Filing, today: date | None = None) -> str:
    return rules.effective_status(filing.status, filing.filing_type, filing.end_date, today or today_cn())


# --- access -------------------------------------------------------------------------------------

def filing_for_user(user: User, filing_id: int) -> Filing:
    """The user's own or a family member's filing (family members belong to the user); 404 else."""
    filing = db.session.get(Filing, filing_id)
    if filing is None or filing.owner_id != user.id:
        raise not_found("filing", "没有找到这条备案")
    return filing


def _detail_query():
    older = aliased(Filing)
    replaces = select(older.id).where(older.superseded_by_id == Filing.id).limit(1).scalar_subquery()
    return (select(Filing, replaces, FamilyMember.relation)
            .outerjoin(FamilyMember, FamilyMember.id == Filing.family_member_id)
            .where(Filing.id == bindparam("filing_id"), Filing.owner_id == bindparam("owner_id")))


# Built once: constructing them costs more than running them. Events and documents are read as
# plain rows (the attributes detail() uses), cheaper than loading ORM objects for a read-only view.
_DETAIL_QUERY = _detail_query()
_EVENTS_QUERY = (select(FilingEvent.id, FilingEvent.at, FilingEvent.action, FilingEvent.actor_kind,
                        FilingEvent.to_status, FilingEvent.note)
                 .where(FilingEvent.filing_id == bindparam("filing_id")).order_by(FilingEvent.id))
_DOCUMENTS_QUERY = (select(FilingDocument.id, FilingDocument.kind, FilingDocument.doc_code, FilingDocument.mime,
                           FilingDocument.size, FilingDocument.created_at, FilingDocument.removed_at)
                    .where(FilingDocument.filing_id == bindparam("filing_id")).order_by(FilingDocument.id))


def detail_for_user(user: User, filing_id: int, today: date | None = None) -> dict:
    """`detail` of the user's filing in five queries (with verifications): the filing row carries the
    id of the filing it replaced and the family relation; events and documents come in one query each."""
    row = db.session.execute(_DETAIL_QUERY, {"filing_id": filing_id, "owner_id": user.id}).first()
    if row is None:
        raise not_found("filing", "没有找到这条备案")
    filing, replaces_id, relation = row
    params = {"filing_id": filing.id}
    return detail(filing, today, known={"replaces_id": replaces_id, "relation": relation,
                                        "events": db.session.execute(_EVENTS_QUERY, params).all(),
                                        "documents": db.session.execute(_DOCUMENTS_QUERY, params).all()})


def _user_actor(user: User) -> Actor:
    return Actor("user", user.id)


# --- list ---------------------------------------------------------------------------------------

@dataclass
class RecordPage:
    items: list  # rows with the attributes `summary` reads
    total: int
    page: int
    per_page: int


# What a list entry shows (`summary`, `proof_state`): read as plain rows of the table (a Core
# statement, no ORM loading), since an ORM object per filing cost more than the query itself, and a
# list changes nothing.
_F = Filing.__table__.c
_SUMMARY_COLUMNS = (_F.id, _F.number, _F.person_name, _F.family_member_id, _F.filing_type,
                    _F.insured_region_code, _F.visit_region_code, _F.start_date, _F.end_date,
                    _F.status, _F.submitted_at, _F.proof_mode, _F.proof_supplied_at,
                    _F.proof_due_date)


_LIST_QUERIES: dict = {}


def _list_queries(include_drafts: bool, person: str | None) -> tuple:
    """The page and count statements for one shape of list, built once per shape (with bound
    parameters): building them on every request cost a tenth of the request."""
    shape = (include_drafts, "self" if person == "self" else "member" if person else None)
    if shape not in _LIST_QUERIES:
        query = select(*_SUMMARY_COLUMNS).where(_F.owner_id == bindparam("owner_id"))
        if not include_drafts:
            query = query.where(_F.status != "draft")
        if shape[1] == "self":
            query = query.where(_F.family_member_id.is_(None))
        elif shape[1] == "member":
            query = query.where(_F.family_member_id == bindparam("member_id"))
        page = (query.order_by(_F.created_at.desc(), _F.id.desc())
                .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))
        _LIST_QUERIES[shape] = (page, select(func.count()).select_from(query.subquery()))
    return _LIST_QUERIES[shape]


def list_records(user: User, *, person: str | None = None, page: int = 1, per_page: int = 20,
                 include_drafts: bool = False) -> RecordPage:
    """Own and family members' filings, newest first. `person`: 'self' or a family member id."""
    params: dict = {"owner_id": user.id}
    if person and person != "self":
        if not (person.isascii() and person.isdigit() and len(person) <= 18):
            raise validation_failed([Problem("person", "records.person_invalid", "请选择要查看的人")])
        params["member_id"] = int(person)
    page_query, count_query = _list_queries(include_drafts, person)
    rows = db.session.execute(page_query, {**params, "limit": per_page,
                                           "offset": (page - 1) * per_page}).all()
    if page == 1 and len(rows) < per_page:
        total = len(rows)  # the whole list fits on the first page: no count query
    else:
        total = db.session.scalar(count_query, params) or 0
    return RecordPage(list(rows), total, page, per_page)


# --- serialisation --------------------------------------------------------------------------------

def proof_state(filing: Filing, today: date | None = None) -> dict:
    today = today or today_cn()
    owed_type = bool(filing.filing_type) and rules.owes_proof(filing.filing_type, filing.proof_mode)
    owing = owed_type and filing.proof_supplied_at is None and filing.status == "approved"
    overdue = bool(owing and filing.proof_due_date and today > filing.proof_due_date)
    if owing:
        message = (f"已逾期：承诺补交的证明材料应于{_fmt(filing.proof_due_date)}前提交，请尽快补交"
                   if overdue else
                   f"请于{_fmt(filing.proof_due_date)}前补交证明材料；补交前仅可在就医地享受待遇"
                   if filing.proof_due_date else "请补交证明材料")
    elif owed_type and filing.proof_supplied_at:
        message = "已补交证明材料"
    else:
        message = None
    return {"owed": owing, "due_date": filing.proof_due_date.isoformat() if filing.proof_due_date else None,
            "overdue": overdue, "supplied_at": iso_cn(filing.proof_supplied_at), "message": message}


def summary(filing: Filing, today: date | None = None) -> dict:
    today = today or today_cn()
    shown = effective_status(filing, today)
    return {
        "id": filing.id,
        "number": filing.number,
        "number_display": display_number(filing.number),
        "person_name": filing.person_name,
        "family_member_id": filing.family_member_id,
        "is_self": filing.family_member_id is None,
        "filing_type": filing.filing_type,
        "filing_type_label": _type_label(filing.filing_type),
        "insured_region_code": filing.insured_region_code,
        "insured_region_name": _region_name(filing.insured_region_code),
        "visit_region_code": filing.visit_region_code,
        "visit_region_name": _region_name(filing.visit_region_code),
        "start_date": filing.start_date.isoformat() if filing.start_date else None,
        "end_date": filing.end_date.isoformat() if filing.end_date else None,
        "status": filing.status,
        "status_label": rules.status_label(filing.status),
        "effective_status": shown,
        "effective_status_label": rules.status_label(shown),
        "submitted_at": iso_cn(filing.submitted_at),
        "proof_owed": proof_state(filing, today)["owed"],
    }


def _document(filing: Filing, doc: FilingDocument, for_staff: bool = False) -> dict:
    # The person downloads from their records; staff from the filing's door, which checks the
    # one staff-visibility rule and logs the access.
    url = file_url(f"/api/v1/filings/{filing.id}/documents/{doc.id}" if for_staff
                   else f"/api/v1/records/{filing.id}/documents/{doc.id}")
    return {"id": doc.id, "kind": doc.kind, "doc_code": doc.doc_code,
            "doc_label": rules.PROOF_DOCUMENTS[doc.doc_code].label if doc.doc_code in rules.PROOF_DOCUMENTS else None,
            "mime": doc.mime, "size": doc.size, "uploaded_at": iso_cn(doc.created_at), "url": url}


def _origin_institution(filing: Filing) -> dict | None:
    """The hospital whose counter QR the filing started from: where it started, never a limit."""
    if filing.origin_institution_id is None:
        return None
    from server.institutions.models import Institution

    inst = db.session.get(Institution, filing.origin_institution_id)
    return {"id": inst.id, "code": inst.code, "name": inst.name} if inst else None


def timeline(filing: Filing, events=None) -> list[dict]:
    """`events`: the filing's events already read (rows with the same attributes)."""
    out = []
    for ev in sorted(filing.events if events is None else events, key=lambda e: (e.at, e.id)):
        if ev.action in HIDDEN_ACTIONS:
            continue
        out.append({"at": iso_cn(ev.at), "action": ev.action, "label": _label(ACTION_LABELS, ev.action),
                    "actor": ev.actor_kind, "actor_label": _label(ACTOR_LABELS, ev.actor_kind),
                    "status": ev.to_status, "status_label": rules.status_label(ev.to_status) if ev.to_status else None,
                    "note": None if ev.action in NOTE_HIDDEN_ACTIONS else ev.note})
    return out


_VERIFICATIONS_QUERY = None


def _verifications_query():
    global _VERIFICATIONS_QUERY
    if _VERIFICATIONS_QUERY is None:
        from server.institutions.models import Institution

        _VERIFICATIONS_QUERY = (
            select(StaffAccess.at, Institution.name)
            .join(StaffAccount, StaffAccount.id == StaffAccess.staff_id)
            .outerjoin(Institution, Institution.id == StaffAccount.institution_id)
            .where(StaffAccess.filing_id == bindparam("filing_id"), StaffAccess.action == "verify")
            .order_by(StaffAccess.at.desc()))
    return _VERIFICATIONS_QUERY


def verifications(filing: Filing) -> list[dict]:
    """Counter checks of this filing, as the person should see them (which hospital, when)."""
    rows = db.session.execute(_verifications_query(), {"filing_id": filing.id}).all()
    out = []
    for at, name in rows:
        local = to_cn(at)
        who = name or "医疗机构"
        out.append({"at": iso_cn(at), "institution_name": name,
                    "text": f"{who} 于 {local:%Y-%m-%d %H:%M} 查验"})
    return out


def _policy(filing: Filing):
    return policy_for(filing.insured_region_code)


def cancel_state(filing: Filing, today: date) -> dict:
    if effective_status(filing, today) != "approved":
        return {"allowed": False, "unlocked_on": None, "message": None}
    allowed, unlocked_on = rules.cancel_allowed(filing.filing_type, filing.approved_on, today, _policy(filing))
    return {"allowed": allowed, "unlocked_on": unlocked_on.isoformat() if unlocked_on else None,
            "message": None if allowed else rules.cancel_lock_message(unlocked_on)}


def detail(filing: Filing, today: date | None = None, *, known: dict | None = None,
           for_staff: bool = False) -> dict:
    """`known`: replaces_id, relation, events and documents already read (detail_for_user);
    `for_staff`: document links a reviewer can open."""
    today = today or today_cn()
    out = summary(filing, today)
    documents = known["documents"] if known else filing.documents
    letter = next((d for d in documents if d.kind == "letter" and d.removed_at is None), None)
    pending = filing.status == "pending_review"
    due_day = None
    if pending and filing.review_due_at is not None:
        due_day = (to_cn(filing.review_due_at) - timedelta(seconds=1)).date()
    if known is None:
        family = db.session.get(FamilyMember, filing.family_member_id) if filing.family_member_id else None
        known = {"relation": family.relation if family else None, "events": None,
                 "replaces_id": db.session.scalar(select(Filing.id).where(Filing.superseded_by_id == filing.id))}
    out.update({
        "person_id_masked": filing.person_id_masked,
        "relation": known["relation"],
        "scheme": filing.scheme,
        "scheme_label": rules.SCHEMES.get(filing.scheme or ""),
        "contact_name": filing.contact_name,
        "contact_phone_masked": mask_phone(filing.contact_phone) if filing.contact_phone else None,
        "address": filing.address,
        "proof_mode": filing.proof_mode,
        "proof_mode_label": rules.PROOF_MODES.get(filing.proof_mode or ""),
        "source": filing.source,
        "origin_institution": _origin_institution(filing),
        "decided_at": iso_cn(filing.decided_at),
        "approved_on": filing.approved_on.isoformat() if filing.approved_on else None,
        "return_reason": filing.reject_reason if filing.status == "returned" else None,
        # Deprecated for a return (return_reason names it); kept for clients that read it.
        "reject_reason": filing.reject_reason if filing.status in ("rejected", "returned") else None,
        "review_due_at": iso_cn(filing.review_due_at) if pending else None,
        "review_due_message": f"预计{_fmt(due_day)}前完成审核" if due_day else None,
        "superseded_by_id": filing.superseded_by_id if filing.status == "superseded" else None,
        "change_pending_filing_id": change.id if (change := pending_change(filing)) else None,
        "replaces_id": known["replaces_id"],
        "documents": [_document(filing, d, for_staff) for d in documents
                      if d.removed_at is None and d.kind == "proof"],
        "letter": _document(filing, letter, for_staff) if letter else None,
        "proof": proof_state(filing, today),
        "timeline": timeline(filing, known["events"]),
        "verifications": verifications(filing),
        "cancel": cancel_state(filing, today) if filing.filing_type else None,
        "can_withdraw": filing.status in WITHDRAWABLE,
        "can_extend": bool(filing.filing_type) and rules.can_extend(
            filing.filing_type, effective_status(filing, today), filing.end_date, today),
        "voucher_available": effective_status(filing, today) == "approved",
    })
    return out


# --- actions ------------------------------------------------------------------------------------

def cancel(user: User, filing_id: int) -> Filing:
    """撤销备案 of an approved filing; long-term ones are locked for months after approval."""
    filing = filing_for_user(user, filing_id)
    today = today_cn()
    if filing.status in WITHDRAWABLE:
        return withdraw(user, filing_id)
    if effective_status(filing, today) != "approved":
        raise ApiError(409, "filing.not_cancellable",
                       f"该备案当前为“{rules.status_label(effective_status(filing, today))}”，不能撤销")
    allowed, unlocked_on = rules.cancel_allowed(filing.filing_type, filing.approved_on, today, _policy(filing))
    if not allowed:
        raise ApiError(409, "filing.cancel_locked", rules.cancel_lock_message(unlocked_on),
                       details=[Problem(None, "filing.unlocked_on", unlocked_on.isoformat())])
    record_event(filing, _user_actor(user), "cancelled", to_status="cancelled")
    db.session.flush()
    return filing


def withdraw(user: User, filing_id: int) -> Filing:
    filing = filing_for_user(user, filing_id)
    if filing.status not in WITHDRAWABLE:
        raise ApiError(409, "filing.not_withdrawable", "只有待审核或待补充材料的申请可以撤回")
    record_event(filing, _user_actor(user), "withdrawn", to_status="cancelled")
    filing.review_due_at = None
    settle_change_of_place(filing, _user_actor(user), approved=False)
    db.session.flush()
    return filing


def _person_filings(filing: Filing) -> list[Filing]:
    return list(db.session.scalars(select(Filing).where(
        Filing.person_id_hash == filing.person_id_hash, Filing.id != filing.id,
        Filing.status.in_(rules.ACTIVE_STATUSES))))


def extend(user: User, filing_id: int, new_end: date | None) -> Filing:
    filing = filing_for_user(user, filing_id)
    today = today_cn()
    problems = rules.check_extension(filing.filing_type, effective_status(filing, today),
                                     filing.end_date, new_end, today)
    if problems:
        if problems[0].code == "filing.extend_not_allowed":
            raise ApiError(409, problems[0].code, problems[0].message)
        raise validation_failed(problems)
    probe = {"filing_type": filing.filing_type, "start_date": filing.start_date, "end_date": new_end}
    other = rules.conflicting_filing(probe, _person_filings(filing), _policy(filing))
    if other is not None:
        raise ApiError(409, "filing.conflict", rules.conflict_message(other.filing_type, other.status))
    old_end = filing.end_date
    filing.end_date = new_end
    record_event(filing, _user_actor(user), "extended", note=f"结束日期由{_fmt(old_end)}延至{_fmt(new_end)}")
    db.session.flush()
    return filing


def pending_change(filing: Filing) -> Filing | None:
    """The new filing of a change of visit place still waiting for its decision, if any."""
    if filing.superseded_by_id is None or filing.status == "superseded":
        return None
    new = db.session.get(Filing, filing.superseded_by_id)
    return new if new is not None and new.status in ("pending_review", "returned") else None


def change_visit_place(user: User, filing_id: int, visit_region_code: str,
                       start_date: date | None = None) -> Filing:
    """A new filing with the new visit place, submitted for review. The old filing stays in force
    and points to the new one (`superseded_by_id`) until the new one is approved (then the old one
    becomes 已变更) or refused (then the pointer goes and nothing else changes): see
    `settle_change_of_place`. A proof still owed keeps its due date."""
    from server.filing.access import pooling_code
    from server.filing.service import assign_number
    from server.review.adapter import get_review_adapter

    filing = filing_for_user(user, filing_id)
    today = today_cn()
    if effective_status(filing, today) != "approved":
        raise ApiError(409, "filing.not_changeable", "只有备案成功且仍有效的备案可以变更就医地")
    if pending_change(filing) is not None:
        raise ApiError(409, "filing.change_pending",
                       "已有一条变更就医地的申请在办理中，请等审核结果出来，或先撤回那条申请")
    policy = _policy(filing)
    allowed, unlocked_on = rules.change_allowed(filing.filing_type, filing.approved_on, today, policy)
    if not allowed:
        raise ApiError(409, "filing.change_locked", rules.cancel_lock_message(unlocked_on),
                       details=[Problem(None, "filing.unlocked_on", unlocked_on.isoformat())])
    catalogue = get_catalogue()
    # As drafts do: a district or county code names its pooling region (440106 -> 440100).
    region = catalogue.pooling_region_for(visit_region_code or "")
    if region is None or region.insured_only:
        raise validation_failed([Problem("visit_region_code", "filing.visit_region_invalid", "请选择就医地（省、市）")])
    new_code = pooling_code(region.code)
    if new_code == pooling_code(filing.visit_region_code):
        raise validation_failed([Problem("visit_region_code", "filing.visit_region_unchanged",
                                         "新的就医地和原来的相同")])
    problems = rules.check_visit_place(filing.insured_region_code, new_code,
                                       catalogue.same_province(filing.insured_region_code, new_code), policy)
    start = start_date or max(today, filing.start_date)
    end = None
    if not rules.get_filing_type(filing.filing_type).is_long_term:
        end = filing.end_date
        if end is None or end < rules.add_months(start, policy.temporary_validity_months):
            end = rules.default_end_date(filing.filing_type, start, policy)
    problems += rules.check_dates(filing.filing_type, start, end, today, policy)
    if problems:
        raise validation_failed(problems)
    new = Filing(
        owner_id=filing.owner_id, family_member_id=filing.family_member_id,
        person_name=filing.person_name, person_id_enc=filing.person_id_enc,
        person_id_hash=filing.person_id_hash, person_id_masked=filing.person_id_masked,
        insured_region_code=filing.insured_region_code, visit_region_code=new_code,
        scheme=filing.scheme, filing_type=filing.filing_type, start_date=start, end_date=end,
        contact_name=filing.contact_name, contact_phone=filing.contact_phone, address=filing.address,
        notice_version=filing.notice_version, notice_accepted_at=filing.notice_accepted_at,
        proof_mode=filing.proof_mode, status="draft", source=filing.source,
        origin_institution_id=filing.origin_institution_id,
        proof_supplied_at=filing.proof_supplied_at,
        # The proof owed is owed from the first approval: a change does not restart the clock.
        proof_due_date=filing.proof_due_date,
    )
    db.session.add(new)
    db.session.flush()
    assign_number(new)
    # The documents stay what was filed: the new filing refers to the same stored files.
    for doc in filing.documents:
        if doc.removed_at is None:
            db.session.add(FilingDocument(filing_id=new.id, kind=doc.kind, doc_code=doc.doc_code,
                                          storage_key=doc.storage_key, sha256=doc.sha256,
                                          mime=doc.mime, size=doc.size))
    actor = _user_actor(user)
    record_event(new, actor, "created_by_change", note=f"由备案 {filing.number or filing.id} 变更就医地")
    filing.superseded_by_id = new.id
    record_event(filing, actor, "change_requested",
                 note=f"申请把就医地变更为{region.name}（新备案 {new.number}）；审核通过前本备案继续有效")
    db.session.flush()
    get_review_adapter().on_submitted(new, actor)  # may approve at once, which settles the change
    db.session.flush()
    return new


def settle_change_of_place(new: Filing, actor: Actor, approved: bool) -> Filing | None:
    """Called when the new filing of a change of visit place is decided. Approved: the filing it
    replaces becomes 已变更 (if it is still in force). Refused or withdrawn: the old filing just
    stops pointing to it. Returns the old filing, if any."""
    old = db.session.scalar(select(Filing).where(Filing.superseded_by_id == new.id,
                                                 Filing.id != new.id))
    if old is None or old.status != "approved":
        return old
    if approved:
        old_place = _region_name(old.visit_region_code) or old.visit_region_code
        new_place = _region_name(new.visit_region_code) or new.visit_region_code
        record_event(old, actor, "superseded", to_status="superseded",
                     note=f"就医地由{old_place}变更为{new_place}，新备案 {new.number}")
    else:
        old.superseded_by_id = None
    db.session.flush()
    return old


def update_contact(user: User, filing_id: int, contact_phone: str | None = None,
                   address: str | None = None) -> Filing:
    filing = filing_for_user(user, filing_id)
    if filing.status in rules.FINAL_STATUSES or effective_status(filing) == "expired":
        raise ApiError(409, "filing.closed", "该备案已结束，不能修改联系方式")
    problems: list[Problem] = []
    changed: list[str] = []
    if contact_phone is not None:
        try:
            phone = validate_mobile(contact_phone)
        except PhoneNumberError as exc:
            problems.append(Problem("contact_phone", exc.code, exc.message))
        else:
            if phone != filing.contact_phone:
                filing.contact_phone = phone
                changed.append("联系电话")
    if address is not None:
        address = address.strip()
        if not address and rules.get_filing_type(filing.filing_type).is_long_term:
            problems.append(Problem("address", "filing.address_required", "请填写在就医地的居住地址"))
        elif len(address) > 200:
            problems.append(Problem("address", "field.length", "地址太长了"))
        elif address != (filing.address or ""):
            filing.address = address or None
            changed.append("地址")
    if problems:
        raise validation_failed(problems)
    if changed:
        record_event(filing, _user_actor(user), "contact_updated", note="修改了" + "、".join(changed))
    db.session.flush()
    return filing


def supply_owed_proof(user: User, filing_id: int, data: bytes, doc_code: str | None) -> Filing:
    """The proof a commitment-based filing owes; after this the filing owes nothing."""
    from server.common.storage import get_storage
    from server.filing.uploads import UploadError, sanitize_upload, store_file

    filing = filing_for_user(user, filing_id)
    if not proof_state(filing)["owed"]:
        raise ApiError(409, "filing.no_proof_owed", "这条备案不需要补交证明材料")
    ftype = rules.get_filing_type(filing.filing_type)
    codes = [d.code for d in ftype.proof_documents]
    if doc_code is None and len(codes) == 1:
        doc_code = codes[0]
    if doc_code not in codes:
        labels = "、".join(d.label for d in ftype.proof_documents)
        raise validation_failed([Problem("doc_code", "filing.doc_code_invalid", f"请选择材料类型：{labels}")])
    try:
        clean = sanitize_upload(data, max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
        key = store_file(get_storage(), clean)
    except UploadError as err:
        raise ApiError(err.status, err.code, err.message, field=err.field) from None
    db.session.add(FilingDocument(filing_id=filing.id, kind="proof", doc_code=doc_code, storage_key=key,
                                  sha256=clean.sha256, mime=clean.mime, size=clean.size))
    filing.proof_supplied_at = now_utc()
    record_event(filing, _user_actor(user), "proof_supplied",
                 note=f"补交了{rules.PROOF_DOCUMENTS[doc_code].label}")
    db.session.flush()
    return filing


def document_for_user(user: User, filing_id: int, doc_id: int) -> FilingDocument:
    filing = filing_for_user(user, filing_id)
    doc = db.session.get(FilingDocument, doc_id)
    if doc is None or doc.filing_id != filing.id or doc.removed_at is not None:
        raise not_found("document", "没有找到这个文件")
    return doc


def expire_filings(today: date | None = None) -> int:
    """Record the expiry of approved temporary filings past their end date (reads already show it)."""
    today = today or today_cn()
    temporary = [code for code, t in rules.FILING_TYPES.items() if not t.is_long_term]
    rows = db.session.scalars(select(Filing).where(
        Filing.status == "approved", Filing.filing_type.in_(temporary),
        Filing.end_date.is_not(None), Filing.end_date < today)).all()
    for filing in rows:
        record_event(filing, SYSTEM, "expired", to_status="expired",
                     note=f"有效期至{_fmt(filing.end_date)}，已到期")
    db.session.flush()
    return len(rows)
