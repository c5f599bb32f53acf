"""Questions in the chat over HTTP: a message that is only a question is answered and starts no
filing (one is offered); the situation behind a question gets what can still be done, then the
offer; out of scope gets a short pointer; both places in one province are explained, with no
draft; family words make the filing that person's, asked once."""
from __future__ import annotations

from server.filing.models import Filing
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
