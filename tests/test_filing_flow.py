"""End to end over HTTP: each of the six filing types from login to submission."""
from __future__ import annotations

import hashlib
from datetime import date

import pytest
from pypdf import PdfReader
import io

from server.extensions import db as _db
from server.filing.models import Filing, FilingEvent
from tests.helpers_filing import (accept_notice, days_ago, make_ready_draft, png_bytes, setup_user,
                                  sign, submit, upload)
from tests.idgen import resident_id

CASES = [
    # type, proof, back-dated days, expected status right after submission
    ("retiree_relocated", "commitment", 0, "pending_review"),
    ("long_term_resident", "upload", 0, "pending_review"),
    ("resident_worker", "commitment", 3, "pending_review"),
    ("referral", "upload", 5, "pending_review"),
    ("emergency", "none", 9, "approved"),
    ("other_temporary", "none", 0, "approved"),
]


@pytest.mark.parametrize("filing_type,proof,back,expected", CASES)
def test_each_type_from_login_to_submission(client, app, filing_type, proof, back, expected):
    headers = setup_user(client, f"openid-{filing_type}",
                         id_number=resident_id("510104", date(1952, 1, 1 + len(filing_type)), 31))
    draft = make_ready_draft(client, headers, filing_type, start=days_ago(back), proof=proof)
    assert draft["missing"] == [] and draft["next_step"] == "submit"
    assert draft["insured_region_code"] == "510100" and draft["scheme"] == "employee"  # pre-filled
    assert draft["start_date"] == days_ago(back).isoformat()
    if draft["group"] == "temporary":
        assert draft["end_date"] is not None
    else:
        assert draft["end_date"] is None

    resp = submit(client, headers, draft["id"], key=f"k-{filing_type}")
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["status"] == expected
    assert body["number"].startswith("YD") and body["result"]["number"] == body["number"]
    assert body["result"]["status_label"] in ("待审核", "备案成功")
    assert "*" in body["person_id_masked"] and body["contact_phone_masked"] == "138****8000"

    # a double tap, and a retry with the same key: still one filing, same answer
    again = submit(client, headers, draft["id"], key=f"k-{filing_type}")
    assert again.status_code == 200 and again.json["number"] == body["number"]
    assert submit(client, headers, draft["id"]).json["id"] == draft["id"]
    with app.app_context():
        assert _db.session.query(Filing).count() == 1
        actions = [e.action for e in _db.session.query(FilingEvent).order_by(FilingEvent.id)]
        assert actions[0] == "created" and "notice_accepted" in actions
        assert actions.count("submitted") == 1

    if proof == "commitment":
        pdf = client.get(f"/api/v1/filings/{draft['id']}/commitment.pdf", headers=headers)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert hashlib.sha256(pdf.data).hexdigest() == draft["commitment"]["sha256"]
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
        assert body["number"] in text.replace(" ", "")


def test_second_overlapping_filing_is_refused_naming_the_first(client):
    headers = setup_user(client)
    first = make_ready_draft(client, headers, "referral", start=days_ago(2))
    number = submit(client, headers, first["id"]).json["number"]
    second = make_ready_draft(client, headers, "other_temporary", visit="440100")
    resp = submit(client, headers, second["id"])
    assert resp.status_code == 409
    assert resp.json["error"]["code"] == "filing.conflict"
    message = resp.json["error"]["message"]
    assert number in message and days_ago(2).isoformat() in message
    assert client.get(f"/api/v1/filings/{second['id']}", headers=headers).json["status"] == "draft"


def test_temporary_beside_long_term_when_policy_allows(client, monkeypatch):
    from server.filing import service
    from server.regions.policy import RegionPolicy

    headers = setup_user(client)
    long_term = make_ready_draft(client, headers, "long_term_resident")
    assert submit(client, headers, long_term["id"]).status_code == 200
    temp = make_ready_draft(client, headers, "emergency", visit="440100")
    assert submit(client, headers, temp["id"]).status_code == 409
    monkeypatch.setattr(service, "policy_for",
                        lambda code: RegionPolicy(code, allow_temporary_beside_long_term=True))
    resp = submit(client, headers, temp["id"])
    assert resp.status_code == 200 and resp.json["status"] == "approved"


def test_bad_submission_returns_every_problem_at_once(client):
    headers = setup_user(client, consent=False)
    draft = client.post("/api/v1/filings", json={"filing_type": "resident_worker"}, headers=headers).json
    client.patch(f"/api/v1/filings/{draft['id']}", json={"contact_name": "", "contact_phone": None},
                 headers=headers)
    resp = submit(client, headers, draft["id"])
    assert resp.status_code == 422
    fields = {d["field"] for d in resp.json["error"]["details"]}
    assert {"privacy_consent", "visit_region_code", "notice_accepted", "start_date",
            "contact_name", "contact_phone", "address", "proof"} <= fields
    assert all(d["message"] for d in resp.json["error"]["details"])


