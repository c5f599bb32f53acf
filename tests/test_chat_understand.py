"""Language understanding for the chat: places and their roles, scheme, filing type, dates,
corrections, contact, yes/no, and the development set run turn by turn."""
from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from server.chat.understand import (Context, derive_filing_type, merge, parse_start_date,
                                    understand)
from server.regions.catalogue import get_catalogue

TODAY = date(2026, 11, 24)  # a Tuesday
DEV_SET = Path(__file__).resolve().parent / "data" / "chat_dev_set.jsonl"
ASK_ORDER = ("insured_region_code", "visit_region_code", "scheme", "filing_type")


def name_of(code):
    region = get_catalogue().get(code) if code else None
    return region.name if region else None


def converse(turns, today=TODAY):
    """Run turns through understand+merge; the stand-in dialog asks for the first missing slot."""
    state: dict = {}
    for text in turns:
        expecting = next((s for s in ASK_ORDER if not state.get(s)), None)
        state = merge(state, understand(text, today, Context(expecting=expecting, values=state)))
    return state


def names(text, context=None):
    u = understand(text, TODAY, context)
    return name_of(u.insured_region_code), name_of(u.visit_region_code)


# --- places ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, insured, visit", [
    ("医保在河北邯郸，我想去河南安阳的医院看看", "邯郸市", "安阳市"),
    ("我参保在浙江义乌，去上海看病", "金华市", "上海市"),  # county-level city -> its prefecture
    ("我是上海浦东的职工医保，去海淀看病", "上海市", "北京市"),  # municipal districts
    ("医保在渝北，要去成都", "重庆市", "成都市"),
    ("在延边旅游突发脑梗，医保在山东青岛", "青岛市", "延边朝鲜族自治州"),
    ("医保在四川凉山，想去昆明看病", "凉山彝族自治州", "昆明市"),
    ("我是西双版纳的居民医保，去广州看病", "西双版纳傣族自治州", "广州市"),
    ("我是湖北仙桃的职工医保，想去长沙看病", "仙桃市", "长沙市"),  # 省直辖县级
    ("医保在辽宁朝阳，去北京看病", "朝阳市", "北京市"),  # province written before: no ambiguity
    ("我在天津河北区参保，去石家庄看病", "天津市", "石家庄市"),  # 河北区 is not 河北省
])
def test_places_and_roles(text, insured, visit):
    assert names(text) == (insured, visit)


@pytest.mark.parametrize("text, visit", [
    ("医保在宝鸡，现在在昆明延安医院住院", "昆明市"),  # 延安 is the hospital's name
    ("医保在江西，要去上海瑞金医院", "上海市"),
    ("医保在沈阳，要去北京朝阳医院看病", "北京市"),
    ("医保在长沙，要去广州的中山一院", "广州市"),
    ("我医保在湖南浏阳，转诊去中山一院", "广州市"),  # no city: the hand-kept hospital table
    ("医保在太原，转到北京阜外医院", "北京市"),
    ("医保在九江，要去南昌大学一附院", "南昌市"),  # a city before a university's name is a place
    ("医保在阜阳，要去郑州大学第一附属医院", "郑州市"),
    ("医保在阜阳，要去郑大一附院", "郑州市"),
    ("医保在恩施，要去新桥医院", "重庆市"),
    ("医保在赣州，想去湘雅做手术", "长沙市"),
    ("医保在曲靖，转去南方医院", "广州市"),
    ("医保在西宁，要去华西医院", "成都市"),
    ("医保在赤峰，要去北京协和", "北京市"),
    ("医保在襄阳，我要去湖南省人民医院", "长沙市"),  # provincial hospital: the capital
    ("医保在北京，去深圳的北大医院", "深圳市"),  # a city written before a table name wins
    ("医保在南京，去北京中山路那边", "北京市"),  # street names are not places
])
def test_place_names_inside_hospital_names(text, visit):
    assert names(text)[1] == visit


