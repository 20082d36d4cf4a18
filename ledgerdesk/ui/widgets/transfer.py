"""Exporting to an Excel file from a page: choose the .xlsx, write it on the worker behind a progress dialog.

The pages' 导出… buttons (问题台账, 六会, 户籍) all call :func:`export_file` with a
``write(session, path, progress, cancel)`` function over :mod:`ledgerdesk.interchange`;
imports use :class:`ledgerdesk.ui.import_dialog.ImportDialog`. :class:`ExcelActions`
is the pair of buttons and their actions that 问题台账 and 六会 share.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton, QWidget

from ledgerdesk.ui.tasks import TaskState, run_with_progress
from ledgerdesk.ui.widgets.common import run_modal

XLSX_FILTER = "Excel 工作簿 (*.xlsx)"


def ask_xlsx_path(parent: QWidget, title: str, default_name: str) -> str | None:
    """The save-as dialog for an .xlsx (the suffix added when left out); None when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, default_name, parent.tr(XLSX_FILTER))
    if not path:
        return None
    return path if path.lower().endswith(".xlsx") else path + ".xlsx"


def export_file(parent: QWidget, context, *, title: str, default_name: str,
                write: Callable[..., Any], path: str | None = None) -> tuple[str, Any] | None:
    """Ask for a path (unless given), then run ``write(session, path, progress, cancel)`` on ``context.runner``.

    ``progress(label, fraction)`` and ``cancel() -> bool`` are the worker's. Returns
    ``(path, result)``; None when the user cancelled or the export failed (the
    error has been shown).
    """
    if path is None:
        path = ask_xlsx_path(parent, title, default_name)
        if path is None:
            return None
    session, target = context.session, path

    def job(progress, cancel):
        try:
            return write(session, target, progress, cancel)
        finally:
            session.ledger.db.close()  # the worker thread's own connection

    task = run_with_progress(context.runner, job, title=title, parent=parent)
    if task.state is TaskState.FINISHED:
        return target, task.result
    return None


class ExcelActions:
    """The 导入… / 导出… of a page, mixed into its :class:`~ledgerdesk.ui.pages.base.Page` subclass.

    The page sets ``make_import_dialog`` (an :class:`~ledgerdesk.ui.import_dialog.ImportDialog`
    constructor such as ``ImportDialog.for_ledger``), calls :meth:`excel_buttons` while building,
    and overrides :meth:`after_import`; its export method calls :meth:`export_with`.
    """

    make_import_dialog: Callable[..., Any]
    can_import = False

    def excel_buttons(self, *, can_import: bool, import_text: str, import_tip: str, denied_tip: str,
                      export_tip: str, export: Callable[[], Any]) -> tuple[QPushButton, QPushButton]:
        """The 导入 button (enabled only when ``can_import``) and the 导出… button that calls ``export()``."""
        self.can_import = can_import
        self.import_button = QPushButton(import_text)
        self.import_button.setToolTip(import_tip if can_import else denied_tip)
        self.import_button.setEnabled(can_import)
        self.import_button.clicked.connect(self.open_import)
        self.export_button = QPushButton(self.tr("导出…"))
        self.export_button.setToolTip(export_tip)
        self.export_button.clicked.connect(lambda: export())
        return self.import_button, self.export_button

    def import_dialog(self):
        """The import dialog (not yet shown; None for a role that may not import); an import calls after_import."""
        if not self.can_import:
            return None
        dialog = self.make_import_dialog(self.context, self)
        dialog.imported.connect(self.after_import)
        return dialog

    def open_import(self) -> None:
        run_modal(self.import_dialog())

    def after_import(self, result) -> None:  # pragma: no cover - overridden
        pass

    def export_with(self, *, title: str, default_name: str, write: Callable[..., Any], path: str | None,
                    done_text: Callable[[Any, str], str]) -> str | None:
        """:func:`export_file`, then "导出完成" with ``done_text(result, path)``; the path written, or None."""
        done = export_file(self, self.context, title=title, default_name=default_name, write=write, path=path)
        if done is None:
            return None
        target, result = done
        QMessageBox.information(self, self.tr("导出完成"), done_text(result, target))
        return target
