"""待核实: the open sync conflicts on the left, every side of the selected one on the right.

A conflict is one field of one record that two devices changed differently (or a record one
device deleted while another edited it). The sides table shows each candidate's value, who
wrote it, on which device and when; the first row is the value shown now. 采用此值 keeps the
selected side, 填写新值 writes a value typed here, and for delete-versus-edit 保持删除 /
恢复记录 decide. Each runs ``conflicts.resolve`` / ``resolve_delete`` on the worker, then
:attr:`ConflictView.changed` asks the page to reload. A conflict settled elsewhere
meanwhile (ConflictGoneError) shows its message and reloads too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ledgerdesk.sync import conflicts as conflict_service
from ledgerdesk.sync.errors import ConflictGoneError
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.lazy_table import Column, RowsModel
from ledgerdesk.ui.pages.base import detail_header, selectable_label
from ledgerdesk.ui.pages.interchange_jobs import may_edit, tr
from ledgerdesk.ui.tasks import plain_job
from ledgerdesk.ui.widgets.common import splitter
from ledgerdesk.ui.widgets.record_table import RecordTable


BLUE = QColor("#1d5fa8")


@dataclass(frozen=True)
class ConflictRow:
    """A conflict as a list row (``id`` = entity id and field)."""

    id: str
    table_label: str
    record_label: str
    field_label: str
    conflict: Any  # conflicts.Conflict


def conflict_rows(conflicts) -> list[ConflictRow]:
    return [ConflictRow(f"{c.entity_id}\x1f{c.field}", c.table_label, c.record_label, c.field_label, c)
            for c in conflicts]


def typed_value(text: str, sides) -> Any:
    """``text`` as the type the sides hold: a number where they are numbers, else text; empty → None."""
    text = text.strip()
    if not text:
        return None
    values = [s.value for s in sides if s.value is not None]
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        try:
            return int(text)
        except ValueError:
            return text
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        try:
            return float(text)
        except ValueError:
            return text
    return text


@dataclass(frozen=True)
class SideRow:
    """A side as a row of the comparison table; ``shown``: its value is the one shown now."""

    key: str
    display: str
    author: str
    device: str
    at: str
    value: Any
    shown: bool


def side_rows(conflict) -> list[SideRow]:
    return [SideRow(s.key, s.display, s.author, s.device, s.at.strftime("%Y-%m-%d %H:%M") if s.at else "", s.value,
                    n == 0 and conflict.kind == "value") for n, s in enumerate(conflict.sides)]


def list_columns() -> tuple[Column, ...]:
    return (Column("table_label", tr("类别"), 96), Column("record_label", tr("记录"), 210),
            Column("field_label", tr("有冲突的内容")))


def side_columns() -> tuple[Column, ...]:
    return (Column("display", tr("值"), 240), Column("author", tr("修改人"), 76), Column("device", tr("设备"), 130),
            Column("at", tr("修改时间"), 136),
            Column("shown", tr("说明"), 76, display=lambda s: tr("现在显示") if s.shown else "",
                   foreground=lambda s: BLUE if s.shown else None))


class ConflictView(QWidget):
    """The 待核实 list and the comparison of the selected conflict's sides."""

    changed = Signal()  # a conflict was settled (or found gone): reload
    busy_changed = Signal(bool)

    def __init__(self, context, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.session = context.session
        self.busy = False
        self.current: Any = None  # the selected conflicts.Conflict
        self.editable = may_edit(self.session)

        self.list_model = RowsModel(list_columns(), parent=self)
        self.list = RecordTable(self.list_model, "interchange/conflicts")
        self.list.selection_changed.connect(self._selected)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.count_label = QLabel("")
        self.count_label.setObjectName("pageSubtitle")
        left_layout.addWidget(self.count_label)
        left_layout.addWidget(self.list, 1)

        self.body = self.build_detail()
        outer = QHBoxLayout(self)
        outer.setContentsMargins(10, 10, 10, 10)
        outer.addWidget(splitter(Qt.Orientation.Horizontal, left, self.body, stretch=(4, 6),
                                        sizes=(430, 620), settings_key="interchange/conflict_split"))
        self._show(None)

    def build_detail(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(10, 0, 0, 0)
        layout.setSpacing(8)
        self.header = detail_header()
        layout.addWidget(self.header)
        self.explain = selectable_label("")
        self.explain.setStyleSheet("font-size: 12pt;")
        layout.addWidget(self.explain)
        self.sides_model = RowsModel(side_columns(), row_key="key", parent=self)
        self.sides = RecordTable(self.sides_model, "interchange/conflict_sides")
        self.sides.selection_changed.connect(self._update_buttons)
        header = self.sides.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the values get the room left over
        self.sides.setMaximumHeight(self.sides.verticalHeader().defaultSectionSize() * 6 + 8)
        layout.addWidget(self.sides)

        self.value_row = QWidget()
        value_layout = QVBoxLayout(self.value_row)
        value_layout.setContentsMargins(0, 0, 0, 0)
        first = QHBoxLayout()
        self.take_button = QPushButton(self.tr("采用此值"))
        self.take_button.setObjectName("primaryAction")
        self.take_button.setToolTip(self.tr("保留上表中选中的一方的值"))
        self.take_button.clicked.connect(self.take_selected)
        first.addWidget(QLabel(self.tr("在上表选中正确的一方，然后：")))
        first.addWidget(self.take_button)
        first.addStretch(1)
        second = QHBoxLayout()
        self.new_edit = QLineEdit()
        self.new_edit.setPlaceholderText(self.tr("两边都不对时，在这里填写正确的值"))
        self.new_edit.textChanged.connect(self._update_buttons)
        self.new_edit.returnPressed.connect(self.take_new)
        self.new_button = QPushButton(self.tr("填写新值"))
        self.new_button.clicked.connect(self.take_new)
        second.addWidget(self.new_edit, 1)
        second.addWidget(self.new_button)
        value_layout.addLayout(first)
        value_layout.addLayout(second)
        layout.addWidget(self.value_row)

        self.delete_row = QWidget()
        delete_layout = QHBoxLayout(self.delete_row)
        delete_layout.setContentsMargins(0, 0, 0, 0)
        self.keep_deleted_button = QPushButton(self.tr("保持删除"))
        self.keep_deleted_button.setToolTip(self.tr("这条记录不再显示，另一方的修改作废"))
        self.restore_button = QPushButton(self.tr("恢复记录"))
        self.restore_button.setToolTip(self.tr("这条记录恢复显示，并保留另一方的修改"))
        self.keep_deleted_button.clicked.connect(lambda: self.settle_delete(keep_deleted=True))
        self.restore_button.clicked.connect(lambda: self.settle_delete(keep_deleted=False))
        delete_layout.addWidget(self.keep_deleted_button)
        delete_layout.addWidget(self.restore_button)
        delete_layout.addStretch(1)
        layout.addWidget(self.delete_row)
        self.denied_label = QLabel(self.tr("只读角色只能查看冲突，不能核实。"))
        self.denied_label.setStyleSheet("color: #52606d;")
        self.denied_label.setVisible(not self.editable)
        layout.addWidget(self.denied_label)
        layout.addStretch(1)
        return box

    # -- the list -----------------------------------------------------------------------------------------

    def set_conflicts(self, conflicts, total: int | None = None) -> None:
        """Show ``conflicts``; the selection stays on the same conflict, else on the same row."""
        keep = self.list.current_id()
        row_before = self.list.currentIndex().row()
        rows = conflict_rows(conflicts)
        self.list_model.set_rows(rows)
        total = len(rows) if total is None else total
        if total:
            shown = self.tr("共 {n} 处待核实").format(n=total)
            if total > len(rows):
                shown += self.tr("（列出前 {n} 处）").format(n=len(rows))
            self.count_label.setText(shown)
        else:
            self.count_label.setText(self.tr("没有待核实的冲突：各设备导入的修改都已合并。"))
        if not rows:
            self._show(None)
            return
        wanted = keep if keep and self.list_model.row_of(keep) >= 0 else \
            rows[min(max(row_before, 0), len(rows) - 1)].id
        self.list.select_ids([wanted])
        self._selected()

    def select(self, entity_id: str, field: str) -> bool:
        ok = self.list.select_ids([f"{entity_id}\x1f{field}"])
        self._selected()
        return ok

    def _selected(self) -> None:
        index = self.list.currentIndex()
        row = self.list_model.held_row(self.list_model.row_id(index.row())) if index.isValid() else None
        self._show(row.conflict if row is not None else None)

    # -- the detail -----------------------------------------------------------------------------------------

    def _show(self, conflict) -> None:
        self.current = conflict
        self.new_edit.clear()
        if conflict is None:
            self.header.setText(self.tr("未选中冲突"))
            self.explain.setText(self.tr("在左边选一处冲突，这里会列出各方的值、修改人、设备和时间。"))
            self.sides_model.set_rows([])
            self.value_row.hide()
            self.delete_row.hide()
            return
        self.header.setText(f"{conflict.table_label} · {conflict.record_label}")
        if conflict.kind == "delete":
            self.explain.setText(self.tr("一台设备删除了这条记录，另一台设备同时修改了它。请决定：保持删除，"
                                         "还是恢复这条记录并保留修改。"))
        else:
            self.explain.setText(self.tr("“{field}”在不同设备上被改成了不同的值。标着“现在显示”的是台账里暂时显示的值；"
                                         "请核实后选定正确的一方，或填写新值。").format(field=conflict.field_label))
        self.sides_model.set_rows(side_rows(conflict))
        self.value_row.setVisible(conflict.kind != "delete")
        self.delete_row.setVisible(conflict.kind == "delete")
        self._update_buttons()

    def selected_side(self):
        index = self.sides.currentIndex()
        if not index.isValid() or not self.sides.selectionModel().isSelected(index):
            return None
        return self.sides_model.held_row(self.sides_model.row_id(index.row()))

    def select_side(self, row: int) -> None:
        self.sides.selectRow(row)
        self._update_buttons()

    def _update_buttons(self) -> None:
        can = self.editable and self.current is not None and not self.busy
        self.take_button.setEnabled(can and self.selected_side() is not None)
        self.new_button.setEnabled(can and bool(self.new_edit.text().strip()))
        self.new_edit.setEnabled(can)
        self.keep_deleted_button.setEnabled(can)
        self.restore_button.setEnabled(can)

    # -- settling -------------------------------------------------------------------------------------------

    def take_selected(self) -> None:
        side = self.selected_side()
        if self.current is None or side is None:
            return
        self._run(plain_job(self.session, conflict_service.resolve, self.current.entity_id, self.current.field,
                            side.value))

    def take_new(self) -> None:
        if self.current is None or not self.new_edit.text().strip() or self.current.kind == "delete":
            return
        value = typed_value(self.new_edit.text(), self.current.sides)
        self._run(plain_job(self.session, conflict_service.resolve, self.current.entity_id, self.current.field,
                            value))

    def settle_delete(self, *, keep_deleted: bool) -> None:
        if self.current is None or self.current.kind != "delete":
            return
        self._run(plain_job(self.session, conflict_service.resolve_delete, self.current.entity_id,
                            keep_deleted=keep_deleted))

    def _run(self, job) -> None:
        if self.busy or not self.editable:
            return
        self._set_busy(True)
        task = self.context.runner.submit(job)
        self._task = task
        task.finished.connect(lambda _result: self.changed.emit())
        task.failed.connect(self._failed)
        task.ended.connect(lambda: self._set_busy(False))

    def _failed(self, exc) -> None:
        show_error(self, exc, self.tr("核实冲突"))
        if isinstance(exc, ConflictGoneError):
            self.changed.emit()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update_buttons()
        self.busy_changed.emit(busy)
