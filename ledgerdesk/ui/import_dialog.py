"""A reusable spreadsheet import dialog: choose a file → preview → 导入 / 仅导入有效行 → result.

:class:`ImportDialog` is parametrised by two service functions, so the roster,
problem-ledger and committee imports share it:

* ``plan(session, path, progress=, cancel=)`` returns a plan with ``counts``
  (``rows``, ``valid_rows``, ``error_rows``), ``errors`` and ``warnings``
  (:class:`~ledgerdesk.interchange.sheet.RowIssue`), ``summary_lines()`` and
  ``ok``; it writes nothing;
* ``apply(session, plan, only_valid=, progress=, cancel=)`` writes it in one
  transaction and returns a result with a Chinese ``message``.

Both run on the database worker (``context.runner``); the dialog shows their
progress inline with a 取消 button, and emits :attr:`ImportDialog.planned`
(the plan) and :attr:`ImportDialog.imported` (the result) on the GUI thread.
The jobs close the worker thread's database connection when they end.

``RosterImportDialog(context, parent)`` (= ``ImportDialog.for_roster``) is the
花名册 import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.tasks import Task, TaskState

PlanFn = Callable[..., Any]
ApplyFn = Callable[..., Any]

MAX_SHOWN_ISSUES = 5000  # the table shows this many; the count says how many there are


def plan_counts(plan) -> tuple[int, int, int]:
    """``(rows, valid_rows, error_rows)`` of any import plan (interchange.common.ImportPlan)."""
    return plan.row_counts()


class IssuesModel(QAbstractTableModel):
    """Row errors and warnings of a plan: 类别 / 行 / 列 / 单元格 / 原因."""

    HEADERS = ("类别", "行", "列", "单元格", "原因")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[tuple[str, Any]] = []

    def set_plan(self, plan) -> None:
        self.beginResetModel()
        rows = [(self.tr("错误"), e) for e in getattr(plan, "errors", ())]
        rows += [(self.tr("提醒"), w) for w in getattr(plan, "warnings", ())]
        self._rows = rows[:MAX_SHOWN_ISSUES]
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.HEADERS):
            return self.tr(self.HEADERS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        kind, issue = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (kind, str(issue.row), issue.column, issue.cell, issue.reason)[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == 4:
            return issue.reason
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 3):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def issue(self, row: int):
        return self._rows[row][1]


class ImportDialog(QDialog):
    """Choose an .xlsx, preview what the import would do, then import all-or-nothing or only the valid rows."""

    planned = Signal(object)  # the plan, after a preview
    imported = Signal(object)  # the result, after an import
    failed = Signal(object)  # the exception, after a failed preview or import (already shown)

    def __init__(self, context, plan: PlanFn, apply: ApplyFn, *, title: str, what: str = "",
                 parent: QWidget | None = None, template: Path | None = None):
        super().__init__(parent)
        self.context = context
        self._plan_fn, self._apply_fn = plan, apply
        self.plan: Any = None
        self.result: Any = None
        self._task: Task | None = None
        self._template = template
        self.setWindowTitle(title)
        self.setMinimumSize(860, 560)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        intro = QLabel(what or self.tr("选择 Excel 文件（.xlsx），先预览将要导入的内容，确认后再导入。"))
        intro.setWordWrap(True)
        layout.addWidget(intro)

        row = QHBoxLayout()
        file_label = QLabel(self.tr("文件："))
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(self.tr("选择或输入 .xlsx 文件路径"))
        file_label.setBuddy(self.path_edit)
        self.browse_button = QPushButton(self.tr("选择文件…"))
        self.preview_button = QPushButton(self.tr("预览"))
        row.addWidget(file_label)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        row.addWidget(self.preview_button)
        if template is not None:
            self.template_button = QPushButton(self.tr("保存空白模板…"))
            self.template_button.clicked.connect(self.save_template)
            row.addWidget(self.template_button)
        layout.addLayout(row)

        progress_row = QHBoxLayout()
        self.progress_label = QLabel("")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.cancel_button = QPushButton(self.tr("取消"))
        progress_row.addWidget(self.progress_label, 1)
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)

        self.summary_label = QLabel(self.tr("尚未预览。"))  # short lines; no word wrap, so its height fits them all
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label.setObjectName("importSummary")
        layout.addWidget(self.summary_label)

        self.issues_caption = QLabel("")
        layout.addWidget(self.issues_caption)
        self.issues_model = IssuesModel(self)
        self.issues_view = QTableView()
        self.issues_view.setModel(self.issues_model)
        self.issues_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.issues_view.setAlternatingRowColors(True)
        self.issues_view.verticalHeader().hide()
        header = self.issues_view.horizontalHeader()
        for col, width in enumerate((56, 64, 130, 72)):
            self.issues_view.setColumnWidth(col, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.issues_view, 1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.import_button = QPushButton(self.tr("导入"))
        self.import_button.setToolTip(self.tr("全部导入；有任何错误行时不导入任何数据"))
        self.valid_button = QPushButton(self.tr("仅导入有效行"))
        self.valid_button.setToolTip(self.tr("跳过有错误的行，导入其余各行"))
        self.close_button = QPushButton(self.tr("关闭"))
        for b in (self.import_button, self.valid_button, self.close_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)

        self.browse_button.clicked.connect(self.browse)
        self.preview_button.clicked.connect(self.start_plan)
        self.path_edit.returnPressed.connect(self.start_plan)
        self.path_edit.textChanged.connect(self._path_changed)
        self.cancel_button.clicked.connect(self.cancel_task)
        self.import_button.clicked.connect(lambda: self.start_apply(only_valid=False))
        self.valid_button.clicked.connect(lambda: self.start_apply(only_valid=True))
        self.close_button.clicked.connect(self.reject)
        self._set_busy(False)

    # -- construction for the known imports ------------------------------------------------------------

    @classmethod
    def for_roster(cls, context, parent: QWidget | None = None) -> "ImportDialog":
        from ledgerdesk.interchange.roster import apply_roster_import, plan_roster_import, template_path

        dialog = cls(context, plan_roster_import, apply_roster_import, parent=parent,
                     title=cls.tr_static("导入花名册"),
                     what=cls.tr_static("每行一个人。表头可在标题行下方，常见列名（如“公民身份号码”“联系方式”）都能识别；"
                                        "缺少的村（社区）、村民小组、网格会新建。重复导入同一文件只更新，不会重复。"),
                     template=template_path())
        return dialog

    @classmethod
    def for_ledger(cls, context, parent: QWidget | None = None) -> "ImportDialog":
        """导入问题台账: an existing Excel 台账, each row's steps rebuilt (书记、管理员)."""
        from ledgerdesk.interchange.ledger_xlsx import apply_ledger_import, plan_ledger_import

        return cls(context, plan_ledger_import, apply_ledger_import, parent=parent,
                   title=cls.tr_static("导入问题台账"),
                   what=cls.tr_static("每行一个问题（编号、标题、来源、村、登记日期、责任人、办理时限、状态、办结情况、"
                                      "群众评价等列）。按编号、工单号或“标题＋日期＋村”与已有问题对应：重复导入只补上"
                                      "后来的办理环节，不会重复登记。"))

    @classmethod
    def for_committees(cls, context, parent: QWidget | None = None) -> "ImportDialog":
        """导入六会: members (组织成员) and activities (活动记录) from Excel."""
        from ledgerdesk.interchange.committees import apply_committee_import, plan_committee_import, template_path

        return cls(context, plan_committee_import, apply_committee_import, parent=parent,
                   title=cls.tr_static("导入六会"),
                   what=cls.tr_static("按表头识别“组织成员”“活动记录”“组织”各表；人员按身份证号或本村姓名对应，"
                                      "尚未成立的组织会成立。重复导入同一文件不会重复。"),
                   template=template_path())

    @staticmethod
    def tr_static(text: str) -> str:
        from PySide6.QtCore import QCoreApplication

        return QCoreApplication.translate("ImportDialog", text)

    # -- actions -------------------------------------------------------------------------------------------

    @Slot()
    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择 Excel 文件"), self.path_edit.text(),
                                              self.tr("Excel 工作簿 (*.xlsx *.xlsm);;所有文件 (*)"))
        if path:
            self.path_edit.setText(path)
            self.start_plan()

    def set_path(self, path: str | Path) -> None:
        """Set the file (tests, drag and drop) without starting the preview."""
        self.path_edit.setText(str(path))

    @Slot()
    def save_template(self) -> None:
        import shutil

        target, _ = QFileDialog.getSaveFileName(self, self.tr("保存空白模板"), self._template.name,
                                                self.tr("Excel 工作簿 (*.xlsx)"))
        if target:
            try:
                shutil.copyfile(self._template, target)
            except OSError as exc:
                show_error(self, exc)

    @Slot()
    def start_plan(self) -> None:
        path = self.path_edit.text().strip()
        if not path or self._task is not None:
            return
        self.plan = None
        self._show_plan(None)
        session, plan_fn = self.context.session, self._plan_fn

        def job(progress, cancel):
            try:
                return plan_fn(session, path, progress=progress, cancel=cancel)
            finally:
                session.ledger.db.close()  # this worker thread's connection

        self._run(job, self._planned, self.tr("正在预览…"))

    def start_apply(self, *, only_valid: bool) -> None:
        if self.plan is None or self._task is not None:
            return
        session, apply_fn, plan = self.context.session, self._apply_fn, self.plan

        def job(progress, cancel):
            try:
                return apply_fn(session, plan, only_valid=only_valid, progress=progress, cancel=cancel)
            finally:
                session.ledger.db.close()

        self._run(job, self._applied, self.tr("正在导入…"))

    @Slot()
    def cancel_task(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self.progress_label.setText(self.tr("正在取消，请稍候…"))

    def _run(self, job, on_done: Callable[[Any], None], label: str) -> None:
        task = self.context.runner.submit(job)
        self._task = task
        self.progress_label.setText(label)
        self.progress_bar.setValue(0)
        self._set_busy(True)
        task.progressed.connect(self._progressed)
        task.finished.connect(on_done)
        task.failed.connect(self._failed)
        task.ended.connect(self._ended)

    @Slot(str, float)
    def _progressed(self, label: str, fraction: float) -> None:
        if self._task is not None and not self._task.cancel_requested():
            self.progress_label.setText(label)
        self.progress_bar.setValue(round(max(0.0, min(1.0, fraction)) * 1000))

    @Slot(object)
    def _planned(self, plan) -> None:
        self.plan = plan
        self._show_plan(plan)
        self.planned.emit(plan)

    @Slot(object)
    def _applied(self, result) -> None:
        self.result = result
        self.plan = None
        self.import_button.setEnabled(False)
        self.valid_button.setEnabled(False)
        self.summary_label.setText(result.message)
        self.imported.emit(result)
        QMessageBox.information(self, self.tr("导入完成"), result.message)

    @Slot(object)
    def _failed(self, exc) -> None:
        show_error(self, exc)
        self.failed.emit(exc)

    @Slot()
    def _ended(self) -> None:
        task, self._task = self._task, None
        state = task.state if task is not None else None
        self.progress_label.setText(self.tr("已取消") if state is TaskState.CANCELLED else "")
        self.progress_bar.setValue(1000 if state is TaskState.FINISHED else 0)
        self._set_busy(False)

    def _path_changed(self) -> None:
        if self.plan is not None:
            self.plan = None
            self._show_plan(None)

    # -- showing the plan ------------------------------------------------------------------------------------

    def _show_plan(self, plan) -> None:
        if plan is None:
            self.summary_label.setText(self.tr("尚未预览。"))
            self.issues_caption.setText("")
            self.issues_model.clear()
        else:
            lines = [line for line in plan.summary_lines(max_errors=0) if not line.startswith("错误 ")]
            if plan.errors:
                lines.append(self.tr("有 {n} 行存在错误：选择“导入”将不导入任何数据；可改正文件后重新预览，"
                                     "或选择“仅导入有效行”。").format(n=plan_counts(plan)[2]))
            elif plan_counts(plan)[1]:
                lines.append(self.tr("没有错误，可以导入。"))
            else:
                lines.append(self.tr("文件中没有可导入的数据行。"))
            self.summary_label.setText("\n".join(lines))
            self.issues_caption.setText(self.tr("错误 {e} 条，提醒 {w} 条：").format(
                e=len(plan.errors), w=len(plan.warnings)) if (plan.errors or plan.warnings) else "")
            self.issues_model.set_plan(plan)
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        plan = self.plan
        self.progress_bar.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.browse_button.setEnabled(not busy)
        self.preview_button.setEnabled(not busy)
        self.path_edit.setEnabled(not busy)
        has_rows = plan is not None and plan_counts(plan)[1] > 0
        self.import_button.setEnabled(not busy and has_rows and not plan.errors)
        self.valid_button.setEnabled(not busy and has_rows and bool(plan.errors))
        self.close_button.setEnabled(not busy)

    def reject(self) -> None:
        if self._task is not None:  # never leave while the worker writes
            self.cancel_task()
            return
        super().reject()


def RosterImportDialog(context, parent: QWidget | None = None) -> ImportDialog:  # noqa: N802 — reads as a class
    """The 花名册 import dialog."""
    return ImportDialog.for_roster(context, parent)
