"""Counter QR codes end to end: print a code, decode it, enter, file, and verify at the counter."""
from __future__ import annotations

import json
from datetime import timedelta

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from server.accounts.staff import create_staff
from server.common.timeutil import today_cn
from server.extensions import db as _db
from server.filing.models import Filing, StaffAccess
from server.institutions import qr
from server.institutions.cli import seed_demo
from server.institutions.models import CounterCode, Institution
from tests.helpers_filing import accept_notice, setup_user, submit
from tests.idgen import resident_id

PASSWORD = "counter-password-1"
BASE = "https://filing.example.cn"


def decode(png: bytes) -> str:
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert img is not None
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert points is not None, "no QR code found"
    return text


@pytest.fixture
def hospital(app):
    """The demo directory, and a counter account at 复旦大学附属中山医院 (上海)."""
    with app.app_context():
        seed_demo()
        inst = _db.session.scalar(select(Institution).where(Institution.code == "DEMOH31000001"))
        staff = create_staff("zs-counter", PASSWORD, "counter", institution_id=inst.id, display_name="住院处王")
        other = _db.session.scalar(select(Institution).where(Institution.code == "DEMOH11000001"))
        create_staff("xh-counter", PASSWORD, "counter", institution_id=other.id)
        _db.session.commit()
        return {"id": inst.id, "name": inst.name, "staff_id": staff.id}


