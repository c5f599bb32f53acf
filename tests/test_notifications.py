"""Notifications: outbox rows written with the change that causes them, delivered through the fake
WeChat server on loopback, listed in-app."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.common.timeutil import SHANGHAI, now_utc, today_cn
from server.extensions import db as _db
from server.notifications.messages import fit
from server.notifications.models import Notification, Subscription
from server.tasks import run_delivery, run_maintenance
from tests.conftest import login
from tests.review_helpers import make_filing, make_reviewer, staff_login, user_by_openid

SEND = "/cgi-bin/message/subscribe/send"


@pytest.fixture(autouse=True)
def _fresh_fake(fake_wechat):
    fake_wechat.reset()
    yield
    fake_wechat.reset()


def _pending_review(app, openid="u-notify", insured="330700", ftype="referral"):
    with app.app_context():
        user = user_by_openid(openid)
        filing = make_filing(user, ftype, insured=insured)
        assert filing.status == "pending_review"
        make_reviewer("rev-n", (insured,))
        _db.session.commit()
        return filing.id


def _subscribe(client, headers, *template_ids, answer="accept"):
    resp = client.post("/api/v1/me/subscriptions", json={"results": {t: answer for t in template_ids}},
                       headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def _deliver(app, now=None):
    with app.app_context():
        return run_delivery(now)


def _rows(app, **where):
    with app.app_context():
        q = select(Notification).order_by(Notification.id)
        for k, v in where.items():
            q = q.where(getattr(Notification, k) == v)
        return [(n.id, n.kind, n.delivery, n.attempts, n.last_error) for n in _db.session.scalars(q)]


@pytest.mark.parametrize("action, body, kind, phrase", [
    ("approve", {}, "approved", "已通过"),
    ("return", {"reason": "请补充转诊证明盖章页"}, "returned", "需补充"),
    ("reject", {"reason": "转诊证明不是参保地定点医院开具"}, "rejected", "未通过"),
])
def test_each_review_result_gives_one_wechat_and_one_inapp_message(client, app, fake_wechat, action, body, kind, phrase):
    user = login(client, "u-notify")
    filing_id = _pending_review(app)
    _subscribe(client, user, "TPL-REVIEW")
    staff = staff_login(client, "rev-n")
    assert client.post(f"/api/v1/staff/review/filings/{filing_id}/{action}", json=body,
                       headers=staff).status_code == 200

    assert _deliver(app)["sent"] == 1
    assert _deliver(app)["sent"] == 0  # nothing sent twice
    sends = fake_wechat.calls_for(SEND)
    assert len(sends) == 1
    sent = sends[0]["body"]
    assert sent["template_id"] == "TPL-REVIEW" and sent["touser"] == "u-notify"
    assert sent["page"] == f"pages/records/detail?id={filing_id}"
    assert sent["data"]["phrase2"]["value"] == phrase
    assert all(len(v["value"]) <= 20 for v in sent["data"].values())
    if "reason" in body:
        assert sent["data"]["thing3"]["value"] == fit("thing3", body["reason"])

    listed = client.get("/api/v1/messages", headers=user).json
    assert listed["total"] == 1 and listed["unread"] == 1
    item = listed["items"][0]
    assert item["kind"] == kind and item["filing_id"] == filing_id and not item["read"]
    if "reason" in body:
        assert body["reason"] in item["body"]
    # The one-time subscription was used up.
    with app.app_context():
        assert _db.session.scalar(select(Subscription.remaining)) == 0


def test_without_a_subscription_the_message_stays_in_app(client, app, fake_wechat):
    user = login(client, "u-notify")
    filing_id = _pending_review(app)
    staff = staff_login(client, "rev-n")
    client.post(f"/api/v1/staff/review/filings/{filing_id}/approve", json={}, headers=staff)
    report = _deliver(app)
    assert report == {"sent": 0, "in_app": 1, "retried": 0, "dead": 0}
    assert fake_wechat.calls_for(SEND) == []
    assert client.get("/api/v1/messages", headers=user).json["items"][0]["title"] == "备案审核通过"


def test_a_rolled_back_change_leaves_no_message(client, app):
    login(client, "u-notify")
    filing_id = _pending_review(app)
    staff = staff_login(client, "rev-n")
    # Rejecting without a reason is refused: no status change, so no message either.
    assert client.post(f"/api/v1/staff/review/filings/{filing_id}/reject", json={"reason": ""},
                       headers=staff).status_code == 422
    assert _rows(app) == []


@pytest.mark.parametrize("errcode, delivery, retried", [
    (43101, "in_app", False),   # no subscription left on WeChat's side: not retried
    (47003, "dead", False),     # a field WeChat refuses: dead letter with the reason
    (45009, "pending", True),   # over quota: later
    (-1, "pending", True),      # WeChat busy: later
])
def test_errcodes(client, app, fake_wechat, errcode, delivery, retried):
    user = login(client, "u-notify")
    filing_id = _pending_review(app)
    _subscribe(client, user, "TPL-REVIEW")
    client.post(f"/api/v1/staff/review/filings/{filing_id}/approve", json={}, headers=staff_login(client, "rev-n"))
    fake_wechat.subscribe_errcodes[:] = [errcode]
    _deliver(app)
    [(nid, _, state, attempts, error)] = _rows(app)
    assert state == delivery and attempts == 1 and str(errcode) in (error or "")
    assert _deliver(app)["sent"] == 0  # not due again at once
    later = _deliver(app, now_utc() + timedelta(hours=2))
    assert later["sent"] == (1 if retried else 0)
    assert len(fake_wechat.calls_for(SEND)) == (2 if retried else 1)
    if errcode == 43101:
        with app.app_context():
            assert _db.session.scalar(select(Subscription.remaining)) == 0
    if errcode == 47003:
        result = app.test_cli_runner().invoke(args=["notifications", "dead-letters"])
        assert f"{nid}\tapproved" in result.output and "47003" in result.output


def test_expired_access_token_is_refreshed_once(client, app, fake_wechat):
    user = login(client, "u-notify")
    filing_id = _pending_review(app)
    _subscribe(client, user, "TPL-REVIEW")
    client.post(f"/api/v1/staff/review/filings/{filing_id}/approve", json={}, headers=staff_login(client, "rev-n"))
    fake_wechat.subscribe_errcodes[:] = [40001]
    assert _deliver(app)["sent"] == 1
    assert len(fake_wechat.calls_for("/cgi-bin/stable_token")) == 2
    assert len(fake_wechat.calls_for(SEND)) == 2


def test_long_term_subscription_is_not_used_up(client, app, fake_wechat):
    user = login(client, "u-notify")
    _subscribe(client, user, "TPL-CHANGE")
    with app.app_context():
        owner = user_by_openid("u-notify")
        ids = [make_filing(owner, "other_temporary", seq=s).id for s in (3, 4)]
        _db.session.commit()
    for fid in ids:
        assert client.post(f"/api/v1/filings/{fid}/cancel", headers=user).status_code == 200
    assert _deliver(app)["sent"] == 2
    assert [c["body"]["template_id"] for c in fake_wechat.calls_for(SEND)] == ["TPL-CHANGE", "TPL-CHANGE"]


def test_subscription_answers_are_checked(client, app):
    user = login(client, "u-notify")
    resp = client.post("/api/v1/me/subscriptions", json={"results": {"TPL-NOPE": "accept", "TPL-REVIEW": "maybe"}},
                       headers=user)
    assert resp.status_code == 422
    assert {d["field"] for d in resp.json["error"]["details"]} == {"results.TPL-NOPE", "results.TPL-REVIEW"}
    _subscribe(client, user, "TPL-REVIEW")
    _subscribe(client, user, "TPL-REVIEW")
    listed = client.get("/api/v1/me/subscriptions", headers=user).json
    assert {t["template"] for t in listed["templates"]} >= {"review_result", "validity_reminder"}
    assert listed["subscriptions"] == [{"template_id": "TPL-REVIEW", "template": "review_result",
                                        "long_term": False, "remaining": 2, "last_answer": "accept"}]
    _subscribe(client, user, "TPL-REVIEW", answer="reject")
    assert client.get("/api/v1/me/subscriptions", headers=user).json["subscriptions"][0]["remaining"] == 0


def test_messages_are_read_and_private(client, app):
    user = login(client, "u-notify")
    filing_id = _pending_review(app)
    client.post(f"/api/v1/staff/review/filings/{filing_id}/approve", json={}, headers=staff_login(client, "rev-n"))
    [item] = client.get("/api/v1/messages", headers=user).json["items"]
    other = login(client, "u-other")
    assert client.get("/api/v1/messages", headers=other).json["total"] == 0
    assert client.post(f"/api/v1/messages/{item['id']}/read", headers=other).status_code == 404
    resp = client.post(f"/api/v1/messages/{item['id']}/read", headers=user)
    assert resp.status_code == 200 and resp.json["read"] is True
    assert client.get("/api/v1/messages?unread=true", headers=user).json["total"] == 0
    assert client.post("/api/v1/messages/read-all", headers=user).json == {"marked": 0}


def _cst(days_from_today: int, hour: int = 10) -> datetime:
    d = today_cn() + timedelta(days=days_from_today)
    return datetime(d.year, d.month, d.day, hour, 5, tzinfo=SHANGHAI).astimezone(timezone.utc)


def test_reminders_from_the_scheduler_once_each(client, app, fake_wechat):
    user = login(client, "u-notify")
    _subscribe(client, user, "TPL-VALID")
    with app.app_context():
        owner = user_by_openid("u-notify")
        start = today_cn() - timedelta(days=170)
        ending = make_filing(owner, "other_temporary", start=start, end=today_cn() + timedelta(days=6))
        assert ending.status == "approved"
        _db.session.commit()
        ending_id = ending.id
        first = run_maintenance(_cst(0))
        again = run_maintenance(_cst(0, 11))
        night = run_maintenance(_cst(0, 3))
    assert first["reminders"] == 1 and again["reminders"] == 0 and "reminders" not in night
    assert _deliver(app)["sent"] == 1
    data = fake_wechat.calls_for(SEND)[0]["body"]["data"]
    assert data["phrase2"]["value"] == "即将到期"
    end = today_cn() + timedelta(days=6)
    assert data["date3"]["value"] == f"{end.year}年{end.month}月{end.day}日"
    # A week later the filing has ended: expiry and its message come from the same job.
    with app.app_context():
        done = run_maintenance(_cst(7))
    assert done["expired"] == 1
    kinds = [k for _, k, *_ in _rows(app, filing_id=ending_id)]
    assert kinds == ["approved", "ending_soon", "ended"]


def test_proof_reminders_due_soon_then_overdue(client, app):
    login(client, "u-notify")
    with app.app_context():
        owner = user_by_openid("u-notify")
        f = make_filing(owner, "long_term_resident", proof_mode="commitment", insured="370700")
        f.status, f.approved_on = "approved", today_cn()
        f.proof_due_date = today_cn() + timedelta(days=7)
        _db.session.commit()
        assert run_maintenance(_cst(0))["reminders"] == 1
        assert run_maintenance(_cst(8))["reminders"] == 1
        assert run_maintenance(_cst(9))["reminders"] == 0
    assert [k for _, k, *_ in _rows(app)] == ["proof_due_soon", "proof_overdue"]


def test_scheduled_jobs_run_on_the_hour_and_every_minute():
    from server import tasks

    hourly = tasks.maintenance.task_class()
    every_minute = tasks.delivery.task_class()
    assert hourly.validate_datetime(datetime(2026, 12, 1, 2, 5))
    assert not hourly.validate_datetime(datetime(2026, 12, 1, 2, 6))
    assert every_minute.validate_datetime(datetime(2026, 12, 1, 2, 6))


def test_two_workers_never_send_one_message_twice(client, app, fake_wechat):
    import threading

    user = login(client, "u-notify")
    with app.app_context():
        owner = user_by_openid("u-notify")
        _db.session.add(Subscription(user_id=owner.id, template_id="TPL-CHANGE", long_term=True, remaining=0,
                                     last_answer="accept", updated_at=now_utc()))
        ids = [make_filing(owner, "other_temporary", seq=s).id for s in range(3, 23)]
        _db.session.commit()
    for fid in ids:
        client.post(f"/api/v1/filings/{fid}/cancel", headers=user)
    reports = []

    def worker():
        with app.app_context():
            reports.append(run_delivery())
            _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r["sent"] for r in reports) == 20
    pages = [c["body"]["page"] for c in fake_wechat.calls_for(SEND)]
    assert len(pages) == 20 == len(set(pages))


def _worker_env(app, fake_wechat, tmp_path) -> dict:
    """A worker process's environment: the test's database and fake WeChat, configured as in production."""
    import os

    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="test-secret",
               DATA_KEY="test-data-key", WECHAT_APPID="wx-test-appid", WECHAT_SECRET="test-app-secret",
               WECHAT_API_BASE=fake_wechat.url, WECHAT_TEMPLATES=app.config["WECHAT_TEMPLATES"],
               HUEY_SQLITE_PATH=str(tmp_path / "huey.db"), FLASK_APP="server.wsgi")
    env.pop("REDIS_URL", None)
    return env


def test_worker_killed_mid_send_sends_at_most_the_one_in_flight_again(client, app, fake_wechat, tmp_path):
    import os
    import subprocess
    import sys

    user = login(client, "u-notify")
    with app.app_context():
        owner = user_by_openid("u-notify")
        _db.session.add(Subscription(user_id=owner.id, template_id="TPL-CHANGE", long_term=True, remaining=0,
                                     last_answer="accept", updated_at=now_utc()))
        ids = [make_filing(owner, "other_temporary", seq=s).id for s in range(3, 8)]
        _db.session.commit()
    for fid in ids:
        client.post(f"/api/v1/filings/{fid}/cancel", headers=user)
    fake_wechat.subscribe_gate.clear()  # the first send hangs until the worker is killed
    env = _worker_env(app, fake_wechat, tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "flask", "notifications", "deliver"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert fake_wechat.subscribe_entered.wait(90), "the worker never reached WeChat"  # a loaded machine starts it slowly
        proc.kill()
        proc.wait(10)
    finally:
        fake_wechat.subscribe_gate.set()
        if proc.poll() is None:
            proc.kill()
    assert [r[2] for r in _rows(app)].count("sending") == 1
    # Restarted after the claim has lapsed: the one in flight is sent again, the rest once.
    report = _deliver(app, now_utc() + timedelta(minutes=5))
    assert report["sent"] == 5
    pages = [c["body"]["page"] for c in fake_wechat.calls_for(SEND)]
    assert len(pages) == 6 and len(set(pages)) == 5


def test_worker_process_catches_up_at_start(client, app, fake_wechat, tmp_path):
    """The real Huey consumer, started as production starts it, runs the jobs without a command."""
    import os
    import subprocess
    import sys
    import time

    user = login(client, "u-notify")
    _subscribe(client, user, "TPL-VALID")
    with app.app_context():
        owner = user_by_openid("u-notify")
        make_filing(owner, "other_temporary", start=today_cn() - timedelta(days=170),
                    end=today_cn() + timedelta(days=7))
        _db.session.commit()
    env = _worker_env(app, fake_wechat, tmp_path)
    consumer = os.path.join(os.path.dirname(sys.executable), "huey_consumer")
    proc = subprocess.Popen([consumer, "server.tasks.huey", "-w", "1", "-k", "thread"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not fake_wechat.calls_for(SEND):
            time.sleep(0.2)
    finally:
        # Huey finishes its running task on SIGTERM; a loaded machine may need longer, then it is killed.
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    hour = datetime.now(SHANGHAI).hour
    if hour in range(8, 21):
        assert fake_wechat.calls_for(SEND), "no reminder from the worker"
        assert fake_wechat.calls_for(SEND)[0]["body"]["data"]["phrase2"]["value"] == "即将到期"
    else:  # at night reminders wait for the morning; the job still ran
        assert fake_wechat.calls_for(SEND) == []


def test_field_limits():
    assert fit("thing1", "转" * 30) == "转" * 19 + "…"
    assert fit("phrase2", "已通过!") == "已通过"
    assert fit("character_string3", "YD 2026-中") == "YD2026-"
    assert fit("thing4", "") == "-"


def test_sweep_removes_stale_drafts_tokens_and_old_chats(client, app):
    from server.accounts.models import AuthToken
    from server.filing.models import Filing
    from server.housekeeping import sweep

    user = login(client, "u-notify")
    old = client.post("/api/v1/filings", json={}, headers=user).json
    fresh = client.post("/api/v1/filings", json={}, headers=user).json
    client.post("/api/v1/chat/sessions", json={}, headers=user)
    client.post("/api/v1/chat/sessions", json={}, headers=user)
    with app.app_context():
        from server.chat.models import ChatSession

        chat = _db.session.scalars(select(ChatSession)).first()
        chat.updated_at = now_utc() - timedelta(days=40)
        owner = user_by_openid("u-notify")
        submitted = make_filing(owner, "other_temporary")
        long_ago = now_utc() - timedelta(days=120)
        for f in (_db.session.get(Filing, old["id"]), submitted):
            f.updated_at = f.created_at = long_ago
        _db.session.add(AuthToken(id="x" * 32, user_id=owner.id, expires_at=long_ago))
        _db.session.commit()
        swept = sweep(now_utc())
        _db.session.commit()
        assert swept.drafts == 1 and swept.tokens == 1 and swept.chat_sessions == 1
        assert _db.session.get(Filing, old["id"]) is None
        assert _db.session.get(Filing, fresh["id"]) is not None
        assert _db.session.get(Filing, submitted.id) is not None
        assert _db.session.scalar(select(func.count()).select_from(AuthToken)) == 1  # the live login
        assert _db.session.scalar(select(func.count()).select_from(ChatSession)) == 1


def test_a_counter_verification_tells_the_person_once_a_day(client, app, fake_wechat):
    from server.accounts.staff import create_staff
    from server.institutions.cli import seed_demo
    from server.institutions.models import Institution

    user = login(client, "u-notify")
    _subscribe(client, user, "TPL-VERIFY")
    with app.app_context():
        seed_demo()
        inst = _db.session.scalar(select(Institution).where(Institution.code == "DEMOH11000001"))
        create_staff("xh-desk", "counter-password-1", "counter", institution_id=inst.id)
        owner = user_by_openid("u-notify")
        number = make_filing(owner, "other_temporary", insured="330700", visit="110000").number
        _db.session.commit()
        hospital = inst.name
    desk = client.post("/api/v1/staff/auth/login", json={"username": "xh-desk", "password": "counter-password-1"})
    headers = {"Authorization": f"Bearer {desk.json['token']}"}
    for _ in range(2):
        assert client.post("/api/v1/staff/verify", json={"filing_number": number}, headers=headers).status_code == 200
    verified = [r for r in _rows(app) if r[1] == "verified"]
    assert len(verified) == 1
    assert _deliver(app)["sent"] == 1
    sent = fake_wechat.calls_for(SEND)[-1]["body"]
    assert sent["template_id"] == "TPL-VERIFY" and sent["data"]["thing1"]["value"] == fit("thing1", hospital)
    item = next(i for i in client.get("/api/v1/messages", headers=user).json["items"] if i["kind"] == "verified")
    assert hospital in item["body"] and "核验" in item["title"]


def test_the_drafts_list_says_when_an_untouched_draft_will_be_removed(client, app):
    from server.common.timeutil import to_cn
    from server.filing.models import Filing

    user = login(client, "u-notify")
    draft = client.post("/api/v1/filings", json={}, headers=user).json
    with app.app_context():
        touched = _db.session.get(Filing, draft["id"]).updated_at or _db.session.get(Filing, draft["id"]).created_at
        expected = (to_cn(touched) + timedelta(days=app.config["DRAFT_RETENTION_DAYS"])).date().isoformat()
    [item] = client.get("/api/v1/filings", headers=user).json["items"]
    assert item["id"] == draft["id"] and item["removal_date"] == expected


def test_an_operator_lists_a_dead_letter_and_sends_it_again(client, app, fake_wechat):
    from server.accounts.staff import create_staff
    from tests.review_helpers import PASSWORD

    user = login(client, "u-notify")
    filing_id = _pending_review(app)
    _subscribe(client, user, "TPL-REVIEW")
    client.post(f"/api/v1/staff/review/filings/{filing_id}/approve", json={}, headers=staff_login(client, "rev-n"))
    fake_wechat.subscribe_errcodes[:] = [47003]
    _deliver(app)
    with app.app_context():
        create_staff("ops-n", PASSWORD, "operator")
        _db.session.commit()
    ops = staff_login(client, "ops-n")
    dead = client.get("/api/v1/staff/admin/notifications/dead", headers=ops)
    assert dead.status_code == 200
    [letter] = dead.json["items"]
    assert letter["kind"] == "approved" and letter["filing_id"] == filing_id and "47003" in letter["last_error"]
    # Once the template is fixed, the operator sends it again; WeChat takes it this time.
    retry = client.post("/api/v1/staff/admin/notifications/dead/retry", json={"ids": [letter["id"]]}, headers=ops)
    assert retry.status_code == 200 and retry.json == {"queued": 1}
    assert client.get("/api/v1/staff/admin/notifications/dead", headers=ops).json["items"] == []
    assert _deliver(app)["sent"] == 1
    assert len(fake_wechat.calls_for(SEND)) == 2
