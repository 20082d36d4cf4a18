"""Small pieces the pages share: colours, alignments, combos with ids, notices, shortcuts, a remembered
splitter, a yes/no question and running a dialog modally."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMessageBox, QPushButton, QSplitter, QWidget

LEVEL_COLOURS = {"绿": QColor("#dff3e4"), "黄": QColor("#fff1c2"), "红": QColor("#fbd5d2")}
AMBER = QColor("#fff1c2")
RED = QColor("#fbd5d2")
RED_TEXT = QColor("#b42318")
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTRE = Qt.AlignmentFlag.AlignCenter


def level_colour(row: Any) -> QColor | None:
    return LEVEL_COLOURS.get(getattr(row, "level", ""))


def bounds_colour(households: int, minimum: int, maximum: int) -> QColor | None:
    """Amber below the minimum, red above the maximum, none within."""
    if households > maximum:
        return RED
    if households < minimum:
        return AMBER
    return None


def id_combo(all_label: str | None, items: Iterable[tuple[Any, str]] = (), *, min_width: int = 0) -> QComboBox:
    """A combo whose item data are ids (or codes); the first item (``all_label``) has data None."""
    combo = QComboBox()
    fill_combo(combo, all_label, items)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    if min_width:
        combo.setMinimumWidth(min_width)
    return combo


def fill_combo(combo: QComboBox, all_label: str | None, items: Iterable[tuple[Any, str]], keep: Any = None) -> None:
    """Refill ``combo`` with ``(data, text)`` items, keeping the selection on ``keep`` when present."""
    combo.blockSignals(True)
    combo.clear()
    if all_label is not None:
        combo.addItem(all_label, None)
    for data, text in items:
        combo.addItem(text, data)
    index = combo.findData(keep) if keep is not None else -1
    combo.setCurrentIndex(index if index >= 0 else 0)
    combo.blockSignals(False)


def select_data(combo: QComboBox, data: Any) -> bool:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)
    return index >= 0


def page_shortcut(widget: QWidget, keys: str | QKeySequence | QKeySequence.StandardKey,
                  slot: Callable[[], Any]) -> QShortcut:
    """A shortcut active only while ``widget`` (a page) or its children have focus."""
    shortcut = QShortcut(QKeySequence(keys), widget, slot)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    return shortcut


def page_shortcuts(widget: QWidget, *pairs: tuple[str, Callable[[], Any]]) -> None:
    """Several :func:`page_shortcut` at once: ``("F5", self.reload), ("Ctrl+N", self.open_entry)``."""
    for keys, slot in pairs:
        page_shortcut(widget, keys, slot)


def splitter(orientation: Qt.Orientation, *widgets: QWidget, stretch: Iterable[int] = (),
             sizes: Iterable[int] = (), settings_key: str = "") -> QSplitter:
    """A splitter of ``widgets`` that never collapses one; with ``settings_key`` its sizes are remembered."""
    split = QSplitter(orientation)
    split.setChildrenCollapsible(False)
    for widget in widgets:
        split.addWidget(widget)
    for index, factor in enumerate(stretch):
        split.setStretchFactor(index, factor)
    sizes = list(sizes)
    if sizes:
        split.setSizes(sizes)
    if settings_key:
        saved = QSettings().value(settings_key)
        if saved is not None:
            split.restoreState(saved)
        split.splitterMoved.connect(lambda *_: QSettings().setValue(settings_key, split.saveState()))
    return split


def confirm(parent: QWidget, title: str, text: str, ok_text: str) -> bool:
    """Ask a yes/no question whose 确定 button reads ``ok_text``; True when the user agreed."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, parent)
    box.button(QMessageBox.StandardButton.Ok).setText(ok_text)
    box.button(QMessageBox.StandardButton.Cancel).setText(QMessageBox.tr("取消"))
    return box.exec() == QMessageBox.StandardButton.Ok


def run_modal(dialog: QWidget | None) -> None:
    """Run ``dialog`` (None: nothing to do) modally, then let Qt delete it."""
    if dialog is None:
        return
    dialog.exec()
    dialog.deleteLater()


class NoticeBar(QWidget):
    """A non-blocking notice line (e.g. saved with warnings) with a × button; hides itself after a while."""

    def __init__(self, parent: QWidget | None = None, *, timeout_ms: int = 20_000):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setObjectName("notice")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.label, 1)
        close = QPushButton("×")
        close.setToolTip(self.tr("关闭提示"))
        close.setFixedWidth(36)
        close.clicked.connect(self.hide)
        layout.addWidget(close)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(timeout_ms)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str) -> None:
        self.label.setText(text)
        self.show()
        self._timer.start()

    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()
