"""First run: there is no ledger file yet — make a blank one, build the demo, open another, or quit.

:class:`FirstRunDialog` ends accepted with :attr:`FirstRunDialog.session` set
to the open ledger the user chose, or rejected (退出) with no session.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.services import workspace
from ledgerdesk.services.session import Session
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.tasks import Job, TaskRunner, TaskState, run_with_progress

DEMO_SCALE = "township"
DEMO_SEED = 1
LEDGER_FILE_FILTER = QT_TRANSLATE_NOOP("FirstRunDialog", "台账文件 (*.sqlite3 *.sqlite *.db);;所有文件 (*)")


def demo_job(path: Path) -> Job:
    """A worker job that builds the township demo ledger at ``path`` (and closes it on that thread)."""

    def job(progress, cancel) -> None:
        from ledgerdesk.services.demo import create_demo_ledger  # only needed on this path

        create_demo_ledger(path, scale=DEMO_SCALE, seed=DEMO_SEED, progress=progress, cancel=cancel).close()

    return job


def build_demo_with_progress(runner: TaskRunner, path: Path, parent: QWidget | None = None) -> TaskState:
    """Build the demo ledger at ``path`` behind a progress dialog with 取消; failures are already shown."""
    title = QCoreApplication.translate("FirstRunDialog", "正在创建演示台账")
    return run_with_progress(runner, demo_job(path), title=title, parent=parent).state


class FirstRunDialog(QDialog):
    """Offers 新建空白台账 / 创建演示台账 / 打开已有台账… / 退出 for a ledger path that does not exist."""

    def __init__(self, path: Path, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.runner = runner
        self.session: Session | None = None
        self.setWindowTitle(self.tr("LedgerDesk 基层治理台账 — 开始使用"))
        self.setMinimumWidth(680)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 22)
        layout.setSpacing(14)
        heading = QLabel(self.tr("欢迎使用 LedgerDesk 基层治理台账"))
        heading.setObjectName("pageTitle")
        layout.addWidget(heading)
        where = QLabel(self.tr("这台电脑上还没有台账文件。新台账将保存在：\n{path}").format(path=self.path))
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(where)

        blank = QGroupBox(self.tr("新建空白台账"))
        blank_row = QHBoxLayout(blank)
        name_label = QLabel(self.tr("乡镇/街道名称："))
        self.township_edit = QLineEdit(workspace.DEFAULT_TOWNSHIP)
        self.township_edit.selectAll()
        name_label.setBuddy(self.township_edit)
        self.new_button = self._choice_button(self.tr("新建空白台账"), self.create_blank)
        blank_row.addWidget(name_label)
        blank_row.addWidget(self.township_edit, 1)
        blank_row.addWidget(self.new_button)
        layout.addWidget(blank)

        demo = QGroupBox(self.tr("先看看演示"))
        demo_row = QHBoxLayout(demo)
        demo_text = QLabel(self.tr("生成一个虚构的示范乡镇（约 1.2 万户、4 万人），用来熟悉软件。"
                                   "需要一些时间，可以随时取消。"))
        demo_text.setWordWrap(True)
        self.demo_button = self._choice_button(self.tr("创建演示台账"), self.create_demo)
        demo_row.addWidget(demo_text, 1)
        demo_row.addWidget(self.demo_button)
        layout.addWidget(demo)

        bottom = QHBoxLayout()
        self.open_button = self._choice_button(self.tr("打开已有台账…"), self.open_existing)
        self.quit_button = self._choice_button(self.tr("退出"), self.reject)
        bottom.addWidget(self.open_button)
        bottom.addStretch(1)
        bottom.addWidget(self.quit_button)
        layout.addLayout(bottom)

        self.new_button.setDefault(True)
        self.township_edit.setFocus()

    def _choice_button(self, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName("bigChoice")
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def create_blank(self) -> None:
        """新建空白台账 at :attr:`path` for the township named in the field."""
        name = self.township_edit.text().strip()
        if not name:
            QMessageBox.information(self, self.tr("新建空白台账"), self.tr("请填写乡镇或街道的名称。"))
            self.township_edit.setFocus()
            return
        self._finish_with(lambda: workspace.create_ledger(self.path, township=name))

    def create_demo(self) -> None:
        """创建演示台账 at :attr:`path` on the worker thread, with progress and 取消."""
        if build_demo_with_progress(self.runner, self.path, self) is TaskState.FINISHED:
            self._finish_with(lambda: workspace.open_ledger(self.path))

    def open_existing(self) -> None:
        """打开已有台账…: pick a file; an unusable one is explained and the dialog stays."""
        chosen, _ = QFileDialog.getOpenFileName(self, self.tr("打开已有台账"), str(self.path.parent),
                                                self.tr(LEDGER_FILE_FILTER))
        if chosen:
            self._finish_with(lambda: workspace.open_ledger(Path(chosen)))

    def _finish_with(self, open_session) -> None:
        try:
            self.session = open_session()
        except Exception as exc:  # noqa: BLE001 — shown to the user; the dialog stays open
            show_error(self, exc)
            return
        self.accept()
