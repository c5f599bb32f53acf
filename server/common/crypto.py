"""Identity numbers at rest: reversible encryption for display and review, a keyed hash for look-up.

Both keys are derived from one configured secret string with HKDF, under different labels, so the
encryption key and the look-up key are independent even though operators manage one secret.
Encryption is Fernet (AES-128-CBC + HMAC-SHA256, authenticated). Key rotation: pass a list of
secrets to `decrypt` (newest first); `rotate` re-encrypts a token under the newest. Look-up hashes
are keyed by 32 bytes the caller passes in (`lookup_hash_with`): the application keeps that key
stored encrypted, so hashes survive a rotation of the secret (server.common.datakeys).

Pure: the secret is always passed in, never read from configuration here.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_ENCRYPTION_LABEL = b"filing-service/id-number/encrypt/v1"
_LOOKUP_LABEL = b"filing-service/id-number/lookup/v1"


class DecryptionError(ValueError):
    """The token was not made with any of the given secrets, or was altered."""


Secret = str | bytes


def _secret_bytes(secret: Secret) -> bytes:
    data = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not data:
        raise ValueError("an empty secret cannot protect anything")
    return data


@lru_cache(maxsize=64)
def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


def derive_key(secret: Secret, label: bytes) -> bytes:
    """32 key bytes for one purpose (label) from the configured secret string."""
    return _derive(_secret_bytes(secret), label)


def _fernet(secret: Secret) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret, _ENCRYPTION_LABEL)))


def encrypt(plaintext: str, key: Secret) -> str:
    """Encrypt text with a key derived from `key` (the configured secret); returns an ASCII token."""
    return _fernet(key).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str | bytes, key: Secret | Sequence[Secret]) -> str:
    """Decrypt a token from `encrypt`. `key` may be a list of secrets, newest first (rotation)."""
    secrets = [key] if isinstance(key, (str, bytes)) else list(key)
    if not secrets:
        raise ValueError("no secret given")
    raw = token.encode("ascii") if isinstance(token, str) else token
    return _decrypt(raw, tuple(secrets))


# Every authenticated request loads its holder, whose phone is stored encrypted: a Fernet decryption
# (about 0.1 ms) each time. A token is random per encryption and never changes once written, so the
# plaintext of a token recently opened with the same secrets is kept (a bounded number, in this
# process's memory only, like the values a request holds while it runs).
@lru_cache(maxsize=4096)
def _decrypt(raw: bytes, secrets: tuple) -> str:
    try:
        return MultiFernet([_fernet(s) for s in secrets]).decrypt(raw).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("token cannot be decrypted with the given secret") from exc


def lookup_hash(value: str, key: Secret) -> str:
    """Keyed HMAC-SHA256 (hex, 64 characters) for exact look-up of a full number.

    Case and surrounding spaces are folded so `...002x` and `...002X` find the same row; pass
    numbers already normalized by `validate_id_number` for anything else.
    """
    return lookup_hash_with(value, lookup_key(key))


def lookup_key(secret: Secret) -> bytes:
    """The look-up key derived from a secret (what `lookup_hash` uses)."""
    return derive_key(secret, _LOOKUP_LABEL)


def lookup_hash_with(value: str, key: bytes) -> str:
    """`lookup_hash` with the 32 key bytes given directly."""
    normalized = value.strip().upper().encode("utf-8")
    return hmac.new(key, normalized, hashlib.sha256).hexdigest()


def is_current(token: str, key: Secret) -> bool:
    """Whether the token was made with `key` (the newest secret): nothing to rotate."""
    try:
        _fernet(key).decrypt(token.encode("ascii"))
        return True
    except (InvalidToken, UnicodeError, ValueError):
        return False


def rotate(token: str, secrets: Sequence[Secret]) -> str:
    """The same plaintext encrypted under secrets[0]; raises DecryptionError if no secret opens it."""
    return encrypt(decrypt(token, secrets), secrets[0])
