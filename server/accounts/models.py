from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.common.models import EncryptedText, TimestampMixin, UTCDateTime
from server.extensions import db


class User(TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    # WeChat's session_key stays on the server, encrypted; it is never sent to the client.
    session_key_enc: Mapped[str | None] = mapped_column(Text)
    nickname: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(64))
    id_number_enc: Mapped[str | None] = mapped_column(Text)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(EncryptedText())  # plain in Python, encrypted at rest
    default_insured_region_code: Mapped[str | None] = mapped_column(String(6))
    default_scheme: Mapped[str | None] = mapped_column(String(16))
    privacy_version: Mapped[str | None] = mapped_column(String(16))
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FamilyMember(TimestampMixin, db.Model):
    __tablename__ = "family_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    relation: Mapped[str] = mapped_column(String(16))
    id_number_enc: Mapped[str] = mapped_column(Text)
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(EncryptedText())  # plain in Python, encrypted at rest
    # The filer confirms the person agreed to being filed for (recorded, with when).
    consent_confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StaffAccount(TimestampMixin, db.Model):
    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))  # reviewer | counter
    # reviewer: the insured-place codes they review; counter: unused
    region_codes: Mapped[list] = mapped_column(JSON, default=list)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StaffLoginFailure(db.Model):
    """Failed staff logins per (username as typed, source address): what the back-off counts.

    Keyed by the name typed, not the account, so an unknown name is slowed down exactly like a
    known one; keyed by source too, so a stranger's guesses do not keep the owner out."""

    __tablename__ = "staff_login_failures"
    __table_args__ = (UniqueConstraint("username", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))  # looked up through the unique (username, source)
    source: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthToken(TimestampMixin, db.Model):
    """A bearer token's server-side record: what makes revocation and deactivation work."""

    __tablename__ = "auth_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KVEntry(db.Model):
    """Short-lived shared state (rate-limit windows, login de-duplication, WeChat access token)
    when no Redis is configured: kept in the database so every app server sees it."""

    __tablename__ = "kv_entries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    counter: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
