import datetime as dt

from hypothesis import given, settings, strategies as st

from ledgerdesk.core.idcard import INVALID, MISSING, VALID, check_char, check_id_number, make_id_number

birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 1))
areas = st.sampled_from(["110105", "152530", "152501", "440305", "510107"])


def test_published_example_is_valid():
    # The worked example of GB 11643-1999.
    verdict = check_id_number("11010519491231002X")
    assert verdict.status == VALID
    assert verdict.birth_date == dt.date(1949, 12, 31)
    assert verdict.gender == "女"


@given(areas, birth_dates, st.integers(0, 999), st.booleans())
def test_made_numbers_validate_and_carry_birth_and_gender(area, birth, seq, male):
    number = make_id_number(area, birth, seq, male)
    verdict = check_id_number(number)
    assert verdict.status == VALID
    assert verdict.birth_date == birth
    assert verdict.gender == ("男" if male else "女")


@given(areas, birth_dates, st.integers(0, 999), st.booleans(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_error_is_caught(area, birth, seq, male, pos, delta):
    number = make_id_number(area, birth, seq, male)
    wrong_digit = str((int(number[pos]) + delta) % 10)
    mutated = number[:pos] + wrong_digit + number[pos + 1:]
    assert check_id_number(mutated).status == INVALID


@given(areas, birth_dates, st.integers(0, 999), st.booleans())
def test_wrong_check_character_is_invalid_but_keeps_birth(area, birth, seq, male):
    number = make_id_number(area, birth, seq, male)
    other = next(c for c in "0123456789X" if c != number[17])
    verdict = check_id_number(number[:17] + other)
    assert verdict.status == INVALID
    assert "校验位" in verdict.reason
    assert verdict.birth_date == birth


def test_shapes_that_are_not_id_numbers():
    assert check_id_number("").status == MISSING
    assert check_id_number("1234").status == INVALID
    assert check_id_number("15253019900230123X").reason == "身份证号中的出生日期不存在"
    assert check_id_number("1525301990A101123X").status == INVALID
    # other scripts' digits pass str.isdigit() but are not a 身份证号 (and the check sum reads ASCII)
    arabic_indic = "١٥٢٥٣٠١٩٩٠٠١٠١١٢٣"
    assert check_id_number(arabic_indic + "X").reason == "身份证号只能由数字和末位X组成"
    assert check_id_number("11010519491231002١").status == INVALID


def test_check_char_table():
    assert check_char("11010519491231002") == "X"


@settings(max_examples=300)
@given(st.text(alphabet="0123456789", max_size=17))
def test_check_char_of_any_prefix_is_the_weighted_digit_sum(digits):
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert check_char(digits) == "10X98765432"[sum(int(d) * w for d, w in zip(digits, weights)) % 11]
