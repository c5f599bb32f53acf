"""Text → slot findings for the chat-driven filing. Pure: no Flask, no database.

A gazetteer (the region catalogue's place index plus a small hand-kept hospital table) and rules.
Each place mention gets a role (insured place, visit place, or a distractor such as a hometown)
from the words around it inside its clause; the rest of the slots come from keyword rules with
negation. `merge` folds one message's findings into the dialog's slot state, latest statement wins.
"""
from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import cn2an

from server.chat import faq
from server.regions.catalogue import Catalogue, PlaceHit, get_catalogue

DATA_DIR = Path(__file__).resolve().parent / "data"

INSURED = "insured_region_code"
VISIT = "visit_region_code"
REGION_SLOTS = (INSURED, VISIT)
SLOT_ALIASES = {
    "insured": INSURED, "insured_region": INSURED, INSURED: INSURED,
    "visit": VISIT, "visit_region": VISIT, VISIT: VISIT,
    "scheme": "scheme", "filing_type": "filing_type", "type": "filing_type",
    "start_date": "start_date", "contact_name": "contact_name", "contact_phone": "contact_phone",
    "yes_no": "yes_no",
}

FILING_TYPES = ("retiree_relocated", "long_term_resident", "resident_worker",
                "referral", "emergency", "other_temporary")


# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    value: str  # a region code (a province code means "that province, city still to choose")
    label: str


@dataclass(frozen=True)
class Ambiguity:
    slot: str  # insured_region_code / visit_region_code
    surface: str
    options: tuple[Option, ...]


