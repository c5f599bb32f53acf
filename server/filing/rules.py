"""The filing rules, once: codes and Chinese labels, proof documents, dates, places, conflicts.

Every function is pure. Where a rule differs between insured places it reads a policy object
(`PolicyLike`; in the service that is `server.regions.policy.RegionPolicy`). Field names in the
returned `Problem`s are the API's field names, so the HTTP layer passes them through unchanged.

Filing types, schemes, statuses and relations are addressed by their codes (strings).
"""
from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from server.errors import Problem

# --- tables -------------------------------------------------------------------------------------

LONG_TERM = "long_term"
TEMPORARY = "temporary"

FILING_GROUPS: dict[str, str] = {
    LONG_TERM: "跨省长期居住",
    TEMPORARY: "跨省临时外出",
}


@dataclass(frozen=True)
class ProofDocument:
    code: str
    label: str

    def to_dict(self) -> dict:
        return {"code": self.code, "label": self.label}


@dataclass(frozen=True)
class FilingType:
    code: str
    label: str
    group: str                                  # LONG_TERM | TEMPORARY
    explanation: str                            # one line, simple Chinese, for the person choosing
    proof_documents: tuple[ProofDocument, ...]  # alternatives: any one of them is enough
    commitment_can_replace: bool                # national baseline; the insured place may refuse

    @property
    def is_long_term(self) -> bool:
        return self.group == LONG_TERM

    @property
    def proof_needed(self) -> bool:
        return bool(self.proof_documents)

    @property
    def group_label(self) -> str:
        return FILING_GROUPS[self.group]

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "label": self.label,
            "group": self.group,
            "group_label": self.group_label,
            "explanation": self.explanation,
            "proof_documents": [d.to_dict() for d in self.proof_documents],
            "proof_needed": self.proof_needed,
            "commitment_can_replace": self.commitment_can_replace,
        }


HOUSEHOLD_REGISTER = ProofDocument("household_register", "户口簿（首页和本人页）")
RESIDENCE_PERMIT = ProofDocument("residence_permit", "居住证")
RESIDENCE_CERTIFICATE = ProofDocument("residence_certificate", "居住证明")
DISPATCH_CERTIFICATE = ProofDocument("dispatch_certificate", "单位派出证明")
WORK_CERTIFICATE = ProofDocument("work_certificate", "异地工作证明")
LABOR_CONTRACT = ProofDocument("labor_contract", "劳动合同")
REFERRAL_CERTIFICATE = ProofDocument("referral_certificate", "转诊转院证明（参保地定点医院开具）")

PROOF_DOCUMENTS: dict[str, ProofDocument] = {d.code: d for d in (
    HOUSEHOLD_REGISTER, RESIDENCE_PERMIT, RESIDENCE_CERTIFICATE, DISPATCH_CERTIFICATE,
    WORK_CERTIFICATE, LABOR_CONTRACT, REFERRAL_CERTIFICATE,
)}

FILING_TYPES: dict[str, FilingType] = {t.code: t for t in (
    FilingType("retiree_relocated", "异地安置退休人员", LONG_TERM,
               "退休后到外省长期生活的人员",
               (HOUSEHOLD_REGISTER,), True),
    FilingType("long_term_resident", "异地长期居住人员", LONG_TERM,
               "在外省长期居住生活的人员",
               (RESIDENCE_PERMIT, RESIDENCE_CERTIFICATE), True),
    FilingType("resident_worker", "常驻异地工作人员", LONG_TERM,
               "被单位派到外省工作，或在外省长期工作的人员",
               (DISPATCH_CERTIFICATE, WORK_CERTIFICATE, LABOR_CONTRACT), True),
    FilingType("referral", "异地转诊就医人员", TEMPORARY,
               "病情需要，由参保地医院转到外省医院看病的人员",
               (REFERRAL_CERTIFICATE,), False),
    FilingType("emergency", "异地急诊抢救人员", TEMPORARY,
               "在外省突发急病、需要急诊抢救的人员（视同已备案）",
               (), False),
    FilingType("other_temporary", "其他临时外出就医人员", TEMPORARY,
               "不属于以上情况、临时去外省看病的人员",
               (), False),
)}

SCHEMES: dict[str, str] = {
    "employee": "职工基本医疗保险",
    "resident": "城乡居民基本医疗保险",
}

