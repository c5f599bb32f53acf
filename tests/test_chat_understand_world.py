"""Understanding the way people write when nothing in the corpus says it: sentences of the same
shapes as real messages, written here (not copied from the evaluation corpus), one capability each.

Pure: `understand` only, no Flask."""
from __future__ import annotations

from datetime import date

import pytest

from server.chat.understand import Context, merge, parse_start_date, understand
from server.chat.understand.replies import address
from server.regions.catalogue import get_catalogue

TODAY = date(2026, 11, 24)  # a Tuesday


def name_of(code):
    region = get_catalogue().get(code) if code else None
    return region.name if region else None


def places(text):
    u = understand(text, TODAY, Context())
    return name_of(u.insured_region_code), name_of(u.visit_region_code)


@pytest.mark.parametrize("text, insured, visit", [
    # an agency that said something is no place of the person's
    ("郑州医保中心告诉我要先备案", None, None),
    ("西安市医保局的工作人员说让我先垫付", None, None),
    # back where the agency is: the insured place
    ("我回到郑州，医保中心说要发票原件", "郑州市", None),
    # past treatment says nothing of this filing
    ("以前在华西住过院，这次想去北京看", None, "北京市"),
    ("自从在湘雅做过手术就一直在家养着", None, None),
    # the insurance itself moved: no trip
    ("她的医保关系想转到深圳", None, None),
    # insurance from one place used in another
    ("老家的医保在杭州不通用", None, "杭州市"),
    ("徐州医保在上海能用吗", "徐州市", "上海市"),
    ("我的医保在郑州", "郑州市", None),
    # a place's own claims, asked with no trip in the message
    ("南京住院怎么报销", "南京市", None),
    ("成都市住院门槛费多少", "成都市", None),
    ("去成都住院怎么报销", None, "成都市"),
    # settling somewhere asked about: no role
    ("怎样才能落户深圳", None, None),
    ("结婚以后多久可以落户上海", None, None),
])
def test_place_roles(text, insured, visit):
    assert places(text) == (insured, visit)


@pytest.mark.parametrize("text, filing_type", [
    ("深圳居住证怎么办理", None),
    ("居住证办下来要多久", None),
    ("我有居住证，在苏州住了三年了", "long_term_resident"),
    ("户口迁到海口有什么条件", None),
    ("退休后户口已经迁到海口了", "retiree_relocated"),
    ("回老家能用医保吗", None),
    ("下个月回老家看病", "other_temporary"),
])
def test_facts_asked_about_are_not_facts_stated(text, filing_type):
    assert understand(text, TODAY, Context()).filing_type == filing_type


def test_posted_and_taken_ill_leaves_both_types_to_choose():
    u = understand("公司派我常驻武汉，昨天突发阑尾炎住院了", TODAY, Context())
    assert u.filing_type is None
    assert set(u.filing_type_candidates) == {"resident_worker", "emergency"}
    state = merge({}, u)
    assert state["filing_type_options"] == ["resident_worker", "emergency"]


@pytest.mark.parametrize("text, relation", [
    ("我爸的医保卡在外地刷不了", "parent"),
    ("老伴的病历要复印吗", "spouse"),
    ("我妈每年冬天去三亚住几个月", "parent"),
    ("因为父亲确诊了要去上海做手术", "parent"),
])
def test_the_relative_the_story_is_about(text, relation):
    assert understand(text, TODAY, Context()).relation == relation


@pytest.mark.parametrize("text", ["去女儿家住一段时间", "儿子那边的医院挺好", "女儿在杭州上班"])
def test_relatives_only_mentioned_are_not_the_person(text):
    assert understand(text, TODAY, Context()).relation is None


@pytest.mark.parametrize("text, expected", [
    ("20号住的院", date(2026, 11, 20)),
    ("28号住进去的", date(2026, 10, 28)),  # said on the 24th: last month's 28th
    ("下个月1号", date(2026, 12, 1)),
    ("3号去", date(2026, 12, 3)),
    ("科技园路1号", None),
    ("朝阳区建国路5号院3栋2单元", None),
    ("住在幸福里2号", None),
    ("进医院三天了", date(2026, 11, 21)),
    ("住院第五天了", date(2026, 11, 20)),
    ("要住院三天", None),  # a planned stay dates nothing back
])
def test_days_and_house_numbers(text, expected):
    assert parse_start_date(text, TODAY) == expected


