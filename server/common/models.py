from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Text, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column

from server.common.timeutil import now_utc


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class EncryptedText(TypeDecorator):
    """Personal text (phone numbers) encrypted at rest with DATA_KEY through `crypto`, decrypted
    on load, so code reads and writes plain values and the database only ever holds tokens.

    Each write uses a fresh IV: an SQL comparison with such a column can never match. A value
    that must be found by equality needs a keyed-hash column next to it (as ID numbers have)."""

    impl = Text
    cache_ok = True
    encrypted_at_rest = True  # key rotation finds every column of this type

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        from flask import current_app

        from server.common import crypto

        return crypto.encrypt(value, current_app.config["DATA_KEY"])

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        from server.common import crypto

        return crypto.decrypt(value, data_secrets())


def data_secrets() -> list[str]:
    """DATA_KEY, then the older keys still accepted while a rotation runs (DATA_KEYS_OLD,
    comma-separated, newest first)."""
    from flask import current_app

    cfg = current_app.config
    old = cfg.get("DATA_KEYS_OLD") or ""
    if isinstance(old, str):
        old = [k.strip() for k in old.split(",")]
    return [cfg["DATA_KEY"], *(k for k in old if k and k != cfg["DATA_KEY"])]