@pytest.mark.parametrize("text, surface, labels", [
    ("医保在吉林，要去北京看病", "吉林", {"吉林省吉林市", "吉林省（其他城市）"}),
    ("我在朝阳参保，去天津看病", "朝阳", {"辽宁省朝阳市", "北京市朝阳区"}),
])
def test_ambiguous_names_ask_with_options(text, surface, labels):
    u = understand(text, TODAY)
    assert u.insured_region_code is None
    (amb,) = u.ambiguities
    assert amb.slot == "insured_region_code" and amb.surface == surface
    assert {o.label for o in amb.options} == labels
    state = merge({}, u)
    assert state["pending"][0]["slot"] == "insured_region_code"
    # The answer to the question resolves it and clears the pending question.
    state = merge(state, understand("辽宁朝阳", TODAY, Context("insured", state)))
    assert state["insured_region_code"] in ("211300", "220200") and state["pending"] == []


def test_province_alone_narrows_but_does_not_fill():
    u = understand("我医保在江苏，去上海看病", TODAY)
    assert u.insured_region_code is None and u.insured_province_code == "320000"
    assert name_of(u.visit_region_code) == "上海市"
    state = merge({}, u)
    assert state["insured_province_code"] == "320000" and not state.get("insured_region_code")
    state = merge(state, understand("徐州", TODAY, Context("insured", state)))
    assert state["insured_region_code"] == "320300" and state["insured_province_code"] is None


def test_city_after_a_province_said_for_the_same_slot():
    u = understand("我是江苏的职工医保，徐州的", TODAY, Context("visit"))
    assert name_of(u.insured_region_code) == "徐州市"


def test_visit_province_hint_with_a_city_in_it_is_dropped():
    u = understand("来云南旅游突发脑梗，现在在昆明住院，医保在陕西宝鸡", TODAY)
    assert name_of(u.visit_region_code) == "昆明市" and u.visit_province_code is None


@pytest.mark.parametrize("text, insured, visit", [
    ("我老家是河南周口的，户口也还在周口，医保是在浙江嘉兴单位交的，想去上海看病", "嘉兴市", "上海市"),
    ("我出生在甘肃天水，后来在上海松江工作参保，去九寨沟旅游摔伤了", "上海市", "阿坝藏族羌族自治州"),
    ("我是黑龙江齐齐哈尔人，医保在哈尔滨，去三亚过冬", "哈尔滨市", "三亚市"),
    ("我在上海工作，医保也在上海，想回老家安徽阜阳看病", "上海市", "阜阳市"),
    ("我是在深圳打工的，医保在老家湖南邵阳交的新农合，去广州看病", "邵阳市", "广州市"),
    ("户口迁到厦门了，医保在九江", "九江市", "厦门市"),
    ("我住在江苏太仓，医保也在太仓单位交的，想去上海看病", "苏州市", "上海市"),
    ("孩子在福州上大学，学生医保是学校统一在福州交的，寒假回江西上饶老家做手术", "福州市", "上饶市"),
])
def test_hometown_hukou_and_birthplace_are_not_the_insured_place(text, insured, visit):
    assert names(text) == (insured, visit)


def test_a_relatives_home_is_a_visit_place_never_the_insured_place():
    u = understand("女儿在太原", TODAY, Context("insured"))
    assert u.insured_region_code is None and name_of(u.visit_region_code) == "太原市"


def test_bare_place_fills_the_slot_asked_for():
    assert names("徐州", Context("insured")) == ("徐州市", None)
    assert names("济南", Context("visit_region_code")) == (None, "济南市")
    assert names("医保在徐州", Context("visit")) == ("徐州市", None)  # a cue beats the question


def test_hometown_answer_does_not_fill_the_asked_slot():
    assert names("我是黑龙江齐齐哈尔人", Context("insured")) == (None, None)


