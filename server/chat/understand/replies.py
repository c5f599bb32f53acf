"""Short replies and corrections: the contact's name and phone, yes / no, and the words that mark
a message as correcting something said before."""
from __future__ import annotations

import re

PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
_NAME = re.compile(
    r"(?:我叫|她叫|他叫|^叫|[，,]叫|我的名字是|名字[是叫]|姓名[是为:：]?|联系人(?:是|为|[:：])?|联系人叫)\s*"
    r"(?P<name>[\u4e00-\u9fff·]{2,5}?)(?=[，,。.\s]|电话|手机|号码|联系|$|\d)")
_NOT_A_NAME = re.compile(r"[我你他她的]|女儿|儿子|爸|妈|老公|老婆|爱人|本人|自己")
_YES = ("是的", "是啊", "对的", "对啊", "嗯嗯", "好的", "可以", "没错", "确认", "同意", "没问题", "确定",
        "是", "对", "嗯", "好", "行", "要", "有", "ok", "OK", "中")
_NO = ("不是", "不对", "没有", "不要", "不用", "不行", "不需要", "算了", "没", "不", "否", "无")
FILLER = re.compile(r"^[哦噢喔啊呃额嗯那]+(?=[不没是对好])|[啊呀吧呢哦嘛啦的了。！!，,.\s～~]+$")
CORRECTION = re.compile(
    r"不对|说错|搞错|弄错|写错|打错|改成|改为|改一下|更正|纠正|重新说|应该是|其实是|等等|"
    r"是[^，。,]{1,8}不是|不是[^，。,]{1,8}[，,]?是")


def yes_no(text: str) -> str | None:
    t = text.strip()
    if t.startswith(("对了", "哦对了")):
        return None  # "by the way"
    t = FILLER.sub("", t)
    t = FILLER.sub("", t)
    for tokens, value in ((_NO, "no"), (_YES, "yes")):
        for tok in tokens:
            if t == tok or (t.startswith(tok) and len(t) > len(tok) and t[len(tok)] in "，,。 !！"):
                # 没有转诊 is a fact, not a bare no; 有 alone only as a whole answer.
                return value
    return None



# A street address: a road and its number (科技园路1号), or a compound and its building or room
# (阳光小区3栋2单元). Typed at another step it is kept as the address, never read as a date.
_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{1,12}(?:路|街|大道|大街|巷|弄|胡同)[\d一二三四五六七八九十百]+号"
    r"|(?:小区|花园|公寓|大厦|新村|家园|苑|村)[\u4e00-\u9fff\d]{0,8}?\d+(?:号楼|栋|幢|单元|室|号)")
_ADDRESS_LEAD = re.compile(r"^(?:我|我们|他|她|老人)?(?:现在|目前)?(?:的)?(?:住在|住|家住|地址是|地址[:：]|住址是|住址[:：]|居住地址是|居住地址[:：])")


def address(text: str) -> str | None:
    """The address a short message gives (深圳市南山区科技园路1号, 我住在阳光小区3栋2单元)."""
    t = text.strip().rstrip("。.!！")
    if len(t) > 60 or not _ADDRESS.search(t) or re.search(r"[?？吗呢]$", t):
        return None
    t = _ADDRESS_LEAD.sub("", t)
    return t if len(t) >= 4 and not re.search(r"[，,。；;]", t) else None


def phone(text: str) -> str | None:
    found = PHONE.search(text)
    return found.group(1).replace("-", "") if found else None


def stated_name(text: str) -> str | None:
    """A name the message states (我叫…, 联系人是…), never a relation word."""
    return next((mt.group("name") for mt in _NAME.finditer(text)
                 if not _NOT_A_NAME.search(mt.group("name"))), None)


def bare_name(text: str) -> str | None:
    """The whole message as a name, when the dialog asked for one (王小红)."""
    cand = FILLER.sub("", text)
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", cand) and yes_no(text) is None:
        return cand
    return None


_FILED_AS = r"(?:异地(?:就医)?|跨省(?:异地)?(?:就医)?)?备案"
_HOW_TO_FILE = re.compile(
    r"(?:怎么|怎样|如何|咋|怎么样)(?:去|来)?(?:办理?|申请|弄|操作|做)?(?:一下|个)?" + _FILED_AS
    # 备案怎么办理, but not 没备案怎么办 (what now, without a filing)
    + r"|(?<![没未])备案(?:要)?(?:怎么|如何|咋)(?:办理|弄|操作|做|申请)|(?:在哪|哪里|哪儿)(?:办|申请|做)" + _FILED_AS
    # 我在厦门打工，老家上饶的新农合，怎么弄: said after the trip, "how do I go about it"
    + r"|(?:怎么|咋|如何|怎样)(?:弄|搞|操作|办理|申请|办手续)(?:呢|啊|呀)?[？?。！!]*$")
_NEED_FILING = re.compile(
    r"(?:要|需要|用|得|必须)(?:先)?(?:办理?|做)?" + _FILED_AS + r"(?:吗|么|嘛|不)"
    r"|(?:要不要|需不需要|用不用|是否(?:需要|要)|是不是(?:要|得))(?:先)?(?:办理?|做)?" + _FILED_AS)


def filing_ask(text: str) -> str | None:
    """"how" for 怎么备案, "need" for 要备案吗 / 需不需要备案, else None."""
    if _NEED_FILING.search(text or ""):
        return "need"
    if _HOW_TO_FILE.search(text or ""):
        return "how"
    return None
