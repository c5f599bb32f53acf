"""FAQ intents asked on the way through the chat, and their answers per filing type."""
from __future__ import annotations

import pytest

from server.chat.faq import INTENTS, answer, detect_question


@pytest.mark.parametrize("text, intent", [
    ("需要什么材料？", "materials"),
    ("要带哪些证明啊", "materials"),
    ("没备案能报销吗？", "no_filing"),
    ("不备案的话看病能报吗", "no_filing"),
    ("多久能审核好？", "review_time"),
    ("审核要几天", "review_time"),
    ("备案后哪些医院能用？", "hospitals"),
    ("是不是只能去一家定点医院", "hospitals"),
    ("报销比例会降低吗？", "ratio"),
    ("异地看病能报多少", "ratio"),
    ("能补办吗？", "backdate"),
    ("已经出院了还能补备案吗", "backdate"),
    ("备案多久有效？", "validity"),
    ("有效期是多长", "validity"),
    ("怎么撤销？", "cancel"),
    ("不想要了能取消吗", "cancel"),
])
def test_detect_question(text, intent):
    assert detect_question(text) == intent


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


def test_ratio_drop_10_or_20_points():
    assert "10个百分点" in answer("ratio", "referral")
    assert "10个百分点" in answer("ratio", "emergency")
    assert "20个百分点" in answer("ratio", "other_temporary")
    assert "不会降低" in answer("ratio", "long_term_resident")
    both = answer("ratio")
    assert "10个百分点" in both and "20个百分点" in both


def test_review_validity_cancel_follow_the_type():
    assert "马上" in answer("review_time", "other_temporary")
    assert "2个工作日" in answer("review_time", "referral")
    assert "长期有效" in answer("validity", "retiree_relocated")
    assert "6个月" in answer("validity", "other_temporary")
    assert "随时" in answer("cancel", "emergency")
    assert "6个月" in answer("cancel", "long_term_resident")


def test_every_intent_has_a_short_chinese_answer():
    for intent in INTENTS:
        for filing_type in (None, "retiree_relocated", "referral", "other_temporary"):
            text = answer(intent, filing_type)
            assert 10 < len(text) < 200 and any("\u4e00" <= ch <= "\u9fff" for ch in text)
    with pytest.raises(ValueError):
        answer("weather")