STATUSES: dict[str, str] = {
    "draft": "草稿",
    "pending_review": "待审核",
    "returned": "待补充材料",
    "approved": "备案成功",
    "rejected": "审核不通过",
    "cancelled": "已撤销",
    "expired": "已失效",
    "superseded": "已变更",
}

# Statuses that hold a person's one filing slot: submitted and not finished.
ACTIVE_STATUSES: frozenset[str] = frozenset({"pending_review", "returned", "approved"})
FINAL_STATUSES: frozenset[str] = frozenset({"rejected", "cancelled", "expired", "superseded"})

RELATIONS: dict[str, str] = {
    "spouse": "配偶",
    "parent": "父母",
    "child": "子女",
    "grandparent": "祖父母、外祖父母",
    "grandchild": "孙子女、外孙子女",
    "sibling": "兄弟姐妹",
    "other": "其他",
}

PROOF_MODES: dict[str, str] = {
    "uploaded": "上传证明材料",
    "commitment": "个人承诺书",
    "none": "无需证明材料",
}

# Municipalities are one pooling region each; some data uses XX0100 for them.
MUNICIPALITY_PROVINCES = frozenset({"11", "12", "31", "50"})


class UnknownCode(ValueError):
    """A code that is not in the tables (a programming error once input is validated)."""


def get_filing_type(code: str) -> FilingType:
    try:
        return FILING_TYPES[code]
    except KeyError:
        raise UnknownCode(f"unknown filing type {code!r}") from None


def status_label(code: str) -> str:
    return STATUSES.get(code, code)


# --- the policy an insured place sets -------------------------------------------------------------

class PolicyLike(Protocol):
    """What the rules read from an insured place's policy (RegionPolicy fits)."""

    @property
    def allow_same_province(self) -> bool: ...
    @property
    def commitment_types(self) -> Collection[str]: ...
    @property
    def max_backdate_days(self) -> int: ...
    @property
    def temporary_validity_months(self) -> int: ...
    @property
    def long_term_lock_months(self) -> int: ...
    @property
    def proof_due_days(self) -> int: ...
    @property
    def review_working_days(self) -> int: ...
    @property
    def allow_temporary_beside_long_term(self) -> bool: ...


# --- dates --------------------------------------------------------------------------------------

