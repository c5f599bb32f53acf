"""Whole conversations over HTTP, each from the first message to a submitted filing by a person
with no profile: at most 12 turns (a message or a choice; an upload or a signature on its card,
with its "done", counts as one), never 没听明白, nothing asked again once answered."""
from __future__ import annotations

from datetime import date

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