# --- scheme ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, scheme", [
    ("职工", "employee"), ("单位交的", "employee"), ("公司交的", "employee"),
    ("社保是厂里交的", "employee"), ("退休职工", "employee"), ("城镇职工医保", "employee"),
    ("社保是公司在北京海淀交的", "employee"), ("单位给买的医保", "employee"),
    ("居民医保", "resident"), ("新农合", "resident"), ("农合", "resident"),
    ("学生医保", "resident"), ("城乡居民", "resident"), ("城镇居民医保", "resident"),
    ("我不是职工，是城镇居民医保", "resident"), ("哦不对，我是单位交的职工医保", "employee"),
])
def test_scheme(text, scheme):
    assert understand(text, TODAY).scheme == scheme


def test_bare_scheme_answers_and_flexible_employment():
    assert understand("居民", TODAY, Context("scheme")).scheme == "resident"
    u = understand("灵活就业，自己交的", TODAY, Context("scheme"))
    assert u.scheme is None and u.scheme_ambiguous
    assert not understand("我有居民身份证", TODAY).scheme
    state = merge({"scheme": "employee"}, u)
    assert state["scheme"] == "employee"  # an ambiguous answer does not undo a clear one


# --- filing type ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, filing_type", [
    ("退休后户口已经迁到厦门女儿那边了", "retiree_relocated"),
    ("想办个异地安置备案", "retiree_relocated"),
    ("这几年一直跟我们在杭州住，已经办了居住证", "long_term_resident"),
    ("常年住在深圳我家，想办长期居住的备案", "long_term_resident"),
    ("退休了跟儿子住重庆九龙坡，户口没迁", "long_term_resident"),
    ("公司派我去贵阳分公司常驻两年", "resident_worker"),
    ("单位把我派到乌鲁木齐项目部长期驻点", "resident_worker"),
    ("县医院给开了转诊单", "referral"),
    ("太原这边医院开了转院证明", "referral"),
    ("送急诊抢救了", "emergency"),
    ("旅游时突发心梗", "emergency"),
    ("没有转诊，我自己想去看看", "other_temporary"),
    ("我自己过去，医院没给开转诊", "other_temporary"),
    ("自己回去看病", "other_temporary"),
    ("在三亚过冬，已经住了三个多月", None),  # wintering alone: ask
    ("户口没迁", None),
])
def test_filing_type(text, filing_type):
    assert understand(text, TODAY).filing_type == filing_type


def test_filing_type_builds_on_earlier_turns():
    assert converse(["我爸在汉中参保的，退休职工", "户口已经迁到珠海了"])["filing_type"] == "retiree_relocated"
    assert converse(["我退休了，想去女儿那边长住", "户口没迁，就是住过去"])["filing_type"] == "long_term_resident"
    # A later referral slip replaces the temporary group first named.
    state = converse(["我想办临时外出就医", "萍乡的医院给我开了转诊单的"])
    assert state["filing_type"] == "referral"


def test_derive_filing_type_negations():
    assert derive_filing_type({"hukou_not_moved", "retired"}) == (
        "long_term_resident", "retired, living there without moving hukou")
    assert derive_filing_type({"retired"})[0] is None
    assert derive_filing_type({"hukou_moved"}, {"retired"})[0] == "retiree_relocated"


def test_bare_filing_type_answer():
    assert understand("急诊", TODAY, Context("filing_type")).filing_type == "emergency"
    assert understand("其他", TODAY, Context("filing_type")).filing_type == "other_temporary"


