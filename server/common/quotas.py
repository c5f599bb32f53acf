"""Per-user quotas: how much one account may create, whatever it sends and however fast.

Counted from the rows themselves (no counters to drift, every app server sees the same), each
limit well above what a person filing for themselves and a few relatives needs. Over a daily
quota: 429 with Retry-After until the oldest counted row leaves the window; over a per-filing
count: 409 (the user can remove something first). The message names the limit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from server.common.timeutil import now_utc
from server.errors import ApiError
from server.extensions import db

DAY = timedelta(hours=24)
DRAFTS_PER_DAY = 20
CHAT_SESSIONS_PER_DAY = 30
DOCUMENTS_PER_FILING = 10          # kept at one time
UPLOADS_PER_FILING = 30            # ever, including removed ones (each upload is stored)


def _retry_after(oldest: datetime | None, now: datetime) -> str:
    if oldest is None:
        return str(int(DAY.total_seconds()))
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return str(max(1, int((oldest + DAY - now).total_seconds()) + 1))


def _daily(model, owner_column, owner_id: int, limit: int, code: str, field: str, message: str) -> None:
    now = now_utc()
    count, oldest = db.session.execute(
        select(func.count(), func.min(model.created_at))
        .where(owner_column == owner_id, model.created_at > now - DAY)).one()
    if count >= limit:
        raise ApiError(429, code, message, field=field,
                       headers={"Retry-After": _retry_after(oldest, now)})


def check_new_draft(user_id: int) -> None:
    from server.filing.models import Filing

    _daily(Filing, Filing.owner_id, user_id, DRAFTS_PER_DAY, "quota.drafts", "filing",
           f"24小时内最多新建{DRAFTS_PER_DAY}份备案，请继续填写已有的备案，或明天再试")


def check_new_chat_session(user_id: int) -> None:
    from server.chat.models import ChatSession

    _daily(ChatSession, ChatSession.user_id, user_id, CHAT_SESSIONS_PER_DAY, "quota.chat_sessions",
           "session", f"24小时内最多开始{CHAT_SESSIONS_PER_DAY}次对话，请继续已有的对话，或明天再试")


def check_new_document(filing_id: int) -> None:
    from server.filing.models import FilingDocument

    live, total = db.session.execute(
        select(func.count().filter(FilingDocument.removed_at.is_(None)), func.count())
        .where(FilingDocument.filing_id == filing_id, FilingDocument.kind == "proof")).one()
    if total >= UPLOADS_PER_FILING:
        raise ApiError(429, "quota.uploads",
                       f"这份备案已上传{UPLOADS_PER_FILING}次，不能再上传了；如需更换材料，请联系经办机构",
                       field="file")
    if live >= DOCUMENTS_PER_FILING:
        raise ApiError(409, "quota.documents",
                       f"每份备案最多保留{DOCUMENTS_PER_FILING}份材料，请先删除不需要的再上传", field="file")
