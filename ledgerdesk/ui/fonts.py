"""The bundled fonts: the only thing that makes Chinese render on a bare machine.

Many office machines (and the CI machine) have no CJK font at all, so the
application registers its own: WenQuanYi Micro Hei for Latin and common CJK,
Droid Sans Fallback behind it for CJK Extension A (rare characters in names).
"""

from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from ledgerdesk.core.paths import resource

log = logging.getLogger(__name__)

FONT_FILES = ("wqy-microhei.ttc", "DroidSansFallbackFull.ttf")
UI_FAMILIES = ("WenQuanYi Micro Hei", "Droid Sans Fallback")
UI_POINT_SIZE = 11  # older users on 1366×768 screens: larger than the usual 9pt

_registered: list[str] | None = None


def register_fonts() -> list[str]:
    """Add the bundled font files to Qt's database (once); returns the families now available.

    A missing or unreadable file is logged, not fatal: the app still starts,
    only Chinese may not render.
    """
    global _registered
    if _registered is not None:
        return list(_registered)
    registered: list[str] = []
    for name in FONT_FILES:
        font_id = QFontDatabase.addApplicationFont(str(resource("fonts", name)))
        if font_id < 0:
            log.warning("could not load bundled font %s", name)
            continue
        registered.extend(QFontDatabase.applicationFontFamilies(font_id))
    _registered = registered
    return list(registered)


def ui_font(point_size: int = UI_POINT_SIZE) -> QFont:
    """The interface font: the bundled families in fallback order, at ``point_size``."""
    font = QFont()
    font.setFamilies(list(UI_FAMILIES))
    font.setPointSize(point_size)
    return font


def apply_fonts(app: QApplication) -> None:
    """Register the bundled fonts and make them the application font."""
    register_fonts()
    app.setFont(ui_font())
