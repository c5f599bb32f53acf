"""Family members (亲情账户): people a user may file for. Their filings belong to the user too."""
from __future__ import annotations

from flask import current_app

from server.accounts.models import FamilyMember, User
from server.common import crypto, datakeys
from server.common.idnumbers import (IdNumberError, mask_id, mask_phone, take_optional_mobile,
                                     validate_id_number)
from server.common.timeutil import now_utc
from server.errors import ApiError, Problem, not_found, validation_failed
from server.extensions import db
from server.filing import rules

MAX_MEMBERS = 20


def _key() -> str:
    return current_app.config["DATA_KEY"]


def list_members(user: User) -> list[FamilyMember]:
    return list(db.session.execute(
        db.select(FamilyMember).filter_by(owner_id=user.id, removed_at=None).order_by(FamilyMember.id)
    ).scalars())


def get_member(user: User, member_id: int, *, include_removed: bool = False) -> FamilyMember:
    """The user's family member; 404 for anyone else's (existence is not disclosed)."""
    member = db.session.get(FamilyMember, member_id)
    if member is None or member.owner_id != user.id or (member.removed_at and not include_removed):
        raise not_found("family_member", "没有找到这位家人")
    return member


def _check(data: dict, problems: list[Problem]) -> dict:
    out = {}
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            problems.append(Problem("name", "family.name_required", "请填写家人姓名"))
        out["name"] = name
    if "relation" in data:
        if data["relation"] not in rules.RELATIONS:
            problems.append(Problem("relation", "family.relation_invalid", "请选择与您的关系"))
        out["relation"] = data["relation"]
    if "id_number" in data:
        try:
            out["id_info"] = validate_id_number(data["id_number"] or "")
        except IdNumberError as exc:
            problems.append(exc.to_problem("id_number"))
    take_optional_mobile(data, "phone", out, problems)
    return out


def _duplicate_check(user: User, id_hash: str, exclude_id: int | None = None) -> None:
    if user.id_number_hash and user.id_number_hash == id_hash:
        raise ApiError(409, "family.is_self", "这是您本人的证件号码，请选择“自己备案”", field="id_number")
    for other in list_members(user):
        if other.id_number_hash == id_hash and other.id != exclude_id:
            raise ApiError(409, "family.duplicate", f"{other.name}已经在您的家人列表里了",
                           field="id_number")


def add_member(user: User, data: dict) -> FamilyMember:
    """data: name, relation, id_number, phone (optional), consent_confirmed (must be True)."""
    problems: list[Problem] = []
    for required in ("name", "relation", "id_number"):
        data.setdefault(required, None)
    clean = _check(data, problems)
    if data.get("consent_confirmed") is not True:
        problems.append(Problem("consent_confirmed", "family.consent_required",
                                "请确认已征得家人本人同意"))
    if problems:
        raise validation_failed(problems)
    if len(list_members(user)) >= MAX_MEMBERS:
        raise ApiError(409, "family.too_many", f"最多可以添加{MAX_MEMBERS}位家人")
    info = clean["id_info"]
    id_hash = datakeys.lookup_hash(info.number)
    _duplicate_check(user, id_hash)
    member = FamilyMember(owner_id=user.id, name=clean["name"], relation=clean["relation"],
                          id_number_enc=crypto.encrypt(info.number, _key()), id_number_hash=id_hash,
                          id_number_masked=mask_id(info.number), phone=clean.get("phone"),
                          consent_confirmed_at=now_utc())
    db.session.add(member)
    db.session.flush()
    return member


def update_member(user: User, member: FamilyMember, data: dict) -> FamilyMember:
    problems: list[Problem] = []
    clean = _check(data, problems)
    if problems:
        raise validation_failed(problems)
    if "id_info" in clean:
        info = clean["id_info"]
        id_hash = datakeys.lookup_hash(info.number)
        _duplicate_check(user, id_hash, exclude_id=member.id)
        member.id_number_enc = crypto.encrypt(info.number, _key())
        member.id_number_hash = id_hash
        member.id_number_masked = mask_id(info.number)
    for name in ("name", "relation", "phone"):
        if name in clean:
            setattr(member, name, clean[name])
    db.session.flush()
    return member


def remove_member(user: User, member: FamilyMember) -> None:
    """Soft removal: filings already made for the member stay in the user's records."""
    member.removed_at = now_utc()
    db.session.flush()


def member_view(member: FamilyMember) -> dict:
    return {"id": member.id, "name": member.name, "relation": member.relation,
            "relation_label": rules.RELATIONS.get(member.relation, member.relation),
            "id_number_masked": member.id_number_masked,
            "phone_masked": mask_phone(member.phone) if member.phone else None,
            "consent_confirmed_at": member.consent_confirmed_at, "created_at": member.created_at}
