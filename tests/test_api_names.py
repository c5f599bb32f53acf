"""One shape and one name per thing across the API: the pagination envelope, drafts a client can
resume, `voucher`, `return_reason` beside `reject_reason`."""
from __future__ import annotations

from server.extensions import db as _db
from tests.conftest import login
from tests.helpers_filing import add_family_member, setup_user
from tests.review_helpers import make_filing, make_reviewer, staff_login, user_by_openid

PAGE_KEYS = {"items", "page", "per_page", "has_more", "total"}


def test_drafts_are_listed_so_a_client_can_resume(client, app):
    headers = setup_user(client)
    member = add_family_member(client, headers)
    own = client.post("/api/v1/filings", json={"visit_region_code": "310000"}, headers=headers).json
    theirs = client.post("/api/v1/filings", json={"applicant": member["id"]}, headers=headers).json
    with app.app_context():
        submitted = make_filing(user_by_openid("openid-alice"), "referral").id
        _db.session.commit()

    listing = client.get("/api/v1/filings", headers=headers)
    assert listing.status_code == 200
    body = listing.json
    assert set(body) == PAGE_KEYS
    assert [d["id"] for d in body["items"]] == [theirs["id"], own["id"]]  # newest first
    assert submitted not in [d["id"] for d in body["items"]]
    assert body["total"] == 2 and body["has_more"] is False
    # Each item is the same view GET /filings/<id> gives, so the client resumes at next_step.
    listed = {k: v for k, v in body["items"][1].items() if k != "removal_date"}  # when an idle draft goes
    assert listed == client.get(f"/api/v1/filings/{own['id']}", headers=headers).json
    assert body["items"][1]["visit_region_code"] == "310000"

    only_self = client.get("/api/v1/filings?person=self", headers=headers).json
    assert [d["id"] for d in only_self["items"]] == [own["id"]]
    only_member = client.get(f"/api/v1/filings?person={member['id']}", headers=headers).json
    assert [d["id"] for d in only_member["items"]] == [theirs["id"]]

    first = client.get("/api/v1/filings?per_page=1", headers=headers).json
    assert [d["id"] for d in first["items"]] == [theirs["id"]]
    assert first["has_more"] is True and first["total"] == 2
    second = client.get("/api/v1/filings?per_page=1&page=2", headers=headers).json
    assert [d["id"] for d in second["items"]] == [own["id"]] and second["has_more"] is False

    bad = client.get("/api/v1/filings?person=abc", headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "person"
    # Someone else sees none of them.
    assert client.get("/api/v1/filings", headers=login(client, "openid-bob")).json["items"] == []


def test_every_list_has_the_one_page_shape(client, app):
    headers = setup_user(client)
    with app.app_context():
        make_filing(user_by_openid("openid-alice"), "referral")
        make_reviewer("rev-jinhua", ("330700",))
        _db.session.commit()
    records = client.get("/api/v1/records", headers=headers).json
    assert set(records) == PAGE_KEYS and records["total"] == 1 and records["has_more"] is False
    queue = client.get("/api/v1/staff/review/queue", headers=staff_login(client, "rev-jinhua")).json
    assert set(queue) == PAGE_KEYS and queue["total"] == 1
    found = client.get("/api/v1/institutions", query_string={"region": "110000"}).json
    assert set(found) == PAGE_KEYS and found["total"] is None  # counting every match is not cheap


def test_return_reason_and_reject_reason(client, app):
    headers = setup_user(client)
    with app.app_context():
        user = user_by_openid("openid-alice")
        returned = make_filing(user, "retiree_relocated", seq=2).id
        rejected = make_filing(user, "referral", seq=1).id
        make_reviewer("rev-jinhua", ("330700",))
        _db.session.commit()
    staff = staff_login(client, "rev-jinhua")
    resp = client.post(f"/api/v1/staff/review/filings/{returned}/return", json={"reason": "请补充户口簿本人页"},
                       headers=staff)
    assert resp.status_code == 200
    record = client.get(f"/api/v1/records/{returned}", headers=headers).json
    assert record["status"] == "returned" and record["return_reason"] == "请补充户口簿本人页"
    assert record["reject_reason"] == "请补充户口簿本人页"  # the old name, kept for old clients

    client.post(f"/api/v1/staff/review/filings/{rejected}/reject", json={"reason": "转诊证明不清晰"},
                headers=staff)
    record = client.get(f"/api/v1/records/{rejected}", headers=headers).json
    assert record["reject_reason"] == "转诊证明不清晰" and record["return_reason"] is None


def test_the_voucher_is_called_voucher_where_it_is_given_and_where_it_is_read(client, app):
    headers = setup_user(client)
    with app.app_context():
        filing = make_filing(user_by_openid("openid-alice"), "emergency", insured="330700", visit="510100")
        filing_id = filing.id
        _db.session.commit()
    body = client.get(f"/api/v1/filings/{filing_id}/voucher", headers=headers).json
    assert body["voucher"] and body["token"] == body["voucher"]  # `token`: deprecated alias
    spec = client.get("/api/v1/openapi.json").json
    voucher_schema = spec["components"]["schemas"]["Voucher"]["properties"]
    assert voucher_schema["token"]["deprecated"] is True and "deprecated" not in voucher_schema["voucher"]
    verify_body = spec["components"]["schemas"]["VerifyIn"]["properties"]
    assert "voucher" in verify_body
    reason = spec["components"]["schemas"]["RecordDetail"]["properties"]
    assert "return_reason" in reason and "return_reason" in reason["reject_reason"]["description"]
