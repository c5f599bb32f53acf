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


# Phrasings written while tuning the paraphrases and thresholds (not the corpus's aside part).
TUNING = [
    ("我爸在外地住院花了三万多，当时没备案，现在咋整", "no_filing_paid"),
    ("没弄备案就去看病了还能报不", "no_filing_paid"),
    ("报销的时候要拿哪些单子回去", "manual_reimburse"),
    ("住院期间能不能补办异地备案", "file_before_discharge"),
    ("病人还没出院现在办备案还算数吗", "file_before_discharge"),
    ("在外面旅游摔伤了急诊，医保怎么算", "emergency_counts"),
    ("急诊住院没提前备案影响报销吗", "emergency_counts"),
    ("开始时间能不能选上个礼拜", "backdate_limit"),
    ("异地看病到底用哪个地方的报销政策", "whose_rules"),
    ("跨省看病报销会少多少", "ratio_by_type"),
    ("转诊到外省报销比例是多少", "ratio_by_type"),
    ("是不是必须指定一家医院", "which_hospitals"),
    ("备案以后那个城市的医院都能用吗", "which_hospitals"),
    ("怎么查这个医院能不能异地直接结算", "check_hospital_open"),
    ("在外地药房买药能用医保吗", "pharmacy"),
    ("申请了备案多久能通过", "how_soon_valid"),
    ("备案是当天生效吗", "how_soon_valid"),
    ("在哪看审核结果", "check_progress"),
    ("临时备案有效期几个月", "validity"),
    ("快过期了怎么续", "extend_temporary"),
    ("长期居住备案需要带什么", "materials_long_term_resident"),
    ("退休安置备案要户口本吗", "materials_retiree"),
    ("转院备案要准备哪些东西", "materials_referral"),
    ("没有材料能用承诺书吗", "commitment_letter"),
    ("转诊证明是谁开的", "referral_who_issues"),
    ("我该选长期还是临时", "which_type"),
    ("退休后户口迁到女儿那边了属于哪类", "type_retiree"),
    ("怎样取消异地就医备案", "cancel_how"),
    ("长期备案半年内能撤吗", "lock_long_term"),
    ("搬到另一个城市了备案要改吗", "change_visit_place"),
    ("备案审核没通过怎么回事", "rejected"),
    ("省内跨市住院用不用备案", "in_province"),
    ("慢特病在外省能直接报销吗", "chronic_outpatient"),
    ("电子医保凭证怎么弄", "e_voucher"),
    ("可以给我老伴办备案吗", "file_for_family"),
    ("怎样网上办理异地就医备案", "how_to_file"),
    ("去外地住院医保怎么结算", "how_reimbursed"),
    ("社保卡在哪里办", "oos_social_card"),
    ("本地住院报销多少", "oos_local_ratio"),
    ("医保每年交多少钱", "oos_contribution"),
    ("在外地生小孩能报吗", "oos_maternity"),
    ("医保能转到子女那边吗", "oos_transfer"),
    ("看病的时候忘了备案，费用还能不能报", "no_filing_paid"),
    ("回参保地报销需要准备的东西有哪些", "manual_reimburse"),
    ("人住进医院三天了，现在申请备案行不行", "file_before_discharge"),
    ("出差路上心脏病发作送急诊，没有备案", "emergency_counts"),
    ("异地就医用的是哪里的药品目录", "whose_rules"),
    ("其他临时外出的报销比例降几个点", "ratio_by_type"),
    ("备案的时候要不要选具体医院", "which_hospitals"),
    ("怎么确认医院开通了跨省联网", "check_hospital_open"),
    ("网上提交备案以后几个工作日审核", "how_soon_valid"),
    ("我的备案审核到哪一步了怎么看", "check_progress"),
    ("异地长期居住备案有效期多长", "validity"),
    ("临时外出备案到期以后还想继续看病", "extend_temporary"),
    ("常驻外地工作的备案要提交什么证明", "materials_resident_worker"),
    ("承诺书签了以后还要补交材料吗", "commitment_obligations"),
    ("转诊转院证明哪家医院可以开", "referral_who_issues"),
    ("退休人员户口没迁过去选什么类型", "type_long_term_resident"),
    ("急诊抢救需要办备案吗", "type_emergency"),
    ("备案成功后还能撤销吗", "cancel_how"),
    ("长期居住备案为什么不能马上撤销", "lock_long_term"),
    ("同一时间能备案两个城市吗", "change_visit_place"),
    ("备案退回来让补材料怎么弄", "returned_fix"),
    ("在省内另一个城市住院怎么报销", "in_province"),
    ("门诊慢特病跨省结算有哪些病", "chronic_outpatient"),
    ("看病的时候可以用手机医保码吗", "e_voucher"),
    ("能帮我婆婆办异地备案吗", "file_for_family"),
    ("异地就医备案的办理渠道有哪些", "how_to_file"),
    ("外地看病时医保是怎么报销的", "how_reimbursed"),
    ("社保卡补办要多久", "oos_social_card"),
    ("住院报销的起付线是多少", "oos_local_ratio"),
    ("灵活就业医保怎么交", "oos_contribution"),
    ("工伤在外地看病能报销吗", "oos_work_injury"),
    ("你都能帮我干啥", "what_can_you_do"),
    ("老人在外地住院没有办备案，医药费能回来报吗", "no_filing_paid"),
    ("自费结算了还能补报吗", "no_filing_paid"),
    ("报销需要哪些单据和证明", "manual_reimburse"),
    ("发票丢了还能手工报销吗", "manual_reimburse"),
    ("住院第二天补备案可以直接结算吗", "file_before_discharge"),
    ("在外地出车祸急救，医保能报吗", "emergency_counts"),
    ("急诊花的钱医保报不报", "emergency_counts"),
    ("异地看病的药品目录按哪里", "whose_rules"),
    ("异地就医待遇和本地一样吗", "ratio_by_type"),
    ("没有转诊直接去外地看病报多少", "referral_without_slip"),
    ("备案了要不要再选定点医院", "which_hospitals"),
    ("在哪里查医院是否开通异地结算", "check_hospital_open"),
    ("线上备案审核要几个工作日", "how_soon_valid"),
    ("备案好了有短信通知吗", "check_progress"),
    ("备案有效期怎么算", "validity"),
    ("临时备案过期了怎么办", "extend_temporary"),
    ("异地长期居住备案需要居住证吗", "materials_long_term_resident"),
    ("单位派我去外地要开什么证明", "materials_resident_worker"),
    ("没有转诊单能办转诊备案吗", "materials_referral"),
    ("个人承诺书在哪签", "commitment_letter"),
    ("转诊证明必须是参保地医院开的吗", "referral_who_issues"),
    ("跟着儿子在外地生活应该选哪种备案", "type_long_term_resident"),
    ("公司派我去外省常驻算哪种", "type_resident_worker"),
    ("回老家看病选哪个类型", "type_other_temporary"),
    ("备案怎么作废", "cancel_how"),
    ("长期居住备案可以随时取消吗", "lock_long_term"),
    ("我想换个城市看病备案能改吗", "change_visit_place"),
    ("备案显示待补充材料怎么办", "returned_fix"),
    ("同省的两个城市之间看病怎么报", "in_province"),
    ("尿毒症透析在外地能直接结算吗", "chronic_outpatient"),
    ("怎么用医保电子凭证看病", "e_voucher"),
    ("亲情账户能绑几个人", "family_account"),
    ("给我爱人办异地备案需要什么", "file_for_family"),
    ("去社保局窗口办备案要带啥", "offline_counter"),
    ("在外地住院出院时要带什么办结算", "bring_card_admission"),
    ("刷脸认证失败怎么办理备案", "face_recognition_fail"),
    ("医保卡办理需要什么材料", "oos_social_card"),
    ("城乡居民医保一年交多少", "oos_contribution"),
]

