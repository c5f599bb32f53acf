"""Absorbing one answer: fold a message (understood text, a typed option label, or the value of
an offered option) into the working state, and say what the service is to do with it."""
from __future__ import annotations

import copy
import re
from dataclasses import replace
from datetime import date

from server.chat import faq
from server.chat.dialog.choices import apply_choice, typed_choice
from server.chat.dialog.common import (LABELS, MAX_ATTEMPTS, SLOT_KEYS, SYNCED, Absorbed, Env,
                                       mask_phone, place_name, slot_words, text)
from server.chat.dialog.family import TYPED_ASKS, absorb_typed, has_slots, note_relation, note_self
from server.chat.understand import INSURED, VISIT, Understanding, merge
from server.regions.catalogue import get_catalogue

def said_back(before: dict, state: dict, env: Env) -> str | None:
    """What changed this turn, in plain words (from the values the filing now holds)."""
    return _said_back(before, state, env)


def _said_back(before: dict, state: dict, env: Env) -> str | None:
    changed = []
    for key, slot in SLOT_KEYS.items():
        if state.get(slot) != before.get(slot) and state.get(slot) is not None:
            words = slot_words(key, state, env)
            if key == "applicant" and words == "家人":
                continue  # a member added just now: the service names them
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


def absorb(state: dict, env: Env, *, u: Understanding | None = None, choice: str | None = None,
           message: str | None = None) -> Absorbed:
    """Fold one message (an understood text, or the value of an offered option) into the state."""
    before = copy.deepcopy(state)
    state = copy.deepcopy(state)
    out = Absorbed(state, [])
    asked = state.get("asked")
    answered_question = False
    filled_asked = False

    social = _social(message) if choice is None and u is not None and not has_slots(u) else None
    if social is not None:
        # 谢谢, 在吗, 重新开始: answered in a word; the question asked stays the question
        if _RESTART.fullmatch(_bare(message)) and state.get("started"):
            state["change_menu"] = True  # the menu of items says it all
        else:
            out.replies.append(text(social))
        return out
    if choice is None and u is not None and not u.question_intent:
        choice = typed_choice(message or "", state.get("offered"))
        if choice is None and not env.consent_accepted and asked != "consent" \
                and _AGREE.fullmatch((message or "").strip()):
            # 同意 typed while another question is open: agreeing to what is not on screen is no
            # consent. The privacy notice is shown again and asked now; the answer to it counts.
            state["consent_now"] = True
            return out
    if choice is None and u is not None and u.yes_no == "yes" and asked in ("insured", "visit") \
            and not has_slots(u):
        # 是的 when the one place said earlier is offered for the place asked: that place
        offered = [v for _, v in state.get("offered") or () if v.startswith(asked + ":")]
        if len(offered) == 1:
            choice = offered[0]
    if u is not None and choice is None:
        u = _with_contact_name(u, message or "", asked, env)
        if not env.profile_name and names_oneself(message or "", asked):
            # "就写我" with no name on the profile: the name is asked, never "就写我" stored
            u = replace(u, contact_name=None)
            state["contact_is_filer"] = True  # the next question says so
            answered_question = True
    if choice is not None:
        filled_asked = apply_choice(state, env, choice, out)
    elif u is not None:
        typed = absorb_typed(state, env, u, message or "", out) \
            if asked in TYPED_ASKS and not u.question_intent else None
        if typed == "ok":
            filled_asked = True
        elif typed == "bad":
            answered_question = True  # said what is wrong; counted in _absorb_typed
        elif asked == "address" and not u.question_intent and message and len(message.strip()) >= 4:
            state["address"] = message.strip()[:200]
            filled_asked = True
        else:
            apply_understanding(state, env, u, out, message or "")
            # The privacy notice is offered first; talking about the situation instead puts it
            # off until the situation is known (the values are kept, the draft waits for it).
            filled_asked = filled_asked or asked == "consent"
        note_relation(state, u)
        note_self(state, message or "", u_slots(state, before))
        if u.question_intent:
            out.replies.append(_answer(u.question_intent, message or "", state))
            answered_question = True

    if u is not None and choice is None:
        _note_start(state, before, u, message or "", out)
    elif choice is not None and choice != "begin":
        state["started"] = True  # an option offered for the filing was chosen

    # A changed visit place or type changes what must be asked again.
    if state.get("filing_type") != before.get("filing_type"):
        state["proof"] = None
    # Said back by the service once the filing has taken (or refused) the values.
    said = _said_back(before, state, env)
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
        intent_only = bool(message and "备案" in message and not u_slots(state, before)) \
            or (state.get("started") and not before.get("started"))  # "帮她办一下"
        if not progressed and not intent_only:
            attempts = dict(state.get("attempts") or {})
            attempts[key] = attempts.get(key, 0) + 1
            if _DONT_KNOW.search(message or "") and key in _HELPED:
                # 不知道: the question is put again with its explanation at once, not 没听明白
                attempts[key] = max(attempts[key], MAX_ATTEMPTS)
                state["attempts"] = attempts
                return out
            state["attempts"] = attempts
            out.not_understood = not said
            if out.not_understood and u is not None and has_slots(u):
                # 下次去北京复查 while the scheme is asked: read, only nothing new in it for the
                # filing; 没听明白 would be untrue and makes people repeat themselves.
                out.not_understood = False
                out.replies.append(text("好的。"))
            if out.not_understood and faq.is_question(message or ""):
                out.not_understood = False  # a question nothing answers: say what can be asked
                out.replies.append(text(OUT_OF_SCOPE))
    elif key and filled_asked:
        attempts = dict(state.get("attempts") or {})
        attempts.pop(key, None)
        state["attempts"] = attempts
    if key and state.get("changing") == key and not out.not_understood:
        state["changing"] = None  # the item chosen on the summary was answered
    return out


