"""Clean-ups the scheduler runs: what has served its purpose leaves the database.

Drafts never submitted and left alone for DRAFT_RETENTION_DAYS are removed with what hangs on them;
filings that were submitted are never removed here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from server.common.timeutil import now_utc
from server.extensions import db


def draft_removal_date(last_touched: datetime | None, retention_days: int) -> date | None:
    """When an untouched draft will be removed (the drafts list tells the user)."""
    from server.common.timeutil import to_cn

    touched = to_cn(last_touched)
    return (touched + timedelta(days=retention_days)).date() if touched else None


@dataclass
class Swept:
    tokens: int = 0
    kv_entries: int = 0
    drafts: int = 0
    chat_sessions: int = 0


def sweep(now: datetime | None = None) -> Swept:
    from server.accounts.models import AuthToken, KVEntry
    from server.chat.models import ChatMessage, ChatSession
    from server.filing.models import Filing, FilingDocument, FilingEvent
    from server.notifications.models import Notification

    now = now or now_utc()
    cfg = current_app.config
    out = Swept()
    # A day's grace keeps a token that just expired explainable in logs and support calls.
    out.tokens = db.session.execute(delete(AuthToken).where(
        or_(AuthToken.expires_at < now - timedelta(days=1), AuthToken.revoked_at < now - timedelta(days=1)))).rowcount
    out.kv_entries = db.session.execute(delete(KVEntry).where(KVEntry.expires_at < now)).rowcount

    stale = now - timedelta(days=int(cfg.get("DRAFT_RETENTION_DAYS", 90)))
    last_touched = Filing.updated_at
    drafts = select(Filing.id).where(Filing.status == "draft", or_(
        last_touched < stale, (last_touched.is_(None)) & (Filing.created_at < stale)))
    ids = list(db.session.scalars(drafts))
    if ids:
        db.session.execute(update(ChatSession).where(ChatSession.filing_id.in_(ids)).values(filing_id=None))
        for model in (FilingDocument, FilingEvent, Notification):
            db.session.execute(delete(model).where(model.filing_id.in_(ids)))
        out.drafts = db.session.execute(delete(Filing).where(Filing.id.in_(ids))).rowcount

    old_chat = now - timedelta(days=int(cfg.get("CHAT_RETENTION_DAYS", 30)))
    sessions = select(ChatSession.id).where(ChatSession.updated_at < old_chat)
    db.session.execute(delete(ChatMessage).where(ChatMessage.session_id.in_(sessions)))
    out.chat_sessions = db.session.execute(delete(ChatSession).where(ChatSession.updated_at < old_chat)).rowcount
    db.session.flush()
    return out
