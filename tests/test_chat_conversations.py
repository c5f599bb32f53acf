"""Whole conversations over HTTP, each from the first message to a submitted filing by a person
with no profile: at most 12 turns (a message or a choice; an upload or a signature on its card,
with its "done", counts as one), never 没听明白, nothing asked again once answered."""
from __future__ import annotations

from datetime import date

import pytest

from server.filing.models import Filing
from tests.conftest import login
from tests.helpers_filing import sign, upload
from tests.idgen import resident_id
from tests.test_chat_api import card, texts

SENT_AT = "2026-11-24T10:00:00+08:00"
MAX_TURNS = 12


class Conversation:
    def __init__(self, client, openid):
        self.client = client
        self.headers = login(client, openid)
        resp = client.post("/api/v1/chat/sessions", json={}, headers=self.headers)
        assert resp.status_code == 201, resp.json
        self.sid = resp.json["session_id"]
        self.turns = 0
        self.asked: list[str] = []
        self.body = resp.json

    def _post(self, payload):
        resp = self.client.post(f"/api/v1/chat/sessions/{self.sid}/messages", json=payload,
                                headers=self.headers)
        assert resp.status_code == 200, resp.json
        self.body = resp.json
        assert "没有听明白" not in texts(self.body), texts(self.body)
        asked = self.client.get(f"/api/v1/chat/sessions/{self.sid}", headers=self.headers).json["expecting"]
        if asked not in ("done", "proof", None):
            # Asked again only while the person answers something else (the privacy notice, a
            # correction); never once another question came after it.
            repeat = asked in self.asked
            assert not repeat or self.asked[-1] == asked, \
                (asked, self.asked, texts(self.body))
        self.asked.append(asked)
        return self.body

    def say(self, text):
        self.turns += 1
        return self._post({"text": text, "sent_at": SENT_AT})

    def choose(self, value):
        self.turns += 1
        return self._post({"choice": value})

    def sign_letter(self):
        self.turns += 1  # the signature on its card, and its "done"
        assert card(self.body, "signature_request"), texts(self.body)
        assert sign(self.client, self.headers, self.body["filing_id"]).status_code == 201
        return self._post({"choice": "proof:done"})

    def upload_proof(self, doc_code):
        self.turns += 1
        assert card(self.body, "upload_request"), texts(self.body)
        assert upload(self.client, self.headers, self.body["filing_id"], doc_code).status_code == 201
        return self._post({"choice": "proof:done"})

    def submitted(self, db) -> Filing:
        assert self.turns <= MAX_TURNS, self.turns
        assert card(self.body, "result"), texts(self.body)
        return db.session.get(Filing, self.body["filing_id"])


def test_changsha_employee_posted_to_shenzhen(client, db):
    c = Conversation(client, "openid-conv-shenzhen")
    c.say("我在长沙参加的职工医保，单位派我去深圳工作，要办异地备案")
    c.say("下周一开始")
    c.say("同意")  # the privacy notice, asked once the situation is known
    c.say("张伟")
    c.say(resident_id("430102", date(1985, 3, 3), 17))
    c.say("13912345678")
    c.say("深圳市南山区科技园路1号")
    c.say("确认无误")
    c.say("看过了")
    c.sign_letter()
    c.say("提交")
    filing = c.submitted(db)
    assert (filing.insured_region_code, filing.visit_region_code) == ("430100", "440300")
    assert filing.filing_type == "resident_worker" and filing.proof_mode == "commitment"
    assert filing.start_date == date(2026, 11, 30) and filing.contact_name == "张伟"


def test_retired_woman_from_linfen_living_with_her_son_in_qinhuangdao(client, db):
    c = Conversation(client, "openid-conv-linfen")
    c.say("我退休了，医保在临汾，现在跟儿子在秦皇岛长期住，想办异地备案")
    c.say("职工医保")
    c.say("从今天开始")
    c.say("同意")
    c.say("王秀英")
    c.say(resident_id("141002", date(1958, 3, 3), 28))
    c.say("13912345678")
    c.say("秦皇岛市海港区建设大街5号")
    c.say("确认无误")
    c.say("看过了")
    c.sign_letter()
    c.say("提交备案")
    filing = c.submitted(db)
    assert (filing.insured_region_code, filing.visit_region_code) == ("141000", "130300")
    assert filing.filing_type == "long_term_resident" and filing.proof_mode == "commitment"
    assert filing.address == "秦皇岛市海港区建设大街5号"


