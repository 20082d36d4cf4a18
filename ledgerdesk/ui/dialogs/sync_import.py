"""导入同步文件: what a previewed sync file would change, then 导入 → the same figures, applied.

The page previews the file on the worker (``exchange.preview_import``: the whole merge,
rolled back) and opens :class:`SyncImportDialog` with the report. 导入 runs
``exchange.import_bundle`` on the worker behind a progress dialog (backup first, one
transaction) and shows what it did; :attr:`SyncImportDialog.imported` carries the report.
A file imported before shows its message and offers no 导入.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ledgerdesk.sync import exchange
from ledgerdesk.ui.pages.base import selectable_label
from ledgerdesk.ui.pages.interchange_jobs import may_edit, sync_job
from ledgerdesk.ui.tasks import TaskState, run_with_progress

RED_BOX = "color: #b42318; background: #fdecea; border: 1px solid #f4b4ad; border-radius: 4px; padding: 6px 10px;"
AMBER_BOX = "color: #7a4b00; background: #fff4d6; border: 1px solid #f0d58c; border-radius: 4px; padding: 6px 10px;"


class SyncImportDialog(QDialog):
    """The preview of one sync file; 导入 applies it."""

    imported = Signal(object)  # ImportReport, after a successful import

    def __init__(self, context, path: str | Path, report, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.path = Path(path)
        self.report = report
        self.applied = None
        self.setWindowTitle(self.tr("导入同步文件"))
        self.setMinimumWidth(640)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(12)
        self.source_label = selectable_label("")
        self.source_label.setStyleSheet("font-size: 12pt;")
        layout.addWidget(self.source_label)

        self.figures = QFrame()
        self.figures.setObjectName("countTile")
        grid = QGridLayout(self.figures)
        grid.setContentsMargins(14, 10, 14, 10)
        grid.setHorizontalSpacing(28)
        grid.setVerticalSpacing(4)
        self.values: dict[str, QLabel] = {}
        items = (("created", self.tr("新增记录")), ("updated", self.tr("更新记录")),
                 ("conflicts", self.tr("冲突待核实")), ("held", self.tr("等待更早文件")),
                 ("new_versions", self.tr("本机没有的修改")), ("versions", self.tr("文件中的修改")))
        for n, (key, caption) in enumerate(items):
            value = QLabel("0")
            value.setObjectName("countValue")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label = QLabel(caption)
            label.setObjectName("countLabel")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(value, 0 if n < 4 else 2, n % 4)
            grid.addWidget(label, 1 if n < 4 else 3, n % 4)
            self.values[key] = value
        layout.addWidget(self.figures)

        self.message_label = selectable_label("")
        self.message_label.setStyleSheet("font-size: 12pt;")
        layout.addWidget(self.message_label)
        self.alarm_label = selectable_label("")
        self.alarm_label.setStyleSheet(RED_BOX)
        layout.addWidget(self.alarm_label)
        self.note_label = selectable_label("")
        self.note_label.setStyleSheet(AMBER_BOX)
        layout.addWidget(self.note_label)
        self.hint_label = selectable_label(self.tr(
            "导入前会自动备份台账。两边都改过的内容不会被覆盖：双方的值都保留，列入“待核实”由您确认。"))
        self.hint_label.setObjectName("pageSubtitle")
        layout.addWidget(self.hint_label)
        layout.addStretch(1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.import_button = QPushButton(self.tr("导入"))
        self.import_button.setObjectName("primaryAction")
        self.import_button.setDefault(True)
        self.close_button = QPushButton(self.tr("取消"))
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.import_button.clicked.connect(self.start_import)
        self.close_button.clicked.connect(self.reject)
        if not may_edit(context.session):
            self.import_button.setEnabled(False)
            self.import_button.setToolTip(self.tr("只读角色不能导入同步文件"))
        self._show(report)

    def _show(self, report) -> None:
        sender = report.sender_name or self.tr("未知设备")
        self.source_label.setText(self.tr("文件：{name}\n来自：{sender}").format(name=self.path.name, sender=sender))
        done = report.already_imported or report.applied
        self.figures.setVisible(not report.already_imported)
        for key, label in self.values.items():
            value = getattr(report, key, 0) or 0
            label.setText(f"{value:,}")
            colour = "#b42318" if key == "conflicts" and value else "#a15c00" if key == "held" and value else ""
            label.setStyleSheet(f"color: {colour};" if colour else "")
        message = report.message
        if report.applied and report.backup:
            message += "\n" + self.tr("导入前的备份：{path}").format(path=report.backup)
        self.message_label.setText(message)
        alarms = list(report.alarms)
        self.alarm_label.setText("\n".join(alarms))
        self.alarm_label.setVisible(bool(alarms))
        notes = [gap.describe() for gap in report.gaps]
        if report.clock_warning:
            notes.append(report.clock_warning)
        self.note_label.setText("\n".join(notes))
        self.note_label.setVisible(bool(notes))
        self.hint_label.setVisible(not done)
        self.import_button.setVisible(not done)
        self.close_button.setText(self.tr("关闭") if done else self.tr("取消"))
        self.setWindowTitle(self.tr("已导入同步文件") if report.applied else self.tr("导入同步文件"))
        self.adjustSize()

    def start_import(self) -> None:
        """Apply the file on the worker (progress dialog); show what it did and emit :attr:`imported`."""
        if self.report.already_imported or self.applied is not None:
            return
        task = run_with_progress(self.context.runner, sync_job(self.context.session, exchange.import_bundle, self.path),
                                 title=self.tr("正在导入同步文件"), parent=self)
        if task.state is not TaskState.FINISHED:
            return
        self.applied = self.report = task.result
        self._show(task.result)
        self.imported.emit(task.result)