@dataclass
class Understanding:
    insured_region_code: str | None = None
    visit_region_code: str | None = None
    # A province named for a slot without a city: narrows the choice, does not fill the slot.
    insured_province_code: str | None = None
    visit_province_code: str | None = None
    ambiguities: list[Ambiguity] = field(default_factory=list)
    # How clearly each region slot was stated: 3 a direct cue (医保在, 去), 2 a softer one
    # (在…工作, …的医院开了转诊), 1 a bare answer or where the children live.
    strength: dict[str, int] = field(default_factory=dict)
    scheme: str | None = None
    scheme_ambiguous: bool = False
    filing_type: str | None = None
    filing_type_reason: str | None = None
    filing_group: str | None = None  # "temporary" / "long_term" when only the group is named
    facts: frozenset[str] = frozenset()
    start_date: date | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    yes_no: str | None = None  # "yes" / "no"
    question_intent: str | None = None
    correction: bool = False
    mentions: list[dict] = field(default_factory=list)  # for logs and debugging

    def slots(self) -> dict[str, Any]:
        """The slot values this message gives (only those it gives)."""
        out: dict[str, Any] = {}
        for key in (INSURED, VISIT, "scheme", "filing_type", "start_date", "contact_name",
                    "contact_phone"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.isoformat() if isinstance(value, date) else value
        return out


@dataclass
class Context:
    """What the dialog expects next and what it knows so far.

    expecting: the slot just asked for (insured_region_code / visit_region_code or the short
    forms insured / visit, scheme, filing_type, start_date, contact_name, contact_phone, yes_no),
    so that a bare answer ("徐州", "职工", "急诊") fills it.
    values: the current slot state, as returned by `merge`.
    """

    expecting: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def expected_slot(self) -> str | None:
        return SLOT_ALIASES.get(self.expecting or "")


# --- gazetteer ----------------------------------------------------------------------------------

# Surfaces that are everyday words far more often than places; they count only when written with
# their suffix (平安区) or after their city (西宁平安).
STOP_SURFACES = frozenset("""平安 长寿 合作 东方 安宁 和平 太平 白云 城关 城区 郊区 矿区 新城 长安 新华 市中
城中 城东 城西 城南 城北 江南 大方 永安 开发 新区 市南 市北 南山 鼓楼 普陀 中原 和顺 安康 吉利 宁安 通化
大同 金山 青山 东山 西山 北山 铁山 河口 海港 宝山 龙华 新兴 高新 江北 南岸 沙市 城阳 光明 阳光 红旗 胜利
建设 解放 友谊 团结 前进 民主 向阳 新市 东区 西区 南区 北区 中区 长城 和田 花山 五四 东风 双桥 永和 清河""".split())

_POOL_KINDS = ("municipality", "prefecture", "direct_county")


class Gazetteer:
    def __init__(self, catalogue: Catalogue):
        self.catalogue = catalogue
        self.places: dict[str, tuple[PlaceHit, ...]] = dict(catalogue.place_index())
        with open(DATA_DIR / "places_extra.json", encoding="utf-8") as f:
            for row in json.load(f)["places"]:
                region = catalogue.get(row["region_code"])
                if region is None:
                    continue
                hit = PlaceHit(row["surface"], row["kind"], region.code, region.province_code,
                               region.code, row["place_name"])
                self.places[row["surface"]] = self.places.get(row["surface"], ()) + (hit,)
        with open(DATA_DIR / "hospitals.json", encoding="utf-8") as f:
            data = json.load(f)
        # region None: a name several cities' hospitals share (中山医院), which locates nothing.
        self.hospitals: dict[str, tuple[str | None, str]] = {}
        for row in data["hospitals"]:
            for name in row["names"]:
                self.hospitals[name] = (row["region_code"], row["label"])
        self.capitals: dict[str, str] = data["capitals"]
        self.max_len = max(max(map(len, self.places)), max(map(len, self.hospitals)))
        self.municipalities = {p.code for p in catalogue.provinces() if p.level == "municipality"}

    def tier(self, hit: PlaceHit) -> int:
        """How readily a bare name means this place: 3 well-known units, 2 counties, 1 districts."""
        if hit.kind in ("province", "municipality", "prefecture", "direct_county"):
            return 3
        if hit.region_code in self.municipalities:
            return 3
        return 2 if hit.kind == "county" else 1

    def label(self, code: str, hit: PlaceHit | None = None) -> str:
        region = self.catalogue.get(code)
        if region is None:
            return code
        if region.level == "province":
            return f"{region.name}（其他城市）"
        province = self.catalogue.get(region.province_code)
        prefix = "" if region.level == "municipality" or province is None else province.name
        text = prefix + region.name
        if hit is not None and hit.kind in ("county", "district") and hit.place_name:
            text += hit.place_name
        return text


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    return Gazetteer(get_catalogue())


# --- place mentions -----------------------------------------------------------------------------

@dataclass
class _Mention:
    start: int
    end: int
    surface: str
    hits: tuple[PlaceHit, ...] = ()
    hospital_region: str | None = None  # a hospital named: the region it is in
    hospital: str | None = None
    stop: bool = False
    role: str | None = None
    score: int = 0
    reason: str = ""
    codes: tuple[str, ...] = ()  # resolved candidate codes (pooling regions or provinces)
    ambiguous: bool = False
    options: tuple[Option, ...] = ()

    @property
    def is_province(self) -> bool:
        return (not self.ambiguous and len(self.codes) == 1
                and self.hits and all(h.kind == "province" for h in self.hits))


_HOSPITAL_SUFFIX = re.compile(r"^[\u4e00-\u9fff\d]{0,5}?(?:医院|附院|一院|二院|三院|卫生院|中医院|妇幼|医科大学|医学院)")
_PROVINCE_HOSPITAL = re.compile(
    r"^省?(?:立|人民|肿瘤|中医|中西医结合|儿童|妇幼|妇女儿童|口腔|眼科|胸科|心血管|第[一二三四五六七八九]人民|第[一二三])?"
    r"(?:医院|医科大学|医学院)")
_STREET_SUFFIX = re.compile(r"^(?:路|街|大道|大街|巷|胡同|小区|公园|广场|机场|火车站|高铁站)")


def _scan(text: str, gz: Gazetteer) -> list[_Mention]:
    out: list[_Mention] = []
    i, n = 0, len(text)
    while i < n:
        found = None
        skip = 0
        for length in range(min(gz.max_len, n - i), 1, -1):
            s = text[i:i + length]
            if s in gz.hospitals:
                code, label = gz.hospitals[s]
                if code is None:
                    skip = length
                    break
                found = _Mention(i, i + length, s, hospital_region=code, hospital=label)
                break
            hits = gz.places.get(s)
            if hits:
                found = _Mention(i, i + length, s, hits=hits, stop=s in STOP_SURFACES)
                break
        if found is None:
            i += skip or 1
            continue
        out.append(found)
        i = found.end
    return out


def _contains(outer: _Mention, hit: PlaceHit) -> bool:
    for a in outer.hits:
        if a.kind == "province" and hit.province_code == a.region_code and hit.kind != "province":
            return True
        if a.kind in _POOL_KINDS and hit.region_code == a.region_code and hit.kind in ("county", "district"):
            return True
    return False


def _outer_region(outer: _Mention) -> set[str]:
    return {a.region_code for a in outer.hits}


def _refine(text: str, raw: list[_Mention], gz: Gazetteer) -> list[_Mention]:
    """Join 'province city' / 'city district' runs, drop names inside hospital or street names."""
    out: list[_Mention] = []
    for m in raw:
        after = text[m.end:m.end + 12]
        prev = out[-1] if out else None
        adjacent = prev is not None and (prev.end == m.start
                                         or (prev.end == m.start - 1 and text[prev.end] == "的"))
        if m.hits and _STREET_SUFFIX.match(after):
            continue
        if m.hospital_region:
            if prev is not None and adjacent and (
                    prev.hospital_region == m.hospital_region
                    or m.hospital_region in _outer_region(prev)
                    or any(h.kind == "province" and h.region_code[:2] == m.hospital_region[:2] for h in prev.hits)):
                prev.end, prev.surface = m.end, text[prev.start:m.end]
                prev.hospital_region, prev.hospital = m.hospital_region, m.hospital
                prev.hits, prev.stop = (), False
                continue
            if prev is not None and adjacent and prev.hits:
                continue  # 深圳的北大医院: the city written before the name is the place
            out.append(m)
            continue
        # A province followed by a hospital's name: 湖南省人民医院 is in the capital.
        if (all(h.kind == "province" for h in m.hits) and m.hits[0].region_code in gz.capitals
                and _PROVINCE_HOSPITAL.match(after)):
            cap = gz.capitals[m.hits[0].region_code]
            out.append(_Mention(m.start, m.end, m.surface, hospital_region=cap,
                                hospital=m.surface + "省级医院"))
            continue
        if prev is not None and prev.hits and adjacent:
            inner = tuple(h for h in m.hits if _contains(prev, h))
            if inner and prev.end == m.start:
                prev.end, prev.surface, prev.hits, prev.stop = m.end, text[prev.start:m.end], inner, False
                continue
            if _HOSPITAL_SUFFIX.match(after):
                # 昆明延安医院, 上海的瑞金医院: a place name after a city is the hospital's own name.
                continue
        out.append(m)
    return [m for m in out if not m.stop or _cued_stop(text, m, gz)]


def _cued_stop(text: str, m: _Mention, gz: Gazetteer) -> bool:
    """An everyday word that is also a prefecture's name (安康, 大同) is a place after a clear cue."""
    if not any(gz.tier(h) == 3 for h in m.hits):
        return False
    before, _ = _clause(text, m.start, m.end)
    if _INSURED_BEFORE.search(before) or _VISIT_LABEL_BEFORE.search(before):
        return True
    if _CORRECTION.search(text) and re.search(r"(?:是|改成|改为|换成)$", before):
        return True  # 不是汉中，是安康
    return bool(re.search(r"(?:去|到|转到|转去|回|来)$", before)) and len(before) <= 12


def _resolve(m: _Mention, gz: Gazetteer) -> None:
    if m.hospital_region:
        m.codes = (m.hospital_region,)
        return
    hits = list(m.hits)
    bare = all(h.surface != h.place_name for h in hits)
    best = max(gz.tier(h) for h in hits)
    if bare and best == 1:
        if len({h.region_code for h in hits}) > 1:
            m.codes = ()  # a bare district name shared by several cities is noise, not a place
            return
    kept = [h for h in hits if gz.tier(h) == best]
    codes: list[str] = []
    options: list[Option] = []
    for h in kept:
        code = h.region_code
        if code not in codes:
            codes.append(code)
            options.append(Option(code, gz.label(code, h if h.kind in ("county", "district") else None)))
    m.codes = tuple(codes)
    if len(codes) > 1:
        m.ambiguous = True
        m.options = tuple(options)


# --- roles --------------------------------------------------------------------------------------

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
    r"(?:也|都|还|就|一直|其实)*(?:是|在|为|属于|归|落在)?(?:在)?[:：]?(?:老家|家乡|本地|当地)?$"
    r"|(?:单位|公司|工作单位|厂里)(?:也|就)?(?:在|是)$")
