"""Filing numbers (备案编号): random, checked, and easy to read out and type at a counter.

A number is `YD` + 10 random characters + 1 check character, from an alphabet of 31 characters
without look-alikes (no 0/O, 1/I/L). 31^10 is about 2^49: a number can be neither guessed nor
counted, unlike the first scheme (`YD` + date + row id), whose numbers keep working. Shown in
groups (`YD 7K3M Q9X2 H4P`); typed with or without spaces, hyphens or capitals.

The check character is a weighted sum modulo 31 (a prime), so every single mistyped character and
every swap of two neighbours is caught before the database is asked.
"""
from __future__ import annotations

import re
import secrets

from server.errors import ApiError

PREFIX = "YD"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RANDOM_LENGTH = 10
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_NEW_FORM = re.compile(rf"^{PREFIX}[{ALPHABET}]{{{RANDOM_LENGTH + 1}}}$")
_LOOKS_NEW = re.compile(rf"^(?:{PREFIX})?[0-9A-Z]{{{RANDOM_LENGTH + 1}}}$")
_SEPARATORS = re.compile(r"[\s\-_.·]+")
BAD_NUMBER = "备案编号有误，请核对后重新输入"


def check_character(body: str) -> str:
    total = sum((i + 1) * _VALUE[c] for i, c in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def new_number() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return PREFIX + body + check_character(body)


def is_valid(number: str) -> bool:
    if not _NEW_FORM.match(number):
        return False
    body = number[len(PREFIX):]
    return check_character(body[:-1]) == body[-1]


def display_number(number: str | None) -> str | None:
    """`YD 7K3M Q9X2 H4P` for a new-style number; older numbers as they are."""
    if not number or not _NEW_FORM.match(number):
        return number
    body = number[len(PREFIX):]
    return " ".join([PREFIX, body[:4], body[4:8], body[8:]])


def lookup_forms(text: str) -> list[str]:
    """The stored forms a typed number may have. A new-style number with a wrong character is
    refused (422) instead of being looked up."""
    raw = (text or "").strip()
    compact = _SEPARATORS.sub("", raw).upper()
    if _LOOKS_NEW.match(compact):
        number = compact if compact.startswith(PREFIX) and len(compact) == len(PREFIX) + RANDOM_LENGTH + 1 \
            else PREFIX + compact
        if not is_valid(number):
            raise ApiError(422, "filing_number.invalid", BAD_NUMBER, field="filing_number")
        return [number]
    return list(dict.fromkeys(f for f in (compact, raw.upper(), raw) if f))
