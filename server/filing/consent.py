"""The privacy notice (个人信息保护告知): versioned; a user accepts the current version once
before their first filing, and again whenever the version changes."""
from __future__ import annotations

from server.accounts.models import User
from server.common.timeutil import now_utc
from server.errors import ApiError
from server.extensions import db

PRIVACY_VERSION = "2026-11-1"
PRIVACY_TITLE = "个人信息保护告知书"
PRIVACY_TEXT = "\n".join([
    "为办理跨省异地就医备案，我们需要收集和使用您（以及您代为办理的家人）的以下信息：",
    "姓名、证件号码、手机号码、参保地、就医地，以及您上传的证明材料和签署的个人承诺书。",
    "这些信息只用于办理和审核备案、查询备案记录和在医院结算，不会用于其他用途。",
    "证件号码加密保存，页面上只显示部分号码；只有负责审核的医保经办人员可以查看您的材料。",
    "为家人办理备案前，请先征得家人本人同意。",
    "您可以随时查看、更正备案信息，也可以删除添加的家人。",
])


def privacy_notice() -> dict:
    return {"version": PRIVACY_VERSION, "title": PRIVACY_TITLE, "text": PRIVACY_TEXT}


def has_current_consent(user: User) -> bool:
    return user.privacy_version == PRIVACY_VERSION and user.privacy_accepted_at is not None


def consent_status(user: User) -> dict:
    return {**privacy_notice(), "accepted": has_current_consent(user),
            "accepted_version": user.privacy_version, "accepted_at": user.privacy_accepted_at}


def accept_privacy(user: User, version: str) -> User:
    if version != PRIVACY_VERSION:
        raise ApiError(409, "consent.version_outdated", "告知书已更新，请阅读最新版本后再确认",
                       field="version")
    user.privacy_version = version
    user.privacy_accepted_at = now_utc()
    db.session.flush()
    return user
