"""Family members (亲情账户): add, list, change, remove; filings for them land in the user's records."""
from __future__ import annotations

from datetime import date

from server.accounts.models import FamilyMember
from server.extensions import db as _db
from server.filing.models import Filing
from tests.conftest import login
from tests.helpers_filing import add_family_member, make_ready_draft, setup_user, submit
from tests.idgen import foreign_permanent_id, hmt_id, resident_id, with_wrong_check_digit


def test_add_list_patch_delete(client, app):
    headers = setup_user(client)
    member = add_family_member(client, headers, id_number=resident_id("110105", date(1945, 6, 1), 23))
    assert member["id_number_masked"].startswith("1101") and "*" in member["id_number_masked"]
    assert member["phone_masked"] == "139****9000" and member["relation_label"] == "父母"
    assert member["consent_confirmed_at"].endswith("+08:00")
    items = client.get("/api/v1/family-members", headers=headers).json["items"]
    assert [m["id"] for m in items] == [member["id"]]
    one = client.get(f"/api/v1/family-members/{member['id']}", headers=headers)
    assert one.status_code == 200 and one.json == items[0]
    resp = client.patch(f"/api/v1/family-members/{member['id']}", json={"phone": "13700137000"},
                        headers=headers)
    assert resp.status_code == 200 and resp.json["phone_masked"] == "137****7000"
    with app.app_context():
        row = _db.session.get(FamilyMember, member["id"])
        assert "1945" not in row.id_number_enc and len(row.id_number_hash) == 64
    assert client.delete(f"/api/v1/family-members/{member['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/family-members", headers=headers).json["items"] == []
    assert client.get(f"/api/v1/family-members/{member['id']}", headers=headers).status_code == 404


def test_other_id_documents_are_accepted(client):
    headers = setup_user(client)
    add_family_member(client, headers, name="陈大文", relation="spouse", id_number=hmt_id("81"))
    add_family_member(client, headers, name="John", relation="child", id_number=foreign_permanent_id())
    assert len(client.get("/api/v1/family-members", headers=headers).json["items"]) == 2


def test_invalid_member_reports_every_field(client):
    headers = setup_user(client)
    resp = client.post("/api/v1/family-members", headers=headers, json={
        "name": " ", "relation": "spouse", "id_number": with_wrong_check_digit(resident_id()),
        "phone": "12345", "consent_confirmed": False})
    assert resp.status_code == 422
    fields = {d["field"]: d["code"] for d in resp.json["error"]["details"]}
    assert fields == {"name": "family.name_required", "id_number": "id_number.checksum",
                      "phone": "phone.format", "consent_confirmed": "family.consent_required"}


def test_duplicates_and_self_are_refused(client):
    own = resident_id("510104", date(1950, 3, 8), 11)
    headers = setup_user(client, id_number=own)
    member = add_family_member(client, headers)
    again = client.post("/api/v1/family-members", headers=headers, json={
        "name": "李四", "relation": "parent", "id_number": resident_id("110105", date(1945, 6, 1), 23),
        "consent_confirmed": True})
    assert again.status_code == 409 and again.json["error"]["code"] == "family.duplicate"
    me = client.post("/api/v1/family-members", headers=headers, json={
        "name": "张三", "relation": "other", "id_number": own, "consent_confirmed": True})
    assert me.status_code == 409 and me.json["error"]["code"] == "family.is_self"
    assert member["id"]


def test_filing_for_a_family_member(client, app):
    headers = setup_user(client)
    member = add_family_member(client, headers)
    draft = make_ready_draft(client, headers, "other_temporary", applicant=member["id"])
    assert draft["applicant"] == member["id"] and draft["person_name"] == "李四"
    assert draft["person_id_masked"] == member["id_number_masked"]
    resp = submit(client, headers, draft["id"])
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    # the user's own filing does not conflict with the family member's
    mine = make_ready_draft(client, headers, "other_temporary")
    assert submit(client, headers, mine["id"]).status_code == 200
    with app.app_context():
        rows = _db.session.query(Filing).order_by(Filing.id).all()
        assert {r.owner_id for r in rows} == {rows[0].owner_id}
        assert rows[0].family_member_id == member["id"] and rows[1].family_member_id is None
        events = [e.note or "" for e in rows[0].events]
        assert any("家人同意" in n for n in events)


def test_someone_elses_member_is_not_usable(client):
    alice = setup_user(client, "openid-alice")
    member = add_family_member(client, alice)
    bob = setup_user(client, "openid-bob", id_number=resident_id("510104", date(1960, 1, 1), 13))
    assert client.get(f"/api/v1/family-members/{member['id']}", headers=bob).status_code == 404
    assert client.patch(f"/api/v1/family-members/{member['id']}", json={"name": "x"},
                        headers=bob).status_code == 404
    assert client.delete(f"/api/v1/family-members/{member['id']}", headers=bob).status_code == 404
    resp = client.post("/api/v1/filings", json={"applicant": member["id"]}, headers=bob)
    assert resp.status_code == 404
    assert client.get("/api/v1/family-members", headers=login(client, "openid-carol")).json["items"] == []
