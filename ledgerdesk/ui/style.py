"""The application's look: bundled fonts plus one style sheet, large and plain.

Sizes are in points so they follow the screen's DPI. Object names used here
(``navigation``, ``pageTitle`` …) are set by the widgets that want the look.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from ledgerdesk.ui.fonts import apply_fonts

STYLE_SHEET = """
QListWidget#navigation {
    font-size: 13pt;
    border: none;
    border-right: 1px solid #c8ccd2;
    background: #f1f3f6;
    outline: 0;
}
QListWidget#navigation::item { padding: 9px 14px; color: #1f2933; }
QListWidget#navigation::item:selected { background: #1d5fa8; color: white; }
QListWidget#navigation::item:hover:!selected { background: #dde5ef; }

QLabel#pageTitle { font-size: 18pt; font-weight: bold; color: #1f2933; }
QLabel#pageSubtitle { font-size: 12pt; color: #52606d; }
QLabel#notice { font-size: 12pt; color: #7a4b00; background: #fff4d6;
                border: 1px solid #f0d58c; border-radius: 4px; padding: 8px 12px; }
QLabel#plan { font-size: 12pt; color: #1f2933; }

QFrame#countTile { background: white; border: 1px solid #d3d8de; border-radius: 6px; }
QLabel#countValue { font-size: 22pt; font-weight: bold; color: #1d5fa8; }
QLabel#countLabel { font-size: 12pt; color: #52606d; }

QStatusBar QLabel { padding: 2px 10px; color: #52606d; }

QGroupBox { font-size: 12pt; font-weight: bold; margin-top: 12px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; padding: 0 4px; }
QPushButton { padding: 6px 16px; }
QPushButton#bigChoice { font-size: 13pt; padding: 10px 18px; text-align: left; }
"""


def apply_app_style(app: QApplication) -> None:
    """Fonts and style sheet for the whole application (idempotent)."""
    apply_fonts(app)
    app.setStyleSheet(STYLE_SHEET)
