"""The knowledge base: questions people ask about cross-province filing, several ways each is
asked, and an answer built from the rules' values (see facts.py), with its public source.

An answer is a function of `Facts` (the filing type and the insured place's policy, when known),
so that a number the rules hold is never typed here: 太原's lock of 0 months reads as 随时可以办,
a place with a 3-month lock as 3个月.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from server.filing.rules import FILING_TYPES, RELATIONS, needs_review
from server.chat.knowledge.facts import (CHRONIC_ADDED_2024, CHRONIC_ADDED_YEAR, CHRONIC_FIRST,
                                         FAMILY_ACCOUNT_CHILD_AGE, LONG_TERM_TYPES,
                                         RATIO_CUT_POINTS, RATIO_SOURCE, TEMPORARY_TYPES, Facts,
                                         commitment_types, documents_text, labels, lock_text,
                                         proof_due_text, regional_rules, type_label)

# Public sources (official text as re-posted; see the project's policy research notes).
NOTICE = "http://348239.com/yishizigekaoshi/jiaodian/su2207284450.shtml"       # 医保发〔2022〕22号
SERVICE_LIST = "http://www.bjdcc.cn/zbZcfg/Item32344f54dafe8c80.html"        # 2023 service-item list
LATE_FILING = "http://m.kidbbs.com/baike/techan/1202402.html"                # 补办备案
PRINCIPLE = "http://m.kidbbs.com/baike/techan/1217873.html"                  # 就医地目录、参保地政策
EMERGENCY = "http://kejik.com/tech/825saen8.html"                            # 视同已备案, 三步走
NOT_FILED_GUIDE = "http://shadafang.com/a/202401/5691425.html"               # 清远: 急诊视同备案, 补办后手工报销
SHAOYANG = "http://szb.shaoyangnews.net/syrb/pc/content/202409/03/content_68171.html"  # 邵阳 问答
QINGHAI = "http://readke.com/c/3398069.html"                                 # 青海: 急诊视同已备案, 降幅不超过10个百分点
TAIYUAN = "http://readke.com/c/3293271.html"
JINHUA = "http://readke.com/c/3391599.html"
APP_GUIDE = "https://wxredian.com/art?id=f83e6281c1aab57861c3d352550c9871"   # 阿拉善左旗 guide
MINIPROGRAM = "http://www.yunnanlong.com/c/303791.html"                      # 长沙 mini-program guide
APP_PATH = "https://www.gtuanb.com/ysbzt/202207/1410329.html"
SICHUAN = "http://ccschy.com/techan/12bc371ff6f0a9ae49ffe53e953c39e1.html"
ZHUHAI = "https://www.hzbdd.com/424359"
WEIFANG = "http://weifang.kuyiso.com/news/0e3m0mqad965.html"
TYPES = "https://img.ccschy.com/techan/210746.html"
CHRONIC = ("https://www.shenyang.gov.cn/zwgk/fdzdgknr/zdlyxxgk/ylfw/wyb/ybbxfw/mzmtbybbx/"
           "bxbz_mzmtbybbx/202311/t20231130_4565248.html")
CHRONIC_2024 = "http://pigjia.com/c6y0/99.html"
FAMILY_ACCOUNT = "https://www.wuhan.gov.cn/ztzl/ztfw/ybgrzhjtgj/czzn/202310/t20231017_2281112.shtml"
FAMILY_REPLY = "https://zyqjg.com/thread-6497-1-1.html"
E_VOUCHER = "http://zgjkxw.org.cn/html/news/2024-06-24/31298.html"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str                       # the question in its plainest form
    questions: tuple[str, ...]       # other ways people ask it (paraphrases)
    build: Callable[[Facts], str]
    sources: tuple[str, ...]
    topic: str = "filing"            # "filing" or "out_of_scope"
    needs: re.Pattern | None = None  # a message must name this to get the entry (its own thing)

    def answer(self, facts: Facts) -> str:
        return self.build(facts)


ENTRIES: list[Entry] = []


def entry(id: str, title: str, questions: tuple[str, ...] | list[str], sources, topic="filing",
          needs: str | None = None):
    def register(build: Callable[[Facts], str]):
        src = (sources,) if isinstance(sources, str) else tuple(sources)
        ENTRIES.append(Entry(id, title, tuple(questions), build, src, topic,
                             re.compile(needs) if needs else None))
        return build
    return register


def _cut(code: str) -> int:
    return RATIO_CUT_POINTS[code]


def _cut_summary() -> str:
    by_points: dict[int, list[str]] = {}
    for code, points in RATIO_CUT_POINTS.items():
        by_points.setdefault(points, []).append(code)
    return "；".join(f"{labels(codes)}最多比参保地低{points}个百分点" for points, codes in by_points.items())


def _review(f: Facts) -> str:
    return f"网上提交后{f.policy.review_working_days}个工作日内审核完（周末和节假日不算）"


def _instant_types() -> list[str]:
    return [c for c in FILING_TYPES if not needs_review(c)]


# --- what it is -------------------------------------------------------------------------------

@entry("what_is_filing", "什么是异地就医，为什么要备案？", [
    "异地就医是什么意思", "什么叫异地就医备案", "为什么要办异地备案", "异地就医备案有什么用",
    "备案是干什么的", "什么是跨省异地就医直接结算"], [SHAOYANG, NOTICE])
def _what_is(f: Facts) -> str:
    return ("异地就医就是在参保地以外的地方看病买药。跨省看病前先向参保地备案，在就医地开通了直接结算的医院，"
            "医保能报的当场报掉，自己只付个人那部分；没备案的，要先自己垫钱，再回参保地手工报销。"
            f"备案分两大类：长期在外地住或工作的（{labels(LONG_TERM_TYPES)}），和临时去外地看病的"
            f"（{labels(TEMPORARY_TYPES)}）。")


# --- already paid, never filed ------------------------------------------------------------------

@entry("no_filing_paid", "没备案就在外地看病了（已经自己付了钱），还能报销吗？", ["没备案自己垫的钱怎么办", "当时不知道要备案现在怎么报", "住院没有备案钱都自己付了", "没备案看病报不了怎么办", "外地看病没报上医保怎么补救", "事后还能报销吗", "没有备案能报销吗", "没备案能报销吗", "不备案的话看病能报吗", "没有备案能直接结算吗", 
    "没有备案在外地住院了能报销吗", "没办异地备案看病的钱能报吗", "已经自费了还能报销吗",
    "忘了备案医院按自费算了怎么办", "没备案花的钱回老家能报吗", "这些费用回去能报销吗",
    "在外地看病全自费了怎么报", "出院了才知道要备案", "没有办理异地就医备案怎么报销",
    "医院说我没有备案不能刷医保", "外地住院没备案医保还管吗"], [LATE_FILING, NOT_FILED_GUIDE])
def _no_filing_paid(f: Facts) -> str:
    return (f"一般还能报。已经自己付了钱的，先补办备案，再回{f.place}医保经办机构手工报销：带上身份证件或社保卡、"
            "发票、费用明细清单和出院小结（或诊断证明），按那边的规定报，没备案的比例一般低一些。"
            "还没出院结算的，现在补办备案，出院时就能直接结算。急诊抢救的算已备案。"
            "以后去外地看病，先在这里办好备案。")


@entry("manual_reimburse", "手工报销去哪里办，要带什么？", ["回去报销要哪些票据", "手工报销流程", "报销要准备什么单据", "票据寄回去怎么报", "回单位报销要什么", "医保局报销的医疗费多久到账", 
    "回参保地报销要带什么材料", "手工报销需要哪些资料", "发票寄回去报销要准备什么",
    "回本地什么部门报销", "垫付的医药费回去怎么报", "报销要带哪些单据", "零星报销怎么办理",
    "医保报销发票有没有期限", "报销的钱多久到账"], [LATE_FILING])
def _manual_reimburse(f: Facts) -> str:
    return (f"到{f.place}的医保经办机构（有的地方可以网上办）。一般要带：身份证件或社保卡、医疗费用发票、"
            "费用明细清单、出院小结或诊断证明，急诊的带急诊病历。多久之内要报、钱多久到账，"
            f"按{f.place}的规定，办之前可以先打电话问清楚。")


@entry("file_before_discharge", "已经住院了，现在备案还能直接结算吗？", ["住院中可以补备案吗", "入院了再办备案行吗", "还在住院能办异地备案吗", "出院之前办备案来得及吗", 
    "住院了还没出院现在备案来得及吗", "已经住进医院了能补备案吗", "入院后再备案可以直接结算吗",
    "出院前补办备案行不行", "人已经在医院了还能办备案吗", "先住院后备案可以吗",
    "现在办备案出院能直接报吗", "能补办吗", "还来得及吗"], [LATE_FILING, NOTICE])
def _file_before_discharge(f: Facts) -> str:
    return ("来得及。只要在出院结算之前办好备案，医院就要给您直接结算。开始日期可以选住院那天，"
            f"最多往前补{f.policy.max_backdate_days}天。办好后到医院医保窗口说一声，"
            "按异地医保病人重新登记入院，出院时就能直接结算。")


@entry("emergency_counts", "在外地急诊抢救，没来得及备案怎么办？", ["急诊住院没备案能报吗", "突然发病在外地住院了", "外地急诊没备案怎么报销", "意外受伤急诊医保能用吗", 
    "急诊没有备案能报销吗", "突发急病在外地抢救医保能用吗", "出差突然生病住院没备案",
    "旅游时急诊住院能直接结算吗", "来不及备案就送医院了", "抢救要先备案吗", "急诊算不算备案了",
    "外地急诊怎么报销"], [EMERGENCY, QINGHAI])
def _emergency(f: Facts) -> str:
    return (f"急诊抢救按已备案处理（视同已备案），不需要另外的材料。跟医院说明是急诊，"
            f"按{type_label('emergency')}结算；报销比例最多比参保地低{_cut('emergency')}个百分点。"
            "想留个记录，也可以在这里补一个急诊备案。")


@entry("backdate_limit", "备案的开始日期能往前选吗，最多补几天？", ["备案开始时间可以往前选吗", "能从住院那天开始算吗", "开始日期选几天前可以吗", 
    "开始日期可以选以前的吗", "备案日期能往前补几天", "最早能补到哪天", "备案时间能提前到入院那天吗",
    "补备案最多补多久"], [LATE_FILING])
def _backdate(f: Facts) -> str:
    return (f"可以往前选，{f.place}最多能往前补{f.policy.max_backdate_days}天，一般选住院那天。"
            "但要在出院结算之前办好，出院自费结算以后再补，就只能回去手工报销了。")


@entry("readmit_registration", "备案办好了，医院还按自费算怎么办？", [
    "备案成功了医院还是不给刷", "住院时按自费登记的现在怎么改", "备案后要重新办入院吗",
    "医院系统显示没有备案", "办了备案医院说查不到"], [APP_GUIDE])
def _readmit(f: Facts) -> str:
    return ("先在「备案记录」里看备案是不是已经成功、就医地选得对不对。备案成功后，带上医保电子凭证或社保卡"
            "到医院医保窗口，按异地医保病人重新办理入院登记，出院时就能直接结算。")


# --- whose rules, how much ----------------------------------------------------------------------

@entry("whose_rules", "异地看病按哪里的标准报销？", ["异地报销用哪边的政策", "是按老家的比例还是外地的", "报销标准按参保地吗", 
    "异地就医报销按照哪里标准", "按参保地还是就医地报销", "用哪里的医保目录", "报销政策按哪边的",
    "外地看病按外地的比例报吗", "起付线和封顶线按哪里算", "药品目录按哪里的"], [PRINCIPLE, NOTICE])
def _whose_rules(f: Facts) -> str:
    return ("按「就医地目录、参保地政策、就医地管理」：哪些药和检查能报，用看病那边的目录；"
            f"起付线、报销比例和封顶线，按{f.place}的政策；医院的管理和审核，归看病那边。")


@entry("ratio_by_type", "异地看病报销比例会降低吗，能报多少？", ["跨省报销比例低多少", "异地就医会少报多少", "临时外出报销降多少", "备案了报销比例是多少", "异地就医报销规定是多少", "异地就医报销比例和本地一样吗", 
    "异地就医报销比例是多少", "报销比例会降低吗", "外地看病能报几成", "异地报销比例怎么算",
    "跨省看病报得少吗", "报销比例和本地一样吗", "异地就医备案后报销比例", "转诊的报销比例降多少",
    "异地看病能报多少"], [RATIO_SOURCE, TAIYUAN])
def _ratio(f: Facts) -> str:
    base = f"比例按{f.place}的政策。"
    t = f.filing_type
    if t in LONG_TERM_TYPES:
        return base + f"{type_label(t)}在备案地看病，和在参保地本地看病一样，不降低。"
    if t in RATIO_CUT_POINTS:
        return base + f"{type_label(t)}的报销比例最多比参保地同级医院低{_cut(t)}个百分点。"
    return (base + "长期居住类备案（退休安置、长期居住、常驻工作）和本地一样；临时外出的会低一些："
            + _cut_summary() + "。没有备案的，只能回去手工报销，一般报得更少。")


@entry("ratio_long_term", "长期在外地住，备案后待遇和本地一样吗？", [
    "异地安置后报销比例变不变", "长期居住备案报销比例和本地一样吗", "退休落户外地医保待遇",
    "长期居住人员待遇", "常驻外地工作报销降不降"], [TAIYUAN, JINHUA])
def _ratio_long(f: Facts) -> str:
    return (f"一样。{labels(LONG_TERM_TYPES)}在备案地看病，按{f.place}本地看病的标准报，不降低。"
            "比例和起付线按参保地的政策，能报哪些药按看病那边的目录。")


@entry("two_way_benefits", "长期备案到外地后，回参保地看病还能报吗？", [
    "备案后回老家看病能用医保吗", "长期备案了还能在原来的地方报销吗", "双向享受待遇是什么",
    "异地备案后回参保地住院怎么报", "备案到外地老家的医保还能用吗"], [JINHUA, TAIYUAN])
def _two_way(f: Facts) -> str:
    return ("能。长期居住类备案有效期内，回参保地看病也能结算，待遇一般不低于参保地的转外就医水平。"
            "用承诺书备案的，要先补齐证明材料，才能两边都享受。临时外出的备案不影响在参保地看病。")


@entry("referral_without_slip", "没有转诊单，自己去外地大医院看病行吗？", [
    "没有转诊证明能去外地看病吗", "自己去北京看病算什么", "不转诊直接去外地看病报销吗",
    "医院不给开转诊单怎么办", "自己去外地就医怎么备案"], [RATIO_SOURCE, SERVICE_LIST])
def _no_slip(f: Facts) -> str:
    return (f"可以。没有转诊单的，选「{type_label('other_temporary')}」，只要身份信息，提交后马上办好。"
            f"报销比例最多比参保地低{_cut('other_temporary')}个百分点；有转诊单的按"
            f"{type_label('referral')}，最多低{_cut('referral')}个百分点。")


# --- hospitals ----------------------------------------------------------------------------------

@entry("which_hospitals", "备案后哪些医院能直接结算？要选定点医院吗？", ["备案后能去哪些医院", "必须指定医院吗", "那个城市的医院都能用吗", "只能在一家医院看吗", 
    "备案后哪些医院能用", "是不是只能去一家定点医院", "备案要选医院吗", "能去哪家医院看病",
    "可以换医院吗", "备案到城市还是到医院", "定点医院怎么选", "备案后在哪个医院都能报吗"],
    [APP_GUIDE, PRINCIPLE])
def _hospitals(f: Facts) -> str:
    return ("备案选的是就医的城市，不是某一家医院。备案成功后，那个城市所有开通了跨省直接结算的定点医疗机构"
            "都能直接结算，不用再选定点医院，也可以换着去。")


@entry("check_hospital_open", "怎么查一家医院能不能跨省直接结算？", ["医院有没有开通跨省结算怎么查", "怎么查定点医院", "哪些医院开通了异地直接结算", 
    "怎么查医院开通了异地结算没有", "这家医院能不能刷外地医保", "哪里查跨省联网医院",
    "开通情况怎么查询", "怎么知道医院支不支持异地就医"], [PRINCIPLE, APP_PATH])
def _check_open(f: Facts) -> str:
    return ("在国家医保服务平台APP或「国家异地就医备案」小程序里，用定点医药机构查询（开通情况查询），"
            "选城市和医院名就能看到是否开通跨省直接结算。也可以直接问医院的医保办。")


@entry("pharmacy", "外地药店能刷医保买药吗？", ["外地药房能用医保吗", "在外省药店买药能报吗", 
    "异地药店可以用医保卡吗", "在外地买药能报销吗", "跨省药店能刷卡吗", "门诊买药能用异地医保吗"],
    [PRINCIPLE, APP_PATH], needs=r"药店|药房|买药|拿药|购药|开药|配药")
def _pharmacy(f: Facts) -> str:
    return ("备案成功后，就医地开通了跨省直接结算的定点药店可以用。先在国家医保服务平台APP里查这家药店开通了没有，"
            "买药时出示医保电子凭证或社保卡。")


# --- how soon, how long -------------------------------------------------------------------------

@entry("how_soon_valid", "备案多久能办好、什么时候生效？", ["备案多久能通过", "备案当天能用吗", "审核需要多长时间", "申请后多久生效", "备案什么时候能批", "异地备案多久生效", "医保备案多久生效", 
    "备案之后什么时候开始生效", "多久能审核好", "审核要几天", "备案多久生效", "提交后多长时间能用",
    "备案马上能用吗", "办好了要等多久", "什么时候能批下来", "异地备案几天能办完"],
    [SERVICE_LIST, ZHUHAI])
def _how_soon(f: Facts) -> str:
    instant = labels(_instant_types())
    t = f.filing_type
    if t in _instant_types():
        return f"{type_label(t)}不需要证明材料，提交后马上办好，从开始日期起就能用。"
    head = (f"{type_label(t)}要审核，" if t else "要审核的备案，") + _review(f) + "，通过后从开始日期起生效。"
    return head + ("" if t else f"{instant}不需要证明材料，提交后马上办好。") + "进度可以在「备案记录」里看。"


@entry("check_progress", "怎么看备案办好了没有？", ["审核结果会通知吗", "备案成功有通知吗", "审核结果在哪看", "怎么看备案有没有通过", "备案状态在哪查", 
    "怎么查备案进度", "备案成功了吗在哪看", "怎么知道审核通过没有", "备案记录在哪里",
    "提交了怎么查结果"], [APP_GUIDE, MINIPROGRAM])
def _progress(f: Facts) -> str:
    return ("在「备案记录」里能看到每条备案的状态和进度：待审核、待补充材料、备案成功或审核不通过。"
            "审核有结果也会通知您。")


@entry("validity", "备案有效期多长？", ["有效期怎么算", "临时备案有效期多久", "备案有效几个月", "备案到什么时候过期", "长期备案有没有期限", 
    "备案多久有效", "有效期是多长", "备案能用多久", "异地就医备案有效期", "备案会过期吗",
    "备案管多长时间", "一次备案能用几次"], [JINHUA, APP_GUIDE])
def _validity(f: Facts) -> str:
    months = f.policy.temporary_validity_months
    long_text = "长期居住类的备案长期有效，直到您变更或撤销。"
    temp_text = (f"临时外出的备案有效期{months}个月，结束日期默认是开始日期后{months}个月，"
                 "有效期内可以多次看病，到期前可以申请延期。")
    if f.long_term is True:
        return long_text
    if f.long_term is False:
        return temp_text
    return long_text + temp_text


@entry("extend_temporary", "临时备案快到期了，能延期吗？", ["临时备案到期了还要看病", "备案快到期了怎么办", "有效期怎么续", "过期了能续吗", "临时备案能续期吗", 
    "备案到期了怎么办", "临时备案怎么延期", "有效期不够能延长吗", "备案过期了还要治疗",
    "到期后要重新备案吗"], [TAIYUAN])
def _extend(f: Facts) -> str:
    return ("能。备案成功、还没到结束日期的临时外出备案，在「备案记录」里点「延期」，选新的结束日期就行。"
            "已经过期的，重新办一个备案。")


@entry("admission_inside_validity", "住院期间备案到期了，出院还能直接结算吗？", [
    "住院到一半备案过期了", "出院时备案已经到期了怎么办", "备案有效期内入院出院晚了能报吗",
    "结算时间怎么算"], [SICHUAN])
def _inside(f: Facts) -> str:
    return ("能。在备案有效期内办了入院的，这次住院不受有效期限制，出院时照样直接结算。"
            "之后还要看病的，记得延期或重新备案。")


# --- materials ----------------------------------------------------------------------------------

def _commit_note(code: str, f: Facts) -> str:
    if code in commitment_types(f.policy):
        if f.region_name:
            return f"{f.region_name}接受用个人承诺书代替，没有材料的可以签承诺书。"
        return "参保地允许的话，没有材料也可以签个人承诺书代替。"
    if FILING_TYPES[code].commitment_can_replace:
        return f"{f.place}不接受承诺书代替，要上传材料。"
    return "这个证明不能用承诺书代替。"


def _materials_of(code: str, f: Facts) -> str:
    t = FILING_TYPES[code]
    if not t.proof_needed:
        if code == "emergency":
            return f"{t.label}不需要其他材料，按已备案处理；想留个记录也可以补一个备案。"
        return f"{t.label}只需要本人身份信息，不需要其他证明。"
    return f"{t.label}需要：{documents_text(code)}。" + _commit_note(code, f)


_IDENTITY = "每种备案都要：姓名、身份证件号码和手机号。"


@entry("materials_overview", "备案需要什么材料？", ["备案需要带什么", "要交哪些材料", "办备案要什么东西", 
    "需要什么材料", "要带哪些证明", "备案要准备什么", "办异地备案要什么证件", "异地就医备案需要哪些资料",
    "手续麻不麻烦要准备什么", "需要提供什么证明", "备案上传什么"], [SERVICE_LIST])
def _materials(f: Facts) -> str:
    if f.filing_type:
        return _IDENTITY + _materials_of(f.filing_type, f)
    parts = [f"{type_label(c)}要{documents_text(c)}" for c in FILING_TYPES if FILING_TYPES[c].proof_needed]
    none = [c for c in FILING_TYPES if not FILING_TYPES[c].proof_needed]
    return (_IDENTITY + "另外按类型：" + "；".join(parts) + f"；{labels(none)}不用另外的证明。"
            "长期居住类没有材料的，参保地允许的话可以签个人承诺书。")


def _materials_entry(code: str, words: tuple[str, ...]):
    label = type_label(code)

    @entry(f"materials_{code}" if code not in ("retiree_relocated",) else "materials_retiree",
           f"{label}备案要什么材料？", words, [SERVICE_LIST])
    def build(f: Facts) -> str:
        return _IDENTITY + _materials_of(code, f)
    return build


_materials_entry("retiree_relocated", (
    "退休异地安置备案要什么材料", "异地安置要户口本吗", "退休人员备案要带什么", "户口迁过去了备案要什么证明"))
_materials_entry("long_term_resident", (
    "长期居住备案要什么材料", "没有居住证能备案吗", "居住证明去哪开", "跟子女住备案要什么材料",
    "异地长期居住需要居住证吗"))
_materials_entry("resident_worker", (
    "常驻异地工作备案要什么材料", "单位派驻外地要什么证明", "在外地工作备案需要劳动合同吗",
    "工作原因长期在外地备案要准备什么", "派出证明怎么开"))
_materials_entry("referral", (
    "转院备案需要什么", "转诊备案要准备哪些东西",
    "转诊备案要什么材料", "转院需要办什么手续", "转诊要带什么证明", "异地转诊需要哪些资料"))
_materials_entry("emergency", ("急诊备案要什么材料", "急诊抢救要证明吗", "急诊住院要补什么材料"))
_materials_entry("other_temporary", (
    "临时外出就医要什么材料", "自己去外地看病备案要证明吗", "其他临时外出就医需要什么"))


@entry("commitment_letter", "个人承诺书是什么，什么情况能用？", ["承诺书能代替材料吗", "没有证明可以签承诺书吗", "没有居住证能签承诺书吗", 
    "没有材料可以签承诺书吗", "承诺书怎么签", "个人承诺书有什么用", "材料不全能先备案吗",
    "什么是承诺制备案"], [SERVICE_LIST, TAIYUAN])
def _commitment(f: Facts) -> str:
    allowed = commitment_types(f.policy)
    who = labels(allowed) if allowed else "没有哪种类型"
    return (f"拿不出证明材料时，可以在手机上签个人承诺书代替。{f.place}可以用承诺书的是：{who}。"
            f"{type_label('referral')}的转诊证明不能用承诺书代替。用承诺书备案后要按承诺补交材料，"
            f"{proof_due_text(f)}。")


@entry("commitment_obligations", "用承诺书备案以后要做什么？", [
    "承诺书备案后要补材料吗", "承诺制备案多久补交材料", "不补材料会怎样", "承诺书备案有什么限制"],
    [TAIYUAN, WEIFANG])
def _commitment_after(f: Facts) -> str:
    return (f"要按承诺补交证明材料：{proof_due_text(f)}。补齐之前，"
            "只能在备案地享受待遇，补齐后才能备案地和参保地两边都享受。承诺不实的，备案会被撤销，"
            "已经报的钱要退回。")


@entry("referral_who_issues", "转诊单（转诊转院证明）找谁开？", [
    "转诊证明去哪开", "转诊单哪个医院开", "转院证明谁给开", "外地的医院能开转诊单吗",
    "转诊手续怎么办", "转诊需要什么手续"], [SERVICE_LIST])
def _who_issues(f: Facts) -> str:
    return (f"由{f.place}规定的定点医院开，一般是您在参保地看病的医院，医生认为需要转外地治疗时开具。"
            f"外地的医院开的不算。拿到后选「{type_label('referral')}」，上传这份证明，不能用承诺书代替。")


# --- types --------------------------------------------------------------------------------------

@entry("which_type", "我该选哪种备案类型？", ["选长期还是临时", "备案类型选哪个好", "我这种情况属于哪一类", "不知道选什么类型", 
    "备案类型怎么选", "我属于哪一类", "选哪个类型", "六种备案类型有什么区别", "长期和临时怎么选",
    "外出务工人员怎么备案", "跟孩子在外地住选什么", "我这种情况算哪种", "算哪一类", "属于哪种类型",
    "过冬算哪种", "候鸟老人办哪种备案", "去外地过冬选哪种备案", "冬天去海南住半年办什么备案"], [TYPES, SERVICE_LIST])
def _which_type(f: Facts) -> str:
    lines = "；".join(f"{t.label}：{t.explanation}" for t in FILING_TYPES.values())
    return "按您的情况选：" + lines + "。说说您的情况，我帮您选。"


def _type_entry(id: str, code: str, words: tuple[str, ...], extra: Callable[[Facts], str]):
    t = FILING_TYPES[code]

    @entry(id, f"{t.label}是什么情况？", words, [TYPES, SERVICE_LIST])
    def build(f: Facts) -> str:
        return f"{t.label}：{t.explanation}。" + extra(f)
    return build


_type_entry("type_retiree", "retiree_relocated", (
    "退休后户口迁走了属于哪类", "退休落户子女那边算什么", "户口迁到外地的退休人员",
    "退休了户口迁到外地算什么", "异地安置退休是什么意思", "退休后回老家落户怎么备案",
    "退休人员落户外地医保待遇"),
    lambda f: "退休了、户口也迁过去的选这个；户口没迁的，选异地长期居住。备案长期有效，报销和本地一样。")
_type_entry("type_long_term_resident", "long_term_resident", (
    "退休了户口没迁选哪个",
    "跟子女在外地住算什么类型", "长期在外地生活怎么备案", "老人随子女异地居住医保怎么办",
    "父母接到身边医保转不过来怎么办"),
    lambda f: "比如老人跟子女在外地长期住。要居住证或居住证明，备案长期有效，报销和本地一样，不用把医保转过去。")
_type_entry("type_resident_worker", "resident_worker", (
    "单位派我去外地工作怎么备案", "长期在外地上班医保怎么用", "外派员工异地就医", "常驻外地工作是哪类"),
    lambda f: "要单位派出证明、异地工作证明或劳动合同中的一种，备案长期有效，报销和本地一样。")
_type_entry("type_referral", "referral", (
    "异地转诊是什么", "转诊备案怎么办", "转院到外省怎么备案", "农村医保转院异地就医"),
    lambda f: f"要参保地医院开的转诊转院证明。报销比例最多比参保地低{_cut('referral')}个百分点。")
_type_entry("type_other_temporary", "other_temporary", (
    "回老家看病选什么类型", "去外地看病不是急诊也没转诊", "寒暑假回家看病怎么备案", "临时去外地看病怎么办"),
    lambda f: (f"只要身份信息，提交后马上办好；报销比例最多比参保地低{_cut('other_temporary')}个百分点，"
               f"有效期{f.policy.temporary_validity_months}个月。"))


# --- cancel, change -----------------------------------------------------------------------------

@entry("cancel_how", "备案怎么撤销、取消？", ["备案成功了还能撤销吗", "怎么取消异地就医备案", "异地备案怎么撤销", "不需要了怎么撤销备案", 
    "怎么撤销", "不想要了能取消吗", "备案怎么取消", "取消异地备案", "撤回备案", "备案能作废吗",
    "回来了要取消备案吗"], [SERVICE_LIST, TAIYUAN])
def _cancel(f: Facts) -> str:
    how = "在「备案记录」里找到这条备案，点「撤销备案」就行；还在审核中的可以直接撤回。"
    if f.long_term is False:
        return how + "临时外出的备案随时可以撤销。"
    lock = lock_text(f.policy)
    if f.long_term is True:
        return how + f"{f.place}：{lock}。"
    return how + f"临时外出的随时可以撤销；{f.place}：{lock}。"


@entry("lock_long_term", "长期备案多久以后才能改或撤销？", ["长期备案半年内能撤销吗", "长期备案多久能取消", "长期备案几个月后才能改", 
    "长期备案几个月内不能变更", "备案后多久可以取消", "为什么不能撤销备案", "长期居住备案能随时改吗",
    "变更备案有时间限制吗"], [SERVICE_LIST, TAIYUAN])
def _lock(f: Facts) -> str:
    return (f"{f.place}：{lock_text(f.policy)}。临时外出的备案随时可以撤销。"
            "退休安置地、工作单位变了等情况，可以带着相关材料找参保地经办机构办。")


@entry("change_visit_place", "想换一个就医城市，怎么变更备案？", ["换城市了备案怎么改", "就医地选错了能改吗", "要去另一个城市看病备案怎么变", 
    "备案城市选错了怎么改", "就医地变了怎么办", "能同时备案两个地方吗", "换城市要重新备案吗",
    "备案地能改吗", "搬家到别的城市了备案怎么办"], [SERVICE_LIST, SICHUAN])
def _change(f: Facts) -> str:
    return ("一个人同一时间只能有一个在用的备案。在「备案记录」里点「变更」，新的就医地审核通过前，"
            f"原来的备案照常能用；通过后原来的自动作废。长期居住类的变更，受{f.place}的时间限制："
            f"{lock_text(f.policy)}。")


@entry("returned_fix", "备案被退回、让补充材料怎么办？", [
    "待补充材料是什么意思", "备案被退回来了", "材料不合格要重新传吗", "审核说照片看不清"],
    [SERVICE_LIST])
def _returned(f: Facts) -> str:
    return ("打开「备案记录」里这条备案，看退回原因，按说明重新上传清楚的材料（不要模糊、过期，姓名要和身份证一致），"
            f"再提交就行，{_review(f)}。")


@entry("rejected", "备案审核不通过怎么办？", ["审核没通过怎么回事", "备案被驳回了", "备案没批下来怎么办", 
    "审核不通过怎么办", "备案被拒了", "为什么备案没通过", "备案失败了怎么重新办"], [SERVICE_LIST])
def _rejected(f: Facts) -> str:
    return ("先在「备案记录」里看不通过的原因，常见的是类型选错或材料不对。改好后重新办一个备案就行，"
            "拿不准类型的，告诉我您的情况，我帮您选。")


# --- places, channels, family -------------------------------------------------------------------

@entry("in_province", "在本省其他城市看病，也要办这个备案吗？", ["省内两个城市之间看病", "在省内其他城市住院怎么报销", "省内跨市住院要备案吗", "在本省其他城市看病要备案吗", "省内异地就医怎么报", 
    "省内异地就医需要备案吗", "同省异地就医怎么报销", "跨市看病要备案吗", "省内转诊怎么办",
    "同一个省的不同城市能直接结算吗", "省内异地和省外异地报销一样吗"], [APP_GUIDE])
def _in_province(f: Facts) -> str:
    allowed = f.policy.allow_same_province
    extra = f"{f.place}也允许在这里办省内备案。" if allowed else ""
    return ("这里办的是跨省备案。在本省其他城市看病，按本省自己的规定，很多省已经不用备案，"
            "比例也由本省定，请问参保地医保经办机构。" + extra)


@entry("chronic_outpatient", "门诊慢特病能跨省直接结算吗？", ["慢性病在外省能报销吗", "门诊慢特病异地怎么报", "在外地看慢病能报吗", 
    "门诊慢性病在外地能报吗", "特殊病种异地就医怎么办", "门特能跨省结算吗", "慢病外地拿药怎么报",
    "高血压糖尿病外地开药能刷医保吗", "门诊特殊慢病如何申报和报销"], [CHRONIC, CHRONIC_2024])
def _chronic(f: Facts) -> str:
    first, added = "、".join(CHRONIC_FIRST), "、".join(CHRONIC_ADDED_2024)
    return (f"可以。{first}，以及{CHRONIC_ADDED_YEAR}年起加上的{added}，在已开通门诊慢特病结算的医院能跨省直接结算。"
            "要先在参保地办好慢特病认定，再办异地就医备案，到开通了的医院看。认定和待遇标准按参保地。")


@entry("e_voucher", "医保电子凭证是什么，看病时怎么用？", ["医保电子凭证怎么办理", "怎么激活医保码", "医保码在哪里领", 
    "医保码怎么用", "医保电子凭证在哪里激活", "没带社保卡能看病吗", "电子医保卡能跨省结算吗",
    "医保电子凭证和社保卡有什么区别"], [E_VOUCHER, EMERGENCY],
    needs=r"电子凭证|码|手机|没带|激活|扫|电子")
def _evoucher(f: Facts) -> str:
    return ("医保电子凭证就是手机上的医保码，在国家医保服务平台APP、微信或支付宝里激活。备案成功后，"
            "入院登记、出院结算和门诊缴费时，出示医保码或社保卡都能直接结算，原来的社保卡照样能用。")


@entry("family_account", "能帮家人用医保码或查家人的医保吗？", [
    "亲情账户怎么绑定", "怎么帮父母激活医保码", "绑定家人医保", "老人不会用手机怎么看病"],
    [FAMILY_ACCOUNT, FAMILY_REPLY])
def _family_account(f: Facts) -> str:
    return ("可以。在国家医保服务平台APP里开通「亲情账户」，添加家人后，能帮他们出示医保码、查费用。"
            f"不满{FAMILY_ACCOUNT_CHILD_AGE}岁的孩子，要上传户籍材料和个人承诺书。")


@entry("file_for_family", "能帮家里人（爸妈、孩子）办备案吗？", ["能给老伴办备案吗", "帮家里老人办备案", "给爸妈办异地备案", "可以给配偶办吗", 
    "能给我妈办备案吗", "帮父母办理异地就医备案", "替家人备案", "给孩子办异地备案", "代办备案可以吗",
    "老人不会弄能帮他备案吗"], [FAMILY_REPLY, APP_GUIDE],
    # 能帮我办备案吗 asks the assistant to file for the person asking, not for a relative.
    needs=r"家|爸|妈|父|母|老伴|老公|老婆|丈夫|妻子|媳妇|配偶|孩子|儿|女|爷|奶|外公|外婆|姥|老人|亲|他人|别人|代办|替|他|她")
def _for_family(f: Facts) -> str:
    return ("可以。选「为他人备案」，填家人的姓名、身份证号和您和他的关系（"
            + "、".join(v for k, v in RELATIONS.items() if k != "other")
            + "等），其他步骤和给自己办一样。告诉我是给谁办，我一步步帮您填。")


@entry("how_to_file", "异地就医备案怎么办理？", ["网上怎么办异地就医备案", "怎么申请异地就医备案", "异地备案怎么申请", "在哪里申请备案", 
    "医保异地备案程序是什么", "异地就医怎么办理", "在哪里办异地备案", "手机上怎么备案",
    "异地就医备案流程", "怎么办理异地医保", "网上能办备案吗", "要去窗口办吗"],
    [APP_GUIDE, MINIPROGRAM, SERVICE_LIST])
def _how_to_file(f: Facts) -> str:
    return ("在这里跟我说您的情况就能办：参保地、去哪个城市看病、参保险种和备案类型，我帮您一步步填，"
            f"上传材料后提交。也可以用国家医保服务平台APP或去参保地医保窗口办（窗口当场办结），{_review(f)}。")


@entry("how_reimbursed", "在外地看病医保怎么报销？", ["去外地住院怎么结算", "外地看病医保怎么结算", "异地就医怎么直接结算", 
    "异地看病怎么报销流程", "外地住院怎么报销", "外地患者医保怎么用", "跨省就医怎么结算",
    "在外地用医保要办什么", "合作医疗在外地怎么报销", "异地就医报销流程", "医保卡在外地能用吗",
    "老家的医保在外省能用吗", "跨省能用医保卡看病吗", "备案以后住院能直接结算吗"], [EMERGENCY, PRINCIPLE])
def _how_reimbursed(f: Facts) -> str:
    return ("三步：先备案，去就医城市开通了直接结算的医院，看病结算时出示医保码或社保卡，"
            "医保能报的当场报掉，只付自己那部分。没有备案的，先自己付钱，再回参保地手工报销。")


@entry("regional_rules", "我们这里（参保地）的规定和全国一样吗？", [
    "各地规定一样吗", "有没有地方特殊规定", "太原的备案有时间限制吗", "区域内视同备案",
    "京津冀看病要备案吗", "长三角异地就医要备案吗"], [SERVICE_LIST] + [r.source for r in regional_rules()])
def _regional(f: Facts) -> str:
    rules = "；".join(f"{r.region_name}：{r.text}" for r in regional_rules())
    # Regional arrangements (京津冀、长三角 and the like) are named only where a public source
    # confirms them; none was found, so the answer says so instead of promising one.
    return ("大部分按全国统一的规定，有些地方有自己的做法，比如" + rules +
            "。京津冀、长三角等区域内看病能不能不备案，没有找到能确认的公开文件，这里不作保证："
            "先办备案最稳妥，或问参保地医保经办机构。")


# --- out of scope: short pointers ---------------------------------------------------------------

@entry("oos_social_card", "社保卡怎么办、丢了怎么补？", [
    "怎么办社保卡", "社保卡丢了怎么补办", "社保卡在哪里领", "办医保卡要什么"], [E_VOUCHER],
    topic="out_of_scope", needs=r"办|补|丢|掉|领|申请|换|挂失|制卡|坏|密码|激活")
def _oos_card(f: Facts) -> str:
    return ("办社保卡、补卡要找参保地的社保卡服务网点或合作银行，这里帮不上。看病结算时，"
            "也可以先用手机上的医保电子凭证。")


@entry("oos_local_ratio", "本地看病报销比例、起付线是多少？", ["本地住院能报多少", "在本地看病报销多少", "住院报销多少钱", "医保报销比例是多少", "居民医保报销比例", "职工医保报销比例是多少", "住院费怎么报销", "退休人员住院报销", "门诊额度一年多少", "门诊报销起付线", "花了一万多医保能结算多少", "医保报销规定是多少", "扶贫报销比例", 
    "住院报销比例一般是多少", "新农合能报多少", "门诊一年能报多少", "起付线怎么算", "医保二次报销",
    "大病保险怎么报", "住院花一万能报多少", "药品甲类乙类报销比例"], [PRINCIPLE],
    topic="out_of_scope")
def _oos_ratio(f: Facts) -> str:
    return (f"在本地看病的报销比例、起付线、封顶线和大病保险，每个地方不一样，要问{f.place}医保经办机构。"
            "我能帮的是跨省异地就医：备案、异地报销规则和怎么结算。")


@entry("oos_contribution", "医保怎么交、交多少、多久生效？", ["医保一年交多少钱", "医保费怎么交", "医保缴费多少", "个人账户余额怎么算", "退医保费多久到账", "医保个人缴纳多少", "医保政策个人缴多少", 
    "医保缴费标准", "医保交多少年", "个人账户每月划多少", "居民医保多久生效", "医保断缴了怎么办",
    "退休医保要交满多少年", "没工作的人怎么交医保", "医保年度从几月开始算"], [PRINCIPLE], topic="out_of_scope")
def _oos_contribution(f: Facts) -> str:
    return (f"交医保、缴费年限、个人账户这些，按{f.place}的规定，请问当地医保经办机构或税务部门。"
            "我能帮您办跨省异地就医备案。")


@entry("oos_maternity", "在外地生孩子怎么报销？", ["外地生小孩能报吗", "在外地生孩子医保怎么报", 
    "异地生育怎么报销", "外地生孩子医保能报吗", "生育保险异地报销", "异地分娩报销"], [PRINCIPLE],
    topic="out_of_scope")
def _oos_maternity(f: Facts) -> str:
    return (f"生育的费用和生育津贴按{f.place}的生育保险规定办，请问参保地医保经办机构。"
            "在外地住院分娩想直接结算医保，也要先办异地就医备案，我可以帮您办。")


@entry("oos_transfer", "能把医保转到外地吗？", ["医保可以转到外地吗", "医保关系转到子女那里", 
    "医保关系怎么转移", "医保能转到外地吗", "退休后医保能转过去吗", "把医保转到子女那边"], [PRINCIPLE],
    topic="out_of_scope")
def _oos_transfer(f: Facts) -> str:
    return ("转医保关系要找转入地和转出地的医保经办机构，这里办不了。不转也行：长期在外地住的，"
            "办一个长期居住类的异地就医备案，在那边看病就能直接结算，报销和本地一样。")


@entry("oos_work_injury", "工伤在外地治疗怎么报？", [
    "工伤异地就医怎么报销", "工伤能跨省结算吗", "工伤保险外地看病"], [PRINCIPLE],
    topic="out_of_scope")
def _oos_injury(f: Facts) -> str:
    return "工伤看病由工伤保险管，要找参保地的人社（工伤保险）部门，和这里的医保备案是两回事。"


@entry("what_can_you_do", "你能帮我做什么？", [
    "你能干什么", "怎么用这个", "能帮我办什么", "这个是做什么的"], [APP_GUIDE])
def _help(f: Facts) -> str:
    return ("我能帮您办跨省异地就医备案：说说参保地、去哪里看病和您的情况，我来填；"
            "也能回答备案材料、报销比例、多久生效、撤销变更这些问题。")


# --- more on using a filing -----------------------------------------------------------------------

@entry("outpatient_direct", "备案后门诊看病也能直接结算吗？", [
    "门诊能直接刷吗", "异地门诊费用能报销吗", "备案后看门诊能报吗", "普通门诊能跨省结算吗",
    "有效期内能看几次病"], [JINHUA, NOTICE])
def _outpatient(f: Facts) -> str:
    return ("能。备案有效期内，在就医地开通了跨省直接结算的医院，住院和普通门诊都能直接结算，可以看很多次。"
            "门诊慢特病要另外认定，见慢特病的说明。")


@entry("bring_card_admission", "去外地住院要带什么，怎么登记？", [
    "入院要带什么", "住院登记要注意什么", "外地住院要带社保卡吗", "出院结算要带什么"], [EMERGENCY],
    needs=r"带|登记")
def _bring(f: Facts) -> str:
    return ("备案成功后，入院登记和出院结算都要出示医保电子凭证或社保卡，告诉医院您是异地医保、已经备案。"
            "没出示的话，可能被当成自费病人，出院时不好再改成直接结算。")


@entry("offline_counter", "去医保窗口备案要带什么？", [
    "线下怎么办备案", "去窗口办备案要什么", "不会用手机能去柜台办吗", "窗口办备案要多久"],
    [SERVICE_LIST])
def _counter(f: Facts) -> str:
    return ("带本人身份证件或社保卡、对应类型的证明材料，到参保地医保经办机构窗口填备案表，窗口当场办结。"
            f"网上办的，{_review(f)}。")


@entry("long_term_residence_length", "在外地住多久才算长期居住？", [
    "住多久可以办长期居住备案", "长期居住要满半年吗", "刚搬过去能办长期备案吗", "居住证要办多久"],
    ["http://m.pxte.cn/anhui/20240306/92747.html",
     "http://m.ccschy.com/techan/35b2d99c5848192cab0724d10e640c84.html"])
def _residence_length(f: Facts) -> str:
    return (f"全国没有统一的天数，按{f.place}的规定；有的地方要求在外地连续住或工作满半年。"
            f"有居住证或居住证明的，可以选{type_label('long_term_resident')}；短时间去的，选临时外出就医。")


@entry("face_recognition_fail", "老人刷脸认证不过，怎么办备案？", [
    "人脸识别过不了", "老人刷脸失败怎么办", "认证不了怎么备案", "老人不会刷脸"], [E_VOUCHER])
def _face(f: Facts) -> str:
    return ("可以由家人用自己的账号「为他人备案」，填老人的信息；医保电子凭证也能到线下网点激活。"
            "实在办不了的，可以到参保地医保窗口办。")


@entry("wrong_pool_region", "备案了医院却说查不到，是不是选错了地方？", [
    "备案成功了医院查不到", "参保地选错了怎么办", "省本级和市里有什么区别", "医院说没有备案信息"],
    ["http://meicimeiju.cn/health/news/16096834.html"])
def _wrong_pool(f: Facts) -> str:
    return ("常见原因是参保地或就医地选错了（比如把省本级和市选混了），或者参保状态中断了。先在「备案记录」里"
            "核对参保地、就医地和日期；选错了的，撤销后重新办，或者办变更。")


@entry("type_emergency", "什么情况算急诊抢救？", [
    "急诊抢救是什么意思", "什么算急诊", "急诊要备案吗", "突发疾病算急诊吗"], [EMERGENCY, SERVICE_LIST])
def _type_emergency(f: Facts) -> str:
    t = FILING_TYPES["emergency"]
    return (f"{t.label}：{t.explanation}。由医院按急诊收治，不用提前备案，也不用材料；"
            f"报销比例最多比参保地低{_cut('emergency')}个百分点。")


# The answers the earlier fixed FAQ gave, by its intent names (kept for callers that use them).
LEGACY_INTENTS = {
    "materials": "materials_overview", "no_filing": "no_filing_paid", "review_time": "how_soon_valid",
    "hospitals": "which_hospitals", "ratio": "ratio_by_type", "backdate": "file_before_discharge",
    "validity": "validity", "cancel": "cancel_how",
}

BY_ID: dict[str, Entry] = {e.id: e for e in ENTRIES}
assert len(BY_ID) == len(ENTRIES), "entry ids must be unique"
