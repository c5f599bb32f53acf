"""Staff accounts (reviewers and counter staff): creation, password login with lock-out, deactivation.

Passwords are hashed with Argon2id (argon2-cffi). Every failed login gets the same answer; failures
slow down the (username, source) pair that made them (see `lockout`), never the account as a whole.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update

from server.accounts import lockout
from server.accounts.models import AuthToken, StaffAccount
from server.common.timeutil import now_utc
from server.errors import ApiError, Problem, validation_failed
from server.extensions import db
from server.filing.rules import canonical_region_code

ROLES = ("reviewer", "counter", "operator")
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("no-such-account-placeholder")


class StaffInputError(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field

    def to_problem(self) -> Problem:
        return Problem(self.field, self.code, self.message)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise StaffInputError("staff.password_too_short",
                              f"密码至少{MIN_PASSWORD_LENGTH}位", "password")


def create_staff(username: str, password: str, role: str, *, region_codes=(),
                 institution_id: int | None = None, display_name: str | None = None) -> StaffAccount:
    username = (username or "").strip().lower()
    if not username or len(username) > 64:
        raise StaffInputError("staff.username_invalid", "请填写用户名（不超过64个字符）", "username")
    if role not in ROLES:
        raise StaffInputError("staff.role_invalid", "角色只能是 reviewer、counter 或 operator", "role")
    check_password_strength(password)
    codes: list[str] = []
    if role == "reviewer":
        from server.regions.catalogue import get_catalogue

        catalogue = get_catalogue()
        for raw in region_codes or ():
            # A district or county code (as hospital systems send them) means its pooling region.
            region = catalogue.get(str(raw)) or catalogue.pooling_region_for(str(raw))
            if region is None:
                raise StaffInputError("staff.region_unknown", f"没有找到地区 {raw}", "region_codes")
            codes.append(canonical_region_code(region.code))
        if not codes:
            raise StaffInputError("staff.region_required", "审核人员需要至少一个参保地", "region_codes")
    elif role == "counter" and institution_id is None:
        raise StaffInputError("staff.institution_required", "窗口人员需要指定所属医疗机构", "institution_id")
    if db.session.scalar(select(StaffAccount.id).where(StaffAccount.username == username)):
        raise StaffInputError("staff.username_taken", "用户名已存在", "username")
    staff = StaffAccount(username=username, display_name=display_name, password_hash=hash_password(password),
                         role=role, region_codes=sorted(set(codes)),
                         institution_id=institution_id if role == "counter" else None,
                         active=True)
    db.session.add(staff)
    db.session.flush()
    return staff


def _login_failed() -> ApiError:
    # One answer for every failure (unknown name, wrong password, blocked, deactivated): anything
    # else tells a stranger which names exist or that a guessed password was right.
    return ApiError(401, "staff.bad_credentials", "用户名或密码不正确。多次输错后需要等几分钟再试")


def _burn_time(password: str) -> None:
    """Verify against a dummy hash so every refusal costs as long as a real check."""
    try:
        _hasher.verify(_DUMMY_HASH, password or "")
    except VerificationError:
        pass


def authenticate(username: str, password: str, source: str | None = None) -> StaffAccount:
    """The account for these credentials, or ApiError 401 whatever went wrong.

    Failures are counted per (username, source) by `lockout`, in their own transaction."""
    username = (username or "").strip().lower()
    now = now_utc()
    if lockout.blocked_until(username, source, now):
        _burn_time(password)
        raise _login_failed()
    staff = db.session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    verified = False
    if staff is None:
        _burn_time(password)
    else:
        try:
            verified = _hasher.verify(staff.password_hash, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            verified = False
    if not verified or not staff.active:
        lockout.record_failure(username, source, now)
        raise _login_failed()
    lockout.clear(username, source)
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    db.session.flush()
    return staff


def login(username: str, password: str, source: str | None = None) -> dict:
    from server.accounts.tokens import issue_token

    staff = authenticate(username, password, source)
    token, record = issue_token(staff=staff)
    return {"token": token, "expires_at": record.expires_at, "staff": staff}


def deactivate(staff: StaffAccount) -> StaffAccount:
    """The account stops working at once: its tokens are revoked as well."""
    now = now_utc()
    staff.active = False
    db.session.execute(update(AuthToken).where(AuthToken.staff_id == staff.id,
                                               AuthToken.revoked_at.is_(None))
                       .values(revoked_at=now))
    db.session.flush()
    return staff


def set_password(staff: StaffAccount, password: str) -> None:
    check_password_strength(password)
    staff.password_hash = hash_password(password)
    db.session.flush()


def unlock(staff: StaffAccount) -> int:
    """Forget the account's failed logins from every address (an operator's or `flask staff unlock`)."""
    return lockout.unlock(staff.username)


def lockout_state(staff: StaffAccount):
    """(blocked until, failures counted) over every address, for an operator's view."""
    return lockout.state(staff.username)


def get_by_username(username: str) -> StaffAccount | None:
    return db.session.scalar(select(StaffAccount).where(
        StaffAccount.username == (username or "").strip().lower()))


def to_problems(exc: StaffInputError) -> ApiError:
    return validation_failed([exc.to_problem()])
