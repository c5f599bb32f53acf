"""The knowledge base: its entries, retrieval on paraphrases nobody typed into it, the confidence
threshold, answers built from the rules' values, and a question answered in the chat over HTTP."""
from __future__ import annotations

import re

import pytest

from server.chat import faq, knowledge
from server.chat.knowledge import ENTRIES, answer, is_question, match
from server.chat.knowledge.facts import (CHRONIC_ADDED_YEAR, FAMILY_ACCOUNT_CHILD_AGE,
                                         RATIO_CUT_POINTS, Facts, facts_for)
from server.filing.rules import FILING_TYPES
from server.regions.policy import NATIONAL_DEFAULTS, RegionPolicy, get_policy_book, policy_for
from tests.conftest import login

POLICY_NUMBERS = ("max_backdate_days", "temporary_validity_months", "long_term_lock_months",
                  "proof_due_days", "review_working_days")
CONTEXTS = [None, *({"filing_type": t} for t in FILING_TYPES),
            *({"insured_region_code": c, "filing_type": t}
              for c in [*get_policy_book().overridden_codes(), "110000"]
              for t in (None, "long_term_resident", "referral"))]


def test_entries_cover_the_topics_with_paraphrases_and_sources():
    assert len(ENTRIES) >= 60
    for e in ENTRIES:
        assert len(e.questions) >= 3, e.id
        assert e.sources and all(re.match(r"https?://\S+$", s) for s in e.sources), e.id
    ids = {e.id for e in ENTRIES}
    for needed in ("no_filing_paid", "manual_reimburse", "file_before_discharge", "emergency_counts",
                   "whose_rules", "ratio_by_type", "which_hospitals", "check_hospital_open",
                   "how_soon_valid", "materials_referral", "referral_who_issues", "cancel_how",
                   "lock_long_term", "change_visit_place", "validity", "in_province",
                   "chronic_outpatient", "e_voucher", "file_for_family", "regional_rules",
                   "oos_social_card", "oos_local_ratio"):
        assert needed in ids


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_answer_is_short_plain_chinese(context):
    for e in ENTRIES:
        text = answer(e.id, context)
        assert 10 < len(text) < 260, (e.id, len(text))
        assert re.search(r"[\u4e00-\u9fff]", text)
        assert not re.search(r"[a-z_]{4,}", text), (e.id, text)  # no code leaks into Chinese


def _rule_numbers(context) -> set[str]:
    """Every number an answer may say: the insured place's settings (and, for the regional
    entry, every overriding place's), the ratio cuts and the two dated national facts."""
    policies = [facts_for(context).policy, NATIONAL_DEFAULTS,
                *(policy_for(c) for c in get_policy_book().overridden_codes())]
    numbers = {getattr(p, name) for p in policies for name in POLICY_NUMBERS}
    numbers |= set(RATIO_CUT_POINTS.values()) | {CHRONIC_ADDED_YEAR, FAMILY_ACCOUNT_CHILD_AGE}
    return {str(n) for n in numbers}


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_number_in_an_answer_comes_from_the_rules(context):
    allowed = _rule_numbers(context)
    own = {str(getattr(facts_for(context).policy, n)) for n in POLICY_NUMBERS}
    for e in ENTRIES:
        text = answer(e.id, context)
        for number in re.findall(r"\d+", text):
            assert number in allowed, (e.id, number, text)
            if e.id != "regional_rules" and context and context.get("insured_region_code"):
                # fitted to a known place: no other place's setting leaks in
                assert number in own | {str(v) for v in RATIO_CUT_POINTS.values()} | {
                    str(CHRONIC_ADDED_YEAR), str(FAMILY_ACCOUNT_CHILD_AGE)}, (e.id, number)


def test_taiyuan_has_no_lock_and_a_changed_setting_changes_the_answer():
    taiyuan = {"insured_region_code": "140100", "filing_type": "long_term_resident"}
    assert policy_for("140100").long_term_lock_months == 0
    for entry_id in ("cancel_how", "lock_long_term", "change_visit_place"):
        text = answer(entry_id, taiyuan)
        assert "太原市" in text and "随时" in text and "6个月" not in text, text
    national = answer("cancel_how", {"filing_type": "long_term_resident"})
    assert f"{NATIONAL_DEFAULTS.long_term_lock_months}个月" in national
    three = Facts("long_term_resident", RegionPolicy("000000", long_term_lock_months=3), "某市")
    assert "3个月" in knowledge.entry("cancel_how").answer(three)
    assert "太原市" in answer("regional_rules") and "潍坊市" in answer("regional_rules")
    weifang = answer("commitment_obligations", {"insured_region_code": "370700"})
    assert f"{policy_for('370700').proof_due_days}天" in weifang


def test_answers_follow_the_filing_type():
    assert "户口簿" in answer("materials_overview", {"filing_type": "retiree_relocated"})
    referral = answer("materials_overview", {"filing_type": "referral"})
    assert "转诊转院证明" in referral and "不能用承诺书代替" in referral
    assert f"{RATIO_CUT_POINTS['other_temporary']}个百分点" in answer(
        "ratio_by_type", {"filing_type": "other_temporary"})
    assert "不降低" in answer("ratio_by_type", {"filing_type": "resident_worker"})
    assert "马上" in answer("how_soon_valid", {"filing_type": "emergency"})
    assert f"{NATIONAL_DEFAULTS.review_working_days}个工作日" in answer(
        "how_soon_valid", {"filing_type": "referral"})


