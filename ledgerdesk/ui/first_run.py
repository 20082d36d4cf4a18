"""First run: there is no ledger file yet — make a blank one, join the township, build the demo, open another, or quit.

:class:`FirstRunDialog` ends accepted with :attr:`FirstRunDialog.session` set
to the open ledger the user chose, or rejected (退出) with no session.

用配对文件加入乡镇… is for a 驻村/走访 laptop the township office has enrolled
(数据交换 → 设备 → 添加设备): the user picks the ``.ldkey`` file, types the
12-digit pairing code in :class:`JoinTownshipDialog`, and a NEW bare ledger is
made at the path and joined (:func:`ledgerdesk.sync.devices.join_new_ledger`,
argon2id on the worker). A blank ledger from 新建空白台账 could not join: its
reference rows would collide with the office's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.core.errors import LedgerDeskError
from ledgerdesk.services import workspace
from ledgerdesk.services.session import Session
from ledgerdesk.sync import devices
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.passphrase_dialog import ask_new_passphrase, open_ledger_asking
from ledgerdesk.ui.tasks import Job, Task, TaskRunner, TaskState, run_with_progress

DEMO_SCALE = "township"
DEMO_SEED = 1
LEDGER_FILE_FILTER = QT_TRANSLATE_NOOP("FirstRunDialog", "台账文件 (*.sqlite3 *.sqlite *.db);;所有文件 (*)")
LDKEY_FILE_FILTER = QT_TRANSLATE_NOOP("FirstRunDialog", "配对文件 (*.ldkey)")
CODE_PLACEHOLDER = "1234-5678-9012"


def demo_job(path: Path) -> Job:
    """A worker job that builds the township demo ledger at ``path`` (and closes it on that thread)."""

    def job(progress, cancel) -> None:
        from ledgerdesk.services.demo import create_demo_ledger  # only needed on this path

        create_demo_ledger(path, scale=DEMO_SCALE, seed=DEMO_SEED, progress=progress, cancel=cancel).close()

    return job


def fit_wrapped_height(dialog: QDialog) -> None:
    """Size ``dialog`` to its minimum width and the height its wrapped labels need there.

    A dialog's size hint measures word-wrapped labels at a guessed width, which
    leaves empty bands once it is shown wider.
    """
    width = max(dialog.minimumWidth(), dialog.sizeHint().width())
    dialog.resize(width, max(dialog.layout().totalHeightForWidth(width), dialog.minimumSizeHint().height()))


def join_job(path: Path, ldkey: Path, code: str) -> Job:
    """A worker job: a new bare ledger at ``path`` joined with ``ldkey`` and ``code``, closed on that thread.

    Returns the ledger's :class:`~ledgerdesk.sync.devices.GroupStatus`. A wrong code
    raises EnrollmentError before any file is made; any later failure removes the file.
    """

    def job(progress, cancel):
        session = devices.join_new_ledger(path, ldkey, code)
        try:
            return devices.group_status(session)
        finally:
            session.close()

    return job


def build_demo_with_progress(runner: TaskRunner, path: Path, parent: QWidget | None = None) -> TaskState:
    """Build the demo ledger at ``path`` behind a progress dialog with 取消; failures are already shown."""
    title = QCoreApplication.translate("FirstRunDialog", "正在创建演示台账")
    return run_with_progress(runner, demo_job(path), title=title, parent=parent).state


class JoinTownshipDialog(QDialog):
    """The pairing code for a chosen .ldkey file; 加入乡镇 joins a new bare ledger at ``path`` on the worker.

    Ends accepted with :attr:`status` (the joined ledger's GroupStatus; the
    ledger itself is closed again), or rejected with nothing on disk. A wrong
    code is shown in one message and the code can be corrected and tried again.
    """

    def __init__(self, path: Path, ldkey: Path, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.runner = runner
        self.status: devices.GroupStatus | None = None
        self.task: Task | None = None
        self.setWindowTitle(self.tr("用配对文件加入乡镇"))
        self.setMinimumWidth(640)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 18)
        layout.setSpacing(12)
        intro = QLabel(self.tr("请输入乡镇办公室为本机登记时给出的 12 位配对码（当面或电话告知）。"
                               "加入后，本机新建一个台账，保存在：\n{path}").format(path=self.path))
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(intro)

        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        self.file_edit = QLineEdit(str(ldkey))
        self.file_edit.setReadOnly(True)
        self.file_edit.setToolTip(str(ldkey))
        self.file_edit.setCursorPosition(0)
        self.file_button = QPushButton(self.tr("换一个文件…"))
        self.file_button.setAutoDefault(False)
        self.file_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.file_button)
        form.addRow(self.tr("配对文件："), file_row)
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText(CODE_PLACEHOLDER)
        self.code_edit.setMaxLength(40)  # digits with dashes or spaces; the service normalises
        code_font = QFont(self.code_edit.font())
        code_font.setPointSizeF(max(code_font.pointSizeF(), 9.0) * 1.4)
        code_font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
        self.code_edit.setFont(code_font)
        form.addRow(self.tr("配对码："), self.code_edit)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.progress_label = QLabel("")
        buttons.addWidget(self.progress_label, 1)
        self.join_button = QPushButton(self.tr("加入乡镇"))
        self.join_button.setDefault(True)
        self.join_button.clicked.connect(self.join)
        self.cancel_button = QPushButton(self.tr("取消"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.join_button)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.code_edit.setFocus()
        fit_wrapped_height(self)

    @property
    def ldkey(self) -> Path:
        return Path(self.file_edit.text())

    @property
    def busy(self) -> bool:
        return self.task is not None

    def choose_file(self) -> None:
        chosen = choose_ldkey(self, str(self.ldkey.parent))
        if chosen:
            self.file_edit.setText(chosen)
            self.file_edit.setToolTip(chosen)
            self.file_edit.setCursorPosition(0)
            self.code_edit.setFocus()

    def join(self) -> None:
        """加入乡镇: the code's form is checked here, the argon2id work and the new ledger on the worker."""
        if self.busy:
            return
        code = self.code_edit.text()
        try:
            devices.normalize_code(code)
        except LedgerDeskError as exc:
            self._failed(exc)
            return
        self._set_busy(True)
        self.task = self.runner.submit(join_job(self.path, self.ldkey, code))
        self.task.finished.connect(self._joined)
        self.task.failed.connect(self._failed)
        self.task.cancelled.connect(lambda: self._set_busy(False))

    def _set_busy(self, busy: bool) -> None:
        if not busy:
            self.task = None
        for widget in (self.code_edit, self.file_button, self.join_button, self.cancel_button):
            widget.setEnabled(not busy)
        self.progress_label.setText(self.tr("正在核对配对码并新建台账，请稍候…") if busy else "")
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()

    def _joined(self, status) -> None:
        self._set_busy(False)
        self.status = status
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        show_error(self, exc, self.tr("无法加入乡镇"))
        self.code_edit.setFocus()
        self.code_edit.selectAll()

    def reject(self) -> None:  # 取消 / Esc: not while the worker is making the ledger
        if not self.busy:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)


