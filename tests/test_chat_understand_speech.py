"""Understanding real speech (issue 13): phrasings people actually post, each capability on its own.

Pure: `understand` and `merge` only, no Flask. Sentences are the issue's examples and real-world
phrasings of the same shapes (hotline questions, message boards, news quotes)."""
from __future__ import annotations

from datetime import date

import pytest

from server.chat.understand import (INSURED, VISIT, Context, RoleAmbiguity, merge,
                                    parse_start_date, understand)
from server.chat.understand.normalise import normalise
from server.regions.catalogue import get_catalogue

TODAY = date(2026, 11, 24)  # a Tuesday


def name_of(code):
    region = get_catalogue().get(code) if code else None
    return region.name if region else None


def places(text, context=None):
    u = understand(text, TODAY, context)
    return name_of(u.insured_region_code), name_of(u.visit_region_code)


# --- place roles from the shape of the sentence ----------------------------------------------------

@pytest.mark.parametrize("text, insured, visit", [
    ("我们是在老家临汾参加的职工医保,在秦皇岛不承认", "临汾市", "秦皇岛市"),
    ("原来在乌鲁木齐看病配药，现在只能自费再把发票寄回去报销", "乌鲁木齐市", None),
    ("外地患者在北京医保怎么用啊", None, "北京市"),
    ("我想问问这些费用回郑州能报销吗", "郑州市", None),
    ("发票寄回宜宾报销要带什么", "宜宾市", None),
    ("老家在河南周口参的保，现在在苏州带孙子", "周口市", "苏州市"),
    ("我在广州住院，医保卡在广州不能直接结算", None, "广州市"),
    ("河北的医保在北京能用吗", None, "北京市"),
    ("我在上海生孩子，医保在安徽蚌埠", "蚌埠市", "上海市"),
    ("北京退休人员异地就医备案", "北京市", None),
    ("退休后异地安置到三亚，医保在沈阳", "沈阳市", "三亚市"),
    ("郑州住院报销比例是多少", "郑州市", None),
    ("厦门医保政策2024", "厦门市", None),
    ("新农合怎么报销比例多少啊河南周口", "周口市", None),
    ("去北京看病怎么报销啊河南周口", "周口市", "北京市"),  # the other place is the insured one
    ("备案地选成都，参保在重庆", "重庆市", "成都市"),
    ("在北京垫付了三万多，医保在河北保定", "保定市", "北京市"),
    ("单位派我去深圳，医保在长沙", "长沙市", "深圳市"),
    ("户口迁到海口了，医保还在哈尔滨", "哈尔滨市", "海口市"),
])
def test_roles_from_sentence_shape(text, insured, visit):
    assert places(text) == (insured, visit)


def test_a_place_treated_before_without_a_claim_back_is_not_guessed():
    u = understand("原来在乌鲁木齐看病", TODAY)
    assert u.insured_region_code is None and u.visit_region_code is None
    assert [r.surface for r in u.role_ambiguities] == ["乌鲁木齐"]


# --- abbreviations, brackets, traditional characters ----------------------------------------------

@pytest.mark.parametrize("text, visit", [
    ("不能在沪使用", "上海市"),
    ("赴京就医需要备案吗", "北京市"),
    ("来穗看病的外地人", "广州市"),
    ("在蓉住院三天了", "成都市"),
    ("不得不来(上海)做这个心脏手术", "上海市"),
    ("要去【杭州】看病", "杭州市"),
])
def test_abbreviations_and_brackets(text, visit):
    assert places(text)[1] == visit


@pytest.mark.parametrize("text, province", [("退休后回湘定居", "湖南省"), ("来粤就医", "广东省"),
                                            ("赴滇旅游突发疾病", "云南省")])
def test_province_abbreviations_narrow_the_visit_place(text, province):
    assert name_of(understand(text, TODAY).visit_province_code) == province


@pytest.mark.parametrize("text", ["我在京东买的药", "去豫园玩了一天", "单位发的津贴", "沪深两市", "北京"])
def test_abbreviation_characters_elsewhere_are_no_place(text):
    u = understand(text, TODAY)
    assert not any(m["surface"] in ("京", "豫", "津", "沪") for m in u.mentions)


def test_traditional_characters():
    assert places("醫保在鄭州，去北京看病") == ("郑州市", "北京市")
    assert normalise("我們在臺灣") == "我们在台湾"
    assert normalise("我们在台湾") == "我们在台湾"  # simplified text is left as it is


