"""The chat contract over HTTP: a whole conversation to a submitted filing, a start from a
counter QR, masking, ownership, and a session continued by a second app instance."""
from __future__ import annotations

from server import create_app
from server.chat.models import ChatMessage, ChatSession
from server.config import TestConfig
from server.filing.models import Filing
from server.institutions import qr
from server.institutions.models import CounterCode, Institution
from tests.conftest import login
from tests.helpers_filing import setup_user

SENT_AT = "2026-11-24T10:00:00+08:00"
DRAFT_KEYS = {"insured_region_code", "insured_region_name", "visit_region_code", "visit_region_name",
              "scheme", "filing_type", "start_date", "end_date", "applicant", "contact_name",
              "contact_phone", "address", "notice_accepted", "proof"}


def say(client, headers, sid, text=None, choice=None, status=200):
    body = {"choice": choice} if choice is not None else {"text": text, "sent_at": SENT_AT}
    resp = client.post(f"/api/v1/chat/sessions/{sid}/messages", json=body, headers=headers)
    assert resp.status_code == status, resp.json
    return resp.json


def option_values(body):
    return [o["value"] for r in body["replies"] if r["type"] == "options" for o in r["options"]]


def texts(body):
    return " ".join(r["text"] for r in body["replies"] if r["type"] == "text")


def card(body, name):
    return next((r for r in body["replies"] if r["type"] == "card" and r["card"] == name), None)


def test_full_conversation_to_submitted_filing(client):
    headers = setup_user(client, "openid-chat-full")  # profile: 成都, employee, consent given
    resp = client.post("/api/v1/chat/sessions", json={}, headers=headers)
    assert resp.status_code == 201
    start = resp.json
    assert start["filing_id"] is None and set(start["draft"]) >= DRAFT_KEYS
    assert start["draft"]["insured_region_name"] == "成都市"
    sid = start["session_id"]

    body = say(client, headers, sid, "我想办异地就医备案")
    assert body["filing_id"] and "看病" in texts(body)
    # An ambiguous place is asked about with options, not guessed.
    body = say(client, headers, sid, "去朝阳看病")
    assert body["draft"]["visit_region_code"] is None
    assert {"visit:211300", "visit:110000"} <= set(option_values(body))
    body = say(client, headers, sid, choice="visit:110000")
    assert body["draft"]["visit_region_name"] == "北京市"
    assert "北京市" in texts(body)  # said back in plain words
    # A correction.
    body = say(client, headers, sid, "不对，是去杭州")
    assert body["draft"]["visit_region_name"] == "杭州市"
    assert any(v.startswith("type:") for v in option_values(body))
    # A question on the way: answered, then the same question again.
    body = say(client, headers, sid, "审核要多久？")
    assert "工作日" in texts(body) or "马上" in texts(body)
    assert any(v.startswith("type:") for v in option_values(body))
    body = say(client, headers, sid, choice="type:other_temporary")
    assert "applicant:self" in option_values(body)
    body = say(client, headers, sid, choice="applicant:self")
    assert "admitted:yes" in option_values(body)
    body = say(client, headers, sid, "还没有")
    body = say(client, headers, sid, "明天")
    assert body["draft"]["start_date"] == "2026-11-25" and body["draft"]["end_date"] == "2027-05-25"
    # Filing for oneself, the contact is oneself (said back; changeable on the summary).
    assert body["draft"]["contact_name"] == "张三"
    body = say(client, headers, sid, "电话是13912345678")
    assert body["draft"]["contact_phone"] == "139****5678"
    summary = card(body, "summary")
    assert summary and "change:visit" in [a["value"] for a in summary["actions"]]
    assert {f["label"]: f["value"] for f in summary["fields"]}["就医地"] == "浙江省杭州市"
    body = say(client, headers, sid, choice="confirm")
    assert card(body, "notice") and "notice:accept" in option_values(body)
    body = say(client, headers, sid, choice="notice:accept")
    assert body["draft"]["notice_accepted"] is True
    assert "submit" in option_values(body)  # other_temporary needs no proof
    body = say(client, headers, sid, choice="submit")
    result = card(body, "result")
    assert result["filing_number"] and result["record_url"] == f"/api/v1/records/{body['filing_id']}"
    assert body["draft"]["status"] == "approved" and body["draft"]["filing_number"] == result["filing_number"]
    assert body["draft"]["proof"] == "none"
    # The filing was filled through the filing service, with the phone as typed.
    filing = client.get(f"/api/v1/filings/{body['filing_id']}", headers=headers).json
    assert filing["source"] == "chat" and filing["visit_region_code"] == "330100"
    assert filing["contact_phone_masked"] == "139****5678"
    # The history is masked.
    history = client.get(f"/api/v1/chat/sessions/{sid}", headers=headers).json
    assert "13912345678" not in str(history) and "139****5678" in str(history)
    assert history["draft"]["status"] == "approved"


