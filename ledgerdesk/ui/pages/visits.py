"""走访: the visit records (走访, 敲门行动, 院坝会, 田埂会) — list, record, and needs into problems.

The list is a :class:`~ledgerdesk.ui.lazy_table.LazyTableModel` over
:func:`ledgerdesk.services.visits.visit_ids` (village, month, 待回访 filters; loaded
on the worker thread) with :func:`~ledgerdesk.services.visits.visit_rows`; a
visit whose next visit is due is tinted amber. Ctrl+N records a visit. A visit
with needs can be turned into a ledger problem in one action (转为问题,
:func:`~ledgerdesk.services.visits.problem_from_visit`); the user is then
offered to open it on the 问题台账 page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.core import vocab
from ledgerdesk.services import visits as visit_service
from ledgerdesk.ui.dialogs.problem_forms import household_search, village_choices
from ledgerdesk.ui.dialogs.visit_forms import VisitRecordDialog, VisitToProblemDialog
from ledgerdesk.ui.lazy_table import Column, LazyTableModel
from ledgerdesk.ui.pages.base import Page, selectable_label
from ledgerdesk.ui.pages.problems import date_text, month_choices
from ledgerdesk.ui.widgets.record_table import IdLoader, RecordTable, load_state, save_state

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

DUE_BACKGROUND = QColor("#fff0c2")
SETTINGS_KEY = "visits"


def _due(row) -> QColor | None:
    return DUE_BACKGROUND if getattr(row, "due", False) else None


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def visit_columns() -> list[Column]:
    return [
        Column("visited_on", "走访日期", 96, display=lambda r: date_text(r.visited_on), background=_due),
        Column("village", "村", 90, background=_due),
        Column("kind", "形式", 74, background=_due),
        Column("visitors", "走访人员", 110, background=_due),
        Column("households", "户数", 48, align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
               background=_due),
        Column("next_due", "下次走访", 140, display=lambda r: date_text(r.next_due) + (" 已到期" if r.due else ""),
               background=_due),
        Column("needs", "群众诉求", 200, display=lambda r: _one_line(r.needs), background=_due),
        Column("findings", "发现的情况", 240, display=lambda r: _one_line(r.findings), background=_due),
    ]


class VisitsPage(Page):
    """Filters on top, the visits on the left, the selected visit and its actions on the right."""

    visit_changed = Signal(str)
    problem_created = Signal(str)  # the id of a problem made from a visit

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        self.set_subtitle(self.tr("入户走访、敲门行动、院坝会和田埂会的记录；群众诉求可一键转为问题台账。"))
        self.context = context
        self.session = context.session
        self.today = self.session.ledger.clock.today()
        self.current_id: str | None = None
        self.current = None  # VisitDetail of the selected visit
        self._pending_select: str | None = None
        self.villages = village_choices(self.session)

        self.village_box = QComboBox()
        self.village_box.addItem(self.tr("全部村"), None)
        for village_id, name in self.villages:
            self.village_box.addItem(name, village_id)
        self.month_box = QComboBox()
        self.month_box.addItem(self.tr("全部月份"), None)
        for month in month_choices(self.today):
            self.month_box.addItem(month, month)
        self.kind_box = QComboBox()
        self.kind_box.addItem(self.tr("全部形式"), None)
        for kind in vocab.VISIT_KINDS:
            self.kind_box.addItem(kind, kind)
        self.due_check = QCheckBox(self.tr("只看到期待回访"))
        self.count_label = QLabel()
        self.count_label.setObjectName("pageSubtitle")
        self.new_button = QPushButton(self.tr("记录走访 (Ctrl+N)"))
        self.new_button.clicked.connect(self.open_record)
        filters = QHBoxLayout()
        for label, widget in ((self.tr("村"), self.village_box), (self.tr("走访月份"), self.month_box),
                              (self.tr("形式"), self.kind_box)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
            filters.addSpacing(6)
        filters.addWidget(self.due_check)
        filters.addSpacing(12)
        filters.addWidget(self.count_label)
        filters.addStretch(1)
        filters.addWidget(self.new_button)
        self.body.addLayout(filters)
        for box in (self.village_box, self.month_box, self.kind_box):
            box.currentIndexChanged.connect(self.reload)
        self.due_check.toggled.connect(self.reload)

        self.model = LazyTableModel(visit_columns(), self._query_ids, self._fetch_rows, load=False)
        self.table = RecordTable(self.model, f"{SETTINGS_KEY}/table")
        self.table.selection_changed.connect(self._selection_changed)
        self.loader = IdLoader(context.runner, self.session, self.model, self)
        self.loader.loaded.connect(self._ids_loaded)

        self.detail = self._build_detail()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([660, 440])
        self.body.addWidget(splitter, 1)

        for key, slot in (("Ctrl+N", self.open_record), ("F5", self.reload), ("Ctrl+P", self.open_to_problem)):
            shortcut = QShortcut(QKeySequence(key), self, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._restore_filters()
        self.reload()

    def _build_detail(self) -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setMinimumWidth(380)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(10, 0, 4, 0)
        self.header = selectable_label("", "detailHeader")
        self.header.setStyleSheet("font-size: 14pt; font-weight: bold; color: #1f2933;")
        self.empty = QLabel(self.tr("在左侧列表中选择一条走访记录。"))
        self.empty.setObjectName("pageSubtitle")
        layout.addWidget(self.header)
        layout.addWidget(self.empty)
        self.detail_box = QGroupBox(self.tr("走访情况"))
        form = QFormLayout(self.detail_box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.detail_labels: dict[str, QLabel] = {}
        for key, caption in (("visitors", "走访人员"), ("households", "走访的户"), ("findings", "发现的情况"),
                             ("needs", "群众诉求"), ("next_due", "下次走访"), ("problems", "已转问题")):
            label = selectable_label("")
            self.detail_labels[key] = label
            form.addRow(self.tr(caption) + "：", label)
        layout.addWidget(self.detail_box)
        buttons = QHBoxLayout()
        self.to_problem_button = QPushButton(self.tr("转为问题 (Ctrl+P)"))
        self.to_problem_button.setToolTip(self.tr("把这次走访中群众提出的诉求登记为问题台账中的问题"))
        self.to_problem_button.clicked.connect(self.open_to_problem)
        buttons.addWidget(self.to_problem_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.no_needs_label = QLabel(self.tr("这次走访没有记录群众诉求，无需转为问题。"))
        self.no_needs_label.setObjectName("pageSubtitle")
        self.no_needs_label.setWordWrap(True)
        layout.addWidget(self.no_needs_label)
        layout.addStretch(1)
        area.setWidget(inner)
        self._show(None)
        return area

    # -- filters and list ----------------------------------------------------------------------------

    def query(self) -> visit_service.VisitQuery:
        return visit_service.VisitQuery(village_id=self.village_box.currentData(), month=self.month_box.currentData(),
                                        due=True if self.due_check.isChecked() else None,
                                        kind=self.kind_box.currentData())

    def _filter_state(self) -> dict:
        return {"village": self.village_box.currentData(), "month": self.month_box.currentData(),
                "kind": self.kind_box.currentData(), "due": self.due_check.isChecked()}

    def _restore_filters(self) -> None:
        state = load_state(f"{SETTINGS_KEY}/filters")
        for box, key in ((self.village_box, "village"), (self.month_box, "month"), (self.kind_box, "kind")):
            box.blockSignals(True)
            box.setCurrentIndex(max(0, box.findData(state.get(key))))
            box.blockSignals(False)
        self.due_check.blockSignals(True)
        self.due_check.setChecked(bool(state.get("due")))
        self.due_check.blockSignals(False)

    def _query_ids(self) -> list[str]:
        return visit_service.visit_ids(self.session, self.query())

    def _fetch_rows(self, ids: list[str]) -> list:
        return visit_service.visit_rows(self.session, ids)

    def reload(self, *_args, select: str | None = None) -> None:
        self._pending_select = select or self.current_id
        save_state(f"{SETTINGS_KEY}/filters", self._filter_state())
        query, session = self.query(), self.session
        self.count_label.setText(self.tr("正在查找…"))
        self.loader.load(lambda: visit_service.visit_ids(session, query))

    def _ids_loaded(self, count: int) -> None:
        self.count_label.setText(self.tr("共 {n} 次").format(n=f"{count:,}"))
        wanted, self._pending_select = self._pending_select, None
        if wanted and self.table.select_ids([wanted]):
            self._show(wanted)
            return
        self._show(self.table.current_id())

    def _selection_changed(self) -> None:
        if self.loader.busy:
            return
        selected = self.table.current_id()
        if selected != self.current_id:
            self._show(selected)

    def _show(self, visit_id: str | None) -> None:
        self.current_id = visit_id
        self.current = visit_service.visit_detail(self.session, visit_id) if visit_id else None
        has = self.current is not None
        self.empty.setVisible(not has)
        self.detail_box.setVisible(has)
        if not has:
            self.header.setText("")
            self.to_problem_button.hide()
            self.no_needs_label.hide()
            return
        row = self.current.row
        self.header.setText(f"{date_text(row.visited_on)}　{row.village}　{row.kind}")
        values = {
            "visitors": row.visitors,
            "households": "、".join(self.current.households) or self.tr("（未记录）"),
            "findings": row.findings or self.tr("（无）"),
            "needs": row.needs or self.tr("（无）"),
            "next_due": date_text(row.next_due) + (self.tr("（已到期）") if row.due else "") if row.next_due else "",
            "problems": "、".join(p.number for p in self.current.problems) or self.tr("（无）"),
        }
        for key, text in values.items():
            self.detail_labels[key].setText(text)
        has_needs = bool(row.needs.strip())
        self.to_problem_button.setVisible(has_needs)
        self.no_needs_label.setVisible(not has_needs)

    def select_visit(self, visit_id: str) -> None:
        if self.loader.busy:  # a list on its way keeps this selection, not an older one
            self._pending_select = visit_id
        if self.table.select_ids([visit_id]):
            self._show(visit_id)
            return
        for box in (self.village_box, self.month_box, self.kind_box):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.due_check.blockSignals(True)
        self.due_check.setChecked(False)
        self.due_check.blockSignals(False)
        self.reload(select=visit_id)

    # -- actions --------------------------------------------------------------------------------------

    def record_dialog(self) -> VisitRecordDialog:
        """The 记录走访 form (not yet shown); saving it selects the new visit."""
        dialog = VisitRecordDialog(self.session, self.villages, household_search(self.session),
                                   village_id=self.village_box.currentData(), parent=self)
        dialog.saved.connect(self._recorded)
        return dialog

    def open_record(self) -> None:
        dialog = self.record_dialog()
        dialog.exec()
        dialog.deleteLater()

    def _recorded(self, visit_id: str) -> None:
        self.visit_changed.emit(visit_id)
        self.select_visit(visit_id)

    def to_problem_dialog(self) -> VisitToProblemDialog | None:
        """The 转为问题 form for the selected visit (None when it has no needs)."""
        if self.current is None or not self.current.row.needs.strip():
            return None
        row = self.current.row
        dialog = VisitToProblemDialog(self.session, row.id, row.needs,
                                      label=f"{date_text(row.visited_on)} {row.village}", parent=self)
        dialog.saved.connect(self._converted)
        return dialog

    def open_to_problem(self) -> None:
        dialog = self.to_problem_dialog()
        if dialog is None:
            return
        dialog.exec()
        dialog.deleteLater()

    def _converted(self, ref) -> None:
        self.problem_created.emit(ref.id)
        self._show(self.current_id)
        if self.offer_jump(ref):
            self.jump_to_problem(ref.id)

    def offer_jump(self, ref) -> bool:
        """Ask whether to open the new problem on the 问题台账 page."""
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("已转为问题"),
                          self.tr("已登记为问题 {number}。要转到问题台账查看并交办吗？").format(number=ref.number),
                          QMessageBox.StandardButton.NoButton, self)
        go = box.addButton(self.tr("转到问题台账"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("留在本页"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(go)
        box.exec()
        return box.clickedButton() is go

    def jump_to_problem(self, problem_id: str) -> bool:
        """Show ``problem_id`` on the 问题台账 page of this window; False when there is none."""
        window = self.window()
        page_of, show = getattr(window, "page", None), getattr(window, "show_page", None)
        if page_of is None or show is None:
            return False
        from ledgerdesk.ui.pages import PAGES  # the registry imports this module

        keys = [spec.key for spec in PAGES]
        if "problems" not in keys:
            return False
        problems = show(keys.index("problems"))
        if not hasattr(problems, "select_problem"):
            return False
        problems.select_problem(problem_id)
        return True