# Paraphrases written for this test: none is an entry's own wording or a corpus message.
UNSEEN = [
    ("我没办备案就在外地把病看了，钱都是自己掏的，还能报吗", "no_filing_paid"),
    ("回去手工报销得准备哪些票据", "manual_reimburse"),
    ("人还在医院住着呢，现在补备案出院能直接结算不", "file_before_discharge"),
    ("出门旅游突然犯病送去急诊了，没备案咋办", "emergency_counts"),
    ("外地看病到底按哪边的政策报", "whose_rules"),
    ("临时外出就医报销比例低多少", "ratio_by_type"),
    ("备了案是不是随便哪个医院都能刷", "which_hospitals"),
    ("怎么知道那家医院开没开通跨省结算", "check_hospital_open"),
    ("提交完备案大概几天能批", "how_soon_valid"),
    ("临时的备案能管几个月", "validity"),
    ("转诊的那个证明找哪个医院开", "referral_who_issues"),
    ("备案不想用了怎么撤掉", "cancel_how"),
    ("就医的城市想换一个咋弄", "change_visit_place"),
    ("我在本省别的市住院要不要备案", "in_province"),
    ("糖尿病在外省医院开药能直接报吗", "chronic_outpatient"),
    ("手机上的医保码看病怎么用", "e_voucher"),
    ("能不能替我爸办这个备案", "file_for_family"),
    ("社保卡丢了去哪补", "oos_social_card"),
    ("我们市住院报销比例是多少", "oos_local_ratio"),
    ("没居住证能不能办长期居住备案", "materials_long_term_resident"),
    ("承诺书备案以后多久要补材料", "commitment_obligations"),
    ("備案需要什麼材料", "materials_overview"),
]


def test_most_unseen_paraphrases_find_their_entry():
    right = [t for t, entry_id in UNSEEN if (m := match(t)) is not None and m.entry_id == entry_id]
    assert len(right) * 3 >= len(UNSEEN) * 2, sorted(set(t for t, _ in UNSEEN) - set(right))


@pytest.mark.parametrize("text, entry_id", [
    ("我没办备案就在外地把病看了，钱都是自己掏的，还能报吗", "no_filing_paid"),
    ("回去手工报销得准备哪些票据", "manual_reimburse"),
    ("外地看病到底按哪边的政策报", "whose_rules"),
    ("怎么知道那家医院开没开通跨省结算", "check_hospital_open"),
    ("提交完备案大概几天能批", "how_soon_valid"),
    ("转诊的那个证明找哪个医院开", "referral_who_issues"),
    ("糖尿病在外省医院开药能直接报吗", "chronic_outpatient"),
    ("社保卡丢了去哪补", "oos_social_card"),
    ("備案需要什麼材料", "materials_overview"),
])
def test_paraphrases_find_their_entry(text, entry_id):
    found = match(text)
    assert found is not None and found.entry_id == entry_id, (text, found)
    assert found.answer and found.source_url.startswith("http") and found.score > 0


@pytest.mark.parametrize("text", ["今天天气怎么样", "河南郑州公务出差住宿标准是多少", "你好",
                                  "帮我订一张去北京的机票", "", "   "])
def test_below_the_threshold_nothing_is_returned(text):
    assert match(text) is None


def test_context_fits_the_answer_to_the_place():
    found = match("长期备案多久以后才能撤销？", {"insured_region_code": "140100",
                                              "filing_type": "retiree_relocated"})
    assert found.entry_id == "lock_long_term" and "随时" in found.answer


def test_questions_and_statements():
    assert is_question("需要什么材料？") and is_question("请问怎么撤销")
    assert not is_question("医保在徐州") and not is_question("职工")
    # statements never trigger an answer through the dialog's door
    for statement in ("医保在徐州", "你好我要补备案", "去北京看病，需要带材料", "好的"):
        assert faq.detect_question(statement) is None


def test_faq_door_keeps_the_earlier_intent_names():
    assert faq.detect_question("需要什么材料？") == "materials_overview"
    assert faq.answer("materials", "retiree_relocated") == answer(
        "materials_overview", {"filing_type": "retiree_relocated"})
    assert "随时" in faq.answer("cancel", "emergency")
    with pytest.raises(ValueError):
        faq.answer("weather")
    assert faq.match("怎么撤销备案？").entry_id == "cancel_how"


def test_a_question_in_the_chat_gets_the_answer(client):
    headers = login(client, "openid-knowledge")
    sid = client.post("/api/v1/chat/sessions", json={}, headers=headers).json["session_id"]
    resp = client.post(f"/api/v1/chat/sessions/{sid}/messages",
                       json={"text": "备案后哪些医院能直接结算？"}, headers=headers)
    assert resp.status_code == 200, resp.json
    said = " ".join(r["text"] for r in resp.json["replies"] if r["type"] == "text")
    assert answer("which_hospitals") in said
