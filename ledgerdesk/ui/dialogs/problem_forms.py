"""Building blocks of the 问题台账, 走访 and 六会 forms: a form that saves through one service call,
an Enter-to-save text box, a typeahead village box, a household picker and a list of picked households,
and the 问题类别 / 紧急程度 rows.

A :class:`ServiceForm` is a :class:`~ledgerdesk.ui.dialogs.field_form.FieldForm`:
a refused call (ValidationError, IllegalTransitionError, PermissionDeniedError …)
shows one Chinese message, at its field or on top, and the dialog stays open
with nothing saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from PySide6.QtCore import QDate, QEvent, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.ui.dialogs.field_form import FieldForm

DATE_FORMAT = "yyyy-MM-dd"


def to_qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def date_edit(value: dt.date) -> QDateEdit:
    """A keyboard-friendly date box (yyyy-MM-dd, calendar popup on Alt+Down)."""
    edit = QDateEdit(to_qdate(value))
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setCalendarPopup(True)
    edit.setMinimumWidth(130)
    return edit


class SubmitTextEdit(QPlainTextEdit):
    """A multi-line box where Enter saves the form (Shift+Enter starts a new line) and Tab moves on."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None, *, lines: int = 3):
        super().__init__(parent)
        self.setTabChangesFocus(True)
        height = self.fontMetrics().lineSpacing() * lines + 14
        self.setFixedHeight(height)

    def text(self) -> str:
        return self.toPlainText()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ServiceForm(FieldForm):
    """A :class:`FieldForm` whose 保存 makes one service call (:meth:`submit`) and keeps its result.

    ``submit()`` returns what the service returned; it ends up in
    :attr:`result_value` and is emitted by :attr:`saved` once the dialog has
    closed. A refused call leaves the dialog open with the message at its
    field (or on top); the service rolled back, so nothing is half-saved.
    """

    saved = Signal(object)

    def __init__(self, title: str, parent: QWidget | None = None, *, intro: str = "",
                 enter_moves_on: bool = False):
        super().__init__(title, parent)
        self.setMinimumWidth(480)
        self.result_value: Any = None
        self.enter_moves_on = enter_moves_on
        if enter_moves_on:  # Enter goes to the next field; the last field (or 保存 itself) saves
            self.save_button.setAutoDefault(False)
            self.save_button.setDefault(False)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            label.setObjectName("dialogIntro")
            self.layout().insertWidget(0, label)

    @property
    def save_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Save)

    def add_row(self, key: str, label: str, widget: QWidget, *, aliases: tuple[str, ...] = ()) -> Any:
        self.add_field(key, label, widget, aliases=aliases)
        if isinstance(widget, SubmitTextEdit):
            widget.submitted.connect(self.accept)
        return widget

    def set_row_visible(self, key: str, visible: bool) -> None:
        box = self.fields[key].parentWidget()
        self.form.setRowVisible(box, visible)

    def error_text(self) -> str:
        """Every message the form shows now, joined (for tests and logs)."""
        texts = [self.general_error.text()] if not self.general_error.isHidden() else []
        texts += [label.text() for label in {id(l): l for l in self.errors.values()}.values() if not label.isHidden()]
        return "\n".join(t for t in texts if t)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.enter_moves_on and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and event.modifiers() in (
                Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier):
            if self.focusWidget() is self.save_button:
                self.accept()
            else:
                self.focusNextChild()
            return
        super().keyPressEvent(event)

    def next_field(self) -> None:
        self.focusNextChild()

    def submit(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def save(self) -> bool:
        self.result_value = self.submit()
        self._saved_now = True
        return True

    def accept(self) -> None:
        self._saved_now = False
        super().accept()
        if self._saved_now:
            self.saved.emit(self.result_value)


def required_text(widget: QLineEdit | SubmitTextEdit, message: str, field: str) -> str:
    """The widget's stripped text; a ValidationError naming ``field`` when it is blank."""
    text = widget.text().strip()
    if not text:
        raise ValidationError(message, field=field)
    return text


class VillageBox(QComboBox):
    """An editable village box with typeahead (any part of the name); :meth:`village_id` resolves it.

    ``villages`` is a list of ``(id, name)``. An empty box means no village.
    """

    def __init__(self, villages: list[tuple[str, str]], parent: QWidget | None = None, *, blank: str = ""):
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.villages = list(villages)
        self.addItem(blank, None)
        for village_id, name in self.villages:
            self.addItem(name, village_id)
        completer = QCompleter([name for _, name in self.villages], self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(completer)
        self.lineEdit().setPlaceholderText(self.tr("输入村名的一部分"))
        self.setMinimumContentsLength(10)

    def village_id(self, *, field: str = "village_id") -> str | None:
        """The id of the village typed or chosen; None when blank; ValidationError when it matches none or several."""
        text = self.currentText().strip()
        if not text:
            return None
        exact = [vid for vid, name in self.villages if name == text]
        if len(exact) == 1:
            return exact[0]
        partial = [(vid, name) for vid, name in self.villages if text in name]
        if len(partial) == 1:
            self.setEditText(partial[0][1])
            return partial[0][0]
        if not partial:
            raise ValidationError(f"找不到名为“{text}”的村（社区、嘎查），请从列表中选择", field=field)
        names = "、".join(name for _, name in partial[:5])
        raise ValidationError(f"“{text}”对应多个村：{names}，请写全村名", field=field)

    def set_village(self, village_id: str | None) -> None:
        index = self.findData(village_id)
        self.setCurrentIndex(max(index, 0))


class HouseholdPicker(QLineEdit):
    """Type a name, 户号 or phone fragment; pick a household from the suggestions.

    ``search(text) -> list[(household_id, label)]`` runs after a short pause in
    typing. :meth:`household_id` gives the picked household (None when blank).
    With ``search=None`` (no search service) the box is disabled.
    """

    picked = Signal(str, str)  # household id, label

    def __init__(self, search: Callable[[str], list[tuple[str, str]]] | None, parent: QWidget | None = None):
        super().__init__(parent)
        self._search = search
        self._choices: dict[str, str] = {}
        self._picked: tuple[str, str] | None = None
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self._completer.activated.connect(self._on_chosen)
        self.setCompleter(self._completer)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.run_search)
        self.textEdited.connect(self._on_edited)
        if search is None:
            self.setEnabled(False)
            self.setPlaceholderText(self.tr("（查找功能暂不可用）"))
        else:
            self.setPlaceholderText(self.tr("可不填；输入户主姓名、户号或电话的一部分后选择"))

    def _on_edited(self, text: str) -> None:
        self._picked = None
        if text.strip():
            self._timer.start()

    def run_search(self) -> list[str]:
        """Search now for the current text and offer the hits; returns their labels."""
        self._timer.stop()
        text = self.text().strip()
        if self._search is None or not text:
            return []
        hits = self._search(text)
        self._choices = {label: household_id for household_id, label in hits}
        labels = list(self._choices)
        self._model.setStringList(labels)
        if labels and self.hasFocus():
            self._completer.complete()
        return labels

    def choose(self, label: str) -> None:
        """Pick the suggestion ``label`` (as if clicked)."""
        self._on_chosen(label)

    def _on_chosen(self, label: str) -> None:
        household_id = self._choices.get(label)
        if household_id is None:
            return
        self._picked = (household_id, label)
        self.setText(label)
        self.picked.emit(household_id, label)

    def household_id(self, *, field: str = "household_ids") -> str | None:
        if not self.text().strip():
            return None
        if self._picked is None or self._picked[1] != self.text():
            raise ValidationError("请从查找结果中选择一户，或清空“户”一栏", field=field)
        return self._picked[0]

    def clear_pick(self) -> None:
        self._picked = None
        self.clear()


class HouseholdList(QWidget):
    """Households picked one by one with a :class:`HouseholdPicker`; Delete removes the selected one."""

    def __init__(self, picker: HouseholdPicker, parent: QWidget | None = None):
        super().__init__(parent)
        self.picker = picker
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(picker)
        row = QHBoxLayout()
        self.list = QListWidget()
        self.list.setMaximumHeight(96)
        row.addWidget(self.list, 1)
        self.remove_button = QPushButton(self.tr("移除"))
        self.remove_button.setAutoDefault(False)
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # the keyboard way is Delete in the list
        self.remove_button.clicked.connect(self.remove_selected)
        row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        picker.picked.connect(self.add)
        self.list.installEventFilter(self)
        self.setFocusProxy(picker)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.list and event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_selected()
            return True
        return super().eventFilter(watched, event)

    def add(self, household_id: str, label: str) -> None:
        if household_id not in self.ids():
            item = QListWidgetItem(label.strip())
            item.setData(Qt.ItemDataRole.UserRole, household_id)
            self.list.addItem(item)
        self.picker.clear_pick()

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))

    def ids(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]