def test_refused_same_province_and_picker_after_two_failures(client, db):
    headers = login(client, "openid-chat-picker")
    sid = client.post("/api/v1/chat/sessions", json={}, headers=headers).json["session_id"]
    body = say(client, headers, sid, "医保在苏州")
    body = say(client, headers, sid, "去南京看病")
    assert body["draft"]["visit_region_code"] is None and "同一个省" in texts(body)
    body = say(client, headers, sid, "随便吧")
    assert option_values(body) == ["picker:visit"]
    body = say(client, headers, sid, "嗯嗯嗯")
    values = option_values(body)
    # After two failed attempts: explained, and the province picker without the insured province.
    assert "visit:440000" in values and "visit:320000" not in values and len(values) == 30
    assert "要去看病的城市" in texts(body)
    body = say(client, headers, sid, choice="visit:440000")
    assert body["draft"]["visit_region_code"] is None and "visit:440100" in option_values(body)
    body = say(client, headers, sid, choice="visit:440100")
    assert body["draft"]["visit_region_name"] == "广州市"


def test_start_from_counter_qr(client, db, app):
    headers = setup_user(client, "openid-chat-qr")
    inst = Institution(code="CHATH001", name="广州市第一人民医院", region_code="440100", province_code="440000",
                       kind="hospital", level="三级", inpatient=True)
    db.session.add(inst)
    db.session.flush()
    code = CounterCode(institution_id=inst.id, counter_name="住院处")
    db.session.add(code)
    db.session.commit()
    token = qr.make_token(app.config["SECRET_KEY"], code.id)
    resp = client.post("/api/v1/chat/sessions", json={"entry": token}, headers=headers)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["draft"]["visit_region_name"] == "广州市" and "广州市第一人民医院" in texts(body)
    assert "admitted:yes" in option_values(body)
    sid = body["session_id"]
    body = say(client, headers, sid, "已经住院了")
    assert "start:2026-11-23" in option_values(body) or any(v.startswith("start:") for v in option_values(body))
    body = say(client, headers, sid, "昨天住进来的")
    assert body["draft"]["start_date"] == "2026-11-23"
    filing = db.session.get(Filing, body["filing_id"])
    assert filing.origin_institution_id == inst.id
    bad = client.post("/api/v1/chat/sessions", json={"entry": "forged"}, headers=headers)
    assert bad.status_code == 404


def test_only_owner_and_masking(client, db):
    alice = login(client, "openid-chat-a")
    bob = login(client, "openid-chat-b")
    sid = client.post("/api/v1/chat/sessions", json={}, headers=alice).json["session_id"]
    say(client, alice, sid, "我的身份证号110105194506010235，电话13800138000")
    assert client.get(f"/api/v1/chat/sessions/{sid}", headers=bob).status_code == 404
    assert client.post(f"/api/v1/chat/sessions/{sid}/messages", json={"text": "你好"},
                       headers=bob).status_code == 404
    assert client.get("/api/v1/chat/sessions/nope", headers=alice).status_code == 404
    assert client.post("/api/v1/chat/sessions", json={}).status_code == 401
    stored = " ".join(m.text or "" for m in db.session.execute(db.select(ChatMessage)).scalars())
    assert "110105194506010235" not in stored and "13800138000" not in stored
    assert client.post(f"/api/v1/chat/sessions/{sid}/messages", json={}, headers=alice).status_code == 422


