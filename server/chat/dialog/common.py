"""What every part of the dialog shares: the items it asks for, the facts the service gives it
for a turn (`Env`), what a turn asks the service to do (`Absorbed`), and values in plain words."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from server.chat.understand import INSURED, VISIT
from server.filing import rules
from server.regions.catalogue import get_catalogue
from server.regions.policy import UnknownRegionError, policy_for

DRAFT_FIELDS = ("insured_region_code", "insured_region_name", "visit_region_code",
                "visit_region_name", "scheme", "filing_type", "start_date", "end_date", "applicant",
                "contact_name", "contact_phone", "address", "notice_accepted", "proof")
# Slots written to the draft filing through the filing service.
SYNCED = ("insured_region_code", "visit_region_code", "scheme", "filing_type", "start_date",
          "contact_name", "contact_phone", "address", "applicant")
SLOT_KEYS = {"insured": INSURED, "visit": VISIT, "scheme": "scheme", "filing_type": "filing_type",
             "applicant": "applicant", "start_date": "start_date", "contact_name": "contact_name",
             "contact_phone": "contact_phone", "address": "address"}
LABELS = {"applicant": "办理人", "insured": "参保地", "visit": "就医地", "scheme": "参保险种",
          "filing_type": "备案类型", "start_date": "开始日期", "end_date": "结束日期",
          "contact_name": "联系人", "contact_phone": "联系电话", "address": "就医地居住地址"}
FIELD_TO_KEY = {v: k for k, v in SLOT_KEYS.items()}
# What understand() reads a bare answer as, per question.
EXPECTING = {"insured": "insured", "visit": "visit", "scheme": "scheme", "filing_type": "filing_type",
             "start_date": "start_date", "admitted": "yes_no", "contact_name": "contact_name",
             "contact_phone": "contact_phone", "confirm": "yes_no", "notice": "yes_no",
             "submit": "yes_no", "proof": "yes_no", "consent": "yes_no",
             "person_name": "contact_name", "id_number": None, "member_name": "contact_name",
             "member_relation": None, "member_consent": "yes_no", "member_id_number": None,
             "member_phone": "contact_phone"}
MAX_ATTEMPTS = 2
WEEKDAYS = "一二三四五六日"


@dataclass
class Env:
    """Facts from outside the dialog, gathered by the service for this turn."""
    today: date
    profile_name: str | None = None
    profile_phone_masked: str | None = None
    family: list[dict] = field(default_factory=list)  # {"id", "name", "relation_label", "phone_masked"}
    filing_id: int | None = None
    # What the filing still lacks (the filing service's one list, `missing_in`); None: not known.
    missing: tuple[str, ...] | None = None
    notice: dict | None = None  # {"version", "title", "text"} once insured place and type are known
    notice_accepted: bool = False
    proof: dict | None = None  # {"mode", "none_needed", "commitment_allowed", "documents": [...]}
    result: dict | None = None  # after submission: {"filing_number", "status", "status_label", ...}
    # The privacy notice: the service always sets these (the defaults keep pure tests short).
    consent_accepted: bool = True
    privacy: dict | None = None  # {"version", "title", "summary", "url"}
    # What a self filing still lacks in the profile: "name" and/or "id_number".
    identity_missing: tuple[str, ...] = ()


@dataclass
class Absorbed:
    state: dict
    replies: list[dict]
    sync: dict = field(default_factory=dict)  # draft fields to write; phone as typed, or "profile"/"member"
    command: str | None = None  # "accept_notice" | "submit" | "refresh_proof" | "accept_privacy"
    # Typed identity to save (never kept in the state): {"name"} / {"id_number"} for the profile,
    # {"name", "relation", "id_number"} / {"phone"} for a family member added in the chat.
    profile: dict = field(default_factory=dict)
    member: dict = field(default_factory=dict)
    # Nothing in the message was understood: the service says so (only when nothing else is said).
    not_understood: bool = False


# --- small helpers -------------------------------------------------------------------------------

def text(s: str) -> dict:
    return {"type": "text", "text": s}


def options(items: Iterable[tuple]) -> dict:
    out = []
    for item in items:
        opt = {"label": item[0], "value": item[1]}
        if len(item) > 2 and item[2]:
            opt["description"] = item[2]
        out.append(opt)
    return {"type": "options", "options": out}


def place_name(code: str | None) -> str | None:
    """Plain words for a region: the province before the city (江西省九江市)."""
    if not code:
        return None
    cat = get_catalogue()
    region = cat.get(code)
    if region is None:
        return code
    if region.level in ("province", "municipality"):
        return region.name
    province = cat.get(region.province_code)
    return (province.name if province else "") + region.name


def official_name(code: str | None) -> str | None:
    region = get_catalogue().get(code) if code else None
    return region.name if region else None


def date_words(iso: str | None, today: date) -> str | None:
    if not iso:
        return None
    d = date.fromisoformat(iso)
    rel = {0: "今天", -1: "昨天", 1: "明天", -2: "前天", 2: "后天"}.get((d - today).days)
    base = f"{d.year}年{d.month}月{d.day}日（星期{WEEKDAYS[d.weekday()]}）"
    return f"{rel}，{base}" if rel else base


def ftype_of(code: str | None) -> rules.FilingType | None:
    return rules.FILING_TYPES.get(code or "")


def is_temporary(state: dict) -> bool:
    ft = ftype_of(state.get("filing_type"))
    return ft is not None and not ft.is_long_term


def _applicant_words(state: dict, env: Env) -> str | None:
    a = state.get("applicant")
    if a is None:
        return None
    if a == "self":
        return "本人"
    for m in env.family:
        if str(m["id"]) == str(a):
            return f"{m['name']}（{m.get('relation_label') or '家人'}）"
    return "家人"


def slot_words(key: str, state: dict, env: Env) -> str | None:
    """The value of one item in plain words, for saying back and for the summary."""
    if key == "insured":
        return place_name(state.get(INSURED))
    if key == "visit":
        return place_name(state.get(VISIT))
    if key == "scheme":
        return rules.SCHEMES.get(state.get("scheme") or "")
    if key == "filing_type":
        ft = ftype_of(state.get("filing_type"))
        return ft.label if ft else None
    if key == "applicant":
        return _applicant_words(state, env)
    if key in ("start_date", "end_date"):
        if key == "end_date" and state.get("filing_type") and not is_temporary(state):
            return "长期有效"
        return date_words(state.get(key), env.today)
    return state.get(key)


def new_state(*, entry: dict | None = None, profile: dict | None = None) -> dict:
    """The state of a new conversation. `entry`: {"institution_name", "visit_region_code"} when it
    starts from a counter QR; `profile`: {"insured_region_code", "scheme"} defaults from the profile."""
    state: dict[str, Any] = {k: None for k in DRAFT_FIELDS if not k.endswith("_name")}
    state.update(contact_name=None, notice_accepted=False, phase="collect", asked=None,
                 expecting=None, attempts={}, admitted=None, pending=[], facts=[], entry=None,
                 picker=None)
    for key in ("insured_region_code", "scheme"):
        if profile and profile.get(key):
            state[key] = profile[key]
    if entry:
        state["entry"] = {"institution_name": entry.get("institution_name")}
        state[VISIT] = entry.get("visit_region_code")
    return state


def draft_of(state: dict) -> dict:
    """The contract's `draft`: every field, null where unknown."""
    out = {k: state.get(k) for k in DRAFT_FIELDS}
    out["insured_region_name"] = official_name(state.get(INSURED))
    out["visit_region_name"] = official_name(state.get(VISIT))
    out["notice_accepted"] = bool(state.get("notice_accepted"))
    return out


def policy_of(code: str | None):
    try:
        return policy_for(code) if code else None
    except UnknownRegionError:
        return None


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def count_attempt(state: dict, key: str) -> None:
    attempts = dict(state.get("attempts") or {})
    attempts[key] = attempts.get(key, 0) + 1
    state["attempts"] = attempts


def ask(state: dict, key: str, replies: list[dict]) -> tuple[dict, list[dict]]:
    """Record what was asked, and the options offered with it (typed labels are read as them)."""
    state["asked"] = key
    state["expecting"] = EXPECTING.get(key)
    state["offered"] = offered_in(replies)
    return state, replies


def offered_in(replies: list[dict]) -> list[list[str]]:
    out: list[list[str]] = []
    for r in replies:
        if r["type"] == "options":
            out += [[o["label"], o["value"]] for o in r["options"]]
        elif r.get("card") == "summary":
            out += [[a["label"], a["value"]] for a in r["actions"]]
    return out
