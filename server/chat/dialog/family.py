"""Who the filing is for: the privacy consent, one's own name and ID number, a family member
named in words ("给我爸办") or added in the chat, and questions put in that person's terms."""
from __future__ import annotations

import re

from server.chat.dialog.common import MAX_ATTEMPTS, Absorbed, Env, ask, count_attempt, options, text
from server.chat.understand import Understanding
from server.filing import rules

TYPED_ASKS = ("consent", "person_name", "id_number", "member_name", "member_relation",
              "member_consent", "member_id_number", "member_phone")
DECLINE_TEXT = ("没关系。不过办理备案一定要用到姓名、证件号码等个人信息，不同意告知书就没法继续办理。"
                "您可以再看一下，同意后我们接着办。")
_NAME_PREFIX = re.compile(r"^(?:我的名字是|我的名字叫|名字是|名字叫|姓名是|姓名[:：]?|我叫|我是|叫|他叫|她叫)\s*")
_PERSON_NAME = re.compile(r"[\u4e00-\u9fff]{2,6}|[\u4e00-\u9fff]{1,12}(?:[·•][\u4e00-\u9fff]{1,12}){1,3}")
# Words typed for an option, never a name ("确认无误" typed while the name is asked).
_NOT_NAMES = re.compile(r"确认|无误|看过|同意|没问题|好的|可以|提交|本人|自己|不知道|是的|对的|谢谢|你好|您好|看完|读过|"
                        r"已上传|不填|还没")
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
RELATION_ORDER = ("parent", "spouse", "child", "grandparent", "grandchild", "sibling", "other")
# The word a person used, as the assistant says it back ("您父亲参加的是哪种医保").
_TERMS = (("爸爸|爸|父亲|老爸|爹|俺爹|老父亲", "父亲"), ("妈妈|妈|母亲|老妈|娘|俺娘|老娘|老母亲", "母亲"),
          ("父母|爸妈|家里老人|家中老人|我家老人", "家里老人"), ("婆婆", "婆婆"), ("公公", "公公"),
          ("岳母|丈母娘", "岳母"), ("岳父|老丈人", "岳父"), ("老伴儿?|老头子|老太婆", "老伴"), ("爱人", "爱人"),
          ("老公|丈夫|先生", "丈夫"), ("老婆|妻子|媳妇儿?|太太", "妻子"), ("孩子|小孩|娃", "孩子"),
          ("儿子", "儿子"), ("女儿|闺女", "女儿"), ("爷爷", "爷爷"), ("奶奶", "奶奶"), ("外公|姥爷", "外公"),
          ("外婆|姥姥", "外婆"), ("孙子", "孙子"), ("孙女", "孙女"), ("外孙女?", "外孙"),
          ("哥哥|哥", "哥哥"), ("姐姐|姐", "姐姐"), ("弟弟|弟", "弟弟"), ("妹妹|妹", "妹妹"))


def whose(state: dict, env: Env) -> str:
    """Who the questions are about, in the person's terms: "您", "您父亲", or a member's name."""
    applicant = state.get("applicant")
    if applicant == "self":
        return "您"
    if state.get("for_word"):
        return "您" + state["for_word"]
    member = next((m for m in env.family if str(m["id"]) == str(applicant)), None)
    return member["name"] if member else "您"


# "我退休了，医保在临汾…", "我在长沙参加的职工医保…": the person tells their own story.
_FIRST_PERSON = re.compile(rf"^(?:我|本人)(?!们|家|{_REL_WORDS})")


def note_self(state: dict, message: str, stated: bool) -> None:
    """A first message about one's own situation (no family word) files for oneself; said back,
    so a wrong reading is corrected at once."""
    if state.get("applicant") is None and not state.get("for_relation") and stated \
            and _FIRST_PERSON.search((message or "").strip()):
        state["applicant"] = "self"


def note_relation(state: dict, u: Understanding) -> None:
    """The message is about a relative (给我妈办, 我爸医保在宜宾, 母亲的医保卡…: the understanding's
    one rule): the filing is for a family member, asked once, when the applicant is; the word is
    kept to put the questions in their terms."""
    if not u.relation or (state.get("applicant") is not None
                          and not (state.get("applicant") == "self" and u.relation_for)):
        return
    # 其实是给我妈办的 after the filing was taken to be one's own: whom it is for is asked again
    state["applicant"] = None
    word = re.sub(r"^[我俺]", "", u.relation_word or "") or (u.relation_word or "")
    state["for_relation"] = u.relation
    state["for_word"] = next((t for cues, t in _TERMS if re.fullmatch(cues, word)), "家人")


def has_slots(u: Understanding) -> bool:
    return bool({k for k in u.slots() if k != "contact_name"} or u.ambiguities
                or u.insured_province_code or u.visit_province_code or u.filing_type)


def person_name_in(message: str, u: Understanding) -> str | None:
    """A name typed as the answer to "your name?" (a bare name, or "我叫张三")."""
    if has_slots(u):
        return None
    if u.contact_name and _PERSON_NAME.fullmatch(u.contact_name):
        return u.contact_name
    cand = _NAME_PREFIX.sub("", (message or "").strip())
    cand = re.sub(r"[。.!！,，\s～~]+$", "", cand)
    if _NOT_NAMES.search(cand):
        return None
    return cand if _PERSON_NAME.fullmatch(cand) and u.yes_no is None else None


