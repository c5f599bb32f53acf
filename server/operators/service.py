"""Operator actions, each a thin use of the owning module's own function (staff accounts in
accounts.staff, the directory in institutions.importer, the outbox in notifications.delivery)."""
from __future__ import annotations

from sqlalchemy import select

from server.accounts import staff as staff_service
from server.accounts.models import StaffAccount
from server.errors import ApiError, Problem, not_found, validation_failed
from server.extensions import db

MAX_REPORTED = 200


def staff_view(s: StaffAccount) -> dict:
    from server.common.timeutil import iso_cn, now_utc

    locked, failures = staff_service.lockout_state(s)  # per (username, address) back-off, summed
    return {"id": s.id, "username": s.username, "display_name": s.display_name, "role": s.role,
            "region_codes": list(s.region_codes or []), "institution_id": s.institution_id,
            "active": s.active, "locked": bool(locked and locked > now_utc()),
            "locked_until": iso_cn(locked) if locked else None, "failed_logins": failures}


def list_staff() -> list[StaffAccount]:
    return list(db.session.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def get_staff(staff_id: int) -> StaffAccount:
    s = db.session.get(StaffAccount, staff_id)
    if s is None:
        raise not_found("staff", "没有找到这个账号")
    return s


def create(body: dict) -> StaffAccount:
    institution_id = None
    if body.get("institution_code"):
        from server.institutions.models import Institution

        institution_id = db.session.scalar(select(Institution.id).where(Institution.code == body["institution_code"]))
        if institution_id is None:
            raise validation_failed([Problem("institution_code", "staff.institution_unknown", "没有找到这个医疗机构编码")])
    try:
        return staff_service.create_staff(body["username"], body["password"], body["role"],
                                          region_codes=body.get("region_codes") or (),
                                          institution_id=institution_id, display_name=body.get("display_name"))
    except staff_service.StaffInputError as exc:
        raise staff_service.to_problems(exc) from None


def deactivate(actor: StaffAccount, staff_id: int) -> StaffAccount:
    target = get_staff(staff_id)
    if target.id == actor.id:
        raise ApiError(409, "staff.self_deactivate", "不能停用自己的账号")
    return staff_service.deactivate(target)


def unlock(staff_id: int) -> StaffAccount:
    target = get_staff(staff_id)
    staff_service.unlock(target)
    return target


def reset_password(staff_id: int, password: str) -> StaffAccount:
    target = get_staff(staff_id)
    try:
        staff_service.set_password(target, password)
    except staff_service.StaffInputError as exc:
        raise staff_service.to_problems(exc) from None
    return target


def import_institutions(data: bytes, filename: str) -> dict:
    """Every row checked first; nothing loaded when any row is bad. The report names each line."""
    from server.institutions.directory import read_rows, validate_rows
    from server.institutions.importer import resolve_region, upsert_rows

    fmt = "json" if filename.lower().endswith(".json") else "csv"
    try:
        rows = list(read_rows(data, fmt))
    except (ValueError, UnicodeDecodeError) as exc:
        raise validation_failed([Problem("file", "import.unreadable", f"文件无法读取：{exc}")]) from None
    clean, errors = validate_rows(rows, resolve_region)
    if errors:
        return {"imported": False, "rows": len(rows), "inserted": 0, "updated": 0, "error_count": len(errors),
                "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in errors[:MAX_REPORTED]]}
    result = upsert_rows(clean)
    return {"imported": True, "rows": len(rows), "inserted": result["inserted"], "updated": result["updated"],
            "error_count": 0, "errors": []}


def dead_letters() -> list[dict]:
    from server.common.timeutil import iso_cn
    from server.notifications.delivery import dead_letters as rows

    return [{"id": n.id, "kind": n.kind, "title": n.title, "filing_id": n.filing_id, "attempts": n.attempts,
             "last_error": n.last_error, "created_at": iso_cn(n.created_at)} for n in rows()]


def retry_dead_letters(ids: list[int]) -> int:
    from server.notifications.delivery import retry_dead

    return retry_dead(ids)
