"""A change of visit place: the old filing stays in force until the new one is decided, the owed
proof keeps its due date, and district codes name their pooling region."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.accounts.staff import create_staff
from server.common.timeutil import today_cn
from server.extensions import db as _db
from server.institutions.cli import seed_demo
from server.institutions.models import Institution
from server.review import service as review_service
from tests.helpers_filing import make_ready_draft, setup_user, submit
from tests.idgen import resident_id
from tests.review_helpers import make_reviewer, staff_login

PASSWORD = "counter-password-1"


@pytest.fixture
def staff(app):
    with app.app_context():
        seed_demo()
        make_reviewer("rev", ("510100", "140100"))
        for username, code in (("sh-counter", "DEMOH31000001"), ("gz-counter", "DEMOH44010001")):
            inst = _db.session.scalar(select(Institution).where(Institution.code == code))
            create_staff(username, PASSWORD, "counter", institution_id=inst.id)
        _db.session.commit()


def counter(client, username):
    resp = client.post("/api/v1/staff/auth/login", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def record(client, headers, fid):
    resp = client.get(f"/api/v1/records/{fid}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def covers(client, headers, number):
    resp = client.post("/api/v1/staff/verify", json={"filing_number": number}, headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json["covers"]


def test_old_filing_stays_in_force_until_the_change_is_decided(client, app, staff):
    user = setup_user(client, "openid-mover", id_number=resident_id("510104", today_cn().replace(year=1958), 71))
    draft = make_ready_draft(client, user, "referral", visit="310000")
    assert submit(client, user, draft["id"]).json["status"] == "pending_review"
    reviewer = staff_login(client, "rev")
    assert client.post(f"/api/v1/staff/review/filings/{draft['id']}/approve", json={},
                       headers=reviewer).status_code == 200
    old_id, old_number = draft["id"], record(client, user, draft["id"])["number"]
    shanghai, guangzhou = counter(client, "sh-counter"), counter(client, "gz-counter")

    # A district code (天河区) names its pooling region, as in drafts.
    resp = client.post(f"/api/v1/filings/{old_id}/change-visit-place", json={"visit_region_code": "440106"},
                       headers=user)
    assert resp.status_code == 201, resp.json
    new = resp.json
    assert new["visit_region_code"] == "440100" and new["status"] == "pending_review"
    assert new["replaces_id"] == old_id

    old = record(client, user, old_id)
    assert old["status"] == "approved" and old["effective_status"] == "approved"
    assert old["change_pending_filing_id"] == new["id"] and old["superseded_by_id"] is None
    assert covers(client, shanghai, old_number) is True
    assert covers(client, guangzhou, new["number"]) is False
    again = client.post(f"/api/v1/filings/{old_id}/change-visit-place", json={"visit_region_code": "440100"},
                        headers=user)
    assert again.status_code == 409 and again.json["error"]["code"] == "filing.change_pending"

    # Refused: nothing changes for the old filing.
    resp = client.post(f"/api/v1/staff/review/filings/{new['id']}/reject", json={"reason": "材料不清晰"},
                       headers=reviewer)
    assert resp.status_code == 200, resp.json
    old = record(client, user, old_id)
    assert old["status"] == "approved" and old["change_pending_filing_id"] is None
    assert covers(client, shanghai, old_number) is True

    # Approved: now the old one is 已变更 and the new one is the one in force.
    resp = client.post(f"/api/v1/filings/{old_id}/change-visit-place", json={"visit_region_code": "440100"},
                       headers=user)
    assert resp.status_code == 201, resp.json
    second = resp.json
    assert record(client, user, old_id)["status"] == "approved"
    assert client.post(f"/api/v1/staff/review/filings/{second['id']}/approve", json={},
                       headers=reviewer).status_code == 200
    old = record(client, user, old_id)
    assert old["status"] == "superseded" and old["superseded_by_id"] == second["id"]
    assert covers(client, shanghai, old_number) is False
    assert covers(client, guangzhou, second["number"]) is True


def test_withdrawing_the_change_leaves_the_old_filing_alone(client, app, staff):
    user = setup_user(client, "openid-w", id_number=resident_id("510104", today_cn().replace(year=1957), 72))
    draft = make_ready_draft(client, user, "referral", visit="310000")
    submit(client, user, draft["id"])
    client.post(f"/api/v1/staff/review/filings/{draft['id']}/approve", json={}, headers=staff_login(client, "rev"))
    new = client.post(f"/api/v1/filings/{draft['id']}/change-visit-place", json={"visit_region_code": "440100"},
                      headers=user).json
    assert client.post(f"/api/v1/filings/{new['id']}/withdraw", headers=user).status_code == 200
    old = record(client, user, draft["id"])
    assert old["status"] == "approved" and old["change_pending_filing_id"] is None


def test_owed_proof_deadline_carries_over_a_change(client, app, staff, monkeypatch):
    # 太原 has no lock on changing a long-term filing.
    user = setup_user(client, "openid-ty", insured="140100",
                      id_number=resident_id("140105", today_cn().replace(year=1956), 73))
    draft = make_ready_draft(client, user, "resident_worker", visit="310000", proof="commitment")
    assert submit(client, user, draft["id"]).json["status"] == "pending_review"
    reviewer = staff_login(client, "rev")
    client.post(f"/api/v1/staff/review/filings/{draft['id']}/approve", json={}, headers=reviewer)
    due = record(client, user, draft["id"])["proof"]["due_date"]
    assert due is not None

    new = client.post(f"/api/v1/filings/{draft['id']}/change-visit-place", json={"visit_region_code": "440100"},
                      headers=user)
    assert new.status_code == 201, new.json
    later = today_cn() + timedelta(days=5)
    monkeypatch.setattr(review_service, "today_cn", lambda: later)
    assert client.post(f"/api/v1/staff/review/filings/{new.json['id']}/approve", json={},
                       headers=reviewer).status_code == 200
    assert record(client, user, new.json["id"])["proof"]["due_date"] == due
