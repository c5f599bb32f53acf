"""The situation behind a question: a person who already paid, never filed, is still in hospital or
was rushed to an emergency room rarely asks in the words of the matching entry (我妈在北京做的手术，
钱都交了，回郑州能报吗). Told in any words, such a situation decides which answer helps: what can still
be done. Pure: text in (already normalised by retrieval.normalize), an entry id or None out.
"""
from __future__ import annotations

import re

# Paid already, in the words people use (after retrieval's normalisation: 外地 → 异地, 报账 → 报销).
_PAID = re.compile(r"自费|自己(?:付|掏|垫|出|花)|垫付|垫了|垫的|交了钱|付了钱|掏了钱|掏的钱|花了|花的钱|"
                   r"钱(?:都|已经|全)?(?:交|付|花|结)了|(?:都|已经|全部?)(?:结算|结账|结清)|结完账|出院了|已经出院|"
                   r"这些费用|这笔(?:钱|费用)|这些钱|医药费|住院费|手术费|发票|票据")
# Not filed, however it is said (retrieval already folds the common forms into 没备案).
_NOT_FILED = re.compile(r"没备案|没(?:有)?(?:提前|事先|及时)(?:办理?|做)?(?:异地就医|异地)?备案|"
                        r"未(?:能)?(?:提前|及时)?(?:办理?)?(?:异地就医|异地)?备案|来不及备案|没来得及(?:办)?备案|"
                        r"不知道要备案|没办(?:手续|异地)")
# Asking whether (or how) the money comes back.
_CLAIM = re.compile(r"报销|报不报|能不能报|还能报|可以报|怎么报|报多少|能退|补报|还管|管不管|能用吗|能直接结算")
_WHAT_NOW = re.compile(r"怎么办|咋办|咋整|怎么处理|如何处理|怎么弄|还管吗|管不管")
# The insured place is elsewhere: the money would be claimed back there.
_ELSEWHERE = re.compile(r"异地|跨省|参保地|回(?:去|来|到)|回[\u4e00-\u9fff]{1,4}?(?:能|可以|再|还)?报")
_EMERGENCY = re.compile(r"急诊|抢救|突发|突然|送(?:到|去|进)?(?:了)?(?:医院|急诊)|意外受伤|急病|晕倒|心梗|脑梗|中风|"
                        r"昏迷")
_IN_HOSPITAL = re.compile(r"还在住院|正在住院|住着院|还没出院|没出院|未出院|住院中|住院期间|刚住院|刚住进|"
                          r"还在医院|在医院住着|人在医院|出院前|出院之前|"
                          # 住院好几天了, 住院第五天: counted in days, the stay goes on
                          r"住院(?:了|已经)?(?:(?:好|几|两|三|四|五|一)(?:几)?(?:天|周|个星期)|好多久|好久|好些天|好长时间)了?|"
                          r"住院第[一二三四五六七八九十\d]+天")
# Already discharged: settling before discharge is no longer possible, only a claim by hand.
_DISCHARGED = re.compile(r"(?<!没)(?<!未)(?<!还没)出(?:了)?院了|已经出院|出院(?:以)?后|出完院|办完出院|出院结算了|"
                         r"(?<!没)(?<!未)出院回(?:来|家)")

# The more specific entries each situation leaves alone: asked what to bring once paid, the
# person gets that list, not the general answer again.
REFINES: dict[str, frozenset[str]] = {
    "emergency_counts": frozenset({"emergency_counts", "type_emergency", "materials_emergency",
                                   "manual_reimburse", "file_before_discharge"}),
    "file_before_discharge": frozenset({"file_before_discharge", "backdate_limit", "readmit_registration",
                                        "emergency_counts", "admission_inside_validity"}),
    "no_filing_paid": frozenset({"no_filing_paid", "manual_reimburse", "emergency_counts",
                                 "file_before_discharge", "backdate_limit", "readmit_registration",
                                 "admission_inside_validity"}),
}
# Topics with their own rules, whatever was paid: 生育, 工伤, chronic diseases, pharmacies.
KEEP = frozenset({"oos_maternity", "oos_work_injury", "chronic_outpatient", "pharmacy"})


# Already filed (备案后, 办完备案, 备案成功后): the answers for not having filed yet do not fit.
_FILED = re.compile(r"(?:办理?完|办好|做了|成功|通过)(?:了)?(?:异地就医|异地)?备案|备案(?:成功)?(?:以)?后|备了案|已经备案|已备案")
NOT_YET = frozenset({"file_before_discharge", "no_filing_paid", "backdate_limit"})


def filed_already(normalized: str) -> bool:
    return bool(_FILED.search(normalized or "")) and not _NOT_FILED.search(normalized or "")


def situation(normalized: str) -> str | None:
    """The entry for the situation a message tells, or None when it tells none."""
    text = normalized or ""
    not_filed = bool(_NOT_FILED.search(text))
    claim = bool(_CLAIM.search(text))
    what_now = bool(_WHAT_NOW.search(text))
    if _EMERGENCY.search(text) and (not_filed or claim or what_now):
        return "emergency_counts"
    discharged = bool(_DISCHARGED.search(text))
    if not discharged and _IN_HOSPITAL.search(text) and (not_filed or claim or "备案" in text):
        return "file_before_discharge"
    if discharged and (not_filed or claim):
        return "no_filing_paid"
    paid = bool(_PAID.search(text))
    if claim and (not_filed or (paid and _ELSEWHERE.search(text))):
        return "no_filing_paid"
    if not_filed and what_now:
        return "no_filing_paid"
    return None


def discharged(normalized: str) -> bool:
    return bool(_DISCHARGED.search(normalized or ""))


# What only helps someone still in hospital.
BEFORE_DISCHARGE = frozenset({"file_before_discharge", "readmit_registration", "admission_inside_validity"})


def overrides(found: str | None, told: str | None, normalized: str = "") -> bool:
    """Whether the situation's entry replaces what retrieval found."""
    if told is None:
        return False
    if found in BEFORE_DISCHARGE and discharged(normalized):
        return True  # 出院了，没备案: too late to settle before discharge
    return found is None or (found not in REFINES[told] and found not in KEEP)
