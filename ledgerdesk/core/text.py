"""Normalising text typed or pasted by users and read from spreadsheets."""

from __future__ import annotations

import unicodedata

_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (０-９, Ａ-Ｚ, ＃ …) and the ideographic space become half-width."""
    return text.translate(_FULLWIDTH)


def clean(text: object) -> str:
    """Half-width, NFC, inner runs of white space folded, ends stripped; None becomes ''."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFC", to_halfwidth(str(text)))
    return " ".join(s.split())


def clean_code(text: object) -> str:
    """An identifier typed by hand (身份证号, 户号, phone): no spaces at all, upper case."""
    return clean(text).replace(" ", "").replace("-", "").upper()
