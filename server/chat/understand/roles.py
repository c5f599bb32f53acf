"""Place roles: which mention is the insured place (参保地) and which the visit place (就医地).

This is the one file that tells them apart. Each mention gets a role from the words around it
inside its clause (`assign_role`, rules tried in order, first match wins, each with a strength:
3 a direct cue, 2 a softer one, 1 a weak hint); `fill_regions` then picks one mention per slot,
using what the dialog asked for and already knows for names said without any cue.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from server.chat.understand.gazetteer import Gazetteer, region_province
from server.chat.understand.mentions import Mention
from server.chat.understand.model import (INSURED, REGION_SLOTS, VISIT, Ambiguity, RoleAmbiguity,
                                          Understanding)
from server.chat.understand.replies import CORRECTION

WORKS_THERE = "在…工作"
_CLAUSE_BREAK = re.compile(r"[，。！？；,.!?;\n\s]")

_DISTRACT_BEFORE = re.compile(
    r"(?<![回到])(?:老家|家乡|籍贯|出生地|祖籍|户籍|户口本?)(?:也|都|还|仍|仍然|一直)*(?:是|在|属于)?(?:在)?$"
    r"|(?:出生在|出生于|生在|长在|出生|老家在)$|(?:不是|不是在|不去|不在|而不是|并不是|不想去)$")
_DISTRACT_AFTER = re.compile(
    r"^(?:人(?!民)|籍|老乡|的?户口|的?户籍)"
    r"|^(?:那边|这边|那里|那儿|的医院)?(?:排不上|挂不上|去不了|不去了?|不行|没号|太远|看不了|不方便)"
    r"|^(?:也|都)?(?:不对|错了|说错了|搞错了|写错了|弄错了)"
    r"|^(?:是|那是|呢是)?(?:我|他|她)?(?:的)?(?:弟弟|妹妹|哥哥|姐姐|朋友|同事|邻居|亲戚|表哥|表姐|表弟|表妹|堂哥|堂弟|同学)(?:要|想|打算|准备|去|在)")
_INSURED_BEFORE = re.compile(
    r"(?:医保|社保|参保地?|参保城市|参保地区|投保地|缴费地|医保所属地|医保归属地|参保的地方|医保关系|医保卡|医疗保险|参保地方|医保所在地|统筹区)"
    r"(?:也|都|还|就|一直|其实|应该)*(?:交|缴|缴纳|买|参|上|办)?(?:的)?"
    r"(?:是|在|为|属于|归|落在|改成|改为|换成|改到)?(?:在)?[:：]?(?:老家|家乡|本地|当地)?$"
    r"|(?:单位|公司|工作单位|厂里)(?:也|就)?(?:在|是)$")
_FROM_BEFORE = re.compile(r"从$")
_VISIT_LABEL_BEFORE = re.compile(
    r"(?:就医地|就医地点|就医城市|就诊地|看病的地方|目的地|要去的地方)(?:也|就|应该)?(?:是|在|为|选|改成|改为|换成|改到)?(?:在)?[:：]?$"
    r"|(?:就医|就诊|看病)[:：]$")
# 在老家临汾参加的职工医保: a hometown is the insured place when the insurance is said to be there.
_HOME_BEFORE = re.compile(r"(?:老家|家乡|户口所在地|户籍地)(?:是|在)?$")
# 发票寄回郑州报销, 回郑州能报销吗: where the bills go back to be claimed is the insured place.
_CLAIM_BACK_BEFORE = re.compile(r"(?:寄回|拿回|带回|邮回|交回|回)(?:到)?$")
_CLAIM_AFTER = re.compile(r"^(?:去|那边|那里|以后|后)?[^，。,]{0,5}?(?:报销|报账|能报|可以报|报不报|给报)")
_CLAIM_BACK_ANYWHERE = re.compile(r"(?:寄|拿|带|邮|交)回|回(?:去|到)?[^，。,]{0,6}?(?:报销|报账|能报|可以报)")
# 原来在乌鲁木齐看病: where someone used to be treated says nothing of this filing by itself.
_USED_TO_BEFORE = re.compile(r"(?:原来|以前|之前|原先|本来|过去)(?:一直|都)?在$")
# 外地患者在北京医保怎么用: the person is from elsewhere, so the place is where they are treated.
_OUTSIDER_BEFORE = re.compile(r"外地(?:的)?(?:患者|病人|人|参保人员?|医保|老人)?(?:在|来|到)$")
# 在秦皇岛不承认, 在北京医保怎么用, 不能在沪使用: where the card is (not) accepted is the visit place.
_CARD_USE_AFTER = re.compile(
    r"^(?:的)?(?:医保|医保卡|社保卡|这个医保)?(?:(?:怎么|能不能|能否|能|可以|可不可以|不能|不给|没法|无法|不让|不)"
    r"(?:直接)?(?:用|使用|刷|结算|承认|认|通用|报)|使用|刷卡|直接结算|通用)")
# 医保卡在广州不能直接结算, 河南的医保在北京能用吗: the card is used there.
# 绍兴医保在杭州能用吗, 外地的医保在北京不通用: insurance from one place used in another (not
# 我的医保在郑州, which says where one is insured).
_CARD_AT_BEFORE = re.compile(r"(?:(?:医保卡|社保卡|卡)(?:拿到|拿去|带到|带去)?|的(?:医保|社保)"
                             r"|(?:^|[^我你他她们俺咱的妈爸])(?:医保|社保))在$")
# 深圳异地就医备案, 北京医保跨省报销: a place's own people going elsewhere — the insured place.
_AWAY_FROM_AFTER = re.compile(r"^(?:的|市|人)?(?:医保|参保人员?|职工|居民)?(?:异地|跨省|省外|外地)(?:就医|医保|备案|报销|住院|看病|结算)")
# 郑州住院报销比例是多少, 厦门医保政策: a place whose own rules are asked about is the insured place.
_POLICY_AFTER = re.compile(
    r"^(?:市|省)?(?:的)?[^，。,]{0,6}?(?:报销比例|报销标准|报销政策|报销规定|报销流程|报销多少|能报多少|缴费标准|缴费|"
    r"医保政策|医疗保险政策|起付线|封顶线|个人账户|门诊统筹|二次报销|大病保险|生育保险|慢特病|门特|门慢)")
# 农村医疗保险怎么报销…江苏南通: a place appended to a local insurance question, with no trip
# anywhere in the message, says where the person is insured.
_LOCAL_QUESTION = re.compile(r"医保|医疗保险|合作医疗|新农合|社保|报销")
_TRIP_WORDS = re.compile(r"异地|外地|外省|跨省|跨市|省外|去|到|来|回|转诊|转院|就医|看病|住院|旅游")
_SETTLE_QUESTION_BEFORE = re.compile(r"(?:怎么|如何|怎样|能不能|能否)(?:办理?)?落户(?:到|在)?$")
# 落户北京有期限吗, 可以落户北京: settling there is asked about, not a trip.
_SETTLE_BEFORE = re.compile(r"(?:落户|迁户口|户口迁)(?:到|在|至)?$")
_SETTLE_QUESTION = re.compile(r"[吗？?]|多久|怎么|怎样|如何|才能|能不能|能否|可以|什么|条件|政策|程序|流程|手续|要求|期限|哪里|规定")
# 医保关系转到北京: moving the insurance itself is no trip and no filing.
_TRANSFER_BEFORE = re.compile(r"(?:医保|社保|医疗保险|关系)(?:也|想|要|准备|打算|能不能|可以|能)?(?:转移|转|迁移|迁|接续)(?:到|去|回|至|往)?$")
# 住过院, 看过病, 自从…: a place of past treatment says nothing of this filing.
_BEEN_AFTER = re.compile(r"^[^，。,]{0,8}?(?:住过|看过|去过|做过|治过|待过|查过)")
_BEEN_BEFORE = re.compile(r"(?:自从|曾经|曾)[^，。,]{0,8}$")
# 大连市医保局告诉我: an agency that told or sent the person somewhere is no place of theirs.
_AGENCY_SAID_AFTER = re.compile(r"^(?:市)?(?:的)?(?:医保局|医保中心|医疗保障局|社保局|医保部门|医保窗口)"
                                r"(?:的)?(?:人|工作人员)?(?:告诉|说|让|叫|要求|表示|答复|回复)")
# 我回到营口，医保又表示…: back where the insurance agency is, that is the insured place.
_BACK_BEFORE = re.compile(r"(?:回到|回|返回)$")
_AGENCY_NEXT = re.compile(r"^[，,][^，。,]{0,3}?(?:医保|社保)(?:局|中心|部门|窗口|经办机构)?(?:的人)?(?:又|也|还|就)?"
                          r"(?:表示|说|告诉|让|要求|答复|称|讲)")
# 天津儿童住院怎么报销, 重庆市住院门槛费是多少: a place's own claims asked about, with no trip in
# the message, is where the person is insured.
_LOCAL_CLAIM_AFTER = re.compile(
    r"^(?:市|省)?(?:的)?[^，。,]{0,6}?(?:怎么报销|如何报销|怎样报销|报销多少|能报多少|怎么报|门槛费|报销标准)")
_TRIP_ONLY = re.compile(r"异地|外地|外省|跨省|跨市|省外|去|到|来|回|转诊|转院|旅游|出差|备案")
_HOMETOWN_AFTER = re.compile(r"^(?:是)?(?:我|我们|他|她)?的?(?:老家|家乡)")
_LIVES_AT_BEFORE = re.compile(r"(?:住|家)[^，。,]{0,4}在$")
_VISIT_BEFORE = re.compile(
    r"(?:去|到|回(?:到)?(?:老家|家乡)|急送|送进|送至|送来|拉到|(?<![后本原将未从带])来|往|赴|前往|转到|转去|转往|转至|回|回到|送到|送去|送往|派到|派往|派驻|"
    r"调到|调往|迁到|迁往|迁去|迁至|迁在|落在|落到|落户到?|落户在|住在|住到|搬到|搬去|定居在?|常驻|长驻|驻|长住在?|"
    r"常住在?|(?<!居)住|飞到|飞去|跑到|安置到|安置在|随迁到|随迁至|备案到|备案在|备案地(?:是|为|选)?)了?$")
_ZAI_BEFORE = re.compile(r"(?<!不)在$")
_NOW_AT_BEFORE = re.compile(r"(?:人|现在|目前|正在|眼下)在$")
_INSURED_AFTER_ZAI = re.compile(
    r"^[^，。,]{0,8}?(?:参保|参的保|参加的|参加了|参加(?:职工|居民|城乡|城镇|新农合|医保)|交的|交医保|交社保|缴|交费|交保险|上的医保|买的医保|办的医保|买医保|交的医保)")
_VISIT_AFTER_ZAI = re.compile(
    r"^[^，。,]{0,9}?(?:看病|就医|就诊|住院|治疗|手术|复查|检查|看|旅游|旅行|玩|出差|过冬|养老|生活|"
    r"住|居住|定居|长住|急诊|抢救|化疗|放疗|透析|开刀|摔|发病|生病|病了|晕倒|生孩子|生小孩|生产|分娩|坐月子|产检|"
    r"买药|配药|开药|拿药|垫付|自费|花了|结算|直接结算)")
_STUDY_WORK_AFTER_ZAI = re.compile(r"^[^，。,]{0,6}?(?:上学|读书|上大学|念书)")
_WORK_AFTER_ZAI = re.compile(r"^[^，。,]{0,6}?(?:工作|上班|打工)")
_RELATIVE_BEFORE = re.compile(
    r"(?:女儿|儿子|孩子|闺女|儿媳|女婿|子女|儿女|孙子|孙女|外孙|外孙女|小孩)(?:家|一家)?"
    r"(?:也|都|现在|一直|目前)*(?:在|住在|住|定居在)$")
_INSURED_AFTER = re.compile(
    r"^(?:的|那边的|本地的|当地的)?(?:退休)?(?:城镇职工|职工|城乡居民|居民|灵活就业|学生)?(?:基本)?"
    r"(?:医保|社保|医疗保险|新农合|农合|合作医疗|参保|参的保|职工|居民医保|农村(?:医疗保险|医保|合作医疗)|"
    r"退休人员|退休职工|市民(?:医保|社保|异地)|医疗保障局|医保局)")
_ISSUER_AFTER = re.compile(
    r"^[^，。,]{0,8}?(?:开了|开好|开的|给开|给我开|开具|出具|开出)[^，。,]{0,3}(?:转诊|转院)")
_VISIT_AFTER = re.compile(r"^[^，。,]{0,6}?(?:看病|就医|就诊|住院|治疗|做手术|复查|旅游|过冬|养老)")


def _clause(text: str, start: int, end: int) -> tuple[str, str]:
    left = start
    while left > 0 and not _CLAUSE_BREAK.match(text[left - 1]):
        left -= 1
    right = end
    while right < len(text) and not _CLAUSE_BREAK.match(text[right]):
        right += 1
    return text[left:start], text[end:right]


def assign_role(text: str, m: Mention) -> None:
    before, after = _clause(text, m.start, m.end)
    zai = _ZAI_BEFORE.search(before)
    rules = (
        (_CARD_AT_BEFORE.search(before) and _CARD_USE_AFTER.match(after), VISIT, 3, "医保卡在…不能用"),
        (_INSURED_BEFORE.search(before), INSURED, 3, "医保在/参保地"),
        (_VISIT_LABEL_BEFORE.search(before), VISIT, 3, "就医地"),
        (_HOME_BEFORE.search(before) and (_INSURED_AFTER_ZAI.match(after) or _INSURED_AFTER.match(after)),
         INSURED, 3, "老家…参的保"),
        (_OUTSIDER_BEFORE.search(before), VISIT, 3, "外地患者在…"),
        (_SETTLE_QUESTION_BEFORE.search(before), None, 0, "asks how to settle there"),
        (_SETTLE_BEFORE.search(before) and _SETTLE_QUESTION.search(text), None, 0, "settling there asked"),
        (_TRANSFER_BEFORE.search(before), None, 0, "the insurance moved there"),
        (_AGENCY_SAID_AFTER.match(after), None, 0, "an agency there said so"),
        (_BEEN_AFTER.match(after) or _BEEN_BEFORE.search(before), None, 0, "treated there in the past"),
        (_BACK_BEFORE.search(before) and not after and _AGENCY_NEXT.match(text[m.end:]), INSURED, 2,
         "back there, its insurance agency"),
        (not before and _AWAY_FROM_AFTER.match(after), INSURED, 2, "…异地就医"),
        (not before and _POLICY_AFTER.match(after), INSURED, 2, "that place's own rules asked about"),
        (not before and _LOCAL_CLAIM_AFTER.match(after) and not _TRIP_ONLY.search(text), INSURED, 2,
         "that place's own claims asked about"),
        (_CLAIM_BACK_BEFORE.search(before) and _CLAIM_AFTER.match(after), INSURED, 3, "寄回…报销"),
        (_USED_TO_BEFORE.search(before) and _CLAIM_BACK_ANYWHERE.search(text), INSURED, 2,
         "treated there before, bills go back there"),
        (_USED_TO_BEFORE.search(before), None, 0, "treated there before"),
        (_DISTRACT_BEFORE.search(before), "other", 3, "hometown, hukou or negated"),
        (_DISTRACT_AFTER.match(after), "other", 3, "someone else's or rejected"),
        (_VISIT_BEFORE.search(before), VISIT, 3, "去/到/住在"),
        (_FROM_BEFORE.search(before), INSURED, 1, "从…"),
        (zai and _INSURED_AFTER_ZAI.match(after), INSURED, 3, "在…参保/交"),
        (zai and _CARD_USE_AFTER.match(after), VISIT, 3, "在…不能用/怎么报"),
        (zai and _VISIT_AFTER_ZAI.match(after), VISIT, 3, "在…看病/住"),
        (zai and _STUDY_WORK_AFTER_ZAI.match(after), None, 0, "study"),
        (zai and _WORK_AFTER_ZAI.match(after), INSURED, 2, WORKS_THERE),
        (_HOMETOWN_AFTER.match(after), "other", 3, "hometown"),
        (_NOW_AT_BEFORE.search(before), VISIT, 2, "where the person is now"),
        (_RELATIVE_BEFORE.search(before), VISIT, 1, "where the children live"),
        (_INSURED_AFTER.match(after), INSURED, 3, "…的职工医保"),
        (_ISSUER_AFTER.match(after), INSURED, 2, "hospital there issued the referral"),
        (_LIVES_AT_BEFORE.search(before), VISIT, 2, "lives there"),
        (_VISIT_AFTER.match(after), VISIT, 2, "…看病"),
    )
    for matched, role, score, reason in rules:
        if matched:
            m.role, m.score, m.reason = role, score, reason
            return
    if m.hospital_region or m.hospital_codes or m.hospital_prefix:
        m.role, m.score, m.reason = VISIT, 2, "hospital named"
    elif (m.end == len(text.rstrip("。！？!?.， ")) and before and not after
          and _LOCAL_QUESTION.search(text) and not _TRIP_WORDS.search(text)):
        m.role, m.score, m.reason = INSURED, 1, "place appended to a local insurance question"


def keep_stop_word(text: str, m: Mention, gz: Gazetteer) -> bool:
    """An everyday word that is also a prefecture's name (安康, 大同) is a place after a clear cue."""
    if not any(gz.tier(h) == 3 for h in m.hits):
        return False
    before, _ = _clause(text, m.start, m.end)
    if _INSURED_BEFORE.search(before) or _VISIT_LABEL_BEFORE.search(before):
        return True
    if CORRECTION.search(text) and re.search(r"(?:是|改成|改为|换成)$", before):
        return True  # 不是汉中，是安康
    return bool(re.search(r"(?:去|到|转到|转去|回|来)$", before)) and len(before) <= 12



