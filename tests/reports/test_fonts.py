"""The bundled fonts and the per-character fallback chain."""

from __future__ import annotations

from hypothesis import given, strategies as st

from ledgerdesk.reports.fonts import FALLBACK, PRIMARY, GlyphReport, chain, placeholder

RARE_B = "\U0002B81D"  # CJK Extension D: in no bundled font
PRIVATE = "\ue000"


def test_primary_has_latin_digits_and_common_cjk():
    fonts = chain()
    assert fonts.runs("2026年11月 No.12345 王伟") == [(PRIMARY, "2026年11月 No.12345 王伟")]


def test_extension_a_goes_to_the_fallback_and_digits_stay_primary():
    fonts = chain()
    assert fonts.runs("王䶮1") == [(PRIMARY, "王"), (FALLBACK, "䶮"), (PRIMARY, "1")]
    assert fonts.font_for("㑇") == FALLBACK
    assert fonts.font_for("7") == PRIMARY  # the fallback has no digits


def test_a_character_in_no_font_is_reported_with_its_record_and_printed_as_a_placeholder():
    fonts = chain()
    assert fonts.runs(f"张{RARE_B}") == [(PRIMARY, f"张{placeholder(RARE_B)}")]
    report = GlyphReport(fonts)
    report.check(f"张{RARE_B}{PRIVATE}", "户 0001 户主")
    report.check(f"张{RARE_B}", "户 0001 户主")  # once per record
    assert [(m.char, m.record) for m in report.missing] == [(RARE_B, "户 0001 户主"), (PRIVATE, "户 0001 户主")]
    assert "U+2B81D" in report.missing[0].message() and "户 0001 户主" in report.missing[0].message()


@given(st.text(max_size=30))
def test_runs_cover_every_character_with_a_font_that_has_it(text):
    fonts = chain()
    runs = fonts.runs(text)
    assert "".join(t for _, t in runs) == "".join(
        c if fonts.font_for(c) else placeholder(c) for c in text)
    for font, part in runs:
        for c in part:
            assert ord(c) in fonts.covers[font] or c in "\n\r\t"
