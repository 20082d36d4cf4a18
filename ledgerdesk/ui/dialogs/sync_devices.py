"""Enrolling devices in the township's sync group: 添加设备 (at the office) and 加入乡镇 (on a new ledger).

:class:`AddDeviceDialog` asks for the device's name and kind and where to save its
配对文件 (.ldkey), runs ``devices.add_device`` on the worker, then shows the pairing
code large, with what to do next. :class:`JoinDialog` takes a .ldkey file and its
pairing code and runs ``devices.join``. They emit ``enrolled`` / ``joined`` with the service's result.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QStackedWidget, QVBoxLayout, QWidget)

from ledgerdesk.sync import devices
from ledgerdesk.ui.pages.base import selectable_label
from ledgerdesk.ui.pages.interchange_jobs import KEY_FILTER, ROLE_LABELS, mono_font, safe_file_part
from ledgerdesk.ui.tasks import TaskState, plain_job, run_with_progress

ERROR_STYLE = "color: #b42318;"


def _path_row(edit: QLineEdit, button: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


class AddDeviceDialog(QDialog):
    """Name and kind of the new device → its .ldkey file → the pairing code, shown big."""

    enrolled = Signal(object)  # devices.Enrollment

    def __init__(self, context, folder: str | Path, *, creates_group: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.folder = Path(folder)
        self.enrollment = None
        self._path_touched = False
        self.setWindowTitle(self.tr("添加设备"))
        self.setMinimumWidth(660)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)
        self.stack.addWidget(self._form_page(creates_group))
        self.stack.addWidget(self._code_page())

    # -- step 1: the form -------------------------------------------------------------------------------

    def _form_page(self, creates_group: bool) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        intro = self.tr("为一台要和本机交换数据的电脑（如下乡用的笔记本）生成配对文件。"
                        "对方用配对文件和配对码加入本乡镇后，双方导出的同步文件才能互相导入。")
        if creates_group:
            intro += "\n" + self.tr("本台账还不属于任何乡镇同步组：添加第一台设备后，本机即成为本乡镇的同步中心（乡镇办公室）。")
        text = selectable_label(intro)
        text.setStyleSheet("font-size: 12pt;")
        layout.addWidget(text)
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(self.tr("如：牧区走访笔记本 1"))
        self.role_box = QComboBox()
        for role in ("laptop", "county", "office"):
            self.role_box.addItem(self.tr(ROLE_LABELS[role]), role)
        self.path_edit = QLineEdit()
        browse = QPushButton(self.tr("浏览…"))
        browse.clicked.connect(self.browse)
        form.addRow(self.tr("设备名称："), self.name_edit)
        form.addRow(self.tr("设备类别："), self.role_box)
        form.addRow(self.tr("配对文件保存到："), _path_row(self.path_edit, browse))
        layout.addLayout(form)
        self.error_label = QLabel("")
        self.error_label.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.create_button = QPushButton(self.tr("生成配对文件"))
        self.create_button.setObjectName("primaryAction")
        self.create_button.setDefault(True)
        cancel = QPushButton(self.tr("取消"))
        buttons.addWidget(self.create_button)
        buttons.addWidget(cancel)
        layout.addLayout(buttons)
        self.create_button.clicked.connect(self.create)
        cancel.clicked.connect(self.reject)
        self.name_edit.textChanged.connect(self._name_changed)
        self.path_edit.textEdited.connect(lambda _text: setattr(self, "_path_touched", True))
        self._name_changed("")
        return page

    def _name_changed(self, name: str) -> None:
        if not self._path_touched:
            self.path_edit.setText(str(self.folder / f"{safe_file_part(name.strip() or '新设备')}.ldkey"))

    def browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("保存配对文件"), self.path_edit.text(), self.tr(KEY_FILTER))
        if path:
            self._path_touched = True
            self.path_edit.setText(path if path.lower().endswith(".ldkey") else path + ".ldkey")

    def create(self) -> None:
        name, path = self.name_edit.text().strip(), self.path_edit.text().strip()
        if not name:
            self.error_label.setText(self.tr("请填写设备名称。"))
            self.name_edit.setFocus()
            return
        if not path:
            self.error_label.setText(self.tr("请选择配对文件保存的位置。"))
            return
        self.error_label.setText("")
        role = self.role_box.currentData()
        job = plain_job(self.context.session, devices.add_device, name, role=role, out=Path(path))
        task = run_with_progress(self.context.runner, job, title=self.tr("正在生成配对文件"), parent=self)
        if task.state is TaskState.FINISHED:
            self.show_code(task.result)
            self.enrolled.emit(task.result)

    # -- step 2: the pairing code -----------------------------------------------------------------------

    def _code_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        self.saved_label = selectable_label("")
        self.saved_label.setStyleSheet("font-size: 12pt;")
        layout.addWidget(self.saved_label)
        caption = QLabel(self.tr("配对码"))
        caption.setStyleSheet("font-size: 12pt; color: #52606d;")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(caption)
        self.code_label = selectable_label("", "pairingCode")
        self.code_label.setWordWrap(False)
        font = mono_font(30)
        font.setBold(True)
        font.setLetterSpacing(font.SpacingType.AbsoluteSpacing, 3)
        self.code_label.setFont(font)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setStyleSheet("color: #1d5fa8; background: white; border: 2px solid #1d5fa8;"
                                      "border-radius: 6px; padding: 14px 24px;")
        layout.addWidget(self.code_label)
        steps = selectable_label(self.tr(
            "接下来：\n"
            "1. 把配对文件复制到这台设备上（用 U 盘或聊天软件发送都可以）。\n"
            "2. 在这台设备上首次打开 LedgerDesk 时选择“用配对文件加入乡镇…”（已有空白台账的，可在 数据交换 → 设备 → 加入乡镇…），选择配对文件，输入上面的配对码。\n"
            "3. 配对码请当面或打电话告诉对方，不要和配对文件一起发送：只有文件、没有配对码，谁也打不开。\n"
            "4. 关闭本窗口后配对码不再显示。忘记了，就注销这台设备再重新添加。"))
        steps.setStyleSheet("font-size: 12pt; line-height: 150%;")
        layout.addWidget(steps)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        copy = QPushButton(self.tr("复制配对码"))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.code_label.text()))
        finish = QPushButton(self.tr("完成"))
        finish.setObjectName("primaryAction")
        finish.clicked.connect(self.accept)
        buttons.addWidget(copy)
        buttons.addWidget(finish)
        layout.addLayout(buttons)
        return page

    def show_code(self, enrollment) -> None:
        self.enrollment = enrollment
        self.setWindowTitle(self.tr("设备“{name}”的配对码").format(name=enrollment.name))
        role = self.tr(ROLE_LABELS.get(enrollment.role, enrollment.role))
        who = f"“{enrollment.name}”" + ("" if role == enrollment.name else f"（{role}）")
        self.saved_label.setText(self.tr("设备{who}的配对文件已保存到：\n{path}").format(who=who, path=enrollment.path))
        self.code_label.setText(enrollment.code)
        self.stack.setCurrentIndex(1)


class JoinDialog(QDialog):
    """加入乡镇: the .ldkey file from the office and its pairing code."""

    joined = Signal(object)  # devices.DeviceInfo

    def __init__(self, context, folder: str | Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.folder = Path(folder)
        self.info = None
        self.setWindowTitle(self.tr("加入乡镇"))
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(12)
        intro = selectable_label(self.tr("用乡镇办公室为本机生成的配对文件（.ldkey）和配对码加入本乡镇的同步组。"
                                         "加入后，本机和乡镇办公室就能用同步文件交换数据。"
                                         "只有新建、还没有录入数据的台账才能加入。"))
        intro.setStyleSheet("font-size: 12pt;")
        layout.addWidget(intro)
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(self.tr("选择 .ldkey 配对文件"))
        browse = QPushButton(self.tr("浏览…"))
        browse.clicked.connect(self.browse)
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText("1234-5678-9012")
        self.code_edit.setFont(mono_font(16))
        form.addRow(self.tr("配对文件："), _path_row(self.path_edit, browse))
        form.addRow(self.tr("配对码："), self.code_edit)
        layout.addLayout(form)
        self.error_label = QLabel("")
        self.error_label.setStyleSheet(ERROR_STYLE)
        layout.addWidget(self.error_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.join_button = QPushButton(self.tr("加入"))
        self.join_button.setObjectName("primaryAction")
        self.join_button.setDefault(True)
        cancel = QPushButton(self.tr("取消"))
        buttons.addWidget(self.join_button)
        buttons.addWidget(cancel)
        layout.addLayout(buttons)
        self.join_button.clicked.connect(self.join)
        cancel.clicked.connect(self.reject)

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择配对文件"), str(self.folder), self.tr(KEY_FILTER))
        if path:
            self.path_edit.setText(path)
            self.code_edit.setFocus()

    def join(self) -> None:
        path, code = self.path_edit.text().strip(), self.code_edit.text().strip()
        if not path or not code:
            self.error_label.setText(self.tr("请选择配对文件并输入配对码。"))
            return
        self.error_label.setText("")
        job = plain_job(self.context.session, devices.join, Path(path), code)
        task = run_with_progress(self.context.runner, job, title=self.tr("正在加入乡镇"), parent=self)
        if task.state is TaskState.FINISHED:
            self.info = task.result
            self.joined.emit(task.result)
            self.accept()
