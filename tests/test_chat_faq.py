"""The chat's FAQ door (server.chat.faq) onto the knowledge base: the phrasings the earlier fixed
FAQ answered still find their answer, statements find none, answers follow the filing type."""
from __future__ import annotations

import pytest

from server.chat.faq import INTENTS, answer, detect_question


@pytest.mark.parametrize("text, entry_id", [
    ("需要什么材料？", "materials_overview"),
    ("要带哪些证明啊", "materials_overview"),
    ("没备案能报销吗？", "no_filing_paid"),
    ("不备案的话看病能报吗", "no_filing_paid"),
    ("多久能审核好？", "how_soon_valid"),
    ("审核要几天", "how_soon_valid"),
    ("备案后哪些医院能用？", "which_hospitals"),
    ("是不是只能去一家定点医院", "which_hospitals"),
    ("报销比例会降低吗？", "ratio_by_type"),
    ("异地看病能报多少", "ratio_by_type"),
    ("能补办吗？", "file_before_discharge"),
    ("已经出院了还能补备案吗", "file_before_discharge"),
    ("备案多久有效？", "validity"),
    ("有效期是多长", "validity"),
    ("怎么撤销？", "cancel_how"),
    ("不想要了能取消吗", "cancel_how"),
])
def test_detect_question(text, entry_id):
    assert detect_question(text) == entry_id


@pytest.mark.parametrize("text", ["医保在徐州", "你好我要补备案", "职工", "", "去北京看病，需要带材料"])
def test_statements_are_not_questions(text):
    # 需要带材料 without a question word is an instruction to the assistant, not a question.
    assert detect_question(text) is None


def test_materials_follow_the_type():
    assert "户口簿" in answer("materials", "retiree_relocated")
    assert "居住证" in answer("materials", "long_term_resident")
    assert "劳动合同" in answer("materials", "resident_worker")
    referral = answer("materials", "referral")
    assert "转诊转院证明" in referral and "不能用承诺书代替" in referral
    assert "不需要其他证明" in answer("materials", "other_temporary")
    general = answer("materials", None)
    assert "户口簿" in general and "转诊转院证明" in general


def test_every_entry_answers_in_short_chinese():
    for intent in INTENTS:
        for filing_type in (None, "retiree_relocated", "referral", "other_temporary"):
            text = answer(intent, filing_type)
            assert 10 < len(text) < 260 and any("\u4e00" <= ch <= "\u9fff" for ch in text)
    with pytest.raises(ValueError):
        answer("weather")


# --- retrieval on paraphrases written for these tests (none is a paraphrase of an entry or a
# message of the evaluation corpus), written after the situation/place/guard changes and not tuned
# on: the retrieval before those changes finds 12 of the 20, this one 18.

from server.chat import faq as _faq  # noqa: E402
from server.chat.knowledge.retrieval import normalize  # noqa: E402
from server.chat.knowledge.situation import situation  # noqa: E402

WRITTEN = [
    ("我婆婆在杭州做的手术，出院时全是自己掏的钱，回合肥还能报吗", "no_filing_paid"),
    ("孩子在外省看病没弄那个备案，医药费能回来报账不", "no_filing_paid"),
    ("去年在上海住院花了七八万，当时啥也没办，现在还有办法报吗", "no_filing_paid"),
    ("人还在医院躺着呢，没备案，赶紧办还能直接结算不", "file_before_discharge"),
    ("旅游途中突发心梗被送进医院抢救，没提前备案，医保给报吗", "emergency_counts"),
    ("回老家要带哪些单子才能报销外地住院的钱", "manual_reimburse"),
    ("备案以后在那个城市去哪家医院都可以吗", "which_hospitals"),
    ("外地看病报销是看哪里的政策", "whose_rules"),
    ("异地备案提交了要等几天才能用", "how_soon_valid"),
    ("临时去外地看病的备案能管多久", "validity"),
    ("不想在外地看了，备案怎么取消掉", "cancel_how"),
    ("在外省药房拿药能刷医保卡吗", "pharmacy"),
    ("手机上的医保码去外地看病能用吗", "e_voucher"),
    ("高血压的门诊药在外省能报吗", "chronic_outpatient"),
    ("我想帮我爸办异地备案可以吗", "file_for_family"),
    ("什么叫异地就医啊", "what_is_filing"),
    ("医保想迁到女儿那边去可以吗", "oos_transfer"),
    ("本地住院医保能报几成", "oos_local_ratio"),
    ("社保卡丢了在哪补办", "oos_social_card"),
    ("用承诺书办的备案，材料什么时候补", "commitment_obligations"),
]


def test_written_paraphrases_find_their_entry():
    found = {text: (m.entry_id if (m := _faq.match(text)) else None) for text, _ in WRITTEN}
    wrong = [(text, found[text], want) for text, want in WRITTEN if found[text] != want]
    assert len(wrong) <= 3, wrong


@pytest.mark.parametrize("text", [
    "乌鲁木齐办理异地身份证需要多长时间", "广州居住证改地址要多久", "公积金异地怎么提取",
    "外地驾照怎么换本地的", "住多久才能办居住证", "今天天气怎么样",
])
def test_other_services_get_no_entry(text):
    assert _faq.match(text) is None


def test_place_names_say_where_not_what():
    # 回郑州能报吗 and 回合肥能报吗 are one question; the place is the understanding's business
    assert normalize("回郑州能报吗") == normalize("回合肥能报吗") == normalize("回去能报吗").replace("去", "")
    assert "郑州" not in normalize("郑州市医保")


@pytest.mark.parametrize("text, told", [
    ("我妈在北京做的手术，钱都交了，回郑州能报吗", "no_filing_paid"),
    ("在外地住院了没有备案怎么办", "no_filing_paid"),
    ("还没出院，现在补备案能直接结算吗", "file_before_discharge"),
    ("突然发病送去急诊了，没备案能报吗", "emergency_counts"),
    ("本地住院花了一万能报多少", None),      # paid, but nothing says the place is elsewhere
    ("备案需要什么材料", None),
])
def test_the_situation_behind_a_question(text, told):
    assert situation(normalize(text)) == told


def test_a_situation_never_replaces_a_more_specific_answer():
    assert _faq.match("已经自费了，回去报销要带哪些票据").entry_id == "manual_reimburse"
    assert _faq.match("在外地生孩子花的钱回去能报吗").entry_id == "oos_maternity"


def test_an_entry_about_its_own_thing_needs_that_thing_named():
    # 医保卡在外省能用吗 is not about getting a card; 药 is what makes the pharmacy entry
    assert _faq.match("医保卡在外省能用吗").entry_id != "oos_social_card"
    assert _faq.match("异地备案后能去哪家医院看").entry_id != "pharmacy"


def test_which_type_asked_in_few_words_and_nothing_else_taken_for_it():
    from server.chat.knowledge import match

    for text in ("过冬算哪种", "我这种情况算哪种", "选哪个类型", "候鸟老人办哪种备案", "去海南过冬要备案吗"):
        found = match(text)
        assert found is not None and found.entry_id == "which_type", text
    for text in ("哪种好吃", "这个类型的衣服哪里买"):
        assert match(text) is None, text
