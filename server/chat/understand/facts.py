"""Facts a message states (emergency, referral, posted by the employer, retired, 户口 moved, living
there long-term, …), the filing type they point to, and the insurance scheme."""
from __future__ import annotations

import re

from server.chat.understand.model import FILING_TYPES

_NEG = r"(?:不是|并非|非|不算|没有|没|未|不)"
_EMPLOYEE = re.compile(
    r"职工|在职|城职|企业退休|公务员|事业单位|机关单位|单位(?:上)?的?医保|(?:单位|公司|厂里|工厂|厂子|企业|老板|用人单位)[^，。,]{0,8}?(?:交|缴|买|上)(?:纳|费)?(?:的|了|医保|社保|保险|$|[，。,])"
    r"|(?:上班|工作|打工)(?:时|的时候)?(?:单位)?(?:交|缴|买|上)(?:的|了|着)?(?:社保|医保|五险|职工)")
_RESIDENT = re.compile(
    r"(?:我|他|她|孩子|老人)(?:是|还是)(?:在校)?(?:大|中|小)?学生|(?:我|他|她|老人)是农民|村里(?:交|缴|统一|收)|少儿|"
    r"城乡居民|城镇居民|居民(?:基本)?(?:医保|医疗|保险)|新农合|农合|合作医疗|农村(?:医疗保险|医保|合作医疗|居民医保)|农保|城乡(?:医保|医疗保险)|居民社保|学生医保|学生保险|少儿医保|大学生医保|城居保|居民的")
_FLEXIBLE = re.compile(r"灵活就业|个体户|自由职业")

_FACT_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    # 意外伤害 alone names a kind of cost (意外伤害怎么报销), not something that happened.
    ("emergency", re.compile(r"急诊|抢救|急救|突发|发作|病发|犯病了?(?:住院|送)|病倒|突然(?:发病|晕倒|昏迷|犯病|病倒)|车祸|急病|急性|120|送进医院|被送|"
                              r"意外(?!伤害)|出了意外|摔伤|摔倒|摔骨折|昏迷|休克")),
    ("referral", re.compile(r"转诊|转院|上转|转(?:到|去|往)?(?:上级|省级|省里的?|外地的?|省外的?|大)医院"
                             r"|(?:医院|医生|大夫)[^，。,]{0,6}(?:让|建议|要求|叫|安排)[^，。,]{0,4}转")),
    ("posted", re.compile(r"工作调动|调动工作|调动到|调到外地|"
                          r"(?:单位|公司|集团|厂里|领导)[^，。,]{0,6}(?:安排|调)[^，。,]{0,8}(?:工作|上班|常驻|驻)|"
                          r"调到[^，。,]{0,8}(?:工作|上班)|(?:分公司|子公司|项目部|办事处|分厂)(?:上班|工作|常驻|驻点)|"
                          r"派出证明|异地工作证明|工作证明|派我|派到|派遣|常驻异地|异地工作|派往|派驻|外派|被派|常驻|驻点|长驻|驻外|借调|派去|派过去|调派|单位派|公司派")),
    ("self_go", re.compile(r"自己(?:想|要|打算)?(?:去|过去|回去|回|找|跑|来|看|开车)|自行(?:去|前往|就医)|探亲")),
    ("retired", re.compile(r"退休|离休|养老金")),
    ("hukou_moved", re.compile(r"(?:户口|户籍)(?:本)?(?:已经|已|也|都|也已经|早就|早已|刚)?"
                               r"(?:(?:跟着?|随着?)[^，。,]{1,4}?(?:一起|一块)?)?(?:迁|落|转|移)(?:回|到|去|过|来|了|至|往|在)"
                               r"|落户|迁户口")),
    ("resettle", re.compile(r"异地安置|安置备案|退休安置")),
    ("long_term_label", re.compile(r"长期居住备案|异地长期居住|长期居住的备案")),
    ("long_living", re.compile(
        r"长期居住|长期住|长住|常住|常年住|常年在|定居|养老|一直住|一直跟|这几年|好几年|几年了|多年|"
        r"住了[^，。,]{0,2}年|长期在|以后就在|以后都在|"
        r"[跟和同](?:女儿|儿子|孩子|子女|儿女|我们|我)[^，。,]{0,4}(?:住|生活|过日子)|"
        r"随(?:女儿|儿子|子女|孩子|儿女)|投靠|"
        # 现在住在三亚我家, 在女儿家住: living in a child's home
        r"住在[^，。,]{0,6}(?:我家|我们家|儿子家|女儿家|孩子家|子女家|闺女家)(?!附近|旁边|边上|对面|楼下)|"
        r"在[^，。,]{0,6}(?:我家|儿子家|女儿家|孩子家|闺女家)(?:住|生活|养老)")),
    ("residence_permit", re.compile(r"居住证|居住证明")),
    ("wintering", re.compile(r"过冬|候鸟|避寒|猫冬")),
    ("temporary", re.compile(r"临时外出|临时备案|临时就医")),
    # A trip with an end (home for the holidays, travel, a visit): 回老家看病, 寒假回乌鲁木齐.
    # 要去上海看病, 去北京复查: a trip for treatment, by referral or on one's own (asked, not guessed)
    ("treatment_trip", re.compile(
        r"(?:去|到|来|赴)[^，。,]{1,12}?(?:看病|就医|就诊|治病|治疗|做手术|动手术|手术|复查|复诊|看牙|检查|化疗|放疗)")),
    ("trip", re.compile(r"回(?:趟|一趟)?(?:老家|家乡)(?![^，。,]{0,4}(?:能用|可以用|能不能用|用吗|能报|报销吗|能不能报))|寒假|暑假|放假回|过年回|春节回|回家过年|旅游|旅行|度假|游玩|"
                        r"回去(?:看|住)(?:一段|几天|几个月)")),
)
_MOVED_BACK = re.compile(r"(?:现在|已经|退休后?|早就|早已)[^，。,]{0,3}回(?:到)?了?(?:老家|家乡)"
                         r"|回(?:到)?(?:老家|家乡)[^，。,]{0,8}?(?:定居|养老|生活|住下|常住|长住)")
