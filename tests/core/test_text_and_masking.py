from ledgerdesk.core.masking import mask_id_number, mask_phone
from ledgerdesk.core.phone import normalise_phone, phone_problem
from ledgerdesk.core.text import clean, clean_code


def test_full_width_digits_and_spaces_are_normalised():
    assert clean("  张　三  ") == "张 三"
    assert clean_code("１５２５ ３０ １９９０-０１０１ ２３４x") == "152530199001012 34X".replace(" ", "")
    assert clean(None) == ""


def test_masking_keeps_only_the_ends():
    assert mask_id_number("152530199001011234") == "1525**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id_number("") == "" and mask_phone(None) == ""
    assert mask_id_number("1234") == "****"


def test_phone_rules():
    assert normalise_phone("+86 138-1234-5678") == "13812345678"
    assert phone_problem("13812345678") is None
    assert phone_problem("04795123456") is None
    assert phone_problem("12812345678") is not None
    assert phone_problem("") is None
