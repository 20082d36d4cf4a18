"""The frame every page shares: a large title, a subtitle line, then the page's own body; and the
small pieces of detail panes (a bold header, a scrolling column) and page-to-page navigation."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget


class Page(QWidget):
    """A page with its title on top; subclasses add widgets to :attr:`body`."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 20, 28, 16)
        layout.setSpacing(10)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("pageTitle")
        layout.addWidget(self.title_label)
        self.subtitle_label = selectable_label("", "pageSubtitle")
        self.subtitle_label.hide()
        layout.addWidget(self.subtitle_label)
        self.body = QVBoxLayout()
        self.body.setSpacing(12)
        layout.addLayout(self.body, 1)

    def set_subtitle(self, text: str) -> None:
        self.subtitle_label.setText(text)
        self.subtitle_label.setVisible(bool(text))


def selectable_label(text: str, object_name: str = "") -> QLabel:
    """A wrapping label whose text can be selected and copied (paths, ids)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if object_name:
        label.setObjectName(object_name)
    return label


def detail_header() -> QLabel:
    """The bold, selectable header line of a detail pane (a problem's number and title, a visit's date …)."""
    label = selectable_label("", "detailHeader")
    label.setStyleSheet("font-size: 14pt; font-weight: bold; color: #1f2933;")
    return label


def scroll_column(area: QScrollArea, min_width: int) -> QVBoxLayout:
    """Make ``area`` a frameless, resizing scroll area of at least ``min_width``; returns its column layout."""
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setMinimumWidth(min_width)
    inner = QWidget()
    layout = QVBoxLayout(inner)
    layout.setContentsMargins(10, 0, 4, 0)
    area.setWidget(inner)
    return layout


def open_page(widget: QWidget, key: str) -> QWidget | None:
    """Show page ``key`` in ``widget``'s main window and return it; None outside a main window."""
    window = widget.window()
    page_of, show = getattr(window, "page", None), getattr(window, "show_page", None)
    if page_of is None or show is None:
        return None
    from ledgerdesk.ui.pages import PAGES  # the registry imports the page modules

    keys = [spec.key for spec in PAGES]
    if key not in keys:
        return None
    return show(keys.index(key))


def show_problem(widget: QWidget, problem_id: str) -> bool:
    """Open ``problem_id`` on the 问题台账 page of ``widget``'s window; False when there is none."""
    problems = open_page(widget, "problems")
    if problems is None or not hasattr(problems, "select_problem"):
        return False
    problems.select_problem(problem_id)
    return True
