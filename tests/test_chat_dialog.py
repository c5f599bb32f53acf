"""The dialog without Flask: what is said back and asked next for a state and a message."""
from __future__ import annotations

from datetime import date

from server.chat import dialog
from server.chat.dialog.family import note_relation
from server.chat.understand import Context, understand

TODAY = date(2026, 11, 24)


def turn(state, text=None, choice=None, env=None):
    env = env or dialog.Env(today=TODAY, profile_name="张三", profile_phone_masked="138****8000")
    if choice is not None:
        absorbed = dialog.absorb(state, env, choice=choice)
    else:
        u = understand(text, TODAY, Context(state.get("expecting"), state))
        absorbed = dialog.absorb(state, env, u=u, message=text)
    said = dialog.said_back(state, absorbed.state, env)  # the service says back what was kept
    state, asked = dialog.prompt(absorbed.state, env)
    return state, ([dialog.text(said)] if said else []) + absorbed.replies + asked, absorbed


def values(replies):
    return [o["value"] for r in replies if r["type"] == "options" for o in r["options"]]


def words(replies):
    return " ".join(r.get("text", "") for r in replies if r["type"] == "text")


def test_says_back_in_plain_words_and_asks_next():
    state, replies = dialog.prompt(dialog.new_state(), dialog.Env(today=TODAY))
    assert state["asked"] == "insured"
    state, replies, absorbed = turn(state, "医保在九江，要去厦门看病")
    assert "江西省九江市" in words(replies) and "福建省厦门市" in words(replies)
    assert "360400" not in words(replies)
    assert state["asked"] == "scheme" and values(replies) == ["scheme:employee", "scheme:resident"]
    assert absorbed.sync == {"insured_region_code": "360400", "visit_region_code": "350200"}


def test_province_alone_asks_for_city_with_options():
    state, _ = dialog.prompt(dialog.new_state(), dialog.Env(today=TODAY))
    state, replies, _ = turn(state, "医保在九江")
    state, replies, _ = turn(state, "去广东")
    assert state["visit_region_code"] is None and state["asked"] == "visit"
    assert "visit:440100" in values(replies) and "广东省" in words(replies)


def test_question_on_the_way_repeats_the_pending_question():
    state, _ = dialog.prompt(dialog.new_state(), dialog.Env(today=TODAY))
    state, replies, _ = turn(state, "医保在九江，去厦门，职工医保")
    assert state["asked"] == "filing_type"
    state, replies, _ = turn(state, "没有备案能报销吗？")
    assert "手工报销" in words(replies)
    assert state["asked"] == "filing_type" and "type:referral" in values(replies)
    types = next(r for r in replies if r["type"] == "options")["options"]
    assert all(o.get("description") for o in types)  # a one-line explanation each


def test_filing_type_after_two_failures_is_explained():
    state, _ = dialog.prompt(dialog.new_state(), dialog.Env(today=TODAY))
    state, _, _ = turn(state, "医保在九江，去厦门，职工医保")
    state, _, _ = turn(state, "嗯")
    state, replies, _ = turn(state, "啊")
    assert "长期在外地生活" in words(replies) and "type:other_temporary" in values(replies)


def test_phone_is_masked_in_state_and_sent_to_the_filing():
    state = dialog.new_state()
    state.update(asked="contact_phone", expecting="contact_phone")
    state, replies, absorbed = turn(state, "13912345678")
    assert state["contact_phone"] == "139****5678"
    assert absorbed.sync["contact_phone"] == "13912345678"
    assert "13912345678" not in str(state) and "13912345678" not in str(replies)


def test_summary_then_change():
    state = dialog.new_state()
    state.update(insured_region_code="360400", visit_region_code="350200", scheme="employee",
                 filing_type="other_temporary", applicant="self", start_date="2026-11-25",
                 end_date="2027-05-25", contact_name="张三", contact_phone="139****5678")
    state, replies = dialog.prompt(state, dialog.Env(today=TODAY))
    summary = next(r for r in replies if r.get("card") == "summary")
    assert {f["label"]: f["value"] for f in summary["fields"]}["就医地"] == "福建省厦门市"
    state, replies, _ = turn(state, choice="change:visit")
    assert state["asked"] == "visit" and state["visit_region_code"] is None
    state, replies, _ = turn(state, "杭州")
    assert state["visit_region_code"] == "330100" and state["asked"] == "confirm"


