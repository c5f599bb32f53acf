"""The keys that protect personal data at rest, as the application uses them.

DATA_KEY encrypts; DATA_KEYS_OLD (comma-separated, newest first) still decrypts while
`flask keys rotate` re-encrypts every stored value under DATA_KEY; then the old keys are removed.

Look-up hashes (exact search by ID number) cannot be re-computed without decrypting every row at
once, and rows written during a rotation would disagree with rows not yet rotated. So they are
keyed by a separate random-looking key kept in the database, itself encrypted under DATA_KEY
like any other value: a rotation re-encrypts it and every hash stays valid. It starts as the key
derived from the first DATA_KEY, so hashes written before this table existed still match.
"""
from __future__ import annotations

import base64

from flask import current_app
from sqlalchemy import String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from server.common import crypto
from server.common.models import TimestampMixin
from server.extensions import db

LOOKUP_KEY_NAME = "lookup-v1"


class DataKey(TimestampMixin, db.Model):
    """Wrapped (encrypted) keys the application derives nothing else from."""

    __tablename__ = "data_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value_enc: Mapped[str] = mapped_column(Text)


def secrets(cfg=None) -> list[str]:
    """DATA_KEY first, then the old keys still accepted for decryption."""
    cfg = cfg if cfg is not None else current_app.config
    old = cfg.get("DATA_KEYS_OLD") or ""
    if isinstance(old, str):
        old = [k.strip() for k in old.split(",")]
    return [cfg["DATA_KEY"], *(k for k in old if k and k != cfg["DATA_KEY"])]


def encrypt(plaintext: str) -> str:
    return crypto.encrypt(plaintext, current_app.config["DATA_KEY"])


def decrypt(token: str) -> str:
    return crypto.decrypt(token, secrets())


def _lookup_key() -> bytes:
    keys = secrets()
    cache = current_app.extensions.setdefault("data_lookup_key", {})
    # The key never changes once stored; cached per process under the secrets that unwrap it.
    cache_key = tuple(keys)
    if cache_key in cache:
        return cache[cache_key]
    row = db.session.get(DataKey, LOOKUP_KEY_NAME)
    if row is None:
        # First use: the key the hashes so far were made with (the oldest configured secret).
        # Stored through the request's own session (a savepoint): a second connection would wait
        # on SQLite's write lock held by this very request.
        raw = crypto.lookup_key(keys[-1])
        wrapped = crypto.encrypt(base64.b64encode(raw).decode("ascii"), keys[0])
        try:
            with db.session.begin_nested():
                db.session.add(DataKey(name=LOOKUP_KEY_NAME, value_enc=wrapped))
        except IntegrityError:
            pass  # another server stored it first; it stored the same value
    else:
        raw = base64.b64decode(crypto.decrypt(row.value_enc, keys))
    cache[cache_key] = raw
    return raw


def lookup_hash(value: str) -> str:
    """The keyed hash for exact look-up of an ID number (stable across DATA_KEY rotations)."""
    return crypto.lookup_hash_with(value, _lookup_key())
