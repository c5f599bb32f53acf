from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.common.models import UTCDateTime
from server.extensions import db


class Subscription(db.Model):
    """What the user answered to wx.requestSubscribeMessage for one template.

    One-time templates allow one message per accept, so accepts are counted; a long-term template
    stays allowed until the user turns it off."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "template_id", name="uq_subscriptions_user_template"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    template_id: Mapped[str] = mapped_column(String(64))
    long_term: Mapped[bool] = mapped_column(Boolean, default=False)
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    last_answer: Mapped[str] = mapped_column(String(16))  # accept | reject | ban | filter
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Notification(db.Model):
    """One message to one user: the in-app list entry and, beside it, the outbox row of its WeChat
    delivery. `dedupe_key` makes each cause produce one message however often a job looks at it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_delivery", "delivery", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    page: Mapped[str | None] = mapped_column(String(200))
    # Values by meaning (filing_type, result, note, date ...), mapped to template keys on sending.
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # pending | sending | sent | in_app (no subscription or no template: the list is the message)
    # | dead (WeChat refused the content; an operator looks at it)
    delivery: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
