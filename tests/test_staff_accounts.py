from datetime import timedelta

import pytest

from sqlalchemy import select

from server.accounts import lockout
from server.accounts import staff as staff_service
from server.accounts.models import StaffAccount, StaffLoginFailure
from server.common.timeutil import now_utc
from server.extensions import db as _db
from server.review import cli as review_cli
from tests.review_helpers import PASSWORD, make_reviewer, staff_login


def _login(client, username, password):
    return client.post("/api/v1/staff/auth/login", json={"username": username, "password": password})


def test_create_hashes_with_argon2_and_validates(app):
    with app.app_context():
        staff = make_reviewer("Rev-One", ("330700", "110100"))
        assert staff.username == "rev-one"
        assert staff.password_hash.startswith("$argon2id$") and PASSWORD not in staff.password_hash
        assert staff.region_codes == ["110000", "330700"]
        with pytest.raises(staff_service.StaffInputError) as e:
            staff_service.create_staff("rev-one", PASSWORD, "reviewer", region_codes=["330700"])
        assert e.value.code == "staff.username_taken"
        for kwargs, code in [
            (dict(password="short", role="reviewer", region_codes=["330700"]), "staff.password_too_short"),
            (dict(password=PASSWORD, role="reviewer"), "staff.region_required"),
            (dict(password=PASSWORD, role="reviewer", region_codes=["999999"]), "staff.region_unknown"),
            (dict(password=PASSWORD, role="counter"), "staff.institution_required"),
            (dict(password=PASSWORD, role="admin"), "staff.role_invalid"),
        ]:
            with pytest.raises(staff_service.StaffInputError) as e:
                staff_service.create_staff("x-" + code, kwargs.pop("password"), kwargs.pop("role"), **kwargs)
            assert e.value.code == code


def test_login_returns_token_with_role(client, app):
    with app.app_context():
        make_reviewer()
        _db.session.commit()
    resp = _login(client, "rev-jinhua", PASSWORD)
    assert resp.status_code == 200
    body = resp.json
    assert body["staff"]["role"] == "reviewer" and body["staff"]["region_codes"] == ["330700"]
    assert "password" not in str(body) and body["expires_at"].endswith("+08:00")
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.get("/api/v1/staff/me", headers=headers).json["username"] == "rev-jinhua"
    assert client.post("/api/v1/staff/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/staff/me", headers=headers).status_code == 401


def test_wrong_password_and_unknown_user_look_alike(client, app):
    with app.app_context():
        make_reviewer()
        _db.session.commit()
    a = _login(client, "rev-jinhua", "wrong-password-1")
    b = _login(client, "nobody", "wrong-password-1")
    assert a.status_code == b.status_code == 401
    # Alike but for the request id, which is each request's own.
    body_a, body_b = a.json, b.json
    assert body_a["error"].pop("request_id") != body_b["error"].pop("request_id")
    assert body_a == body_b


def _from(client, source, username, password):
    return client.post("/api/v1/staff/auth/login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": source})


class Clock:
    def __init__(self, monkeypatch):
        self.now = now_utc()
        monkeypatch.setattr(staff_service, "now_utc", lambda: self.now)

    def advance(self, **kw):
        self.now += timedelta(**kw)


def test_every_failed_login_gets_the_same_answer(client, app):
    """Unknown name, wrong password, deactivated account with the right password, blocked pair:
    one status and one body, so none of them tells a stranger anything."""
    with app.app_context():
        make_reviewer()
        make_reviewer("rev-gone")
        staff_service.deactivate(staff_service.get_by_username("rev-gone"))
        _db.session.commit()
    answers = [_from(client, "10.1.0.1", "nobody", PASSWORD),
               _from(client, "10.1.0.2", "rev-jinhua", "wrong-password-1"),
               _from(client, "10.1.0.3", "rev-gone", PASSWORD)]
    for _ in range(5):
        _from(client, "10.1.0.4", "rev-jinhua", "wrong-password-1")
    answers.append(_from(client, "10.1.0.4", "rev-jinhua", PASSWORD))  # right password, blocked pair
    assert {a.status_code for a in answers} == {401}
    bodies = [{k: v for k, v in a.json["error"].items() if k != "request_id"} for a in answers]
    assert all(b == bodies[0] for b in bodies), bodies
    assert "多次输错" in answers[0].json["error"]["message"]


