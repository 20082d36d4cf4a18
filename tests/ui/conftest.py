"""GUI test fixtures: a configured QApplication, QSettings in a temp folder, a task runner.

The offscreen screen is made 1366×768 (the users' office screens) instead of
Qt's default 800×600, so layouts and window geometry are tested at the size
that matters. QSettings is pointed at ``tmp_path`` for every test, so no test
reads or writes the real user's settings (window geometry and the like).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

if os.environ.get("QT_QPA_PLATFORM") == "offscreen":  # set by tests/conftest.py; read when qapp starts
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).with_name('offscreen-1366x768.json')}"

from PySide6.QtCore import QSettings

from ledgerdesk.ui.app import application
from ledgerdesk.ui.main_window import MainWindow
from ledgerdesk.ui.tasks import TaskRunner


@pytest.fixture(autouse=True)
def temp_qsettings(tmp_path):
    folder = tmp_path / "qsettings"
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    return folder


@pytest.fixture
def app(qapp):
    """pytest-qt's QApplication, configured the way run_gui configures it."""
    return application()


@pytest.fixture
def runner(app):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


@pytest.fixture
def message_boxes(monkeypatch):
    """Every QMessageBox shown modally, as (title, text); none actually blocks."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str]] = []

    def fake_exec(box):
        shown.append((box.windowTitle(), box.text()))
        return QMessageBox.StandardButton.Ok

    def fake_information(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    monkeypatch.setattr(QMessageBox, "information", fake_information)
    return shown


def _quiesce(runner) -> None:
    """Stop the worker and destroy every window while the test's ledger file still exists.

    Ledger files live in ``tmp_path``, which pytest deletes when a test passes
    (setup.cfg keeps only failed tests' folders), and demo copies are deleted
    too. Both happen before qtbot closes the test's widgets, and a page that
    is closed later (its selection cleared) or a job still running would try
    to read the deleted file.
    """
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    runner.shutdown()
    QApplication.processEvents()  # deliver the results of jobs that had finished
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QApplication.processEvents()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def quiesce(runner):
    """``quiesce()``: stop the worker and destroy every window now (before a test's own ledgers go)."""
    return lambda: _quiesce(runner)


@pytest.fixture
def demo_session(demo_session, runner):
    """The demo ledger of tests/conftest.py; windows and worker are finished with before it goes."""
    yield demo_session
    _quiesce(runner)


@pytest.fixture
def file_session(file_session, runner):
    """The file ledger of tests/conftest.py; windows and worker are finished with before it goes."""
    yield file_session
    _quiesce(runner)


@pytest.fixture
def page_context(runner):
    """``make(session) -> PageContext``: what a page gets from the main window, over the test runner."""
    from ledgerdesk.services import workspace
    from ledgerdesk.ui.pages import PageContext

    def make(session):
        return PageContext(session, workspace.ledger_info(session), runner)

    return make


@pytest.fixture
def ui_page(qtbot, app, page_context):
    """``ui_page(key, session, *, size=(1198, 720))``: page ``key`` of the navigation, built over ``session``,
    sized as in the main window at 1366×768, shown, and waited for until it is no longer ``busy`` loading."""
    from ledgerdesk.ui.pages import PAGES

    def build(key: str, session, *, size: tuple[int, int] = (1366 - 168, 720)):
        spec = next(spec for spec in PAGES if spec.key == key)
        page = spec.widget(page_context(session), spec)
        qtbot.addWidget(page)
        page.resize(*size)
        with qtbot.waitExposed(page):
            page.show()
        if hasattr(page, "busy"):
            qtbot.waitUntil(lambda: not page.busy, timeout=15_000)
        return page

    return build


@pytest.fixture
def import_export_buttons():
    """``check(page, may_import, apply_fn, title)``: the page's 导入 button is enabled exactly for the roles that
    may import, opens the import dialog of ``apply_fn`` titled ``title`` (None for the others); 导出 is enabled."""

    def check(page, may_import: bool, apply_fn, title: str) -> None:
        assert page.import_button.isEnabled() is may_import
        assert page.export_button.isEnabled()
        dialog = page.import_dialog()
        if not may_import:
            assert dialog is None
            return
        assert dialog._apply_fn is apply_fn and dialog.windowTitle() == title
        dialog.reject()

    return check


@pytest.fixture
def show_active(qtbot):
    """``show_active(dialog)``: shown, exposed and the active window, so keys typed go to it."""

    def show(dialog) -> None:
        qtbot.addWidget(dialog)
        with qtbot.waitExposed(dialog):
            dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)

    return show


@pytest.fixture
def type_text():
    """``type_text(widget, text)``: typed as a Chinese input method does — one committed string
    (QTest itself types ASCII only)."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    def type_into(widget, text: str) -> None:
        if text.isascii():
            QTest.keyClicks(widget, text)
            return
        event = QInputMethodEvent()
        event.setCommitString(text)
        QApplication.sendEvent(widget, event)

    return type_into


@pytest.fixture
def make_page(request, ui_page):
    """``make_page(session)``: the page named by the test module's ``PAGE_KEY`` (sized ``PAGE_SIZE`` when it
    sets one), built, shown and loaded (:func:`ui_page`)."""
    key = request.module.PAGE_KEY
    size = getattr(request.module, "PAGE_SIZE", (1366 - 168, 720))
    return lambda session: ui_page(key, session, size=size)


@pytest.fixture
def wait_idle(qtbot):
    """``wait_idle(page)``: wait until the page has nothing on its way from the worker (``page.busy``)."""

    def wait(page) -> None:
        qtbot.waitUntil(lambda: not page.busy, timeout=15_000)

    return wait


@pytest.fixture
def window_on(qtbot, app, runner):
    """``window_on(session)``: a main window on ``session``, 1366×768, shown, exposed and active."""
    def open_window(session) -> MainWindow:
        window = MainWindow(session, runner)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        with qtbot.waitExposed(window):
            window.showNormal()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        return window
    return open_window

