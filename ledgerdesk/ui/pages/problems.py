"""问题台账: the problem-to-closure ledger — filters, the list, one problem's detail and its next steps.

The list is a :class:`~ledgerdesk.ui.lazy_table.LazyTableModel` over
:func:`ledgerdesk.services.ledger.problem_ids` (loaded on the worker thread,
filtered in SQL by :class:`~ledgerdesk.services.ledger.ProblemQuery`) with rows
from :func:`~ledgerdesk.services.ledger.problem_rows`: overdue rows are tinted
red, yellow-carded rows amber, finished ones (办结 and after, merged, voided) grey.

The detail pane shows the selected problem's fields, its timeline of events
and one button per step the user may take now
(:func:`~ledgerdesk.services.ledger.legal_actions`, which applies both the
lifecycle and the role); each opens a small form
(:mod:`ledgerdesk.ui.dialogs.problem_actions`). Ctrl+N opens the quick entry form.
"""

from __future__ import annotations

import datetime as dt
import html
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ledgerdesk.core import lifecycle, vocab
from ledgerdesk.core.errors import NotFoundError
from ledgerdesk.interchange.ledger_xlsx import export_ledger
from ledgerdesk.services import ledger as ledger_service
from ledgerdesk.services import permissions
from ledgerdesk.ui.dialogs.problem_actions import ACTION_KINDS, ProblemActionDialog, ProblemEntryDialog
from ledgerdesk.ui.dialogs.problem_forms import household_search
from ledgerdesk.ui.import_dialog import ImportDialog
from ledgerdesk.ui.lazy_table import Column
from ledgerdesk.ui.pages.base import detail_header, scroll_column, selectable_label
from ledgerdesk.ui.pages.list_page import ListDetailPage, choice_box, date_text, month_choices  # noqa: F401 — re-exported
from ledgerdesk.ui.widgets.common import page_shortcuts, run_modal
from ledgerdesk.ui.widgets.transfer import ExcelActions

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

OVERDUE_BACKGROUND = QColor("#fbdcdc")
YELLOW_BACKGROUND = QColor("#fff0c2")
FINISHED_FOREGROUND = QColor("#7b8794")
FINISHED_STATES = lifecycle.RESOLVED_STATES | lifecycle.TERMINAL_STATES
SETTINGS_KEY = "problems"
SORTABLE = ("registered_at", "number", "deadline", "state", "urgency")  # ProblemQuery.sort keys


def time_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value or "")[:16].replace("T", " ")


def row_background(row) -> QColor | None:
    if getattr(row, "overdue", False):
        return OVERDUE_BACKGROUND
    if getattr(row, "yellow", False):
        return YELLOW_BACKGROUND
    return None


def row_foreground(row) -> QColor | None:
    return FINISHED_FOREGROUND if getattr(row, "state", "") in FINISHED_STATES else None


def problem_columns() -> list[Column]:
    paint = {"background": row_background, "foreground": row_foreground}
    return [
        Column("number", "编号", 150, **paint),
        Column("title", "标题", 210, **paint),
        Column("state", "状态", 70, **paint),
        Column("village", "村", 86, **paint),
        Column("source", "来源", 92, **paint),
        Column("responsible_person", "责任人", 70, **paint),
        Column("deadline", "期限", 92, display=lambda r: date_text(r.deadline), **paint),
        Column("registered_at", "登记日期", 92, display=lambda r: date_text(r.registered_at), **paint),
        Column("urgency", "紧急程度", 76, **paint),
        Column("category", "类别", 110, **paint),
        Column("responsible_unit", "责任单位", 140, **paint),
    ]


def event_summary(event) -> str:
    """One line saying what an event recorded, from whichever of its fields are filled."""
    parts = []

    def add(label: str, value: Any) -> None:
        if value not in (None, ""):
            parts.append(f"{label}{value}" if label else str(value))

    who = "、".join(v for v in (getattr(event, "responsible_person", ""), getattr(event, "responsible_unit", "")) if v)
    add("责任：", who)
    deadline = getattr(event, "deadline", None)
    if deadline:
        kind = getattr(event, "deadline_kind", None)
        add("期限：", date_text(deadline) + (f"（{kind}）" if kind else ""))
    add("评价：", getattr(event, "rating", None))
    add("评价人：", getattr(event, "rated_by", ""))
    add("方式：", getattr(event, "rating_method", ""))
    add("理由：", getattr(event, "reason", ""))
    add("批准人：", getattr(event, "approved_by", ""))
    add("回访：", getattr(event, "revisit_result", ""))
    merged = getattr(event, "merged_into_number", "") or getattr(event, "merged_into", "")
    add("并入：", merged)
    add("", getattr(event, "note", ""))
    return "；".join(parts)