def add_months(d: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (2026-08-31 + 6 → 2027-02-28)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _fmt(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def default_end_date(filing_type: str, start: date, policy: PolicyLike) -> date | None:
    """Temporary: start + the place's validity months; long-term: None (valid until changed)."""
    if get_filing_type(filing_type).is_long_term:
        return None
    return add_months(start, policy.temporary_validity_months)


def earliest_start_date(today: date, policy: PolicyLike) -> date:
    return today - timedelta(days=policy.max_backdate_days)


def check_dates(filing_type: str, start: date | None, end: date | None, today: date,
                policy: PolicyLike) -> list[Problem]:
    """Start not earlier than the back-dating limit; temporary end at least the minimum validity
    after start; long-term without end. A missing temporary end is a problem: callers fill in
    `default_end_date` when the person did not choose one."""
    ftype = FILING_TYPES.get(filing_type)
    if ftype is None:
        return [Problem("filing_type", "filing.filing_type_invalid", "请选择备案类型")]
    problems: list[Problem] = []
    if start is None:
        problems.append(Problem("start_date", "filing.start_date_required", "请选择开始日期"))
    else:
        earliest = earliest_start_date(today, policy)
        if start < earliest:
            problems.append(Problem(
                "start_date", "filing.start_date_too_early",
                f"开始日期最早可以选{_fmt(earliest)}（最多补办{policy.max_backdate_days}天前的备案）"))
    if ftype.is_long_term:
        if end is not None:
            problems.append(Problem("end_date", "filing.end_date_not_allowed",
                                    "长期居住备案长期有效，不需要填写结束日期"))
    elif end is None:
        problems.append(Problem("end_date", "filing.end_date_required", "请选择结束日期"))
    elif start is not None:
        minimum = add_months(start, policy.temporary_validity_months)
        if end < minimum:
            problems.append(Problem(
                "end_date", "filing.end_date_too_early",
                f"临时外出就医备案的有效期至少{policy.temporary_validity_months}个月，"
                f"结束日期不能早于{_fmt(minimum)}"))
    return problems


# --- places -------------------------------------------------------------------------------------

def canonical_region_code(code: str) -> str:
    """110100 and 110000 name the same pooling region (Beijing); other codes are unchanged."""
    if len(code) == 6 and code[:2] in MUNICIPALITY_PROVINCES and code[2:] in ("0000", "0100"):
        return code[:2] + "0000"
    return code


def check_visit_place(insured_code: str | None, visit_code: str | None, same_province: bool,
                      policy: PolicyLike) -> list[Problem]:
    """`same_province` comes from the region catalogue, which knows 省本级 and 省直辖县 units."""
    problems: list[Problem] = []
    if not insured_code:
        problems.append(Problem("insured_region_code", "filing.insured_region_required", "请选择参保地"))
    if not visit_code:
        problems.append(Problem("visit_region_code", "filing.visit_region_required", "请选择就医地"))
    if problems:
        return problems
    if canonical_region_code(insured_code) == canonical_region_code(visit_code):
        return [Problem("visit_region_code", "filing.visit_region_same_as_insured",
                        "就医地不能和参保地相同")]
    if same_province and not policy.allow_same_province:
        return [Problem("visit_region_code", "filing.visit_region_same_province",
                        "就医地需在参保地以外的省份")]
    return []


# --- proof --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProofOptions:
    documents: tuple[ProofDocument, ...]   # any one of them is enough
    commitment_allowed: bool               # a 个人承诺书 may stand in for the documents
    none_needed: bool                      # the type needs no proof at all
    modes: tuple[str, ...]                 # accepted values of the draft's `proof` field

    def to_dict(self) -> dict:
        return {
            "documents": [d.to_dict() for d in self.documents],
            "commitment_allowed": self.commitment_allowed,
            "none_needed": self.none_needed,
            "modes": list(self.modes),
        }


def commitment_allowed(filing_type: str, policy: PolicyLike) -> bool:
    """Nationally only the long-term types; the insured place may accept it for fewer."""
    ftype = get_filing_type(filing_type)
    return ftype.commitment_can_replace and filing_type in policy.commitment_types


def proof_options(filing_type: str, policy: PolicyLike) -> ProofOptions:
    ftype = get_filing_type(filing_type)
    if not ftype.proof_needed:
        # recording a document anyway is allowed (e.g. an emergency admission note)
        return ProofOptions((), False, True, ("none", "uploaded"))
    allowed = commitment_allowed(filing_type, policy)
    return ProofOptions(ftype.proof_documents, allowed, False,
                        ("uploaded", "commitment") if allowed else ("uploaded",))


def _labels(docs: Iterable[ProofDocument]) -> str:
    return "、".join(d.label for d in docs)


def check_proof(filing_type: str, proof_mode: str | None, uploaded_doc_codes: Iterable[str],
                policy: PolicyLike) -> list[Problem]:
    ftype = FILING_TYPES.get(filing_type)
    if ftype is None:
        return [Problem("filing_type", "filing.filing_type_invalid", "请选择备案类型")]
    if proof_mode is not None and proof_mode not in PROOF_MODES:
        return [Problem("proof", "filing.proof_mode_invalid", "请选择上传证明材料或签署个人承诺书")]
    options = proof_options(filing_type, policy)
    uploaded = set(uploaded_doc_codes or ())
    if options.none_needed:
        if proof_mode == "commitment":
            return [Problem("proof", "filing.commitment_not_needed",
                            f"{ftype.label}不需要证明材料，也不需要签署个人承诺书")]
        return []
    if proof_mode == "commitment":
        if options.commitment_allowed:
            return []
        if ftype.commitment_can_replace:
            message = f"参保地不支持用个人承诺书代替证明材料，请上传{_labels(ftype.proof_documents)}"
        else:
            message = f"{ftype.label}需要上传{_labels(ftype.proof_documents)}，不能用个人承诺书代替"
        return [Problem("proof", "filing.commitment_not_allowed", message)]
    if proof_mode == "uploaded" and uploaded & {d.code for d in ftype.proof_documents}:
        return []
    if len(ftype.proof_documents) > 1:
        message = f"请上传以下材料之一：{_labels(ftype.proof_documents)}"
    else:
        message = f"请上传{_labels(ftype.proof_documents)}"
    if options.commitment_allowed:
        message += "；没有材料的，可以签署个人承诺书"
    return [Problem("proof", "filing.proof_required", message)]


def needs_review(filing_type: str, proof_mode: str | None = None) -> bool:
    """Temporary types that need no proof (emergency, other_temporary) are approved at once;
    everything else, including every commitment-based filing, waits for review."""
    ftype = get_filing_type(filing_type)
    return ftype.proof_needed or ftype.is_long_term or proof_mode == "commitment"


def owes_proof(filing_type: str, proof_mode: str | None) -> bool:
    """A commitment-based filing still owes its proof documents (until then: no two-way benefits)."""
    return proof_mode == "commitment" and get_filing_type(filing_type).proof_needed


def proof_due_date(approved_on: date, policy: PolicyLike) -> date:
    return approved_on + timedelta(days=policy.proof_due_days)


# --- cancel, change, extend ---------------------------------------------------------------------

def cancel_allowed(filing_type: str, approved_on: date | None, today: date,
                   policy: PolicyLike) -> tuple[bool, date | None]:
    """(allowed, first day it will be allowed). Long-term filings are locked for the place's
    months after approval; temporary ones can be cancelled any time."""
    ftype = get_filing_type(filing_type)
    if not ftype.is_long_term or approved_on is None or policy.long_term_lock_months <= 0:
        return True, None
    unlocked_on = add_months(approved_on, policy.long_term_lock_months)
    if today >= unlocked_on:
        return True, None
    return False, unlocked_on


# A change of visit place is held by the same lock as cancelling.
change_allowed = cancel_allowed


def cancel_lock_message(unlocked_on: date) -> str:
    return f"长期居住备案在备案成功后一段时间内不能撤销或变更，{_fmt(unlocked_on)}起可以办理"


def can_extend(filing_type: str, status: str, end_date: date | None, today: date) -> bool:
    """Only an approved temporary filing, before it ends (on its last day still)."""
    if not filing_type:  # a draft not yet past the filing-type step
        return False
    ftype = get_filing_type(filing_type)
    return (not ftype.is_long_term and status == "approved" and end_date is not None
            and today <= end_date)


def check_extension(filing_type: str, status: str, end_date: date | None, new_end: date | None,
                    today: date) -> list[Problem]:
    if not can_extend(filing_type, status, end_date, today):
        return [Problem(None, "filing.extend_not_allowed", "只有备案成功且还在有效期内的临时外出备案可以延期")]
    if new_end is None or new_end <= end_date:
        return [Problem("end_date", "filing.extend_end_date",
                        f"延期后的结束日期需要晚于{_fmt(end_date)}")]
    return []


# --- overlap and conflicts ------------------------------------------------------------------------

def date_ranges_overlap(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Inclusive ranges; an end of None is open-ended."""
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def effective_status(status: str, filing_type: str, end_date: date | None, today: date) -> str:
    """An approved temporary filing past its end date shows as expired, even before a job marks it."""
    if status == "approved" and end_date is not None and today > end_date:
        ftype = FILING_TYPES.get(filing_type)
        if ftype is not None and not ftype.is_long_term:
            return "expired"
    return status


def conflicting_filing(new: Any, existing_active: Iterable[Any], policy: PolicyLike) -> Any | None:
    """The first of the person's filings that the new one may not stand beside, or None.

    `new` and the existing filings are objects or mappings with `filing_type`, `start_date`,
    `end_date` (and `status` for existing ones; filings not in ACTIVE_STATUSES are ignored).
    A temporary `new` without an end date is taken with its default end date. The policy may let a
    temporary filing stand beside a long-term one (e.g. a referral to a third province).
    """
    new_type = get_filing_type(_get(new, "filing_type"))
    new_start = _get(new, "start_date")
    new_end = _get(new, "end_date")
    if new_end is None and not new_type.is_long_term:
        new_end = add_months(new_start, policy.temporary_validity_months)
    for other in existing_active:
        if _get(other, "status", "approved") not in ACTIVE_STATUSES:
            continue
        if new is other or (_get(new, "id") is not None and _get(new, "id") == _get(other, "id")):
            continue
        other_type = FILING_TYPES.get(_get(other, "filing_type"))
        if other_type is None:
            continue
        if (policy.allow_temporary_beside_long_term
                and new_type.is_long_term != other_type.is_long_term):
            continue
        if date_ranges_overlap(new_start, new_end, _get(other, "start_date"), _get(other, "end_date")):
            return other
    return None


def conflict_message(other_type: str, other_status: str) -> str:
    label = FILING_TYPES[other_type].label if other_type in FILING_TYPES else "备案"
    return (f"您已有一条{status_label(other_status)}的“{label}”备案，时间有重叠。"
            "请先撤销或变更那条备案，再重新申请")


# A filing marked `expired` by the batch job was approved; whether it covers a day is a question
# of that day and its dates, not of when the job last ran.
_IN_FORCE_WHEN_DATED = frozenset({"approved", "expired"})
OTHER_REGION_REASON = "备案就医地不是本院所在地"


@dataclass(frozen=True)
class Coverage:
    covers: bool
    reason_code: str | None = None   # None when covered
    reason: str | None = None        # simple Chinese, for the counter clerk


def status_on(status: str, filing_type: str, end_date: date | None, on_date: date) -> str:
    """The status a filing had on a day, from its dates: approved inside its window even when the
    expiry job has already marked it expired, expired after its end."""
    if status == "expired" and end_date is not None and on_date <= end_date:
        status = "approved"
    return effective_status(status, filing_type, end_date, on_date)


def coverage(filing: Any, on_date: date, place_code: str | None = None) -> Coverage:
    """Counter verification: does the filing let a hospital of `place_code` (the counter's pooling
    region, already canonical or a municipality alias) settle an admission that began on `on_date`?
    An admission that starts inside the window settles directly even if discharge is later.
    Pending, returned and draft filings cover nothing."""
    if place_code is not None and canonical_region_code(place_code) != \
            canonical_region_code(_get(filing, "visit_region_code") or ""):
        return Coverage(False, "verify.other_region", OTHER_REGION_REASON)
    status = _get(filing, "status")
    if status not in _IN_FORCE_WHEN_DATED:
        return Coverage(False, "verify.not_in_force",
                        f"备案状态是“{status_label(status)}”，不能按此备案直接结算")
    start, end = _get(filing, "start_date"), _get(filing, "end_date")
    if start is None or on_date < start:
        return Coverage(False, "verify.before_start",
                        f"入院日期早于备案开始日期{_fmt(start) if start else ''}")
    if end is not None and on_date > end:
        return Coverage(False, "verify.after_end", f"备案有效期到{_fmt(end)}，已过期")
    return Coverage(True)


def covers(filing: Any, on_date: date, place_code: str | None = None) -> bool:
    return coverage(filing, on_date, place_code).covers


# --- the rest of a submission ---------------------------------------------------------------------

def check_basics(scheme: str | None, filing_type: str | None, notice_accepted: bool | None) -> list[Problem]:
    problems: list[Problem] = []
    if scheme not in SCHEMES:
        problems.append(Problem("scheme", "filing.scheme_required", "请选择参保险种"))
    if filing_type not in FILING_TYPES:
        problems.append(Problem("filing_type", "filing.filing_type_invalid", "请选择备案类型"))
    if notice_accepted is not True:
        problems.append(Problem("notice_accepted", "filing.notice_not_accepted", "请先阅读并确认备案告知书"))
    return problems


def check_contact(filing_type: str, contact_name: str | None, contact_phone: str | None,
                  address: str | None) -> list[Problem]:
    """Name and phone always; the address at the visit place for long-term filings."""
    from server.common.idnumbers import PhoneNumberError, validate_mobile

    problems: list[Problem] = []
    if not (contact_name or "").strip():
        problems.append(Problem("contact_name", "filing.contact_name_required", "请填写联系人姓名"))
    try:
        validate_mobile(contact_phone or "")
    except PhoneNumberError as exc:
        problems.append(Problem("contact_phone", exc.code, exc.message))
    ftype = FILING_TYPES.get(filing_type)
    if ftype is not None and ftype.is_long_term and not (address or "").strip():
        problems.append(Problem("address", "filing.address_required", "请填写在就医地的居住地址"))
    return problems


def check_submission(data: Any, *, today: date, policy: PolicyLike, same_province: bool,
                     uploaded_doc_codes: Iterable[str] = ()) -> list[Problem]:
    """Every problem of a draft about to be submitted (object or mapping with the API's field
    names: insured_region_code, visit_region_code, scheme, filing_type, start_date, end_date,
    contact_name, contact_phone, address, proof, notice_accepted)."""
    filing_type = _get(data, "filing_type")
    problems = check_basics(_get(data, "scheme"), filing_type, _get(data, "notice_accepted"))
    problems += check_visit_place(_get(data, "insured_region_code"), _get(data, "visit_region_code"),
                                  same_province, policy)
    if filing_type in FILING_TYPES:
        problems += check_dates(filing_type, _get(data, "start_date"), _get(data, "end_date"), today, policy)
        problems += check_proof(filing_type, _get(data, "proof"), uploaded_doc_codes, policy)
    problems += check_contact(filing_type, _get(data, "contact_name"), _get(data, "contact_phone"),
                              _get(data, "address"))
    return problems