# --- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("今天就要去桂林住院了", "2026-11-24"), ("明天", "2026-11-25"), ("后天去", "2026-11-26"),
    ("大后天去", "2026-11-27"), ("昨天住的院", "2026-11-23"), ("前天", "2026-11-22"),
    ("下周三入院", "2026-12-02"), ("这周五过去", "2026-11-27"), ("下下周一", "2026-12-07"),
    ("下周一", "2026-11-30"), ("周一去", "2026-11-30"), ("星期天出发", "2026-11-29"),
    ("3天后去天津复查", "2026-11-27"), ("三天后", "2026-11-27"), ("过两天去", "2026-11-26"),
    ("下个月5号", "2026-12-05"), ("下个月3号去福建龙岩看病", "2026-12-03"),
    ("已经住院三天了", "2026-11-21"), ("住院两天了", "2026-11-22"),
    ("12月3号", "2026-12-03"), ("11月28号去西宁", "2026-11-28"), ("十二月十号", "2026-12-10"),
    ("2027年1月5日", "2027-01-05"), ("1月5号", "2027-01-05"), ("明年5月31日", "2027-05-31"),
    ("2026-12-03", "2026-12-03"), ("5号去", "2026-12-05"), ("20号住的院了", "2026-11-20"),
    ("哦改成下个月5号吧，3号走不开", "2026-12-05"),
    ("备案从12月1日开始到明年5月31日", "2026-12-01"),
])
def test_dates(text, expected):
    assert parse_start_date(text, TODAY).isoformat() == expected


@pytest.mark.parametrize("text", ["寒假回去", "过年去", "要住院三天", "已经住了三个多月", "常驻两年", "下个月初去"])
def test_not_dates(text):
    assert parse_start_date(text, TODAY) is None


# --- corrections ----------------------------------------------------------------------------------

def test_corrections_latest_wins():
    assert name_of(converse(["医保在无锡", "不对，是常州"])["insured_region_code"]) == "常州市"
    assert name_of(converse(["去杭州看病", "不是杭州，是宁波"])["visit_region_code"]) == "宁波市"
    state = converse(["医保在宁波", "去合肥", "不对，是去武汉，合肥是我同事要去"])
    assert name_of(state["visit_region_code"]) == "武汉市"
    state = converse(["医保在兰州", "哦说错了，参保地是天水"])
    assert name_of(state["insured_region_code"]) == "天水市"
    assert understand("说错了，医保在马鞍山", TODAY).correction
    assert not understand("哦对了，萍乡的医院给我开了转诊单的", TODAY).correction


def test_over_answering_takes_every_slot():
    u = understand("公司派我到南京常驻，明天就过去报到，医保在安徽滁州单位交的，联系电话13912345678", TODAY)
    assert u.slots() == {"insured_region_code": "341100", "visit_region_code": "320100",
                         "scheme": "employee", "filing_type": "resident_worker",
                         "start_date": "2026-11-25", "contact_phone": "13912345678"}


# --- contact, yes/no, questions -------------------------------------------------------------------

def test_contact():
    u = understand("联系人写我女儿，叫李梅，电话138 0000 1111", TODAY)
    assert (u.contact_name, u.contact_phone) == ("李梅", "13800001111")
    assert understand("我叫张建国，电话13912345678", TODAY).contact_name == "张建国"
    assert understand("王小红", TODAY, Context("contact_name")).contact_name == "王小红"
    assert understand("王小红", TODAY).contact_name is None


@pytest.mark.parametrize("text, answer", [
    ("是", "yes"), ("是的", "yes"), ("对", "yes"), ("嗯", "yes"), ("好的", "yes"), ("嗯，对", "yes"),
    ("没有", "no"), ("不是", "no"), ("没有，自己去的", "no"), ("不用了", "no"),
    ("哦对了，还有个事", None), ("没有转诊", None), ("医保在徐州", None),
])
def test_yes_no(text, answer):
    assert understand(text, TODAY).yes_no == answer


def test_question_intent_rides_along_with_slots():
    u = understand("在大理旅游时突发心梗，我是浙江温州的城镇职工医保，现在能补办备案吗？", TODAY)
    assert u.question_intent == "file_before_discharge" and u.filing_type == "emergency"


# --- development set ------------------------------------------------------------------------------