def test_returned_filing_is_amended_and_resubmitted(client, app):
    from server.filing.events import Actor
    from server.review.adapter import get_review_adapter

    headers = setup_user(client)
    draft = make_ready_draft(client, headers, "referral")
    assert submit(client, headers, draft["id"]).json["status"] == "pending_review"
    assert client.patch(f"/api/v1/filings/{draft['id']}", json={"contact_name": "王五"},
                        headers=headers).status_code == 409
    with app.app_context():
        filing = _db.session.get(Filing, draft["id"])
        get_review_adapter().return_for_material(filing, Actor("staff", 1), "转诊证明不清晰")
        _db.session.commit()
    assert upload(client, headers, draft["id"], "referral_certificate", png_bytes(120, 90)).status_code == 201
    assert client.patch(f"/api/v1/filings/{draft['id']}", json={"contact_name": "王五"},
                        headers=headers).status_code == 200
    resp = submit(client, headers, draft["id"])
    assert resp.status_code == 200 and resp.json["status"] == "pending_review"
    assert resp.json["number"] == draft.get("number") or resp.json["number"].startswith("YD")


def test_notice_must_be_the_current_version_and_is_reset_by_a_type_change(client):
    headers = setup_user(client)
    draft = client.post("/api/v1/filings", json={"visit_region_code": "310000", "filing_type": "referral"},
                        headers=headers).json
    bad = client.post(f"/api/v1/filings/{draft['id']}/notice", json={"version": "old"}, headers=headers)
    assert bad.status_code == 409
    view = accept_notice(client, headers, draft)
    assert view["notice_accepted"] is True and view["notice_version"].endswith(":referral")
    view = client.patch(f"/api/v1/filings/{draft['id']}", json={"filing_type": "emergency"},
                        headers=headers).json
    assert view["notice_accepted"] is False and "notice_accepted" in view["missing"]


def test_regional_notice_version(client):
    national = client.get("/api/v1/notices/510100/referral").json
    hainan = client.get("/api/v1/notices/460100/referral").json
    assert national["version"] != hainan["version"] and "成都市" in national["text"]
    assert client.get("/api/v1/notices/999999/referral").status_code == 404
    assert client.get("/api/v1/notices/510100/nope").status_code == 404


def test_options_list_six_types_with_labels_and_two_schemes(client):
    body = client.get("/api/v1/options").json
    assert len(body["filing_types"]) == 6 and len(body["schemes"]) == 2
    for t in body["filing_types"]:
        assert t["label"] and t["explanation"] and t["group"] in ("long_term", "temporary")
    assert {r["code"] for r in body["relations"]} >= {"spouse", "parent", "child"}


def test_commitment_refused_where_not_allowed_and_after_upload(client):
    headers = setup_user(client)
    referral = make_ready_draft(client, headers, "referral", proof="none")
    preview = client.get(f"/api/v1/filings/{referral['id']}/commitment", headers=headers).json
    assert preview["possible"] is False
    assert sign(client, headers, referral["id"]).status_code == 409
    retiree = make_ready_draft(client, headers, "retiree_relocated", visit="110000", proof="upload")
    assert client.get(f"/api/v1/filings/{retiree['id']}/commitment", headers=headers).json["possible"] is False
    other = make_ready_draft(client, headers, "long_term_resident", visit="440100", proof="none")
    preview = client.get(f"/api/v1/filings/{other['id']}/commitment", headers=headers).json
    assert preview["possible"] is True and "个人承诺书" in preview["text"]
    assert other["next_step"] == "commitment"
    blank = sign(client, headers, other["id"], png_bytes(300, 100, (255, 255, 255)))
    assert blank.status_code == 422 and blank.json["error"]["code"] == "signature.empty"


def test_signature_as_base64_json(client):
    import base64
    from tests.helpers_filing import signature_png

    headers = setup_user(client)
    draft = make_ready_draft(client, headers, "resident_worker", proof="none")
    resp = client.post(f"/api/v1/filings/{draft['id']}/commitment", headers=headers,
                       json={"signature": "data:image/png;base64," + base64.b64encode(signature_png()).decode()})
    assert resp.status_code == 201, resp.json
    assert resp.json["filing"]["proof"] == "commitment" and resp.json["filing"]["number"]


def test_two_drafts_for_one_person_submitted_at_once_yield_one_filing(app, client):
    """The one-active-filing rule holds under a race, not only one request after another."""
    import threading

    from tests.helpers_filing import make_ready_draft, setup_user

    headers = setup_user(client, "openid-race")
    first = make_ready_draft(client, headers, "other_temporary", visit="310000")
    second = make_ready_draft(client, headers, "other_temporary", visit="440100")
    barrier = threading.Barrier(2)
    statuses = []

    def submit(filing_id):
        c = app.test_client()
        barrier.wait()
        statuses.append(c.post(f"/api/v1/filings/{filing_id}/submit", headers=headers).status_code)

    threads = [threading.Thread(target=submit, args=(d["id"],)) for d in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
