"""Right answers in the records and the review detail: the owed-proof date, one submission per
double tap, documents listed once and reachable by the reviewer, the hospital a filing started
from, the voucher error's field and masked phones (issue: trust, part 1)."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from server.accounts.staff import create_staff
from server.common.timeutil import today_cn
from server.extensions import db as _db
from server.filing.letter import cn_date
from server.institutions.cli import seed_demo
from server.institutions.models import Institution
from server.review import service as review_service
from tests.helpers_filing import make_ready_draft, setup_user, submit, upload
from tests.idgen import resident_id
from tests.review_helpers import make_reviewer, staff_login

PHONE = "13800138000"


def _reviewer(app, regions=("510100",)):
    with app.app_context():
        make_reviewer("rev", regions)
        _db.session.commit()


def test_letter_promises_days_from_approval_and_the_record_shows_the_date(client, app, monkeypatch):
    _reviewer(app)
    user = setup_user(client, "openid-letter")
    draft = make_ready_draft(client, user, "long_term_resident", visit="310000", proof="commitment")
    text = client.get(f"/api/v1/filings/{draft['id']}/commitment", headers=user).json["text"]
    # 成都 has the national 180 days; the day of approval is not known when signing.
    assert "自备案通过之日起180日内补交" in text
    assert cn_date(today_cn() + timedelta(days=180)) not in text
    assert submit(client, user, draft["id"]).json["status"] == "pending_review"

    approval_day = today_cn() + timedelta(days=3)
    monkeypatch.setattr(review_service, "today_cn", lambda: approval_day)
    resp = client.post(f"/api/v1/staff/review/filings/{draft['id']}/approve", json={},
                       headers=staff_login(client, "rev"))
    assert resp.status_code == 200, resp.json
    due = approval_day + timedelta(days=180)
    record = client.get(f"/api/v1/records/{draft['id']}", headers=user).json
    assert record["proof"]["due_date"] == due.isoformat()
    result = client.get(f"/api/v1/filings/{draft['id']}", headers=user).json["result"]
    assert result["proof_due_date"] == due.isoformat()
    assert cn_date(due) in result["message"]


def test_double_tap_records_one_submission(client, app):
    user = setup_user(client, "openid-tap")
    draft = make_ready_draft(client, user, "other_temporary", visit="310000")
    barrier = threading.Barrier(2)
    answers = []

    def tap():
        c = app.test_client()
        barrier.wait()
        resp = c.post(f"/api/v1/filings/{draft['id']}/submit", headers=user)
        answers.append((resp.status_code, resp.json["status"], resp.json["number"]))

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a[:2] for a in answers] == [(200, "approved"), (200, "approved")]
    assert answers[0][2] == answers[1][2]
    timeline = client.get(f"/api/v1/records/{draft['id']}", headers=user).json["timeline"]
    actions = [t["action"] for t in timeline]
    assert actions.count("submitted") == 1 and actions.count("approved") == 1, actions


def test_upload_lists_the_document_once(client):
    user = setup_user(client, "openid-up")
    resp = client.post("/api/v1/filings", json={"visit_region_code": "310000", "filing_type": "referral"},
                       headers=user)
    fid = resp.json["id"]
    first = upload(client, user, fid, "referral_certificate")
    assert first.status_code == 201
    assert [d["id"] for d in first.json["filing"]["documents"]] == [first.json["document"]["id"]]
    second = upload(client, user, fid, "referral_certificate")
    ids = [d["id"] for d in second.json["filing"]["documents"]]
    assert ids == [first.json["document"]["id"], second.json["document"]["id"]]


def test_review_detail_links_documents_the_reviewer_can_open(client, app):
    _reviewer(app)
    user = setup_user(client, "openid-rev")
    draft = make_ready_draft(client, user, "long_term_resident", visit="310000", proof="commitment")
    assert upload(client, user, draft["id"], "residence_permit").status_code == 201
    assert submit(client, user, draft["id"]).json["status"] == "pending_review"
    reviewer = staff_login(client, "rev")
    detail = client.get(f"/api/v1/staff/review/filings/{draft['id']}", headers=reviewer).json
    links = [d["url"] for d in detail["documents"]] + [detail["letter"]["url"]]
    assert len(links) == 2
    for url in links:
        resp = client.get(url, headers=reviewer)
        assert resp.status_code == 200, url
    # The person's own record keeps the person's links.
    record = client.get(f"/api/v1/records/{draft['id']}", headers=user).json
    assert client.get(record["documents"][0]["url"], headers=user).status_code == 200


def test_filing_from_a_counter_qr_shows_its_hospital(client, app):
    with app.app_context():
        seed_demo()
        inst = _db.session.scalar(select(Institution).where(Institution.code == "DEMOH31000001"))
        create_staff("zs", "counter-password-1", "counter", institution_id=inst.id)
        make_reviewer("rev", ("510100",))
        _db.session.commit()
        name = inst.name
    counter = client.post("/api/v1/staff/auth/login", json={"username": "zs", "password": "counter-password-1"})
    counter = {"Authorization": f"Bearer {counter.json['token']}"}
    token = client.post("/api/v1/staff/counter-codes", json={"counter_name": "住院处"}, headers=counter).json["token"]
    user = setup_user(client, "openid-qr")
    fid = client.post(f"/api/v1/entry/{token}/filings", json={}, headers=user).json["id"]
    resp = client.patch(f"/api/v1/filings/{fid}", headers=user, json={
        "filing_type": "referral", "start_date": today_cn().isoformat(), "contact_name": "张三",
        "contact_phone": PHONE})
    notice = client.get("/api/v1/notices/510100/referral").json
    client.post(f"/api/v1/filings/{fid}/notice", json={"version": notice["version"]}, headers=user)
    upload(client, user, fid, "referral_certificate")
    assert submit(client, user, fid).json["status"] == "pending_review", resp.json
    record = client.get(f"/api/v1/records/{fid}", headers=user).json
    assert record["origin_institution"]["name"] == name
    detail = client.get(f"/api/v1/staff/review/filings/{fid}", headers=staff_login(client, "rev")).json
    assert detail["origin_institution"]["name"] == name


def test_tampered_voucher_names_the_voucher_field(client, app):
    with app.app_context():
        seed_demo()
        inst = _db.session.scalar(select(Institution).where(Institution.code == "DEMOH31000001"))
        create_staff("zs", "counter-password-1", "counter", institution_id=inst.id)
        _db.session.commit()
    user = setup_user(client, "openid-v")
    draft = make_ready_draft(client, user, "other_temporary", visit="310000")
    submit(client, user, draft["id"])
    voucher = client.get(f"/api/v1/filings/{draft['id']}/voucher", headers=user).json["token"]
    counter = client.post("/api/v1/staff/auth/login", json={"username": "zs", "password": "counter-password-1"})
    counter = {"Authorization": f"Bearer {counter.json['token']}"}
    tampered = voucher[:-2] + ("AA" if not voucher.endswith("AA") else "BB")
    resp = client.post("/api/v1/staff/verify", json={"voucher": tampered}, headers=counter)
    assert resp.status_code == 422
    assert resp.json["error"]["details"][0]["field"] == "voucher"


def test_phone_is_masked_in_record_review_detail_and_contact_update(client, app):
    _reviewer(app)
    user = setup_user(client, "openid-ph", id_number=resident_id("510104", today_cn().replace(year=1959), 81))
    draft = make_ready_draft(client, user, "referral", visit="310000")
    submit(client, user, draft["id"])
    reviewer = staff_login(client, "rev")
    review = client.get(f"/api/v1/staff/review/filings/{draft['id']}", headers=reviewer)
    record = client.get(f"/api/v1/records/{draft['id']}", headers=user)
    for resp in (review, record):
        assert PHONE not in resp.get_data(as_text=True)
        assert resp.json["contact_phone_masked"] == "138****8000"
    client.post(f"/api/v1/staff/review/filings/{draft['id']}/approve", json={}, headers=reviewer)
    resp = client.post(f"/api/v1/filings/{draft['id']}/contact", json={"contact_phone": "13912345678"},
                       headers=user)
    assert resp.status_code == 200, resp.json
    assert "13912345678" not in resp.get_data(as_text=True)
    assert resp.json["contact_phone_masked"] == "139****5678"
