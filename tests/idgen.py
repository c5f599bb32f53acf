"""Valid identity numbers for tests, computed here (GB 11643, ISO 7064 MOD 11-2) rather than copied.

    from tests.idgen import resident_id, hmt_id, foreign_permanent_id
    resident_id()                                  # '11010519491231002X'
    resident_id("510104", date(1990, 5, 6), seq=12) # female (even sequence)
"""
from __future__ import annotations

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(first17: str) -> str:
    assert len(first17) == 17 and first17.isdigit(), first17
    remainder = sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11
    return "10X98765432"[remainder]


def _number(prefix6: str, birth: date, seq: int) -> str:
    assert len(prefix6) == 6 and prefix6.isdigit(), prefix6
    assert 0 <= seq <= 999
    first17 = f"{prefix6}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


def resident_id(region: str = "110105", birth: date = date(1949, 12, 31), seq: int = 2) -> str:
    """居民身份证. Odd `seq` → male, even → female. `region` must be a real county code of that time."""
    return _number(region, birth, seq)


def hmt_id(place: str = "81", birth: date = date(1985, 3, 15), seq: int = 1) -> str:
    """港澳台居民居住证: place '81' 香港, '82' 澳门, '83' 台湾."""
    assert place in ("81", "82", "83")
    return _number(place + "0000", birth, seq)


def foreign_permanent_id(province: str = "11", country: str = "840", birth: date = date(1980, 7, 1),
                         seq: int = 1) -> str:
    """外国人永久居留身份证 (18-digit form): '9' + issuing province + 3-digit nationality code."""
    assert len(province) == 2 and len(country) == 3
    return _number("9" + province + country, birth, seq)


def with_wrong_check_digit(number: str) -> str:
    right = number[-1]
    wrong = "0" if right != "0" else "1"
    return number[:-1] + wrong
