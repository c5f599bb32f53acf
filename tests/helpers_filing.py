"""Shared helpers for filing tests over HTTP (reusable by the records, review and chat tests).

    headers = setup_user(client, "openid-bob")               # logged in, profile set, consent given
    draft = make_ready_draft(client, headers, "referral")    # complete, ready to submit
    resp = submit(client, headers, draft["id"])
"""
from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image, ImageDraw

from server.common.timeutil import today_cn
from tests.conftest import login
from tests.idgen import resident_id

DEFAULT_INSURED = "510100"   # 成都市
DEFAULT_VISIT = "310000"     # 上海市
LONG_TERM = ("retiree_relocated", "long_term_resident", "resident_worker")
PROOF_CODE = {"retiree_relocated": "household_register", "long_term_resident": "residence_permit",
              "resident_worker": "labor_contract", "referral": "referral_certificate"}


def png_bytes(width: int = 80, height: int = 60, color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(width: int = 80, height: int = 60) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


def signature_png() -> bytes:
    """A name 'written' on a transparent pad: a few thick strokes."""
    im = Image.new("RGBA", (400, 160), (255, 255, 255, 0))
    draw = ImageDraw.Draw(im)
    draw.line([(30, 120), (90, 30), (150, 120), (210, 40), (300, 110), (370, 50)], fill=(0, 0, 0, 255), width=6)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def setup_user(client, openid: str = "openid-alice", *, name: str = "张三",
               id_number: str | None = None, phone: str = "13800138000",
               insured: str = DEFAULT_INSURED, scheme: str = "employee", consent: bool = True) -> dict:
    """Log in, fill the profile (name, ID, phone, insured place, scheme), accept the privacy notice."""
    headers = login(client, openid)
    profile = {"name": name, "id_number": id_number or resident_id("510104", date(1950, 3, 8), 11),
               "phone": phone, "default_insured_region_code": insured, "default_scheme": scheme}
    resp = client.patch("/api/v1/me", json=profile, headers=headers)
    assert resp.status_code == 200, resp.json
    if consent:
        version = client.get("/api/v1/consent", headers=headers).json["version"]
        resp = client.post("/api/v1/consent", json={"version": version}, headers=headers)
        assert resp.status_code == 200, resp.json
    return headers


def add_family_member(client, headers, *, name: str = "李四", relation: str = "parent",
                      id_number: str | None = None, phone: str | None = "13900139000") -> dict:
    body = {"name": name, "relation": relation, "consent_confirmed": True,
            "id_number": id_number or resident_id("110105", date(1945, 6, 1), 23), "phone": phone}
    resp = client.post("/api/v1/family-members", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json


def accept_notice(client, headers, draft: dict) -> dict:
    notice = client.get(f"/api/v1/notices/{draft['insured_region_code']}/{draft['filing_type']}").json
    resp = client.post(f"/api/v1/filings/{draft['id']}/notice", json={"version": notice["version"]},
                       headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def upload(client, headers, filing_id: int, doc_code: str, data: bytes | None = None,
           filename: str = "proof.png"):
    return client.post(f"/api/v1/filings/{filing_id}/documents", headers=headers,
                       data={"doc_code": doc_code, "file": (io.BytesIO(data or png_bytes()), filename)},
                       content_type="multipart/form-data")


def sign(client, headers, filing_id: int, png: bytes | None = None):
    return client.post(f"/api/v1/filings/{filing_id}/commitment", headers=headers,
                       data={"signature": (io.BytesIO(png or signature_png()), "signature.png")},
                       content_type="multipart/form-data")


def make_ready_draft(client, headers, filing_type: str, *, applicant="self", visit: str = DEFAULT_VISIT,
                     start: date | None = None, end: date | None = None, proof: str = "upload",
                     address: str = "上海市浦东新区世纪大道100号") -> dict:
    """A complete draft of `filing_type`, ready to submit; returns the draft view (GET /filings/<id>).

    proof: "upload" (the type's first proof document), "commitment" (a signed letter; long-term
    types only), or "none" (nothing: for emergency/other_temporary, or to test a missing proof)."""
    resp = client.post("/api/v1/filings", json={"applicant": applicant, "visit_region_code": visit,
                                                 "filing_type": filing_type}, headers=headers)
    assert resp.status_code == 201, resp.json
    draft = resp.json
    details = {"start_date": (start or today_cn()).isoformat(), "contact_name": "张三",
               "contact_phone": "13800138000"}
    if filing_type in LONG_TERM:
        details["address"] = address
    if end is not None:
        details["end_date"] = end.isoformat()
    resp = client.patch(f"/api/v1/filings/{draft['id']}", json=details, headers=headers)
    assert resp.status_code == 200, resp.json
    accept_notice(client, headers, resp.json)
    if proof == "upload" and filing_type in PROOF_CODE:
        resp = upload(client, headers, draft["id"], PROOF_CODE[filing_type])
        assert resp.status_code == 201, resp.json
    elif proof == "commitment":
        resp = sign(client, headers, draft["id"])
        assert resp.status_code == 201, resp.json
    resp = client.get(f"/api/v1/filings/{draft['id']}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def submit(client, headers, filing_id: int, key: str | None = None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/filings/{filing_id}/submit", headers={**headers, **extra})


def days_ago(n: int) -> date:
    return today_cn() - timedelta(days=n)