_THERE_INSURED = re.compile(r"(?:在)?(?:那边|那里|那儿|老家|当地)(?:也)?(?:参的|参加的|参保|交的|缴的|买的|上的|办的)"
                            r"[^，。,]{0,6}?(?:保|医保|新农合|农合|社保|合作医疗|保险)")
_SLOT_LABELS = ((VISIT, re.compile(r"就医地|就医城市|就诊地|看病的(?:地方|城市)")),
                (INSURED, re.compile(r"参保地|参保城市|医保(?:所在|所属|归属)?地|参保的(?:地方|城市)")))
# Places that play no part in a filing at all: never offered for a slot.
_NOT_A_ROLE = frozenset({"study", "settling there asked", "asks how to settle there",
                         "the insurance moved there"})


def fill_regions(u: Understanding, mentions: list[Mention], values: Mapping[str, Any],
                  expecting: str | None, gz: Gazetteer, u_text: str = "") -> None:
    # 老家是四川南充的，在那边参的新农合: "there" points back at the hometown just named.
    there = _THERE_INSURED.search(u_text)
    if there:
        homes = [m for m in mentions if m.role == "other" and m.end <= there.start()
                 and m.reason == "hometown, hukou or negated"]
        if homes:
            homes[-1].role, homes[-1].score, homes[-1].reason = INSURED, 3, "insured there (那边参的保)"
    negated = {c for m in mentions if m.role == "other" for c in m.codes}
    neutral = [m for m in mentions if m.role is None and m.reason not in _NOT_A_ROLE]
    # 新疆……石河子: a province said before a city inside it adds nothing to the city.
    neutral = [m for m in neutral if not (m.is_province and any(
        n is not m and not n.is_province and region_province(n.codes[0], gz) == m.codes[0]
        for n in neutral))]

    # Bare or corrected names without a cue go to the slot the dialog asked for or the one corrected.
    # A place a rule left without a role on purpose (treated there before, an agency there said
    # so) is no such answer: it is only offered for both slots.
    neutral_all, neutral = neutral, [m for m in neutral if not m.reason]
    if neutral:
        target = None
        if u.correction:
            for slot in REGION_SLOTS:
                if values.get(slot) and values.get(slot) in negated:
                    target = slot
            # 就医地不对，是广州: the item named as wrong is the one corrected
            named = {slot for slot, label in _SLOT_LABELS if label.search(u_text)}
            if target is None and len(named) == 1:
                target = named.pop()
            target = target or next((s for s in reversed(values.get("last_slots") or ())
                                     if s in REGION_SLOTS), None)
        province = region_province(neutral[0].codes[0], gz)
        if target is None:
            # 我是江苏的职工医保，徐州的: a city inside the province just named for a slot.
            for p in mentions:
                if p.is_province and p.role in REGION_SLOTS and province == p.codes[0]:
                    target = p.role
        if target is None:
            # 去广东 … 广州: a city inside the province named earlier for a slot still open.
            hinted = [s for s in REGION_SLOTS if not values.get(s)
                      and values.get(s.replace("region", "province")) == province]
            if len(hinted) == 1:
                target = hinted[0]
        cued = {m.role for m in mentions if m.role in REGION_SLOTS and m.score >= 3}
        if target is None and expecting in REGION_SLOTS and expecting not in cued:
            target = expecting
        if target is None and not u.correction and len(neutral) == 1:
            if len(cued) == 1:
                other = VISIT if INSURED in cued else INSURED
                if not values.get(other):
                    target = other
        if target is not None:
            m = neutral[0]
            m.role, m.score, m.reason = target, 1, "answer to the question asked"

    strong_insured = {c for m in mentions if m.role == INSURED and m.score >= 3 for c in m.codes}
    for m in mentions:
        if m.reason == WORKS_THERE and strong_insured and not set(m.codes) & strong_insured:
            m.role, m.score, m.reason = VISIT, 2, "works there, insured elsewhere"

    insured_known = None
    for slot in (INSURED, VISIT):
        cands = [m for m in mentions if m.role == slot]
        if slot == VISIT:
            insured_known = u.insured_region_code or values.get(INSURED)
            # The visit place is somewhere else than the insured place.
            elsewhere = [m for m in cands if not (insured_known and m.codes == (insured_known,))]
            # 医保在北京，在北京看病: the one place said for both stays, so that the filing's own
            # rule says why there is nothing to file; a passing mention of it among others goes.
            only_place = len({c for n in mentions for c in n.codes}) == 1
            cands = elsewhere or [m for m in cands if m.score >= 3 and only_place]
        if not cands:
            continue
        cities = [m for m in cands if not m.is_province]
        provinces = [m for m in cands if m.is_province]
        if cities:
            best = max(cities, key=lambda m: (m.score, _cross_province(m, insured_known, gz, slot), m.start))
            if best.ambiguous:
                u.ambiguities.append(Ambiguity(slot, best.surface, best.options))
            else:
                setattr(u, slot, best.codes[0])
                u.strength[slot] = best.score
            if provinces:
                p = max(provinces, key=lambda m: (m.score, m.start))
                if not best.ambiguous and region_province(best.codes[0], gz) != p.codes[0] \
                        and p.score > best.score:
                    setattr(u, slot, None)
                    setattr(u, slot.replace("region", "province"), p.codes[0])
        else:
            p = max(provinces, key=lambda m: (m.score, m.start))
            setattr(u, slot.replace("region", "province"), p.codes[0])

    insured = u.insured_region_code or values.get(INSURED)
    visit = u.visit_region_code or values.get(VISIT)
    u.same_province = bool(insured and visit
                           and region_province(insured, gz) == region_province(visit, gz))
    _flag_unplaced(u, neutral_all, values, gz)
    _offer_hometown(u, mentions, values, gz, u_text)