_DONT_KNOW = re.compile(r"不知道|不清楚|不确定|不懂|搞不清|弄不清|说不清|不太懂|不明白|没搞懂|咋选|怎么选|选哪个|选哪种|哪个是")
# The questions whose second asking explains what they mean (the picker, the kinds of insurance, …).
_HELPED = ("insured", "visit", "scheme", "filing_type", "start_date", "person_name", "id_number")


_THANKS = re.compile(r"(?:好的|好|嗯)?(?:谢谢|谢谢你|谢谢您|多谢|感谢|麻烦了|辛苦了|辛苦你了)(?:了|啊|哈|你|您)*")
_HELLO = re.compile(r"(?:你好|您好|在吗|在不在|有人吗|hello|hi|喂)(?:啊|呀|哈)*", re.I)
_RESTART = re.compile(r"重新开始|重新来|重来|从头开始|从头来|重新填|全部重填|重新办")
_STOP = re.compile(r"算了|不办了|不想办了|先不办了|以后再说|下次再办|先这样")


def _bare(message: str | None) -> str:
    return re.sub(r"[\s。.!！,，~～?？]+", "", message or "")


def _social(message: str | None) -> str | None:
    """A word of politeness or about the conversation itself, and its short answer."""
    t = _bare(message)
    if not t or len(t) > 12:
        return None
    if _THANKS.fullmatch(t):
        return "不客气。"
    if _HELLO.fullmatch(t):
        return "您好，我在。"
    if _RESTART.fullmatch(t):
        return "好的，哪一项要重新填，选一下就行，其他的不用再说一遍。"
    if _STOP.fullmatch(t):
        return "好的，已经说的都给您留着，想接着办的时候回来就行。"
    return None


def u_slots(state: dict, before: dict) -> bool:
    return any(state.get(s) != before.get(s) for s in SLOT_KEYS.values())


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


def apply_understanding(state: dict, env: Env, u: Understanding, out: Absorbed,
                         message: str = "") -> None:
    asked = state.get("asked")
    merged = merge(state, u)
    # The phone goes to the filing as typed; the state (stored in the database) keeps it masked.
    if u.contact_phone and (env.consent_accepted or env.filing_id):
        out.sync["contact_phone"] = u.contact_phone
        merged["contact_phone"] = mask_phone(u.contact_phone)
    elif u.contact_phone:
        # Before the privacy notice there is no draft to hold the number, and the state may not:
        # it is asked for again when its turn comes.
        merged["contact_phone"] = state.get("contact_phone")
    state.clear()
    state.update(merged)
    yes, no = u.yes_no == "yes", u.yes_no == "no"
    correcting = u.correction and bool(set(u.slots()) - {"start_date"})  # "不对，是去天津"
    if asked == "admitted" and correcting:
        pass  # a correction of something else, not an answer to "already admitted?"
    elif asked == "admitted" and not u.start_date and _admitted_answer(u, message) is not None:
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
    elif u.correction and not u.slots() and asked not in ("admitted",) and not u.relation_for:
        state["change_menu"] = True
    if state.get("start_date") and asked == "start_date" and state.get("admitted") is None:
        state["admitted"] = date.fromisoformat(state["start_date"]) <= env.today


# --- the contact's name, typed at any step ---------------------------------------------------------

_SELF_WORDS = re.compile(r"^(?:就|那就)?(?:写|填|用)?(?:我|我自己|本人|自己)(?:的名字|的)?(?:吧|就行|就好)?$")
_STRIP = re.compile(r"^(?:的名字|的姓名|名字|姓名|不对|错了|写错了|还是|那就|就|应该|要|改成|改为|换成|换为|写成|填成|写|填|"
                    r"是|为|叫|用|我?(?:老婆|爱人|老公|妻子|丈夫|媳妇|妈妈|妈|爸爸|爸|儿子|女儿|孩子|哥哥|姐姐|"
                    r"弟弟|妹妹|朋友|同事))")
