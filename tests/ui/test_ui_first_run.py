"""The first-run dialog: blank ledger, demo ledger, open another file, or quit."""

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QPushButton

from ledgerdesk.services import workspace
from ledgerdesk.ui.first_run import FirstRunDialog
from ledgerdesk.ui.tasks import TaskProgressDialog

SHOTS = Path("/tmp/ui-shots")


def make_dialog(qtbot, runner, path) -> FirstRunDialog:
    dialog = FirstRunDialog(path, runner)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    return dialog


def test_dialog_offers_the_four_choices(qtbot, runner, ledger_path):
    dialog = make_dialog(qtbot, runner, ledger_path)
    buttons = {button.text() for button in dialog.findChildren(QPushButton)}
    assert {"新建空白台账", "创建演示台账", "打开已有台账…", "退出"} <= buttons
    assert dialog.township_edit.text() == "示范镇"
    SHOTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "first-run-dialog.png"))


def test_new_blank_ledger_gets_the_township_name(qtbot, runner, ledger_path):
    dialog = make_dialog(qtbot, runner, ledger_path)
    dialog.township_edit.setText("青山镇")
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert ledger_path.exists()
    try:
        assert workspace.ledger_info(dialog.session).township == "青山镇"
    finally:
        dialog.session.close()


def test_enter_in_the_name_field_creates_the_ledger(qtbot, runner, ledger_path):
    dialog = make_dialog(qtbot, runner, ledger_path)
    qtbot.keyClick(dialog.township_edit, Qt.Key.Key_Return)
    assert dialog.session is not None
    try:
        assert workspace.ledger_info(dialog.session).township == "示范镇"
    finally:
        dialog.session.close()


def test_blank_name_is_refused(qtbot, runner, ledger_path, message_boxes):
    dialog = make_dialog(qtbot, runner, ledger_path)
    dialog.township_edit.setText("  ")
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert dialog.session is None and not ledger_path.exists()
    assert [text for _, text in message_boxes] == ["请填写乡镇或街道的名称。"]


def test_quit_leaves_no_ledger(qtbot, runner, ledger_path):
    dialog = make_dialog(qtbot, runner, ledger_path)
    qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.session is None and not ledger_path.exists()


def test_open_existing_ledger(qtbot, runner, tmp_path, monkeypatch):
    other = tmp_path / "other.sqlite3"
    workspace.create_ledger(other, township="白云镇").close()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(other), ""))
    dialog = make_dialog(qtbot, runner, tmp_path / "missing.sqlite3")
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    try:
        assert workspace.ledger_info(dialog.session).township == "白云镇"
    finally:
        dialog.session.close()


def test_opening_a_file_that_is_not_a_ledger_explains_and_stays(qtbot, runner, tmp_path, monkeypatch, message_boxes):
    junk = tmp_path / "notes.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(junk), ""))
    dialog = make_dialog(qtbot, runner, tmp_path / "missing.sqlite3")
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.session is None and dialog.isVisible()
    (_, text), = message_boxes
    assert "notes.sqlite3" in text and "Traceback" not in text


def test_cancelling_the_demo_leaves_no_file_and_keeps_the_dialog(qtbot, runner, ledger_path, message_boxes):
    """The real demo builder on the worker: progress shows in the dialog, 取消 stops it cleanly."""
    labels = []

    def cancel_once_progress_shows():
        progress = QApplication.activeModalWidget()
        if isinstance(progress, TaskProgressDialog) and progress.value() > 0:
            labels.append(progress.labelText())
            progress.grab().save(str(SHOTS / "demo-progress-dialog.png"))
            progress.findChild(QPushButton).click()
        else:
            QTimer.singleShot(10, cancel_once_progress_shows)

    SHOTS.mkdir(exist_ok=True)
    dialog = make_dialog(qtbot, runner, ledger_path)
    QTimer.singleShot(0, cancel_once_progress_shows)
    qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
    assert labels and labels[0].strip()
    assert dialog.session is None and dialog.isVisible()
    assert not ledger_path.exists()
    assert not list(ledger_path.parent.glob(f"{ledger_path.name}*"))  # no half-built file either
    assert message_boxes == []
