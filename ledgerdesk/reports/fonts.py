"""The bundled fonts for the printed sheets, and the per-character fallback chain.

Nothing depends on fonts installed on the machine or in the PDF viewer: every
character is drawn with a TrueType font shipped in ``resources/fonts`` and
embedded (subset) in the PDF by reportlab.

* :data:`PRIMARY` — WenQuanYi Micro Hei (``wqy-microhei.ttc``, sub-font 0):
  Latin letters, digits, punctuation and the common CJK characters. Every
  run of text starts here, so digits and Latin letters always come from it.
* :data:`FALLBACK` — Droid Sans Fallback (``DroidSansFallbackFull.ttf``):
  CJK Extension A and other rare characters of names (㑇 䶮 㛃 …). It has no
  digits, which is why it is never the first choice.

A character neither font has (CJK Extension B and beyond, private-use
characters) is **reported**, never drawn as a blank or a box: the sheet
prints the readable placeholder ``[U+2B81D]`` in its place and the renderer
returns a :class:`MissingGlyph` naming the record it belongs to; the CLI prints
one warning line per record and the UI shows a message.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ledgerdesk.core.paths import resource

PRIMARY = "LedgerDeskSans"
FALLBACK = "LedgerDeskSansFallback"
CHAIN = (PRIMARY, FALLBACK)
FONT_FILES = {PRIMARY: ("wqy-microhei.ttc", 0), FALLBACK: ("DroidSansFallbackFull.ttf", 0)}

# Characters that are layout, not glyphs: drawn as spaces / line breaks, never "missing".
_LAYOUT = frozenset("\n\r\t")

_lock = threading.Lock()
_chain: "FontChain | None" = None


@dataclass(frozen=True)
class MissingGlyph:
    """A character no bundled font has, in the record whose text holds it."""

    char: str
    record: str  # e.g. "户 0012 户主姓名" or "问题 2026-0031 标题"
    text: str  # the whole text it appears in

    @property
    def codepoint(self) -> str:
        return f"U+{ord(self.char):04X}"

    @property
    def placeholder(self) -> str:
        return placeholder(self.char)

    def message(self) -> str:
        return (f"缺字：{self.record}“{self.text}”中的字符 {self.codepoint} 没有字体能打印，"
                f"表中印为 {self.placeholder}，请手工补写")


def _ranges(codepoints) -> str:
    """A regex character-class body for a set of code points (contiguous runs as ranges)."""
    parts = []
    cps = sorted(cp for cp in codepoints if cp > 0)
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        a, b = cps[i], cps[j]
        parts.append(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}")
        i = j + 1
    return "".join(parts)


def placeholder(char: str) -> str:
    """What a sheet prints instead of a character no font has: visible and readable, e.g. ``[U+2B81D]``."""
    return f"[U+{ord(char):04X}]"


class FontChain:
    """The registered fonts and which characters each covers."""

    def __init__(self):
        self.fonts: dict[str, TTFont] = {}
        for name, (filename, index) in FONT_FILES.items():
            font = TTFont(name, str(resource("fonts", filename)), subfontIndex=index)
            pdfmetrics.registerFont(font)
            # <b>/<i> in Paragraph markup must never switch to a standard (non-embedded) font.
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(name, bold, italic, name)
            self.fonts[name] = font
        self.covers: dict[str, frozenset[int]] = {
            name: frozenset(font.face.charToGlyph) for name, font in self.fonts.items()}
        self._primary = self.covers[PRIMARY]
        self._fallback = self.covers[FALLBACK]
        # one C-speed search finds a character the primary font lacks (the rare case)
        self._not_primary = re.compile(f"[^{_ranges(self._primary | {ord(c) for c in _LAYOUT})}]")

    # -- coverage ------------------------------------------------------------------------------------

    def font_for(self, char: str) -> str | None:
        """The first font of the chain that has ``char`` (None: no bundled font has it)."""
        cp = ord(char)
        if cp in self._primary or char in _LAYOUT:
            return PRIMARY
        if cp in self._fallback:
            return FALLBACK
        return None

    def simple(self, text: str) -> bool:
        """True when the primary font draws all of ``text`` (the common case, checked fast)."""
        return (text.isascii() and text.isprintable()) or self._not_primary.search(text) is None

    def missing(self, text: str) -> list[str]:
        """The distinct characters of ``text`` no bundled font has, in order of appearance."""
        if self.simple(text):
            return []
        seen: list[str] = []
        for c in text:
            if self.font_for(c) is None and c not in seen:
                seen.append(c)
        return seen

    def runs(self, text: str) -> list[tuple[str, str]]:
        """``text`` split into (font name, substring) runs; a missing character becomes its placeholder."""
        if self.simple(text):
            return [(PRIMARY, text)] if text else []
        out: list[tuple[str, str]] = []
        for c in text:
            font = self.font_for(c)
            if font is None:
                font, c = PRIMARY, placeholder(c)
            if out and out[-1][0] == font:
                out[-1] = (font, out[-1][1] + c)
            else:
                out.append((font, c))
        return out

    def width(self, text: str, size: float) -> float:
        """The printed width of ``text`` at ``size`` points, run by run."""
        if self.simple(text):
            return self.fonts[PRIMARY].stringWidth(text, size)
        return sum(self.fonts[f].stringWidth(t, size) for f, t in self.runs(text))

    def char_width(self, char: str, size: float) -> float:
        font = self.font_for(char)
        if font is None:
            return self.fonts[PRIMARY].stringWidth(placeholder(char), size)
        return self.fonts[font].stringWidth(char, size)

    def markup(self, text: str) -> str:
        """``text`` as reportlab Paragraph markup: escaped, fallback runs in ``<font>`` tags."""
        if self.simple(text):
            return html.escape(text, quote=False).replace("\n", "<br/>")
        parts = []
        for font, run in self.runs(text):
            run = html.escape(run, quote=False).replace("\n", "<br/>")
            parts.append(run if font == PRIMARY else f'<font face="{font}">{run}</font>')
        return "".join(parts)


def chain() -> FontChain:
    """The fonts, registered with reportlab once per process."""
    global _chain
    if _chain is None:
        with _lock:
            if _chain is None:
                _chain = FontChain()
    return _chain


class GlyphReport:
    """Collects the characters no bundled font has, per record, while a sheet is built."""

    def __init__(self, fonts: FontChain | None = None):
        self.fonts = fonts or chain()
        self.missing: list[MissingGlyph] = []
        self._seen: set[tuple[str, str]] = set()

    def check(self, text: str | None, record: str) -> str:
        """Note every missing character of ``text`` against ``record``; returns ``text`` (never None)."""
        text = "" if text is None else str(text)
        if text and not self.fonts.simple(text):
            for c in self.fonts.missing(text):
                if (c, record) not in self._seen:
                    self._seen.add((c, record))
                    self.missing.append(MissingGlyph(c, record, text))
        return text
