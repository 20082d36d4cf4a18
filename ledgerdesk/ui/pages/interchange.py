"""数据交换: sync by exported file between the township office, field laptops and the county.

On top, this machine's standing in the township's sync group (device name and kind,
township) and, in red, any sync alarm or clock warning. Three tabs below:

* 同步文件 — 导出同步文件 (save dialog, 完整导出, optionally for one device; written on
  the worker with progress), 导入同步文件 (preview on the worker →
  :class:`~ledgerdesk.ui.dialogs.sync_import.SyncImportDialog` → import), the
  已导入的文件 history and the 数据指纹 (computed on demand on the worker);
* 待核实 (n) — :class:`~ledgerdesk.ui.widgets.conflict_view.ConflictView`;
* 设备 — :class:`~ledgerdesk.ui.pages.interchange_devices.DevicesPanel`.

Everything shown is read by one worker job (:func:`interchange_jobs.load_overview`);
:attr:`InterchangePage.busy` is true while it runs. After an import or a settled
conflict the page reloads, emits :attr:`InterchangePage.data_changed` and asks the
window's other pages to re-read their data.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFrame, QGroupBox, QHBoxLayout, QLabel,
                               QMessageBox, QPushButton, QTabWidget, QVBoxLayout, QWidget)

from ledgerdesk.sync import digest, exchange
from ledgerdesk.ui.dialogs.sync_import import RED_BOX, SyncImportDialog
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.lazy_table import Column, RowsModel
from ledgerdesk.ui.pages.base import Page, selectable_label
from ledgerdesk.ui.pages.interchange_devices import DevicesPanel
from ledgerdesk.ui.pages.interchange_jobs import (SYNC_FILTER, Overview, default_sync_name, last_folder,
                                                  load_overview, may_edit, mono_font,
                                                  refresh_other_pages, remember_folder, role_label, sync_job, tr)
from ledgerdesk.ui.tasks import TaskState, plain_job, run_with_progress
from ledgerdesk.ui.widgets.common import RED_TEXT, RIGHT, page_shortcuts, run_modal
from ledgerdesk.ui.widgets.conflict_view import ConflictView
from ledgerdesk.ui.widgets.record_table import RecordTable

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

SYNC_TAB, CONFLICT_TAB, DEVICE_TAB = range(3)
MAX_ALARMS_SHOWN = 3


def file_columns() -> tuple[Column, ...]:
    return (Column("imported_at", tr("导入时间"), 150, display=lambda r: r.imported_at[:16]),
            Column("sender_name", tr("来自"), 170),
            Column("versions", tr("修改条数"), 80, align=RIGHT, display=lambda r: f"{r.versions:,}"),
            Column("new_versions", tr("本机新增"), 80, align=RIGHT, display=lambda r: f"{r.new_versions:,}"),
            Column("id", tr("文件编号")))


def group_hex(text: str) -> str:
    """A digest in groups of 8, four to a line, for reading aloud and comparing."""
    groups = [text[i:i + 8] for i in range(0, len(text), 8)]
    return "\n".join(" ".join(groups[i:i + 4]) for i in range(0, len(groups), 4))


class InterchangePage(Page):
    """The 数据交换 page (see the module docstring)."""

    loaded = Signal(object)  # the Overview, each time it has been read
    data_changed = Signal(object)  # an ImportReport or a settled conflict changed the ledger's data
    exported = Signal(object)  # ExportResult

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        self.context = context
        self.session = context.session
        self.overview: Overview | None = None
        self.clock_warning: str | None = None
        self.digest: str | None = None
        self._loading = False
        self._digesting = False
        self._generation = 0
        self._tasks: list = []
        self._shown_once = False
        self.set_subtitle(self.tr("用同步文件（U 盘、聊天软件附件）在乡镇办公室、下乡笔记本和县里之间交换台账数据；"
                                  "两边都改过的内容不会被悄悄覆盖，会列入“待核实”。"))
        self.body.addWidget(self._build_status())
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_sync_tab(), self.tr("同步文件"))
        self.conflict_view = ConflictView(context)
        self.conflict_view.changed.connect(self._conflict_settled)
        self.tabs.addTab(self.conflict_view, self.tr("待核实"))
        self.devices = DevicesPanel(context)
        self.devices.changed.connect(self.reload)
        self.tabs.addTab(self.devices, self.tr("设备"))
        self.body.addWidget(self.tabs, 1)
        page_shortcuts(self, ("F5", self.reload), ("Ctrl+E", self.export), ("Ctrl+I", self.open_import))
        self.reload()

    @property
    def busy(self) -> bool:
        """Something is on its way from the worker (the overview, the digest, a conflict being settled)."""
        return self._loading or self._digesting or self.conflict_view.busy

    # -- building -----------------------------------------------------------------------------------------

    def _build_status(self) -> QWidget:
        frame = QFrame()
        frame.setObjectName("countTile")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(4)
        top = QHBoxLayout()
        self.device_label = QLabel("")
        self.device_label.setStyleSheet("font-size: 13pt; font-weight: bold; color: #1f2933;")
        self.device_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top.addWidget(self.device_label, 1)
        self.refresh_button = QPushButton(self.tr("刷新 (F5)"))
        self.refresh_button.clicked.connect(self.reload)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)
        self.state_label = selectable_label("")
        self.state_label.setStyleSheet("font-size: 11pt; color: #52606d;")
        layout.addWidget(self.state_label)
        self.alarm_label = selectable_label("", "syncAlarm")
        self.alarm_label.setStyleSheet(RED_BOX + " font-size: 12pt; font-weight: bold;")
        self.alarm_label.hide()
        layout.addWidget(self.alarm_label)
        return frame

    def _build_sync_tab(self) -> QWidget:
        tab = QWidget()
        row = QHBoxLayout(tab)
        row.setContentsMargins(10, 10, 10, 10)
        row.setSpacing(14)
        left = QVBoxLayout()
        left.setSpacing(10)

        export_box = QGroupBox(self.tr("导出同步文件"))
        export_layout = QVBoxLayout(export_box)
        export_layout.addWidget(self._hint(self.tr("把本机的修改写成一个同步文件，用 U 盘或聊天软件带到其他电脑上导入。"
                                                   "平时只包含对方还没有的修改。")))
        choices = QHBoxLayout()
        choices.addWidget(QLabel(self.tr("发给：")))
        self.target_box = QComboBox()
        self.target_box.setMinimumWidth(180)
        self.target_box.addItem(self.tr("所有设备"), None)
        choices.addWidget(self.target_box)
        self.full_check = QCheckBox(self.tr("完整导出（给新设备或县里）"))
        self.full_check.setToolTip(self.tr("包含本机的全部数据，而不只是对方还没有的修改"))
        choices.addWidget(self.full_check)
        choices.addStretch(1)
        export_layout.addLayout(choices)
        self.export_button = QPushButton(self.tr("导出同步文件… (Ctrl+E)"))
        self.export_button.setObjectName("primaryAction")
        self.export_button.setEnabled(False)  # until the overview says this machine may export
        self.export_button.clicked.connect(lambda: self.export())
        export_layout.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignLeft)
        left.addWidget(export_box)

        import_box = QGroupBox(self.tr("导入同步文件"))
        import_layout = QVBoxLayout(import_box)
        import_layout.addWidget(self._hint(self.tr("导入其他电脑导出的同步文件（.ldsync）：先预览会有哪些改动，确认后再导入。"
                                                   "导入前自动备份；同一文件重复导入不会有任何改动。")))
        self.import_button = QPushButton(self.tr("导入同步文件… (Ctrl+I)"))
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(lambda: self.open_import())
        if not may_edit(self.session):
            self.import_button.setToolTip(self.tr("只读角色不能导入同步文件"))
        import_layout.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignLeft)
        left.addWidget(import_box)

        digest_box = QGroupBox(self.tr("数据指纹"))
        digest_layout = QVBoxLayout(digest_box)
        digest_layout.addWidget(self._hint(self.tr("两台电脑互相导入了对方的全部同步文件后，数据指纹应当完全相同。")))
        digest_row = QHBoxLayout()
        self.digest_button = QPushButton(self.tr("计算数据指纹"))
        self.digest_button.clicked.connect(self.compute_digest)
        digest_row.addWidget(self.digest_button, 0, Qt.AlignmentFlag.AlignTop)
        self.digest_label = selectable_label("")
        self.digest_label.setFont(mono_font(11))
        self.digest_label.setWordWrap(False)
        digest_row.addWidget(self.digest_label, 1)
        digest_layout.addLayout(digest_row)
        left.addWidget(digest_box)

        self.result_label = selectable_label("", "syncResult")
        self.result_label.setStyleSheet("font-size: 12pt; color: #1d5fa8;")
        left.addWidget(self.result_label)
        left.addStretch(1)
        row.addLayout(left, 5)

        files_box = QGroupBox(self.tr("已导入的文件"))
        files_layout = QVBoxLayout(files_box)
        self.files_model = RowsModel(file_columns(), parent=self)
        self.files_table = RecordTable(self.files_model, "interchange/files")
        files_layout.addWidget(self.files_table)
        row.addWidget(files_box, 6)
        return tab

    @staticmethod
    def _hint(text: str) -> QLabel:
        label = selectable_label(text)
        label.setStyleSheet("font-weight: normal; color: #52606d;")
        return label

    # -- loading ------------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._shown_once and not self._loading:
            self.reload()
        self._shown_once = True

    def reload(self, *_args) -> None:
        """Read the status, devices, alarms, files and open conflicts on the worker; then show them."""
        self._generation += 1
        generation = self._generation
        self._loading = True
        session = self.session
        task = self.context.runner.submit(plain_job(session, load_overview))
        self._tasks.append(task)

        def finished(overview: Overview) -> None:
            if generation == self._generation:
                self._loading = False
                self.show_overview(overview)

        def failed(error) -> None:
            if generation == self._generation:
                self._loading = False
                show_error(self, error)

        task.finished.connect(finished)
        task.failed.connect(failed)
        task.ended.connect(lambda: self._tasks.remove(task) if task in self._tasks else None)

    def show_overview(self, overview: Overview) -> None:
        self.overview = overview
        status = overview.status
        township = getattr(status, "township", None) or self.context.info.township or self.tr("本乡镇")
        if status.enrolled:
            name, role = status.device_name or "", role_label(status.role)
            who = self.tr("本机：{name}").format(name=name)
            if role and role != name:
                who += self.tr("（{role}）").format(role=role)
            who += f" · {township}"
            if status.is_authority:
                who += self.tr(" · 本乡镇同步中心")
            state = self.tr("已加入{township}的同步组：导出的同步文件只有本乡镇登记过的设备能打开。").format(township=township)
        else:
            who = self.tr("本机：尚未加入乡镇同步组 · {township}").format(township=township)
            state = self.tr("还不能导出或导入同步文件。请到“设备”：乡镇办公室添加设备，下乡笔记本加入乡镇。")
        self.device_label.setText(who)
        self.state_label.setText(state)
        self._show_alarms()
        usable = status.enrolled and not overview.key_problem
        self.export_button.setEnabled(usable)
        self.export_button.setToolTip("" if usable else overview.key_problem or self.tr("本机加入乡镇同步组后才能导出"))
        if may_edit(self.session):
            self.import_button.setEnabled(usable)
            self.import_button.setToolTip("" if usable else overview.key_problem or self.tr("本机加入乡镇同步组后才能导入"))
        keep = self.target_box.currentData()
        self.target_box.clear()
        self.target_box.addItem(self.tr("所有设备"), None)
        for device in overview.devices:
            if not device.is_self and not device.revoked_at:
                self.target_box.addItem(device.name, device.name)
        self.target_box.setCurrentIndex(max(0, self.target_box.findData(keep)) if keep else 0)
        self.files_model.set_rows(overview.files)
        self.conflict_view.set_conflicts(overview.conflicts, overview.open_count)
        self._show_conflict_count(overview.open_count)
        self.devices.set_state(status, overview.devices, overview.join_refusal)
        self.tabs.setTabText(DEVICE_TAB, self.tr("设备 ({n})").format(n=len(overview.devices))
                             if overview.devices else self.tr("设备"))
        self.loaded.emit(overview)

    def _show_conflict_count(self, count: int) -> None:
        self.tabs.setTabText(CONFLICT_TAB, self.tr("待核实 ({n})").format(n=count) if count else self.tr("待核实"))
        self.tabs.tabBar().setTabTextColor(CONFLICT_TAB, RED_TEXT if count else QColor("#1f2933"))

    def _show_alarms(self) -> None:
        lines = []
        if self.overview is not None and self.overview.key_problem:
            lines.append(self.tr("密钥：{text}").format(text=self.overview.key_problem))
        if self.clock_warning:
            lines.append(self.tr("时钟：{text}").format(text=self.clock_warning))
        alarms = self.overview.alarms if self.overview is not None else []
        for at, _kind, detail in alarms[:MAX_ALARMS_SHOWN]:
            lines.append(self.tr("同步报警（{at}）：{detail}").format(at=str(at)[:16], detail=detail))
        if len(alarms) > MAX_ALARMS_SHOWN:
            lines.append(self.tr("……另有 {n} 条较早的报警").format(n=len(alarms) - MAX_ALARMS_SHOWN))
        self.alarm_label.setText("\n".join(lines))
        self.alarm_label.setVisible(bool(lines))

    # -- export -------------------------------------------------------------------------------------------

    def export(self, path: str | None = None):
        """导出同步文件: ask where (unless ``path``), write it on the worker; the ExportResult, or None."""
        status = self.overview.status if self.overview is not None else None
        if status is None or not self.export_button.isEnabled():
            return None
        if path is None:
            name = default_sync_name(status.device_name, self.session.ledger.clock.now())
            path, _ = QFileDialog.getSaveFileName(self, self.tr("导出同步文件"), str(last_folder() / name),
                                                  self.tr(SYNC_FILTER))
            if not path:
                return None
            if not path.lower().endswith(".ldsync"):
                path += ".ldsync"
        remember_folder(path)
        job = sync_job(self.session, exchange.export_bundle, Path(path), full=self.full_check.isChecked(),
                       to=self.target_box.currentData())
        task = run_with_progress(self.context.runner, job, title=self.tr("正在导出同步文件"), parent=self)
        if task.state is not TaskState.FINISHED:
            return None
        result = task.result
        self.result_label.setText(result.message)
        self.exported.emit(result)
        QMessageBox.information(self, self.tr("导出完成"), self.tr("{message}\n保存在：{path}").format(
            message=result.message, path=result.path))
        return result

    # -- import -------------------------------------------------------------------------------------------

    def import_dialog(self, path: str | None = None) -> SyncImportDialog | None:
        """Preview a sync file on the worker and return its dialog (not yet shown); None when cancelled/failed."""
        if not self.import_button.isEnabled():
            return None
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("选择同步文件"), str(last_folder()),
                                                  self.tr(SYNC_FILTER))
            if not path:
                return None
        remember_folder(path)
        task = run_with_progress(self.context.runner, sync_job(self.session, exchange.preview_import, Path(path)),
                                 title=self.tr("正在检查同步文件"), parent=self)
        if task.state is not TaskState.FINISHED:
            return None
        report = task.result
        self._note_clock(report)
        dialog = SyncImportDialog(self.context, path, report, self)
        dialog.imported.connect(self.after_import)
        return dialog

    def open_import(self, path: str | None = None) -> None:
        run_modal(self.import_dialog(path))

    def after_import(self, report) -> None:
        self.result_label.setText(report.message)
        self._note_clock(report)
        self.reload()
        refresh_other_pages(self)
        self.data_changed.emit(report)

    def _note_clock(self, report) -> None:
        if report.clock_warning:
            self.clock_warning = report.clock_warning
            self._show_alarms()

    # -- conflicts and digest -----------------------------------------------------------------------------

    def _conflict_settled(self) -> None:
        self.digest = None
        self.digest_label.setText("")
        self.reload()
        refresh_other_pages(self)
        self.data_changed.emit(None)

    def compute_digest(self) -> None:
        """数据指纹 of the visible data, computed on the worker."""
        if self._digesting:
            return
        self._digesting = True
        self.digest_button.setEnabled(False)
        self.digest_label.setText(self.tr("正在计算…"))
        task = self.context.runner.submit(plain_job(self.session, digest.ledger_digest))
        self._tasks.append(task)

        def finished(value: str) -> None:
            self.digest = value
            self.digest_label.setText(group_hex(value))

        def failed(error) -> None:
            self.digest_label.setText("")
            show_error(self, error)

        def ended() -> None:
            self._digesting = False
            self.digest_button.setEnabled(True)
            if task in self._tasks:
                self._tasks.remove(task)

        task.finished.connect(finished)
        task.failed.connect(failed)
        task.ended.connect(ended)