@pytest.mark.parametrize("text", ["医保在 郑州，去 北京看病", "参保：郑州；就医：北京", "医保在郑州!去北京看病?"])
def test_spaces_and_punctuation(text):
    assert places(text) == ("郑州市", "北京市")


def test_full_width_digits_and_ellipses():
    assert normalise("１３９１２３４５６７８") == "13912345678"
    assert "，" in normalise("乌鲁木齐……不对")


# --- hospitals ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, visit", [
    ("急送泸州中医院抢救", "泸州市"),
    ("去湘雅看病", "长沙市"),
    ("在华西住院", "成都市"),
    ("要到瑞金医院做手术", "上海市"),
    ("北京的协和医院挂上号了", "北京市"),
    ("武汉协和", "武汉市"),
])
def test_hospitals_locate_the_visit_place(text, visit):
    assert places(text)[1] == visit


@pytest.mark.parametrize("text, cities", [
    ("去协和医院看病", {"北京市", "武汉市", "福州市"}),
    ("准备去同济医院复查", {"武汉市", "上海市"}),
])
def test_shared_hospital_names_are_asked(text, cities):
    u = understand(text, TODAY)
    assert u.visit_region_code is None
    (amb,) = u.ambiguities
    assert amb.slot == VISIT and {name_of(o.value) for o in amb.options} == cities
    assert all("医院" in o.label for o in amb.options)


# --- towns and former counties --------------------------------------------------------------------

@pytest.mark.parametrize("text, insured, visit", [
    ("我住在燕郊，医保在北京", "北京市", "廊坊市"),
    ("医保在南溪县，去重庆看病", "宜宾市", "重庆市"),
    ("医保在上海，退休后去横店定居了", "上海市", "金华市"),
])
def test_towns_and_former_counties(text, insured, visit):
    assert places(text) == (insured, visit)


# --- the filing type, read as a careful person would ----------------------------------------------

@pytest.mark.parametrize("text, filing_type", [
    ("回老家看病", "other_temporary"),
    ("寒假回乌鲁木齐", "other_temporary"),
    ("退休后户口跟着女儿迁去了海口", "retiree_relocated"),
    ("类型是转诊……不对，我是自己去的", "other_temporary"),
    ("我是急诊进去的，哦不，说错了，是医院开了转诊单转过去的", "referral"),
])
def test_filing_type_careful_reading(text, filing_type):
    assert understand(text, TODAY).filing_type == filing_type


def test_a_type_the_text_does_not_settle_is_left_open_with_candidates():
    u = understand("我想办个临时外出就医", TODAY)
    assert u.filing_type is None
    assert set(u.filing_type_candidates) == {"referral", "emergency", "other_temporary"}
    u = understand("户口还没迁过去", TODAY)
    assert u.filing_type is None
    assert set(u.filing_type_candidates) == {"retiree_relocated", "long_term_resident", "resident_worker"}
    assert understand("我妈退休了，上个月在北京做了手术", TODAY).filing_type_candidates == ()


def test_retired_with_hukou_moved_across_turns():
    state = merge({}, understand("我是南阳的职工医保，退休了", TODAY))
    state = merge(state, understand("户口跟着女儿迁去了海口", TODAY, Context("visit", state)))
    assert state["filing_type"] == "retiree_relocated"
    assert name_of(state[VISIT]) == "海口市"


# --- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("上一年8月16日在上海住院", date(2025, 8, 16)),
    ("去年12月3号住进去的", date(2025, 12, 3)),
    ("前年的5月1日", date(2024, 5, 1)),
    ("8月16日住的院，一直没出院", date(2026, 8, 16)),  # told as done: not next August
    ("12月3号住进去的", date(2025, 12, 3)),  # said in November: last December
    ("1月5号去", date(2027, 1, 5)),  # a plan: the coming January
    ("上个月5号住的院", date(2026, 10, 5)),
    ("前天住进去的", date(2026, 11, 22)),
    ("昨晚送的急诊", date(2026, 11, 23)),
    ("明天就去……哦不，改到后天了", date(2026, 11, 26)),
    ("周五走，不对，下周一", date(2026, 11, 30)),
])
def test_relative_dates(text, expected):
    assert parse_start_date(text, TODAY) == expected


def test_a_date_corrected_in_a_later_turn():
    state = merge({}, understand("明天就去", TODAY))
    assert state["start_date"] == "2026-11-25"
    state = merge(state, understand("哦不，改到后天了", TODAY, Context("start_date", state)))
    assert state["start_date"] == "2026-11-26"


