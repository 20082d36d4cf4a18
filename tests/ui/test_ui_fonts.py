"""The bundled fonts make Chinese (and rare name characters) render on a machine without CJK fonts."""

from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics, QRawFont

from ledgerdesk.ui.fonts import UI_FAMILIES, register_fonts

CHINESE = "基层治理台账户籍党员中心户"
EXTENSION_A = "㑇"  # U+3447, CJK Extension A: only the fallback font has it


def test_bundled_families_are_registered(app):
    families = register_fonts()
    assert "WenQuanYi Micro Hei" in families
    assert "Droid Sans Fallback" in families
    assert set(UI_FAMILIES) <= set(QFontDatabase.families())


def test_application_font_uses_bundled_families_at_a_large_size(app):
    font = app.font()
    assert font.families()[:2] == list(UI_FAMILIES)
    assert font.pointSize() >= 11


def test_chinese_and_extension_a_are_supported(app):
    wqy = QRawFont.fromFont(QFont("WenQuanYi Micro Hei"))
    assert wqy.familyName() == "WenQuanYi Micro Hei"
    assert all(wqy.supportsCharacter(ord(ch)) for ch in CHINESE)
    fallback = QRawFont.fromFont(QFont("Droid Sans Fallback"))
    assert fallback.familyName() == "Droid Sans Fallback"
    assert fallback.supportsCharacter(ord(EXTENSION_A))
    metrics = QFontMetrics(app.font())
    assert all(metrics.inFontUcs4(ord(ch)) for ch in CHINESE + EXTENSION_A)
