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
    """Personal text (phone numbers) encrypted at rest with DATA_KEY (`datakeys`, which also
    decrypts with DATA_KEYS_OLD during a rotation), decrypted on load, so code reads and writes
    plain values and the database only ever holds tokens.

    Each write uses a fresh IV: an SQL comparison with such a column can never match. A value
    that must be found by equality needs a keyed-hash column next to it (as ID numbers have)."""

    impl = Text
    cache_ok = True
    encrypted_at_rest = True  # `flask keys rotate` finds every column of this type

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        from server.common import datakeys

        return datakeys.encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        from server.common import datakeys

        return datakeys.decrypt(value)