def test_two_app_instances_continue_one_session(client, app):
    headers = login(client, "openid-chat-two")
    sid = client.post("/api/v1/chat/sessions", json={}, headers=headers).json["session_id"]
    say(client, headers, sid, "医保在九江")
    other = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                  UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"]))
    body = say(other.test_client(), headers, sid, "去厦门看病")
    assert body["draft"]["insured_region_name"] == "九江市"
    assert body["draft"]["visit_region_name"] == "厦门市"
    with other.app_context():
        from server.extensions import db as _db
        _db.session.remove()
        _db.engine.dispose()


def test_new_user_files_entirely_in_the_chat(client, db):
    """No profile, no consent: the privacy notice, the name and the ID number are asked in the chat."""
    from datetime import date

    from server.common.idnumbers import mask_id
    from tests.helpers_filing import resident_id

    headers = login(client, "openid-chat-new")
    id_number = resident_id("360402", date(1958, 4, 9), 31)
    start = client.post("/api/v1/chat/sessions", json={}, headers=headers).json
    sid = start["session_id"]
    notice = card(start, "privacy_notice")
    assert notice["version"] and notice["text"] and notice["url"] == "/api/v1/consent"
    assert option_values(start) == ["consent:accept", "consent:decline"]
    # Declining is explained and the notice offered again; nothing is filed.
    body = say(client, headers, sid, choice="consent:decline")
    assert "没法继续" in texts(body) and card(body, "privacy_notice")
    assert body["filing_id"] is None
    body = say(client, headers, sid, "同意")
    assert body["filing_id"] and "告知书" in texts(body)
    assert not card(body, "privacy_notice")
    body = say(client, headers, sid, "我想办异地就医备案")
    assert "参保" in texts(body)
    body = say(client, headers, sid, "医保在九江，职工医保")
    body = say(client, headers, sid, "去杭州看病")
    body = say(client, headers, sid, choice="type:other_temporary")
    body = say(client, headers, sid, choice="applicant:self")
    body = say(client, headers, sid, "还没有")
    body = say(client, headers, sid, "明天")
    assert body["draft"]["start_date"] == "2026-11-25"
    assert "姓名" in texts(body) and not card(body, "privacy_notice")
    body = say(client, headers, sid, "我叫王秀英")
    assert "身份证号码" in texts(body)
    # A wrong number: said simply, asked again; after two, the profile page is offered too.
    bad = id_number[:-1] + ("0" if id_number[-1] != "0" else "1")
    body = say(client, headers, sid, bad)
    assert "校验不通过" in texts(body) and not card(body, "identity_request")
    body = say(client, headers, sid, "12345")
    assert "18位" in texts(body) and card(body, "identity_request")
    body = say(client, headers, sid, f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}")
    assert mask_id(id_number) in texts(body)
    assert body["draft"]["contact_name"] == "王秀英"
    body = say(client, headers, sid, "13912345678")
    assert card(body, "summary")
    body = say(client, headers, sid, choice="confirm")
    body = say(client, headers, sid, choice="notice:accept")
    body = say(client, headers, sid, choice="submit")
    result = card(body, "result")
    assert result and result["filing_number"] and body["draft"]["status"] == "approved"
    me = client.get("/api/v1/me", headers=headers).json
    assert me["name"] == "王秀英" and me["id_number_masked"] == mask_id(id_number)
    filing = client.get(f"/api/v1/filings/{body['filing_id']}", headers=headers).json
    assert filing["person_name"] == "王秀英"
    consent = client.get("/api/v1/consent", headers=headers).json
    assert consent["accepted"] is True
    history = str(client.get(f"/api/v1/chat/sessions/{sid}", headers=headers).json)
    stored = " ".join(m.text or "" for m in db.session.execute(db.select(ChatMessage)).scalars())
    for secret in (id_number, bad, "13912345678", id_number[6:14]):
        assert secret not in history and secret not in stored
    states = str([s.state for s in db.session.execute(db.select(ChatSession)).scalars()])
    assert id_number not in states and "13912345678" not in states