def id_number_in(message: str) -> str | None:
    """The number typed as the answer to "your ID number?" (spaces and dashes dropped)."""
    t = (message or "").translate(_FULLWIDTH)
    runs = [re.sub(r"[\s\-－]", "", m.group()) for m in _NUMBER_RUN.finditer(t)]
    runs = [r for r in runs if len(r) >= 6]
    return max(runs, key=len) if runs else None


def absorb_typed(state: dict, env: Env, u: Understanding, message: str, out: Absorbed) -> str | None:
    """"ok" (answered), "bad" (answered wrongly: said what is wrong) or None (not an answer to
    the question: read the message as usual)."""
    from server.common.idnumbers import IdNumberError, PhoneNumberError, mask_id, validate_id_number, \
        validate_mobile

    asked = state.get("asked")
    short = len(message.strip()) <= 8
    if u.relation_for and asked in ("person_name", "id_number"):
        return None  # 其实是给我妈办的: not one's own name, whom the filing is for
    if asked in ("consent", "member_consent"):
        if has_slots(u):
            return None
        if "不同意" in message or "没有" in message or "还没" in message or (u.yes_no == "no" and short):
            decline(state, asked, out)
            return "ok"
        if "同意" in message or (u.yes_no == "yes" and short):
            if asked == "consent":
                out.command = "accept_privacy"
            else:
                state["new_member"] = {**state["new_member"], "consent": True}
            return "ok"
        return None
    if asked == "member_name" and id_number_in(message):
        # "李桂兰 410102…": the name and the number in one message
        name = person_name_in(re.sub(r"[\d\sXx\-－，,。：:]+|身份证(?:号码?)?|号码", " ", message).strip(), u)
        if name is None:
            out.replies.append(text("请先告诉我姓名，比如：李桂兰。"))
            count_attempt(state, asked)
            return "bad"
        state["new_member"] = {**state["new_member"], "name": name}
        if state["new_member"].get("relation"):
            state["asked"] = "member_id_number"
            return absorb_typed(state, env, u, message, out)
        return "ok"
    if asked in ("person_name", "member_name"):
        name = person_name_in(message, u)
        if name is None:
            if has_slots(u) or u.yes_no is not None:
                return None
            out.replies.append(text("请只输入姓名，比如：张三。"))
            count_attempt(state, asked)
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
        if u.contact_phone and number is not None and len(number) == 11:
            return None  # a mobile number typed here: the contact's phone, the ID is asked again
        if number is None:
            if has_slots(u) or "联系人" in message:
                return None
            out.replies.append(text("请输入18位的身份证号码（最后一位可以是X）。"))
            count_attempt(state, asked)
            return "bad"
        try:
            info = validate_id_number(number, env.today)
        except IdNumberError as exc:
            out.replies.append(text(f"这个号码不对：{exc.message}。"))
            count_attempt(state, asked)
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
                count_attempt(state, asked)
                return "bad"
        out.member = {"phone": u.contact_phone or digits}
        out.command = "member_phone"
        return "ok"
    return None


def decline(state: dict, asked: str, out: Absorbed) -> None:
    if asked == "consent":
        state["consent_declined"] = True
        out.replies.append(text(DECLINE_TEXT))
    else:
        state["new_member"] = None
        out.replies.append(text("为家人办理备案，要先征得家人本人同意。征得同意后，再点“添加家人”就可以了。"))


def ask_member(state: dict, env: Env, replies: list[dict]) -> tuple[dict, list[dict]]:
    """Adding a family member in the chat: first their agreement (nothing of theirs is taken
    before it), then name (the ID number may come with it), relation unless already said, ID
    number (the member is saved then, so the number is never kept between turns)."""
    nm = state["new_member"]
    term = "您" + state["for_word"] if state.get("for_word") else None
    who = nm.get("name") or term or "这位家人"
    if not nm.get("consent"):
        replies.append(text(f"为家人办理要用到{who}的姓名和身份证号码。请确认已经征得{who}本人同意："))
        replies.append(options([("已征得同意", "member_consent:yes"), ("还没有", "member_consent:no")]))
        return ask(state, "member_consent", replies)
    if not nm.get("name"):
        replies.append(text(f"好的。请告诉我{who}的姓名和身份证号码（号码只用于备案，会加密保存）。"))
        return ask(state, "member_name", replies)
    if not nm.get("relation"):
        replies.append(text(f"{who}是您的什么人？"))
        replies.append(options([(rules.RELATIONS[c], f"relation:{c}") for c in RELATION_ORDER
                                if c in rules.RELATIONS]))
        return ask(state, "member_relation", replies)
    if (state.get("attempts") or {}).get("member_id_number", 0) >= MAX_ATTEMPTS:
        replies.append({"type": "card", "card": "add_family_member", "method": "POST",
                        "url": "/api/v1/family-members",
                        "text": "也可以在“亲情账户”页面添加家人，添加好后回来选择。"})
    replies.append(text(f"请输入{who}的身份证号码（只用于备案，会加密保存）。"))
    return ask(state, "member_id_number", replies)


def identity_card(replies: list[dict]) -> None:
    replies.append({"type": "card", "card": "identity_request", "method": "PATCH", "url": "/api/v1/me",
                    "text": "也可以在“我的”页面填写姓名和证件号码，填好后回来点“已填好”。"})
    replies.append(options([("已填好", "identity:done")]))