def _dev_cases():
    with open(DEV_SET, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _score(case) -> dict[str, tuple]:
    state = converse(case["turns"])
    got = {"insured_region": name_of(state.get("insured_region_code")),
           "visit_region": name_of(state.get("visit_region_code")),
           "scheme": state.get("scheme"), "filing_type": state.get("filing_type"),
           "start_date": state.get("start_date")}
    return {slot: (want, got[slot]) for slot, want in case["expect"].items()}


def test_dev_set_every_case():
    per_slot: Counter = Counter()
    per_slot_ok: Counter = Counter()
    failures = []
    cases = _dev_cases()
    for case in cases:
        wrong = {}
        for slot, (want, got) in _score(case).items():
            per_slot[slot] += 1
            if want == got:
                per_slot_ok[slot] += 1
            else:
                wrong[slot] = (want, got)
        if wrong:
            failures.append((case["id"], wrong))
    print("\nper-slot accuracy:")
    for slot in sorted(per_slot):
        print(f"  {slot:15} {per_slot_ok[slot]}/{per_slot[slot]}")
    print(f"cases right: {len(cases) - len(failures)}/{len(cases)}")
    assert not failures, failures


# Sentences of our own in the style of the development set (other places, other wordings), so the
# rules are held to the language rather than to the 45 sentences above.
OWN_CASES = [
    (["我是河南南阳的职工医保，退休了，户口已经迁到海南三亚，以后就在那边养老。"],
     {"insured_region": "南阳市", "visit_region": "三亚市", "scheme": "employee", "filing_type": "retiree_relocated"}),
    (["我爸医保在贵州遵义，新农合，他跟我在上海浦东住了五六年了，办了居住证。"],
     {"insured_region": "遵义市", "visit_region": "上海市", "scheme": "resident", "filing_type": "long_term_resident"}),
    (["公司把我外派到成都常驻，社保是公司在北京海淀交的。"],
     {"insured_region": "北京市", "visit_region": "成都市", "scheme": "employee", "filing_type": "resident_worker"}),
    (["我是义乌的居民医保，县医院开了转院证明，要去上海瑞金医院看病。"],
     {"insured_region": "金华市", "visit_region": "上海市", "scheme": "resident", "filing_type": "referral"}),
    (["在延边旅游的时候突然晕倒了，被送到医院抢救，我医保在山东青岛，单位交的。"],
     {"insured_region": "青岛市", "visit_region": "延边朝鲜族自治州", "scheme": "employee", "filing_type": "emergency"}),
    (["医保在四川凉山，居民医保，想自己去昆明看病，没有转诊。"],
     {"insured_region": "凉山彝族自治州", "visit_region": "昆明市", "scheme": "resident", "filing_type": "other_temporary"}),
    (["我在西双版纳参保的，农合，下周一去广州中山一院复查，医生开了转诊单。"],
     {"insured_region": "西双版纳傣族自治州", "visit_region": "广州市", "scheme": "resident",
      "filing_type": "referral", "start_date": "2026-11-30"}),
    (["我是重庆渝北的职工医保，去华西医院看病，这周五过去。"],
     {"insured_region": "重庆市", "visit_region": "成都市", "scheme": "employee", "start_date": "2026-11-27"}),
    (["想去湘雅做手术", "参保在江西赣州", "城乡居民", "赣州市人民医院开了转诊"],
     {"insured_region": "赣州市", "visit_region": "长沙市", "scheme": "resident", "filing_type": "referral"}),
    (["我老家是四川南充的，但是医保在深圳交的职工医保，想回南充看病，自己回去。"],
     {"insured_region": "深圳市", "visit_region": "南充市", "scheme": "employee", "filing_type": "other_temporary"}),
    (["我已经住院两天了，在北京协和，医保是河北保定的城乡居民医保，急诊进来的。"],
     {"insured_region": "保定市", "visit_region": "北京市", "scheme": "resident", "filing_type": "emergency",
      "start_date": "2026-11-22"}),
    (["十二月十号去杭州，医保在江西景德镇，职工。"],
     {"insured_region": "景德镇市", "visit_region": "杭州市", "scheme": "employee", "start_date": "2026-12-10"}),
    (["单位在苏州昆山，职工医保，准备去南京鼓楼医院看病"],
     {"insured_region": "苏州市", "visit_region": "南京市", "scheme": "employee"}),
    (["我母亲是江苏南通的居民医保，去年开始一直跟我在北京朝阳住，户口没迁。"],
     {"insured_region": "南通市", "visit_region": "北京市", "scheme": "resident", "filing_type": "long_term_resident"}),
    (["昨天晚上在武汉突发心脏病住进了医院，医保在河南信阳，职工医保。"],
     {"insured_region": "信阳市", "visit_region": "武汉市", "scheme": "employee", "filing_type": "emergency",
      "start_date": "2026-11-23"}),
    (["我人在广州，医保在广西玉林，昨天急诊住的院"],
     {"insured_region": "玉林市", "visit_region": "广州市", "filing_type": "emergency", "start_date": "2026-11-23"}),
    (["医保在上海，退休后回老家江苏盐城定居了，户口也迁回去了"],
     {"insured_region": "上海市", "visit_region": "盐城市", "filing_type": "retiree_relocated"}),
    (["我去年从合肥搬到了南京，医保还在合肥"], {"insured_region": "合肥市", "visit_region": "南京市"}),
    (["我们是伊犁的居民医保，准备去乌鲁木齐……不对，去西安"],
     {"insured_region": "伊犁哈萨克自治州", "visit_region": "西安市", "scheme": "resident"}),
    (["在北京朝阳区住了十年了，医保在河北邢台，有居住证"],
     {"insured_region": "邢台市", "visit_region": "北京市", "filing_type": "long_term_resident"}),
    (["我是灵活就业自己交的医保，参保在东莞，想去江西赣州看病"],
     {"insured_region": "东莞市", "visit_region": "赣州市", "scheme": None}),
    (["参保地：江苏连云港；就医地：上海"], {"insured_region": "连云港市", "visit_region": "上海市"}),
    (["我在深圳，医保是湖北荆州的"], {"insured_region": "荆州市", "visit_region": "深圳市"}),
    (["我从河南商丘来上海看病"], {"insured_region": "商丘市", "visit_region": "上海市"}),
    (["我医保是在老家甘肃定西交的，我现在在新疆库尔勒打工，想在这边看病"],
     {"insured_region": "定西市", "visit_region": "巴音郭楞蒙古自治州"}),
    (["去广东", "广州"], {"visit_region": "广州市", "insured_region": None}),
    (["我爸是安徽蚌埠的退休职工，现在住我家在宁波，住了三年了"],
     {"insured_region": "蚌埠市", "visit_region": "宁波市", "scheme": "employee", "filing_type": "long_term_resident"}),
    (["我是天津滨海新区的职工医保，退休后跟闺女在秦皇岛住，户口迁过去了"],
     {"insured_region": "天津市", "visit_region": "秦皇岛市", "scheme": "employee", "filing_type": "retiree_relocated"}),
    (["周口是我老家，医保在嘉兴，去上海"], {"insured_region": "嘉兴市", "visit_region": "上海市"}),
    (["参保城市是合肥，随子女到广州生活多年"],
     {"insured_region": "合肥市", "visit_region": "广州市", "filing_type": "long_term_resident"}),
    (["我是宁夏银川的职工医保，单位派我到西安驻点两年"],
     {"insured_region": "银川市", "visit_region": "西安市", "scheme": "employee", "filing_type": "resident_worker"}),
    (["医保在山东菏泽", "去河南开封", "不对，改成郑州"], {"insured_region": "菏泽市", "visit_region": "郑州市"}),
    (["去三亚旅游摔伤了，医保在哈尔滨"],
     {"insured_region": "哈尔滨市", "visit_region": "三亚市", "filing_type": "emergency"}),
    (["你好", "帮我爸办一下", "他的医保在西藏昌都", "要去成都华西", "新农合", "华西开了转诊"],
     {"insured_region": "昌都市", "visit_region": "成都市", "scheme": "resident"}),
]


@pytest.mark.parametrize("turns, expect", OWN_CASES, ids=[t[0][0][:12] for t in OWN_CASES])
def test_own_sentences(turns, expect):
    scored = _score({"turns": turns, "expect": expect})
    assert {k: got for k, (_, got) in scored.items()} == expect