def test_refused_values_from_the_filing_service_are_asked_again():
    from server.errors import Problem

    state = dialog.new_state()
    state.update(phase="confirm")
    state, replies = dialog.reject(state, [Problem("start_date", "filing.start_date_too_early",
                                                   "开始日期最早可以选2026年5月28日")],
                                   {"start_date": "2020-01-01"})
    assert state["reask"] == "start_date" and state["phase"] == "collect"
    assert "开始日期" in words(replies)
    state, replies = dialog.prompt(state, dialog.Env(today=TODAY))
    assert state["asked"] == "start_date" and state["reask"] is None


def test_draft_always_has_every_field():
    draft = dialog.draft_of(dialog.new_state(entry={"visit_region_code": "110000"}))
    assert set(draft) == set(dialog.DRAFT_FIELDS)
    assert draft["visit_region_name"] == "北京市" and draft["insured_region_code"] is None


def test_someone_else_cues():
    cases = {"帮我妈办备案": "parent", "想给我爸办个异地就医备案": "parent", "我爸在汉中参保的，退休职工": "parent",
             "我母亲是安徽六安的新农合": "parent", "替老伴问一下": "spouse", "给孩子办": "child",
             "因为妈妈生病要去上海": None, "我退休了，想去女儿那边长住": None, "女儿在太原": None,
             "我哥在杭州，我也要去杭州看病": None, "因为母亲的医保卡不能在沪使用": "parent",
             "老头子在天津住院了": "spouse"}
    for message, relation in cases.items():
        state = dialog.new_state()
        note_relation(state, understand(message, TODAY, Context()))  # the understanding's one rule
        assert state.get("for_relation") == relation, message


def test_name_and_id_number_answers():
    u = understand("我叫王秀英", TODAY, Context("contact_name", {}))
    assert dialog.person_name_in("我叫王秀英", u) == "王秀英"
    u = understand("阿依古丽·买买提", TODAY, Context("contact_name", {}))
    assert dialog.person_name_in("阿依古丽·买买提", u) == "阿依古丽·买买提"
    u = understand("医保在九江", TODAY, Context("contact_name", {}))
    assert dialog.person_name_in("医保在九江", u) is None
    assert dialog.id_number_in("我的号码是 360402 19580409 3128") == "360402195804093128"
    assert dialog.id_number_in("１１０１０５１９４５０６０１０２３Ｘ") == "11010519450601023X"
    assert dialog.id_number_in("不知道") is None


def test_consent_first_then_deferred_without_taking_situation_answers():
    env = dialog.Env(today=TODAY, consent_accepted=False, identity_missing=("name", "id_number"),
                     privacy={"version": "v1", "title": "告知书", "summary": "短文", "url": "/api/v1/consent"})
    state, replies = dialog.prompt(dialog.new_state(), env)
    assert state["asked"] == "consent" and values(replies) == ["consent:accept", "consent:decline"]
    state, replies, absorbed = turn(state, "医保在九江，去杭州看病", env=env)
    assert absorbed.command is None and state["visit_region_code"] == "330100"
    assert state["asked"] == "scheme" and "没有听明白" not in words(replies)
    state, replies, _ = turn(state, "职工", env=env)  # a bare answer still fills the slot asked
    assert state["scheme"] == "employee"
    state, _, _ = turn(state, choice="type:other_temporary", env=env)
    state, _, _ = turn(state, choice="applicant:self", env=env)
    state, replies, _ = turn(state, "明天", env=env)
    assert state["asked"] == "consent" and any(r.get("card") == "privacy_notice" for r in replies)
    _, replies, absorbed = turn(state, "不同意", env=env)
    assert absorbed.command is None and "没法继续" in words(replies)
    _, _, absorbed = turn(state, "同意", env=env)
    assert absorbed.command == "accept_privacy"
    env.consent_accepted = True
    state, replies = dialog.prompt(state, env)
    assert state["asked"] == "person_name"
    state, replies, absorbed = turn(state, "王秀英", env=env)
    assert absorbed.profile == {"name": "王秀英"}
    env.identity_missing = ("id_number",)
    state, replies = dialog.prompt(state, env)
    state, replies, absorbed = turn(state, "110105194506010230", env=env)
    assert absorbed.profile == {} and "校验不通过" in words(replies) and state["asked"] == "id_number"
    assert "110105194506010230" not in str(state) + str(replies)


