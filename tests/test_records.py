import io
from datetime import date, timedelta

import cv2
import numpy as np
import pytest

from server.accounts import staff as staff_service
from server.common.timeutil import now_utc, today_cn
from server.errors import ApiError
from server.extensions import db as _db
from server.filing.models import Filing, StaffAccess
from server.institutions.models import Institution
from server.records import service as records
from server.records.voucher import make_voucher, read_voucher
from tests.conftest import login
from tests.review_helpers import PASSWORD, add_family_member, make_filing, png_bytes, user_by_openid

API = "/api/v1"


@pytest.fixture
def alice(client, app):
    headers = login(client, "alice")
    login(client, "bob")
    return headers


def build(app, fn):
    """Database work in its own app context (a context held across requests would share flask.g)."""
    with app.app_context():
        out = fn()
        _db.session.commit()
        return out


def _approved(app, filing_type, *, approved_days_ago=0, openid="alice", **kw):
    def go():
        f = make_filing(user_by_openid(openid), filing_type, **kw)
        if f.status == "pending_review":
            from server.review.adapter import approve
            approve(f, records.Actor("staff", None))
        f.approved_on = today_cn() - timedelta(days=approved_days_ago)
        return f.id
    return build(app, go)


def test_list_own_and_family_only(client, app, alice):
    def go():
        me, bob = user_by_openid("alice"), user_by_openid("bob")
        mother = add_family_member(me)
        own = make_filing(me, "other_temporary", seq=1).id
        fam = make_filing(me, "referral", member=mother).id
        theirs = make_filing(bob, "emergency", seq=5).id
        return own, fam, theirs, mother.id
    own, fam, theirs, mother_id = build(app, go)
    body = client.get(f"{API}/records", headers=alice).json
    assert [i["id"] for i in body["items"]] == [fam, own]
    assert body["items"][0]["status_label"] == "待审核" and body["items"][1]["status_label"] == "备案成功"
    assert body["items"][0]["is_self"] is False
    mine = client.get(f"{API}/records?person=self", headers=alice).json["items"]
    assert [i["id"] for i in mine] == [own]
    assert [i["id"] for i in client.get(f"{API}/records?person={mother_id}", headers=alice).json["items"]] == [fam]
    assert client.get(f"{API}/records/{theirs}", headers=alice).status_code == 404
    for action in ("cancel", "withdraw", "voucher"):
        method = client.get if action == "voucher" else client.post
        assert method(f"{API}/filings/{theirs}/{action}", headers=alice).status_code == 404
    assert client.get(f"{API}/records").status_code == 401


def test_detail_timeline_deadline_and_masking(client, app, alice):
    fid = build(app, lambda: make_filing(user_by_openid("alice"), "referral").id)
    body = client.get(f"{API}/records/{fid}", headers=alice).json
    assert body["person_id_masked"].count("*") >= 8
    assert body["review_due_at"].endswith("+08:00") and body["review_due_message"].startswith("预计")
    assert [t["action"] for t in body["timeline"]] == ["created", "submitted"]
    assert body["timeline"][-1]["status_label"] == "待审核" and body["timeline"][-1]["actor_label"] == "本人"
    assert body["can_withdraw"] is True and body["voucher_available"] is False
    assert client.get(f"{API}/filings/{fid}/voucher", headers=alice).status_code == 409


def test_withdraw_pending(client, app, alice):
    fid = build(app, lambda: make_filing(user_by_openid("alice"), "referral").id)
    resp = client.post(f"{API}/filings/{fid}/withdraw", headers=alice)
    assert resp.status_code == 200 and resp.json["status"] == "cancelled"
    assert resp.json["timeline"][-1]["label"] == "撤回申请"
    assert client.post(f"{API}/filings/{fid}/withdraw", headers=alice).status_code == 409


def test_cancel_lock_for_long_term(client, app, alice):
    locked = _approved(app, "retiree_relocated", approved_days_ago=10, seq=1)
    resp = client.post(f"{API}/filings/{locked}/cancel", headers=alice)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "filing.cancel_locked"
    unlocked_on = resp.json["error"]["details"][0]["message"]
    assert date.fromisoformat(unlocked_on) > today_cn()
    assert "起可以办理" in resp.json["error"]["message"]
    detail = client.get(f"{API}/records/{locked}", headers=alice).json
    assert detail["cancel"]["allowed"] is False and detail["cancel"]["unlocked_on"] == unlocked_on
    old = _approved(app, "retiree_relocated", approved_days_ago=200, seq=2, start=today_cn() - timedelta(days=5))
    resp = client.post(f"{API}/filings/{old}/cancel", headers=alice)
    assert resp.status_code == 200 and resp.json["status_label"] == "已撤销"


def test_expiry_on_read_and_by_command(client, app, alice, monkeypatch):
    fid = _approved(app, "other_temporary")
    end = build(app, lambda: _db.session.get(Filing, fid).end_date)
    monkeypatch.setattr(records, "today_cn", lambda: end + timedelta(days=1))
    item = client.get(f"{API}/records", headers=alice).json["items"][0]
    assert item["status"] == "approved" and item["effective_status"] == "expired"
    assert item["effective_status_label"] == "已失效"
    assert client.post(f"{API}/filings/{fid}/extend", json={"end_date": (end + timedelta(days=30)).isoformat()},
                       headers=alice).status_code == 409
    result = app.test_cli_runner().invoke(args=["expire-filings"])
    assert "expired 1" in result.output
    body = client.get(f"{API}/records/{fid}", headers=alice).json
    assert body["status"] == "expired" and body["timeline"][-1]["actor"] == "system"
    assert "expired 0" in app.test_cli_runner().invoke(args=["expire-filings"]).output


