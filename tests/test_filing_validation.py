"""Field checks of the steps: places, dates, phones, IDs, uploads, consent."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from server.common.timeutil import today_cn
from server.filing.rules import add_months
from server.filing.models import Filing
from server.extensions import db as _db
from tests.conftest import login
from tests.helpers_filing import (accept_notice, jpeg_bytes, make_ready_draft, setup_user, submit,
                                  upload)
from tests.idgen import foreign_permanent_id, hmt_id, resident_id, with_wrong_check_digit


def _draft(client, headers, **body):
    resp = client.post("/api/v1/filings", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json


def _patch(client, headers, draft, **body):
    return client.patch(f"/api/v1/filings/{draft['id']}", json=body, headers=headers)


def test_same_province_visit_refused_unless_policy_allows(client, monkeypatch):
    headers = setup_user(client)
    draft = _draft(client, headers, filing_type="referral")
    resp = _patch(client, headers, draft, visit_region_code="510700")  # 绵阳, same province
    assert resp.status_code == 422
    assert resp.json["error"]["details"][0]["code"] == "filing.visit_region_same_province"
    same = _patch(client, headers, draft, visit_region_code="510100")
    assert same.json["error"]["details"][0]["code"] == "filing.visit_region_same_as_insured"

    from server.filing import service
    from server.regions.policy import RegionPolicy
    monkeypatch.setattr(service, "policy_for", lambda code: RegionPolicy(code, allow_same_province=True))
    assert _patch(client, headers, draft, visit_region_code="510700").status_code == 200


def test_unknown_codes_and_choices(client):
    headers = setup_user(client)
    draft = _draft(client, headers)
    resp = _patch(client, headers, draft, visit_region_code="999999", insured_region_code="510000",
                  scheme="gold", filing_type="holiday")
    assert resp.status_code == 422
    fields = {d["field"] for d in resp.json["error"]["details"]}
    assert fields == {"visit_region_code", "insured_region_code", "scheme", "filing_type"}


def test_visit_region_aliases_and_districts_are_normalised(client):
    headers = setup_user(client)
    draft = _draft(client, headers, visit_region_code="310100", filing_type="emergency")
    assert draft["visit_region_code"] == "310000"
    draft = _patch(client, headers, draft, visit_region_code="411302").json
    assert draft["visit_region_code"] == "411300"


def test_back_dating_within_the_limit_only(client):
    headers = setup_user(client)
    draft = _draft(client, headers, visit_region_code="310000", filing_type="referral")
    ok = _patch(client, headers, draft, start_date=(today_cn() - timedelta(days=10)).isoformat())
    assert ok.status_code == 200
    start = today_cn() - timedelta(days=10)
    assert ok.json["end_date"] == add_months(start, 6).isoformat()
    too_early = _patch(client, headers, draft, start_date=(today_cn() - timedelta(days=11)).isoformat())
    assert too_early.status_code == 422
    assert too_early.json["error"]["details"][0]["code"] == "filing.start_date_too_early"


def test_end_date_defaults_and_minimum(client):
    headers = setup_user(client)
    draft = _draft(client, headers, visit_region_code="310000", filing_type="other_temporary",
                   start_date="2026-12-01")
    assert draft["end_date"] == "2027-06-01"
    short = _patch(client, headers, draft, end_date="2027-03-01")
    assert short.status_code == 422 and short.json["error"]["details"][0]["code"] == "filing.end_date_too_early"
    longer = _patch(client, headers, draft, end_date="2027-10-01")
    assert longer.status_code == 200 and longer.json["end_date"] == "2027-10-01"
    long_term = _patch(client, headers, draft, filing_type="long_term_resident")
    assert long_term.json["end_date"] is None and "address" in long_term.json["missing"]


def test_contact_phone_checked_and_masked(client):
    headers = setup_user(client)
    draft = _draft(client, headers)
    bad = _patch(client, headers, draft, contact_phone="12345678901")
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "contact_phone"
    good = _patch(client, headers, draft, contact_phone="+86 139-0013-9000")
    assert good.json["contact_phone_masked"] == "139****9000"
    assert "13900139000" not in str(good.json)


@pytest.mark.parametrize("number", [resident_id("440305", date(1990, 5, 6), 12), hmt_id("82"),
                                    foreign_permanent_id("31", "250")])
def test_identity_for_self_when_profile_lacks_it(client, app, number):
    headers = login(client, "openid-new")
    client.post("/api/v1/consent", json={"version": client.get("/api/v1/consent", headers=headers).json["version"]},
                headers=headers)
    draft = _draft(client, headers)
    assert {"person_name", "id_number", "insured_region_code"} <= set(draft["missing"])
    assert draft["next_step"] == "start"
    view = _patch(client, headers, draft, person_name="王小明", id_number=number.lower()).json
    assert view["person_id_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in str(view)
    with app.app_context():
        row = _db.session.get(Filing, draft["id"])
        assert number not in (row.person_id_enc or "") and len(row.person_id_hash) == 64


@pytest.mark.parametrize("bad,code", [
    (with_wrong_check_digit(resident_id()), "id_number.checksum"),
    ("110105194902300020", None),  # 30 February
    ("12345", "id_number.format"),
])
def test_bad_identity_numbers(client, bad, code):
    headers = login(client, "openid-new")
    draft = _draft(client, headers)
    resp = _patch(client, headers, draft, id_number=bad)
    assert resp.status_code == 422
    detail = resp.json["error"]["details"][0]
    assert detail["field"] == "id_number" and (code is None or detail["code"] == code)


def test_uploads_are_checked(client, app):
    headers = setup_user(client)
    draft = make_ready_draft(client, headers, "long_term_resident", proof="none")
    wrong_code = upload(client, headers, draft["id"], "referral_certificate")
    assert wrong_code.status_code == 422
    text = upload(client, headers, draft["id"], "residence_permit", b"GIF89a not allowed", "x.png")
    assert text.status_code == 415
    app.config["MAX_UPLOAD_BYTES"], old = 100, app.config["MAX_UPLOAD_BYTES"]
    try:
        big = upload(client, headers, draft["id"], "residence_permit", jpeg_bytes(200, 200))
        assert big.status_code == 413
    finally:
        app.config["MAX_UPLOAD_BYTES"] = old
    ok = upload(client, headers, draft["id"], "residence_permit", jpeg_bytes())
    assert ok.status_code == 201 and ok.json["filing"]["proof"] == "uploaded"
    doc = ok.json["document"]
    got = client.get(doc["url"], headers=headers)
    assert got.status_code == 200 and got.mimetype == "image/jpeg" and got.data[:3] == b"\xff\xd8\xff"
    assert client.delete(doc["url"], headers=headers).status_code == 204
    view = client.get(f"/api/v1/filings/{draft['id']}", headers=headers).json
    assert view["documents"] == [] and "proof" in view["missing"]


def test_submit_without_consent_or_notice_is_refused(client):
    headers = setup_user(client, consent=False)
    draft = make_ready_draft(client, headers, "emergency")
    resp = submit(client, headers, draft["id"])
    assert resp.status_code == 422
    assert [d["field"] for d in resp.json["error"]["details"]] == ["privacy_consent"]
    outdated = client.post("/api/v1/consent", json={"version": "1999-1"}, headers=headers)
    assert outdated.status_code == 409
    version = client.get("/api/v1/consent", headers=headers).json["version"]
    accepted = client.post("/api/v1/consent", json={"version": version}, headers=headers).json
    assert accepted["accepted"] is True and accepted["accepted_at"]
    assert submit(client, headers, draft["id"]).status_code == 200


def test_draft_view_guides_the_next_step(client):
    headers = setup_user(client)
    draft = _draft(client, headers)
    assert draft["next_step"] == "choices"
    draft = _patch(client, headers, draft, visit_region_code="310000", filing_type="referral").json
    assert draft["next_step"] == "notice"
    draft = accept_notice(client, headers, draft)
    assert draft["next_step"] == "details"
    assert draft["missing"] == ["start_date", "end_date", "proof"]


def test_service_functions_work_without_a_request(app):
    """The chat and counter call the service directly, with plain values."""
    from server.accounts.models import User
    from server.filing import service
    from server.filing.consent import PRIVACY_VERSION, accept_privacy
    from server.filing.notices import notice_for

    with app.app_context():
        user = User(openid="svc", name="赵六", default_insured_region_code="510100", default_scheme="resident",
                    phone="13600136000")
        _db.session.add(user)
        _db.session.flush()
        accept_privacy(user, PRIVACY_VERSION)
        filing = service.create_draft(user, applicant="self", source="chat",
                                      prefill={"visit_region_code": "330700", "filing_type": "emergency",
                                               "start_date": today_cn().isoformat()})
        service.update_draft(user, filing, {"id_number": resident_id("330782", date(1980, 2, 2), 15)})
        service.accept_notice(user, filing, notice_for("510100", "成都市", "emergency").version)
        view = service.draft_view(filing)
        assert view["missing"] == [] and view["visit_region_name"] == "金华市" and view["source"] == "chat"
        filing = service.submit_filing(user, filing)
        assert filing.status == "approved" and filing.number
        assert service.submit_filing(user, filing).id == filing.id
        _db.session.rollback()


def test_every_bad_field_of_a_patch_in_one_answer(client):
    """A too-early start (a rule over several fields) and a bad phone (a field on its own) come
    back together, and nothing of the request is kept."""
    headers = setup_user(client)
    draft = _draft(client, headers, visit_region_code="310000", filing_type="long_term_resident")
    resp = _patch(client, headers, draft, start_date=(today_cn() - timedelta(days=40)).isoformat(),
                  contact_phone="12345", address="上海市浦东新区张江路1号")
    assert resp.status_code == 422
    assert {d["field"] for d in resp.json["error"]["details"]} == {"start_date", "contact_phone"}
    view = client.get(f"/api/v1/filings/{draft['id']}", headers=headers).json
    assert view["address"] is None and view["start_date"] is None
    assert view["contact_phone_masked"] == "138****8000"


def test_every_bad_field_of_a_new_draft_in_one_answer(client, app):
    headers = login(client, "openid-new")
    resp = client.post("/api/v1/filings", headers=headers, json={
        "id_number": with_wrong_check_digit(resident_id()), "visit_region_code": "990100",
        "person_name": "王小明"})
    assert resp.status_code == 422
    details = {d["field"]: d["code"] for d in resp.json["error"]["details"]}
    assert details == {"id_number": "id_number.checksum", "visit_region_code": "filing.visit_region_invalid"}
    with app.app_context():
        assert _db.session.execute(_db.select(Filing)).first() is None


def test_partial_update_applies_what_is_valid_and_refuses_the_rest(app):
    """The chat's door: each valid value is kept, each refused one changes nothing (notice
    acceptance and the profile's identity included), and the problems name the changed field."""
    from server.accounts.models import User
    from server.filing import service
    from server.filing.consent import PRIVACY_VERSION, accept_privacy

    with app.app_context():
        user = User(openid="partial", name="赵六", default_insured_region_code="510100",
                    default_scheme="employee", phone="13600136000")
        _db.session.add(user)
        _db.session.flush()
        accept_privacy(user, PRIVACY_VERSION)
        filing = service.create_draft(user, source="chat", prefill={
            "visit_region_code": "350200", "filing_type": "other_temporary"})  # 厦门
        service.accept_notice(user, filing, service.notice_for_region("510100", "other_temporary").version)
        # 福州 as insured place is in the visit place's province: refused, the rest is kept
        problems = service.apply_changes(user, filing, {
            "insured_region_code": "350100", "contact_name": "徐慧",
            "id_number": with_wrong_check_digit(resident_id())})
        assert {(p.field, p.code) for p in problems} == {
            ("insured_region_code", "filing.visit_region_same_province"), ("id_number", "id_number.checksum")}
        assert filing.insured_region_code == "510100" and filing.contact_name == "徐慧"
        assert service.notice_accepted(filing) and user.id_number_hash is None
        view = service.draft_view(filing)
        assert view["insured_region_code"] == "510100" and view["notice_accepted"] is True
        # a back-dating limit counts from the day given, not the server's clock
        day = date(2026, 11, 24)
        problems = service.apply_changes(user, filing, {"start_date": date(2026, 11, 13)}, today=day)
        assert [p.code for p in problems] == ["filing.start_date_too_early"]
        assert "2026年11月14日" in problems[0].message
        assert service.apply_changes(user, filing, {"start_date": date(2026, 11, 14)}, today=day) == []
        assert filing.start_date == date(2026, 11, 14)
        _db.session.rollback()
