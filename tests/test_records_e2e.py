"""The life of a filing, over HTTP, for each of the six filing types: submission (the filing flow),
review, the record page and what follows (cancel, expiry, extension, owed proof)."""
import io
from datetime import date, datetime, timedelta

from server.extensions import db as _db
from server.records import service as records
from tests import helpers_filing as hf
from tests.idgen import resident_id
from tests.review_helpers import make_reviewer, staff_login

API = "/api/v1"


def person(client, n):
    return hf.setup_user(client, f"openid-e2e-{n}", id_number=resident_id("510104", date(1960, 2, 2), 30 + n))


def submitted(client, headers, filing_type, proof="upload"):
    draft = hf.make_ready_draft(client, headers, filing_type, proof=proof)
    resp = hf.submit(client, headers, draft["id"])
    assert resp.status_code == 200, resp.json
    return draft["id"]


def record(client, headers, fid):
    resp = client.get(f"{API}/records/{fid}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def act(client, reviewer, fid, what, reason=None):
    resp = client.post(f"{API}/staff/review/filings/{fid}/{what}", json={"reason": reason} if reason else {},
                       headers=reviewer)
    assert resp.status_code == 200, resp.json
    return resp.json


def test_six_filing_types_from_submission_to_record(client, app, monkeypatch):
    with app.app_context():
        make_reviewer("rev-chengdu", (hf.DEFAULT_INSURED,))
        make_reviewer("rev-jinhua", ("330700",))
        _db.session.commit()
    reviewer = staff_login(client, "rev-chengdu")
    stranger = staff_login(client, "rev-jinhua")

    # 1 other_temporary: approved at once; voucher; later expired
    u1 = person(client, 1)
    other = submitted(client, u1, "other_temporary", proof="none")
    rec = record(client, u1, other)
    assert rec["status"] == "approved" and rec["status_label"] == "备案成功"
    assert [t["action"] for t in rec["timeline"]][-2:] == ["submitted", "approved"]
    assert rec["timeline"][-1]["actor"] == "system" and rec["review_due_at"] is None
    assert client.get(f"{API}/filings/{other}/voucher", headers=u1).status_code == 200

    # 2 emergency: approved at once; a temporary filing can be cancelled
    u2 = person(client, 2)
    emergency = submitted(client, u2, "emergency", proof="none")
    assert record(client, u2, emergency)["status"] == "approved"
    resp = client.post(f"{API}/filings/{emergency}/cancel", headers=u2)
    assert resp.status_code == 200 and resp.json["status_label"] == "已撤销"

    # 3 referral: reviewed within its deadline, then extended; other regions' staff cannot see it
    u3 = person(client, 3)
    referral = submitted(client, u3, "referral")
    rec = record(client, u3, referral)
    assert rec["status_label"] == "待审核" and rec["review_due_message"].startswith("预计")
    due = datetime.fromisoformat(rec["review_due_at"])
    queue = client.get(f"{API}/staff/review/queue", headers=reviewer).json["items"]
    assert referral in [i["id"] for i in queue]
    assert referral not in [i["id"] for i in client.get(f"{API}/staff/review/queue", headers=stranger).json["items"]]
    assert client.get(f"{API}/staff/review/filings/{referral}", headers=stranger).status_code == 404
    assert client.get(f"{API}/staff/review/filings/{referral}", headers=reviewer).status_code == 200
    approved = act(client, reviewer, referral, "approve")
    assert datetime.fromisoformat(approved["decided_at"]) < due
    end = date.fromisoformat(approved["end_date"])
    resp = client.post(f"{API}/filings/{referral}/extend", json={"end_date": (end + timedelta(days=60)).isoformat()},
                       headers=u3)
    assert resp.status_code == 200 and resp.json["timeline"][-1]["label"] == "延期"
    assert client.get(f"{API}/records/{referral}", headers=u1).status_code == 404  # another person

    # 4 retiree_relocated: returned for material, amended, resubmitted, approved; cancel refused by the lock
    u4 = person(client, 4)
    retiree = submitted(client, u4, "retiree_relocated")
    act(client, reviewer, retiree, "return", "户口簿本人页不清晰，请重新上传")
    rec = record(client, u4, retiree)
    assert rec["status_label"] == "待补充材料" and "本人页" in rec["reject_reason"]
    assert hf.upload(client, u4, retiree, "household_register", hf.jpeg_bytes()).status_code == 201
    resp = hf.submit(client, u4, retiree)
    assert resp.status_code == 200, resp.json
    assert record(client, u4, retiree)["status"] == "pending_review"
    act(client, reviewer, retiree, "approve")
    resp = client.post(f"{API}/filings/{retiree}/cancel", headers=u4)
    assert resp.status_code == 409 and "起可以办理" in resp.json["error"]["message"]
    rec = record(client, u4, retiree)
    assert rec["status"] == "approved" and rec["cancel"]["allowed"] is False
    assert [t["action"] for t in rec["timeline"]][-4:] == ["submitted", "returned", "resubmitted", "approved"]

    # 5 long_term_resident: rejected with its reason
    u5 = person(client, 5)
    resident = submitted(client, u5, "long_term_resident")
    assert client.post(f"{API}/staff/review/filings/{resident}/reject", json={}, headers=reviewer).status_code == 422
    act(client, reviewer, resident, "reject", "居住证已过期")
    rec = record(client, u5, resident)
    assert rec["status_label"] == "审核不通过" and rec["reject_reason"] == "居住证已过期"

    # 6 resident_worker by commitment: approved with proof owed, then the proof supplied
    u6 = person(client, 6)
    worker = submitted(client, u6, "resident_worker", proof="commitment")
    act(client, reviewer, worker, "approve")
    rec = record(client, u6, worker)
    assert rec["proof"]["owed"] is True and rec["proof"]["due_date"]
    assert rec["letter"] is not None and client.get(rec["letter"]["url"], headers=u6).data.startswith(b"%PDF")
    resp = client.post(f"{API}/filings/{worker}/owed-proof", headers=u6,
                       data={"file": (io.BytesIO(hf.png_bytes()), "contract.png"), "doc_code": "labor_contract"},
                       content_type="multipart/form-data")
    assert resp.status_code == 200, resp.json
    assert resp.json["proof"]["owed"] is False and resp.json["timeline"][-1]["action"] == "proof_supplied"

    # the temporary filing of person 1 expires after its end date
    end1 = date.fromisoformat(record(client, u1, other)["end_date"])
    monkeypatch.setattr(records, "today_cn", lambda: end1 + timedelta(days=1))
    assert record(client, u1, other)["effective_status_label"] == "已失效"
    assert "expired 1" in app.test_cli_runner().invoke(args=["expire-filings"]).output
    rec = record(client, u1, other)
    assert rec["status"] == "expired" and rec["timeline"][-1]["label"] == "备案到期，已失效"

    # the list pages show every type with its label
    labels = {i["filing_type"]: i["effective_status_label"]
              for h in (u1, u2, u3, u4, u5, u6) for i in client.get(f"{API}/records", headers=h).json["items"]}
    assert labels == {"other_temporary": "已失效", "emergency": "已撤销", "referral": "备案成功",
                      "retiree_relocated": "备案成功", "long_term_resident": "审核不通过",
                      "resident_worker": "备案成功"}
