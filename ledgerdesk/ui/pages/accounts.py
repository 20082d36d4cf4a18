"""账号管理: user accounts, their roles, the villages they are limited to, passwords (管理员 only).

The list shows every account (never a password); the actions are 新增账号,
修改角色和负责的村, 重置密码, 停用 / 启用. Each form shows a refused value in red
under its field (e.g. a password shorter than 8 characters) and saves
nothing. Other roles see only a sentence saying who may manage accounts: the
services refuse them anyway (services/accounts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
)

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.vocab import ROLES
from ledgerdesk.services import accounts, permissions
from ledgerdesk.services.registry_queries import villages as village_list
from ledgerdesk.ui.dialogs.field_form import FieldForm
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.lazy_table import Column, RowsModel
from ledgerdesk.ui.pages.base import Page, selectable_label
from ledgerdesk.ui.widgets.common import RED_TEXT, confirm
from ledgerdesk.ui.widgets.record_table import RecordTable

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

ROLE_HINTS = {
    "管理员": "全部操作，含账号管理",
    "书记": "交办、延期、退回、销号等决定；设立中心户和联户长",
    "录入员": "录入户籍、走访、六会和问题的登记、办理、办结；不能销号",
    "只读": "只能查看",
}


@dataclass(frozen=True)
class AccountRow:
    id: str  # the user name (unique among live accounts)
    display_name: str
    role: str
    villages: str
    active: bool
    has_password: bool


def account_columns(tr) -> tuple[Column, ...]:
    return (
        Column("id", tr("用户名"), 140),
        Column("display_name", tr("姓名"), 120),
        Column("role", tr("角色"), 90),
        Column("villages", tr("负责的村"), 260),
        Column("active", tr("状态"), 80, display=lambda r: tr("在用") if r.active else tr("已停用"),
               foreground=lambda r: None if r.active else RED_TEXT),
        Column("has_password", tr("密码"), display=lambda r: tr("已设置") if r.has_password else tr("未设置"),
               foreground=lambda r: None if r.has_password else RED_TEXT),
    )


class VillagePicker(QListWidget):
    """The ledger's villages with check boxes; none checked = every village."""

    def __init__(self, session, chosen=(), parent=None):
        super().__init__(parent)
        chosen = set(chosen)
        for v in village_list(session):
            item = QListWidgetItem(v.name)
            item.setData(Qt.ItemDataRole.UserRole, v.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if v.id in chosen else Qt.CheckState.Unchecked)
            self.addItem(item)
        self.setMinimumHeight(120)
        self.setMaximumHeight(180)

    def chosen(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked]

    def set_chosen(self, ids) -> None:
        ids = set(ids)
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in ids
                               else Qt.CheckState.Unchecked)


def _role_combo(current: str = "录入员") -> QComboBox:
    combo = QComboBox()
    for role in ROLES:
        combo.addItem(f"{role}（{ROLE_HINTS[role]}）", role)
    combo.setCurrentIndex(ROLES.index(current) if current in ROLES else 0)
    return combo


def _password_field() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMaxLength(accounts.MAX_PASSWORD_LENGTH)
    edit.setPlaceholderText(QCoreApplication.translate("AccountsPage", "至少 {n} 个字符").format(
        n=accounts.MIN_PASSWORD_LENGTH))
    return edit


def _check_repeat(password: str, repeat: str) -> None:
    accounts.check_password(password)
    if password != repeat:
        raise ValidationError("两次输入的密码不一致", field="repeat")


class NewAccountDialog(FieldForm):
    """新增账号: user name, name, role, villages, password twice."""

    def __init__(self, session, parent=None):
        super().__init__(self.tr("新增账号"), parent)
        self.session = session
        self.setMinimumWidth(560)
        self.username_edit = self.add_field("username", self.tr("用户名："), QLineEdit())
        self.display_name_edit = self.add_field("display_name", self.tr("姓名："), QLineEdit())
        self.role_combo = self.add_field("role", self.tr("角色："), _role_combo())
        self.villages = self.add_field("villages", self.tr("负责的村：\n（不选为全部）"), VillagePicker(session))
        self.password_edit = self.add_field("password", self.tr("密码："), _password_field())
        self.repeat_edit = self.add_field("repeat", self.tr("再输入一次："), _password_field())
        self.username = ""

    def save(self) -> bool:
        _check_repeat(self.password_edit.text(), self.repeat_edit.text())
        accounts.create_user(self.session, self.username_edit.text(), display_name=self.display_name_edit.text(),
                             role=self.role_combo.currentData(), password=self.password_edit.text(),
                             villages=self.villages.chosen())
        self.username = self.username_edit.text().strip()
        return True


class EditAccountDialog(FieldForm):
    """修改账号: name, role, villages of one account."""

    def __init__(self, session, user: accounts.UserInfo, parent=None):
        super().__init__(self.tr("修改账号“{name}”").format(name=user.username), parent)
        self.session = session
        self.user = user
        self.setMinimumWidth(560)
        self.display_name_edit = self.add_field("display_name", self.tr("姓名："), QLineEdit(user.display_name))
        self.role_combo = self.add_field("role", self.tr("角色："), _role_combo(user.role))
        self.villages = self.add_field("villages", self.tr("负责的村：\n（不选为全部）"),
                                       VillagePicker(session, user.village_ids))

    def save(self) -> bool:
        accounts.update_user(self.session, self.user.username, display_name=self.display_name_edit.text(),
                             role=self.role_combo.currentData(), villages=self.villages.chosen())
        return True


