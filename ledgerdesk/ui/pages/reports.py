"""报表打印: choose a sheet, month, village and paper; 预览 renders the PDF, 打印 prints it, 另存为 saves it.

The PDF is made on the database worker (ledgerdesk.reports.generate.make_sheet,
the same call as ``ledgerdesk report``) into a temporary file; the preview shows it
with QtPdf. Characters no bundled font has are listed in a message naming their
records.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (QComboBox, QDateEdit, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                               QPushButton, QWidget)

from ledgerdesk.reports.generate import PAPERS, SHEETS, SheetResult, make_sheet
from ledgerdesk.services import registry_queries
from ledgerdesk.ui.pages.base import Page
from ledgerdesk.ui.tasks import TaskState, run_with_progress


class ReportsPage(Page):
    """The 报表打印 page."""

    generated = Signal(object)  # SheetResult, after a preview was made

    def __init__(self, context, spec, parent: QWidget | None = None):
        super().__init__(spec.title, parent)
        self.context = context
        self.session = context.session
        self.set_subtitle(self.tr("选择报表、月份、村和纸张，先预览再打印或另存为 PDF。公示用的表格已隐去电话和身份证号中间几位。"))
        self._tmp = Path(tempfile.mkdtemp(prefix="ledgerdesk-reports-"))
        self.result: SheetResult | None = None

        bar = QHBoxLayout()
        self.sheet_box = QComboBox()
        for key, title in SHEETS.items():
            self.sheet_box.addItem(title, key)
        self.month_edit = QDateEdit()
        self.month_edit.setDisplayFormat("yyyy-MM")
        today = self.session.ledger.clock.today()
        self.month_edit.setDate(QDate(today.year, today.month, 1))
        self.village_box = QComboBox()
        self.village_box.addItem(self.tr("全部村（社区）"), "")
        for v in registry_queries.villages(self.session):
            self.village_box.addItem(v.name, v.name)
        self.paper_box = QComboBox()
        self.household_edit = QLineEdit()
        self.household_edit.setPlaceholderText(self.tr("户号"))
        self.household_edit.setMaximumWidth(150)
        self.preview_button = QPushButton(self.tr("预览"))
        self.preview_button.setShortcut("Ctrl+R")
        self.print_button = QPushButton(self.tr("打印…"))
        self.print_button.setShortcut("Ctrl+P")
        self.save_button = QPushButton(self.tr("另存为…"))
        self.save_button.setShortcut("Ctrl+S")
        for label, widget in ((self.tr("报表"), self.sheet_box), (self.tr("月份"), self.month_edit),
                              (self.tr("村"), self.village_box), (self.tr("纸张"), self.paper_box)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        self.household_label = QLabel(self.tr("户"))
        bar.addWidget(self.household_label)
        bar.addWidget(self.household_edit)
        bar.addStretch(1)
        for b in (self.preview_button, self.print_button, self.save_button):
            bar.addWidget(b)
        self.body.addLayout(bar)

        self.status_label = QLabel(self.tr("尚未生成。"))
        self.status_label.setWordWrap(True)
        self.body.addWidget(self.status_label)
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.body.addWidget(self.view, 1)

        self.sheet_box.currentIndexChanged.connect(self._sheet_changed)
        self.preview_button.clicked.connect(self.preview)
        self.print_button.clicked.connect(self.print_pdf)
        self.save_button.clicked.connect(self.save_as)
        self._sheet_changed()

    # -- choices ----------------------------------------------------------------------------------------

    def sheet(self) -> str:
        return self.sheet_box.currentData()

    def _sheet_changed(self) -> None:
        key = self.sheet()
        self.paper_box.clear()
        self.paper_box.addItems(list(PAPERS[key]))
        card = key == "household-card"
        self.household_label.setVisible(card)
        self.household_edit.setVisible(card)
        self.month_edit.setEnabled(key not in ("coverage-notice", "linkage-notice", "household-card"))
        self._set_ready(False)

    def _set_ready(self, ready: bool) -> None:
        self.print_button.setEnabled(ready)
        self.save_button.setEnabled(ready)

    # -- actions ----------------------------------------------------------------------------------------

    def preview(self) -> SheetResult | None:
        """Make the chosen sheet on the worker (with progress) and show it."""
        key, month = self.sheet(), self.month_edit.date().toString("yyyy-MM")
        village, paper = self.village_box.currentData() or None, self.paper_box.currentText()
        household = self.household_edit.text().strip() or None
        session = self.session
        self.document.close()
        out = self._tmp / f"{key}.pdf"

        def job(progress, cancel):
            try:
                return make_sheet(session, key, out, month=month, village=village, paper=paper, household=household,
                                  progress=progress)
            finally:
                session.ledger.db.close()  # the worker thread's own connection

        task = run_with_progress(self.context.runner, job, title=self.tr("正在生成报表"), parent=self)
        if task.state is not TaskState.FINISHED:
            self.status_label.setText(self.tr("未生成。"))
            self._set_ready(False)
            return None
        self.show_result(task.result)
        return task.result

    def show_result(self, result: SheetResult) -> None:
        self.result = result
        self.document.load(result.path)
        self.status_label.setText(self.tr("{title}：共 {pages} 页。").format(title=SHEETS[result.sheet],
                                                                        pages=result.pages))
        self._set_ready(True)
        if result.missing:
            lines = "\n".join(result.warnings()[:20])
            more = len(result.missing) - 20
            if more > 0:
                lines += "\n" + self.tr("……另有 {n} 处").format(n=more)
            self.status_label.setText(self.status_label.text() + self.tr("有 {n} 处缺字，见提示。").format(
                n=len(result.missing)))
            QMessageBox.warning(self, self.tr("有字符无法打印"), lines)
        self.generated.emit(result)

    def save_as(self, path: str | None = None) -> str | None:
        if self.result is None:
            return None
        if not path:
            name = f"{SHEETS[self.result.sheet]}.pdf"
            path, _ = QFileDialog.getSaveFileName(self, self.tr("另存为"), name, self.tr("PDF 文件 (*.pdf)"))
            if not path:
                return None
        shutil.copyfile(self.result.path, path)
        self.status_label.setText(self.tr("已保存到 {path}").format(path=path))
        return path

    def print_pdf(self, printer=None) -> bool:
        """Print through QPrinter: each page rendered at the printer's resolution."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if self.result is None or self.document.pageCount() == 0:
            return False
        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            dialog = QPrintDialog(printer, self)
            if dialog.exec() != QPrintDialog.DialogCode.Accepted:
                return False
        painter = QPainter()
        if not painter.begin(printer):
            QMessageBox.warning(self, self.tr("打印"), self.tr("无法连接打印机。"))
            return False
        try:
            for i in range(self.document.pageCount()):
                if i:
                    printer.newPage()
                rect = painter.viewport()
                size = self.document.pagePointSize(i)
                scale = min(rect.width() / size.width(), rect.height() / size.height())
                image = self.document.render(i, (size * scale).toSize())
                painter.drawImage(0, 0, image)
        finally:
            painter.end()
        return True