_PUNCT = re.compile(r"^[\s:：,，。.、]+")
_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,12}(?:[·•][\u4e00-\u9fff]{1,12}){1,3}")
_NOT_A_NAME = re.compile(r"不对|改成|换成|改为|错了|联系人|电话|号码|手机")


def _rest_after_cue(message: str, asked: str | None) -> str | None:
    t = (message or "").strip()
    if "联系人" in t:
        rest = t[t.index("联系人") + 3:]
    elif asked == "contact_name":
        rest = t
    else:
        return None
    for _ in range(6):
        rest = _PUNCT.sub("", rest)
        stripped = _STRIP.sub("", rest)
        if stripped == rest:
            break
        rest = stripped
    return re.sub(r"[。.!！,，\s～~吧]+$", "", rest)


def names_oneself(message: str, asked: str | None) -> bool:
    rest = _rest_after_cue(message, asked)
    return rest is not None and bool(_SELF_WORDS.fullmatch(rest) or rest in ("我", "我自己", "本人"))


def contact_name_in(message: str, asked: str | None, profile_name: str | None) -> str | None:
    """The contact's name in "联系人改成徐慧", "联系人不对，是徐慧", "就写我" (the filer's own name),
    or after "改成"/"是" when the contact's name is the question; None when there is none."""
    rest = _rest_after_cue(message, asked)
    if rest is None:
        return None
    if _SELF_WORDS.fullmatch(rest) or rest in ("我", "我自己", "本人"):
        return profile_name
    return rest if _NAME.fullmatch(rest) and not _NOT_A_NAME.search(rest) else None


def _with_contact_name(u: Understanding, message: str, asked: str | None, env: Env) -> Understanding:
    if "联系人" not in message and has_slots(u):
        return u  # a place or a type said while the contact was asked: not a name
    name = contact_name_in(message, asked, env.profile_name)
    if name:
        return replace(u, contact_name=name)
    if u.contact_name and _NOT_A_NAME.search(u.contact_name):
        return replace(u, contact_name=None)  # "改成徐慧" is not a name
    return u


# --- a question, or the start of a filing ------------------------------------------------------------

_AGREE = re.compile(r"(?:我)?(?:同意|同意了|已同意|同意告知书|同意个人信息保护告知书)[。.!！]?")
_WANTS_FILING = re.compile(r"(?:想|要|帮我|给我|替我|帮她|帮他|给她|给他|替她|替他|帮忙|麻烦|准备|打算)[^，。？?]{0,8}(?:办|备案|申请)|"
                           r"办(?:个|一下|理)[^，。？?]{0,6}备案|^(?:办|办理)?备案$|开始办")
# After bills already paid or a filing never made (faq.SITUATION_ENTRIES): what can still be done,
# then an offer to file for next time.
NEXT_TIME = "以后去外省看病前先办好备案，在就医地的联网医院就能直接结算，不用先垫钱。"
OUT_OF_SCOPE = ("这个问题我暂时答不了。我可以帮您办理跨省异地就医备案，也能回答备案、直接结算和回参保地报销的问题；"
                "其他医保业务请拨打12393医保服务热线，或咨询参保地的医保经办机构。")


def _note_start(state: dict, before: dict, u: Understanding, message: str, out: Absorbed) -> None:
    """A filing starts when the person says they want one, or tells their situation without
    asking anything. A message that is only a question is answered without starting one (what it
    says about places and the like is kept for when one starts), then a filing is offered."""
    if state.get("started"):
        return
    asks = bool(u.question_intent) or faq.is_question(message)
    stated = u_slots(state, before) or state.get("pending") != before.get("pending")
    if _WANTS_FILING.search(message) or (stated and not asks) or (stated and u.filing_ask):
        state["started"] = True
        state["offer_filing"] = False
        need = _need_answer(state) if u.filing_ask == "need" else None
        if need:
            out.replies.append(text(need))
        return
    if asks:
        state["offer_filing"] = True
        said = " ".join(r.get("text", "") for r in out.replies)
        if u.question_intent in faq.SITUATION_ENTRIES and "以后" not in said:
            out.replies.append(text(NEXT_TIME))


def _need_answer(state: dict) -> str | None:
    """要备案吗, answered from the places told: the filing's own rule explains a same-province trip
    when it refuses the visit place, so only the cross-province answer is said here."""
    insured, visit = state.get(INSURED), state.get(VISIT)
    if insured and visit:
        if get_catalogue().same_province(insured, visit):
            return None
        return ("要办。参保地和就医地不在同一个省，先办好跨省异地就医备案，在就医地的联网医院就能直接结算。"
                "我来帮您办。")
    return "要不要备案，看参保地和就医地是不是在同一个省。我来帮您办，先问几个问题。"


def _answer(intent: str, message: str, state: dict) -> dict:
    """The knowledge base's answer, fitted to what is known (type, insured place), naming its
    public source."""
    found = faq.match(message, state)
    if found is not None and found.entry_id == intent:
        return {**text(found.answer), "source_url": found.source_url}
    return text(faq.answer(intent, state.get("filing_type"), state))
