"""Normalising text typed or pasted by users and read from spreadsheets."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FULLWIDTH = {i: i - 0xFEE0 for i in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space


def to_halfwidth(text: str) -> str:
    """Full-width ASCII (０-９, Ａ-Ｚ, ＃ …) and the ideographic space become half-width."""
    return text.translate(_FULLWIDTH)


def clean(text: object) -> str:
    """Half-width, NFC, inner runs of white space folded, ends stripped; None becomes ''."""
    if text is None:
        return ""
    if type(text) is str:
        return _clean_str(text)
    return _clean_str.__wrapped__(str(text))


# Bulk imports clean the same short values (village, group, relation, gender, ethnicity) again
# and again; remembering recent results saves a fifth of a 50,000-person roster preview.
@lru_cache(maxsize=1 << 15)
def _clean_str(s: str) -> str:
    if not s.isascii():  # ASCII needs neither (the common case in bulk imports: codes, dates, digits)
        s = s.translate(_FULLWIDTH)
        if not unicodedata.is_normalized("NFC", s):
            s = unicodedata.normalize("NFC", s)
    return " ".join(s.split())


def clean_code(text: object) -> str:
    """An identifier typed by hand (身份证号, 户号, phone): no spaces at all, upper case."""
    return clean(text).replace(" ", "").replace("-", "").upper()


# Prose keeps its Chinese punctuation (，。：；！？（）“”): only full-width digits and Latin letters
# become half-width (Ｔ２ → T2), as a cadre would have typed them on a half-width keyboard.
_FULLWIDTH_ALNUM = {i: i - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for i in range(r[0], r[1] + 1)}
_FULLWIDTH_ALNUM[0x3000] = 0x20  # ideographic space
_INLINE_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_prose(text: object) -> str:
    """Free text (notes, descriptions, decisions): NFC, full-width digits/letters half-width, punctuation kept.

    White space: each line's inner runs folded to one space and its ends stripped; line breaks
    kept (at most one blank line in a row); the whole stripped; None becomes ''.
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFC", str(text).translate(_FULLWIDTH_ALNUM))
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = "\n".join(_INLINE_SPACE.sub(" ", line).strip() for line in s.split("\n"))
    return _BLANK_LINES.sub("\n\n", s).strip()