class ProblemsPage(ExcelActions, ListDetailPage):
    """Filters on top, the list on the left, the selected problem on the right."""

    SETTINGS_KEY = SETTINGS_KEY
    list_ids = staticmethod(ledger_service.problem_ids)
    first_screen_first = True
    list_rows = staticmethod(ledger_service.problem_rows)
    make_import_dialog = staticmethod(ImportDialog.for_ledger)
    problem_changed = Signal(str)  # a problem was registered or took a step
    problems_imported = Signal(object)  # the import result, after 导入台账

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(context, spec)
        self._build_filters()
        self.sort: tuple[str, bool] = ("registered_at", True)
        detail = ProblemDetailPane()
        detail.action_requested.connect(self.run_action)
        self.build_list(problem_columns(), detail, sizes=(640, 460), on_sort=self._sort_by, sortable=SORTABLE)
        self.table.opened.connect(lambda _id: self._focus_actions())
        self._sync_sort_indicator()
        page_shortcuts(self, ("Ctrl+N", self.open_entry), ("F5", self.reload), ("Ctrl+F", self._focus_search))
        self._restore_filters()
        self.reload()

    # -- filters -------------------------------------------------------------------------------------

    def _build_filters(self) -> None:
        self.state_box = choice_box(self.tr("全部状态"), [("未办结", self.tr("未办结")),
                                                        ("办结", self.tr("办结（含已评价、已销号）")),
                                                        *lifecycle.STATES])
        self.state_box.setToolTip(self.tr("未办结：登记、已交办、办理中；办结：已办结、已评价、已销号"))
        self.source_box = choice_box(self.tr("全部来源"), vocab.SOURCES)
        self.village_box = self.village_box_filter()
        self.month_box = self.month_box_filter()
        for box in (self.state_box, self.source_box, self.village_box, self.month_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(7)
        self.responsible_edit = QLineEdit()
        self.responsible_edit.setPlaceholderText(self.tr("责任人或单位"))
        self.responsible_edit.setClearButtonEnabled(True)
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText(self.tr("查找编号、标题、工单号、反映人（Ctrl+F）"))
        self.text_edit.setClearButtonEnabled(True)
        self.overdue_check = QCheckBox(self.tr("只看超期"))
        self.yellow_check = QCheckBox(self.tr("只看黄牌"))
        clear = QPushButton(self.tr("清除筛选"))
        clear.clicked.connect(self.clear_filters)
        self.new_button = QPushButton(self.tr("登记问题 (Ctrl+N)"))
        self.new_button.setObjectName("primaryAction")
        self.new_button.clicked.connect(self.open_entry)
        excel = self.excel_buttons(can_import=self.session.role in permissions.REVIEWERS,
                                   import_text=self.tr("导入台账…"),
                                   import_tip=self.tr("从 Excel 问题台账导入（书记、管理员）"),
                                   denied_tip=self.tr("只有书记和管理员可以导入问题台账"),
                                   export_tip=self.tr("把问题台账导出为 Excel 表格（可再导入）；反映人电话按权限遮挡"),
                                   export=self.export_ledger)

        first = QHBoxLayout()
        for label, widget in ((self.tr("状态"), self.state_box), (self.tr("来源"), self.source_box),
                              (self.tr("村"), self.village_box), (self.tr("登记月份"), self.month_box)):
            first.addWidget(QLabel(label))
            first.addWidget(widget)
            first.addSpacing(6)
        first.addWidget(self.responsible_edit, 1)
        first.addSpacing(6)
        for button in excel:
            first.addWidget(button)
        second = QHBoxLayout()
        second.addWidget(self.text_edit, 1)
        second.addWidget(self.overdue_check)
        second.addWidget(self.yellow_check)
        second.addWidget(clear)
        second.addSpacing(12)
        second.addWidget(self.count_label)
        second.addStretch(0)
        second.addWidget(self.new_button)
        self.body.addLayout(first)
        self.body.addLayout(second)

    def filter_widgets(self) -> dict[str, QWidget]:
        return {"state": self.state_box, "source": self.source_box, "village": self.village_box,
                "month": self.month_box, "overdue": self.overdue_check, "yellow": self.yellow_check,
                "responsible": self.responsible_edit, "text": self.text_edit}

    def query(self) -> ledger_service.ProblemQuery:
        """The filters as a service query."""
        return ledger_service.ProblemQuery(
            status=self.state_box.currentData(),
            overdue=True if self.overdue_check.isChecked() else None,
            yellow=True if self.yellow_check.isChecked() else None,
            source=self.source_box.currentData(),
            village_id=self.village_box.currentData(),
            responsible=self.responsible_edit.text().strip() or None,
            month=self.month_box.currentData(),
            text=self.text_edit.text().strip() or None,
            sort=self.sort[0],
            descending=self.sort[1],
        )

    def _sync_sort_indicator(self) -> None:
        """Take the order from the remembered header, else show the default order on it."""
        header = self.table.horizontalHeader()
        section = header.sortIndicatorSection()
        key = self.model.columns[section].key if 0 <= section < len(self.model.columns) else ""
        if QSettings().value(f"{SETTINGS_KEY}/table/header") is not None and key in SORTABLE:
            self.sort = (key, header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder)
            return
        header.blockSignals(True)
        header.setSortIndicator(self.model.column_number(self.sort[0]),
                                Qt.SortOrder.DescendingOrder if self.sort[1] else Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)

    def _sort_by(self, key: str, descending: bool) -> None:
        self.sort = (key, descending)
        self.reload()

    # -- the list ------------------------------------------------------------------------------------

    def count_text(self, count: int) -> str:
        return self.tr("共 {n} 件").format(n=f"{count:,}")

    def select_problem(self, problem_id: str) -> None:
        """Show ``problem_id``: selected in the list (clearing the filters if they hide it)."""
        self.select_record(problem_id)

    def _show(self, problem_id: str | None) -> None:
        self.current_id = problem_id
        if problem_id is None:
            self.detail.show_problem(None, ())
            return
        try:
            detail = ledger_service.problem_detail(self.session, problem_id)
        except NotFoundError:  # deleted meanwhile (e.g. by a sync import)
            self.current_id = None
            self.detail.show_problem(None, ())
            return
        actions = getattr(detail, "legal_actions", None)
        if actions is None:
            actions = ledger_service.legal_actions(self.session, problem_id)
        self.detail.show_problem(detail, actions)

    def _focus_actions(self) -> None:
        buttons = self.detail.visible_buttons()
        if buttons:
            buttons[0].setFocus()

    def _focus_search(self) -> None:
        self.text_edit.setFocus()
        self.text_edit.selectAll()

    # -- actions --------------------------------------------------------------------------------------

    def entry_dialog(self) -> ProblemEntryDialog:
        """The quick entry form (not yet shown); saving it selects the new problem."""
        dialog = ProblemEntryDialog(self.session, self.villages, household_search(self.session), self)
        dialog.saved.connect(self._registered)
        return dialog

    def open_entry(self) -> None:
        run_modal(self.entry_dialog())

    def _registered(self, ref) -> None:
        self.problem_changed.emit(ref.id)
        self.select_problem(ref.id)
        if not self.loader.busy:
            self.reload(select=ref.id)

    def action_dialog(self, kind: str, problem_id: str | None = None) -> ProblemActionDialog:
        """The form of step ``kind`` for ``problem_id`` (default: the selected problem), not yet shown."""
        problem_id = problem_id or self.current_id
        detail = self.detail.problem if self.detail.problem is not None and \
            getattr(self.detail.problem, "id", None) == problem_id else \
            ledger_service.problem_detail(self.session, problem_id)
        label = f"{getattr(detail, 'number', '')} {getattr(detail, 'title', '')}".strip()
        dialog = ProblemActionDialog(self.session, problem_id, kind, label=label,
                                     current_deadline=getattr(detail, "deadline", None),
                                     deadline_kind=getattr(detail, "deadline_kind", None),
                                     urgency=getattr(detail, "urgency", "一般"), parent=self)
        dialog.saved.connect(lambda _result, pid=problem_id: self._stepped(pid))
        return dialog

    def run_action(self, kind: str) -> None:
        if self.current_id is None:
            return
        run_modal(self.action_dialog(kind))

    def _stepped(self, problem_id: str) -> None:
        self.problem_changed.emit(problem_id)
        self.reload(select=problem_id)

    # -- Excel ----------------------------------------------------------------------------------------

    def after_import(self, result) -> None:
        self.problems_imported.emit(result)
        self.reload()

    def export_ledger(self, path: str | None = None) -> str | None:
        """Write the 问题台账 (the village filtered, else all) to an .xlsx on the worker; its path, or None."""
        village_id = self.village_box.currentData()
        return self.export_with(
            title=self.tr("导出问题台账"), default_name="问题台账.xlsx", path=path,
            write=lambda session, target, progress, _cancel: export_ledger(session, target, village_id=village_id,
                                                                            progress=progress),
            done_text=lambda result, target: self.tr("已导出 {n} 个问题到 {path}").format(n=result.rows, path=target))


def wrapping_label() -> QLabel:
    """A selectable value label, top-aligned, that wraps rather than widening its column."""
    label = selectable_label("")
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setMinimumWidth(60)
    return label


class ProblemDetailPane(QScrollArea):
    """One problem: header, fields, action buttons and the event timeline."""

    action_requested = Signal(str)

    # Rows of the 基本情况 grid: two short fields side by side, or one long field across.
    FIELD_ROWS = (
        (("state", "状态"), ("urgency", "紧急程度")),
        (("source", "来源"), ("hotline_no", "工单号")),
        (("village", "村"), ("category", "类别")),
        (("reporter", "反映人"), ("reporter_phone", "联系电话")),
        (("registered_at", "登记时间"), ("deadline", "办理期限")),
        (("responsible_person", "责任人"), ("responsible_unit", "责任单位")),
        (("rating", "群众评价"),),
        (("households", "涉及的户"),),
    )

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.problem: Any = None
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # long text wraps instead
        layout = scroll_column(self, 400)
        layout.setSpacing(8)
        self.header = detail_header()
        self.empty = QLabel(self.tr("在左侧列表中选择一个问题，这里显示它的详情和办理记录。"))
        self.empty.setWordWrap(True)
        self.empty.setObjectName("pageSubtitle")
        layout.addWidget(self.header)
        layout.addWidget(self.empty)
        self.flags_label = QLabel()
        self.flags_label.setWordWrap(True)
        self.flags_label.setObjectName("notice")
        self.flags_label.hide()
        layout.addWidget(self.flags_label)

        self.actions_box = QGroupBox(self.tr("下一步"))
        self.actions_grid = QGridLayout(self.actions_box)
        self.actions_grid.setHorizontalSpacing(6)
        self.buttons: dict[str, QPushButton] = {}
        for kind in ACTION_KINDS:
            button = QPushButton(kind, self.actions_box)
            button.setObjectName(f"action_{kind}")
            button.clicked.connect(partial(self.action_requested.emit, kind))
            button.hide()
            self.buttons[kind] = button
        self.no_actions = QLabel(self.tr("当前没有您可以进行的操作。"), self.actions_box)
        self.no_actions.setObjectName("pageSubtitle")
        layout.addWidget(self.actions_box)

        self.fields_box = QGroupBox(self.tr("基本情况"))
        self.fields_grid = QGridLayout(self.fields_box)
        self.fields_grid.setHorizontalSpacing(8)
        self.fields_grid.setVerticalSpacing(4)
        self.field_labels: dict[str, QLabel] = {}
        for row, pair in enumerate(self.FIELD_ROWS):
            for col, (key, caption) in enumerate(pair):
                name = QLabel(self.tr(caption) + "：")
                name.setStyleSheet("color: #52606d;")
                value = wrapping_label()
                self.field_labels[key] = value
                self.fields_grid.addWidget(name, row, col * 2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                self.fields_grid.addWidget(value, row, col * 2 + 1, 1, 3 if len(pair) == 1 else 1)
        self.fields_grid.setColumnStretch(1, 1)
        self.fields_grid.setColumnStretch(3, 1)
        self.description = wrapping_label()
        last = len(self.FIELD_ROWS)
        caption = QLabel(self.tr("描述："))
        caption.setStyleSheet("color: #52606d;")
        self.fields_grid.addWidget(caption, last, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.fields_grid.addWidget(self.description, last, 1, 1, 3)
        layout.addWidget(self.fields_box)

        self.timeline_box = QGroupBox(self.tr("办理记录"))
        timeline_layout = QVBoxLayout(self.timeline_box)
        # The events as a rich-text table: long notes wrap within the pane instead of being cut.
        self.timeline = wrapping_label()
        self.timeline.setObjectName("timeline")
        self.timeline.setTextFormat(Qt.TextFormat.RichText)
        self.timeline.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.event_rows: list[tuple[str, str, str, str]] = []  # (time, kind, actor, what), oldest first
        timeline_layout.addWidget(self.timeline)
        layout.addWidget(self.timeline_box)
        layout.addStretch(1)
        self.show_problem(None, ())

    def visible_buttons(self) -> list[QPushButton]:
        return [b for b in self.buttons.values() if not b.isHidden()]

    def show_problem(self, detail: Any, actions) -> None:
        self.problem = detail
        has = detail is not None
        self.empty.setVisible(not has)
        for box in (self.actions_box, self.fields_box, self.timeline_box):
            box.setVisible(has)
        self.flags_label.hide()
        if not has:
            self.header.setText("")
            self._show_events(())
            return
        self.header.setText(f"{getattr(detail, 'number', '')}　{getattr(detail, 'title', '')}")
        for key, label in self.field_labels.items():
            label.setText(self._field_text(detail, key))
        self.description.setText(getattr(detail, "description", "") or self.tr("（无）"))
        notices = []
        if getattr(detail, "yellow", False):
            notices.append(self.tr("黄牌预警：") + (getattr(detail, "yellow_reason", "") or self.tr("超期未办结")))
        flags = getattr(detail, "flags", ()) or ()
        if flags:
            notices.append(self.tr("需要核实：") + "；".join(flags))
        if notices:
            self.flags_label.setText("\n".join(notices))
            self.flags_label.show()
        self._show_actions(tuple(actions))
        self._show_events(getattr(detail, "events", ()) or ())

    @staticmethod
    def _field_text(detail: Any, key: str) -> str:
        value = getattr(detail, key, None)
        if key == "registered_at":
            return time_text(value)
        if key == "deadline":
            text = date_text(value)
            kind = getattr(detail, "deadline_kind", None)
            if text and kind:
                text += f"（{kind}）"
            if getattr(detail, "overdue", False):
                text += "　已超期"
            notice = getattr(detail, "deadline_notice", "")
            return f"{text}\n{notice}" if notice else text
        if key == "state":
            text = str(value or "")
            if getattr(detail, "merged_into", ""):
                text += f"（并入 {detail.merged_into}）"
            stage = getattr(detail, "three_step_stage", "")
            if stage:
                text += f"（{stage}）"
            return text
        if key == "rating":
            status = getattr(detail, "status", None)
            value = getattr(status, "rating", None)
            if not value:
                return ""
            extra = "，".join(v for v in (getattr(status, "rated_by", ""), getattr(status, "rating_method", "")) if v)
            return f"{value}（{extra}）" if extra else str(value)
        if key == "households" and isinstance(value, (tuple, list)):
            return "、".join(str(v) for v in value)
        return "" if value is None else str(value)

    def _show_actions(self, actions: tuple[str, ...]) -> None:
        while self.actions_grid.count():
            self.actions_grid.takeAt(0)
        visible = [kind for kind in ACTION_KINDS if kind in actions]
        for index, kind in enumerate(visible):
            self.actions_grid.addWidget(self.buttons[kind], index // 4, index % 4)
        for kind, button in self.buttons.items():
            button.setVisible(kind in visible)
        self.no_actions.setVisible(not visible)
        if not visible:
            self.actions_grid.addWidget(self.no_actions, 0, 0, 1, 4)

    def _show_events(self, events) -> None:
        self.event_rows = [(time_text(getattr(e, "at", "")), getattr(e, "kind", ""), getattr(e, "actor", ""),
                            getattr(e, "summary", "") or event_summary(e)) for e in events]
        if not self.event_rows:
            self.timeline.setText("")
            return
        head = "".join(f"<th align='left' style='color:#52606d; font-weight:normal'>{html.escape(self.tr(t))}</th>"
                       for t in ("时间", "环节", "经办人", "内容"))
        rows = []
        for index, cells in enumerate(self.event_rows):
            shade = " bgcolor='#f1f3f6'" if index % 2 else ""
            tds = "".join(f"<td valign='top'{' nowrap' if n < 3 else ''}>{html.escape(str(c))}</td>"
                          for n, c in enumerate(cells))
            rows.append(f"<tr{shade}>{tds}</tr>")
        self.timeline.setText(f"<table width='100%' cellspacing='0' cellpadding='3'><tr>{head}</tr>"
                              f"{''.join(rows)}</table>")
