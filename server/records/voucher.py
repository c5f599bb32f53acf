"""备案凭证: a short signed token naming an approved filing, shown as a QR code for counter staff.

The token only names the filing; whether the filing is in force is checked when it is read, so
cancelling or changing a filing needs no token revocation.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, Signer

from server.config import signing_secrets
from server.errors import ApiError
from server.extensions import db
from server.filing.models import Filing

_SALT = "filing-voucher.v1"


def _signer() -> Signer:
    # SHA-1 HMAC keeps the token short enough for a small QR code; HMAC-SHA1 is not weakened by
    # SHA-1 collisions, and the salt keeps these signatures apart from every other use of the key.
    # The last key signs, every key verifies: vouchers shown before a SECRET_KEY rotation still read.
    return Signer(list(reversed(signing_secrets(current_app.config))), salt=_SALT,
                  digest_method=hashlib.sha1)


def make_voucher(filing: Filing) -> str:
    if filing.id is None:
        raise ValueError("filing has no id yet")
    return _signer().sign(str(filing.id)).decode("ascii")


def read_voucher(token: str) -> int:
    """The filing id inside a voucher token; ApiError 422 for a forged or malformed token, 404 when
    the filing no longer exists."""
    if not isinstance(token, str) or not 3 <= len(token) <= 64:
        raise ApiError(422, "voucher.invalid", "备案凭证无效，请让对方重新出示", field="voucher")
    try:
        raw = _signer().unsign(token.strip()).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        raise ApiError(422, "voucher.invalid", "备案凭证无效，请让对方重新出示", field="voucher") from None
    if not raw.isdigit():
        raise ApiError(422, "voucher.invalid", "备案凭证无效，请让对方重新出示", field="voucher")
    filing_id = int(raw)
    if db.session.get(Filing, filing_id) is None:
        raise ApiError(404, "voucher.not_found", "没有找到这条备案")
    return filing_id