_TRIP_OTHER = re.compile(r"寒假|暑假|放假回|过年回|春节回|回家过年|旅游|旅行|度假|游玩|回(?:趟|一趟)?(?:老家|家乡)[^，。,]{0,4}?(?:看病|看看|住几天|待几天)")
# Facts that settle the filing type by themselves: a correction inside the message replaces them.
TYPE_FACTS = frozenset({"emergency", "referral", "no_referral", "posted", "resettle", "self_go", "trip"})
_SELF_CORRECTION = re.compile(r"(?:不对|说错了|搞错了|弄错了|说错|哦不|噢不|不不|啊不|不是不是)[，,。！!]?")
_NEGATED_FACT = {
    "emergency": re.compile(r"(?:不是|非|不算)急诊"),
    "referral": re.compile(r"(?:没|未|不|无)[^，。,]{0,4}(?:转诊|转院)|(?:转诊|转院)[^，。,]{0,3}(?:没|没有|未)(?:开|有|给)"),
    "residence_permit": re.compile(r"(?:没|没有|未|还没)(?:办|有)?[^，。,]{0,2}居住证"),
}
# 因为工作原因要长期在外地: working away for good is a posting, not only living there.
_WORK_REASON = re.compile(r"(?:因为|由于|因)工作|工作(?:原因|需要|关系)")
# 怎么落户海口, 落户政策: asking about settling somewhere states nothing about the person.
_HUKOU_QUESTION = re.compile(
    r"(?:怎么|如何|怎样|能不能|可以|能否|多久|哪里)(?:才能|可以)?(?:办理?)?(?:落户|迁户口)"
    r"|(?:落户|迁户口|户口迁(?:到|入|往|去)?)[^，。,]{0,4}?(?:的?程序|政策|条件|流程|手续|要求|需要|到哪|哪里|去哪|有期限|多久|规定|有什么)")
# 住多久才可以办理居住证, 上海居住证办理流程: getting a residence permit asked about is no fact.
_PERMIT_QUESTION = re.compile(
    r"(?:怎么|如何|多久|哪里|怎样|才能|才可以)(?:办理?|申请|领)[^，。,]{0,2}居住证"
    r"|居住证[^，。,]{0,4}?(?:办理|流程|管理|办法|多久|怎么办|怎么|条件|要求|哪里|领证)")
_PERMIT_HELD = re.compile(r"(?:有|办了|办好了?|已经办|已办|拿到)[^，。,]{0,2}居住证")
_HUKOU_NOT_MOVED = re.compile(
    r"(?:户口|户籍)(?:还|也|都|仍|仍然|一直)*(?:没|没有|未|不|不用)(?:迁|落|转|动|移)|(?:户口|户籍)(?:也|都)?(?:还|仍|仍然|一直)(?:在|是)")
BARE_TYPE = (
    # 意外伤害 alone names a kind of cost (意外伤害怎么报销), not something that happened.
    ("emergency", re.compile(r"急诊|抢救")),
    ("referral", re.compile(r"转诊|转院")),
    ("resident_worker", re.compile(r"常驻|派驻|工作")),
    ("retiree_relocated", re.compile(r"安置|退休")),
    ("long_term_resident", re.compile(r"长期居住|长住|居住")),
    ("other_temporary", re.compile(r"其他|临时|探亲|旅游|自己")),
)


def find_facts(text: str) -> set[str]:
    """Facts the message states; after 不对/说错了 inside it, the later statement of the type wins
    (类型是转诊……不对，我是自己去的)."""
    marks = list(_SELF_CORRECTION.finditer(text))
    if marks:
        after = _stated_facts(text[marks[-1].end():])
        if after & TYPE_FACTS:
            return (_stated_facts(text[:marks[-1].start()]) - TYPE_FACTS) | after
    return _stated_facts(text)


