"""Questions people ask on the way, answered in short simple Chinese from the domain rules.

`detect_question(text)` gives an intent code or None; `answer(intent, filing_type)` the reply.
Answers name the filing type's own rule where it matters (materials, ratio, validity, review).
"""
from __future__ import annotations

import re

INTENTS = ("materials", "no_filing", "review_time", "hospitals", "ratio", "backdate", "validity",
           "cancel")

_QUESTION = re.compile(r"[？?]|吗|呢|么|怎么|怎样|如何|多久|多长|哪些|哪家|哪里|什么|能不能|可不可以|"
                       r"是不是|会不会|是否|几天|几个|几成|多少|有没有|要不要")

# Order matters: the more specific intent first (没备案…报销 before 报销比例; 有效 before 多久).
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("no_filing", re.compile(r"(?:没|不|未|没有|不用)(?:办|做)?备案[^，。,]{0,8}(?:报|结算|看病|能用|可以)")),
    ("cancel", re.compile(r"撤销|撤回|取消备案|作废|不想要了|退掉|注销备案|取消")),
    ("validity", re.compile(r"有效期|多久有效|多长时间有效|管多久|能用多久|有效多久|过期|到期|有效")),
    ("backdate", re.compile(r"补办|补备案|补录|事后|出院(?:了|后)[^，。,]{0,6}(?:备案|办)|已经住院[^，。,]{0,8}(?:备案|办)|来得及")),
    ("review_time", re.compile(r"(?:多久|几天|多长时间|什么时候|啥时候)[^，。,]{0,6}(?:审核|审批|批|办好|办下来|通过|出结果|好)|"
                               r"(?:审核|审批)[^，。,]{0,6}(?:多久|几天|多长时间|要多长)")),
    ("materials", re.compile(r"材料|资料|带什么|准备什么|要什么证|需要什么证|哪些证明|什么证明|要带|证件")),
    ("hospitals", re.compile(r"哪些医院|哪家医院|什么医院|哪个医院|哪些(?:定点)?机构|医院能用|定点医院|能去哪|去哪看")),
    ("ratio", re.compile(r"比例|报多少|报销多少|少报|降低|打折|报得少|报的少|能报几成|待遇")),
)


def detect_question(text: str) -> str | None:
    """The FAQ intent of a message that asks something, else None."""
    text = (text or "").strip()
    if not text or not _QUESTION.search(text):
        return None
    for intent, pattern in _PATTERNS:
        if pattern.search(text):
            return intent
    return None


LONG_TERM = ("retiree_relocated", "long_term_resident", "resident_worker")
TEMPORARY = ("referral", "emergency", "other_temporary")

_MATERIALS = {
    "retiree_relocated": "异地安置退休人员需要：户口簿首页和本人页。参保地允许的话，也可以签个人承诺书代替。",
    "long_term_resident": "异地长期居住人员需要：就医地的居住证或居住证明。参保地允许的话，也可以签个人承诺书代替。",
    "resident_worker": "常驻异地工作人员需要：单位派出证明、异地工作证明或劳动合同，任选一种。参保地允许的话，也可以签个人承诺书代替。",
    "referral": "异地转诊需要：参保地定点医院开的转诊转院证明。这个证明不能用承诺书代替。",
    "emergency": "急诊抢救不需要其他材料，按已备案处理；想留个记录也可以补一个备案。",
    "other_temporary": "其他临时外出就医只需要本人身份信息，不需要其他证明。",
}
_IDENTITY = "每种备案都要：姓名、身份证件号码和手机号。"


def _materials(filing_type: str | None) -> str:
    if filing_type in _MATERIALS:
        return _IDENTITY + _MATERIALS[filing_type]
    return (_IDENTITY + "另外按备案类型准备：退休安置要户口簿；长期居住要居住证或居住证明；"
            "单位派驻要派出证明或劳动合同；转诊要转诊转院证明；急诊抢救和其他临时外出不用另外的证明。")


def _ratio(filing_type: str | None) -> str:
    base = "看病用药按就医地的目录，起付线、报销比例和封顶线按参保地的政策。"
    if filing_type in LONG_TERM:
        return base + "长期在外地居住或工作的备案，报销比例和参保地本地一样，不会降低。"
    if filing_type in ("referral", "emergency"):
        return base + "转诊和急诊抢救，报销比例最多比参保地低10个百分点。"
    if filing_type == "other_temporary":
        return base + "其他临时外出就医，报销比例最多比参保地低20个百分点。"
    return (base + "长期居住类备案和本地一样；转诊、急诊最多低10个百分点；"
            "其他临时外出最多低20个百分点。没有备案只能回去手工报销，一般报得更少。")


def _review(filing_type: str | None) -> str:
    quick = "其他临时外出和急诊抢救不需要证明材料，提交后马上就能办好。"
    slow = "网上提交后一般2个工作日内审核完，周末和节假日不算。"
    if filing_type in ("other_temporary", "emergency"):
        return quick
    if filing_type:
        return slow + "审核结果会通知您，也可以在「备案记录」里看进度。"
    return slow + quick


def _validity(filing_type: str | None) -> str:
    long_text = "长期居住类的备案长期有效，直到您变更或撤销。"
    temp_text = "临时外出的备案至少6个月有效，结束日期默认是开始日期后半年，到期前可以申请延期。"
    if filing_type in LONG_TERM:
        return long_text
    if filing_type in TEMPORARY:
        return temp_text
    return long_text + temp_text


def _cancel(filing_type: str | None) -> str:
    how = "在「备案记录」里找到这条备案，点「撤销备案」就行。还在审核中的可以直接撤回。"
    if filing_type in LONG_TERM:
        return how + "长期居住类备案审核通过后，要满一段时间（多数地方是6个月）才能变更或撤销。"
    if filing_type in TEMPORARY:
        return how + "临时外出的备案随时可以撤销。"
    return how + "临时外出的随时可以撤销；长期居住类的通过后一般要满6个月才能变更或撤销。"


def answer(intent: str, filing_type: str | None = None) -> str:
    """A short answer for an intent from `detect_question`, fitted to the filing type if known."""
    if intent == "materials":
        return _materials(filing_type)
    if intent == "no_filing":
        return ("没有备案，在外省看病不能直接结算，要先自己垫钱，再回参保地手工报销，一般报得更少。"
                "急诊抢救按已备案处理。出院结算前补办备案，也能直接结算。")
    if intent == "review_time":
        return _review(filing_type)
    if intent == "hospitals":
        return ("备案选的是就医的城市，不是某一家医院。备案成功后，就医地所有联网的定点医疗机构都能直接结算，"
                "可以在「定点医药机构查询」里查。")
    if intent == "ratio":
        return _ratio(filing_type)
    if intent == "backdate":
        return ("可以补办。出院结算前补办备案，也能直接结算；开始日期可以填住院那天，"
                "最早能往前补多久按参保地的规定。急诊抢救按已备案处理。")
    if intent == "validity":
        return _validity(filing_type)
    if intent == "cancel":
        return _cancel(filing_type)
    raise ValueError(f"unknown intent {intent}")