def choose_ldkey(parent: QWidget, folder: str) -> str:
    """The .ldkey file the user picks ("" if none)."""
    chosen, _ = QFileDialog.getOpenFileName(parent, QCoreApplication.translate("FirstRunDialog", "选择配对文件"),
                                            folder, QCoreApplication.translate("FirstRunDialog", LDKEY_FILE_FILTER))
    return chosen


def joined_message(status) -> str:
    """What to do after joining: import the office's full sync file."""
    township = f"“{status.township}”的" if status.township else "乡镇的"
    return QCoreApplication.translate(
        "FirstRunDialog", "本机已作为“{device}”加入{township}同步组，新台账已建好，现在还是空的。\n\n"
        "下一步：请导入乡镇办公室的完整同步文件：数据交换 → 导入同步文件").format(
            device=status.device_name or "", township=township)


class FirstRunDialog(QDialog):
    """Offers 新建空白台账 / 用配对文件加入乡镇… / 创建演示台账 / 打开已有台账… / 退出 for a ledger path that does not exist."""

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
        self.encrypt_check = QCheckBox(self.tr("加密"))
        self.encrypt_check.setToolTip(self.tr("设置数据库密码，台账文件加密保存；笔记本丢失也读不出内容"))
        blank_row.addWidget(self.encrypt_check)
        blank_row.addWidget(self.new_button)
        layout.addWidget(blank)

        join = QGroupBox(self.tr("驻村、走访用的笔记本：加入乡镇"))
        join_row = QHBoxLayout(join)
        join_text = QLabel(self.tr("乡镇办公室已为本机登记的，请用办公室给的配对文件（.ldkey）和 12 位配对码加入，"
                                   "全乡镇的数据随后用同步文件导入。不要先新建空白台账，有数据的台账不能加入。"))
        join_text.setWordWrap(True)
        self.join_button = self._choice_button(self.tr("用配对文件加入乡镇…"), self.join_township)
        join_row.addWidget(join_text, 1)
        join_row.addWidget(self.join_button)
        layout.addWidget(join)

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
        passphrase = None
        if self.encrypt_check.isChecked():
            passphrase = ask_new_passphrase(self)
            if passphrase is None:
                return
        self._finish_with(lambda: workspace.create_ledger(self.path, township=name, passphrase=passphrase))

    def create_demo(self) -> None:
        """创建演示台账 at :attr:`path` on the worker thread, with progress and 取消."""
        if build_demo_with_progress(self.runner, self.path, self) is TaskState.FINISHED:
            self._finish_with(lambda: workspace.open_ledger(self.path))

    def open_existing(self) -> None:
        """打开已有台账…: pick a file; an unusable one is explained and the dialog stays."""
        chosen, _ = QFileDialog.getOpenFileName(self, self.tr("打开已有台账"), str(self.path.parent),
                                                self.tr(LEDGER_FILE_FILTER))
        if chosen:
            self._finish_with(lambda: open_ledger_asking(Path(chosen), self))  # asks an encrypted file's passphrase

    def join_township(self) -> None:
        """用配对文件加入乡镇…: pick the .ldkey, enter the code; on success open the new ledger and say what is next."""
        chosen = choose_ldkey(self, str(Path.home()))
        if not chosen:
            return
        dialog = JoinTownshipDialog(self.path, Path(chosen), self.runner, self)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        status = dialog.status
        dialog.deleteLater()
        if accepted and status is not None:
            self._finish_with(lambda: workspace.open_ledger(self.path),
                              then=lambda: QMessageBox.information(self, self.tr("已加入乡镇"), joined_message(status)))

    def _finish_with(self, open_session, then=None) -> None:
        try:
            self.session = open_session()
        except Exception as exc:  # noqa: BLE001 — shown to the user; the dialog stays open
            show_error(self, exc)
            return
        if self.session is None:  # the passphrase dialog was cancelled
            return
        if then is not None:
            then()
        self.accept()
