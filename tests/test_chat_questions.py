"""Questions in the chat over HTTP: a message that is only a question is answered and starts no
filing (one is offered); the situation behind a question gets what can still be done, then the
offer; out of scope gets a short pointer; both places in one province are explained, with no
draft; family words make the filing that person's, asked once."""
from __future__ import annotations

import re

from server.filing.models import Filing
from server.regions.policy import policy_for
from tests.helpers_filing import setup_user
from tests.test_chat_api import option_values, say, texts
from tests.test_chat_loops import NOT_UNDERSTOOD, start


def _filings(db):
    return db.session.execute(db.select(Filing)).scalars().all()


def test_a_question_only_is_answered_and_starts_no_filing(client, db):
    headers = setup_user(client, "openid-q-only")
    sid = start(client, headers)
    body = say(client, headers, sid, "异地就医备案需要准备什么材料？")
    assert "身份证件" in texts(body) and NOT_UNDERSTOOD not in texts(body)
    assert body["filing_id"] is None and _filings(db) == []
    assert option_values(body) == ["begin"]
    body = say(client, headers, sid, "帮我办理备案")
    assert body["filing_id"] is not None and "看病" in texts(body)


def test_what_can_still_be_done_then_an_offer_to_file(client, db):
    headers = setup_user(client, "openid-q-situation")
    sid = start(client, headers)
    body = say(client, headers, sid, "没有备案的话能报销吗？")
    words = texts(body)
    assert "手工报销" in words and "以后" in words and "办好备案" in words
    assert body["filing_id"] is None and option_values(body) == ["begin"]
    body = say(client, headers, sid, "好的")
    assert body["filing_id"] is not None


def test_out_of_scope_gets_a_short_pointer(client, db):
    headers = setup_user(client, "openid-q-scope")
    sid = start(client, headers)
    body = say(client, headers, sid, "社保卡丢了怎么补？")  # the knowledge base points elsewhere
    pointer = next(r for r in body["replies"] if r["type"] == "text")
    assert pointer.get("source_url") and "社保卡" in pointer["text"]
    assert NOT_UNDERSTOOD not in texts(body)
    assert body["filing_id"] is None and _filings(db) == []
    body = say(client, headers, sid, "你们这个小程序是谁开发的？")  # nothing answers it
    assert "12393" in texts(body) and NOT_UNDERSTOOD not in texts(body)
    assert body["filing_id"] is None and _filings(db) == []


def test_both_places_in_one_province_are_explained_without_a_draft(client, db):
    headers = setup_user(client, "openid-q-province")
    sid = start(client, headers)
    body = say(client, headers, sid, "我的医保在苏州，想去南京看病")
    assert "同一个省" in texts(body) and "江苏省" in texts(body)
    assert body["filing_id"] is None and _filings(db) == []
    body = say(client, headers, sid, "那去上海")
    assert body["filing_id"] is not None and body["draft"]["visit_region_name"] == "上海市"
    assert body["draft"]["insured_region_name"] == "苏州市"


def test_family_words_file_for_that_person_asked_once(client, db):
    headers = setup_user(client, "openid-q-family")
    sid = start(client, headers)
    body = say(client, headers, sid, "我爸昨天被送到上海的医院抢救了")
    assert "您父亲" in texts(body) or "applicant:add" in option_values(body)
    for _ in range(4):
        if "applicant:add" in option_values(body):
            break
        values = option_values(body)
        body = say(client, headers, sid, choice=next(v for v in values if v.startswith(("type:", "scheme:"))))
    assert "applicant:add" in option_values(body) and "您父亲" in texts(body)
    body = say(client, headers, sid, choice="applicant:add")
    # The relation is known from the first message: not asked again.
    assert "relation:parent" not in option_values(body) and "姓名" in texts(body)


# --- the situation behind a question, told in the person's own words ------------------------------

def test_already_paid_elsewhere_learns_manual_claim_then_is_offered_a_filing(client, db):
    headers = setup_user(client, "openid-q-paid")
    sid = start(client, headers)
    body = say(client, headers, sid, "我妈退休了，医保在郑州，在北京做了心脏手术，钱都交了，这些费用回郑州能报吗？")
    words = texts(body)
    # what can still be done: a claim by hand at the insured place with what to bring, filing
    # before discharge settlement, an emergency counting as filed; then the offer for next time
    assert "郑州市医保经办机构手工报销" in words and "发票" in words and "费用明细清单" in words
    assert "出院结算" in words and "急诊" in words and "以后" in words
    assert NOT_UNDERSTOOD not in words
    assert body["filing_id"] is None and _filings(db) == [] and option_values(body) == ["begin"]


def test_still_in_hospital_without_a_filing_learns_to_file_before_discharge(client, db):
    headers = setup_user(client, "openid-q-inpatient")
    sid = start(client, headers)
    body = say(client, headers, sid, "老伴在广州住着院还没出院，当时没弄备案，现在办还来得及不？")
    words = texts(body)
    assert "出院结算之前" in words and "直接结算" in words and NOT_UNDERSTOOD not in words
    assert body["filing_id"] is None and _filings(db) == []


def test_an_emergency_without_a_filing_counts_as_filed(client, db):
    headers = setup_user(client, "openid-q-emergency")
    sid = start(client, headers)
    body = say(client, headers, sid, "我爸出差时突然晕倒，被120送去医院抢救了，没来得及备案，医保还管不管？")
    words = texts(body)
    assert "视同已备案" in words and NOT_UNDERSTOOD not in words


def test_the_proof_deadline_is_stated_only_where_a_source_sets_it(client, db):
    # 潍坊 has a sourced deadline; 郑州 has none, so no number is stated as a rule for it.
    weifang_days = policy_for("370700").proof_due_days
    headers = setup_user(client, "openid-q-deadline")
    sid = start(client, headers)
    body = say(client, headers, sid, "我的医保在郑州，用承诺书备案以后多久要补交材料？")
    words = texts(body)
    assert "郑州市规定" in words and not re.search(r"\d+天内补交", words), words
    sid = start(client, headers)
    body = say(client, headers, sid, "我的医保在潍坊，用承诺书备案以后多久要补交材料？")
    assert f"{weifang_days}天内补交" in texts(body)


def test_another_public_service_gets_no_answer_and_starts_no_filing(client, db):
    # 异地 and 多长时间 are words of the knowledge base, but an identity card is not its business.
    headers = setup_user(client, "openid-q-other-service")
    sid = start(client, headers)
    body = say(client, headers, sid, "乌鲁木齐办理异地身份证需要多长时间？")
    assert not any(r.get("source_url") for r in body["replies"]), body["replies"]
    assert "审核" not in texts(body) and NOT_UNDERSTOOD not in texts(body)
    assert body["filing_id"] is None and _filings(db) == []
