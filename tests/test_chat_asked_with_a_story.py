"""A question asked together with the person's own situation, over HTTP: 怎么备案 / 要备案吗 told
with the trip is answered by filing; what was already paid, or a stay still going on, gets what can
still be done; 能帮我办吗 is about the person asking, not a relative; 社保交在上海 names the insured
place even when work is elsewhere."""
from __future__ import annotations

from tests.helpers_filing import setup_user
from tests.test_chat_api import option_values, say, texts
from tests.test_chat_loops import NOT_UNDERSTOOD, start


def _chat(client, openid):
    headers = setup_user(client, openid)
    return headers, start(client, headers)


def test_how_to_file_told_with_the_trip_starts_the_filing(client):
    headers, sid = _chat(client, "openid-story-how")
    body = say(client, headers, sid, "你好，我是职工医保，参保地是苏州，下个月要去上海瑞金医院做手术，怎么备案")
    draft, words = body["draft"], texts(body)
    assert draft["insured_region_name"] == "苏州市" and draft["visit_region_name"] == "上海市"
    assert draft["scheme"] == "employee"
    # The filing goes on (the type is asked next); no pointer about local ratios, no offer to start.
    assert "begin" not in option_values(body) and "本地看病" not in words
    assert any(v.startswith("type:") for v in option_values(body))
    assert NOT_UNDERSTOOD not in words


def test_need_to_file_across_provinces_is_answered_yes_and_the_filing_goes_on(client):
    headers, sid = _chat(client, "openid-story-need")
    body = say(client, headers, sid, "医保在重庆 人在成都 要备案吗")
    words = texts(body)
    assert body["draft"]["insured_region_name"] == "重庆市" and body["draft"]["visit_region_name"] == "成都市"
    assert "要办" in words and "不在同一个省" in words
    # Not the emergency entry's answer, which shares its words; the next question follows.
    assert "按急诊收治" not in words and "begin" not in option_values(body) and option_values(body)


def test_insurance_paid_in_one_city_while_working_in_another(client):
    headers, sid = _chat(client, "openid-story-work")
    body = say(client, headers, sid, "想问下我在昆山上班 社保交在上海 去昆山看病要备案吗")
    draft = body["draft"]
    assert draft["insured_region_name"] == "上海市" and draft["visit_region_name"] == "苏州市"
    assert "要办" in texts(body)


def test_already_discharged_without_a_filing_hears_of_the_claim_by_hand(client):
    headers, sid = _chat(client, "openid-story-discharged")
    body = say(client, headers, sid, "我已经在上海做完手术出院了 没备案 钱都自己垫的 回去能报多少")
    words = texts(body)
    assert "手工报销" in words and "来得及" not in words


def test_a_stay_still_going_on_hears_it_can_still_settle_directly(client):
    headers, sid = _chat(client, "openid-story-staying")
    body = say(client, headers, sid, "老伴在广州住院了，我们是湖南衡阳的居民医保，住院好几天了还能备案吗")
    words = texts(body)
    assert "出院结算之前" in words and "缴费" not in words


def test_can_you_file_for_me_is_not_about_a_relative(client):
    headers, sid = _chat(client, "openid-story-me")
    body = say(client, headers, sid, "你们这个能帮我办备案吗")
    words = texts(body)
    assert "为他人备案" not in words and "参保" in words


def test_a_known_place_said_again_is_no_misunderstanding(client):
    from tests.conftest import login

    headers = login(client, "openid-story-again")
    sid = start(client, headers)
    first = say(client, headers, sid, "我妈医保在郑州，在北京做了手术，钱已经付了，能报吗")
    assert first["draft"]["visit_region_name"] == "北京市"
    asked = say(client, headers, sid, "给我妈办")
    again = say(client, headers, sid, "下次去北京复查")
    assert NOT_UNDERSTOOD not in texts(again)
    assert option_values(again) == option_values(asked)  # the same question, put again
    assert again["draft"]["visit_region_name"] == "北京市"


def test_how_do_i_go_about_it_after_the_situation_starts_the_filing(client):
    headers, sid = _chat(client, "openid-story-nong")
    body = say(client, headers, sid, "我在厦门打工，老家江西上饶的新农合，怎么弄")
    assert body["draft"]["insured_region_name"] == "上饶市" and body["draft"]["visit_region_name"] == "厦门市"
    assert "begin" not in option_values(body) and option_values(body)


def test_a_trip_for_treatment_offers_the_two_types_it_can_be(client):
    from tests.conftest import login

    headers = login(client, "openid-story-trip")
    sid = start(client, headers)
    body = say(client, headers, sid, "我妈要去上海看病，她医保在合肥，职工退休的")
    assert option_values(body) == ["type:referral", "type:other_temporary"]


def test_typing_for_whom_at_the_add_family_step_adds_that_person(client):
    from tests.conftest import login

    headers = login(client, "openid-story-add")
    sid = start(client, headers)
    body = say(client, headers, sid, "我爸在北京住院了，医保是河北邯郸的，居民医保，是急诊送进去的")
    for _ in range(4):  # answer whatever comes first until the family step is asked
        if "applicant:add" in option_values(body):
            break
        body = say(client, headers, sid, "前天" if any(v.startswith("start:") for v in option_values(body)) else "同意")
    assert "applicant:add" in option_values(body)
    body = say(client, headers, sid, "给我爸办")
    assert NOT_UNDERSTOOD not in texts(body)
    assert {"consent:accept", "member_consent:yes"} & set(option_values(body)), texts(body)


def test_which_type_asked_mid_filing_is_answered_then_the_question_again(client):
    headers, sid = _chat(client, "openid-story-winter")
    say(client, headers, sid, "医保在哈尔滨 我在海南过冬 半年左右")
    asked = say(client, headers, sid, "三亚")
    body = say(client, headers, sid, "过冬算哪种")
    assert NOT_UNDERSTOOD not in texts(body) and "异地长期居住人员" in texts(body)
    assert option_values(body) == option_values(asked)