def test_nanyang_referral_to_beijing_corrected_once(client, db):
    c = Conversation(client, "openid-conv-nanyang")
    c.say("我是南阳的城乡居民医保，医院开了转诊单让我去北京看病")
    c.say("不对，是去天津")
    c.say("下周一")
    c.say("同意")
    c.say("刘强")
    c.say(resident_id("411302", date(1970, 3, 3), 28))
    c.say("13912345678")
    c.say("确认无误")
    c.say("看过了")
    c.upload_proof("referral_certificate")
    c.say("提交")
    filing = c.submitted(db)
    assert (filing.insured_region_code, filing.visit_region_code) == ("411300", "120000")
    assert (filing.scheme, filing.filing_type) == ("resident", "referral")
    assert filing.status == "pending_review"
    assert "审核" in texts(c.body) and "备案记录" in texts(c.body)


def test_son_whose_father_from_yibin_was_rushed_to_chongqing_yesterday(client, db):
    c = Conversation(client, "openid-conv-yibin")
    c.say("我爸昨天在重庆突发脑梗被送去急诊抢救，他的医保在宜宾，要怎么办备案")
    c.say("职工医保")
    c.choose("applicant:add")
    c.say("同意")  # the privacy notice, shown before anything of the father's is taken
    c.choose("member_consent:yes")
    c.say("李建国 " + resident_id("511502", date(1950, 3, 3), 17))  # name and number at once
    c.say("李明")
    c.say("13912345678")
    c.say("确认无误")
    c.say("看过了")
    c.say("提交")
    filing = c.submitted(db)
    assert (filing.insured_region_code, filing.visit_region_code) == ("511500", "500000")
    assert filing.filing_type == "emergency" and filing.start_date == date(2026, 11, 23)
    assert filing.family_member_id is not None and filing.person_name == "李建国"
    assert filing.contact_name == "李明"


def test_daughter_learns_about_manual_claims_then_files_for_her_mother(client, db):
    c = Conversation(client, "openid-conv-zhengzhou")
    body = c.say("我妈退休了，医保在郑州，是职工医保，上个月在北京做了手术，没有备案，钱都是自己垫的，还能报销吗？")
    assert "手工报销" in texts(body) and body["filing_id"] is None  # answered; nothing filed yet
    c.say("好的，帮她办一下，12月8日还要去北京复查")
    c.say("其他临时外出就医")
    c.choose("applicant:add")
    c.say("同意")
    c.choose("member_consent:yes")
    c.say("李桂兰 " + resident_id("410102", date(1952, 6, 1), 24))
    c.say("王芳")
    c.say("13912345678")
    c.say("确认无误")
    c.say("看过了")
    c.say("提交")
    filing = c.submitted(db)
    assert (filing.insured_region_code, filing.visit_region_code, filing.scheme) == ("410100", "110000", "employee")
    assert filing.filing_type == "other_temporary" and filing.start_date == date(2026, 12, 8)
    assert filing.person_name == "李桂兰" and filing.contact_name == "王芳"


# --- the way elderly people and their children type: a question and a situation in one message,
# abbreviations, hospitals for cities, corrections. Each runs over HTTP with the same checks (no
# 没听明白, nothing asked again once another question came) and ends with the draft's values.

