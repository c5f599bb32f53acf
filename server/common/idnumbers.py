"""Identity documents and mobile numbers: validation, masking, and masking inside free text.

Three 18-digit documents share the GB 11643 layout (6-digit address code, YYYYMMDD, 3-digit sequence
whose parity gives the gender, check digit 0-9/X):

- resident        居民身份证: the address code must be a real division (python-stdnum knows them,
                  with the years each code was in use);
- hmt_residence   港澳台居民居住证: address code 81xxxx (香港), 82xxxx (澳门), 83xxxx (台湾);
- foreign_permanent 外国人永久居留身份证 (18-digit form): '9', 2-digit province of the issuing office,
                  3-digit nationality code, birth date, sequence, check digit.

Pure: no Flask. Errors carry a machine code and a Chinese message for the HTTP layer.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

ID_KINDS = {
    "resident": "居民身份证",
    "hmt_residence": "港澳台居民居住证",
    "foreign_permanent": "外国人永久居留身份证",
}

# The 31 mainland province-level divisions: the foreign permanent residence card names the province
# whose office issued it.
MAINLAND_PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
})
HMT_PREFIXES = {"81": "香港", "82": "澳门", "83": "台湾"}

_EARLIEST_BIRTH_YEAR = 1900

MSG_ID_REQUIRED = "请输入证件号码"
MSG_ID_FORMAT = "证件号码应为18位，最后一位可以是数字或字母X，请核对后重新输入"
MSG_ID_OLD_15 = "请输入18位的身份证号码（15位的老身份证号码已停止使用）"
MSG_ID_CHECKSUM = "身份证号码校验不通过，请核对后重新输入"
MSG_ID_BIRTH_DATE = "证件号码中的出生日期不正确，请核对后重新输入"
MSG_ID_REGION = "身份证号码中的地区代码不正确，请核对后重新输入"
MSG_ID_FOREIGN_PROVINCE = "永久居留身份证号码中的省份代码不正确，请核对后重新输入"
MSG_PHONE_REQUIRED = "请输入手机号码"
MSG_PHONE_FORMAT = "请输入正确的11位手机号码"


class InputError(ValueError):
    """A value the person typed is wrong: code for machines, Chinese message for the person."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field

    def to_problem(self, field: str | None = None):
        from server.errors import Problem  # plain dataclass module, no Flask

        return Problem(field or self.field, self.code, self.message)


class IdNumberError(InputError):
    def __init__(self, code: str, message: str, field: str | None = "id_number"):
        super().__init__(code, message, field)


class PhoneNumberError(InputError):
    def __init__(self, code: str, message: str, field: str | None = "phone"):
        super().__init__(code, message, field)


@dataclass(frozen=True)
class IdInfo:
    number: str          # normalized: 18 characters, upper-case X
    kind: str            # key of ID_KINDS
    birth_date: date
    gender: str          # "male" | "female"

    @property
    def kind_label(self) -> str:
        return ID_KINDS[self.kind]

    @property
    def masked(self) -> str:
        return mask_id(self.number)


def _normalize(raw: str) -> str:
    # WeChat keyboards produce full-width digits and letters; NFKC folds them to ASCII.
    text = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"[\s\-]", "", text).upper()


def gb11643_check_digit(first17: str) -> str:
    """Check digit of GB 11643 (ISO 7064 MOD 11-2) for 17 digits."""
    return ric.calc_check_digit(first17 + "0")


def _birth_date(number: str, today: date) -> date:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("id_number.birth_date", MSG_ID_BIRTH_DATE) from None
    if born.year < _EARLIEST_BIRTH_YEAR or born > today:
        raise IdNumberError("id_number.birth_date", MSG_ID_BIRTH_DATE)
    return born


def _known_region_code(code: str) -> bool:
    """The code names a county-level division in python-stdnum's table, in any year."""
    from stdnum import numdb

    merged = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    return "county" in merged


def validate_id_number(raw: str, today: date | None = None) -> IdInfo:
    """Validate an 18-digit identity number of any accepted kind; raise IdNumberError.

    `today` bounds the birth date (a person cannot be born tomorrow); defaults to the Shanghai date.
    """
    number = _normalize(raw)
    if not number:
        raise IdNumberError("id_number.required", MSG_ID_REQUIRED)
    if len(number) == 15 and number.isdigit():
        raise IdNumberError("id_number.format", MSG_ID_OLD_15)
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("id_number.format", MSG_ID_FORMAT)
    if number[17] != gb11643_check_digit(number[:17]):
        raise IdNumberError("id_number.checksum", MSG_ID_CHECKSUM)
    if today is None:
        from server.common.timeutil import today_cn

        today = today_cn()
    born = _birth_date(number, today)

    if number[0] == "9":
        kind = "foreign_permanent"
        if number[1:3] not in MAINLAND_PROVINCE_CODES:
            raise IdNumberError("id_number.region", MSG_ID_FOREIGN_PROVINCE)
    elif number[:2] in HMT_PREFIXES:
        kind = "hmt_residence"
    else:
        kind = "resident"
        try:
            ric.validate(number)
        except (stdnum_errors.InvalidComponent, KeyError):  # KeyError: province known, county not
            # Checksum and date passed, so stdnum objects to the address code: unknown, or (its
            # stricter check) not in use in the birth year. The latter refuses real people whose
            # number was first assigned years after birth under a newer code, so accept any code
            # that ever existed.
            if not _known_region_code(number[:6]):
                raise IdNumberError("id_number.region", MSG_ID_REGION) from None
        except stdnum_errors.ValidationError:
            raise IdNumberError("id_number.format", MSG_ID_FORMAT) from None
    gender = "male" if int(number[16]) % 2 == 1 else "female"
    return IdInfo(number=number, kind=kind, birth_date=born, gender=gender)


