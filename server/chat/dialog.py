"""The guided filing dialog: given the slot state and one message's understanding, what to say
back and what to ask next. Pure: no Flask, no database. The service gives it the facts it needs
from the database (`Env`) and carries out what it asks for (`Absorbed.sync`, `.command`).

A turn is: `absorb` (fold the message in, say back what was understood, answer a question on the
way) → the service writes the values to the draft filing (its Problems come back through
`reject`) → `prompt` (ask for the next missing item, with quick replies where the set is closed).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable

from server.chat import faq
from server.chat.understand import INSURED, VISIT, Understanding, merge
from server.errors import Problem
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


def _date_words(iso: str | None, today: date) -> str | None:
    if not iso:
        return None
    d = date.fromisoformat(iso)
    rel = {0: "今天", -1: "昨天", 1: "明天", -2: "前天", 2: "后天"}.get((d - today).days)
    base = f"{d.year}年{d.month}月{d.day}日（星期{WEEKDAYS[d.weekday()]}）"
    return f"{rel}，{base}" if rel else base


def _ftype(code: str | None) -> rules.FilingType | None:
    return rules.FILING_TYPES.get(code or "")


def _is_temporary(state: dict) -> bool:
    ft = _ftype(state.get("filing_type"))
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
        ft = _ftype(state.get("filing_type"))
        return ft.label if ft else None
    if key == "applicant":
        return _applicant_words(state, env)
    if key in ("start_date", "end_date"):
        if key == "end_date" and state.get("filing_type") and not _is_temporary(state):
            return "长期有效"
        return _date_words(state.get(key), env.today)
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


def _policy(code: str | None):
    try:
        return policy_for(code) if code else None
    except UnknownRegionError:
        return None


def _place_problem(state: dict) -> Problem | None:
    insured, visit = state.get(INSURED), state.get(VISIT)
    policy = _policy(insured)
    if not (insured and visit and policy):
        return None
    same = get_catalogue().same_province(insured, visit)
    found = rules.check_visit_place(insured, visit, same, policy)
    return found[0] if found else None


# --- absorbing one message -------------------------------------------------------------------------

def is_choice(value: str | None) -> bool:
    if not value:
        return False
    head = value.split(":", 1)[0]
    return head in ("insured", "visit", "scheme", "type", "applicant", "admitted", "start",
                    "contact_name", "phone", "change", "notice", "proof", "picker", "consent",
                    "identity", "relation", "member_consent", "member_phone") \
        or value in ("confirm", "submit", "done", "change_menu")


def _said_back(before: dict, state: dict, env: Env) -> str | None:
    changed = []
    for key, slot in SLOT_KEYS.items():
        if state.get(slot) != before.get(slot) and state.get(slot) is not None:
            words = slot_words(key, state, env)
            if key == "contact_phone":
                words = state.get("contact_phone")
            changed.append(f"{LABELS[key]}是{words}")
    for slot, key in ((INSURED, "insured"), (VISIT, "visit")):
        hint = slot.replace("region", "province")
        if state.get(hint) and state.get(hint) != before.get(hint) and not state.get(slot):
            changed.append(f"{LABELS[key]}在{place_name(state[hint])}")
    if not changed:
        return None
    return "好的，记下了：" + "；".join(changed) + "。"


def _mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"


def absorb(state: dict, env: Env, *, u: Understanding | None = None, choice: str | None = None,
           message: str | None = None) -> Absorbed:
    """Fold one message (an understood text, or the value of an offered option) into the state."""
    before = copy.deepcopy(state)
    state = copy.deepcopy(state)
    out = Absorbed(state, [])
    asked = state.get("asked")
    answered_question = False
    filled_asked = False

    if choice is not None:
        filled_asked = _apply_choice(state, env, choice, out)
    elif u is not None:
        typed = _absorb_typed(state, env, u, message or "", out) \
            if asked in TYPED_ASKS and not u.question_intent else None
        if typed == "ok":
            filled_asked = True
        elif typed == "bad":
            answered_question = True  # said what is wrong; counted in _absorb_typed
        elif asked == "address" and not u.question_intent and message and len(message.strip()) >= 4:
            state["address"] = message.strip()[:200]
            filled_asked = True
        else:
            _apply_understanding(state, env, u, out, message or "")
            # The privacy notice is offered first; talking about the situation instead puts it
            # off until the situation is known (the values are kept, the draft waits for it).
            filled_asked = filled_asked or asked == "consent"
        _note_relation(state, message or "")
        if u.question_intent:
            out.replies.append(text(faq.answer(u.question_intent, state.get("filing_type"))))
            answered_question = True

    # A changed visit place or type changes what must be asked again.
    if state.get("filing_type") != before.get("filing_type"):
        state["proof"] = None
    said = _said_back(before, state, env)
    if said:
        out.replies.insert(0, text(said))

    problem = _place_problem(state)
    if problem is not None:
        # The visit place is refused: say so simply, and ask for it again.
        out.replies.append(text(_place_explanation(problem, state)))
        state[VISIT] = None
        state["visit_province_code"] = None
        filled_asked = True  # a refused answer is still an answer: no picker for it
    for key, slot in SLOT_KEYS.items():
        if slot in SYNCED and state.get(slot) != before.get(slot) and state.get(slot) is not None \
                and slot not in out.sync:
            out.sync[slot] = state[slot]

    # Count failed attempts at the item asked, so a picker can be offered after two.
    key = asked
    if key and key in SLOT_KEYS and state.get(SLOT_KEYS[key]) is not None:
        filled_asked = True
    if key in ("insured", "visit") and state.get(f"{key}_province_code") != before.get(f"{key}_province_code"):
        filled_asked = True
    if key and not filled_asked and not answered_question and out.command is None:
        progressed = any(state.get(s) != before.get(s) for s in SLOT_KEYS.values()) \
            or state.get("pending") != before.get("pending") or state.get("admitted") != before.get("admitted") \
            or state.get("phase") != before.get("phase")
        intent_only = bool(message and "备案" in message and not u_slots(state, before))
        if not progressed and not intent_only:
            attempts = dict(state.get("attempts") or {})
            attempts[key] = attempts.get(key, 0) + 1
            state["attempts"] = attempts
            if not said:
                out.replies.append(text("抱歉，我没有听明白。"))
    elif key and filled_asked:
        attempts = dict(state.get("attempts") or {})
        attempts.pop(key, None)
        state["attempts"] = attempts
    return out


def u_slots(state: dict, before: dict) -> bool:
    return any(state.get(s) != before.get(s) for s in SLOT_KEYS.values())


def _place_explanation(problem: Problem, state: dict) -> str:
    insured, visit = place_name(state.get(INSURED)), place_name(state.get(VISIT))
    if problem.code == "filing.visit_region_same_as_insured":
        return f"就医地{visit}和参保地是同一个地方，在参保地看病不用办异地就医备案。请告诉我要去哪个城市看病。"
    if problem.code == "filing.visit_region_same_province":
        return (f"{visit}和参保地{insured}在同一个省。按{insured}的规定，跨省异地就医备案只能选外省的城市，"
                "省内看病请咨询当地医保经办机构。请告诉我要去外省哪个城市看病。")
    return problem.message


_NOT_YET = re.compile(r"还没|没有|没住|未|不是")
_ADMITTED = re.compile(r"住院|住进|入院|住着|已经")


def _admitted_answer(u: Understanding, message: str) -> bool | None:
    if u.yes_no in ("yes", "no"):
        return u.yes_no == "yes"
    if _NOT_YET.search(message):
        return False
    if _ADMITTED.search(message):
        return True
    return None


# --- answers typed to the privacy, identity and family questions ------------------------------------

TYPED_ASKS = ("consent", "person_name", "id_number", "member_name", "member_relation",
              "member_consent", "member_id_number", "member_phone")
DECLINE_TEXT = ("没关系。不过办理备案一定要用到姓名、证件号码等个人信息，不同意告知书就没法继续办理。"
                "您可以再看一下，同意后我们接着办。")
_NAME_PREFIX = re.compile(r"^(?:我的名字是|我的名字叫|名字是|名字叫|姓名是|姓名[:：]?|我叫|我是|叫|他叫|她叫)\s*")
_PERSON_NAME = re.compile(r"[\u4e00-\u9fff]{2,6}|[\u4e00-\u9fff]{1,12}(?:[·•][\u4e00-\u9fff]{1,12}){1,3}")
_FULLWIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XxX")
_NUMBER_RUN = re.compile(r"\d[\d\s\-－]*\d[Xx]?|\d")
_RELATION_CUES = (
    ("parent", "妈妈|妈|爸爸|爸|母亲|父亲|老妈|老爸"),
    ("spouse", "老伴|爱人|老公|老婆|妻子|丈夫|媳妇"),
    ("child", "孩子|儿子|女儿|闺女"),
    ("grandparent", "爷爷|奶奶|外公|外婆|姥姥|姥爷"),
    ("sibling", "哥哥|姐姐|弟弟|妹妹|哥|姐|弟|妹"),
)
_REL_WORDS = "|".join(c for _, c in _RELATION_CUES)
# "给我妈办", "我爸在汉中参保的", "我母亲是…的新农合"; not "因为妈妈…" nor "去女儿那边住".
_FOR_OTHER = re.compile(
    rf"(?<![因作认成])(?:给|帮|替|为)(?:我|咱)?(?:家)?(?P<a>{_REL_WORDS})"
    rf"|^(?:我|俺)(?P<b>{_REL_WORDS})(?:的?医保|参保|是.{{0,12}}(?:医保|新农合|职工|居民)|在.{{0,12}}(?:参保|交|医保))")
RELATION_ORDER = ("parent", "spouse", "child", "grandparent", "grandchild", "sibling", "other")


def _note_relation(state: dict, message: str) -> None:
    """"给我妈办" and the like: the filing is for a family member (asked when the applicant is)."""
    if state.get("applicant") is not None or not message:
        return
    mt = _FOR_OTHER.search(message)
    if mt:
        word = mt.group("a") or mt.group("b")
        state["for_relation"] = next(r for r, cues in _RELATION_CUES if re.fullmatch(cues, word))


def _has_slots(u: Understanding) -> bool:
    return bool({k for k in u.slots() if k != "contact_name"} or u.ambiguities
                or u.insured_province_code or u.visit_province_code or u.filing_type)


def _count_attempt(state: dict, key: str) -> None:
    attempts = dict(state.get("attempts") or {})
    attempts[key] = attempts.get(key, 0) + 1
    state["attempts"] = attempts


def person_name_in(message: str, u: Understanding) -> str | None:
    """A name typed as the answer to "your name?" (a bare name, or "我叫张三")."""
    if _has_slots(u):
        return None
    if u.contact_name and _PERSON_NAME.fullmatch(u.contact_name):
        return u.contact_name
    cand = _NAME_PREFIX.sub("", (message or "").strip())
    cand = re.sub(r"[。.!！,，\s～~]+$", "", cand)
    return cand if _PERSON_NAME.fullmatch(cand) and u.yes_no is None else None


def id_number_in(message: str) -> str | None:
    """The number typed as the answer to "your ID number?" (spaces and dashes dropped)."""
    t = (message or "").translate(_FULLWIDTH)
    runs = [re.sub(r"[\s\-－]", "", m.group()) for m in _NUMBER_RUN.finditer(t)]
    runs = [r for r in runs if len(r) >= 6]
    return max(runs, key=len) if runs else None


def _absorb_typed(state: dict, env: Env, u: Understanding, message: str, out: Absorbed) -> str | None:
    """"ok" (answered), "bad" (answered wrongly: said what is wrong) or None (not an answer to
    the question: read the message as usual)."""
    from server.common.idnumbers import IdNumberError, PhoneNumberError, mask_id, validate_id_number, \
        validate_mobile

    asked = state.get("asked")
    short = len(message.strip()) <= 8
    if asked in ("consent", "member_consent"):
        if _has_slots(u):
            return None
        if "不同意" in message or "没有" in message or "还没" in message or (u.yes_no == "no" and short):
            _decline(state, asked, out)
            return "ok"
        if "同意" in message or (u.yes_no == "yes" and short):
            if asked == "consent":
                out.command = "accept_privacy"
            else:
                state["new_member"] = {**state["new_member"], "consent": True}
            return "ok"
        return None
    if asked in ("person_name", "member_name"):
        name = person_name_in(message, u)
        if name is None:
            if _has_slots(u) or u.yes_no is not None:
                return None
            out.replies.append(text("请只输入姓名，比如：张三。"))
            _count_attempt(state, asked)
            return "bad"
        if asked == "person_name":
            out.profile["name"] = name
            out.replies.append(text(f"好的，姓名：{name}。"))
        else:
            state["new_member"] = {**state["new_member"], "name": name}
        return "ok"
    if asked == "member_relation":
        code = next((r for r, cues in _RELATION_CUES if re.search(cues, message)), None)
        code = code or next((c for c, label in rules.RELATIONS.items() if label in message), None)
        if code is None:
            return None
        state["new_member"] = {**state["new_member"], "relation": code}
        return "ok"
    if asked in ("id_number", "member_id_number"):
        number = id_number_in(message)
        if number is None:
            if _has_slots(u):
                return None
            out.replies.append(text("请输入18位的身份证号码（最后一位可以是X）。"))
            _count_attempt(state, asked)
            return "bad"
        try:
            info = validate_id_number(number, env.today)
        except IdNumberError as exc:
            out.replies.append(text(f"这个号码不对：{exc.message}。"))
            _count_attempt(state, asked)
            return "bad"
        if asked == "id_number":
            out.profile["id_number"] = info.number
            out.replies.append(text(f"好的，证件号码{mask_id(info.number)}，会加密保存。"))
        else:
            out.member = {k: state["new_member"].get(k) for k in ("name", "relation")}
            out.member["id_number"] = info.number
            out.command = "add_member"
        return "ok"
    if asked == "member_phone":
        if not u.contact_phone:
            if u.yes_no == "no" and short:
                state["new_member"] = None
                return "ok"
            digits = id_number_in(message)
            if digits is None:
                return None
            try:
                validate_mobile(digits)
            except PhoneNumberError as exc:
                out.replies.append(text(f"{exc.message}。"))
                _count_attempt(state, asked)
                return "bad"
        out.member = {"phone": u.contact_phone or digits}
        out.command = "member_phone"
        return "ok"
    return None


def _decline(state: dict, asked: str, out: Absorbed) -> None:
    if asked == "consent":
        state["consent_declined"] = True
        out.replies.append(text(DECLINE_TEXT))
    else:
        state["new_member"] = None
        out.replies.append(text("为家人办理备案，要先征得家人本人同意。征得同意后，再点“添加家人”就可以了。"))


def _apply_understanding(state: dict, env: Env, u: Understanding, out: Absorbed,
                         message: str = "") -> None:
    asked = state.get("asked")
    merged = merge(state, u)
    # The phone goes to the filing as typed; the state (stored in the database) keeps it masked.
    if u.contact_phone and (env.consent_accepted or env.filing_id):
        out.sync["contact_phone"] = u.contact_phone
        merged["contact_phone"] = _mask_phone(u.contact_phone)
    elif u.contact_phone:
        # Before the privacy notice there is no draft to hold the number, and the state may not:
        # it is asked for again when its turn comes.
        merged["contact_phone"] = state.get("contact_phone")
    state.clear()
    state.update(merged)
    yes, no = u.yes_no == "yes", u.yes_no == "no"
    if asked == "admitted" and not u.start_date and _admitted_answer(u, message) is not None:
        state["admitted"] = _admitted_answer(u, message)
    elif asked == "admitted" and u.start_date:
        state["admitted"] = u.start_date <= env.today
    if asked == "confirm":
        if yes and not u.slots():
            state["phase"] = "notice"
        elif u.slots():
            state["phase"] = "collect"  # a change said in words: show the summary again
        elif no or u.correction:
            state["phase"] = "collect"
            state["change_menu"] = True
    elif asked == "notice" and yes:
        out.command = "accept_notice"
    elif asked == "proof" and yes:
        out.command = "refresh_proof"
    elif asked == "submit" and yes:
        out.command = "submit"
    elif u.correction and not u.slots() and asked not in ("admitted",):
        state["change_menu"] = True
    if state.get("start_date") and asked == "start_date" and state.get("admitted") is None:
        state["admitted"] = date.fromisoformat(state["start_date"]) <= env.today


def _apply_choice(state: dict, env: Env, choice: str, out: Absorbed) -> bool:
    """Returns True when the choice answered the item asked."""
    head, _, value = choice.partition(":")
    cat = get_catalogue()
    if head in ("insured", "visit"):
        slot = INSURED if head == "insured" else VISIT
        hint = slot.replace("region", "province")
        region = cat.get(value)
        if region is None:
            return False
        state["pending"] = [p for p in state.get("pending") or () if p["slot"] != slot]
        if region.level == "province":
            state[hint] = region.code
            if state.get(slot) and cat.province_of(state[slot]) and cat.province_of(state[slot]).code != region.code:
                state[slot] = None
        else:
            state[slot] = region.code
            state[hint] = None
        state["picker"] = None
        return True
    if head == "picker":
        state["picker"] = value
        return True
    if head == "scheme" and value in rules.SCHEMES:
        state["scheme"] = value
        state["scheme_ambiguous"] = False
        return True
    if head == "type" and value in rules.FILING_TYPES:
        state["filing_type"] = value
        state["filing_type_reason"] = "chosen"
        return True
    if head == "consent":
        if value == "accept":
            out.command = "accept_privacy"
        else:
            _decline(state, "consent", out)
        return True
    if head == "identity" and value == "done":
        return True  # filled in on the profile page: the next prompt looks again
    if head == "relation" and value in rules.RELATIONS and state.get("new_member") is not None:
        state["new_member"] = {**state["new_member"], "relation": value}
        return True
    if head == "member_consent" and state.get("new_member") is not None:
        if value == "yes":
            state["new_member"] = {**state["new_member"], "consent": True}
        else:
            _decline(state, "member_consent", out)
        return True
    if head == "member_phone" and value == "skip":
        state["new_member"] = None
        return True
    if head == "applicant":
        if value == "add":
            state["new_member"] = {"relation": state.get("for_relation")}
            return True
        if value == "self" or any(str(m["id"]) == value for m in env.family):
            state["applicant"] = value if value == "self" else int(value)
            return True
        return False
    if head == "admitted":
        state["admitted"] = value == "yes"
        return True
    if head == "start":
        try:
            state["start_date"] = date.fromisoformat(value).isoformat()
        except ValueError:
            return False
        return True
    if head == "contact_name" and value:
        state["contact_name"] = value[:32]
        return True
    if head == "phone" and value in ("profile", "member"):
        masked = env.profile_phone_masked
        if value == "member":
            masked = next((m.get("phone_masked") for m in env.family
                           if str(m["id"]) == str(state.get("applicant"))), None)
        if not masked:
            return False
        state["contact_phone"] = masked
        out.sync["contact_phone"] = value
        return True
    if head == "change" and value in SLOT_KEYS:
        slot = SLOT_KEYS[value]
        state[slot] = None
        if value in ("insured", "visit"):
            state[f"{value}_province_code"] = None
        if value == "start_date":
            state["admitted"] = None
        state["phase"] = "collect"
        state["change_menu"] = False
        state["changing"] = value
        return True
    if choice == "change_menu":
        state["change_menu"] = True
        return True
    if choice == "confirm":
        state["phase"] = "notice"
        return True
    if choice == "notice:accept":
        out.command = "accept_notice"
        return True
    if choice in ("proof:done", "done"):
        out.command = "refresh_proof"
        return True
    if choice == "submit":
        out.command = "submit"
        return True
    return False


# --- problems from the filing service ------------------------------------------------------------------

def reject(state: dict, problems: list[Problem]) -> tuple[dict, list[dict]]:
    """Turn the filing service's Problems into plain follow-ups: the refused value is dropped, so
    the next prompt asks for it again."""
    state = copy.deepcopy(state)
    replies = []
    for p in problems:
        key = FIELD_TO_KEY.get(p.field or "")
        if p.field == "visit_region_code" and p.code in ("filing.visit_region_same_province",
                                                          "filing.visit_region_same_as_insured"):
            replies.append(text(_place_explanation(p, state)))
        elif key is not None:
            replies.append(text(f"{LABELS[key]}有问题：{p.message}。"))
        else:
            replies.append(text(p.message))
        if p.field in SLOT_KEYS.values():
            state[p.field] = None
            if p.field == "start_date":
                state["admitted"] = None
        if p.field == "end_date":
            state["start_date"] = None
        if p.field == "proof":
            state["proof"] = None
            state["phase"] = "proof"
        if key is not None and state.get("phase") not in ("collect",):
            state["phase"] = "collect"
    return state, replies


# --- asking for the next item ------------------------------------------------------------------------

def _ask(state: dict, key: str, replies: list[dict]) -> tuple[dict, list[dict]]:
    state["asked"] = key
    state["expecting"] = EXPECTING.get(key)
    return state, replies


def _region_options(slot: str, province_code: str) -> list[tuple]:
    cat = get_catalogue()
    regions = cat.pooling_regions(province_code, include_insured_only=(slot == INSURED))
    key = "insured" if slot == INSURED else "visit"
    return [(r.name, f"{key}:{r.code}") for r in regions]


def _province_options(slot: str, exclude: str | None = None) -> list[tuple]:
    key = "insured" if slot == INSURED else "visit"
    return [(p.name, f"{key}:{p.code}") for p in get_catalogue().provinces() if p.code != exclude]


def _missing_collect(state: dict, env: Env) -> str | None:
    """The next item to collect, in the order of the mini-program's pages. The privacy notice (if
    put off) and the person's own name and ID number come once the situation is known, so that
    they never take the answer meant for a situation question."""
    entry_first = bool(state.get("entry")) and not state.get("start_date")
    if entry_first:
        return "admitted" if state.get("admitted") is None else "start_date"
    for key in ("insured", "visit", "scheme", "filing_type", "applicant"):
        if state.get(SLOT_KEYS[key]) is None:
            return key
    if not state.get("start_date"):
        if _is_temporary(state) and state.get("admitted") is None:
            return "admitted"
        return "start_date"
    if not env.consent_accepted:
        return "consent"
    if state.get("applicant") == "self":
        if "name" in env.identity_missing:
            return "person_name"
        if "id_number" in env.identity_missing:
            return "id_number"
    for key in ("contact_name", "contact_phone"):
        if not state.get(key):
            return key
    ft = _ftype(state.get("filing_type"))
    if ft is not None and ft.is_long_term and not state.get("address"):
        return "address"
    return None


def prompt(state: dict, env: Env) -> tuple[dict, list[dict]]:
    """The next question (with quick replies where the answers are a closed set)."""
    state = copy.deepcopy(state)
    replies: list[dict] = []
    if env.result is not None or state.get("phase") == "done":
        state["phase"] = "done"
        r = env.result or {}
        replies.append(text(f"这条备案已经提交，编号{r.get('filing_number')}，当前状态：{r.get('status_label')}。"
                            "可以在「备案记录」里查看进度。"))
        return _ask(state, "done", replies)

    if state.get("change_menu"):
        state["change_menu"] = False
        replies.append(text("好的，请问要改哪一项？"))
        replies.append(options([(f"改{LABELS[k]}", f"change:{k}") for k in _summary_keys(state)]))
        return _ask(state, "change", replies)

    # The privacy notice comes before the first question that collects data.
    if not env.consent_accepted and (not state.get("consent_shown") or state.get("consent_declined")):
        return _ask_item(state, env, "consent", replies)

    if state.get("new_member") is not None:
        return _ask_member(state, env, replies)

    pending = state.get("pending") or []
    if pending:
        p = pending[0]
        key = "insured" if p["slot"] == INSURED else "visit"
        replies.append(text(f"您说的“{p['surface']}”是指哪里？请选一下{LABELS[key]}："))
        replies.append(options([(o["label"], f"{key}:{o['value']}") for o in p["options"]]))
        return _ask(state, key, replies)

    missing = _missing_collect(state, env)
    if missing is not None:
        return _ask_item(state, env, missing, replies)

    phase = state.get("phase") or "collect"
    if phase == "collect":
        state["phase"] = phase = "confirm"
    if phase == "confirm":
        replies.append(summary_card(state, env))
        replies.append(text("请核对以上信息。没问题请点“确认无误”，需要修改请点对应的项目。"))
        return _ask(state, "confirm", replies)

    if phase == "notice":
        if env.notice_accepted or state.get("notice_accepted"):
            state["notice_accepted"] = True
            state["phase"] = phase = "proof"
        else:
            n = env.notice or {}
            replies.append(text("请阅读备案告知书："))
            replies.append({"type": "card", "card": "notice", "title": n.get("title"),
                            "text": n.get("text"), "version": n.get("version")})
            replies.append(options([("本人已仔细阅读备案告知书", "notice:accept")]))
            return _ask(state, "notice", replies)

    if phase == "proof":
        proof = env.proof or {}
        mode = proof.get("mode")
        if proof.get("none_needed") or mode in ("uploaded", "commitment"):
            state["proof"] = mode or "none"
            state["phase"] = phase = "submit"
        else:
            return _ask_proof(state, env, proof, replies)

    if phase == "submit":
        replies.append(text("资料都齐了。确认提交备案吗？"))
        replies.append(options([("提交备案", "submit"), ("再看看", "change_menu")]))
        return _ask(state, "submit", replies)
    return _ask(state, phase, replies)


def _ask_proof(state: dict, env: Env, proof: dict, replies: list[dict]) -> tuple[dict, list[dict]]:
    fid = env.filing_id
    docs = proof.get("documents") or []
    if state.get("asked") == "proof":
        replies.append(text("还没有收到证明材料。"))
    labels = "、".join(d["label"] for d in docs)
    line = f"这个备案类型需要证明材料：{labels}（任选一种）。请拍照或选文件上传，上传好后点“已上传”。"
    if proof.get("commitment_allowed"):
        line += "手头没有的话，也可以签署个人承诺书，以后再补交。"
    replies.append(text(line))
    replies.append({"type": "card", "card": "upload_request", "filing_id": fid, "method": "POST",
                    "url": f"/api/v1/filings/{fid}/documents", "file_field": "file",
                    "documents": docs, "done_value": "proof:done"})
    opts = [("已上传", "proof:done")]
    if proof.get("commitment_allowed"):
        replies.append({"type": "card", "card": "signature_request", "filing_id": fid,
                        "method": "POST", "url": f"/api/v1/filings/{fid}/commitment",
                        "text_url": f"/api/v1/filings/{fid}/commitment", "done_value": "proof:done"})
        opts.append(("已签好承诺书", "proof:done"))
    replies.append(options(opts))
    return _ask(state, "proof", replies)


def _ask_member(state: dict, env: Env, replies: list[dict]) -> tuple[dict, list[dict]]:
    """Adding a family member in the chat: name, relation, the member's agreement, ID number
    (the member is saved then, so the number is never kept between turns), phone."""
    nm = state["new_member"]
    who = nm.get("name") or "这位家人"
    if not nm.get("name"):
        replies.append(text("好的，我们来添加家人。请告诉我这位家人的姓名。"))
        return _ask(state, "member_name", replies)
    if not nm.get("relation"):
        replies.append(text(f"{who}是您的什么人？"))
        replies.append(options([(rules.RELATIONS[c], f"relation:{c}") for c in RELATION_ORDER
                                if c in rules.RELATIONS]))
        return _ask(state, "member_relation", replies)
    if not nm.get("consent"):
        replies.append(text(f"为家人办理要用到{who}的姓名和身份证号码。请确认已经征得{who}本人同意："))
        replies.append(options([("已征得同意", "member_consent:yes"), ("还没有", "member_consent:no")]))
        return _ask(state, "member_consent", replies)
    if not nm.get("id"):
        if (state.get("attempts") or {}).get("member_id_number", 0) >= MAX_ATTEMPTS:
            replies.append({"type": "card", "card": "add_family_member", "method": "POST",
                            "url": "/api/v1/family-members",
                            "text": "也可以在“亲情账户”页面添加家人，添加好后回来选择。"})
        replies.append(text(f"请输入{who}的身份证号码（只用于备案，会加密保存）。"))
        return _ask(state, "member_id_number", replies)
    replies.append(text(f"{who}的手机号码是多少？没有的话点“不填”。"))
    replies.append(options([("不填", "member_phone:skip")]))
    return _ask(state, "member_phone", replies)


def _identity_card(replies: list[dict]) -> None:
    replies.append({"type": "card", "card": "identity_request", "method": "PATCH", "url": "/api/v1/me",
                    "text": "也可以在“我的”页面填写姓名和证件号码，填好后回来点“已填好”。"})
    replies.append(options([("已填好", "identity:done")]))


def _ask_item(state: dict, env: Env, key: str, replies: list[dict]) -> tuple[dict, list[dict]]:
    attempts = (state.get("attempts") or {}).get(key, 0)
    tried = attempts >= MAX_ATTEMPTS
    if key == "consent":
        shown = state.get("consent_shown") or 0
        state["consent_shown"] = shown + 1
        if state.get("consent_declined"):
            state["consent_declined"] = False
        elif shown:
            replies.append(text("继续办理之前，需要您先同意《个人信息保护告知书》。"))
        else:
            replies.append(text("开始之前，请先看一下《个人信息保护告知书》："))
        p = env.privacy or {}
        replies.append({"type": "card", "card": "privacy_notice", "title": p.get("title"),
                        "version": p.get("version"), "text": p.get("summary"), "url": p.get("url")})
        replies.append(options([("同意", "consent:accept"), ("不同意", "consent:decline")]))
        return _ask(state, key, replies)
    if key == "person_name":
        replies.append(text("还需要您的实名信息。请告诉我您的姓名。"))
        if tried:
            _identity_card(replies)
        return _ask(state, key, replies)
    if key == "id_number":
        replies.append(text("请输入您的身份证号码（只用于备案，会加密保存）。"))
        if tried:
            _identity_card(replies)
        return _ask(state, key, replies)
    if key in ("insured", "visit"):
        slot = SLOT_KEYS[key]
        hint = state.get(f"{key}_province_code")
        if state.get(f"{key}_province_code"):
            prov = place_name(state[f"{key}_province_code"])
            replies.append(text(f"{LABELS[key]}是{prov}哪个城市？"))
            replies.append(options(_region_options(slot, hint)))
            return _ask(state, key, replies)
        if tried or state.get("picker") == key:
            if tried:
                what = "医保卡上的参保城市" if key == "insured" else "要去看病的城市"
                replies.append(text(f"{LABELS[key]}是指{what}，要选到地级市（直辖市选到市）。"
                                    "您可以直接点选：先选省份，再选城市。"))
            else:
                replies.append(text("请先选省份："))
            exclude = None
            policy = _policy(state.get(INSURED))
            if slot == VISIT and policy is not None and not policy.allow_same_province:
                province = get_catalogue().province_of(state[INSURED])
                exclude = province.code if province else None
            replies.append(options(_province_options(slot, exclude)))
            return _ask(state, key, replies)
        if key == "insured":
            replies.append(text("请问您的医保是在哪个城市参保的？（比如：九江）"))
        else:
            replies.append(text("请问要去哪个城市看病？（比如：杭州）"))
        replies.append(options([("点选省份和城市", f"picker:{key}")]))
        return _ask(state, key, replies)
    if key == "scheme":
        if tried:
            replies.append(text("参保险种看医保卡或缴费记录：单位给交的一般是职工医保；自己在社区或村里交的、"
                                "原来的新农合，是城乡居民医保。"))
        elif state.get("scheme_ambiguous"):
            replies.append(text("灵活就业人员两种医保都有可能，请看一下您交的是哪一种："))
        else:
            replies.append(text("请问您参加的是哪种医保？"))
        replies.append(options([(label, f"scheme:{code}") for code, label in rules.SCHEMES.items()]))
        return _ask(state, key, replies)
    if key == "filing_type":
        group = state.get("filing_group")
        types = [t for t in rules.FILING_TYPES.values() if group in (None, t.group)]
        intro = "请选择备案类型：" if not tried else \
            "备案类型按您外出的原因来选：长期在外地生活、工作选前三种，临时去看病选后三种。"
        replies.append(text(intro + "\n" + "\n".join(f"· {t.label}：{t.explanation}" for t in types)))
        replies.append(options([(t.label, f"type:{t.code}", t.explanation) for t in types]))
        return _ask(state, key, replies)
    if key == "applicant":
        family = [(f"{m['name']}（{m.get('relation_label') or '家人'}）", f"applicant:{m['id']}")
                  for m in env.family]
        if state.get("for_relation"):
            replies.append(text("这次是给家人办理。请选择是哪位家人；还没添加过的，点“添加家人”。"
                                if family else "这次是给家人办理。请先添加这位家人（点“添加家人”）。"))
            opts = family + [("添加家人", "applicant:add"), ("其实是给我自己办", "applicant:self")]
        else:
            replies.append(text("这次是给谁办理备案？"))
            opts = [("本人", "applicant:self")] + family + [("添加其他家人", "applicant:add")]
        replies.append(options(opts))
        return _ask(state, key, replies)
    if key == "admitted":
        if state.get("entry") and not state.get("entry_greeted"):
            state["entry_greeted"] = True
            inst = state["entry"].get("institution_name") or "医院"
            replies.append(text(f"您好，您是在{inst}扫码进来的，就医地已经定为{place_name(state.get(VISIT))}。"))
        replies.append(text("病人已经住院了吗？"))
        replies.append(options([("已经住院了", "admitted:yes"), ("还没有", "admitted:no")]))
        return _ask(state, key, replies)
    if key == "start_date":
        today = env.today
        if state.get("admitted"):
            replies.append(text("哪天住院的？备案开始日期就填住院那天。也可以直接告诉我日期，比如“11月20日”。"))
            opts = [("今天", f"start:{today.isoformat()}"), ("昨天", f"start:{(today - timedelta(days=1)).isoformat()}"),
                    ("前天", f"start:{(today - timedelta(days=2)).isoformat()}")]
        elif _is_temporary(state) or state.get("admitted") is False:
            replies.append(text("打算从哪天开始在外地看病？也可以直接告诉我日期，比如“12月1日”。"))
            opts = [("今天", f"start:{today.isoformat()}"), ("明天", f"start:{(today + timedelta(days=1)).isoformat()}")]
        else:
            replies.append(text("备案从哪天开始？一般从今天开始；也可以告诉我具体日期。"))
            opts = [("从今天开始", f"start:{today.isoformat()}")]
        if tried:
            replies.insert(0, text("日期可以这样说：“今天”“明天”“下周一”或“12月1日”。"))
        replies.append(options(opts))
        return _ask(state, key, replies)
    if key == "contact_name":
        replies.append(text("联系人叫什么名字？"))
        names = []
        member = next((m for m in env.family if str(m["id"]) == str(state.get("applicant"))), None)
        if member:
            names.append(member["name"])
        if env.profile_name and env.profile_name not in names:
            names.append(env.profile_name)
        if names:
            replies.append(options([(n, f"contact_name:{n}") for n in names]))
        return _ask(state, key, replies)
    if key == "contact_phone":
        replies.append(text("联系电话是多少？审核结果会按这个号码联系您。"))
        opts = []
        member = next((m for m in env.family if str(m["id"]) == str(state.get("applicant"))), None)
        if member and member.get("phone_masked"):
            opts.append((f"用{member['name']}的 {member['phone_masked']}", "phone:member"))
        if env.profile_phone_masked:
            opts.append((f"用我的 {env.profile_phone_masked}", "phone:profile"))
        if opts:
            replies.append(options(opts))
        return _ask(state, key, replies)
    if key == "address":
        replies.append(text(f"请告诉我在{place_name(state.get(VISIT))}的居住地址（写到小区或门牌号）。"))
        return _ask(state, key, replies)
    return _ask(state, key, replies)


def _summary_keys(state: dict) -> list[str]:
    keys = ["applicant", "insured", "visit", "scheme", "filing_type", "start_date", "contact_name",
            "contact_phone"]
    ft = _ftype(state.get("filing_type"))
    if ft is not None and ft.is_long_term:
        keys.append("address")
    return keys


def summary_card(state: dict, env: Env) -> dict:
    fields = []
    for key in _summary_keys(state):
        fields.append({"key": key, "label": LABELS[key], "value": slot_words(key, state, env)})
        if key == "start_date":
            fields.append({"key": "end_date", "label": LABELS["end_date"],
                           "value": slot_words("end_date", state, env) or "开始日期后半年（自动计算）"})
    actions = [{"label": "确认无误", "value": "confirm"}]
    actions += [{"label": f"改{LABELS[k]}", "value": f"change:{k}"} for k in _summary_keys(state)]
    return {"type": "card", "card": "summary", "title": "请核对备案信息", "fields": fields,
            "actions": actions}


def result_card(result: dict) -> dict:
    return {"type": "card", "card": "result", "filing_id": result.get("filing_id"),
            "filing_number": result.get("filing_number"), "status": result.get("status"),
            "status_label": result.get("status_label"), "message": result.get("message"),
            "record_url": f"/api/v1/records/{result.get('filing_id')}"}
