"""Right answers at the counter and for staff: coverage by place and dates, filing numbers that
cannot be walked, and one staff-visibility rule (issue: trust, part 1)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server.accounts.staff import create_staff
from server.common.timeutil import today_cn
from server.extensions import db as _db
from server.filing import numbers
from server.filing.models import Filing
from server.institutions.cli import seed_demo
from server.institutions.models import Institution
from tests.helpers_filing import make_ready_draft, setup_user, submit
from tests.idgen import resident_id
from tests.review_helpers import make_filing, make_reviewer, staff_login, user_by_openid

PASSWORD = "counter-password-1"
BEIJING_COUNTER = "DEMOH11000001"   # 北京协和医院（演示数据）
SHANGHAI_COUNTER = "DEMOH31000001"  # 复旦大学附属中山医院（演示数据）
LIMITED_KEYS = {"filing_number", "filing_number_display", "checked_date", "covers", "reason_code",
                "reason", "message"}


@pytest.fixture
def counters(app):
    with app.app_context():
        seed_demo()
        for username, code in (("bj-counter", BEIJING_COUNTER), ("sh-counter", SHANGHAI_COUNTER)):
            inst = _db.session.scalar(select(Institution).where(Institution.code == code))
            create_staff(username, PASSWORD, "counter", institution_id=inst.id)
        _db.session.commit()


def counter(client, username):
    resp = client.post("/api/v1/staff/auth/login", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def approved_shanghai_filing(client, openid="openid-sh", seq=51, filing_type="other_temporary"):
    user = setup_user(client, openid, name="王小明", id_number=resident_id("510104", today_cn().replace(year=1961), seq))
    draft = make_ready_draft(client, user, filing_type, visit="310000")
    resp = submit(client, user, draft["id"])
    assert resp.status_code == 200, resp.json
    return user, resp.json


def verify(client, headers, **body):
    return client.post("/api/v1/staff/verify", json=body, headers=headers)


def test_counter_of_another_region_is_told_not_covered_and_sees_nothing_personal(client, app, counters):
    _, filing = approved_shanghai_filing(client)
    assert filing["status"] == "approved"
    beijing = counter(client, "bj-counter")
    resp = verify(client, beijing, filing_number=filing["number"])
    assert resp.status_code == 200, resp.json
    assert resp.json["covers"] is False
    assert resp.json["reason"] == "备案就医地不是本院所在地"
    assert set(resp.json) == LIMITED_KEYS
    assert "王" not in str(resp.json) and "510104" not in str(resp.json)

    # The counter in the filing's own region gets the full answer.
    shanghai = counter(client, "sh-counter")
    resp = verify(client, shanghai, filing_number=filing["number"])
    assert resp.json["covers"] is True and resp.json["person_name"] == "王*明"
    assert resp.json["reason"] is None


def test_coverage_is_pooling_region_aware(client, app, counters):
    _, filing = approved_shanghai_filing(client)
    with app.app_context():
        # Hospital systems and old rows use 310100 and district codes for Shanghai.
        _db.session.execute(update(Institution).where(Institution.code == SHANGHAI_COUNTER)
                            .values(region_code="310100"))
        _db.session.execute(update(Filing).where(Filing.id == filing["id"]).values(visit_region_code="310104"))
        _db.session.commit()
    resp = verify(client, counter(client, "sh-counter"), filing_number=filing["number"])
    assert resp.status_code == 200 and resp.json["covers"] is True, resp.json


def test_pending_filing_is_not_covered(client, app, counters):
    user = setup_user(client, "openid-ref", id_number=resident_id("510104", today_cn().replace(year=1962), 52))
    draft = make_ready_draft(client, user, "referral", visit="310000")
    resp = submit(client, user, draft["id"])
    assert resp.json["status"] == "pending_review"
    resp = verify(client, counter(client, "sh-counter"), filing_number=resp.json["number"])
    assert resp.status_code == 200
    assert resp.json["covers"] is False and resp.json["status"] == "pending_review"
    assert "待审核" in resp.json["reason"]


def test_coverage_depends_on_dates_not_on_the_expiry_job(client, app, counters):
    setup_user(client, "openid-old")
    with app.app_context():
        user = user_by_openid("openid-old")
        start, end = today_cn() - timedelta(days=200), today_cn() - timedelta(days=10)
        filing = make_filing(user, "other_temporary", insured="510100", visit="310000", start=start, end=end)
        number, fid = filing.number, filing.id
        _db.session.commit()
    shanghai = counter(client, "sh-counter")
    admitted = (today_cn() - timedelta(days=20)).isoformat()
    before = verify(client, shanghai, filing_number=number, admission_date=admitted).json
    assert before["covers"] is True

    result = app.test_cli_runner().invoke(args=["expire-filings"])
    assert "expired 1" in result.output
    with app.app_context():
        assert _db.session.get(Filing, fid).status == "expired"
    after = verify(client, shanghai, filing_number=number, admission_date=admitted).json
    assert after["covers"] is True and after["status"] == "approved"
    late = verify(client, shanghai, filing_number=number).json
    assert late["covers"] is False and late["status"] == "expired"


def test_filing_numbers_are_random_checked_and_typeable(client, app, counters):
    owner, first = approved_shanghai_filing(client, "openid-n1", 53)
    _, second = approved_shanghai_filing(client, "openid-n2", 54)
    pattern = re.compile(rf"^YD[{numbers.ALPHABET}]{{11}}$")
    for f in (first, second):
        assert pattern.match(f["number"]) and numbers.is_valid(f["number"])
        assert not set(f["number"][2:]) & set("01OIL")
    # Nothing in one number tells the next one or how many exist.
    assert first["number"][2:12] != second["number"][2:12]
    assert str(first["id"]) not in first["number"][-6:]

    shanghai = counter(client, "sh-counter")
    shown = numbers.display_number(first["number"])
    assert re.match(r"^YD [0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{3}$", shown)
    assert client.get(f"/api/v1/records/{first['id']}", headers=owner).json["number_display"] == shown
    assert first["result"]["number_display"] == shown
    resp = verify(client, shanghai, filing_number=shown.lower())
    assert resp.status_code == 200 and resp.json["filing_number"] == first["number"]
    assert resp.json["filing_number_display"] == shown

    # One mistyped character or two swapped neighbours are caught by the check character.
    body = first["number"][2:]
    wrong = body[:3] + next(c for c in numbers.ALPHABET if c != body[3]) + body[4:]
    swapped = body[:5] + body[6] + body[5] + body[7:]
    for typo in [wrong] + ([swapped] if body[5] != body[6] else []):
        resp = verify(client, shanghai, filing_number="YD" + typo)
        assert resp.status_code == 422, resp.json
        assert resp.json["error"]["details"][0]["field"] == "filing_number"

    # Numbers of the first scheme keep working.
    with app.app_context():
        _db.session.execute(update(Filing).where(Filing.id == second["id"]).values(number="YD20261201000467"))
        _db.session.commit()
    resp = verify(client, shanghai, filing_number="YD20261201000467")
    assert resp.status_code == 200 and resp.json["covers"] is True


def test_reviewer_cannot_download_documents_of_drafts(client, app):
    user = setup_user(client, "openid-draft", insured="330700")
    draft = make_ready_draft(client, user, "referral", visit="310000")
    doc_id = draft["documents"][0]["id"]
    with app.app_context():
        make_reviewer("rev-jh", ("330700",))
        _db.session.commit()
    reviewer = staff_login(client, "rev-jh")
    url = f"/api/v1/filings/{draft['id']}/documents/{doc_id}"
    assert client.get(url, headers=reviewer).status_code == 404
    assert client.get(f"/api/v1/staff/review/filings/{draft['id']}", headers=reviewer).status_code == 404
    # Once submitted, both doors open together.
    assert submit(client, user, draft["id"]).json["status"] == "pending_review"
    assert client.get(url, headers=reviewer).status_code == 200
    assert client.get(f"/api/v1/staff/review/filings/{draft['id']}", headers=reviewer).status_code == 200


def test_staff_rule_canonicalises_region_codes_on_every_path(client, app):
    user = setup_user(client, "openid-bj", insured="110000",
                      id_number=resident_id("110105", today_cn().replace(year=1955), 61))
    draft = make_ready_draft(client, user, "referral", visit="310000")
    assert submit(client, user, draft["id"]).json["status"] == "pending_review"
    with app.app_context():
        # A row written with the 110100 alias of Beijing.
        _db.session.execute(update(Filing).where(Filing.id == draft["id"]).values(insured_region_code="110100"))
        make_reviewer("rev-bj", ("110000",))
        _db.session.commit()
    reviewer = staff_login(client, "rev-bj")
    queue = client.get("/api/v1/staff/review/queue", headers=reviewer).json
    assert [i["id"] for i in queue["items"]] == [draft["id"]]
    assert client.get(f"/api/v1/staff/review/filings/{draft['id']}", headers=reviewer).status_code == 200
    doc_id = draft["documents"][0]["id"]
    assert client.get(f"/api/v1/filings/{draft['id']}/documents/{doc_id}", headers=reviewer).status_code == 200