_FROM_BEFORE = re.compile(r"从$")
_VISIT_LABEL_BEFORE = re.compile(
    r"(?:就医地|就医地点|就医城市|就诊地|看病的地方|目的地|要去的地方)(?:也|就)?(?:是|在|为|选)?(?:在)?[:：]?$")
_HOMETOWN_AFTER = re.compile(r"^(?:是)?(?:我|我们|他|她)?的?(?:老家|家乡)")
_LIVES_AT_BEFORE = re.compile(r"(?:住|家)[^，。,]{0,4}在$")
_VISIT_BEFORE = re.compile(
    r"(?:去|到|回(?:到)?(?:老家|家乡)|(?<![后本原将未从带])来|往|赴|前往|转到|转去|转往|转至|回|回到|送到|送去|送往|派到|派往|派驻|"
    r"调到|调往|迁到|迁往|迁去|迁至|迁在|落在|落到|落户到?|落户在|住在|住到|搬到|搬去|定居在?|常驻|长驻|驻|长住在?|"
    r"常住在?|(?<!居)住|飞到|飞去|跑到)了?$")
_ZAI_BEFORE = re.compile(r"(?<!不)在$")
_NOW_AT_BEFORE = re.compile(r"(?:人|现在|目前|正在|眼下)在$")
_INSURED_AFTER_ZAI = re.compile(
    r"^[^，。,]{0,8}?(?:参保|参的保|交的|交医保|交社保|缴|交费|交保险|上的医保|买的医保|办的医保|买医保|交的医保)")
