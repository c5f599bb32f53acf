"""Building submitted filings and staff sessions for the review and records tests."""
from __future__ import annotations

import io
from datetime import date

from flask import current_app
from PIL import Image
from sqlalchemy import select

from server.accounts import staff as staff_service
from server.accounts.models import FamilyMember, User
from server.common import crypto
from server.common.idnumbers import mask_id
from server.common.timeutil import now_utc, today_cn
from server.extensions import db
from server.filing import rules
from server.filing.events import Actor, record_event
from server.filing.models import Filing
from server.review.adapter import get_review_adapter
from tests.idgen import resident_id

PASSWORD = "correct-horse-battery"

DEFAULT_PROOF = {"retiree_relocated": "uploaded", "long_term_resident": "uploaded",
                 "resident_worker": "uploaded", "referral": "uploaded", "emergency": "none",
                 "other_temporary": "none"}


def user_by_openid(openid: str) -> User:
    return db.session.scalar(select(User).where(User.openid == openid))


def add_family_member(owner: User, name: str = "李秀英", seq: int = 7) -> FamilyMember:
    number = resident_id("330702", date(1950, 5, 5), seq)
    key = current_app.config["DATA_KEY"]
    member = FamilyMember(owner_id=owner.id, name=name, relation="parent",
                          id_number_enc=crypto.encrypt(number, key),
                          id_number_hash=crypto.lookup_hash(number, key),
                          id_number_masked=mask_id(number), consent_confirmed_at=now_utc())
    db.session.add(member)
    db.session.flush()
    return member


def make_filing(owner: User, filing_type: str, *, insured: str = "330700", visit: str = "510100",
                start: date | None = None, end: date | None = None, proof_mode: str | None = None,
                member: FamilyMember | None = None, seq: int = 3, submit: bool = True) -> Filing:
    """A complete filing as the filing flow leaves it, then submitted through the review adapter."""
    start = start or today_cn()
    ftype = rules.get_filing_type(filing_type)
    if end is None and not ftype.is_long_term:
        end = rules.add_months(start, 6)
    key = current_app.config["DATA_KEY"]
    if member is not None:
        id_enc, id_hash, masked, name = (member.id_number_enc, member.id_number_hash,
                                         member.id_number_masked, member.name)
    else:
        number = resident_id("330702", date(1960, 1, 1), seq)
        id_enc, id_hash = crypto.encrypt(number, key), crypto.lookup_hash(number, key)
        masked, name = mask_id(number), "张三"
    filing = Filing(owner_id=owner.id, family_member_id=member.id if member else None,
                    person_name=name, person_id_enc=id_enc, person_id_hash=id_hash,
                    person_id_masked=masked, insured_region_code=insured, visit_region_code=visit,
                    scheme="employee", filing_type=filing_type, start_date=start, end_date=end,
                    contact_name=name, contact_phone="13800138000",
                    address="成都市武侯区人民南路1号" if ftype.is_long_term else None,
                    notice_version="test", notice_accepted_at=now_utc(),
                    proof_mode=proof_mode or DEFAULT_PROOF[filing_type], status="draft")
    db.session.add(filing)
    db.session.flush()
    filing.number = f"YDTEST{filing.id:06d}"
    record_event(filing, Actor("user", owner.id), "created")
    if submit:
        get_review_adapter().on_submitted(filing, Actor("user", owner.id))
    db.session.flush()
    return filing


def make_reviewer(username: str = "rev-jinhua", regions=("330700",)):
    return staff_service.create_staff(username, PASSWORD, "reviewer", region_codes=regions)


def staff_login(client, username: str, password: str = PASSWORD) -> dict:
    resp = client.post("/api/v1/staff/auth/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def png_bytes(size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, "PNG")
    return buf.getvalue()
