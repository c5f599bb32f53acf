from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from server.common.timeutil import SHANGHAI, iso_cn, today_cn
from server.extensions import db as _db
from server.filing.models import Filing, StaffAccess
from server.review import adapter as review_adapter
from server.review import service as review
from tests.conftest import login
from tests.review_helpers import make_filing, make_reviewer, staff_login, user_by_openid


def cst(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=SHANGHAI)


@pytest.mark.parametrize("submitted, due_day", [
    (cst(2026, 11, 27), date(2026, 12, 1)),   # Friday: the weekend does not count
    (cst(2026, 9, 30), date(2026, 10, 9)),    # National Day week off
    (cst(2026, 10, 8), date(2026, 10, 10)),   # Saturday 10 October is a make-up working day
    (cst(2026, 2, 13), date(2026, 2, 24)),    # Saturday 14 Feb make-up day, then Spring Festival
    (cst(2026, 2, 13, 23), date(2026, 2, 24)),
])
def test_review_due_at_is_end_of_second_working_day(submitted, due_day):
    due = review.review_due_at(submitted.astimezone(timezone.utc), 2)
    assert due.tzinfo is not None
    local = due.astimezone(SHANGHAI)
    assert (local.date(), local.hour, local.minute) == (date.fromordinal(due_day.toordinal() + 1), 0, 0)


def test_review_due_at_unknown_year_does_not_crash():
    due = review.review_due_at(cst(2041, 10, 1), 2)
    assert due.astimezone(SHANGHAI).date() > date(2041, 10, 1)


def test_adapter_choice(app):
    with app.app_context():
        assert isinstance(review_adapter.get_review_adapter(), review_adapter.LocalReview)
        assert isinstance(review_adapter.get_review_adapter(), review_adapter.ReviewAdapter)
        with pytest.raises(RuntimeError):
            review_adapter.get_review_adapter("agency-x")


def test_instant_approval_for_temporary_without_proof(client, db):  # no HTTP after db work
    login(client, "u1")
    user = user_by_openid("u1")
    filing = make_filing(user, "other_temporary")
    assert filing.status == "approved"
    assert filing.approved_on == today_cn() and filing.decided_at is not None
    assert filing.review_due_at is None and filing.proof_due_date is None
    actions = [(e.action, e.to_status, e.actor_kind) for e in filing.events]
    assert actions[-2:] == [("submitted", "pending_review", "user"), ("approved", "approved", "system")]


def test_review_needed_sets_deadline(client, db, monkeypatch):
    login(client, "u1")
    user = user_by_openid("u1")
    fixed = cst(2026, 9, 30).astimezone(timezone.utc)
    monkeypatch.setattr(review, "now_utc", lambda: fixed)
    filing = make_filing(user, "referral")
    assert filing.status == "pending_review"
    assert iso_cn(filing.review_due_at) == "2026-10-10T00:00:00+08:00"
    assert filing.submitted_at == fixed


def _setup_queue(client, app):
    login(client, "u1")
    # Setup in its own app context: a context held across requests would share flask.g.
    with app.app_context():
        return _queue_rows()


def _queue_rows():
    user = user_by_openid("u1")
    late = make_filing(user, "referral", seq=1)
    soon = make_filing(user, "retiree_relocated", seq=2)
    other_region = make_filing(user, "referral", insured="110000", visit="510100", seq=4)
    late.review_due_at = datetime(2020, 1, 1, tzinfo=timezone.utc)  # overdue
    make_reviewer("rev-jinhua", ("330700",))
    make_reviewer("rev-beijing", ("110100",))  # alias of 110000
    _db.session.commit()
    return late.id, soon.id, other_region.id


def test_queue_is_ordered_flagged_and_limited_to_own_places(client, app):
    late, soon, other_region = _setup_queue(client, app)
    headers = staff_login(client, "rev-jinhua")
    resp = client.get("/api/v1/staff/review/queue", headers=headers)
    assert resp.status_code == 200
    items = resp.json["items"]
    assert [i["id"] for i in items] == [late, soon]
    assert [i["overdue"] for i in items] == [True, False]
    assert resp.json["total"] == 2
    page2 = client.get("/api/v1/staff/review/queue?per_page=1&page=2", headers=headers).json
    assert [i["id"] for i in page2["items"]] == [soon]

    beijing = staff_login(client, "rev-beijing")
    assert [i["id"] for i in client.get("/api/v1/staff/review/queue", headers=beijing).json["items"]] == [other_region]
    # another region's filing: not visible, not decidable
    assert client.get(f"/api/v1/staff/review/filings/{late}", headers=beijing).status_code == 404
    assert client.post(f"/api/v1/staff/review/filings/{late}/approve", json={}, headers=beijing).status_code == 404
    # users are not staff
    assert client.get("/api/v1/staff/review/queue", headers=login(client, "u1")).status_code == 403


def test_detail_view_is_recorded(client, app):
    late, _, _ = _setup_queue(client, app)
    headers = staff_login(client, "rev-jinhua")
    resp = client.get(f"/api/v1/staff/review/filings/{late}", headers=headers)
    assert resp.status_code == 200
    assert resp.json["overdue"] is True and resp.json["person_id_masked"].count("*") >= 8
    client.get(f"/api/v1/staff/review/filings/{late}", headers=headers)
    with app.app_context():
        views = _db.session.scalars(select(StaffAccess).where(StaffAccess.filing_id == late)).all()
        assert [v.action for v in views] == ["view", "view"]


def test_approve_reject_return(client, app):
    late, soon, _ = _setup_queue(client, app)
    headers = staff_login(client, "rev-jinhua")
    resp = client.post(f"/api/v1/staff/review/filings/{late}/reject", json={}, headers=headers)
    assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "reason"
    resp = client.post(f"/api/v1/staff/review/filings/{late}/reject", json={"reason": "转诊证明不清晰"},
                       headers=headers)
    assert resp.status_code == 200
    assert resp.json["status"] == "rejected" and resp.json["reject_reason"] == "转诊证明不清晰"
    assert client.post(f"/api/v1/staff/review/filings/{late}/approve", json={},
                       headers=headers).status_code == 409

    resp = client.post(f"/api/v1/staff/review/filings/{soon}/return", json={"reason": "请补充户口簿本人页"},
                       headers=headers)
    assert resp.status_code == 200 and resp.json["status"] == "returned"
    assert resp.json["status_label"] == "待补充材料"
    with app.app_context():
        filing = _db.session.get(Filing, soon)
        review_adapter.on_submitted(filing, review_adapter.Actor("user", filing.owner_id))
        _db.session.commit()
        assert filing.status == "pending_review" and filing.events[-1].action == "resubmitted"
    resp = client.post(f"/api/v1/staff/review/filings/{soon}/approve", json={}, headers=headers)
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    assert resp.json["timeline"][-1]["actor"] == "staff"


def test_commitment_approval_owes_proof(client, app):
    login(client, "u1")
    with app.app_context():
        user = user_by_openid("u1")
        filing_id = make_filing(user, "long_term_resident", proof_mode="commitment", insured="370700").id
        make_reviewer("rev-weifang", ("370700",))
        _db.session.commit()
    headers = staff_login(client, "rev-weifang")
    resp = client.post(f"/api/v1/staff/review/filings/{filing_id}/approve", json={}, headers=headers)
    assert resp.status_code == 200
    body = resp.json
    assert body["status"] == "approved"
    # 潍坊 asks for the proof within 60 days
    assert body["proof"]["owed"] is True
    assert body["proof"]["due_date"] == date.fromordinal(today_cn().toordinal() + 60).isoformat()
    assert "补交" in body["timeline"][-1]["note"]