def test_backoff_per_account_and_source_grows_and_is_capped(client, app, monkeypatch):
    clock = Clock(monkeypatch)
    with app.app_context():
        make_reviewer()
        _db.session.commit()
    for _ in range(5):
        assert _from(client, "10.2.0.1", "rev-jinhua", "nope-nope-nope").status_code == 401
    # The stranger's source is slowed down; the owner elsewhere is not.
    assert _from(client, "10.2.0.1", "rev-jinhua", PASSWORD).status_code == 401
    assert _from(client, "10.2.0.9", "rev-jinhua", PASSWORD).status_code == 200
    clock.advance(seconds=lockout.FIRST_DELAY.total_seconds() - 1)
    assert _from(client, "10.2.0.1", "rev-jinhua", PASSWORD).status_code == 401
    clock.advance(seconds=2)
    # Past the first delay: one more failure doubles it.
    assert _from(client, "10.2.0.1", "rev-jinhua", "nope-nope-nope").status_code == 401
    clock.advance(seconds=lockout.FIRST_DELAY.total_seconds() + 1)
    assert _from(client, "10.2.0.1", "rev-jinhua", PASSWORD).status_code == 401  # 60 s now
    clock.advance(seconds=lockout.FIRST_DELAY.total_seconds())
    for _ in range(12):  # keep failing, each time after the block ends
        assert _from(client, "10.2.0.1", "rev-jinhua", "nope-nope-nope").status_code == 401
        clock.advance(seconds=lockout.MAX_DELAY.total_seconds() + 1)
    # However long it went on, the block never outlasts the cap.
    assert _from(client, "10.2.0.1", "rev-jinhua", PASSWORD).status_code == 200
    assert [lockout.delay_after(n) for n in (4, 5, 6, 7)] == [
        None, timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert lockout.delay_after(60) == lockout.MAX_DELAY


def test_unknown_names_are_slowed_down_like_known_ones(client, app):
    with app.app_context():
        make_reviewer()
        _db.session.commit()
    for name in ("rev-jinhua", "nobody-here"):
        for _ in range(5):
            _from(client, "10.3.0.1", name, "nope-nope-nope")
    with app.app_context():
        rows = {r.username: r for r in _db.session.scalars(select(StaffLoginFailure))}
        assert rows["rev-jinhua"].failures == rows["nobody-here"].failures == 5
        assert rows["rev-jinhua"].locked_until and rows["nobody-here"].locked_until


def test_cli_unlock_lets_the_owner_in_at_once(client, app):
    with app.app_context():
        make_reviewer()
        _db.session.commit()
    for source in ("10.4.0.1", "10.4.0.2"):
        for _ in range(6):
            _from(client, source, "rev-jinhua", "nope-nope-nope")
    assert _from(client, "10.4.0.1", "rev-jinhua", PASSWORD).status_code == 401
    result = app.test_cli_runner().invoke(args=["staff", "unlock", "--username", "REV-jinhua"])
    assert result.exit_code == 0 and "2 address" in result.output, result.output
    assert _from(client, "10.4.0.1", "rev-jinhua", PASSWORD).status_code == 200
    assert _from(client, "10.4.0.2", "rev-jinhua", PASSWORD).status_code == 200


def test_deactivation_kills_tokens_and_login(client, app):
    with app.app_context():
        make_reviewer()
        _db.session.commit()
    headers = staff_login(client, "rev-jinhua")
    with app.app_context():
        staff_service.deactivate(staff_service.get_by_username("rev-jinhua"))
        _db.session.commit()
    assert client.get("/api/v1/staff/review/queue", headers=headers).status_code == 401
    resp = _login(client, "rev-jinhua", PASSWORD)
    assert resp.status_code == 401 and resp.json["error"]["code"] == "staff.bad_credentials"


def test_cli_create_list_deactivate(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "create", "--username", "rev-cd", "--role", "reviewer",
                                 "--region", "510100", "--region", "330700", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["staff", "create", "--username", "rev-bad", "--role", "reviewer",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code != 0 and "参保地" in result.output
    listing = runner.invoke(args=["staff", "list"]).output
    assert "rev-cd" in listing and "330700,510100" in listing and "active" in listing
    assert runner.invoke(args=["staff", "deactivate", "--username", "rev-cd"]).exit_code == 0
    assert "inactive" in runner.invoke(args=["staff", "list"]).output
    with app.app_context():
        staff = staff_service.get_by_username("rev-cd")
        assert staff.active is False


def test_seed_demo_reviewer_once(app):
    with app.app_context():
        first = review_cli.seed_demo()
        _db.session.commit()
        assert review_cli.DEMO_PASSWORD in first and "demo" in review_cli.DEMO_PASSWORD
        assert review_cli.seed_demo() is None
        assert _db.session.query(StaffAccount).count() == 1
        staff_service.authenticate(review_cli.DEMO_REVIEWER, review_cli.DEMO_PASSWORD)


def test_seed_demo_not_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    with app.app_context():
        assert review_cli.seed_demo() is None
        assert staff_service.get_by_username(review_cli.DEMO_REVIEWER) is None


def test_operator_sees_and_clears_the_back_off(client, app):
    with app.app_context():
        make_reviewer()
        staff_service.create_staff("ops-one", PASSWORD, "operator")
        _db.session.commit()
    ops = staff_login(client, "ops-one")
    for _ in range(5):
        _from(client, "10.5.0.1", "rev-jinhua", "nope-nope-nope")
    row = {s["username"]: s for s in client.get("/api/v1/staff/admin/staff", headers=ops).json["items"]}["rev-jinhua"]
    assert row["locked"] is True and row["failed_logins"] == 5 and row["locked_until"].endswith("+08:00")
    resp = client.post(f"/api/v1/staff/admin/staff/{row['id']}/unlock", headers=ops)
    assert resp.status_code == 200 and resp.json["locked"] is False and resp.json["failed_logins"] == 0
    assert _from(client, "10.5.0.1", "rev-jinhua", PASSWORD).status_code == 200