def is_valid_id_number(raw: str, today: date | None = None) -> bool:
    try:
        validate_id_number(raw, today)
    except IdNumberError:
        return False
    return True


def mask_id(number: str) -> str:
    """`5101**********1234`: first 4 and last 4 kept, the rest starred (any length)."""
    number = (number or "").strip()
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def validate_mobile(raw: str) -> str:
    """A mainland mobile number as 11 ASCII digits; spaces, dashes, brackets and +86/0086 are
    tolerated, and digits of any script are read as the digits they are."""
    # NFKC turns full-width digits into ASCII; any other decimal digit (Arabic-Indic ٠-٩, ...) is
    # mapped too, so one number is stored one way. Superscripts and the like are not digits: refused.
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
    digits = re.sub(r"[\s\-()]", "", text)
    if not digits:
        raise PhoneNumberError("phone.required", MSG_PHONE_REQUIRED)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _MOBILE_RE.fullmatch(digits):
        raise PhoneNumberError("phone.format", MSG_PHONE_FORMAT)
    return digits


def take_optional_mobile(data: dict, field: str, out: dict, problems: list) -> None:
    """For partial updates: a phone given as a value is validated into out[field]; one given as
    empty clears it; one not given is left alone. A bad one adds its Problem."""
    if field not in data:
        return
    if not data[field]:
        out[field] = None
        return
    try:
        out[field] = validate_mobile(data[field])
    except PhoneNumberError as exc:
        problems.append(exc.to_problem(field))


def mask_phone(number: str) -> str:
    """`138****5678`."""
    number = (number or "").strip()
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


# --- masking inside free text -------------------------------------------------------------------
# A person may type a number in groups ("110105 1949 1231 002X", "138-1234-5678"). The text is cut
# into digit runs; a number is a chain of whole adjacent runs joined by at most two separator
# characters, so a number is never cut in the middle of a run, and a date or amount typed next to a
# phone number does not swallow it.
_RUN_RE = re.compile(r"\d+(?:[XxＸｘ](?![A-Za-zＡ-Ｚａ-ｚ]))?")
_SEPARATOR_RE = re.compile(r"[ \t\u00a0\u3000\-－–—]{1,2}")
_ID_PREFIXES = MAINLAND_PROVINCE_CODES | frozenset({"71", "81", "82", "83"})


def _digits_of(text: str) -> str:
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else "X" for ch in text)


def _plausible_date(yyyy: str, mm: str, dd: str) -> bool:
    try:
        date(int(yyyy), int(mm), int(dd))
    except ValueError:
        return False
    return 1880 <= int(yyyy) <= 2100


def _classify(digits: str) -> str | None:
    """'id', 'phone', 'phone86' or None for a candidate without separators."""
    if len(digits) == 18 and digits[:17].isdigit():
        if (digits[:2] in _ID_PREFIXES or digits[0] == "9") and _plausible_date(digits[6:10], digits[10:12], digits[12:14]):
            return "id"
    if len(digits) == 15 and digits.isdigit():  # first-generation ID: YYMMDD
        if digits[:2] in _ID_PREFIXES and _plausible_date("19" + digits[6:8], digits[8:10], digits[10:12]):
            return "id"
    if len(digits) == 11 and _MOBILE_RE.fullmatch(digits):
        return "phone"
    if len(digits) == 13 and digits.startswith("86") and _MOBILE_RE.fullmatch(digits[2:]):
        return "phone86"
    return None


def mask_sensitive_text(text: str) -> str:
    """Mask every identity number (18- or 15-digit) and mainland mobile number inside free text."""
    if not text:
        return text
    runs = list(_RUN_RE.finditer(text))
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(runs):
        best: tuple[int, str, str] | None = None  # (last run index, kind, digits)
        j = i
        total = ""
        while j < len(runs):
            if j > i:
                gap = text[runs[j - 1].end():runs[j].start()]
                if not _SEPARATOR_RE.fullmatch(gap) or total.endswith("X"):
                    break
            total += _digits_of(runs[j].group())
            if len(total) > 18:
                break
            kind = _classify(total)
            if kind:
                best = (j, kind, total)
            j += 1
        if best is None:
            i += 1
            continue
        last, kind, digits = best
        start, end = runs[i].start(), runs[last].end()
        if kind == "id":
            masked = mask_id(digits)
        elif kind == "phone":
            masked = mask_phone(digits)
        elif runs[i].end() - runs[i].start() == 2:  # "+86 138…": keep the country code as typed
            start = runs[i + 1].start()
            masked = mask_phone(digits[2:])
        else:
            masked = "86" + mask_phone(digits[2:])
        out.append(text[pos:start])
        out.append(masked)
        pos = end
        i = last + 1
    out.append(text[pos:])
    return "".join(out)
