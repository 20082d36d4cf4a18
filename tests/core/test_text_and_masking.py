from hypothesis import given, strategies as st

from ledgerdesk.core.masking import mask_id_number, mask_phone
from ledgerdesk.core.phone import normalise_phone, phone_problem
from ledgerdesk.core.text import clean, clean_code, clean_prose


def test_full_width_digits_and_spaces_are_normalised():
    assert clean("  张　三  ") == "张 三"
    assert clean_code("１５２５ ３０ １９９０-０１０１ ２３４x") == "152530199001012 34X".replace(" ", "")
    assert clean(None) == ""


def test_prose_keeps_chinese_punctuation_and_line_breaks():
    text = "  村民反映：路灯坏了（３盏），请尽快维修！　\r\n\r\n\r\n决定：“先修后报”；ＯＫ？  "
    assert clean_prose(text) == "村民反映：路灯坏了（3盏），请尽快维修！\n\n决定：“先修后报”；OK？"
    assert clean(text) != clean_prose(text)  # clean() turns ：，（）！ into ASCII
    assert clean_prose("a\t\u00a0 b\nc   d") == "a b\nc d"
    assert clean_prose(None) == "" and clean_prose(12) == "12"
    assert clean_prose(clean_prose(text)) == clean_prose(text)
    assert clean_prose("e\u0301") == "\u00e9"  # NFC


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


_PUNCT = "，。：；！？（）“”、《》"


@given(st.text(alphabet=st.sampled_from("张三村路灯 \t\n\u3000０１ＡａB" + _PUNCT), max_size=40))
def test_prose_is_idempotent_and_keeps_punctuation(text):
    once = clean_prose(text)
    assert clean_prose(once) == once
    assert [c for c in once if c in _PUNCT] == [c for c in text if c in _PUNCT]
    assert once == once.strip() and "  " not in once and "\n\n\n" not in once
