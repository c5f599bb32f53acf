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
