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
