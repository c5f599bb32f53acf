"""Chat sessions and their messages, kept in the database so that a conversation goes on across
app servers and restarts."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.common.models import UTCDateTime
from server.common.timeutil import now_utc
from server.extensions import db


def _new_id() -> str:
    return uuid.uuid4().hex


class ChatSession(db.Model):
    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Slot values and dialog bookkeeping; holds no unmasked phone or ID number.
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))
    entry_institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class ChatMessage(db.Model):
    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_session", "session_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # user | assistant
    text: Mapped[str | None] = mapped_column(Text)  # masked before it is stored
    payload: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
