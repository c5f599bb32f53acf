"""The chat over HTTP where it used to loop or go out of order: the filing is the one truth
(a refused value is refused everywhere), typed labels and corrections at every step, consent
before personal details, the notice before its acceptance, dates from `sent_at`, family members'
questions in their terms, and what happens after submitting."""
from __future__ import annotations

from datetime import date

import pytest

from server.filing.models import Filing
from tests.conftest import login
from tests.helpers_filing import setup_user
from tests.idgen import resident_id
from tests.test_chat_api import card, option_values, say, texts

NOT_UNDERSTOOD = "没有听明白"


def start(client, headers):
    resp = client.post("/api/v1/chat/sessions", json={}, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json["session_id"]


def to_summary(client, headers, sid, *, visit="去杭州看病"):
    """A profile user (成都, employee) up to the summary card."""
    say(client, headers, sid, visit)
    say(client, headers, sid, choice="type:other_temporary")
    say(client, headers, sid, choice="applicant:self")
    say(client, headers, sid, choice="admitted:no")
    body = say(client, headers, sid, "明天")
    assert body["draft"]["contact_name"] == "张三"  # oneself, unless said otherwise
    body = say(client, headers, sid, "13912345678")
    assert card(body, "summary"), body
    return body


def summary_values(body):
    return {f["label"]: f["value"] for f in card(body, "summary")["fields"]}


def test_fuzhou_refused_and_summary_draft_and_filing_agree(client, db):
    headers = setup_user(client, "openid-fuzhou")  # profile: 成都, employee
    sid = start(client, headers)
    body = say(client, headers, sid, "去厦门看病")
    assert body["draft"]["visit_region_name"] == "厦门市"
    body = say(client, headers, sid, "不对，医保在福州")
    words = texts(body)
    # Refused by the filing service: the user hears why, in plain words, naming both places.
    assert "福州" in words and "厦门" in words and "同一个省" in words
    assert "None" not in words and NOT_UNDERSTOOD not in words
    assert body["draft"]["insured_region_code"] == "510100"
    filing = db.session.get(Filing, body["filing_id"])
    assert filing.insured_region_code == "510100" and filing.visit_region_code == "350200"
    body = say(client, headers, sid, "成都")
    body = say(client, headers, sid, choice="type:other_temporary")
    say(client, headers, sid, choice="applicant:self")
    say(client, headers, sid, choice="admitted:no")
    say(client, headers, sid, "明天")
    body = say(client, headers, sid, "13912345678")
    summary = summary_values(body)
    assert summary["参保地"] == "四川省成都市" and summary["就医地"] == "福建省厦门市"
    assert body["draft"]["insured_region_name"] == "成都市"
    body = say(client, headers, sid, choice="confirm")
    body = say(client, headers, sid, choice="notice:accept")
    body = say(client, headers, sid, choice="submit")
    db.session.expire_all()
    filing = db.session.get(Filing, body["filing_id"])
    assert filing.status == "approved"
    assert (filing.insured_region_code, filing.visit_region_code) == ("510100", "350200")
    assert body["draft"]["insured_region_code"] == filing.insured_region_code
    assert body["draft"]["visit_region_code"] == filing.visit_region_code
    # What happens next, by when, and where to see it.
    assert "现在就生效" in texts(body) and "备案记录" in texts(body)
    assert card(body, "result")["record_url"] == f"/api/v1/records/{filing.id}"


@pytest.mark.parametrize("typed", ["本人", "给我自己办", "我自己"])
def test_typed_applicant_labels_are_read_as_the_option(client, typed):
    headers = setup_user(client, "openid-typed")
    sid = start(client, headers)
    say(client, headers, sid, "去杭州看病")
    body = say(client, headers, sid, choice="type:other_temporary")
    assert "applicant:self" in option_values(body)
    body = say(client, headers, sid, typed)
    assert NOT_UNDERSTOOD not in texts(body)
    assert body["draft"]["applicant"] == "self" and "admitted:yes" in option_values(body)


@pytest.mark.parametrize("confirm,submit", [("确认无误", "提交备案"), ("没问题", "提交")])
def test_typed_summary_and_submit_labels(client, db, confirm, submit):
    headers = setup_user(client, "openid-typed-submit")
    sid = start(client, headers)
    to_summary(client, headers, sid)
    body = say(client, headers, sid, confirm)
    assert card(body, "notice") and NOT_UNDERSTOOD not in texts(body)
    body = say(client, headers, sid, "看过了")
    assert body["draft"]["notice_accepted"] is True and not card(body, "notice")
    body = say(client, headers, sid, submit)
    assert NOT_UNDERSTOOD not in texts(body)
    assert db.session.get(Filing, body["filing_id"]).status == "approved"


def test_contact_corrections_at_any_step(client, db):
    headers = setup_user(client, "openid-contact")
    sid = start(client, headers)
    say(client, headers, sid, "去杭州看病")
    say(client, headers, sid, choice="type:other_temporary")
    say(client, headers, sid, choice="applicant:self")
    say(client, headers, sid, choice="admitted:no")
    body = say(client, headers, sid, "明天")
    body = say(client, headers, sid, "联系人写我老婆徐慧")
    assert body["draft"]["contact_name"] == "徐慧"
    body = say(client, headers, sid, "联系人还是就写我吧")
    assert body["draft"]["contact_name"] == "张三"  # the filer's own name, not "就写我"
    body = say(client, headers, sid, "13912345678")
    assert card(body, "summary")
    body = say(client, headers, sid, "联系人不对，是徐慧")
    assert body["draft"]["contact_name"] == "徐慧" and summary_values(body)["联系人"] == "徐慧"
    body = say(client, headers, sid, "联系人改成王芳")
    assert body["draft"]["contact_name"] == "王芳"
    body = say(client, headers, sid, "电话换成13700137000")
    assert body["draft"]["contact_phone"] == "137****7000"
    assert db.session.get(Filing, body["filing_id"]).contact_phone == "13700137000"
    assert NOT_UNDERSTOOD not in texts(body)


def test_consent_comes_before_any_personal_detail_and_keeps_what_was_said(client, db):
    headers = login(client, "openid-consent-order")  # no profile, no consent
    sid = start(client, headers)
    body = say(client, headers, sid, "给我妈办，她医保在郑州，要去北京看病")
    assert body["filing_id"] is None
    assert body["draft"]["insured_region_name"] == "郑州市" and body["draft"]["visit_region_name"] == "北京市"
    body = say(client, headers, sid, choice="scheme:resident")
    body = say(client, headers, sid, choice="type:other_temporary")
    # Adding the family member: the privacy notice comes first, before a name or ID is taken.
    body = say(client, headers, sid, choice="applicant:add")
    assert card(body, "privacy_notice") and "姓名" not in texts(body)
    body = say(client, headers, sid, choice="consent:accept")
    # The filing is for the mother: no draft (it would be the filer's own) until she is added.
    assert body["filing_id"] is None and body["draft"]["applicant"] is None
    body = say(client, headers, sid, choice="member_consent:yes")
    assert "姓名" in texts(body)
    body = say(client, headers, sid, "李桂兰 " + resident_id("410102", date(1952, 6, 1), 24))
    assert body["filing_id"] is not None
    filing = db.session.get(Filing, body["filing_id"])
    # What was said before the consent is written once the draft exists.
    assert (filing.insured_region_code, filing.visit_region_code, filing.scheme, filing.filing_type) == \
        ("410100", "110000", "resident", "other_temporary")
    assert filing.family_member_id is not None and body["draft"]["applicant"] == filing.family_member_id


def test_notice_is_recorded_only_after_it_was_shown(client, db):
    headers = setup_user(client, "openid-notice-order")
    sid = start(client, headers)
    body = to_summary(client, headers, sid)
    body = say(client, headers, sid, choice="notice:accept")  # sent at the summary step
    assert body["draft"]["notice_accepted"] is False
    assert db.session.get(Filing, body["filing_id"]).notice_version is None
    body = say(client, headers, sid, choice="submit")  # nor is the summary skipped
    assert db.session.get(Filing, body["filing_id"]).status == "draft"
    body = say(client, headers, sid, choice="confirm")
    assert card(body, "notice")
    # A question on the way does not send the long notice again.
    body = say(client, headers, sid, "审核要多久？")
    assert not card(body, "notice") and "notice:accept" in option_values(body)
    body = say(client, headers, sid, choice="notice:accept")
    assert body["draft"]["notice_accepted"] is True


def test_back_dating_limit_counts_from_sent_at(client):
    """sent_at is 2026-11-24: 10 days back is 11-14, whatever the server's clock says."""
    headers = setup_user(client, "openid-sent-at")
    sid = start(client, headers)
    say(client, headers, sid, "去杭州看病")
    say(client, headers, sid, choice="type:other_temporary")
    say(client, headers, sid, choice="applicant:self")
    body = say(client, headers, sid, choice="admitted:yes")
    body = say(client, headers, sid, "11月13日住的院")
    assert body["draft"]["start_date"] is None and "2026年11月14日" in texts(body)
    assert any(v.startswith("start:") for v in option_values(body))
    body = say(client, headers, sid, "11月15日住的院")
    assert body["draft"]["start_date"] == "2026-11-15"


def test_family_member_questions_are_put_in_their_terms(client):
    headers = login(client, "openid-father")
    sid = start(client, headers)
    body = say(client, headers, sid, "给我爸办异地就医备案")
    assert "您父亲" in texts(body)
    body = say(client, headers, sid, "医保在宜宾，去重庆看病")
    assert "您父亲参加的是哪种医保" in texts(body)
    assert "您参加的是哪种医保" not in texts(body)


def test_an_item_changed_on_the_summary_is_asked_and_written(client, db):
    headers = setup_user(client, "openid-change")
    sid = start(client, headers)
    to_summary(client, headers, sid)
    body = say(client, headers, sid, choice="change:visit")
    assert "看病" in texts(body) and not card(body, "summary")
    body = say(client, headers, sid, "南京")
    assert body["draft"]["visit_region_name"] == "南京市" and summary_values(body)["就医地"] == "江苏省南京市"
    assert db.session.get(Filing, body["filing_id"]).visit_region_code == "320100"


def test_the_session_keeps_only_its_bookkeeping(client, db):
    """The values live in the filing; the session holds what was asked and offered."""
    from server.chat.models import ChatSession
    from server.chat.state import SLOT_FIELDS

    headers = setup_user(client, "openid-bookkeeping")
    sid = start(client, headers)
    body = to_summary(client, headers, sid)
    state = db.session.get(ChatSession, sid).state
    assert not set(SLOT_FIELDS) & set(state) and state["held"] == {}
    assert state["asked"] == "confirm" and ["确认无误", "confirm"] in state["offered"]
    assert "13912345678" not in str(state) and "139****5678" not in str(state)
    assert body["draft"]["contact_phone"] == "139****5678"


def test_agreeing_at_another_question_shows_the_privacy_notice_instead_of_taking_it(client, db):
    headers = login(client, "openid-agree-elsewhere")  # no profile, no consent
    sid = start(client, headers)
    body = say(client, headers, sid, "我医保在郑州，要去北京看病")
    assert "哪种医保" in texts(body)
    for word in ("好的", "可以", "同意"):
        body = say(client, headers, sid, word)
        consent = client.get("/api/v1/consent", headers=headers).json
        assert consent["accepted"] is False, word  # nothing on screen was agreed to
    assert card(body, "privacy_notice") and "告知书" in texts(body)
    body = say(client, headers, sid, "同意")  # the notice is the question now: this is consent
    assert client.get("/api/v1/consent", headers=headers).json["accepted"] is True
    assert option_values(body) == ["scheme:employee", "scheme:resident"]  # back to the question


def test_a_filing_said_to_be_for_the_father_never_shows_the_filer_as_applicant(client, db):
    headers = login(client, "openid-father-applicant")
    sid = start(client, headers)
    body = say(client, headers, sid, "我爸医保在宜宾，是职工医保，昨天在重庆急诊住院了，帮他办备案")
    assert "您父亲" in texts(body) and body["draft"]["applicant"] is None
    body = say(client, headers, sid, choice="consent:accept")
    assert body["draft"]["applicant"] is None and body["filing_id"] is None
    assert option_values(body)[:1] == ["applicant:add"]
    body = say(client, headers, sid, "13912345678")  # the phone typed early: no draft of one's own
    assert body["draft"]["applicant"] is None and body["filing_id"] is None
    body = say(client, headers, sid, choice="applicant:add")
    body = say(client, headers, sid, choice="member_consent:yes")
    body = say(client, headers, sid, "李建国 " + resident_id("511502", date(1950, 3, 3), 17))
    filing = db.session.get(Filing, body["filing_id"])
    assert filing.family_member_id is not None and body["draft"]["applicant"] == filing.family_member_id
    assert (filing.insured_region_code, filing.visit_region_code, filing.filing_type) == \
        ("511500", "500000", "emergency")


@pytest.mark.parametrize("address", ["深圳市南山区科技园路1号", "人民路88号", "阳光小区3栋2单元"])
def test_a_street_number_typed_before_the_address_step_is_no_date(client, db, address):
    headers = login(client, "openid-street-number")
    sid = start(client, headers)
    body = say(client, headers, sid, "我在长沙参加的职工医保，单位派我去深圳工作，要办异地备案")
    assert "哪天开始" in texts(body)
    body = say(client, headers, sid, address)
    assert body["draft"]["start_date"] is None and NOT_UNDERSTOOD not in texts(body)
    assert "哪天开始" in texts(body)  # the date is still asked
    body = say(client, headers, sid, "下周一")
    assert body["draft"]["start_date"] == "2026-11-30"


def test_not_knowing_the_answer_gets_the_explanation_not_a_shrug(client, db):
    headers = login(client, "openid-dont-know")
    sid = start(client, headers)
    say(client, headers, sid, "医保在洛阳，去上海看病")
    body = say(client, headers, sid, "职工和居民有什么区别？")
    assert body["draft"]["scheme"] is None  # both named in a question: neither is taken
    body = say(client, headers, sid, "不知道")
    assert NOT_UNDERSTOOD not in texts(body) and "单位给交的" in texts(body)
    assert option_values(body) == ["scheme:employee", "scheme:resident"]
    body = say(client, headers, sid, "单位交的")
    assert body["draft"]["scheme"] == "employee"


def test_the_insured_city_said_as_the_visit_place_is_explained(client, db):
    headers = login(client, "openid-same-city")
    sid = start(client, headers)
    body = say(client, headers, sid, "医保在北京 在北京看病")
    assert "不用办异地就医备案" in texts(body) and body["draft"]["visit_region_name"] is None
    assert body["draft"]["insured_region_name"] == "北京市"


def test_a_place_said_without_its_role_is_offered_not_assumed(client, db):
    headers = login(client, "openid-unplaced")
    sid = start(client, headers)
    body = say(client, headers, sid, "老伴在省人民医院住院，我们是湖北孝感的")
    assert body["draft"]["insured_region_name"] is None and body["draft"]["visit_region_name"] is None
    assert "您老伴的医保" in texts(body) and "insured:420900" in option_values(body)
    body = say(client, headers, sid, "是的")
    assert body["draft"]["insured_region_name"] == "孝感市"
    assert "insured:420900" not in option_values(body) and "visit:420900" not in option_values(body)


def test_a_phone_or_a_contact_typed_while_the_id_number_is_asked(client, db):
    headers = login(client, "openid-id-step-detours")
    sid = start(client, headers)
    say(client, headers, sid, "我医保在临汾 职工 退休了 跟儿子在秦皇岛住好几年了")
    say(client, headers, sid, "今天")
    say(client, headers, sid, "同意")
    body = say(client, headers, sid, "王秀英")
    assert "身份证号码" in texts(body)
    body = say(client, headers, sid, "139 1234 5678")  # a mobile number: no ID number
    assert body["draft"]["contact_phone"] == "139****5678" and "证件号码应为18位" not in texts(body)
    body = say(client, headers, sid, "联系人写我儿子 李强")
    assert body["draft"]["contact_name"] == "李强" and "身份证号码" in texts(body)
    body = say(client, headers, sid, resident_id("141002", date(1958, 3, 3), 28))
    assert "身份证号码" not in texts(body).replace("证件号码", "")  # the next question now


def test_a_place_corrected_in_words_on_the_summary(client, db):
    headers = setup_user(client, "openid-summary-place-words")
    sid = start(client, headers)
    to_summary(client, headers, sid)
    body = say(client, headers, sid, "就医地不对，是广州")
    assert body["draft"]["visit_region_name"] == "广州市" and card(body, "summary")
    assert NOT_UNDERSTOOD not in texts(body) and "要改哪一项" not in texts(body)


@pytest.mark.parametrize("word, answer", [("谢谢", "不客气"), ("在吗", "我在"), ("算了", "留着")])
def test_a_word_of_politeness_is_answered_and_the_question_stays(client, db, word, answer):
    headers = login(client, f"openid-social-{answer}")
    sid = start(client, headers)
    say(client, headers, sid, "医保在郑州，去北京看病")
    body = say(client, headers, sid, word)
    assert answer in texts(body) and NOT_UNDERSTOOD not in texts(body)
    assert option_values(body) == ["scheme:employee", "scheme:resident"]
    assert body["draft"]["insured_region_name"] == "郑州市"


def test_starting_over_offers_the_items_to_change(client, db):
    headers = login(client, "openid-start-over")
    sid = start(client, headers)
    say(client, headers, sid, "医保在郑州，去北京看病")
    body = say(client, headers, sid, "重新开始")
    assert NOT_UNDERSTOOD not in texts(body) and "change:insured" in option_values(body)


def test_saying_later_that_it_is_for_the_mother_turns_the_filing_to_her(client, db):
    headers = login(client, "openid-later-for-mother")
    sid = start(client, headers)
    for turn in ("我医保在郑州，去北京看病", "职工", "其他临时", "明天", "同意"):
        body = say(client, headers, sid, turn)
    assert body["draft"]["applicant"] == "self" and "您的姓名" in texts(body)
    body = say(client, headers, sid, "其实是给我妈办的")
    assert body["draft"]["applicant"] is None and "您母亲" in texts(body)
    assert "applicant:add" in option_values(body) and NOT_UNDERSTOOD not in texts(body)
    say(client, headers, sid, choice="applicant:add")
    say(client, headers, sid, choice="member_consent:yes")
    body = say(client, headers, sid, "李桂兰 " + resident_id("410102", date(1952, 6, 1), 24))
    filing = db.session.get(Filing, body["filing_id"])
    assert filing.family_member_id is not None and body["draft"]["applicant"] == filing.family_member_id
    assert (filing.insured_region_code, filing.start_date.isoformat()) == ("410100", "2026-11-25")


def test_a_hometown_is_offered_when_the_insured_place_is_asked(client, db):
    headers = login(client, "openid-hometown-offered")
    sid = start(client, headers)
    body = say(client, headers, sid, "老家在河南周口，现在在苏州带孙子")
    assert body["draft"]["insured_region_name"] is None and "insured:411600" in option_values(body)
    body = say(client, headers, sid, "是的")
    assert body["draft"]["insured_region_name"] == "周口市"
