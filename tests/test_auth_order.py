"""Who is asking is settled before the body is read: without a valid token the answer is 401 (a
wrong role 403), whatever the body; a bad body from a rightful caller is 422."""
from __future__ import annotations

from server.accounts.staff import create_staff
from server.extensions import db as _db
from tests.conftest import login

BAD_DRAFT = {"filing_type": 12, "insured_region_code": ["x"]}


def test_no_token_with_a_bad_body_is_401(client):
    for path, body in (("/api/v1/filings", BAD_DRAFT), ("/api/v1/family-members", {"name": 5}),
                       ("/api/v1/staff/verify", {"voucher": 7})):
        resp = client.post(path, json=body)
        assert resp.status_code == 401, (path, resp.json)
        assert resp.json["error"]["code"] == "auth.required"
        assert resp.headers["WWW-Authenticate"] == "Bearer"
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert client.post("/api/v1/filings", json=BAD_DRAFT, headers=bad_token).json["error"]["code"] == \
        "auth.invalid_token"


def test_wrong_kind_of_caller_with_a_bad_body_is_403(client, app):
    with app.app_context():
        create_staff("rev-order", "reviewer-password-1", "reviewer", region_codes=["330700"])
        _db.session.commit()
    staff = client.post("/api/v1/staff/auth/login",
                        json={"username": "rev-order", "password": "reviewer-password-1"}).json["token"]
    staff_headers = {"Authorization": f"Bearer {staff}"}
    resp = client.post("/api/v1/filings", json=BAD_DRAFT, headers=staff_headers)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "auth.user_only"
    resp = client.post("/api/v1/staff/verify", json={"voucher": 7}, headers=staff_headers)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "auth.role"
    user = login(client, "order-user")
    resp = client.post("/api/v1/staff/verify", json={"voucher": 7}, headers=user)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "auth.staff_only"


def test_a_rightful_caller_with_a_bad_body_still_gets_422(client):
    headers = login(client, "order-user-2")
    resp = client.post("/api/v1/filings", json=BAD_DRAFT, headers=headers)
    assert resp.status_code == 422
    assert {d["field"] for d in resp.json["error"]["details"]} >= {"filing_type"}
