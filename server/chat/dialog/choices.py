"""The offered options: one handler per option kind, in a table (`HANDLERS`), and reading a
typed label ("本人", "确认无误", "提交") or a natural variant of it as the option it names.

A handler returns True when the choice answered the item asked. Options that record something
(the notice, the submission) act only at the step where they were offered: a stale `notice:accept`
never records a notice that was not shown, a `submit` never skips the summary.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Callable

from server.chat.dialog.common import SLOT_KEYS, Absorbed, Env
from server.chat.dialog.family import decline
from server.chat.understand import INSURED, VISIT
from server.filing import rules
from server.regions.catalogue import get_catalogue

Handler = Callable[[dict, Env, str, Absorbed], bool]


def _place(head: str) -> Handler:
    def handle(state: dict, env: Env, value: str, out: Absorbed) -> bool:
        cat = get_catalogue()
        slot = INSURED if head == "insured" else VISIT
        hint = slot.replace("region", "province")
        region = cat.get(value)
        if region is None:
            return False
        state["pending"] = [p for p in state.get("pending") or () if p["slot"] != slot]
        if region.level == "province":
            state[hint] = region.code
            current = cat.province_of(state[slot]) if state.get(slot) else None
            if current is not None and current.code != region.code:
                state[slot] = None
        else:
            state[slot] = region.code
            state[hint] = None
        state["picker"] = None
        return True
    return handle


def _picker(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    state["picker"] = value
    return True


def _scheme(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if value not in rules.SCHEMES:
        return False
    state["scheme"] = value
    state["scheme_ambiguous"] = False
    return True


def _type(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if value not in rules.FILING_TYPES:
        return False
    state["filing_type"] = value
    state["filing_type_reason"] = "chosen"
    return True


def _consent(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if value == "accept":
        out.command = "accept_privacy"
    else:
        decline(state, "consent", out)
    return True


def _identity(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    return value == "done"  # filled in on the profile page: the next prompt looks again


def _relation(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if value not in rules.RELATIONS or state.get("new_member") is None:
        return False
    state["new_member"] = {**state["new_member"], "relation": value}
    return True


def _member_consent(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if state.get("new_member") is None:
        return False
    if value == "yes":
        state["new_member"] = {**state["new_member"], "consent": True}
    else:
        decline(state, "member_consent", out)
    return True


def _member_phone(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if value != "skip":
        return False
    state["new_member"] = None
    return True


def _applicant(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if value == "add":
        state["new_member"] = {"relation": state.get("for_relation")}
        return True
    if value == "self" or any(str(m["id"]) == value for m in env.family):
        state["applicant"] = value if value == "self" else int(value)
        if value == "self":
            state["for_word"] = None
        return True
    return False


def _admitted(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    state["admitted"] = value == "yes"
    return True


def _start(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    try:
        state["start_date"] = date.fromisoformat(value).isoformat()
    except ValueError:
        return False
    return True


def _contact_name(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if not value:
        return False
    state["contact_name"] = value[:32]
    return True


def _phone(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if value not in ("profile", "member"):
        return False
    masked = env.profile_phone_masked
    if value == "member":
        masked = next((m.get("phone_masked") for m in env.family
                       if str(m["id"]) == str(state.get("applicant"))), None)
    if not masked:
        return False
    state["contact_phone"] = masked
    out.sync["contact_phone"] = value
    return True


def _change(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if value not in SLOT_KEYS:
        return False
    state[SLOT_KEYS[value]] = None
    if value in ("insured", "visit"):
        state[f"{value}_province_code"] = None
    if value == "start_date":
        state["admitted"] = None
    state["phase"] = "collect"
    state["change_menu"] = False
    state["changing"] = value
    return True


def _change_menu(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    state["change_menu"] = True
    return True


def _confirm(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if state.get("asked") != "confirm":
        return False  # the summary must have been shown
    state["phase"] = "notice"
    return True


def _notice(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if value != "accept" or state.get("asked") != "notice":
        return False  # never recorded unless the notice was shown just now
    out.command = "accept_notice"
    return True


def _proof(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    out.command = "refresh_proof"
    return True


def _submit(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    if state.get("asked") != "submit":
        return False  # the summary and the notice come first
    out.command = "submit"
    return True


def _begin(state: dict, env: Env, value: str, out: Absorbed) -> bool:
    state["started"] = True
    state["offer_filing"] = False
    return True


HANDLERS: dict[str, Handler] = {
    "begin": _begin,
    "insured": _place("insured"), "visit": _place("visit"), "picker": _picker, "scheme": _scheme,
    "type": _type, "consent": _consent, "identity": _identity, "relation": _relation,
    "member_consent": _member_consent, "member_phone": _member_phone, "applicant": _applicant,
    "admitted": _admitted, "start": _start, "contact_name": _contact_name, "phone": _phone,
    "change": _change, "change_menu": _change_menu, "confirm": _confirm, "notice": _notice,
    "proof": _proof, "done": _proof, "submit": _submit,
}


def is_choice(value: str | None) -> bool:
    return bool(value) and value.split(":", 1)[0] in HANDLERS


def apply_choice(state: dict, env: Env, choice: str, out: Absorbed) -> bool:
    """Returns True when the choice answered the item asked."""
    head, _, value = choice.partition(":")
    handler = HANDLERS.get(head)
    return handler(state, env, value, out) if handler else False


# --- typed labels --------------------------------------------------------------------------------

_FILLER = re.compile(r"[\s。.!！,，、~～?？]+|^(?:就|我选|选|是|那就)|(?:吧|啊|呀|哈|的|了)$")
# Natural variants of the options whose labels are not what people type.
VARIANTS: dict[str, re.Pattern] = {
    "applicant:self": re.compile(r"^(?:是|就)?(?:给|帮|为|替)?(?:我|本人|我自己|自己)(?:自己)?(?:办|办理|备案|申请)?"
                                 r"(?:的|吧|呀|啊)?$"),
    # 给我爸办, 好的, 添加: at "请先添加您父亲", typed instead of pressing the button
    "applicant:add": re.compile(r"^(?:好|好的|可以|行|嗯|是的?|对|添加|加|加上|添加吧|新添加|加一个|添加家人|加家人|"
                                r"(?:是|就)?(?:给|帮|为|替)(?:我|咱)?(?:的)?(?:爸|妈|爸爸|妈妈|父亲|母亲|老爸|老妈|爹|娘|"
                                r"老伴|爱人|老公|老婆|丈夫|妻子|媳妇|孩子|儿子|女儿|闺女|爷爷|奶奶|外公|外婆|姥姥|姥爷|"
                                r"公公|婆婆|岳父|岳母|丈人|丈母娘|家人|家里人|老人)(?:办|办理|备案|申请|添加|加)?(?:的|吧|呀|啊)?)$"),
    "confirm": re.compile(r"^(?:确认|确定|无误|确认无误|没问题|没错|对的|对|正确|都对|都对的|可以|是的|好的)$"),
    "submit": re.compile(r"^(?:提交|确认提交|提交备案|交吧|提交吧|可以提交|好的?提交)$"),
    "notice:accept": re.compile(r"^(?:看过了?|读过了?|看完了?|读完了?|已阅读|已读|阅读了|已经?看了|同意|明白了?|"
                                r"知道了|本人已仔细阅读备案告知书|已仔细阅读)$"),
    "proof:done": re.compile(r"^(?:已上传|传好了?|上传好了?|上传了|签好了?|已签|签完了?|已签好承诺书)$"),
    "change_menu": re.compile(r"^(?:再看看|我要改|要改|修改|改一下)$"),
    "begin": re.compile(r"^(?:好|好的|可以|行|要|需要|办|办吧|帮我办|帮我办理|帮我办理备案|现在办|办理备案|那就办)$"),
    "admitted:yes": re.compile(r"^(?:住了|已经住院了?|住院了|住进去了|已住院)$"),
    "admitted:no": re.compile(r"^(?:还没有?|没有|还没住院?|没住院|未住院)$"),
}


def _norm(s: str) -> str:
    s = s.strip()
    for _ in range(2):
        s = _FILLER.sub("", s)
    return s


def typed_choice(message: str, offered: list | None) -> str | None:
    """The offered option a typed message names: its label (or most of it), or a natural variant;
    None when the message says more than that. Places and dates are left to the understanding
    (a date is read against the message's own day)."""
    said = _norm(message or "")
    if not said or len(said) > 16 or not offered:
        return None
    for label, value in offered:
        if value.split(":", 1)[0] in ("insured", "visit", "picker", "start"):
            continue
        pattern = VARIANTS.get(value)
        name = _norm(label)
        if said == name or (pattern is not None and pattern.fullmatch(said)):
            return value
        if len(said) >= 3 and said in name and len(said) * 2 >= len(name):
            return value  # "其他临时外出就医" for 其他临时外出就医人员
    return None