def test_extend(client, app, alice):
    fid = _approved(app, "referral")
    end = date.fromisoformat(client.get(f"{API}/records/{fid}", headers=alice).json["end_date"])
    bad = client.post(f"{API}/filings/{fid}/extend", json={"end_date": end.isoformat()}, headers=alice)
    assert bad.status_code == 422
    new_end = end + timedelta(days=90)
    resp = client.post(f"{API}/filings/{fid}/extend", json={"end_date": new_end.isoformat()}, headers=alice)
    assert resp.status_code == 200 and resp.json["end_date"] == new_end.isoformat()
    assert resp.json["timeline"][-1]["label"] == "延期"


def test_change_visit_place_supersedes(client, app, alice):
    fid = _approved(app, "other_temporary")
    resp = client.post(f"{API}/filings/{fid}/change-visit-place", json={"visit_region_code": "440100"},
                       headers=alice)
    assert resp.status_code == 201, resp.json
    new = resp.json
    assert new["visit_region_name"] == "广州市" and new["status"] == "approved" and new["replaces_id"] == fid
    old = client.get(f"{API}/records/{fid}", headers=alice).json
    assert old["status"] == "superseded" and old["status_label"] == "已变更"
    assert old["superseded_by_id"] == new["id"]
    same = client.post(f"{API}/filings/{new['id']}/change-visit-place", json={"visit_region_code": "440100"},
                       headers=alice)
    assert same.status_code == 422
    insured_province = client.post(f"{API}/filings/{new['id']}/change-visit-place",
                                   json={"visit_region_code": "330100"}, headers=alice)
    assert insured_province.status_code == 422


def test_contact_update(client, app, alice):
    fid = _approved(app, "long_term_resident", approved_days_ago=1)
    resp = client.post(f"{API}/filings/{fid}/contact", json={"contact_phone": "123"}, headers=alice)
    assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "contact_phone"
    resp = client.post(f"{API}/filings/{fid}/contact",
                       json={"contact_phone": "13912345678", "address": "成都市青羊区1号"}, headers=alice)
    assert resp.status_code == 200
    assert resp.json["contact_phone_masked"] == "139****5678" and resp.json["address"] == "成都市青羊区1号"
    assert "13912345678" not in resp.get_data(as_text=True)
    assert resp.json["timeline"][-1]["action"] == "contact_updated"


def test_owed_proof(client, app, alice, monkeypatch):
    fid = _approved(app, "resident_worker", proof_mode="commitment")
    body = client.get(f"{API}/records/{fid}", headers=alice).json
    assert body["proof"]["owed"] is True and body["proof"]["overdue"] is False
    due = date.fromisoformat(body["proof"]["due_date"])
    monkeypatch.setattr(records, "today_cn", lambda: due + timedelta(days=1))
    body = client.get(f"{API}/records/{fid}", headers=alice).json
    assert body["proof"]["overdue"] is True and "已逾期" in body["proof"]["message"]
    bad = client.post(f"{API}/filings/{fid}/owed-proof", headers=alice,
                      data={"file": (io.BytesIO(b"not an image"), "x.png"), "doc_code": "labor_contract"},
                      content_type="multipart/form-data")
    assert bad.status_code in (415, 422)
    resp = client.post(f"{API}/filings/{fid}/owed-proof", headers=alice,
                       data={"file": (io.BytesIO(png_bytes()), "contract.png"), "doc_code": "labor_contract"},
                       content_type="multipart/form-data")
    assert resp.status_code == 200, resp.json
    assert resp.json["proof"]["owed"] is False and resp.json["proof"]["message"] == "已补交证明材料"
    doc = resp.json["documents"][-1]
    assert doc["doc_code"] == "labor_contract"
    got = client.get(doc["url"], headers=alice)
    assert got.status_code == 200 and got.data.startswith(b"\x89PNG")
    assert client.post(f"{API}/filings/{fid}/owed-proof", headers=alice,
                       data={"file": (io.BytesIO(png_bytes()), "c.png")}, content_type="multipart/form-data").status_code == 409
    assert client.get(doc["url"], headers=login(client, "bob")).status_code == 404


def test_voucher_and_counter_verification(client, app, alice):
    fid = _approved(app, "emergency")
    resp = client.get(f"{API}/filings/{fid}/voucher", headers=alice)
    assert resp.status_code == 200
    token = resp.json["token"]
    assert len(token) <= 40
    png = client.get(f"{API}/filings/{fid}/voucher.png", headers=alice).data
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert cv2.QRCodeDetector().detectAndDecode(img)[0] == token

    def counter_check():
        assert read_voucher(token) == fid
        for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "garbage", ""):
            with pytest.raises(ApiError) as e:
                read_voucher(bad)
            assert e.value.status == 422
        inst = Institution(code="H001", name="四川大学华西医院", region_code="510100", province_code="510000",
                           kind="hospital", level="三级")
        _db.session.add(inst)
        _db.session.flush()
        staff = staff_service.create_staff("counter-1", PASSWORD, "counter", institution_id=inst.id)
        _db.session.add(StaffAccess(staff_id=staff.id, filing_id=fid, action="verify", at=now_utc()))
    build(app, counter_check)
    body = client.get(f"{API}/records/{fid}", headers=alice).json
    assert body["verifications"][0]["text"].startswith("四川大学华西医院 于 ")
    assert body["verifications"][0]["text"].endswith("查验")


def test_voucher_token_for_missing_filing(app):
    with app.app_context():
        forged = make_voucher(Filing(id=987654))
        with pytest.raises(ApiError) as e:
            read_voucher(forged)
        assert e.value.status == 404
