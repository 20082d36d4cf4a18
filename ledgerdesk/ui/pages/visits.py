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
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QWidget,
)

from ledgerdesk.core import vocab
from ledgerdesk.services import visits as visit_service
from ledgerdesk.ui.dialogs.problem_forms import household_search
from ledgerdesk.ui.dialogs.visit_forms import VisitRecordDialog, VisitToProblemDialog
from ledgerdesk.ui.lazy_table import Column
from ledgerdesk.ui.pages.base import detail_header, scroll_column, selectable_label, show_problem
from ledgerdesk.ui.pages.list_page import ListDetailPage, choice_box, date_text
from ledgerdesk.ui.widgets.common import page_shortcuts, run_modal

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


class VisitsPage(ListDetailPage):
    """Filters on top, the visits on the left, the selected visit and its actions on the right."""

    SETTINGS_KEY = SETTINGS_KEY
    list_ids = staticmethod(visit_service.visit_ids)
    list_rows = staticmethod(visit_service.visit_rows)
    visit_changed = Signal(str)
    problem_created = Signal(str)  # the id of a problem made from a visit

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(context, spec)
        self.set_subtitle(self.tr("入户走访、敲门行动、院坝会和田埂会的记录；群众诉求可一键转为问题台账。"))
        self.current = None  # VisitDetail of the selected visit

        self.village_box = self.village_box_filter()
        self.month_box = self.month_box_filter()
        self.kind_box = choice_box(self.tr("全部形式"), vocab.VISIT_KINDS)
        self.due_check = QCheckBox(self.tr("只看到期待回访"))
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

        self.build_list(visit_columns(), self._build_detail(), sizes=(660, 440))
        self._show(None)
        page_shortcuts(self, ("Ctrl+N", self.open_record), ("F5", self.reload), ("Ctrl+P", self.open_to_problem))
        self._restore_filters()
        self.reload()

    def _build_detail(self) -> QScrollArea:
        area = QScrollArea()
        layout = scroll_column(area, 380)
        self.header = detail_header()
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
        return area

    # -- filters and list ----------------------------------------------------------------------------

    def filter_widgets(self) -> dict[str, QWidget]:
        return {"village": self.village_box, "month": self.month_box, "kind": self.kind_box, "due": self.due_check}

    def query(self) -> visit_service.VisitQuery:
        return visit_service.VisitQuery(village_id=self.village_box.currentData(), month=self.month_box.currentData(),
                                        due=True if self.due_check.isChecked() else None,
                                        kind=self.kind_box.currentData())

    def count_text(self, count: int) -> str:
        return self.tr("共 {n} 次").format(n=f"{count:,}")

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
        """Show ``visit_id``: selected in the list (clearing the filters if they hide it)."""
        self.select_record(visit_id)

    # -- actions --------------------------------------------------------------------------------------

    def record_dialog(self) -> VisitRecordDialog:
        """The 记录走访 form (not yet shown); saving it selects the new visit."""
        dialog = VisitRecordDialog(self.session, self.villages, household_search(self.session),
                                   village_id=self.village_box.currentData(), parent=self)
        dialog.saved.connect(self._recorded)
        return dialog

    def open_record(self) -> None:
        run_modal(self.record_dialog())

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
        run_modal(self.to_problem_dialog())

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
        return show_problem(self, problem_id)
