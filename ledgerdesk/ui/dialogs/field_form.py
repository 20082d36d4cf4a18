"""A form dialog that shows each validation message under its own field.

Subclasses add rows with :meth:`FieldForm.add_field` (``key`` = the service's
field name, the ``field`` of :class:`~ledgerdesk.core.errors.ValidationError`)
and implement :meth:`FieldForm.save`, which calls the services and raises on
bad input. 保存 clears the old messages, calls ``save()``; a ValidationError is
shown in red under its field (or on top when the field is not on the form) and
the dialog stays open with nothing saved; any other LedgerDeskError is shown
the same way on top. :meth:`FieldForm.show_issues` shows several at once (the
pre-check of ``core.person_rules`` finds them all before the service is asked).
"""

from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.ui.error_dialog import user_message

ERROR_STYLE = "color: #b42318; font-size: 11pt;"


class FieldForm(QDialog):
    """Rows of labelled fields with a message line under each; 保存 / 取消."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        layout = QVBoxLayout(self)
        self.general_error = self._error_label()
        self.general_error.setObjectName("formError")
        layout.addWidget(self.general_error)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setVerticalSpacing(6)
        layout.addLayout(self.form)
        layout.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("保存"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}

    @staticmethod
    def _error_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setStyleSheet(ERROR_STYLE)
        label.hide()
        return label

    def add_field(self, key: str, label: str, widget: QWidget, *, aliases: Iterable[str] = ()) -> QWidget:
        """A row ``label: widget`` with its message line; ``aliases`` are other field names shown here."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = self._error_label()
        error.setObjectName(f"error_{key}")
        column.addWidget(error)
        self.form.addRow(label, box)
        for name in (key, *aliases):
            self.fields[name] = widget
            self.errors[name] = error
        return widget

    # -- messages -----------------------------------------------------------------

    def clear_errors(self) -> None:
        for label in {id(l): l for l in self.errors.values()}.values():
            label.clear()
            label.hide()
        self.general_error.clear()
        self.general_error.hide()

    def show_field_error(self, field: str | None, message: str) -> None:
        label = self.errors.get(field or "")
        if label is None:
            label = self.general_error
        text = label.text()
        label.setText(f"{text}\n{message}" if text else message)
        label.show()
        widget = self.fields.get(field or "")
        if widget is not None and not any(l.isVisible() for l in self.errors.values() if l is not label):
            widget.setFocus()

    def show_issues(self, issues) -> None:
        """Show FieldIssue-like items (``field``, ``message``) at their fields."""
        first = None
        for issue in issues:
            self.show_field_error(issue.field, issue.message)
            first = first or self.fields.get(issue.field)
        if first is not None:
            first.setFocus()

    def field_error(self, field: str) -> str:
        """The message shown under ``field`` now ("" when none)."""
        label = self.errors.get(field)
        return label.text() if label is not None and not label.isHidden() else ""

    # -- saving ---------------------------------------------------------------------

    def save(self) -> bool:
        """Check and save; raise ValidationError for bad input. Return False to stay open silently."""
        raise NotImplementedError

    def accept(self) -> None:
        self.clear_errors()
        try:
            saved = self.save()
        except ValidationError as exc:
            self.show_field_error(exc.field, exc.message)
            return
        except Exception as exc:  # noqa: BLE001 — LedgerDeskError: its message; anything else: logged, generic
            self.show_field_error(None, user_message(exc) or "")
            return
        if saved is False:
            return
        super().accept()
