from datetime import date

import pytest

from server.common.idnumbers import (
    IdNumberError, PhoneNumberError, is_valid_id_number, mask_id, mask_phone, mask_sensitive_text,
    validate_id_number, validate_mobile,
)
from tests.idgen import check_digit, foreign_permanent_id, hmt_id, resident_id, with_wrong_check_digit

TODAY = date(2026, 11, 24)


def test_idgen_matches_the_published_example():
    assert resident_id() == "11010519491231002X"
    assert check_digit("11010519491231002") == "X"


def test_resident_id_normalized_with_birth_and_gender():
    info = validate_id_number(" 110105 1949 1231 002x ", TODAY)
    assert info.number == "11010519491231002X"
    assert info.kind == "resident"
    assert info.kind_label == "居民身份证"
    assert info.birth_date == date(1949, 12, 31)
    assert info.gender == "female"
    assert info.masked == "1101**********002X"


def test_full_width_input_is_accepted():
    assert validate_id_number("１１０１０５１９４９１２３１００２Ｘ", TODAY).number == "11010519491231002X"


def test_male_resident():
    number = resident_id("510104", date(1990, 5, 6), seq=13)
    info = validate_id_number(number, TODAY)
    assert (info.kind, info.gender, info.birth_date) == ("resident", "male", date(1990, 5, 6))


@pytest.mark.parametrize("place", ["81", "82", "83"])
def test_hmt_residence_permit(place):
    info = validate_id_number(hmt_id(place), TODAY)
    assert info.kind == "hmt_residence"
    assert info.kind_label == "港澳台居民居住证"


def test_foreign_permanent_residence_card():
    info = validate_id_number(foreign_permanent_id("31", "276", date(1975, 2, 28), seq=2), TODAY)
    assert info.kind == "foreign_permanent"
    assert info.gender == "female"
    assert info.birth_date == date(1975, 2, 28)


def test_foreign_card_with_unknown_province_is_refused():
    with pytest.raises(IdNumberError) as err:
        validate_id_number(foreign_permanent_id("99"), TODAY)
    assert err.value.code == "id_number.region"


def test_checksum_error_has_chinese_message():
    with pytest.raises(IdNumberError) as err:
        validate_id_number(with_wrong_check_digit(resident_id()), TODAY)
    assert err.value.code == "id_number.checksum"
    assert err.value.message == "身份证号码校验不通过，请核对后重新输入"
    problem = err.value.to_problem()
    assert (problem.field, problem.code) == ("id_number", "id_number.checksum")


@pytest.mark.parametrize("raw", ["1101051949123100", "11010519491231002Y", "abc", "1101051949123100211"])
def test_format_errors(raw):
    with pytest.raises(IdNumberError) as err:
        validate_id_number(raw, TODAY)
    assert err.value.code == "id_number.format"


def test_old_15_digit_number_is_refused_with_its_own_message():
    with pytest.raises(IdNumberError) as err:
        validate_id_number("110105491231002", TODAY)
    assert err.value.code == "id_number.format"
    assert "18位" in err.value.message


def test_empty_is_required():
    with pytest.raises(IdNumberError) as err:
        validate_id_number("  ", TODAY)
    assert err.value.code == "id_number.required"


@pytest.mark.parametrize("birth_part", ["19490230", "20261125", "18991231"])
def test_impossible_or_future_birth_dates(birth_part):
    first17 = "110105" + birth_part + "002"
    with pytest.raises(IdNumberError) as err:
        validate_id_number(first17 + check_digit(first17), TODAY)
    assert err.value.code == "id_number.birth_date"


def test_unknown_region_code_is_refused():
    first17 = "100105" + "19800101" + "001"  # province 10 does not exist
    with pytest.raises(IdNumberError) as err:
        validate_id_number(first17 + check_digit(first17), TODAY)
    assert err.value.code == "id_number.region"
    assert not is_valid_id_number(first17 + check_digit(first17), TODAY)


def test_region_code_from_after_the_birth_year_is_accepted():
    # 330782 义乌市 exists since 1989; people born earlier got numbers with it when first registered
    assert validate_id_number(resident_id("330782", date(1985, 1, 1), 1), TODAY).kind == "resident"


def test_region_code_that_never_existed_is_refused():
    with pytest.raises(IdNumberError) as err:
        validate_id_number(resident_id("110199", date(1985, 1, 1), 1), TODAY)
    assert err.value.code == "id_number.region"


def test_mask_id():
    assert mask_id("510104199005061234") == "5101**********1234"
    assert mask_id("110105491231002") == "1101*******1002"
    assert mask_id("1234") == "****"


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678",
                                 "0086-13812345678", "8613812345678", "１３８１２３４５６７８"])
def test_validate_mobile_tolerates_separators_and_country_code(raw):
    assert validate_mobile(raw) == "13812345678"


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "010-12345678", "abc"])
def test_validate_mobile_rejects(raw):
    with pytest.raises(PhoneNumberError) as err:
        validate_mobile(raw)
    assert err.value.code == "phone.format"
    assert err.value.message == "请输入正确的11位手机号码"


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize("text, expected", [
    ("我的身份证号是11010519491231002X，电话13812345678",
     "我的身份证号是1101**********002X，电话138****5678"),
    ("身份证 110105 1949 1231 002x 手机 138-1234-5678",
     "身份证 1101**********002X 手机 138****5678"),
    ("手机+86 138 1234 5678。", "手机+86 138****5678。"),
    ("老身份证110105491231002", "老身份证1101*******1002"),
    ("号码：５１０１０４１９９００５０６１２３４", "号码：5101**********1234"),
])
def test_mask_sensitive_text(text, expected):
    assert mask_sensitive_text(text) == expected


def test_masking_keeps_dates_amounts_and_long_reference_numbers():
    text = "2026-11-24住院，花了12000元，订单号12345678901234567890，电话 13912345678"
    assert mask_sensitive_text(text) == "2026-11-24住院，花了12000元，订单号12345678901234567890，电话 139****5678"


def test_a_date_next_to_a_phone_does_not_swallow_it():
    assert mask_sensitive_text("2026-11-24 13812345678") == "2026-11-24 138****5678"


def test_masking_does_not_need_a_valid_checksum():
    wrong = with_wrong_check_digit(resident_id("510104", date(1990, 5, 6), 12))
    assert mask_sensitive_text(f"是{wrong}吗") == f"是{mask_id(wrong)}吗"
    assert mask_sensitive_text("") == ""