_VISIT_AFTER_ZAI = re.compile(
    r"^[^，。,]{0,9}?(?:看病|就医|就诊|住院|治疗|手术|复查|检查|看|旅游|旅行|玩|出差|过冬|养老|生活|"
    r"住|居住|定居|长住|急诊|抢救|化疗|放疗|透析|开刀|摔|发病|生病|病了|晕倒)")
_STUDY_WORK_AFTER_ZAI = re.compile(r"^[^，。,]{0,6}?(?:上学|读书|上大学|念书)")
_WORK_AFTER_ZAI = re.compile(r"^[^，。,]{0,6}?(?:工作|上班|打工)")
_RELATIVE_BEFORE = re.compile(
    r"(?:女儿|儿子|孩子|闺女|儿媳|女婿|子女|儿女|孙子|孙女|外孙|外孙女|小孩)(?:家|一家)?"
    r"(?:也|都|现在|一直|目前)*(?:在|住在|住|定居在)$")
_INSURED_AFTER = re.compile(
    r"^(?:的|那边的|本地的|当地的)?(?:退休)?(?:城镇职工|职工|城乡居民|居民|灵活就业|学生)?(?:基本)?"
    r"(?:医保|社保|医疗保险|新农合|农合|合作医疗|参保|参的保|职工|居民医保)")
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


def _assign_role(text: str, m: _Mention) -> None:
    before, after = _clause(text, m.start, m.end)
    rules = (
        (_INSURED_BEFORE.search(before), INSURED, 3, "医保在/参保地"),
        (_VISIT_LABEL_BEFORE.search(before), VISIT, 3, "就医地"),
        (_DISTRACT_BEFORE.search(before), "other", 3, "hometown, hukou or negated"),
        (_DISTRACT_AFTER.match(after), "other", 3, "someone else's or rejected"),
        (_VISIT_BEFORE.search(before), VISIT, 3, "去/到/住在"),
        (_FROM_BEFORE.search(before), INSURED, 1, "从…"),
        (_ZAI_BEFORE.search(before) and _INSURED_AFTER_ZAI.match(after), INSURED, 3, "在…参保/交"),
        (_ZAI_BEFORE.search(before) and _VISIT_AFTER_ZAI.match(after), VISIT, 3, "在…看病/住"),
        (_ZAI_BEFORE.search(before) and _STUDY_WORK_AFTER_ZAI.match(after), None, 0, "study"),
        (_ZAI_BEFORE.search(before) and _WORK_AFTER_ZAI.match(after), INSURED, 2, WORKS_THERE),
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
    if m.hospital_region:
        m.role, m.score, m.reason = VISIT, 2, "hospital named"


# --- facts: scheme, filing type -----------------------------------------------------------------

_NEG = r"(?:不是|并非|非|不算|没有|没|未|不)"
_EMPLOYEE = re.compile(
    r"职工|在职|企业退休|公务员|事业单位|机关单位|单位(?:上)?的?医保|(?:单位|公司|厂里|工厂|厂子|企业|老板|用人单位)[^，。,]{0,8}?(?:交|缴|买|上)(?:纳|费)?(?:的|了|医保|社保|保险|$|[，。,])"
    r"|(?:上班|工作|打工)(?:时|的时候)?(?:单位)?(?:交|缴|买|上)(?:的|了|着)?(?:社保|医保|五险|职工)")
_RESIDENT = re.compile(
    r"(?:我|他|她|孩子|老人)(?:是|还是)(?:在校)?(?:大|中|小)?学生|(?:我|他|她|老人)是农民|村里(?:交|缴|统一|收)|少儿|"
    r"城乡居民|城镇居民|居民(?:基本)?(?:医保|医疗|保险)|新农合|农合|合作医疗|学生医保|学生保险|少儿医保|大学生医保|城居保|居民的")
_FLEXIBLE = re.compile(r"灵活就业|个体户|自由职业")

_FACT_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("emergency", re.compile(r"急诊|抢救|急救|突发|发作|病发|犯病了?(?:住院|送)|病倒|突然(?:发病|晕倒|昏迷|犯病|病倒)|车祸|急病|急性|120|送进医院|被送|"
                              r"意外|摔伤|摔倒|摔骨折|昏迷|休克")),
    ("referral", re.compile(r"转诊|转院|上转|转(?:到|去|往)?(?:上级|省级|省里的?|外地的?|省外的?|大)医院"
                             r"|(?:医院|医生|大夫)[^，。,]{0,6}(?:让|建议|要求|叫|安排)[^，。,]{0,4}转")),
    ("posted", re.compile(r"(?:单位|公司|集团|厂里|领导)[^，。,]{0,6}(?:安排|调)[^，。,]{0,8}(?:工作|上班|常驻|驻)|"
                          r"调到[^，。,]{0,8}(?:工作|上班)|(?:分公司|子公司|项目部|办事处|分厂)(?:上班|工作|常驻|驻点)|"
                          r"派出证明|异地工作证明|工作证明|派我|派到|派遣|常驻异地|异地工作|派往|派驻|外派|被派|常驻|驻点|长驻|驻外|借调|派去|派过去|调派|单位派|公司派")),
    ("self_go", re.compile(r"自己(?:想|要|打算)?(?:去|过去|回去|回|找|跑|来|看|开车)|自行(?:去|前往|就医)|探亲")),
    ("retired", re.compile(r"退休|离休|养老金")),
    ("hukou_moved", re.compile(r"(?:户口|户籍)(?:本)?(?:已经|已|也|都|也已经|早就|早已|刚)?(?:迁|落|转|移)(?:回|到|去|过|来|了|至|往|在)|落户|迁户口")),
    ("resettle", re.compile(r"异地安置|安置备案|退休安置")),
    ("long_term_label", re.compile(r"长期居住备案|异地长期居住|长期居住的备案")),
    ("long_living", re.compile(
        r"长期居住|长期住|长住|常住|常年住|常年在|定居|养老|一直住|一直跟|这几年|好几年|几年了|多年|"
        r"住了[^，。,]{0,2}年|长期在|以后就在|以后都在|"
        r"[跟和同](?:女儿|儿子|孩子|子女|儿女|我们|我)[^，。,]{0,4}(?:住|生活|过日子)|"
        r"随(?:女儿|儿子|子女|孩子|儿女)|投靠")),
    ("residence_permit", re.compile(r"居住证|居住证明")),
    ("wintering", re.compile(r"过冬|候鸟|避寒|猫冬")),
    ("temporary", re.compile(r"临时外出|临时备案|临时就医")),
)
_NEGATED_FACT = {
    "emergency": re.compile(r"(?:不是|非|不算)急诊"),
    "referral": re.compile(r"(?:没|未|不|无)[^，。,]{0,4}(?:转诊|转院)|(?:转诊|转院)[^，。,]{0,3}(?:没|没有|未)(?:开|有|给)"),
    "residence_permit": re.compile(r"(?:没|没有|未|还没)(?:办|有)?[^，。,]{0,2}居住证"),
}
_HUKOU_NOT_MOVED = re.compile(
    r"(?:户口|户籍)(?:还|也|都|仍|仍然|一直)*(?:没|没有|未|不|不用)(?:迁|落|转|动|移)|(?:户口|户籍)(?:也|都)?(?:还|仍|仍然|一直)(?:在|是)")