# Phrasings written after tuning and measured once (23 of 30 found): a guard against regressions.
AFTER_TUNING = [
    ("我在外地做手术时没有办备案，出院以后还能报销吗", "no_filing_paid"),
    ("手工报销一般要哪些材料", "manual_reimburse"),
    ("今天刚住院，马上备案能赶上出院直接结算吗", "file_before_discharge"),
    ("在外省突然晕倒被送去抢救，医保还管不管", "emergency_counts"),
    ("异地就医是按就医地的目录吗", "whose_rules"),
    ("转诊的话报销会比本地低吗", "ratio_by_type"),
    ("备案完了能在那边任何一家医院看病吗", "which_hospitals"),
    ("哪里可以查到开通异地结算的医院名单", "check_hospital_open"),
    ("提交备案后要等几天", "how_soon_valid"),
    ("备案有效期是多久啊", "validity"),
    ("备案到期前可以延长吗", "extend_temporary"),
    ("异地安置退休备案需要什么证明", "materials_retiree"),
    ("用承诺书备案的要在多长时间内补材料", "commitment_obligations"),
    ("转诊证明能不能在外地医院开", "referral_who_issues"),
    ("急诊抢救的备案需要材料吗", "materials_emergency"),
    ("怎么取消我的备案", "cancel_how"),
    ("长期备案多久才能变更", "lock_long_term"),
    ("想把就医地从北京改成天津怎么办", "change_visit_place"),
    ("备案审核被拒绝了怎么办", "rejected"),
    ("同一个省内看病需要办异地备案吗", "in_province"),
    ("高血压在外省能用医保开药吗", "chronic_outpatient"),
    ("没带社保卡用手机能结算吗", "e_voucher"),
    ("可以帮我儿子办备案吗", "file_for_family"),
    ("异地就医备案在手机上怎么办", "how_to_file"),
    ("在外地住院出院时怎么结算", "how_reimbursed"),
    ("社保卡怎么申请", "oos_social_card"),
    ("医保住院起付线多少钱", "oos_local_ratio"),
    ("医保断交了怎么补", "oos_contribution"),
    ("在外地生孩子医保报销吗", "oos_maternity"),
    ("退休了医保关系能转走吗", "oos_transfer"),
]


def test_tuning_and_later_phrasings_mostly_find_their_entry():
    for phrasings, share in ((TUNING, 0.8), (AFTER_TUNING, 0.7)):
        right = [t for t, e in phrasings if (m := match(t)) is not None and m.entry_id == e]
        assert len(right) >= share * len(phrasings), sorted({t for t, _ in phrasings} - set(right))


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


@pytest.mark.parametrize("text", [
    "我是郑州的职工医保，在北京住院了，没有备案，请问怎么办？",
    "我妈做完手术已经交了钱，这些费用回郑州能报销吗？",
])
def test_already_paid_or_never_filed_learns_what_can_still_be_done(text):
    found = match(text)
    assert found is not None and found.entry_id == "no_filing_paid", found
    assert "手工报销" in found.answer and "出院" in found.answer and "急诊" in found.answer
