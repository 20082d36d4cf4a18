"""登录 at start (ui/login_dialog.py, ui/app.py): wrong password, lockout, success with the role in the status bar."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from ledgerdesk.services import accounts, registry, workspace
from ledgerdesk.store.database import Ledger
from ledgerdesk.ui.app import run_gui
from ledgerdesk.ui.login_dialog import LoginDialog
from ledgerdesk.ui.main_window import MainWindow

SHOTS = Path("/tmp/shots")
ADMIN_PW = "管理员口令-2026"
CLERK_PW = "clerk-pass-1"


@pytest.fixture
def login_ledger(ledger_path, clock, monkeypatch):
    """A ledger file with admin (password) and 张三, a 录入员 of 红旗村; no credentials in the environment."""
    monkeypatch.delenv("LEDGERDESK_USER", raising=False)
    monkeypatch.delenv("LEDGERDESK_PASSWORD", raising=False)
    s = workspace.create_ledger(ledger_path, township="测试镇", clock=clock)
    village = registry.create_village(s, name="红旗村")
    accounts.ensure_admin(s, ADMIN_PW)
    accounts.create_user(s, "zhang", display_name="张三", role="录入员", password=CLERK_PW, villages=[village])
    s.close()
    return ledger_path


@pytest.fixture
def dialog(qtbot, app, login_ledger, clock):
    ledger = Ledger.open(login_ledger, clock=clock)
    d = LoginDialog(ledger)
    qtbot.addWidget(d)
    with qtbot.waitExposed(d):
        d.show()
    yield d
    ledger.close()


def attempt(qtbot, d: LoginDialog, username: str, password: str) -> None:
    d.username_edit.setText(username)
    d.password_edit.setText(password)
    qtbot.mouseClick(d.login_button, Qt.MouseButton.LeftButton)


def test_wrong_password_is_said_in_the_dialog(qtbot, dialog):
    attempt(qtbot, dialog, "zhang", "not-the-password")
    assert dialog.message() == "用户名或密码不正确"
    assert dialog.session is None and dialog.isVisible()
    assert dialog.password_edit.text() == "" and dialog.username_edit.text() == "zhang"
    attempt(qtbot, dialog, "nobody", "not-the-password")
    assert dialog.message() == "用户名或密码不正确"  # unknown user: the same words
    attempt(qtbot, dialog, "zhang", "")
    assert dialog.message() == "请输入密码。"


def test_lockout_says_how_long_to_wait(qtbot, dialog, clock):
    for _ in range(5):
        attempt(qtbot, dialog, "zhang", "not-the-password")
    assert "已暂时锁定" in dialog.message() and "30 秒后再试" in dialog.message()
    clock.advance(seconds=12)
    attempt(qtbot, dialog, "zhang", CLERK_PW)  # the right password, still refused
    assert dialog.session is None and "18 秒后再试" in dialog.message()
    SHOTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "login-locked.png"))
    clock.advance(seconds=18)
    attempt(qtbot, dialog, "zhang", CLERK_PW)
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    assert (dialog.session.user, dialog.session.role) == ("zhang", "录入员")


def test_success_opens_the_window_with_the_role(app, login_ledger):
    """run_gui on a ledger with accounts: the login dialog first, then the main window of 张三 (录入员)."""
    seen: dict = {}

    def drive():
        modal = QApplication.activeModalWidget()
        if isinstance(modal, LoginDialog) and "dialog" not in seen:
            seen["dialog"] = True
            modal.username_edit.setText("zhang")
            modal.password_edit.setText("wrong-password")
            modal.login_button.click()
            seen["wrong"] = modal.message()
            SHOTS.mkdir(exist_ok=True)
            modal.grab().save(str(SHOTS / "login.png"))
            modal.password_edit.setText(CLERK_PW)
            modal.login_button.click()
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows:
            window = windows[0]
            seen["user"] = window.user_label.text()
            seen["session"] = (window.context.session.user, window.context.session.role,
                               window.context.session.villages is not None)
            accounts_page = window.page("accounts")
            seen["accounts_page"] = accounts_page.table is None  # a 录入员 gets no account list
            window.resize(1366, 768)
            window.grab().save(str(SHOTS / "login-main-window.png"))
            window.close()
            return
        QTimer.singleShot(20, drive)

    QTimer.singleShot(0, drive)
    assert run_gui(login_ledger) == 0
    assert seen["wrong"] == "用户名或密码不正确"
    assert seen["session"] == ("zhang", "录入员", True)
    assert seen["user"] == "当前用户：张三（zhang） · 录入员，限红旗村"
    assert seen["accounts_page"] is True


def test_quitting_the_login_ends_the_start(app, login_ledger):
    def drive():
        modal = QApplication.activeModalWidget()
        if isinstance(modal, LoginDialog):
            modal.quit_button.click()
            return
        QTimer.singleShot(20, drive)

    QTimer.singleShot(0, drive)
    assert run_gui(login_ledger) == 0
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]


def test_exit_after_ready_logs_in_from_the_environment(app, login_ledger, monkeypatch, capsys):
    assert run_gui(login_ledger, exit_after_ready=True) == 1  # no credentials: one line, no dialog
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "LEDGERDESK_USER" in err and err.strip().endswith("(login-required)")
    monkeypatch.setenv("LEDGERDESK_USER", "zhang")
    monkeypatch.setenv("LEDGERDESK_PASSWORD", "wrong-password")
    assert run_gui(login_ledger, exit_after_ready=True) == 1
    out, err = capsys.readouterr()
    assert err == "错误：用户名或密码不正确 (login-failed)\n"
    monkeypatch.setenv("LEDGERDESK_PASSWORD", CLERK_PW)
    assert run_gui(login_ledger, exit_after_ready=True) == 0
    assert capsys.readouterr().out.startswith("ready_ms=")


def test_right_credentials_in_the_environment_skip_the_dialog(app, login_ledger, monkeypatch):
    monkeypatch.setenv("LEDGERDESK_USER", "admin")
    monkeypatch.setenv("LEDGERDESK_PASSWORD", ADMIN_PW)
    seen = {}

    def drive():
        if isinstance(QApplication.activeModalWidget(), LoginDialog):
            seen["dialog"] = True
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows:
            seen["user"] = windows[0].user_label.text()
            windows[0].close()
            return
        QTimer.singleShot(20, drive)

    QTimer.singleShot(0, drive)
    assert run_gui(login_ledger) == 0
    assert "dialog" not in seen and seen["user"] == "当前用户：管理员（admin） · 管理员"


def test_a_ledger_without_passwords_opens_without_a_dialog(app, ledger_path, capsys, monkeypatch):
    monkeypatch.delenv("LEDGERDESK_USER", raising=False)
    monkeypatch.delenv("LEDGERDESK_PASSWORD", raising=False)
    s = workspace.create_ledger(ledger_path, township="测试镇")
    accounts.ensure_admin(s, None)  # a demo built without LEDGERDESK_PASSWORD
    s.close()
    assert run_gui(ledger_path, exit_after_ready=True) == 0
    assert capsys.readouterr().out.startswith("ready_ms=")