TALKS = [
    ("question_and_situation",
     ["我妈医保在郑州 在北京住院了 没备案 现在还能办吗", "职工的", "上周五住进去的"],
     {"insured_region_name": "郑州市", "visit_region_name": "北京市", "scheme": "employee",
      "start_date": "2026-11-20", "applicant": None}),
    ("abbreviations", ["老人医保在渝，来蓉看病，咋备案", "居民医保", "其他临时"],
     {"insured_region_name": "重庆市", "visit_region_name": "成都市", "scheme": "resident",
      "filing_type": "other_temporary"}),
    ("hospital_for_the_city", ["俺爹在湘雅住院 医保是河南南阳的 新农合", "前天住进去的"],
     {"insured_region_name": "南阳市", "visit_region_name": "长沙市", "scheme": "resident",
      "start_date": "2026-11-22", "applicant": None}),
    ("shared_hospital_name_asked", ["我在协和看病，医保在太原", "北京的"],
     {"insured_region_name": "太原市", "visit_region_name": "北京市"}),
    ("town_for_its_city", ["住在燕郊，医保是北京的，想在燕郊看病", "职工"],
     {"insured_region_name": "北京市", "visit_region_name": "廊坊市", "scheme": "employee"}),
    ("former_county_and_correction", ["医保在南溪县，要去上海瑞金看病", "不对 是去杭州", "居民"],
     {"insured_region_name": "宜宾市", "visit_region_name": "杭州市", "scheme": "resident"}),
    ("retired_hukou_moved", ["我退休了，户口跟着女儿迁到海口了，医保还在哈尔滨", "职工医保"],
     {"insured_region_name": "哈尔滨市", "visit_region_name": "海口市", "filing_type": "retiree_relocated",
      "applicant": "self"}),
    ("one_word_answers", ["办备案", "郑州", "北京", "职工", "自己去"],
     {"insured_region_name": "郑州市", "visit_region_name": "北京市", "scheme": "employee",
      "filing_type": "other_temporary"}),
    ("punctuation_runs", ["医保：洛阳。。。去西安看病？？", "城乡居民", "转诊"],
     {"insured_region_name": "洛阳市", "visit_region_name": "西安市", "scheme": "resident",
      "filing_type": "referral"}),
    ("place_and_date_corrected", ["我医保在临汾，明天去太原...不对去北京看病", "后天去", "职工",
                                  "其他临时外出就医"],
     {"insured_region_name": "临汾市", "visit_region_name": "北京市", "start_date": "2026-11-26",
      "filing_type": "other_temporary"}),
    ("for_the_spouse", ["帮我老伴办一下，他在广州住院", "医保在长沙", "职工", "急诊"],
     {"insured_region_name": "长沙市", "visit_region_name": "广州市", "filing_type": "emergency",
      "applicant": None}),
    ("question_first_then_filing", ["没备案在外地住院了能报吗", "帮我办理备案", "医保在九江", "去厦门"],
     {"insured_region_name": "九江市", "visit_region_name": "厦门市"}),
    ("bills_sent_back", ["原来在乌鲁木齐看病配药，现在发票寄回去报销太麻烦了，想办个备案", "我在西安住"],
     {"insured_region_name": "乌鲁木齐市", "visit_region_name": "西安市"}),
    ("outsider_then_insured_place", ["外地患者在北京医保怎么用啊", "帮我办", "医保在保定"],
     {"insured_region_name": "保定市", "visit_region_name": "北京市"}),
    ("posted_and_taken_ill_is_asked", ["公司派我常驻武汉，医保在郑州，昨天突发阑尾炎住院了", "职工"],
     {"insured_region_name": "郑州市", "visit_region_name": "武汉市", "filing_type": None}),
    ("address_before_its_step", ["我在长沙参加的职工医保，单位派我去深圳工作", "深圳市南山区科技园路1号",
                                 "下周一"],
     {"address": "深圳市南山区科技园路1号", "start_date": "2026-11-30", "filing_type": "resident_worker"}),
]


@pytest.mark.parametrize("name, turns, expect", TALKS, ids=[t[0] for t in TALKS])
def test_how_people_type(client, db, name, turns, expect):
    c = Conversation(client, f"openid-talk-{name}")
    for turn in turns:
        body = c.say(turn)
    draft = body["draft"]
    assert {k: draft.get(k) for k in expect} == expect, texts(body)


def test_posted_and_taken_ill_offers_just_the_two_types(client, db):
    c = Conversation(client, "openid-talk-two-types")
    c.say("公司派我常驻武汉，医保在郑州，昨天突发阑尾炎住院了")
    body = c.say("职工")
    values = [o["value"] for r in body["replies"] if r["type"] == "options" for o in r["options"]]
    assert values == ["type:resident_worker", "type:emergency"], texts(body)