def test_counter_qr_greeting_survives_the_privacy_notice():
    env = dialog.Env(today=TODAY, consent_accepted=False)
    state = dialog.new_state(entry={"institution_name": "广州市第一人民医院", "visit_region_code": "440100"})
    state, replies = dialog.prompt(state, env)
    assert state["asked"] == "consent"
    absorbed = dialog.absorb(state, env, choice="consent:accept")
    assert absorbed.command == "accept_privacy"
    env.consent_accepted = True  # the service accepts it, then asks the next question
    state, replies = dialog.prompt(absorbed.state, env)
    assert "广州市第一人民医院" in words(replies) and state["asked"] == "admitted"


def test_adding_a_family_member_asks_agreement_name_relation_then_id_number():
    env = dialog.Env(today=TODAY)
    state = {**dialog.new_state(), "insured_region_code": "360400", "visit_region_code": "330100",
             "scheme": "employee", "filing_type": "other_temporary"}
    state, replies = dialog.prompt(state, env)
    assert values(replies)[0] == "applicant:self" and "applicant:add" in values(replies)
    state, replies, _ = turn(state, choice="applicant:add", env=env)
    assert state["asked"] == "member_consent"  # before anything of theirs is taken
    state, replies, _ = turn(state, choice="member_consent:yes", env=env)
    assert state["asked"] == "member_name"
    state, replies, _ = turn(state, "刘建国", env=env)
    assert "relation:spouse" in values(replies) and state["asked"] == "member_relation"
    state, replies, _ = turn(state, "是我老伴", env=env)
    assert state["new_member"]["relation"] == "spouse" and state["asked"] == "member_id_number"
    state, replies, absorbed = turn(state, "110105194506010232", env=env)
    assert absorbed.command == "add_member"
    assert absorbed.member == {"name": "刘建国", "relation": "spouse", "id_number": "110105194506010232"}
    assert "110105194506010232" not in str(state) + str(replies)


def test_typed_labels_and_variants_are_read_as_the_offered_option():
    offered = [["本人", "applicant:self"], ["添加其他家人", "applicant:add"]]
    for typed in ("本人", "给我自己办", "我自己", "就我自己吧"):
        assert dialog.typed_choice(typed, offered) == "applicant:self", typed
    assert dialog.typed_choice("我自己，医保在九江", offered) is None  # says more than the option
    types = [["其他临时外出就医人员", "type:other_temporary"], ["异地转诊就医人员", "type:referral"]]
    assert dialog.typed_choice("其他临时外出就医", types) == "type:other_temporary"
    assert dialog.typed_choice("确认无误", [["确认无误", "confirm"]]) == "confirm"
    assert dialog.typed_choice("提交", [["提交备案", "submit"], ["再看看", "change_menu"]]) == "submit"
    assert dialog.typed_choice("看过了", [["本人已仔细阅读备案告知书", "notice:accept"]]) == "notice:accept"
    # a date option is never taken by its label: the date is read against the message's own day
    assert dialog.typed_choice("明天", [["明天", "start:2026-12-02"]]) is None


def test_contact_name_corrections():
    assert dialog.contact_name_in("联系人改成徐慧", None, "张三") == "徐慧"
    assert dialog.contact_name_in("联系人不对，是徐慧", "confirm", "张三") == "徐慧"
    assert dialog.contact_name_in("联系人写我老婆徐慧", None, "张三") == "徐慧"
    assert dialog.contact_name_in("就写我", "contact_name", "张三") == "张三"
    assert dialog.contact_name_in("联系人还是就写我吧", "confirm", "张三") == "张三"
    assert dialog.contact_name_in("医保在九江", "contact_name", "张三") is None
    assert dialog.contact_name_in("徐慧", "scheme", "张三") is None  # not asked, no cue