class PasswordDialog(FieldForm):
    """重置密码: the new password twice."""

    def __init__(self, session, username: str, parent=None):
        super().__init__(self.tr("重置“{name}”的密码").format(name=username), parent)
        self.session = session
        self.username = username
        self.setMinimumWidth(480)
        self.password_edit = self.add_field("password", self.tr("新密码："), _password_field())
        self.repeat_edit = self.add_field("repeat", self.tr("再输入一次："), _password_field())

    def save(self) -> bool:
        _check_repeat(self.password_edit.text(), self.repeat_edit.text())
        accounts.set_password(self.session, self.username, self.password_edit.text())
        return True


class AccountsPage(Page):
    """The account list and its actions; for administrators only."""

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        self.context = context
        self.session = context.session
        self.is_admin = self.session.role in permissions.ACCOUNT_ADMINS
        self.users: dict[str, accounts.UserInfo] = {}
        self.notice = selectable_label("", "notice")
        self.body.addWidget(self.notice)
        self.notice.hide()
        if not self.is_admin:
            self.set_subtitle(self.tr("只有管理员可以新增账号、更改角色和负责的村、重置密码、停用账号。"))
            who = QLabel(self.tr("当前用户：{who}").format(who=accounts.describe_session(self.session)))
            who.setObjectName("currentUser")
            self.body.addWidget(who)
            self.body.addStretch(1)
            self.table = None
            return
        self.set_subtitle(self.tr("每人一个账号：录入员录入，书记审核和销号，只读账号只能查看；"
                                  "可限定只负责某几个村。连续输错 5 次密码的账号会被暂时锁定。"))
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("新增账号…"))
        self.add_button.setObjectName("primaryAction")
        self.edit_button = QPushButton(self.tr("修改角色和负责的村…"))
        self.password_button = QPushButton(self.tr("重置密码…"))
        self.disable_button = QPushButton(self.tr("停用"))
        self.enable_button = QPushButton(self.tr("启用"))
        self.add_button.clicked.connect(lambda: self.add_account())
        self.edit_button.clicked.connect(lambda: self.edit_selected())
        self.password_button.clicked.connect(lambda: self.reset_password())
        self.disable_button.clicked.connect(lambda: self.set_active(False))
        self.enable_button.clicked.connect(lambda: self.set_active(True))
        for button in (self.add_button, self.edit_button, self.password_button, self.disable_button,
                       self.enable_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.body.addLayout(buttons)
        self.model = RowsModel(account_columns(self.tr), parent=self)
        self.table = RecordTable(self.model, "accounts/list")
        self.table.selection_changed.connect(self._update_buttons)
        self.table.opened.connect(lambda _id: self.edit_selected())
        self.body.addWidget(self.table, 1)
        self.reload()

    # -- data ----------------------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        if not self.is_admin:
            return
        users = accounts.list_users(self.session)
        self.users = {u.username: u for u in users}
        self.model.set_rows([AccountRow(u.username, u.display_name, u.role, u.villages, u.active, u.has_password)
                             for u in users])
        if not accounts.has_login(self.session.ledger):
            self.notice.setText(self.tr("本台账还没有设置登录密码：任何人打开都以管理员身份工作。"
                                        "请选中 admin，点“重置密码…”为它设置密码；此后每次打开都要登录。"))
            self.notice.show()
        else:
            self.notice.hide()
        if select:
            self.table.select_ids([select])
        self._update_buttons()

    def selected(self) -> accounts.UserInfo | None:
        current = self.table.current_id() if self.table is not None else None
        return self.users.get(current) if current else None

    def _update_buttons(self) -> None:
        user = self.selected()
        mine = user is not None and user.username == self.session.user
        self.edit_button.setEnabled(user is not None)
        self.password_button.setEnabled(user is not None)
        self.disable_button.setEnabled(user is not None and user.active and not mine)
        self.enable_button.setEnabled(user is not None and not user.active)

    # -- actions --------------------------------------------------------------------------------------

    def new_dialog(self) -> NewAccountDialog:
        return NewAccountDialog(self.session, self)

    def add_account(self) -> None:
        dialog = self.new_dialog()
        if dialog.exec():
            self.reload(dialog.username)
        dialog.deleteLater()

    def edit_dialog(self) -> EditAccountDialog | None:
        user = self.selected()
        return EditAccountDialog(self.session, user, self) if user is not None else None

    def edit_selected(self) -> None:
        dialog = self.edit_dialog()
        if dialog is not None:
            if dialog.exec():
                self.reload(dialog.user.username)
            dialog.deleteLater()

    def password_dialog(self) -> PasswordDialog | None:
        user = self.selected()
        return PasswordDialog(self.session, user.username, self) if user is not None else None

    def reset_password(self) -> None:
        dialog = self.password_dialog()
        if dialog is not None:
            if dialog.exec():
                self.reload(dialog.username)
            dialog.deleteLater()

    def set_active(self, active: bool, *, ask: bool = True) -> bool:
        """停用 / 启用 the selected account (停用 after a confirmation); True when it changed."""
        user = self.selected()
        if user is None or user.active == active:
            return False
        if not active and ask and not confirm(
                self, self.tr("停用账号"),
                self.tr("停用账号“{name}”？\n停用后不能再登录；其录入的记录保留，以后可以重新启用。").format(
                    name=user.username), self.tr("停用")):
            return False
        try:
            (accounts.activate_user if active else accounts.deactivate_user)(self.session, user.username)
        except Exception as exc:  # noqa: BLE001 — a LedgerDeskError says why; anything else is logged
            show_error(self, exc)
            return False
        self.reload(user.username)
        return True
