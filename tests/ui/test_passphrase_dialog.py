"""The database passphrase dialog: asked before an encrypted ledger opens, chosen for a new encrypted ledger."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from ledgerdesk.core.errors import NotALedgerError
from ledgerdesk.services import workspace
from ledgerdesk.services.encryption import is_encrypted
from ledgerdesk.ui.first_run import FirstRunDialog
from ledgerdesk.ui.passphrase_dialog import PassphraseDialog, ask_new_passphrase, open_ledger_asking

PASS = "乌兰镇 2026 台账"
SHOTS = Path("/tmp/ui-shots")


@pytest.fixture(autouse=True)
def no_env_passphrase(monkeypatch):
    monkeypatch.delenv("LEDGERDESK_PASSPHRASE", raising=False)


@pytest.fixture
def encrypted_path(tmp_path, clock):
    path = tmp_path / "enc.sqlite3"
    workspace.create_ledger(path, township="乌兰镇", clock=clock, passphrase=PASS).close()
    return path


def answer(steps: list, seen: list) -> None:
    """From the event loop, run each step(dialog) on the modal PassphraseDialog in turn (records each dialog)."""

    def act():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, PassphraseDialog) or not dialog.isVisible():
            QTimer.singleShot(20, act)
            return
        seen.append(dialog)
        steps.pop(0)(dialog)
        if steps:
            QTimer.singleShot(20, act)

    QTimer.singleShot(0, act)


def type_and_open(text: str, repeat: str | None = None):
    def step(dialog: PassphraseDialog):
        dialog.passphrase_edit.setText(text)
        if dialog.repeat_edit is not None:
            dialog.repeat_edit.setText(text if repeat is None else repeat)
        dialog.ok_button.click()

    return step


def test_open_dialog_looks_right(qtbot, app, encrypted_path):
    dialog = PassphraseDialog(encrypted_path, attempt=lambda p: None, error="数据库密码不正确，请重新输入。")
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    assert dialog.passphrase_edit.echoMode() == dialog.passphrase_edit.EchoMode.Password
    assert dialog.message_label.isVisible()
    SHOTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "passphrase-open.png"))
    new = PassphraseDialog(new=True)
    qtbot.addWidget(new)
    with qtbot.waitExposed(new):
        new.show()
    assert new.repeat_edit is not None
    assert new.grab().save(str(SHOTS / "passphrase-new.png"))


def test_a_wrong_passphrase_is_said_in_the_dialog_and_may_be_typed_again(qtbot, app, encrypted_path):
    seen = []

    def wrong_then_check(dialog):
        type_and_open("不是这个密码啊")(dialog)
        assert dialog.isVisible() and dialog.message_label.text() == "数据库密码不正确，请重新输入。"

    answer([wrong_then_check, type_and_open(PASS)], seen)
    session = open_ledger_asking(encrypted_path)
    try:
        assert session is not None and session.ledger.encrypted
        assert workspace.ledger_info(session).township == "乌兰镇"
        assert len(seen) == 2 and seen[0] is seen[1]  # one dialog, asked twice
    finally:
        session.close()


def test_cancel_opens_nothing(qtbot, app, encrypted_path):
    answer([lambda dialog: dialog.cancel_button.click()], [])
    assert open_ledger_asking(encrypted_path) is None


def test_the_environment_passphrase_is_used_without_asking(qtbot, app, encrypted_path, monkeypatch):
    monkeypatch.setenv("LEDGERDESK_PASSPHRASE", PASS)
    session = open_ledger_asking(encrypted_path)
    assert session is not None
    session.close()


def test_a_wrong_environment_passphrase_leads_to_the_dialog(qtbot, app, encrypted_path, monkeypatch):
    monkeypatch.setenv("LEDGERDESK_PASSPHRASE", "环境变量里的错密码")
    seen = []

    def check_then_type(dialog):
        assert dialog.message_label.isVisible() and "不正确" in dialog.message_label.text()
        type_and_open(PASS)(dialog)

    answer([check_then_type], seen)
    session = open_ledger_asking(encrypted_path)
    assert session is not None and seen
    session.close()


def test_plain_ledgers_open_without_a_dialog_and_bad_files_raise(qtbot, app, tmp_path):
    plain = tmp_path / "plain.sqlite3"
    workspace.create_ledger(plain).close()
    session = open_ledger_asking(plain)
    assert session is not None and not session.ledger.encrypted
    session.close()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(NotALedgerError):
        open_ledger_asking(junk)


def test_a_new_passphrase_must_match_and_be_long_enough(qtbot, app):
    seen = []

    def mismatch(dialog):
        type_and_open("第一个密码一二三", "第一个密码一二四")(dialog)
        assert dialog.isVisible() and "不一致" in dialog.message_label.text()

    def too_short(dialog):
        type_and_open("短密码")(dialog)
        assert dialog.isVisible() and "至少" in dialog.message_label.text()

    answer([mismatch, too_short, type_and_open(PASS)], seen)
    assert ask_new_passphrase() == PASS


def test_first_run_creates_an_encrypted_blank_ledger(qtbot, app, runner, ledger_path):
    dialog = FirstRunDialog(ledger_path, runner)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    SHOTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "first-run-encrypt.png"))
    dialog.encrypt_check.setChecked(True)
    answer([lambda d: d.cancel_button.click()], [])
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert dialog.session is None and not ledger_path.exists()  # cancelled: nothing made

    answer([type_and_open(PASS)], [])
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    try:
        assert dialog.session.ledger.encrypted and is_encrypted(ledger_path)
    finally:
        dialog.session.close()