@pytest.mark.parametrize("text, expected", [
    ("深圳市南山区科技园路1号", "深圳市南山区科技园路1号"),
    ("我住在阳光小区3栋2单元", "阳光小区3栋2单元"),
    ("地址是人民路88号", "人民路88号"),
    ("住在人民路88号吗？", None),
    ("我医保在郑州，要去北京看病", None),
    ("12月1号", None),
])
def test_an_address_typed_at_any_step(text, expected):
    assert address(text) == expected


@pytest.mark.parametrize("text, scheme", [
    ("职工和居民有什么区别？", None),
    ("职工医保还是居民医保好？", None),
    ("我是职工医保，不是居民医保", "employee"),
    ("我交的是职工医保吗？", "employee"),
])
def test_both_schemes_named_in_a_question_is_no_answer(text, scheme):
    assert understand(text, TODAY, Context(expecting="scheme")).scheme == scheme


@pytest.mark.parametrize("text, insured, visit", [
    ("寒假回乌鲁木齐，医保在上海", "上海市", "乌鲁木齐市"),  # a statement, not an agency acting
    ("我回到营口，医保中心又说要证明", "营口市", None),
    ("医保在北京，在北京看病", "北京市", "北京市"),  # kept, so that the filing's rule says why
    ("医保在郑州，在郑州住了几天又去北京看病", "郑州市", "北京市"),
    # one's own insurance there, the parents coming there: not one place for both
    ("我是山东临沂的，在上海打工，交的是上海的社保，我爸妈是新农合，能来上海看病吗", "上海市", None),
])
def test_back_home_and_one_place_for_both(text, insured, visit):
    assert places(text) == (insured, visit)


@pytest.mark.parametrize("text, slot, name", [
    ("就医地不对，是广州", "visit_region_code", "广州市"),
    ("参保地错了，应该是郑州", "insured_region_code", "郑州市"),
    ("就医地改成天津", "visit_region_code", "天津市"),
    ("参保地改为洛阳", "insured_region_code", "洛阳市"),
])
def test_a_correction_naming_the_item(text, slot, name):
    values = {"insured_region_code": "430100", "visit_region_code": "440300", "last_slots": ["start_date"]}
    u = understand(text, TODAY, Context(expecting="yes_no", values=values))
    assert name_of(getattr(u, slot)) == name


def test_a_county_named_like_a_famous_hospital_elsewhere_is_asked():
    u = understand("我妈在瑞金住院，医保是江西赣州的城乡居民", TODAY, Context())
    assert name_of(u.insured_region_code) == "赣州市" and u.visit_region_code is None
    assert [o.value for o in u.ambiguities[0].options] == ["310000", "360700"]
    assert name_of(understand("在上海瑞金医院住院", TODAY, Context()).visit_region_code) == "上海市"
    assert name_of(understand("医保在瑞金市", TODAY, Context()).insured_region_code) == "赣州市"


@pytest.mark.parametrize("text, insured, visit", [
    ("我老家是四川南充的，在那边参的新农合，现在在浙江义乌打工", "南充市", "金华市"),
    ("老家在河南周口，在老家交的医保，现在在苏州", "周口市", "苏州市"),
    ("老家在河南周口，现在在苏州带孙子", None, "苏州市"),  # a hometown alone is no insured place
])
def test_there_points_back_at_the_hometown(text, insured, visit):
    assert places(text) == (insured, visit)


@pytest.mark.parametrize("text, filing_type", [
    ("现在回老家湖北荆州了，医保在深圳", None),
    ("已经回老家了，医保还在上海", None),
    ("下个月回老家看病", "other_temporary"),
    ("过年回老家住几天", "other_temporary"),
])
def test_moving_back_home_is_no_trip(text, filing_type):
    assert understand(text, TODAY, Context()).filing_type == filing_type


def test_a_hometown_is_offered_for_the_insured_place_never_assumed():
    u = understand("老家在河南周口，现在在苏州带孙子", TODAY, Context())
    assert u.insured_region_code is None
    assert [(r.code, r.slots) for r in u.role_ambiguities] == [("411600", ("insured_region_code",))]
    assert understand("不是去上海，是去杭州看病", TODAY, Context()).role_ambiguities == []
