"""What each message says (pure): plain Chinese for the in-app list, and the same facts fitted to
WeChat's subscribe-message field limits."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from server.common.timeutil import to_cn


@dataclass(frozen=True)
class FilingFacts:
    """What a message may say about a filing: no name, ID or phone number."""

    filing_id: int
    filing_type_label: str
    visit_place: str | None = None
    number: str | None = None
    end_date: date | None = None
    proof_due_date: date | None = None
    reason: str | None = None
    hospital: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Composed:
    kind: str
    title: str
    body: str
    page: str
    facts: dict = field(default_factory=dict)  # by meaning: filing_type, result, note, date, number


def cn_date(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def record_page(filing_id: int) -> str:
    return f"pages/records/detail?id={filing_id}"


def _place(f: FilingFacts) -> str:
    return f.visit_place or "就医地"


def _approved(f: FilingFacts) -> tuple[str, str, str, str]:
    body = f"您的{f.filing_type_label}备案已通过，在{_place(f)}的联网定点医疗机构可直接结算。"
    if f.proof_due_date:
        body += f"请于{cn_date(f.proof_due_date)}前补交证明材料，补交前仅可在就医地享受待遇。"
        return "备案审核通过", body, "已通过", f"请于{cn_date(f.proof_due_date)}前补交材料"
    return "备案审核通过", body, "已通过", "可在就医地直接结算"


def _rejected(f: FilingFacts) -> tuple[str, str, str, str]:
    reason = f.reason or "未说明"
    return ("备案审核未通过", f"您的{f.filing_type_label}备案未通过审核，原因：{reason}。可以修改后重新申请。",
            "未通过", reason)


def _returned(f: FilingFacts) -> tuple[str, str, str, str]:
    reason = f.reason or "材料不全"
    return ("备案需要补充材料", f"您的{f.filing_type_label}备案需要补充材料，原因：{reason}。"
            "请打开备案记录补充后再提交。", "需补充", reason)


def _proof_due_soon(f: FilingFacts) -> tuple[str, str, str, str]:
    due = cn_date(f.proof_due_date)
    return ("请按时补交证明材料", f"您承诺补交的证明材料应于{due}前提交。补交前仅可在就医地享受待遇，"
            "请打开备案记录上传。", "待补交", f"请于{due}前补交")


def _proof_overdue(f: FilingFacts) -> tuple[str, str, str, str]:
    due = cn_date(f.proof_due_date)
    return ("证明材料已逾期", f"您承诺补交的证明材料应于{due}前提交，现已逾期，请尽快打开备案记录上传。",
            "已逾期", "请尽快补交证明材料")


def _ending_soon(f: FilingFacts) -> tuple[str, str, str, str]:
    end = cn_date(f.end_date)
    return ("备案即将到期", f"您的{f.filing_type_label}备案将于{end}到期。如还要在{_place(f)}看病，"
            "请在到期前打开备案记录申请延期。", "即将到期", f"{end}到期，可申请延期")


def _ended(f: FilingFacts) -> tuple[str, str, str, str]:
    end = cn_date(f.end_date)
    return ("备案已到期", f"您的{f.filing_type_label}备案已于{end}到期，到期后入院不能直接结算。"
            "如还要看病，请重新备案。", "已到期", "如需就医请重新备案")


def _verified(f: FilingFacts) -> tuple[str, str, str, str]:
    at = to_cn(f.at)
    when = f"{cn_date(at.date())}{at:%H:%M}" if at else ""
    where = f.hospital or "医院"
    return ("备案已被核验", f"{where}于{when}核验了您的备案。如不是您本人或家人在就医，请联系参保地医保经办机构。",
            "已核验", where)


def _cancelled(f: FilingFacts) -> tuple[str, str, str, str]:
    return ("备案已撤销", f"您的{f.filing_type_label}备案已撤销，撤销后在就医地不能直接结算。", "已撤销",
            "备案已撤销")


def _changed(f: FilingFacts) -> tuple[str, str, str, str]:
    return ("就医地变更已生效", f"您变更就医地的新备案已通过，原来的{f.filing_type_label}备案已变更。"
            "请以新备案为准。", "已变更", "新备案已生效")


COMPOSERS = {
    "approved": _approved, "rejected": _rejected, "returned": _returned,
    "proof_due_soon": _proof_due_soon, "proof_overdue": _proof_overdue,
    "ending_soon": _ending_soon, "ended": _ended, "verified": _verified,
    "cancelled": _cancelled, "changed": _changed,
}

# One subscribe-message template serves several kinds of message.
TEMPLATE_OF_KIND = {
    "approved": "review_result", "rejected": "review_result", "returned": "review_result",
    "proof_due_soon": "proof_reminder", "proof_overdue": "proof_reminder",
    "ending_soon": "validity_reminder", "ended": "validity_reminder",
    "verified": "verification", "cancelled": "change_result", "changed": "change_result",
}


def compose(kind: str, f: FilingFacts) -> Composed:
    title, body, result, note = COMPOSERS[kind](f)
    when = {"proof_due_soon": f.proof_due_date, "proof_overdue": f.proof_due_date,
            "ending_soon": f.end_date, "ended": f.end_date}.get(kind)
    at = to_cn(f.at)
    facts = {"filing_type": f.filing_type_label, "result": result, "note": note,
             "date": cn_date(when) if when else (cn_date(at.date()) if at else ""),
             "time": f"{cn_date(at.date())} {at:%H:%M}" if at else "",
             "number": f.number or "", "place": f.visit_place or "", "title": title}
    return Composed(kind, title, body, record_page(f.filing_id), facts)


# --- WeChat's field limits -----------------------------------------------------------------------

_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "number": 32, "letter": 32, "name": 10,
           "time": 32, "date": 32, "amount": 32, "phone_number": 17}
_ASCII_ONLY = {"character_string", "number", "letter"}


def field_type(key: str) -> str:
    """`thing3` → `thing`; WeChat names template keys by their type followed by a number."""
    return re.sub(r"\d+$", "", key)


def fit(key: str, value: str) -> str:
    """The value as WeChat accepts it for this key's type (47003 otherwise): within the length,
    ASCII only where the type demands it, never empty."""
    kind = field_type(key)
    value = (value or "").strip()
    if kind in _ASCII_ONLY:
        value = re.sub(r"[^\x21-\x7e]", "", value)
    if kind == "phrase":
        value = re.sub(r"[^\u4e00-\u9fff]", "", value)
    limit = _LIMITS.get(kind, 20)
    if len(value) > limit:
        value = value[:limit - 1] + "…" if kind == "thing" else value[:limit]
    return value or "-"


def template_data(fields: dict[str, str], facts: dict) -> dict:
    """{template key: {"value": ...}} from the configured key → meaning mapping."""
    return {key: {"value": fit(key, str(facts.get(meaning, "")))} for key, meaning in fields.items()}