def _stated_facts(text: str) -> set[str]:
    found: set[str] = set()
    for name, pattern in _FACT_PATTERNS:
        matches = list(pattern.finditer(text))
        if not matches:
            continue
        neg = _NEGATED_FACT.get(name)
        if neg is None:
            found.add(name)
            continue
        spans = [s.span() for s in neg.finditer(text)]
        positive = [mt for mt in matches if not any(a <= mt.start() < b for a, b in spans)]
        if positive:
            found.add(name)
        if spans:
            found.add("no_" + name)
    if _HUKOU_NOT_MOVED.search(text):
        found.discard("hukou_moved")
        found.add("hukou_not_moved")
    if _HUKOU_QUESTION.search(text):
        found.discard("hukou_moved")
    if _PERMIT_QUESTION.search(text) and not _PERMIT_HELD.search(text):
        found.discard("residence_permit")
    if "trip" in found and _MOVED_BACK.search(text) and not _TRIP_OTHER.search(text):
        found.discard("trip")  # 现在回老家荆州了: moved back for good, not a trip
    if "long_living" in found and _WORK_REASON.search(text):
        found.add("posted")
    return found


LONG_TERM_FACTS = frozenset({"retired", "hukou_moved", "hukou_not_moved", "long_living",
                             "residence_permit", "long_term_label"})


def derive_filing_type(facts: set[str] | frozenset[str],
                       prior: set[str] | frozenset[str] = frozenset()) -> tuple[str | None, str | None]:
    """The filing type one message's facts point to, given what earlier messages established."""
    for explicit in FILING_TYPES:
        if "type:" + explicit in facts:
            return explicit, "answered " + explicit
    if "emergency" in facts and "posted" in facts:
        return None, None  # 派驻…现突发疾病: posted there, taken ill: asked (either may be right)
    if "emergency" in facts:
        return "emergency", "sudden illness or emergency treatment away from home"
    if "referral" in facts:
        return "referral", "a referral (转诊/转院) from the insured place"
    if "posted" in facts:
        return "resident_worker", "posted by the employer"
    if "resettle" in facts:
        return "retiree_relocated", "异地安置 named"
    if "no_referral" in facts or "self_go" in facts:
        return "other_temporary", "going on one's own without a referral"
    if "trip" in facts and not facts & LONG_TERM_FACTS:
        return "other_temporary", "a trip away from home (holidays, travel, a visit home)"
    if facts & LONG_TERM_FACTS:
        merged = set(prior) | set(facts)
        if "hukou_moved" in facts:
            merged.discard("hukou_not_moved")
        if "hukou_not_moved" in facts:
            merged.discard("hukou_moved")
        if "hukou_moved" in merged and "retired" in merged:
            return "retiree_relocated", "retired and hukou moved to the visit place"
        if merged & {"long_living", "residence_permit", "long_term_label", "hukou_moved"}:
            return "long_term_resident", "living there long-term"
        if {"retired", "hukou_not_moved"} <= merged:
            return "long_term_resident", "retired, living there without moving hukou"
    return None, None


TEMPORARY_TYPES = ("referral", "emergency", "other_temporary")
LONG_TERM_TYPES = ("retiree_relocated", "long_term_resident", "resident_worker")


def type_candidates(group: str | None, facts: frozenset[str] | set[str] = frozenset()) -> tuple[str, ...]:
    """The types still open when the facts settle none, to ask with options instead of guessing."""
    if {"emergency", "posted"} <= set(facts):
        return ("resident_worker", "emergency")
    if group == "temporary":
        return TEMPORARY_TYPES
    if group is None and "treatment_trip" in facts and not set(facts) & (LONG_TERM_FACTS - {"retired"}):
        return ("referral", "other_temporary")
    if group == "long_term":
        return LONG_TERM_TYPES
    return ()


_SCHEME_CHOICE = re.compile(r"区别|不同|还是|哪个|哪种|哪一种|差别|一样吗|选哪|[？?吗]")
_BOTH_SCHEMES = re.compile(r"职工[^，。,]{0,8}?(?:和|跟|与|还是|或|、)[^，。,]{0,4}?(?:居民|新农合|农合)"
                           r"|(?:居民|新农合|农合)[^，。,]{0,8}?(?:和|跟|与|还是|或|、)[^，。,]{0,4}?职工")


def find_scheme(text: str, expecting: str | None) -> tuple[str | None, bool]:
    found: list[tuple[int, str]] = []
    for scheme, pattern in (("employee", _EMPLOYEE), ("resident", _RESIDENT)):
        for mt in pattern.finditer(text):
            if re.search(_NEG + r"$", text[max(0, mt.start() - 3):mt.start()]):
                continue
            found.append((mt.start(), scheme))
    if not found and expecting == "scheme":
        if "居民" in text:
            found.append((0, "resident"))
        elif re.search(r"单位|公司|厂里", text):
            found.append((0, "employee"))
    if found and _SCHEME_CHOICE.search(text) and _BOTH_SCHEMES.search(text):
        return None, False  # 职工和居民有什么区别: both named, neither said to be one's own
    if found:
        return max(found)[1], False
    if _FLEXIBLE.search(text) or (expecting == "scheme" and re.search(r"自己交|个人交", text)):
        return None, True
    return None, False