_BARE_TYPE = (
    ("emergency", re.compile(r"急诊|抢救")),
    ("referral", re.compile(r"转诊|转院")),
    ("resident_worker", re.compile(r"常驻|派驻|工作")),
    ("retiree_relocated", re.compile(r"安置|退休")),
    ("long_term_resident", re.compile(r"长期居住|长住|居住")),
    ("other_temporary", re.compile(r"其他|临时|探亲|旅游|自己")),
)


def _facts(text: str) -> set[str]:
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
    return found


LONG_TERM_FACTS = frozenset({"retired", "hukou_moved", "hukou_not_moved", "long_living",
                             "residence_permit", "long_term_label"})


def derive_filing_type(facts: set[str] | frozenset[str],
                       prior: set[str] | frozenset[str] = frozenset()) -> tuple[str | None, str | None]:
    """The filing type one message's facts point to, given what earlier messages established."""
    for explicit in FILING_TYPES:
        if "type:" + explicit in facts:
            return explicit, "answered " + explicit
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


def _scheme(text: str, expecting: str | None) -> tuple[str | None, bool]:
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
    if found:
        return max(found)[1], False
    if _FLEXIBLE.search(text) or (expecting == "scheme" and re.search(r"自己交|个人交", text)):
        return None, True
    return None, False


# --- dates --------------------------------------------------------------------------------------

_NUM = r"(?:\d{1,4}|[零〇一二两三四五六七八九十]{1,4})"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
             "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RELATIVE_DAYS = {"大后天": 3, "大前天": -3, "今天": 0, "今日": 0, "明天": 1, "明日": 1,
                  "后天": 2, "昨天": -1, "昨日": -1, "前天": -2}
_UNIT = r"(?:天|日|周|个?星期|个?礼拜)"
_UNIT_DAYS = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}


def _days(g: dict) -> int | None:
    n = _n(g.get("n") or g.get("n2"))
    unit = (g.get("u") or g.get("u2") or "天").lstrip("个")
    return n * _UNIT_DAYS[unit] if n is not None else None