def staff_login(client, username="zs-counter"):
    resp = client.post("/api/v1/staff/auth/login", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def new_code(client, headers, counter="住院处"):
    resp = client.post("/api/v1/staff/counter-codes", json={"counter_name": counter}, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json


def test_counter_qr_to_filing_to_verification(client, app, hospital):
    staff = staff_login(client)
    code = new_code(client, staff)

    # The printed code decodes to the entry URL.
    png = client.get(code["png"], headers=staff)
    assert png.status_code == 200 and png.mimetype == "image/png"
    url = decode(png.data)
    assert url == code["url"] and url.startswith(f"{BASE}/q/")
    token = url.rsplit("/", 1)[1]
    assert len(token) <= 32
    assert decode(client.get(code["poster"], headers=staff).data) == url
    # The counter's own list shows it; another hospital's counter does not see it.
    listed = client.get("/api/v1/staff/counter-codes", headers=staff)
    assert listed.status_code == 200 and [c["url"] for c in listed.json["items"]] == [url]
    assert client.get("/api/v1/staff/counter-codes", headers=staff_login(client, "xh-counter")).json["items"] == []

    # Opened outside WeChat: a friendly page, not an error.
    page = client.get(f"/q/{token}")
    assert page.status_code == 200 and "微信" in page.get_data(as_text=True)
    assert hospital["name"] in page.get_data(as_text=True)

    entry = client.get(f"/api/v1/entry/{token}").json
    assert entry["institution"]["name"] == hospital["name"]
    assert entry["counter_name"] == "住院处"
    assert entry["prefill"]["visit_region_code"] == "310000"
    assert entry["prefill"]["visit_region_name"] == "上海市"

    user = setup_user(client, "openid-patient", name="张三明",
                      id_number=resident_id("510104", today_cn().replace(year=1960), 31))
    resp = client.post(f"/api/v1/entry/{token}/filings", json={}, headers=user)
    assert resp.status_code == 201, resp.json
    draft = resp.json
    assert draft["visit_region_code"] == "310000"
    with app.app_context():
        filing = _db.session.get(Filing, draft["id"])
        assert filing.source == "counter" and filing.origin_institution_id == hospital["id"]

    # Complete it as the wizard would.
    resp = client.patch(f"/api/v1/filings/{draft['id']}", headers=user, json={
        "filing_type": "other_temporary", "start_date": today_cn().isoformat(),
        "contact_name": "张三明", "contact_phone": "13800138000"})
    assert resp.status_code == 200, resp.json
    accept_notice(client, user, resp.json)
    resp = submit(client, user, draft["id"])
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "approved"

    # The patient shows the 备案凭证 QR; the counter scans it.
    voucher_png = client.get(f"/api/v1/filings/{draft['id']}/voucher.png", headers=user)
    assert voucher_png.status_code == 200
    voucher = decode(voucher_png.data)
    resp = client.post("/api/v1/staff/verify", json={"voucher": voucher}, headers=staff)
    assert resp.status_code == 200, resp.json
    result = resp.json
    assert result["person_name"] == "张*明"
    assert "*" in result["person_id"] and "510104" not in result["person_id"][6:]
    assert result["insured_region_name"] == "成都市" and result["visit_region_name"] == "上海市"
    assert result["status"] == "approved" and result["covers"] is True
    assert result["filing_type"] == "other_temporary"
    assert set(result) <= {"filing_number", "person_name", "person_id", "insured_region_code",
                           "insured_region_name", "visit_region_code", "visit_region_name",
                           "filing_type", "filing_type_label", "start_date", "end_date", "status",
                           "status_label", "checked_date", "covers", "message", "reason", "reason_code",
                           "filing_number_display"}

    # An admission before the start date is not covered.
    before = (today_cn() - timedelta(days=3)).isoformat()
    resp = client.post("/api/v1/staff/verify", json={"filing_number": result["filing_number"],
                                                     "admission_date": before}, headers=staff)
    assert resp.status_code == 200 and resp.json["covers"] is False

    with app.app_context():
        rows = _db.session.scalars(select(StaffAccess).where(StaffAccess.filing_id == draft["id"])).all()
        assert [r.action for r in rows] == ["verify", "verify"]
        detail = json.loads(rows[0].detail)
        assert detail["institution_name"] == hospital["name"] and detail["result"] == "covered"
        assert json.loads(rows[1].detail)["result"] == "not_covered"


def test_verify_by_full_id_number_only(client, app, hospital):
    number = resident_id("510104", today_cn().replace(year=1958), 41)
    user = setup_user(client, "openid-li", name="李四", id_number=number)
    resp = client.post("/api/v1/filings", json={"visit_region_code": "310000", "filing_type": "other_temporary"},
                       headers=user)
    assert resp.status_code == 201, resp.json
    fid = resp.json["id"]
    resp = client.patch(f"/api/v1/filings/{fid}", headers=user, json={
        "start_date": today_cn().isoformat(), "contact_name": "李四", "contact_phone": "13800138000"})
    accept_notice(client, user, resp.json)
    assert submit(client, user, fid).json["status"] == "approved"

    staff = staff_login(client)
    resp = client.post("/api/v1/staff/verify", json={"id_number": number}, headers=staff)
    assert resp.status_code == 200, resp.json
    assert resp.json["person_name"] == "李*" and resp.json["covers"] is True

    resp = client.post("/api/v1/staff/verify", json={"id_number": number[:14]}, headers=staff)
    assert resp.status_code == 422
    assert resp.json["error"]["details"][0]["field"] == "id_number"
    resp = client.post("/api/v1/staff/verify", json={"id_number": number, "filing_number": "X"}, headers=staff)
    assert resp.status_code == 422
    other = resident_id("510104", today_cn().replace(year=1970), 43)
    resp = client.post("/api/v1/staff/verify", json={"id_number": other}, headers=staff)
    assert resp.status_code == 404 and resp.json["error"]["code"] == "verify.not_found"

    # Users and reviewers cannot verify.
    assert client.post("/api/v1/staff/verify", json={"id_number": number}, headers=user).status_code == 403


def test_verify_rate_limited_per_staff(client, app, hospital):
    staff = staff_login(client)
    old = app.config["RATE_LIMIT_VERIFY_PER_MINUTE"]
    app.config["RATE_LIMIT_VERIFY_PER_MINUTE"] = 2
    try:
        codes = [client.post("/api/v1/staff/verify", json={"filing_number": "NOPE"}, headers=staff).status_code
                 for _ in range(3)]
    finally:
        app.config["RATE_LIMIT_VERIFY_PER_MINUTE"] = old
    assert codes == [404, 404, 429]


def test_bad_and_revoked_tokens(client, app, hospital):
    staff = staff_login(client)
    code = new_code(client, staff, "门诊大厅")
    token = code["token"]
    forged = qr.make_token("another-secret", code["id"])
    for bad in (forged, "abc", qr.make_token(app.config["SECRET_KEY"], 999999)):
        resp = client.get(f"/api/v1/entry/{bad}")
        assert resp.status_code == 404 and resp.json["error"]["code"] == "entry.invalid"
        assert "二维码" in resp.json["error"]["message"]
        page = client.get(f"/q/{bad}")
        assert page.status_code == 404 and "国家异地就医备案" in page.get_data(as_text=True)

    # Another institution's staff cannot see or revoke this code.
    other = staff_login(client, "xh-counter")
    assert client.get(code["png"], headers=other).status_code == 404
    assert client.post(f"/api/v1/staff/counter-codes/{code['id']}/revoke", headers=other).status_code == 404

    resp = client.post(f"/api/v1/staff/counter-codes/{code['id']}/revoke", headers=staff)
    assert resp.status_code == 200 and resp.json["revoked"] is True
    resp = client.get(f"/api/v1/entry/{token}")
    assert resp.status_code == 410 and resp.json["error"]["code"] == "entry.revoked"
    user = setup_user(client, "openid-late")
    assert client.post(f"/api/v1/entry/{token}/filings", json={}, headers=user).status_code == 410
    assert client.get(f"/q/{token}").status_code == 404


def test_svg_and_wxacode_cached(client, app, hospital, fake_wechat):
    staff = staff_login(client)
    code = new_code(client, staff)
    svg = client.get(code["svg"], headers=staff)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data

    fake_wechat.reset()
    fake_wechat.wxacode_png = qr.qr_png("wxacode-stand-in")
    try:
        first = client.get(code["wxacode"], headers=staff)
        second = client.get(code["wxacode"], headers=staff)
    finally:
        fake_wechat.wxacode_png = None
    assert first.status_code == 200 and first.data == second.data
    assert decode(first.data) == "wxacode-stand-in"
    calls = fake_wechat.calls_for("/wxa/getwxacodeunlimit")
    assert len(calls) == 1 and calls[0]["body"]["scene"] == code["token"]
    with app.app_context():
        assert _db.session.get(CounterCode, code["id"]).wxacode_sha256


def test_wechat_verification_file(client, app):
    old = app.config["WECHAT_VERIFY_FILES"]
    app.config["WECHAT_VERIFY_FILES"] = "a1B2c3D4e5f6=verify-content-123;other=x"
    try:
        resp = client.get("/q/a1B2c3D4e5f6.txt")
        assert resp.status_code == 200 and resp.get_data(as_text=True) == "verify-content-123"
        assert client.get("/q/unknownfile1.txt").status_code == 404
    finally:
        app.config["WECHAT_VERIFY_FILES"] = old


def test_cli_creates_code_files(app, tmp_path):
    with app.app_context():
        seed_demo()
        _db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["counter-codes", "create", "--institution", "DEMOH51010001",
                                 "--counter", "住院处", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    url = result.output.splitlines()[0]
    assert url.startswith(f"{BASE}/q/")
    pngs = sorted(tmp_path.glob("*.png"))
    assert len(pngs) == 2 and all(decode(p.read_bytes()) == url for p in pngs)
    assert list(tmp_path.glob("*.svg"))
    result = runner.invoke(args=["counter-codes", "create", "--institution", "NOPE0000"])
    assert result.exit_code != 0 and "没有找到" in result.output
