"""The main window: page navigation on the left, the current page on the right.

Ctrl+1 … Ctrl+9 and Ctrl+0 select the ten pages in order. Pages are built the
first time they are shown. The window's geometry is kept in QSettings
(organisation "LedgerDesk") and restored next time.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMainWindow, QSplitter, QStackedWidget, QWidget

from ledgerdesk.services import accounts, workspace
from ledgerdesk.services.session import Session
from ledgerdesk.ui.pages import PAGES, PageContext, PageSpec
from ledgerdesk.ui.tasks import TaskRunner

GEOMETRY_KEY = "main_window/geometry"
NAVIGATION_WIDTH = 168
# Below this available width (1366×768 office screens) the window opens maximised.
MAXIMISE_BELOW_WIDTH = 1500


def page_shortcut(index: int) -> QKeySequence:
    """Ctrl+1 … Ctrl+9 for the first nine pages, Ctrl+0 for the tenth."""
    return QKeySequence(f"Ctrl+{(index + 1) % 10}")


class MainWindow(QMainWindow):
    """The window for one open ledger; it does not own the session or the runner."""

    def __init__(self, session: Session, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        info = workspace.ledger_info(session)
        self.context = PageContext(session, info, runner)
        self.setWindowTitle(self.tr("LedgerDesk 基层治理台账 — {township}").format(township=info.township))
        self.setMinimumSize(900, 600)

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.navigation.setMinimumWidth(NAVIGATION_WIDTH)
        self.navigation.setMaximumWidth(NAVIGATION_WIDTH + 60)
        self.stack = QStackedWidget()
        self._built: dict[str, QWidget] = {}
        for index, spec in enumerate(PAGES):
            item = QListWidgetItem(spec.title)
            self.navigation.addItem(item)
            if index < 10:  # Ctrl+1 … Ctrl+0; pages after the tenth have none
                item.setToolTip(page_shortcut(index).toString(QKeySequence.SequenceFormat.NativeText))
                QShortcut(page_shortcut(index), self, partial(self.show_page, index))

        splitter = QSplitter()
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.navigation)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([NAVIGATION_WIDTH, 1000])
        self.setCentralWidget(splitter)

        path_label = QLabel(self.tr("台账文件：{path}").format(path=info.path))
        path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.statusBar().addPermanentWidget(path_label, 1)
        self.user_label = QLabel(self.tr("当前用户：{who}").format(who=accounts.describe_session(session)))
        self.user_label.setObjectName("currentUser")
        self.statusBar().addPermanentWidget(self.user_label)
        QShortcut(QKeySequence("Ctrl+Q"), self, self.close)

        self.navigation.currentRowChanged.connect(self.show_page)
        self.show_page(0)
        self.navigation.setFocus()
        self._restore_geometry()

    # -- pages ---------------------------------------------------------------

    def show_page(self, index: int) -> QWidget:
        """Make page ``index`` (0-based, navigation order) current; returns its widget."""
        spec = PAGES[index]
        page = self.page(spec.key)
        self.stack.setCurrentWidget(page)
        if self.navigation.currentRow() != index:
            self.navigation.setCurrentRow(index)
        return page

    def page(self, key: str) -> QWidget:
        """The widget of page ``key``, built now if it has not been shown yet."""
        if key not in self._built:
            spec = self._spec(key)
            page = spec.widget(self.context, spec)
            self._built[key] = page
            self.stack.addWidget(page)
        return self._built[key]

    def current_key(self) -> str:
        return PAGES[self.navigation.currentRow()].key

    @staticmethod
    def _spec(key: str) -> PageSpec:
        return next(spec for spec in PAGES if spec.key == key)

    def preload_pages(self):
        """Import the modules of the pages not built yet on a background thread (ui/preload.py)."""
        from ledgerdesk.ui.preload import start_preloading

        return start_preloading(spec.module for spec in PAGES if spec.key not in self._built)

    # -- geometry ------------------------------------------------------------

    def _restore_geometry(self) -> None:
        saved = QSettings().value(GEOMETRY_KEY)
        if saved is not None and self.restoreGeometry(saved):
            return
        screen = QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen else None
        if available is None or available.width() < MAXIMISE_BELOW_WIDTH:
            self.resize(1280, 720)
            self.setWindowState(Qt.WindowState.WindowMaximized)
        else:
            self.resize(1280, 800)
            self.move(available.center() - self.rect().center())

    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue(GEOMETRY_KEY, self.saveGeometry())
        super().closeEvent(event)
