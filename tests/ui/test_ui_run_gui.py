"""run_gui, the entry point behind `ledgerdesk gui`: start-up, --exit-after-ready, failures."""

import re

from ledgerdesk.services import workspace
from ledgerdesk.ui.app import run_gui


def test_exit_after_ready_on_an_existing_ledger(app, ledger_path, capsys):
    workspace.create_ledger(ledger_path, township="测试镇").close()
    assert run_gui(ledger_path, exit_after_ready=True) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(r"ready_ms=\d+\n", out)
    assert err == ""


def test_ready_ms_counts_from_started_at(app, ledger_path, capsys):
    import time

    workspace.create_ledger(ledger_path, township="测试镇").close()
    assert run_gui(ledger_path, exit_after_ready=True, started_at=time.perf_counter() - 5) == 0
    assert int(capsys.readouterr().out.strip().removeprefix("ready_ms=")) >= 5000


def test_missing_ledger_with_exit_after_ready_is_one_error_line(app, tmp_path, capsys):
    assert run_gui(tmp_path / "missing.sqlite3", exit_after_ready=True) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "ledger-not-found" in err and "missing.sqlite3" in err


def test_file_that_is_not_a_ledger_is_refused(app, tmp_path, capsys):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 200)
    assert run_gui(junk, exit_after_ready=True) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "not-a-ledger" in err


def test_unreadable_ledger_shows_a_message_box_without_exit_after_ready(app, tmp_path, message_boxes):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 200)
    assert run_gui(junk) == 1
    (_, text), = message_boxes
    assert "junk.sqlite3" in text


def test_demo_is_built_where_the_ledger_is_missing(app, ledger_path, capsys):
    assert run_gui(ledger_path, exit_after_ready=True, demo=True) == 0
    assert re.fullmatch(r"ready_ms=\d+\n", capsys.readouterr().out)
    session = workspace.open_ledger(ledger_path)
    try:
        assert workspace.ledger_info(session).township
    finally:
        session.close()


def test_first_run_then_main_window_interactively(app, ledger_path):
    """No ledger, no flags: the first-run dialog, 新建空白台账, then the main window until it is closed."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from ledgerdesk.ui.first_run import FirstRunDialog
    from ledgerdesk.ui.main_window import MainWindow

    seen = []

    def drive():
        modal = QApplication.activeModalWidget()
        if isinstance(modal, FirstRunDialog) and "dialog" not in seen:
            seen.append("dialog")
            modal.township_edit.setText("青山镇")
            modal.new_button.click()
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows:
            seen.append(windows[0].windowTitle())
            windows[0].close()
            return
        QTimer.singleShot(20, drive)

    QTimer.singleShot(0, drive)
    assert run_gui(ledger_path) == 0
    assert seen == ["dialog", "LedgerDesk 基层治理台账 — 青山镇"]
    assert ledger_path.exists()