def test_situation_first_puts_the_privacy_notice_off_until_it_is_known(client, db):
    headers = login(client, "openid-chat-later")
    sid = client.post("/api/v1/chat/sessions", json={}, headers=headers).json["session_id"]
    body = say(client, headers, sid, "医保在九江，职工医保，电话13912345678")
    # The values are kept, nothing is filed yet, and the next situation question is asked.
    assert body["filing_id"] is None and body["draft"]["insured_region_name"] == "九江市"
    assert body["draft"]["contact_phone"] is None and not card(body, "privacy_notice")
    body = say(client, headers, sid, "杭州")
    assert body["draft"]["visit_region_name"] == "杭州市"
    body = say(client, headers, sid, choice="type:other_temporary")
    body = say(client, headers, sid, choice="applicant:self")
    body = say(client, headers, sid, "明天")
    # Once the situation is known: the notice, before anything personal.
    assert card(body, "privacy_notice") and body["filing_id"] is None
    body = say(client, headers, sid, "你好")
    assert card(body, "privacy_notice") and body["filing_id"] is None
    body = say(client, headers, sid, choice="consent:accept")
    assert body["filing_id"] and "姓名" in texts(body)
    filing = db.session.get(Filing, body["filing_id"])
    assert (filing.insured_region_code, filing.visit_region_code, filing.scheme) == ("360400", "330100", "employee")
    assert filing.start_date.isoformat() == "2026-11-25"
    assert "13912345678" not in str(client.get(f"/api/v1/chat/sessions/{sid}", headers=headers).json)


def test_filing_for_a_family_member_added_in_the_chat(client, db):
    from datetime import date

    from tests.helpers_filing import resident_id

    headers = setup_user(client, "openid-chat-family")
    mother_id = resident_id("430702", date(1952, 2, 3), 42)
    sid = client.post("/api/v1/chat/sessions", json={}, headers=headers).json["session_id"]
    body = say(client, headers, sid, "帮我妈办备案，她医保在湖南常德，新农合")
    body = say(client, headers, sid, "去广州看病")
    body = say(client, headers, sid, choice="type:other_temporary")
    # For someone else: no family member yet, so adding one is offered first.
    assert option_values(body)[0] == "applicant:add" and "家人" in texts(body)
    body = say(client, headers, sid, choice="applicant:add")
    # The member's agreement comes before anything of theirs is taken.
    assert option_values(body) == ["member_consent:yes", "member_consent:no"]
    assert "您母亲" in texts(body)
    body = say(client, headers, sid, choice="member_consent:no")
    assert "同意" in texts(body) and "applicant:add" in option_values(body)
    body = say(client, headers, sid, choice="applicant:add")
    body = say(client, headers, sid, "已经同意了")
    assert "姓名" in texts(body)
    body = say(client, headers, sid, "李桂兰")
    # 妈 already told the relation: the ID number is asked next.
    assert "身份证号码" in texts(body) and "relation:parent" not in option_values(body)
    body = say(client, headers, sid, mother_id)
    assert "李桂兰" in texts(body) and "member_phone:skip" not in option_values(body)
    assert body["draft"]["applicant"] not in (None, "self")
    members = client.get("/api/v1/family-members", headers=headers).json
    members = members.get("items", members) if isinstance(members, dict) else members
    assert [(m["name"], m["relation"]) for m in members] == [("李桂兰", "parent")]
    assert body["draft"]["applicant"] == members[0]["id"]
    body = say(client, headers, sid, "还没有")
    body = say(client, headers, sid, "明天")
    assert "contact_name:李桂兰" in option_values(body)
    body = say(client, headers, sid, choice="contact_name:李桂兰")
    body = say(client, headers, sid, "13700137000")
    assert "137****7000" in texts(body)
    body = say(client, headers, sid, choice="confirm")
    body = say(client, headers, sid, choice="notice:accept")
    body = say(client, headers, sid, choice="submit")
    assert card(body, "result") and body["draft"]["status"] == "approved"
    filing = db.session.get(Filing, body["filing_id"])
    assert filing.family_member_id == members[0]["id"] and filing.person_name == "李桂兰"
    assert filing.contact_phone == "13700137000"
    history = str(client.get(f"/api/v1/chat/sessions/{sid}", headers=headers).json)
    assert mother_id not in history and "13700137000" not in history