def test_a_stay_ending_on_a_date_is_no_start():
    assert parse_start_date("住到12月10号", TODAY) is None


# --- family words ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, relation", [
    ("我妈医保在郑州，在北京做了手术", "parent"),
    ("帮我爸办一下", "parent"),
    ("老伴的医保在临汾", "spouse"),
    ("孩子在上海读书，医保在南阳", "child"),
    ("我老公单位派他去深圳", "spouse"),
    ("帮父母办理异地就医备案", "parent"),
])
def test_family_words_name_whom_the_filing_is_for(text, relation):
    assert understand(text, TODAY).relation == relation


@pytest.mark.parametrize("text", ["我跟女儿在秦皇岛住", "女儿在太原", "去儿子那边住", "因为妈妈生病我请了假",
                                  "我女儿在北京工作，我去她那养老"])
def test_relatives_mentioned_in_passing_are_not_the_person(text):
    assert understand(text, TODAY).relation is None


# --- never guess ----------------------------------------------------------------------------------

def test_a_place_without_a_role_is_flagged_with_both_slots():
    u = understand("郑州，北京", TODAY)
    assert u.insured_region_code is None and u.visit_region_code is None
    assert [(r.surface, r.slots) for r in u.role_ambiguities] == [
        ("郑州", (INSURED, VISIT)), ("北京", (INSURED, VISIT))]
    assert isinstance(u.role_ambiguities[0], RoleAmbiguity)


def test_a_bare_place_asked_for_is_no_ambiguity():
    u = understand("北京", TODAY, Context("visit"))
    assert name_of(u.visit_region_code) == "北京市" and not u.role_ambiguities


def test_both_places_in_one_province_are_flagged():
    u = understand("医保在成都，去绵阳看病", TODAY)
    assert u.same_province
    assert not understand("医保在成都，去北京看病", TODAY).same_province
    state = merge({}, understand("医保在福州", TODAY))
    assert understand("去厦门看病", TODAY, Context("visit", state)).same_province


# --- robustness -----------------------------------------------------------------------------------

def test_any_text_is_read_without_error():
    """Odd characters (NUL, lone surrogates, emoji, mixed scripts) and odd lengths never raise."""
    import random
    chars = "医保在去到来回沪京郑州北京老家户口迁转诊急诊我妈协和（）【】……，。！？ 　０１２月日号年前天\x00\ud800😀醫鄭-～/"
    rng = random.Random(13)
    state: dict = {}
    for _ in range(300):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 120)))
        u = understand(text, date(2028, 2, 29), Context(rng.choice([None, "insured", "start_date"]), state))
        state = merge(state, u)
        assert u.start_date is None or isinstance(u.start_date, date)
    assert len(normalise("长" * 5000)) == 500


def test_living_in_a_childs_home_is_long_term_living():
    from datetime import date as _date

    from server.chat.understand import Context as _Context, understand as _understand

    u = _understand("帮我爸办个异地备案，他是哈尔滨的退休职工，现在住在三亚我家", _date(2026, 12, 1), _Context())
    assert u.filing_type == "long_term_resident" and "long_living" in u.facts
    assert _understand("我住在北京我家附近的宾馆", _date(2026, 12, 1), _Context()).filing_type is None


def test_how_and_need_to_file_are_told_apart_from_what_now():
    from server.chat.understand.replies import filing_ask

    for text, want in [("去昆山看病要备案吗", "need"), ("需不需要办异地备案", "need"), ("怎么备案", "how"),
                       ("异地就医备案怎么办理", "how"), ("我在厦门打工，老家上饶的新农合，怎么弄", "how"),
                       ("在哪里办备案", "how"), ("没备案怎么办", None), ("在昆山住院怎么报销", None),
                       ("我要备案", None)]:
        assert filing_ask(text) == want, text


def test_a_trip_for_treatment_asks_referral_or_on_ones_own():
    from datetime import date as _date

    from server.chat.understand import Context as _Context, understand as _understand

    u = _understand("我妈要去上海看病，她医保在合肥，职工退休的", _date(2026, 12, 1), _Context())
    assert u.filing_type is None and u.filing_type_candidates == ("referral", "other_temporary")
    lived = _understand("我在北京跟女儿住，想去医院检查", _date(2026, 12, 1), _Context())
    assert lived.filing_type == "long_term_resident" and lived.filing_type_candidates == ()
