"""Who may read and change a filing and its files: the owner; reviewers of its insured place."""
from __future__ import annotations

from datetime import date

from argon2 import PasswordHasher

from server.accounts.models import StaffAccount
from server.accounts.tokens import issue_token
from server.extensions import db as _db
from server.filing.models import StaffAccess
from server.filing.service import can_staff_view
from tests.helpers_filing import make_ready_draft, setup_user, sign, submit, upload
from tests.idgen import resident_id


def _staff_headers(app, username, role, regions):
    with app.app_context():
        staff = StaffAccount(username=username, password_hash=PasswordHasher().hash("x" * 12),
                             role=role, region_codes=regions, active=True)
        _db.session.add(staff)
        _db.session.flush()
        token, _ = issue_token(staff=staff)
        _db.session.commit()
        return {"Authorization": f"Bearer {token}"}, staff.id


def _two_users(client):
    alice = setup_user(client, "openid-alice")
    bob = setup_user(client, "openid-bob", id_number=resident_id("510104", date(1960, 1, 1), 13))
    return alice, bob


def test_others_cannot_read_or_change_a_filing(client):
    alice, bob = _two_users(client)
    draft = make_ready_draft(client, alice, "long_term_resident")
    fid = draft["id"]
    doc_url = draft["documents"][0]["url"]
    attempts = [
        client.get(f"/api/v1/filings/{fid}", headers=bob),
        client.patch(f"/api/v1/filings/{fid}", json={"contact_name": "x"}, headers=bob),
        client.post(f"/api/v1/filings/{fid}/notice", json={"version": draft["notice_version"]}, headers=bob),
        upload(client, bob, fid, "residence_permit"),
        client.get(doc_url, headers=bob),
        client.delete(doc_url, headers=bob),
        client.get(f"/api/v1/filings/{fid}/commitment", headers=bob),
        sign(client, bob, fid),
        client.get(f"/api/v1/filings/{fid}/commitment.pdf", headers=bob),
        submit(client, bob, fid),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert client.get(f"/api/v1/filings/{fid}", headers=alice).json["status"] == "draft"
    assert client.get(f"/api/v1/filings/{fid}").status_code == 401


def test_reviewer_of_the_insured_place_reads_files_others_do_not(client, app):
    alice = setup_user(client)
    draft = make_ready_draft(client, alice, "resident_worker", proof="commitment")
    fid = draft["id"]
    assert upload(client, alice, fid, "labor_contract").status_code == 201
    doc_url = client.get(f"/api/v1/filings/{fid}", headers=alice).json["documents"][0]["url"]
    reviewer, reviewer_id = _staff_headers(app, "rev-cd", "reviewer", ["510100"])
    elsewhere, _ = _staff_headers(app, "rev-bj", "reviewer", ["110000"])
    counter, _ = _staff_headers(app, "counter", "counter", ["510100"])

    # A draft is the person's alone: staff see it only once it is submitted.
    assert client.get(doc_url, headers=reviewer).status_code == 404
    assert submit(client, alice, fid).status_code == 200
    assert client.get(doc_url, headers=reviewer).status_code == 200
    assert client.get(f"/api/v1/filings/{fid}/commitment.pdf", headers=reviewer).status_code == 200
    assert client.get(doc_url, headers=elsewhere).status_code == 404
    assert client.get(doc_url, headers=counter).status_code == 404
    # staff cannot use the applicant's endpoints
    assert client.get(f"/api/v1/filings/{fid}", headers=reviewer).status_code == 403
    with app.app_context():
        assert _db.session.query(StaffAccess).filter_by(staff_id=reviewer_id).count() == 2


def test_can_staff_view_is_a_plain_rule(app):
    from server.filing.models import Filing

    filing = Filing(insured_region_code="510100", status="pending_review")
    assert can_staff_view(StaffAccount(role="reviewer", region_codes=["510100"], active=True), filing)
    assert not can_staff_view(StaffAccount(role="reviewer", region_codes=["510100"], active=False), filing)
    assert not can_staff_view(StaffAccount(role="counter", region_codes=["510100"], active=True), filing)
    assert not can_staff_view(StaffAccount(role="reviewer", region_codes=["510100"], active=True),
                              Filing(insured_region_code="510100", status="draft"))
    assert can_staff_view(StaffAccount(role="reviewer", region_codes=["110000"], active=True),
                          Filing(insured_region_code="110100", status="approved"))


def test_submitted_filing_cannot_be_edited_or_documents_removed(client):
    alice = setup_user(client)
    draft = make_ready_draft(client, alice, "referral")
    assert submit(client, alice, draft["id"]).status_code == 200
    assert client.patch(f"/api/v1/filings/{draft['id']}", json={"contact_name": "x"},
                        headers=alice).status_code == 409
    assert client.delete(draft["documents"][0]["url"], headers=alice).status_code == 409
    assert upload(client, alice, draft["id"], "referral_certificate").status_code == 409


def test_full_id_never_in_logs_or_responses(client, caplog):
    number = resident_id("510104", date(1950, 3, 8), 11)
    alice = setup_user(client, id_number=number)
    with caplog.at_level("DEBUG"):
        draft = make_ready_draft(client, alice, "emergency")
        resp = submit(client, alice, draft["id"])
    assert number not in caplog.text and number not in resp.get_data(as_text=True)
    assert "13800138000" not in resp.get_data(as_text=True)