def add_category_and_urgency(form: ServiceForm, session) -> tuple[QComboBox, QComboBox]:
    """The 问题类别 (from the ledger's categories; first "暂不分类") and 紧急程度 rows of a problem form."""
    from ledgerdesk.core.vocab import URGENCIES
    from ledgerdesk.services import ledger as ledger_service

    category = form.add_row("category_id", form.tr("问题类别："), QComboBox())
    category.addItem(form.tr("（暂不分类）"), None)
    for item in ledger_service.categories(session):
        category.addItem(f"{item.domain} · {item.name}", item.id)
    urgency = form.add_row("urgency", form.tr("紧急程度："), QComboBox())
    urgency.addItems(URGENCIES)
    return category, urgency


# -- choices from the services ---------------------------------------------------------------------


def village_choices(session) -> list[tuple[str, str]]:
    """``(id, name)`` of every village of the ledger, in the registry's order."""
    from ledgerdesk.services import registry_queries

    return [(v.id, v.name) for v in registry_queries.villages(session)]


def household_search(session, limit: int = 20) -> Callable[[str], list[tuple[str, str]]]:
    """A ``text -> [(household_id, label)]`` search over persons and households."""
    from ledgerdesk.services import search as search_service

    def find(text: str) -> list[tuple[str, str]]:
        found: dict[str, str] = {}
        for hit in search_service.search(session, text, limit=limit):
            household_id = hit.household_id or (hit.id if hit.kind == "household" else None)
            if not household_id or household_id in found:
                continue
            where = "，".join(part for part in (hit.detail, hit.village) if part)
            label = f"{hit.title}（{where}）" if where else hit.title
            while label in found.values():  # two households described alike: keep both pickable
                label += " "
            found[household_id] = label
        return [(household_id, label) for household_id, label in found.items()]

    return find
