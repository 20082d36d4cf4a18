"""How a failure reaches the user: one Chinese sentence in a message box, never a traceback.

A :class:`~ledgerdesk.core.errors.LedgerDeskError` carries its own message.
Anything else is a bug: it is logged with its traceback and the user gets a
generic message. :class:`~ledgerdesk.core.errors.Cancelled` is the user's own
choice and shows nothing.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from ledgerdesk.core.errors import Cancelled, LedgerDeskError

log = logging.getLogger(__name__)


def user_message(exc: BaseException) -> str | None:
    """The sentence to show for ``exc``; None for a cancellation. Logs unexpected errors."""
    if isinstance(exc, Cancelled):
        return None
    if isinstance(exc, LedgerDeskError):
        return exc.message
    log.error("unexpected error", exc_info=exc)
    return QCoreApplication.translate("ErrorDialog", "操作没有完成：程序内部出错。详细情况已记录在日志中，请联系技术支持。")


def show_error(parent: QWidget | None, exc: BaseException, title: str | None = None) -> None:
    """Tell the user ``exc`` went wrong (modal); does nothing for a cancellation."""
    message = user_message(exc)
    if message is None:
        return
    title = title or QCoreApplication.translate("ErrorDialog", "出错了")
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.exec()
