"""六会: the village × six-committees supervision grid, and one committee's members and activity log.

The grid is :class:`CommitteeGridModel` over
:func:`ledgerdesk.services.committee_supervision.checklist` (loaded on the worker thread):
one row per village, one column per committee of the six, then the other organisations,
the last activity and the activities this quarter. A cell is green when the committee is
formed and active, amber when it is formed but inactive (no activity for N months) or under
the member minimum, red when it is not formed. Clicking a cell shows that committee below:
members with roles and dates, the activity log, and the actions 成立 / 解散 / 添加成员 / 离任 /
登记活动 (Ctrl+N: 登记活动).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.core.vocab import COMMITTEE_KINDS
from ledgerdesk.interchange.committees import export_committees
from ledgerdesk.services import committee_supervision as supervision
from ledgerdesk.services import committees as committee_service
from ledgerdesk.services import permissions
from ledgerdesk.ui.dialogs.committee_forms import (
    ActivityDialog,
    AddMemberDialog,
    DateActionDialog,
    FormCommitteeDialog,
    person_search,
)
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.import_dialog import ImportDialog
from ledgerdesk.ui.pages.base import Page, detail_header, selectable_label
from ledgerdesk.ui.tasks import plain_job
from ledgerdesk.ui.widgets.common import AMBER, LEVEL_COLOURS, RED, page_shortcuts, run_modal, splitter
from ledgerdesk.ui.widgets.transfer import ExcelActions

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

GREEN = LEVEL_COLOURS["绿"]
SIX = tuple(COMMITTEE_KINDS)
FIRST_SIX, OTHER_COLUMN = 1, 1 + len(SIX)
LAST_COLUMN, QUARTER_COLUMN = OTHER_COLUMN + 1, OTHER_COLUMN + 2
COMMITTEE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
FIGURE_SHORT = {"events_handled": "红白事{v}场", "guests": "宴请{v:,}人", "money_saved_yuan": "节约{v:,}元",
                "evaluations": "评议{v}人次", "red_list": "红榜{v}人", "black_list": "黑榜{v}人", "patrols": "巡逻{v}次"}


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


class CommitteeGridModel(QAbstractTableModel):
    """Villages × (the six, 其他组织, 最近活动, 本季度活动) from a list of VillageChecklist."""

    HEADERS = ("村（社区）", *COMMITTEE_KINDS.values(), "其他组织", "最近活动", "本季度活动")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[supervision.VillageChecklist] = []

    def set_rows(self, rows: list[supervision.VillageChecklist]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.HEADERS[section]
        return None

    def committee_at(self, row: int, column: int) -> supervision.CommitteeStatus | None:
        if not (0 <= row < len(self.rows)):
            return None
        v = self.rows[row]
        if FIRST_SIX <= column < OTHER_COLUMN:
            return v.six[column - FIRST_SIX]
        if column == OTHER_COLUMN and v.custom:
            return v.custom[0]
        return None

    def kind_at(self, column: int) -> str | None:
        return SIX[column - FIRST_SIX] if FIRST_SIX <= column < OTHER_COLUMN else None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows) or index.column() >= len(self.HEADERS):
            return None
        v = self.rows[index.row()]
        col = index.column()
        c = self.committee_at(index.row(), col)
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return v.village
            if col == OTHER_COLUMN:
                return f"{len(v.custom)} 个" if v.custom else "—"
            if col == LAST_COLUMN:
                return _date(v.last_activity) or "无"
            if col == QUARTER_COLUMN:
                return str(v.activities_this_quarter)
            if c is None:
                return "未成立"
            state = "不活跃" if c.inactive else "成员不足" if c.under_minimum else "正常"
            return f"{state} · {c.members}人"
        if role == Qt.ItemDataRole.BackgroundRole:
            if FIRST_SIX <= col < OTHER_COLUMN:
                return QBrush(RED if c is None else GREEN if c.ok else AMBER)
            if col == OTHER_COLUMN and v.custom:
                return QBrush(GREEN if all(x.ok for x in v.custom) else AMBER)
            if col == 0 and not v.ok:
                return QBrush(AMBER if v.all_six_formed else RED)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return "\n".join(v.issues()) or "六会齐全，成员和活动正常"
            if col == OTHER_COLUMN and v.custom:
                return "\n".join(f"{x.name}：{x.members}人，最近活动 {_date(x.last_activity) or '无'}" for x in v.custom)
            if c is not None:
                lines = [f"{c.name}：成员 {c.members} 人（最少 {v.min_members} 人）",
                         f"最近活动：{_date(c.last_activity) or '无'}；本季度 {c.activities_this_quarter} 次"]
                if c.inactive:
                    lines.append(f"已超过 {v.inactive_months} 个月没有活动")
                return "\n".join(lines)
            if FIRST_SIX <= col < OTHER_COLUMN:
                return f"{v.village}尚未成立{self.HEADERS[col]}"
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col >= LAST_COLUMN or FIRST_SIX <= col <= OTHER_COLUMN:
                return int(Qt.AlignmentFlag.AlignCenter)
            return None
        if role == COMMITTEE_ID_ROLE:
            return c.id if c is not None else None
        return None


class CommitteesPage(ExcelActions, Page):
    """The grid on top, the chosen committee's members and activity log below."""

    committee_changed = Signal(str)
    loaded = Signal(int)  # villages shown
    committees_imported = Signal(object)  # the import result, after 导入…
    make_import_dialog = staticmethod(ImportDialog.for_committees)

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        self.set_subtitle(self.tr("各村“六会合一”常态化督导：绿色正常，黄色成员不足或超过 3 个月没有活动，红色未成立。"
                                  "点击格子查看该组织的成员和活动记录。"))
        self.context = context
        self.session = context.session
        self.search = person_search(self.session)
        self.village_id: str | None = None
        self.village_name = ""
        self.kind: str | None = None
        self.detail: committee_service.CommitteeDetail | None = None
        self.busy = False
        self._generation = 0
        self._tasks: list = []

        top = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("pageSubtitle")
        top.addWidget(self.summary, 1)
        excel = self.excel_buttons(can_import=self.session.role in permissions.EDITORS,  # as apply_committee_import
                                   import_text=self.tr("导入…"), import_tip=self.tr("从 Excel 导入六会成员和活动记录"),
                                   denied_tip=self.tr("只读角色不能导入六会"),
                                   export_tip=self.tr("把六会组织、成员和活动导出为 Excel 表格（可再导入）；身份证号遮挡"),
                                   export=self.export_committees)
        self.refresh_button = QPushButton(self.tr("刷新 (F5)"))
        self.refresh_button.clicked.connect(self.reload)
        for button in (*excel, self.refresh_button):
            top.addWidget(button)
        self.body.addLayout(top)

        self.model = CommitteeGridModel(self)
        self.grid = QTableView()
        self.grid.setModel(self.model)
        self.grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.verticalHeader().setVisible(False)
        self.grid.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.grid.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 130)
        self.grid.clicked.connect(self.open_cell)
        self.grid.activated.connect(self.open_cell)

        self.body.addWidget(splitter(Qt.Orientation.Vertical, self.grid, self._build_detail(), stretch=(1, 1),
                                     sizes=(300, 340)), 1)
        page_shortcuts(self, ("F5", self.reload), ("Ctrl+N", self.open_activity))
        self._show_detail()
        self.reload()

    # -- detail ---------------------------------------------------------------------------------------

    def _build_detail(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        head = QHBoxLayout()
        self.header = detail_header()
        self.header.setWordWrap(False)
        head.addWidget(self.header)
        self.committee_box = QComboBox()
        self.committee_box.setMinimumWidth(160)
        self.committee_box.setToolTip(self.tr("本村的全部组织"))
        self.committee_box.activated.connect(self._committee_chosen)
        head.addWidget(self.committee_box)
        head.addStretch(1)
        self.form_button = QPushButton(self.tr("成立"))
        self.dissolve_button = QPushButton(self.tr("解散"))
        self.member_button = QPushButton(self.tr("添加成员"))
        self.leave_button = QPushButton(self.tr("成员离任"))
        self.activity_button = QPushButton(self.tr("登记活动 (Ctrl+N)"))
        for button, slot in ((self.form_button, self.open_form), (self.dissolve_button, self.open_dissolve),
                             (self.member_button, self.open_add_member), (self.leave_button, self.open_leave),
                             (self.activity_button, self.open_activity)):
            button.clicked.connect(slot)
            head.addWidget(button)
        layout.addLayout(head)
        self.info = selectable_label("")
        layout.addWidget(self.info)
        tables = QHBoxLayout()
        members_box = QGroupBox(self.tr("成员"))
        members_layout = QVBoxLayout(members_box)
        self.members = self._table(("姓名", "职务", "加入日期", "离任日期"))
        for col, width in enumerate((72, 62, 96)):
            self.members.setColumnWidth(col, width)
        members_layout.addWidget(self.members)
        activities_box = QGroupBox(self.tr("活动记录"))
        activities_layout = QVBoxLayout(activities_box)
        self.activities = self._table(("日期", "类型", "主题", "参加", "数字", "决定事项 / 结果"))
        for col, width in enumerate((96, 72, 130, 44, 250)):
            self.activities.setColumnWidth(col, width)
        activities_layout.addWidget(self.activities)
        tables.addWidget(members_box, 4)
        tables.addWidget(activities_box, 7)
        layout.addLayout(tables, 1)
        return box

    def _table(self, headers: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels([self.tr(h) for h in headers])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        table.horizontalHeader().setStretchLastSection(True)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        return table

    # -- loading ----------------------------------------------------------------------------------------

    def reload(self, *_args) -> None:
        """Load the checklist on the worker thread; the grid keeps its selection."""
        self._generation += 1
        generation = self._generation
        session = self.session
        self.busy = True
        self.summary.setText(self.tr("正在统计…"))

        task = self.context.runner.submit(plain_job(session, supervision.checklist))
        self._tasks.append(task)

        def finished(rows) -> None:
            if generation != self._generation:
                return
            self.busy = False
            self._loaded(rows)

        def failed(error) -> None:
            if generation == self._generation:
                self.busy = False
                show_error(self, error)

        task.finished.connect(finished)
        task.failed.connect(failed)
        task.ended.connect(lambda: task in self._tasks and self._tasks.remove(task))

    def _loaded(self, rows: list) -> None:
        current = self.grid.currentIndex()
        self.model.set_rows(rows)
        formed = sum(1 for v in rows if v.all_six_formed)
        inactive = sum(len(v.inactive_committees) for v in rows)
        short = sum(len(v.under_minimum) for v in rows)
        self.summary.setText(self.tr("{n} 个村，六会齐全 {formed} 个；不活跃组织 {inactive} 个，成员不足 {short} 个").format(
            n=len(rows), formed=formed, inactive=inactive, short=short))
        if current.isValid() and current.row() < self.model.rowCount():
            self.grid.setCurrentIndex(self.model.index(current.row(), current.column()))
        self._show_detail(self._committee_id())
        self.loaded.emit(len(rows))

    # -- cells ------------------------------------------------------------------------------------------

    def open_cell(self, index: QModelIndex) -> None:
        """Show the committee of a grid cell (or the village with nothing chosen)."""
        if not index.isValid():
            return
        v = self.model.rows[index.row()]
        self.village_id, self.village_name = v.village_id, v.village
        self.kind = self.model.kind_at(index.column())
        c = self.model.committee_at(index.row(), index.column())
        self._show_detail(c.id if c is not None else None)

    def _committee_id(self) -> str | None:
        return self.detail.row.id if self.detail is not None else None

    def _committee_chosen(self, position: int) -> None:
        committee_id = self.committee_box.itemData(position)
        if committee_id:
            self._show_detail(committee_id)

    def _show_detail(self, committee_id: str | None = None) -> None:
        try:
            self.detail = committee_service.committee_detail(self.session, committee_id) if committee_id else None
        except Exception:  # noqa: BLE001 — deleted meanwhile: show nothing
            self.detail = None
        d = self.detail
        has_village = self.village_id is not None
        self._fill_committee_box()
        if d is None:
            if has_village:
                label = COMMITTEE_KINDS.get(self.kind or "", "")
                self.header.setText(self.village_name)
                self.info.setText(self.tr("{kind}尚未成立。点击“成立”建立该组织。").format(kind=label) if label else
                                  self.tr("在上方表格中点击一个组织，或在右侧选择本村的其他组织。"))
            else:
                self.header.setText(self.tr("请选择一个组织"))
                self.info.setText(self.tr("在上方表格中点击某村某一组织的格子，查看成员和活动记录。"))
            self.members.setRowCount(0)
            self.activities.setRowCount(0)
        else:
            r = d.row
            self.village_id, self.village_name = r.village_id, r.village
            self.header.setText(r.village)
            parts = [f"成立于 {_date(r.founded_on) or '（未填）'}"]
            if r.dissolved_on:
                parts.append(f"已于 {_date(r.dissolved_on)} 解散")
            parts += [f"现有成员 {r.members} 人", f"会长：{r.chair or '（未设）'}",
                      f"活动 {r.activities} 次，最近 {_date(r.last_activity) or '无'}"]
            if r.charter:
                parts.append(f"章程：{r.charter}")
            self.info.setText("；".join(parts))
            self._fill_members(d.members)
            self._fill_activities(d.activities)
        active = d is not None and d.row.active
        self.form_button.setEnabled(has_village and (d is None or not d.row.active))
        self.dissolve_button.setEnabled(active)
        self.member_button.setEnabled(active)
        self.leave_button.setEnabled(active and any(m.current for m in d.members))
        self.activity_button.setEnabled(active)

    def _fill_committee_box(self) -> None:
        self.committee_box.blockSignals(True)
        self.committee_box.clear()
        if self.village_id:
            self.committee_box.addItem(self.tr("（本村组织）"), None)
            ids = committee_service.committee_ids(self.session, village_id=self.village_id)
            for row in committee_service.committee_rows(self.session, ids):
                self.committee_box.addItem(row.name, row.id)
            index = self.committee_box.findData(self._committee_id())
            self.committee_box.setCurrentIndex(max(index, 0))
        self.committee_box.setVisible(bool(self.village_id))
        self.committee_box.blockSignals(False)

    def _fill_members(self, members) -> None:
        self.members.setRowCount(len(members))
        for i, m in enumerate(members):
            values = (m.name, m.role, _date(m.joined_on), _date(m.left_on))
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, m.id)
                if not m.current:
                    item.setForeground(QBrush(QColor("#7b8794")))
                self.members.setItem(i, col, item)

    def _fill_activities(self, activities) -> None:
        self.activities.setRowCount(len(activities))
        for i, a in enumerate(activities):
            figures = " · ".join(FIGURE_SHORT[k].format(v=v) for k, v in a.figures().items() if v)
            text = " / ".join(t for t in (" ".join(a.decisions.split()), " ".join(a.outcome.split())) if t)
            for col, value in enumerate((_date(a.held_on), a.kind, a.topic, str(a.attendees), figures, text)):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, a.id)
                if col in (4, 5):
                    item.setToolTip(value)
                self.activities.setItem(i, col, item)

    # -- actions ------------------------------------------------------------------------------------------

    def _after_change(self, committee_id: str | None) -> None:
        if committee_id:
            self.committee_changed.emit(committee_id)
        self._show_detail(committee_id)
        self.reload()

    def form_dialog(self) -> FormCommitteeDialog | None:
        if not self.village_id:
            return None
        dialog = FormCommitteeDialog(self.session, self.village_id, self.village_name, kind=self.kind, parent=self)
        dialog.saved.connect(self._after_change)
        return dialog

    def dissolve_dialog(self) -> DateActionDialog | None:
        d = self.detail
        if d is None or not d.row.active:
            return None
        committee_id = d.row.id
        dialog = DateActionDialog(
            self.tr("解散组织"), self.tr("解散“{village}{name}”？成员和活动记录仍然保留。").format(
                village=d.row.village, name=d.row.name),
            self.tr("解散日期："), "dissolved_on",
            lambda day: committee_service.dissolve(self.session, committee_id, day),
            self.session.ledger.clock.today(), parent=self)
        dialog.saved.connect(lambda _ok: self._after_change(committee_id))
        return dialog

    def add_member_dialog(self) -> AddMemberDialog | None:
        d = self.detail
        if d is None or not d.row.active:
            return None
        dialog = AddMemberDialog(self.session, d.row.id, d.row.name, self.search, parent=self)
        dialog.saved.connect(lambda _id: self._after_change(d.row.id))
        return dialog

    def leave_dialog(self) -> DateActionDialog | None:
        d = self.detail
        row = self.members.currentRow()
        if d is None or row < 0 or row >= len(d.members) or not d.members[row].current:
            return None
        m = d.members[row]
        dialog = DateActionDialog(
            self.tr("成员离任"), self.tr("{name}（{role}）离开“{committee}”。").format(
                name=m.name, role=m.role, committee=d.row.name),
            self.tr("离任日期："), "left_on", lambda day: committee_service.end_membership(self.session, m.id, day),
            self.session.ledger.clock.today(), parent=self)
        dialog.saved.connect(lambda _ok: self._after_change(d.row.id))
        return dialog

    def activity_dialog(self) -> ActivityDialog | None:
        d = self.detail
        if d is None or not d.row.active:
            return None
        members = [(m.person_id, f"{m.name}（{m.role}）") for m in d.members if m.current]
        dialog = ActivityDialog(self.session, d.row.id, d.row.name, d.row.kind, self.search, members=members,
                                parent=self)
        dialog.saved.connect(lambda _id: self._after_change(d.row.id))
        return dialog

    def open_form(self) -> None:
        run_modal(self.form_dialog())

    def open_dissolve(self) -> None:
        run_modal(self.dissolve_dialog())

    def open_add_member(self) -> None:
        run_modal(self.add_member_dialog())

    def open_leave(self) -> None:
        if self.members.currentRow() < 0:
            QMessageBox.information(self, self.tr("成员离任"), self.tr("请先在成员表中选择要离任的成员。"))
            return
        run_modal(self.leave_dialog())

    def open_activity(self) -> None:
        run_modal(self.activity_dialog())

    # -- Excel ----------------------------------------------------------------------------------------------

    def after_import(self, result) -> None:
        self.committees_imported.emit(result)
        self._show_detail(self._committee_id())
        self.reload()

    def export_committees(self, path: str | None = None) -> str | None:
        """Write every village's committees, members and activities to an .xlsx on the worker; its path, or None."""
        return self.export_with(
            title=self.tr("导出六会"), default_name="六会.xlsx", path=path,
            write=lambda session, target, _progress, _cancel: export_committees(session, target),
            done_text=lambda result, target: self.tr("已导出 {c} 个组织、{m} 名成员、{a} 次活动到 {path}").format(
                c=result.committees, m=result.members, a=result.activities, path=target))
