"""The database passphrase of an encrypted ledger: asked before opening it, or chosen for a new one.

:func:`open_ledger_asking` opens a ledger file; when the file is encrypted
(services/encryption.py) the passphrase comes from LEDGERDESK_PASSPHRASE, else
from a small :class:`PassphraseDialog`. A wrong passphrase is said inside the
dialog and may be typed again; 取消 gives None. :func:`ask_new_passphrase`
asks for a new passphrase twice (新建空白台账 with 加密).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.core.errors import LedgerDeskError, ValidationError, WrongPassphraseError
from ledgerdesk.services import encryption, workspace
from ledgerdesk.services.session import Session


class PassphraseDialog(QDialog):
    """One passphrase field (open) or two (``new``); ends accepted with :attr:`passphrase` (and :attr:`opened`).

    Open mode: 打开 calls ``attempt(passphrase)``; a WrongPassphraseError is
    shown in the dialog, any other LedgerDeskError ends the dialog rejected
    with :attr:`error` set (the caller reports it).
    """

    def __init__(self, path: Path | None = None, *, new: bool = False,
                 attempt: Callable[[str], object] | None = None, error: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.new = new
        self.attempt = attempt
        self.passphrase: str | None = None
        self.opened = None
        self.error: LedgerDeskError | None = None
        self.setWindowTitle(self.tr("设置数据库密码") if new else self.tr("输入数据库密码"))
        self.setMinimumWidth(520)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(12)
        if new:
            text = self.tr("设置数据库密码后，台账文件加密保存：笔记本丢失，别人也读不出其中的内容。"
                           "每次打开台账都要输入这个密码（至少 {n} 个字符）。\n"
                           "请牢记并妥善保管：忘记密码，数据将无法找回。").format(n=encryption.MIN_PASSPHRASE_CHARS)
        else:
            text = self.tr("这个台账文件已加密，请输入数据库密码：\n{path}").format(path=path)
        intro = QLabel(text)
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(intro)

        form = QFormLayout()
        form.setHorizontalSpacing(12)
        self.passphrase_edit = self._password_field()
        form.addRow(self.tr("数据库密码："), self.passphrase_edit)
        self.repeat_edit: QLineEdit | None = None
        if new:
            self.repeat_edit = self._password_field()
            form.addRow(self.tr("再输入一次："), self.repeat_edit)
        layout.addLayout(form)

        self.message_label = QLabel(error or "")
        self.message_label.setObjectName("fieldError")
        self.message_label.setStyleSheet("color: #b3261e;")
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(bool(error))
        layout.addWidget(self.message_label)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.ok_button = QPushButton(self.tr("确定") if new else self.tr("打开"))
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.submit)
        self.cancel_button = QPushButton(self.tr("取消"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.ok_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.passphrase_edit.setFocus()

    def _password_field(self) -> QLineEdit:
        edit = QLineEdit()
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setMaxLength(256)
        return edit

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(True)
        self.passphrase_edit.setFocus()
        self.passphrase_edit.selectAll()

    def submit(self) -> None:
        passphrase = self.passphrase_edit.text()
        if not passphrase:
            self.show_message(self.tr("请输入数据库密码。"))
            return
        if self.new:
            if passphrase != self.repeat_edit.text():
                self.show_message(self.tr("两次输入的密码不一致，请重新输入。"))
                return
            try:
                encryption.check_new_passphrase(passphrase)
            except ValidationError as exc:
                self.show_message(exc.message)
                return
            self.passphrase = passphrase
            self.accept()
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the key derivation takes about 0.3 s
        try:
            self.opened = self.attempt(passphrase) if self.attempt else None
        except WrongPassphraseError:
            self.show_message(self.tr("数据库密码不正确，请重新输入。"))
            return
        except LedgerDeskError as exc:
            self.error = exc
            self.reject()
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.passphrase = passphrase
        self.accept()


def open_ledger_asking(path: Path, parent: QWidget | None = None) -> Session | None:
    """The session on the ledger at ``path``; None when the user cancelled the passphrase dialog.

    A plain ledger opens directly. An encrypted one opens with
    LEDGERDESK_PASSPHRASE when that is set and right, else the dialog asks.
    Other failures (missing file, not a ledger …) raise their LedgerDeskError.
    """
    path = Path(path)
    env = os.environ.get(encryption.ENV_PASSPHRASE) or None
    if not encryption.is_encrypted(path):
        return workspace.open_ledger(path, passphrase=env)
    error = None
    if env:
        try:
            return workspace.open_ledger(path, passphrase=env)
        except WrongPassphraseError as exc:
            error = exc.message
    dialog = PassphraseDialog(path, attempt=lambda passphrase: workspace.open_ledger(path, passphrase=passphrase),
                              error=error, parent=parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    dialog.deleteLater()
    if dialog.error is not None:
        raise dialog.error
    return dialog.opened if accepted else None


def ask_new_passphrase(parent: QWidget | None = None) -> str | None:
    """A new database passphrase typed twice (long enough); None when cancelled."""
    dialog = PassphraseDialog(new=True, parent=parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    dialog.deleteLater()
    return dialog.passphrase if accepted else None
