"""备份与恢复: the backups of the open ledger, 立即备份, 恢复…, and the daily backup at start-up.

:class:`BackupPanel` sits on the 设置 page (the main window has no menu bar).
It lists the ledger's backups (time, kind, size, file) from
services/backup.py; 立即备份 and every restore run on the database worker
behind a progress dialog. A restore asks first, naming the file, its date
and that the current ledger is backed up before it is replaced; the service
then verifies the backup before anything changes. After a restore the
window closes (the user is told to open LedgerDesk again): the open session
still carries the replaced file's site id, accounts and key, so the ledger
is opened afresh through the normal start (login, passphrase, migration)
rather than swapped in place.

:func:`start_daily_backup` is what ui/app.py calls once the main window is
shown: the first start of the day backs the ledger up, on the worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.services import backup
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.lazy_table import Column, RowsModel
from ledgerdesk.ui.tasks import Task, TaskState, plain_job, run_with_progress

if TYPE_CHECKING:
    from ledgerdesk.services.session import Session
    from ledgerdesk.ui.pages import PageContext
    from ledgerdesk.ui.tasks import TaskRunner

BACKUP_FILTER = "LedgerDesk 备份 (*.ldbak);;所有文件 (*)"


def _tr(text: str) -> str:
    return QCoreApplication.translate("BackupPanel", text)


def backup_list_model(parent=None) -> RowsModel:
    """The backups, newest first: 备份时间 / 类型 / 大小 / 文件 (rows are ``backup.BackupInfo``, keyed by path)."""
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    return RowsModel((
        Column("taken_at", _tr("备份时间"), display=lambda b: f"{b.taken_at:%Y-%m-%d %H:%M:%S}"),
        Column("reason", _tr("类型"), display=lambda b: _tr(backup.reason_label(b.reason))),
        Column("size", _tr("大小"), align=right, display=lambda b: backup.human_size(b.size)),
        Column("path", _tr("文件"), display=lambda b: b.path.name),
    ), row_key="path", parent=parent)


class BackupPanel(QGroupBox):
    """备份与恢复 on the 设置 page."""

    backed_up = Signal(object)  # Path of the new backup
    restored = Signal(object)  # Path of the backup taken of the replaced ledger (or None)

    def __init__(self, context: "PageContext", parent: QWidget | None = None):
        super().__init__(parent)
        self.setTitle(self.tr("备份与恢复"))
        self.setObjectName("backupPanel")
        self.context = context
        self.session = context.session
        self.ledger_path = Path(context.info.path)
        self.folder = backup.backup_folder(self.ledger_path)
        self.may_restore = backup.may_restore(self.session)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        self.explain_label = QLabel()
        self.explain_label.setWordWrap(True)
        layout.addWidget(self.explain_label)

        self.model = backup_list_model(self)
        self.table = QTableView()
        self.table.setObjectName("backupTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setMinimumHeight(150)
        self.table.doubleClicked.connect(lambda _index: self.restore_selected())
        layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.backup_button = QPushButton(self.tr("立即备份"))
        self.backup_button.setObjectName("backupNow")
        self.backup_button.clicked.connect(lambda: self.backup_now())
        self.restore_button = QPushButton(self.tr("用所选备份恢复…"))
        self.restore_button.setObjectName("restoreSelected")
        self.restore_button.clicked.connect(lambda: self.restore_selected())
        self.restore_file_button = QPushButton(self.tr("从其他备份文件恢复…"))
        self.restore_file_button.clicked.connect(lambda: self.restore_from_file())
        self.folder_button = QPushButton(self.tr("打开备份文件夹"))
        self.folder_button.clicked.connect(self.open_folder)
        for button in (self.backup_button, self.restore_button, self.restore_file_button, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        if not self.may_restore:
            for button in (self.restore_button, self.restore_file_button):
                button.setToolTip(self.tr("只有管理员可以从备份恢复台账"))

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status_label)

        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.refresh()

    # -- the list ---------------------------------------------------------------------------------------

    def refresh(self, select: Path | None = None) -> None:
        """Re-read the backup folder (a directory listing; the keep count is one setting)."""
        keep = backup.keep_count(self.session)
        self.explain_label.setText(self.tr(
            "每次导入数据前、数据库升级前、恢复前，以及每天第一次打开本程序时，都会自动备份台账，"
            "保存在台账旁的“备份”文件夹（{folder}）。每日备份保留最新 {keep} 份，其他备份合计保留最新 {keep} 份。"
        ).format(folder=self.folder, keep=keep))
        self.model.set_rows(backup.list_backups(self.ledger_path))
        row = self.model.row_of(select) if select is not None else -1
        if row >= 0:
            self.table.selectRow(row)
        if self.model.rowCount() == 0:
            self.status_label.setText(self.tr("还没有备份。"))
        self._update_buttons()

    def selected(self) -> backup.BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        self.restore_button.setEnabled(self.may_restore and self.selected() is not None)
        self.restore_file_button.setEnabled(self.may_restore)

    def open_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.folder)))

    # -- backing up -------------------------------------------------------------------------------------

    def backup_now(self) -> Path | None:
        """立即备份 (手动), on the worker with progress; returns the new backup."""
        session = self.session

        def job(progress, cancel):
            try:
                return backup.backup_now(session, backup.MANUAL, progress=progress)
            finally:
                session.ledger.db.close()  # the worker thread's own connection

        task = run_with_progress(self.context.runner, job, title=self.tr("正在备份"), parent=self)
        if task.state is not TaskState.FINISHED or task.result is None:
            return None
        path = task.result
        self.refresh(select=path)
        self.status_label.setText(self.tr("已备份：{path}").format(path=path))
        self.backed_up.emit(path)
        return path

    # -- restoring --------------------------------------------------------------------------------------

    def restore_selected(self) -> bool:
        info = self.selected()
        return info is not None and self.restore_from(info.path)

    def restore_from_file(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择备份文件"), str(self.folder), self.tr(BACKUP_FILTER))
        return bool(path) and self.restore_from(Path(path))

    def confirm(self, info: backup.BackupInfo) -> bool:
        """Ask before replacing the ledger: which file, its date and kind, and what happens to the current one."""
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("从备份恢复台账"), self.tr(
            "用这份备份替换当前台账吗？\n\n"
            "备份文件：{name}\n备份时间：{time}（{kind}）\n大小：{size}\n\n"
            "恢复前会先检查这份备份是否完好，并把当前台账自动备份（“恢复前自动备份”），需要时可以再恢复回来。"
            "备份时间之后在本机所做的修改不会出现在恢复后的台账中。\n"
            "恢复完成后本程序将关闭，请重新打开。"
        ).format(name=info.path.name, time=f"{info.taken_at:%Y-%m-%d %H:%M}", kind=self.tr(backup.reason_label(
            info.reason)), size=backup.human_size(info.size)),
            QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self)
        box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 520px; }")  # the file name and the sentences on one line each
        box.button(QMessageBox.StandardButton.Ok).setText(self.tr("恢复"))
        box.button(QMessageBox.StandardButton.Cancel).setText(self.tr("取消"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Ok

    def restore_from(self, path: Path) -> bool:
        """Confirm, then restore ``path`` on the worker; on success tell the user and close the window."""
        if not self.may_restore:
            return False
        try:
            info = backup.backup_info(path)
        except OSError as exc:
            show_error(self, exc)
            return False
        if not self.confirm(info):
            return False
        session, ledger_path = self.session, self.ledger_path
        key = getattr(session.ledger, "cipher_key", None)
        backup.require_restore(session)
        session.ledger.db.close()  # this (GUI) thread's connection: the file is replaced under no one

        def job(progress, cancel):
            session.ledger.db.close()  # the worker thread's own connection
            return backup.restore(path, ledger_path, key=key, progress=progress, cancel=cancel)

        task = run_with_progress(self.context.runner, job, title=self.tr("正在从备份恢复"), parent=self)
        if task.state is not TaskState.FINISHED:
            self.refresh()
            self.status_label.setText(self.tr("没有恢复，台账未做任何改动。"))
            return False
        saved = task.result
        self.status_label.setText(self.tr("已从备份恢复。"))
        QMessageBox.information(self, self.tr("恢复完成"), self.tr(
            "已用备份“{name}”恢复台账。\n恢复前的台账已备份为：{saved}\n\n"
            "本程序现在关闭，请重新打开 LedgerDesk 继续工作。"
        ).format(name=info.path.name, saved=saved or self.tr("（原来没有台账文件）")))
        self.restored.emit(saved)
        window = self.window()
        if isinstance(window, QMainWindow):
            window.close()
        return True


def start_daily_backup(window: QMainWindow, session: "Session", runner: "TaskRunner") -> Task:
    """The daily backup on the worker if this is the day's first start (services/backup.daily_backup_if_due).

    Success shows in the status bar; a failure (disk full …) in a message box.
    """

    task = runner.submit(plain_job(session, backup.daily_backup_if_due))

    def done(path) -> None:
        if path is not None:
            window.statusBar().showMessage(window.tr("已完成今天的自动备份：{name}").format(name=Path(path).name),
                                           10_000)

    task.finished.connect(done)
    task.failed.connect(lambda exc: show_error(window, exc, window.tr("每日自动备份没有成功")))
    window.daily_backup_task = task  # kept alive with the window
    return task