def _flag_unplaced(u: Understanding, neutral: list[Mention], values: Mapping[str, Any],
                   gz: Gazetteer) -> None:
    """A place no cue and no question gives a role to is not guessed: it is offered for both."""
    taken = {u.insured_region_code, u.visit_region_code, values.get(INSURED), values.get(VISIT)}
    open_slots = tuple(s for s in REGION_SLOTS if not getattr(u, s) and not values.get(s))
    if len(open_slots) < 2:
        return  # with one slot open, a bare name is that slot's answer or nothing at all
    for m in neutral:
        if m.role is None and not m.ambiguous and len(m.codes) == 1 and m.codes[0] not in taken:
            u.role_ambiguities.append(RoleAmbiguity(m.surface, m.codes[0], gz.label(m.codes[0]),
                                                    open_slots))


_HOMETOWN_BEFORE = re.compile(r"(?:老家|家乡|户口|户籍)(?:也|都|还|仍|仍然|一直)*(?:是|在)?(?:在)?$|老家在$")


def _offer_hometown(u: Understanding, mentions: list[Mention], values: Mapping[str, Any],
                    gz: Gazetteer, text: str) -> None:
    """老家在河南周口, 户口在徐州: where people are from is often, not always, where they are
    insured. With the insured place still open it is offered for it, never assumed."""
    if u.insured_region_code or values.get(INSURED):
        return
    taken = {u.visit_region_code, values.get(VISIT)} | {r.code for r in u.role_ambiguities}
    for m in mentions:
        if m.role == "other" and m.reason == "hometown, hukou or negated" and len(m.codes) == 1 \
                and not m.ambiguous and m.codes[0] not in taken:
            before, _ = _clause(text, m.start, m.end)
            if _HOMETOWN_BEFORE.search(before):
                u.role_ambiguities.append(RoleAmbiguity(m.surface, m.codes[0], gz.label(m.codes[0]),
                                                        (INSURED,)))


def _cross_province(m: Mention, insured: str | None, gz: Gazetteer, slot: str) -> bool:
    if slot != VISIT or not insured or m.ambiguous:
        return True
    return region_province(m.codes[0], gz) != region_province(insured, gz)