_DATE_PATTERNS = (
    ("ymd", re.compile(rf"(?P<y>\d{{4}}|[零〇一二三四五六七八九]{{4}})年(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?")),
    ("rel_year", re.compile(rf"(?P<ry>今年|明年|后年)(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?")),
    ("iso", re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")),
    ("rel_month", re.compile(rf"(?P<rel>下个?月|这个?月|本月|上个?月)(?P<d>{_NUM})[日号]")),
    ("md", re.compile(rf"(?P<m>{_NUM})月(?P<d>{_NUM})[日号]?")),
    # 12.1 / 12/1 written as a date: only month-like and day-like numbers, never a decimal amount.
    ("md", re.compile(r"(?<![\d.])(?P<m>1[0-2]|0?[1-9])[./](?P<d>[12]\d|3[01]|0?[1-9])(?![\d.%万元天斤度])[号日]?")),
    # Only an admission already under way dates back (已经住院三天了), not a planned stay (要住院三天).
    ("in_hospital", re.compile(rf"(?:已经|已)(?:住院|入院|住进医院|住进去)(?:了)?(?P<n>{_NUM})(?P<u>{_UNIT})"
                               rf"|(?:住院|入院|住进医院|住进去)(?:已经|都|有|了|快)*(?P<n2>{_NUM})(?P<u2>{_UNIT})了")),
    ("after_days", re.compile(rf"(?P<n>{_NUM})(?P<u>{_UNIT})(?:以后|之后|后)|过(?P<n2>{_NUM})(?P<u2>{_UNIT})")),
    ("before_days", re.compile(rf"(?P<n>{_NUM})天(?:以前|之前|前)")),
    ("week", re.compile(r"(?P<pre>下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])")),
    ("rel_day", re.compile("|".join(sorted(_RELATIVE_DAYS, key=len, reverse=True)))),
    ("day", re.compile(rf"(?<![月\d零〇一二两三四五六七八九十])(?P<d>{_NUM})[日号](?!楼|线|床|房|窗口|门|病房)")),
)
_END_MARK = re.compile(r"(?:到|至|截止|截至|结束于?)$")
_PREFER_MARK = re.compile(r"(?:改成|改为|改到|换成|应该是|是)$")
_REJECT_AFTER = re.compile(r"^[^，。,]{0,2}(?:走不开|不行|去不了|不去|没空)")
_PAST_HINT = re.compile(r"已经|已|了")


def _n(s: str | None) -> int | None:
    if not s:
        return None
    if s.isdigit():
        return int(s)
    try:
        return int(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError):
        return None


def _safe_date(y: int, m: int, d: int) -> date | None:
    if not (1 <= m <= 12) or not (1 <= d <= calendar.monthrange(y, m)[1]):
        return None
    return date(y, m, d)


def _add_months(today: date, months: int) -> tuple[int, int]:
    k = today.year * 12 + today.month - 1 + months
    return k // 12, k % 12 + 1


def _month_day(today: date, m: int, d: int) -> date | None:
    found = _safe_date(today.year, m, d)
    # Without a year, a date far in the past means next year (in November, "1月5号" is January).
    if found is not None and found < today - timedelta(days=120):
        found = _safe_date(today.year + 1, m, d)
    return found


def _resolve_date(kind: str, mt: re.Match, today: date, text: str) -> date | None:
    g = mt.groupdict()
    if kind in ("ymd", "iso"):
        y, m, d = _n(g["y"]), _n(g["m"]), _n(g["d"])
        return _safe_date(y, m, d) if y and m and d else None
    if kind == "rel_month":
        d = _n(g["d"])
        rel = g["rel"]
        offset = 1 if rel.startswith("下") else -1 if rel.startswith("上") else 0
        y, m = _add_months(today, offset)
        return _safe_date(y, m, d) if d else None
    if kind == "md":
        m, d = _n(g["m"]), _n(g["d"])
        return _month_day(today, m, d) if m and d else None
    if kind == "rel_year":
        m, d = _n(g["m"]), _n(g["d"])
        y = today.year + {"今年": 0, "明年": 1, "后年": 2}[g["ry"]]
        return _safe_date(y, m, d) if m and d else None
    if kind == "in_hospital":
        n = _days(g)
        return today - timedelta(days=n) if n is not None else None
    if kind == "after_days":
        n = _days(g)
        return today + timedelta(days=n) if n is not None else None
    if kind == "before_days":
        n = _n(g["n"])
        return today - timedelta(days=n) if n is not None else None
    if kind == "week":
        pre = (g["pre"] or "").rstrip("个")
        wd = _WEEKDAYS[g["wd"]]
        monday = today - timedelta(days=today.weekday())
        weeks = {"下下": 2, "下": 1, "这": 0, "本": 0, "上": -1}.get(pre)
        if weeks is None:  # bare 周五: the coming one
            found = monday + timedelta(days=wd)
            return found if found >= today else found + timedelta(days=7)
        return monday + timedelta(weeks=weeks, days=wd)
    if kind == "rel_day":
        return today + timedelta(days=_RELATIVE_DAYS[mt.group(0)])
    if kind == "day":
        d = _n(g["d"])
        if not d:
            return None
        if d >= today.day or _PAST_HINT.search(text[mt.end():mt.end() + 8]):
            return _safe_date(today.year, today.month, d)
        y, m = _add_months(today, 1)
        return _safe_date(y, m, d)
    return None


def parse_start_date(text: str, today: date) -> date | None:
    """The start date a message gives: the one after 改成/是 if any, else the first, never an end date."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, date]] = []  # (preference, position, date)
    for kind, pattern in _DATE_PATTERNS:
        for mt in pattern.finditer(text):
            a, b = mt.span()
            if any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            before = text[max(0, a - 3):a]
            if _END_MARK.search(before) or _REJECT_AFTER.match(text[b:]):
                continue
            value = _resolve_date(kind, mt, today, text)
            if value is not None:
                found.append((0 if _PREFER_MARK.search(before) else 1, a, value))
    return min(found)[2] if found else None


# --- contact, yes/no, corrections -----------------------------------------------------------------

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
_NAME = re.compile(
    r"(?:我叫|她叫|他叫|^叫|[，,]叫|我的名字是|名字[是叫]|姓名[是为:：]?|联系人(?:是|为|[:：])?|联系人叫)\s*"
    r"(?P<name>[\u4e00-\u9fff·]{2,5}?)(?=[，,。.\s]|电话|手机|号码|联系|$|\d)")
_NOT_A_NAME = re.compile(r"[我你他她的]|女儿|儿子|爸|妈|老公|老婆|爱人|本人|自己")
_YES = ("是的", "是啊", "对的", "对啊", "嗯嗯", "好的", "可以", "没错", "确认", "同意", "没问题", "确定",
        "是", "对", "嗯", "好", "行", "要", "有", "ok", "OK", "中")
_NO = ("不是", "不对", "没有", "不要", "不用", "不行", "不需要", "算了", "没", "不", "否", "无")
_FILLER = re.compile(r"^[哦噢喔啊呃额嗯那]+(?=[不没是对好])|[啊呀吧呢哦嘛啦的了。！!，,.\s～~]+$")
_CORRECTION = re.compile(
    r"不对|说错|搞错|弄错|写错|打错|改成|改为|改一下|更正|纠正|重新说|应该是|其实是|等等|"
    r"是[^，。,]{1,8}不是|不是[^，。,]{1,8}[，,]?是")


def _yes_no(text: str) -> str | None:
    t = text.strip()
    if t.startswith(("对了", "哦对了")):
        return None  # "by the way"
    t = _FILLER.sub("", t)
    t = _FILLER.sub("", t)
    for tokens, value in ((_NO, "no"), (_YES, "yes")):
        for tok in tokens:
            if t == tok or (t.startswith(tok) and len(t) > len(tok) and t[len(tok)] in "，,。 !！"):
                # 没有转诊 is a fact, not a bare no; 有 alone only as a whole answer.
                return value
    return None


# --- understand ---------------------------------------------------------------------------------

def _region_province(code: str | None, gz: Gazetteer) -> str | None:
    if not code:
        return None
    region = gz.catalogue.get(code) or gz.catalogue.pooling_region_for(code)
    return region.province_code if region else None


def understand(text: str, today: date, context: Context | None = None) -> Understanding:
    """Read one user message. `today` is the message's sent date in Asia/Shanghai."""
    context = context or Context()
    gz = get_gazetteer()
    values = context.values or {}
    expecting = context.expected_slot
    text = re.sub(r"(?<=\d)[\s-](?=\d)", "", (text or "").strip())[:500]
    u = Understanding()
    u.correction = bool(_CORRECTION.search(text))

    mentions = _refine(text, _scan(text, gz), gz)
    for m in mentions:
        _resolve(m, gz)
        _assign_role(text, m)
    mentions = [m for m in mentions if m.codes]
    u.mentions = [{"surface": m.surface, "codes": list(m.codes), "role": m.role, "score": m.score,
                   "reason": m.reason, "ambiguous": m.ambiguous} for m in mentions]
    _fill_regions(u, mentions, values, expecting, gz)

    u.scheme, u.scheme_ambiguous = _scheme(text, expecting)

    facts = _facts(text)
    if expecting == "filing_type" and not facts - {"retired", "temporary", "wintering"}:
        for code, pattern in _BARE_TYPE:
            if pattern.search(text):
                facts.add("type:" + code)
                break
    u.facts = frozenset(facts)
    prior = frozenset(values.get("facts") or ())
    u.filing_type, u.filing_type_reason = derive_filing_type(u.facts, prior)
    if u.filing_type is None:
        if "temporary" in facts:
            u.filing_group = "temporary"
        elif facts & (LONG_TERM_FACTS - {"retired"}):
            u.filing_group = "long_term"

    u.start_date = parse_start_date(text, today)

    phone = _PHONE.search(text)
    if phone:
        u.contact_phone = phone.group(1).replace("-", "")
    name = next((mt.group("name") for mt in _NAME.finditer(text)
                 if not _NOT_A_NAME.search(mt.group("name"))), None)
    if name:
        u.contact_name = name
    elif (expecting == "contact_name" and not mentions
          and re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", _FILLER.sub("", text))
          and _yes_no(text) is None):
        u.contact_name = _FILLER.sub("", text)

    u.yes_no = _yes_no(text)
    u.question_intent = faq.detect_question(text)
    return u


def _fill_regions(u: Understanding, mentions: list[_Mention], values: Mapping[str, Any],
                  expecting: str | None, gz: Gazetteer) -> None:
    negated = {c for m in mentions if m.role == "other" for c in m.codes}
    neutral = [m for m in mentions if m.role is None and m.reason != "study"]
    # 新疆……石河子: a province said before a city inside it adds nothing to the city.
    neutral = [m for m in neutral if not (m.is_province and any(
        n is not m and not n.is_province and _region_province(n.codes[0], gz) == m.codes[0]
        for n in neutral))]

    # Bare or corrected names without a cue go to the slot the dialog asked for or the one corrected.
    if neutral:
        target = None
        if u.correction:
            for slot in REGION_SLOTS:
                if values.get(slot) and values.get(slot) in negated:
                    target = slot
            target = target or next((s for s in reversed(values.get("last_slots") or ())
                                     if s in REGION_SLOTS), None)
        province = _region_province(neutral[0].codes[0], gz)
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
            cands = [m for m in cands if not (insured_known and m.codes == (insured_known,))]
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
                if not best.ambiguous and _region_province(best.codes[0], gz) != p.codes[0] \
                        and p.score > best.score:
                    setattr(u, slot, None)
                    setattr(u, slot.replace("region", "province"), p.codes[0])
        else:
            p = max(provinces, key=lambda m: (m.score, m.start))
            setattr(u, slot.replace("region", "province"), p.codes[0])


def _cross_province(m: _Mention, insured: str | None, gz: Gazetteer, slot: str) -> bool:
    if slot != VISIT or not insured or m.ambiguous:
        return True
    return _region_province(m.codes[0], gz) != _region_province(insured, gz)


# --- merge --------------------------------------------------------------------------------------

def merge(state: Mapping[str, Any], u: Understanding) -> dict[str, Any]:
    """Apply one message's findings to the slot state (JSON-friendly), latest statement wins.

    Besides the draft slots the state keeps: insured_province_code / visit_province_code (a
    province named without a city), pending (ambiguities to ask about), scheme_ambiguous,
    filing_type_reason, facts (what earlier messages established, for the filing type) and
    last_slots (what the latest message filled, for a following correction).
    """
    out = dict(state)
    gz = get_gazetteer()
    filled: list[str] = []
    pending = [p for p in (out.get("pending") or ())]

    for slot in REGION_SLOTS:
        hint_key = slot.replace("region", "province")
        code = getattr(u, slot)
        hint = getattr(u, hint_key)
        if code and out.get(slot) and out[slot] != code and not u.correction \
                and u.strength.get(slot, 3) < 3:
            code = None  # a passing mention does not undo a place stated clearly before
        if code:
            out[slot] = code
            out[hint_key] = None
            pending = [p for p in pending if p["slot"] != slot]
            filled.append(slot)
        elif hint:
            if out.get(slot) and _region_province(out[slot], gz) != hint:
                out[slot] = None  # a different province replaces the city said before
            out[hint_key] = hint
            pending = [p for p in pending if p["slot"] != slot]
            filled.append(slot)
    for amb in u.ambiguities:
        pending = [p for p in pending if p["slot"] != amb.slot]
        pending.append({"slot": amb.slot, "surface": amb.surface,
                        "options": [{"value": o.value, "label": o.label} for o in amb.options]})
    out["pending"] = pending

    if u.scheme:
        out["scheme"] = u.scheme
        out["scheme_ambiguous"] = False
        filled.append("scheme")
    elif u.scheme_ambiguous and not out.get("scheme"):
        out["scheme_ambiguous"] = True

    prior = set(out.get("facts") or ())
    filing_type, reason = derive_filing_type(u.facts, frozenset(prior))
    if filing_type is None and u.filing_type:
        filing_type, reason = u.filing_type, u.filing_type_reason
    if "hukou_moved" in u.facts:
        prior.discard("hukou_not_moved")
    if "hukou_not_moved" in u.facts:
        prior.discard("hukou_moved")
    out["facts"] = sorted(prior | {f for f in u.facts if not f.startswith("type:")})
    if filing_type:
        out["filing_type"] = filing_type
        out["filing_type_reason"] = reason
        filled.append("filing_type")
    if u.filing_group and not out.get("filing_type"):
        out["filing_group"] = u.filing_group

    if u.start_date:
        out["start_date"] = u.start_date.isoformat()
        filled.append("start_date")
    for key in ("contact_name", "contact_phone"):
        if getattr(u, key):
            out[key] = getattr(u, key)
            filled.append(key)
    out["last_slots"] = filled
    return out
