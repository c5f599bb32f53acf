"""`flask seed-demo` (run by scripts/run) loads the demo directory and demo staff accounts once."""
from __future__ import annotations

from server.accounts.models import StaffAccount
from server.institutions.models import Institution


def test_seed_demo_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "demo counter account created" in first.output
    counts = (db.session.query(Institution).count(), db.session.query(StaffAccount).count())
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "created" not in second.output
    assert (db.session.query(Institution).count(), db.session.query(StaffAccount).count()) == counts
    roles = {s.username: s.role for s in db.session.query(StaffAccount)}
    assert roles == {"demo-reviewer": "reviewer", "demo-counter": "counter"}
    counter = db.session.query(StaffAccount).filter_by(username="demo-counter").one()
    assert db.session.get(Institution, counter.institution_id).is_demo


def test_demo_counter_account_can_log_in(app, client, db):
    app.test_cli_runner().invoke(args=["seed-demo"])
    resp = client.post("/api/v1/staff/auth/login",
                       json={"username": "demo-counter", "password": "demo-only-password"})
    assert resp.status_code == 200, resp.json
    assert resp.json["staff"]["role"] == "counter"
