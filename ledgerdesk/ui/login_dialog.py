"""登录: who is working, asked at start when the ledger has accounts with passwords.

:class:`LoginDialog` ends accepted with :attr:`LoginDialog.session` (the
logged-in user's :class:`~ledgerdesk.services.session.Session`) or rejected
(退出) with none. A wrong user name or password, a disabled account and a
lockout (with the time left) are said inside the dialog, under the password
field; the password is cleared and may be typed again. Checking a password
takes about 0.2 s (argon2id); the dialog shows a wait cursor meanwhile.
"""

from __future__ import annotations

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

from ledgerdesk.core.errors import LedgerDeskError
from ledgerdesk.services import accounts, workspace
from ledgerdesk.services.session import Session

ERROR_STYLE = "color: #b42318; font-size: 12pt;"


class LoginDialog(QDialog):
    """用户名 + 密码, 登录 / 退出; :attr:`session` after a successful login."""

    def __init__(self, ledger, *, username: str = "", message: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ledger = ledger
        self.session: Session | None = None
        self.setWindowTitle(self.tr("登录 — LedgerDesk 基层治理台账"))
        self.setMinimumWidth(520)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 20)
        layout.setSpacing(12)
        info = workspace.ledger_info(Session(ledger))
        title = QLabel(self.tr("{township} 基层治理台账").format(township=info.township or self.tr("本乡镇")))
        title.setObjectName("loginTitle")
        title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        layout.addWidget(title)
        where = QLabel(self.tr("台账文件：{path}\n请输入您的用户名和密码。").format(path=info.path))
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(where)

        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.username_edit = QLineEdit(username)
        self.username_edit.setObjectName("username")
        self.username_edit.setMaxLength(accounts.MAX_USERNAME_LENGTH)
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setMaxLength(accounts.MAX_PASSWORD_LENGTH)
        form.addRow(self.tr("用户名："), self.username_edit)
        form.addRow(self.tr("密码："), self.password_edit)
        self.message_label = QLabel()
        self.message_label.setObjectName("loginMessage")
        self.message_label.setStyleSheet(ERROR_STYLE)
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        layout.addLayout(form)
        layout.addWidget(self.message_label)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.login_button = QPushButton(self.tr("登录"))
        self.login_button.setObjectName("primaryAction")
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self.submit)
        self.quit_button = QPushButton(self.tr("退出"))
        self.quit_button.setAutoDefault(False)
        self.quit_button.clicked.connect(self.reject)
        buttons.addWidget(self.login_button)
        buttons.addWidget(self.quit_button)
        layout.addLayout(buttons)

        if message:
            self.show_message(message)
        (self.password_edit if username else self.username_edit).setFocus()

    def message(self) -> str:
        """The message shown now ("" when none)."""
        return self.message_label.text() if not self.message_label.isHidden() else ""

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.show()
        self.password_edit.clear()
        self.password_edit.setFocus()
        self.layout().activate()
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))  # room for a wrapped message

    def submit(self) -> None:
        """登录: check the user name and password; on success the dialog ends accepted."""
        username, password = self.username_edit.text().strip(), self.password_edit.text()
        if not username:
            self.show_message(self.tr("请输入用户名。"))
            self.username_edit.setFocus()
            return
        if not password:
            self.show_message(self.tr("请输入密码。"))
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.session = accounts.login(self.ledger, username, password)
        except LedgerDeskError as exc:
            self.show_message(exc.message)
            return
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.accept()
