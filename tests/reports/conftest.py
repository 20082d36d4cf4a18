"""Helpers for the printed-sheet tests: poppler's pdftotext / pdffonts / pdftoppm, and a log of drawn strings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFont

from ledgerdesk.reports import layout


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdffonts(path: Path) -> list[tuple[str, str]]:
    """(font name, emb) of every font in the PDF."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name type(1-2 words) encoding emb sub uni obj gen: emb is the 5th field from the end
        rows.append((parts[0], parts[-5]))
    return rows


def render_pages(path: Path, tmp: Path) -> int:
    """Render every page to PNG at 60 dpi (fails if poppler cannot); the number of images."""
    prefix = tmp / path.stem
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(prefix)], check=True, capture_output=True)
    return len(list(tmp.glob(f"{path.stem}*.png")))


class Poppler:
    """poppler-utils as a fixture (tests import no conftest)."""

    text = staticmethod(pdftotext)
    fonts = staticmethod(pdffonts)
    render = staticmethod(render_pages)


@pytest.fixture
def poppler() -> Poppler:
    return Poppler()


@pytest.fixture(autouse=True)
def invariant():
    layout.set_invariant(True)
    yield
    layout.set_invariant(False)


@pytest.fixture
def drawn(monkeypatch):
    """Every (font name, text) reportlab encodes for drawing with a TrueType font."""
    log: list[tuple[str, str]] = []
    original = TTFont.splitString

    def spy(self, text, doc, encoding="utf-8"):
        log.append((self.fontName, text))
        return original(self, text, doc, encoding)

    monkeypatch.setattr(TTFont, "splitString", spy)
    return log
