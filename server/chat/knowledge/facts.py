"""What the answers say, taken from the rules' own values: filing types and their proof documents
(server.filing.rules), the insured place's settings (server.regions.policy), and the few national
figures no rule module holds yet (the ratio cuts, the chronic diseases). Answers format these;
they never type a number themselves.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from server.filing.rules import (FILING_TYPES, LONG_TERM, TEMPORARY, commitment_allowed,
                                 get_filing_type)
from server.regions.catalogue import get_catalogue
from server.regions.policy import (NATIONAL_DEFAULTS, POLICY_FILE, RegionPolicy, UnknownRegionError,
                                   get_policy_book, policy_for)

# National ceilings of the ratio cut for temporary filers, compared with the insured place's rate
# at the same level of hospital (医保发〔2022〕22号, as quoted by the Kunming and Taiyuan guides).
# Long-term filers are paid as at home (no cut).
RATIO_CUT_POINTS: Mapping[str, int] = {"referral": 10, "emergency": 10, "other_temporary": 20}
RATIO_SOURCE = "http://senbk.com/techan/dac7e5b5a21b52c0b617545ef738dda9.html"

# Outpatient chronic and special diseases settled directly across provinces: the first five
# (2021), five more added by every pooling region in December 2024.
CHRONIC_FIRST = ("高血压", "糖尿病", "恶性肿瘤门诊放化疗", "尿毒症透析", "器官移植术后抗排异治疗")
CHRONIC_ADDED_2024 = ("慢性阻塞性肺疾病", "类风湿关节炎", "冠心病", "病毒性肝炎", "强直性脊柱炎")

CHRONIC_ADDED_YEAR = 2024

# A child under this age is bound to a parent's 亲情账户 with the household register and a
# commitment letter (national platform's reply, see the family-account entry's source).
FAMILY_ACCOUNT_CHILD_AGE = 16

LONG_TERM_TYPES = tuple(c for c, t in FILING_TYPES.items() if t.group == LONG_TERM)
TEMPORARY_TYPES = tuple(c for c, t in FILING_TYPES.items() if t.group == TEMPORARY)


@dataclass(frozen=True)
class Facts:
    """What an answer may be fitted to: the filing type and the insured place, when known."""

    filing_type: str | None = None
    policy: RegionPolicy = NATIONAL_DEFAULTS
    region_name: str | None = None  # the insured place's name, when the policy is its own

    @property
    def type(self):
        return get_filing_type(self.filing_type) if self.filing_type in FILING_TYPES else None

    @property
    def long_term(self) -> bool | None:
        t = self.type
        return None if t is None else t.is_long_term

    @property
    def place(self) -> str:
        """How the answer names the insured place's rules."""
        return self.region_name or "参保地"


def facts_for(context: Any = None) -> Facts:
    """Facts from a dialog's context: a mapping (or object) with filing_type and
    insured_region_code. An unknown region falls back to the national defaults."""
    if context is None:
        return Facts()
    get = context.get if isinstance(context, Mapping) else (lambda k: getattr(context, k, None))
    filing_type = get("filing_type")
    filing_type = filing_type if filing_type in FILING_TYPES else None
    code = get("insured_region_code")
    if not code:
        return Facts(filing_type)
    try:
        policy = policy_for(str(code))
    except UnknownRegionError:
        return Facts(filing_type)
    region = get_catalogue().get(str(code))
    return Facts(filing_type, policy, region.name if region else None)


def type_label(code: str) -> str:
    return get_filing_type(code).label


def documents_text(code: str) -> str:
    """The proof documents of a type, in words ('A、B或C，任选一种')."""
    docs = get_filing_type(code).proof_documents
    labels = [d.label for d in docs]
    if len(labels) > 1:
        return "、".join(labels[:-1]) + "或" + labels[-1] + "，任选一种"
    return labels[0] if labels else ""


def commitment_types(policy: RegionPolicy) -> tuple[str, ...]:
    """The types for which this insured place accepts a 个人承诺书 instead of the documents."""
    return tuple(c for c in FILING_TYPES if commitment_allowed(c, policy))


def labels(codes) -> str:
    return "、".join(type_label(c) for c in codes)


@lru_cache(maxsize=1)
def _override_rows() -> dict[str, dict]:
    with open(POLICY_FILE, encoding="utf-8") as f:
        return {row["region_code"]: row for row in json.load(f).get("overrides", [])}


def sourced_proof_due_days(policy: RegionPolicy) -> int | None:
    """The insured place's deadline for the proof a commitment filing owes, only where a policy
    row with a source sets it (the place's own row, else its province's). The national default
    is an unsourced placeholder (see server.regions.policy): None, never stated as a rule."""
    rows = _override_rows()
    region = get_catalogue().get(policy.region_code) if policy.region_code else None
    codes = [policy.region_code] + ([region.province_code] if region and region.province_code != region.code else [])
    for code in codes:
        row = rows.get(code)
        if row and "proof_due_days" in row and row.get("source"):
            return policy.proof_due_days
    return None


def proof_due_text(f: "Facts") -> str:
    """How an answer says when the owed proof is due: the sourced number, or where to ask."""
    days = sourced_proof_due_days(f.policy)
    if days is not None:
        return f"{f.place}要求备案通过后{days}天内补交"
    return f"多久内补交由{f.place}规定，请先问清参保地医保经办机构"


@dataclass(frozen=True)
class RegionalRule:
    region_name: str
    text: str
    source: str


@lru_cache(maxsize=1)
def regional_rules() -> tuple[RegionalRule, ...]:
    """Each insured place whose settings differ from the national defaults, said in words, with
    the source its policy row names."""
    sources = {code: row["source"] for code, row in _override_rows().items()}
    catalogue = get_catalogue()
    out = []
    for code in get_policy_book().overridden_codes():
        policy = policy_for(code)
        region = catalogue.get(code)
        name = region.name if region else code
        parts = []
        if policy.long_term_lock_months != NATIONAL_DEFAULTS.long_term_lock_months:
            parts.append(lock_text(policy))
        if policy.proof_due_days != NATIONAL_DEFAULTS.proof_due_days:
            parts.append(f"用承诺书备案的，要在{policy.proof_due_days}天内补交证明材料")
        changed = [c for c in FILING_TYPES
                   if commitment_allowed(c, policy) != commitment_allowed(c, NATIONAL_DEFAULTS)]
        if changed:
            allowed = [c for c in changed if commitment_allowed(c, policy)]
            refused = [c for c in changed if c not in allowed]
            if allowed:
                parts.append(f"{labels(allowed)}没有材料的也可以签承诺书")
            if refused:
                parts.append(f"{labels(refused)}不能用承诺书代替材料")
        if policy.temporary_validity_months != NATIONAL_DEFAULTS.temporary_validity_months:
            parts.append(f"临时外出备案有效期{policy.temporary_validity_months}个月")
        if policy.max_backdate_days != NATIONAL_DEFAULTS.max_backdate_days:
            parts.append(f"开始日期最多往前补{policy.max_backdate_days}天")
        if policy.review_working_days != NATIONAL_DEFAULTS.review_working_days:
            parts.append(f"网上备案{policy.review_working_days}个工作日内审核")
        if parts:
            out.append(RegionalRule(name, "；".join(parts), sources.get(code, "")))
    return tuple(out)


def lock_text(policy: RegionPolicy) -> str:
    if policy.long_term_lock_months <= 0:
        return "长期居住类备案不设变更、撤销的时间限制，随时可以办"
    return f"长期居住类备案成功后{policy.long_term_lock_months}个月内不能变更或撤销"
