"""设备: the township's enrolled devices; 添加设备 / 注销设备 at the office, 加入乡镇 on a new ledger.

Only the administrator manages devices, and only the group's authority (the township
office's ledger, or a ledger in no group yet, which becomes the authority with its first
device) adds and revokes them; the services enforce both, this panel also disables what
the role cannot do. After a change :attr:`DevicesPanel.changed` asks the page to reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ledgerdesk.sync import devices
from ledgerdesk.ui.dialogs.sync_devices import AddDeviceDialog, JoinDialog
from ledgerdesk.ui.lazy_table import Column, RowsModel
from ledgerdesk.ui.pages.base import selectable_label
from ledgerdesk.ui.pages.interchange_jobs import last_folder, may_manage_devices, role_label, tr
from ledgerdesk.ui.tasks import TaskState, plain_job, run_with_progress
from ledgerdesk.ui.widgets.common import RED_TEXT, confirm, run_modal
from ledgerdesk.ui.widgets.record_table import RecordTable


def _when(value: Any) -> str:
    if not value:
        return ""
    text = value.isoformat(" ") if hasattr(value, "isoformat") else str(value)
    return text.replace("T", " ")[:16]


@dataclass(frozen=True)
class DeviceRow:
    id: str
    name: str
    role: str
    enrolled_at: str
    revoked_at: str
    is_self: bool


def device_columns() -> tuple[Column, ...]:
    return (
        Column("name", tr("设备名称"), 220, display=lambda r: r.name + (tr("（本机）") if r.is_self else "")),
        Column("role", tr("类别"), 110, display=lambda r: role_label(r.role)),
        Column("enrolled_at", tr("登记时间"), 150),
        Column("revoked_at", tr("状态"), display=lambda r: tr("已注销（{at}）").format(at=r.revoked_at)
               if r.revoked_at else tr("在用"), foreground=lambda r: RED_TEXT if r.revoked_at else None),
    )


class DevicesPanel(QWidget):
    """The device list and the enrolment actions."""

    changed = Signal()

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.session = context.session
        self.status = None
        self.join_refusal: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        self.explain = selectable_label("")
        self.explain.setStyleSheet("font-size: 12pt;")
        layout.addWidget(self.explain)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(self.tr("添加设备…"))
        self.add_button.setObjectName("primaryAction")
        self.revoke_button = QPushButton(self.tr("注销设备…"))
        self.join_button = QPushButton(self.tr("加入乡镇…"))
        self.add_button.clicked.connect(self.open_add)
        self.revoke_button.clicked.connect(lambda: self.revoke_selected())
        self.join_button.clicked.connect(self.open_join)
        for button in (self.add_button, self.revoke_button, self.join_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.model = RowsModel(device_columns(), parent=self)
        self.table = RecordTable(self.model, "interchange/devices")
        self.table.selection_changed.connect(self._update_buttons)
        layout.addWidget(self.table, 1)

    def set_state(self, status, listed, join_refusal: str | None = None) -> None:
        self.status = status
        self.join_refusal = join_refusal
        self.model.set_rows([DeviceRow(d.id, d.name, d.role, _when(d.enrolled_at), _when(d.revoked_at), d.is_self)
                             for d in listed])
        if not status.enrolled:
            text = self.tr("本台账还没有加入乡镇的同步组。\n"
                           "· 乡镇办公室的电脑：点“添加设备…”为下乡笔记本等生成配对文件，本机即成为本乡镇的同步中心。\n"
                           "· 下乡笔记本（新建、还没有录入数据的台账）：点“加入乡镇…”，选择办公室给的配对文件并输入配对码。")
        elif status.is_authority:
            text = self.tr("本机是本乡镇的同步中心：在这里添加设备（生成配对文件和配对码）、注销丢失或停用的设备。"
                           "注销后，该设备导出的文件将被拒绝导入。")
        else:
            text = self.tr("设备由乡镇办公室添加和注销。这里列出本机知道的设备；注销的消息随同步文件传到各台设备。")
        if not status.enrolled and join_refusal:
            text += "\n" + self.tr("“加入乡镇”不可用：{reason}").format(reason=join_refusal)
        if not may_manage_devices(self.session):
            text += "\n" + self.tr("只有管理员可以管理设备。")
        self.explain.setText(text)
        self._update_buttons()

    def selected(self) -> DeviceRow | None:
        current = self.table.current_id()
        return self.model.held_row(current) if current else None

    def _update_buttons(self) -> None:
        status = self.status
        admin = may_manage_devices(self.session)
        authority = status is not None and (status.is_authority or not status.enrolled)
        self.add_button.setVisible(authority)
        self.revoke_button.setVisible(status is not None and status.is_authority)
        self.join_button.setVisible(status is not None and not status.enrolled)
        self.add_button.setEnabled(admin and authority)
        row = self.selected()
        self.revoke_button.setEnabled(admin and row is not None and not row.is_self and not row.revoked_at)
        self.join_button.setEnabled(admin and not self.join_refusal)
        denied = self.tr("只有管理员可以管理设备")
        for button in (self.add_button, self.revoke_button, self.join_button):
            button.setToolTip("" if admin else denied)
        if admin and self.join_refusal:
            self.join_button.setToolTip(self.join_refusal)

    # -- actions ----------------------------------------------------------------------------------------

    def add_dialog(self) -> AddDeviceDialog | None:
        """The 添加设备 dialog, not yet shown (None when this ledger or role may not add devices)."""
        if not self.add_button.isEnabled():
            return None
        creates = self.status is not None and not self.status.enrolled
        dialog = AddDeviceDialog(self.context, last_folder(), creates_group=creates, parent=self)
        dialog.enrolled.connect(lambda _e: self.changed.emit())
        return dialog

    def open_add(self) -> None:
        run_modal(self.add_dialog())

    def join_dialog(self) -> JoinDialog | None:
        if not self.join_button.isEnabled() or not self.join_button.isVisibleTo(self):
            return None
        dialog = JoinDialog(self.context, last_folder(), parent=self)
        dialog.joined.connect(lambda _info: self.changed.emit())
        return dialog

    def open_join(self) -> None:
        run_modal(self.join_dialog())

    def revoke_selected(self, *, ask: bool = True) -> bool:
        """注销 the selected device after a confirmation; True when it was revoked."""
        row = self.selected()
        if row is None or not self.revoke_button.isEnabled():
            return False
        if ask and not confirm(self, self.tr("注销设备"),
                               self.tr("注销设备“{name}”？\n注销后，它以后导出的同步文件将被拒绝导入；"
                                       "此操作不能撤销。设备丢失或停用时才需要注销。").format(name=row.name),
                               self.tr("注销")):
            return False
        task = run_with_progress(self.context.runner, plain_job(self.session, devices.revoke, row.name),
                                 title=self.tr("正在注销设备"), parent=self)
        if task.state is TaskState.FINISHED:
            self.changed.emit()
            return True
        return False
