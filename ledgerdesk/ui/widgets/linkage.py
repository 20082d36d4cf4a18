"""The shared page of 党员中心户 and 联户长: who links which households, and how well they cover.

One :class:`LinkagePage` parametrised by a :class:`LinkageKind` (``pages/party_centers.py``
and ``pages/link_heads.py`` only fill one in), so the two pages cannot drift apart:

* a coverage strip (``coverage.coverage``): rate, covered / all, the uncovered
  count as a link that lists the uncovered households, counts of holders out
  of bounds / invalid;
* the holders (``center_ids``/``center_rows`` or ``link_head_ids``/``link_head_rows``)
  filtered by village and problem (超出范围 / 无效), the count coloured amber
  below and red above the bounds; 设立… / 设置六大员类型… / 撤销…;
* the :class:`AssignmentPanel` of the selected holder: its households (取消分配)
  and the candidates of its village (分配), filter 只看未覆盖 on by default, with
  the bounds shown live as the selection changes.

Id lists that can be long at county scale load on the worker thread
(:class:`~ledgerdesk.ui.widgets.record_table.IdLoader`); a holder's own
households are a handful and load directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QLocale, QModelIndex, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ledgerdesk.core.vocab import CENTER_TYPES
from ledgerdesk.services import coverage, permissions, registry, registry_queries
from ledgerdesk.ui.dialogs.designate import DesignateDialog, TypesDialog
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.lazy_table import Column, LazyTableModel
from ledgerdesk.ui.pages.base import Page
from ledgerdesk.ui.tasks import plain_job
from ledgerdesk.ui.widgets import common as w
from ledgerdesk.ui.widgets.record_table import IdLoader, RecordTable, load_state, save_state

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

OK_STYLE = "color: #1f2933;"
OUT_STYLE = "color: #b42318; font-weight: bold;"


@dataclass(frozen=True)
class LinkageKind:
    """What differs between the 党员中心户 and 联户长 pages."""

    key: str  # "center" | "link_head" (registry_queries.bounds / coverage.uncovered_household_ids)
    settings: str  # QSettings prefix
    holder: str  # 中心户 / 联户长
    person_caption: str  # column title of the holder's person
    covered_word: str  # 覆盖 / 联系
    household_filter: str  # HouseholdQuery field: "center" | "head"
    covered_value: str  # "covered" | "linked"
    uncovered_value: str  # "uncovered" | "unlinked"
    owner_field: str  # HouseholdQuery field: "center_id" | "link_head_id"
    owner_column: str  # HouseholdRow attribute naming the current holder
    report_covered: str  # CoverageReport fields
    report_rate: str
    report_count: str
    report_count_unit: str  # 个 / 名
    holder_ids: Callable[[Any, Any], list[str]]
    holder_rows: Callable[[Any, list[str]], list]
    holder_query: Callable[..., Any]
    assign: Callable[[Any, str, list[str]], Any]
    unassign: Callable[[Any, list[str]], int]
    end: Callable[[Any, str], int]
    designate: Callable[[Any, str, str, list[str]], str]
    with_types: bool = False
    party_only: bool = False


def _types_text(row) -> str:
    return "、".join(CENTER_TYPES.get(code, code) for code in getattr(row, "types", ()) or ())


def holder_columns(kind: LinkageKind) -> tuple[Column, ...]:
    columns = [
        Column("village", "村", width=72),
        Column("hh_no", "户号", width=100),
        Column("person_name", kind.person_caption, width=86 if kind.with_types else 80),
    ]
    if kind.with_types:
        columns.append(Column("types", "六大员", width=130, display=_types_text))
    columns += [
        Column("households", "联系户数", width=68, align=w.RIGHT,
               background=lambda r: w.bounds_colour(r.households, r.minimum, r.maximum)),
        Column("bounds", "范围", width=52, align=w.CENTRE, display=lambda r: f"{r.minimum}–{r.maximum}"),
        Column("invalid_reason", "问题", width=180, foreground=lambda r: w.RED_TEXT),
    ]
    return tuple(columns)


def household_columns(kind: LinkageKind) -> tuple[Column, ...]:
    return (
        Column("hh_no", "户号", width=100),
        Column("head_name", "户主", width=64),
        Column("group", "小组", width=100),
        Column("level", "三色", width=42, align=w.CENTRE, background=w.level_colour),
        Column("members", "人数", width=42, align=w.RIGHT),
        Column(kind.owner_column, kind.holder, width=64),
        Column("address", "住址", width=160),
    )


def _button(text: str, slot, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    button.clicked.connect(slot)
    return button


def _caption_row(caption: QLabel, *widgets: QWidget) -> QHBoxLayout:
    """A caption taking the room left, then ``widgets`` at the right."""
    row = QHBoxLayout()
    row.addWidget(caption, 1)
    for widget in widgets:
        row.addWidget(widget)
    return row


class CoverageStrip(QFrame):
    """覆盖率 · 已覆盖/全部 · 未覆盖 N 户 (a link) · holders out of bounds / invalid."""

    uncovered_clicked = Signal()

    def __init__(self, kind: LinkageKind, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.setObjectName("countTile")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(18)
        self.rate = QLabel("—")
        self.rate.setObjectName("coverageRate")
        self.rate.setStyleSheet("font-size: 16pt; font-weight: bold; color: #1d5fa8;")
        self.covered = QLabel()
        self.uncovered = QLabel()
        self.uncovered.setTextFormat(Qt.TextFormat.RichText)
        self.uncovered.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                               | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.uncovered.linkActivated.connect(lambda _link: self.uncovered_clicked.emit())
        self.holders = QLabel()
        self.scope = QLabel()
        self.scope.setObjectName("pageSubtitle")
        for widget in (self.rate, self.covered, self.uncovered, self.holders):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.scope)
        self.uncovered_count = 0
        self.report = None

    def show_report(self, report, scope: str) -> None:
        kind, locale = self.kind, QLocale()
        self.report = report
        households = int(getattr(report, "households", 0) or 0)
        covered = int(getattr(report, kind.report_covered, 0) or 0)
        rate = getattr(report, kind.report_rate, None)
        if rate is None:
            rate = covered / households if households else 0.0
        self.uncovered_count = households - covered
        self.rate.setText(self.tr("{word}率 {rate:.1f}%").format(word=kind.covered_word, rate=float(rate) * 100))
        self.covered.setText(self.tr("已{word} {covered} / {all} 户").format(
            word=kind.covered_word, covered=locale.toString(covered), all=locale.toString(households)))
        self.uncovered.setText(self.tr("未{word} <a href='uncovered'>{n} 户</a>").format(
            word=kind.covered_word, n=locale.toString(self.uncovered_count)))
        self.uncovered.setToolTip(self.tr("点击列出未{word}的户").format(word=kind.covered_word))
        parts = [self.tr("{holder} {n} {unit}").format(holder=kind.holder, unit=kind.report_count_unit,
                                                     n=locale.toString(int(getattr(report, kind.report_count, 0) or 0)))]
        if kind.key == "center":
            parts.append(self.tr("超出范围 {n}").format(n=int(getattr(report, "centers_out_of_bounds", 0) or 0)))
            parts.append(self.tr("无效 {n}").format(n=int(getattr(report, "invalid_centers", 0) or 0)))
            present = getattr(report, "types_present", None)
            if present is not None:
                parts.append(self.tr("六大员 {n}/6 类").format(n=len(present)))
        else:
            for field, label in (("heads_out_of_bounds", "超出范围 {n}"), ("invalid_heads", "无效 {n}")):
                if hasattr(report, field):
                    parts.append(self.tr(label).format(n=int(getattr(report, field) or 0)))
        self.holders.setText("，".join(parts))
        self.scope.setText(scope)


class AssignmentPanel(QWidget):
    """One holder's households and its village's candidates; 分配 / 取消分配 with live bounds."""

    changed = Signal(object)  # the ids of the households that changed hands

    def __init__(self, kind: LinkageKind, context: "PageContext", parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = kind
        self.session = context.session
        self.holder = None  # the selected holder's row
        self.village_id: str | None = None
        self.village_name = ""
        self.bounds = registry_queries.bounds(self.session, kind.key)
        self._holding_result = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)

        self.title = QLabel()
        self.title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.title.setWordWrap(True)
        layout.addWidget(self.title)

        self.covered_caption = QLabel()
        self.unassign_button = _button(self.tr("取消分配"), self.unassign,
                                       self.tr("把选中的户移出该{holder}（Delete）").format(holder=kind.holder))
        layout.addLayout(_caption_row(self.covered_caption, self.unassign_button))
        self._covered_query = None
        self.covered_model = LazyTableModel(household_columns(kind), self._covered_ids, self._rows, load=False)
        self.covered_table = RecordTable(self.covered_model, f"{kind.settings}/covered", multi=True)
        layout.addWidget(self.covered_table, 2)

        self.bound_label = QLabel()
        self.bound_label.setObjectName("boundLabel")
        self.bound_label.setWordWrap(True)
        layout.addWidget(self.bound_label)

        self.candidate_caption = QLabel()
        self.only_uncovered = QCheckBox(self.tr("只看未{word}").format(word=kind.covered_word))
        self.only_uncovered.setChecked(True)
        self.only_uncovered.toggled.connect(self.reload_candidates)
        self.assign_button = _button(self.tr("分配"), self.assign,
                                     self.tr("把选中的户分配给该{holder}").format(holder=kind.holder))
        layout.addLayout(_caption_row(self.candidate_caption, self.only_uncovered, self.assign_button))
        self.candidate_model = LazyTableModel(household_columns(kind), list, self._rows, load=False)
        self.candidate_table = RecordTable(self.candidate_model, f"{kind.settings}/candidates", multi=True)
        layout.addWidget(self.candidate_table, 3)
        self.candidate_loader = IdLoader(context.runner, self.session, self.candidate_model, self)
        self.candidate_loader.loaded.connect(self._candidates_loaded)

        self.covered_table.selection_changed.connect(self.update_bounds)
        self.candidate_table.selection_changed.connect(self.update_bounds)
        self.covered_table.delete_pressed.connect(self.unassign)
        self.set_holder(None)

    # -- data ------------------------------------------------------------------------

    def _rows(self, ids: list[str]) -> list:
        return registry_queries.household_rows(self.session, ids)

    def _covered_ids(self) -> list[str]:
        if self.holder is None:
            return []
        query = registry_queries.HouseholdQuery(**{self.kind.owner_field: self.holder.id})
        return registry_queries.household_ids(self.session, query)

    def set_holder(self, holder, village_id: str | None = None, village_name: str = "") -> None:
        """Show ``holder`` (a CenterRow/HeadRow, or None: only the uncovered list of ``village_id``)."""
        self.holder = holder
        self._holding_result = False
        self.village_id = village_id
        self.village_name = village_name
        self.covered_model.reload()
        if holder is None:
            self.title.setText(self.tr("未选择{holder}：下方列出{scope}未{word}的户").format(
                holder=self.kind.holder, scope=village_name or self.tr("全部村"), word=self.kind.covered_word))
        else:
            self.title.setText(self.tr("{holder}：{name}（{village} 户号 {hh_no}）").format(
                holder=self.kind.holder, name=holder.person_name, village=holder.village, hh_no=holder.hh_no or "—"))
        self.covered_caption.setText(self.tr("联系的户：{n} 户").format(n=self.covered_model.rowCount())
                                     if holder is not None else "")
        self.covered_table.setVisible(holder is not None)
        self.unassign_button.setVisible(holder is not None)
        self.assign_button.setEnabled(holder is not None)
        self.reload_candidates()

    def reload_candidates(self, *_args, keep_message: bool = False) -> None:
        session, kind = self.session, self.kind
        village_id, only = self.village_id, self.only_uncovered.isChecked() or self.holder is None
        fields: dict[str, Any] = {"village_id": village_id}
        if only:
            fields[kind.household_filter] = kind.uncovered_value
        query = registry_queries.HouseholdQuery(**fields)
        self.candidate_caption.setText(self.tr("正在读取…"))
        self.candidate_loader.load(lambda: registry_queries.household_ids(session, query),
                                   then=None if keep_message else self.update_bounds)

    def _candidates_loaded(self, count: int) -> None:
        scope = self.village_name or self.tr("全部村")
        if self.only_uncovered.isChecked() or self.holder is None:
            text = self.tr("{scope}未{word}的户：{n} 户").format(scope=scope, word=self.kind.covered_word,
                                                            n=QLocale().toString(count))
        else:
            text = self.tr("{scope}的户：{n} 户").format(scope=scope, n=QLocale().toString(count))
        self.candidate_caption.setText(text)

    # -- bounds ----------------------------------------------------------------------

    def current_total(self) -> int:
        return self.covered_model.rowCount()

    def update_bounds(self) -> None:
        selecting = bool(self.candidate_table.selected_ids() or self.covered_table.selected_ids())
        if self._holding_result and not selecting:
            return  # the last outcome stays until the user selects again
        self._holding_result = False
        low, high = self.bounds
        if self.holder is None:
            self.bound_label.setText(self.tr("先在左侧选择一个{holder}，再选择要分配的户").format(holder=self.kind.holder))
            self.bound_label.setStyleSheet(OK_STYLE)
            return
        total = self.current_total()
        covered = set(self.covered_model.ids())
        adding = [i for i in self.candidate_table.selected_ids() if i not in covered]
        removing = self.covered_table.selected_ids()
        if removing and not adding:
            after = total - len(removing)
            text = self.tr("已选 {n} 户，取消后剩 {after} 户（范围 {low}–{high}）").format(
                n=len(removing), after=after, low=low, high=high)
        elif adding:
            after = total + len(adding)
            text = self.tr("已选 {n} 户，分配后共 {after} 户（范围 {low}–{high}）").format(
                n=len(adding), after=after, low=low, high=high)
        else:
            after = total
            text = self.tr("现联系 {total} 户（范围 {low}–{high}）").format(total=total, low=low, high=high)
        outside = not low <= after <= high
        if outside:
            text += self.tr("，超出范围") if after > high else self.tr("，低于下限")
        self.bound_label.setText(text)
        self.bound_label.setStyleSheet(OUT_STYLE if outside else OK_STYLE)
        self.bound_label.setProperty("outside", outside)

    # -- actions ---------------------------------------------------------------------

    def assign(self) -> Any:
        if self.holder is None:
            return None
        ids = self.candidate_table.selected_ids()
        if not ids:
            return None
        try:
            result = self.kind.assign(self.session, self.holder.id, ids)
        except Exception as exc:  # noqa: BLE001 — LedgerDeskError: its message; anything else: logged, generic
            show_error(self, exc)
            return None
        self._after_change(ids)
        self._show_result(result.message, result.within_bounds)
        return result

    def unassign(self) -> int:
        ids = self.covered_table.selected_ids() if self.holder is not None else []
        if not ids:
            return 0
        try:
            count = self.kind.unassign(self.session, ids)
        except Exception as exc:  # noqa: BLE001 — LedgerDeskError: its message; anything else: logged, generic
            show_error(self, exc)
            return 0
        self._after_change(ids)
        low, high = self.bounds
        total = self.current_total()
        self._show_result(self.tr("已取消 {n} 户；该{holder}现联系 {total} 户（范围 {low}–{high}）").format(
            n=count, holder=self.kind.holder, total=total, low=low, high=high), low <= total <= high)
        return count

    def _show_result(self, message: str, within: bool) -> None:
        """The service's one-sentence outcome, in the bounds line until the selection changes."""
        self.bound_label.setText(message)
        self.bound_label.setStyleSheet(OK_STYLE if within else OUT_STYLE)
        self.bound_label.setProperty("outside", not within)
        self._holding_result = True

    def _after_change(self, ids: list[str]) -> None:
        self.covered_model.reload()
        self.covered_caption.setText(self.tr("联系的户：{n} 户").format(n=self.covered_model.rowCount()))
        self.candidate_table.clearSelection()
        self.reload_candidates(keep_message=True)
        self.changed.emit(ids)


class LinkagePage(Page):
    """The 党员中心户 / 联户长 page for one :class:`LinkageKind` (see the module docstring)."""

    holders_loaded = Signal(int)
    coverage_loaded = Signal()

    def __init__(self, kind: LinkageKind, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        self.kind = kind
        self.context = context
        self.session = context.session
        self.can_review = self.session.role in permissions.REVIEWERS
        self.villages = registry_queries.villages(self.session)
        self._village_names = {v.id: v.name for v in self.villages}

        self.strip = CoverageStrip(kind)
        self.strip.uncovered_clicked.connect(self.show_uncovered)
        self.body.addWidget(self.strip)
        self.notice = w.NoticeBar()
        self.body.addWidget(self.notice)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.village = w.id_combo(self.tr("全部村"), [(v.id, v.name) for v in self.villages], min_width=110)
        self.problem = w.id_combo(self.tr("全部{holder}").format(holder=kind.holder),
                                [("out_of_bounds", self.tr("联系户数超出范围")), ("invalid", self.tr("无效（需处理）"))])
        filters.addWidget(self.village)
        filters.addWidget(self.problem)
        self.count_label = QLabel()
        self.count_label.setObjectName("pageSubtitle")
        filters.addWidget(self.count_label, 1, Qt.AlignmentFlag.AlignRight)
        left_layout.addLayout(filters)

        self.holder_model = LazyTableModel(holder_columns(kind), list,
                                           lambda ids: kind.holder_rows(self.session, ids), load=False)
        self.holder_table = RecordTable(self.holder_model, f"{kind.settings}/holders")
        left_layout.addWidget(self.holder_table, 1)
        self.holder_loader = IdLoader(context.runner, self.session, self.holder_model, self)
        self.holder_loader.loaded.connect(self._holders_loaded)

        actions = QHBoxLayout()
        self.designate_button = QPushButton(self.tr("设立{holder}…").format(holder=kind.holder))
        self.designate_button.clicked.connect(self.designate)
        actions.addWidget(self.designate_button)
        self.types_button = None
        if kind.with_types:
            self.types_button = QPushButton(self.tr("设置六大员类型…"))
            self.types_button.clicked.connect(self.edit_types)
            actions.addWidget(self.types_button)
        self.end_button = QPushButton(self.tr("撤销{holder}").format(holder=kind.holder))
        self.end_button.clicked.connect(self.end_holder)
        actions.addWidget(self.end_button)
        actions.addStretch(1)
        left_layout.addLayout(actions)

        self.panel = AssignmentPanel(kind, context)
        self.panel.changed.connect(self._households_changed)

        self.splitter = w.splitter(Qt.Orientation.Horizontal, left, self.panel, stretch=(5, 6),
                                   settings_key=f"{kind.settings}/splitter")
        self.body.addWidget(self.splitter, 1)

        state = load_state(f"{kind.settings}/filters")
        w.select_data(self.village, state.get("village"))
        w.select_data(self.problem, state.get("problem"))
        self.village.currentIndexChanged.connect(self._filters_changed)
        self.problem.currentIndexChanged.connect(self._filters_changed)
        self.holder_table.selection_changed.connect(self._holder_selected)
        self.holder_table.opened.connect(lambda _id: self.panel.candidate_table.setFocus())
        w.page_shortcuts(self, ("F5", self.reload), ("Ctrl+N", self.designate))
        self._update_buttons()
        self.reload()

    # -- loading ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether the holders, the candidates or the first coverage figures are still on their way."""
        return self.holder_loader.busy or self.panel.candidate_loader.busy or self.strip.report is None

    def _filters_changed(self) -> None:
        save_state(f"{self.kind.settings}/filters",
                   {"village": self.village.currentData(), "problem": self.problem.currentData()})
        self.reload()

    def reload(self, select: str | None = None) -> None:
        """Re-read the holders (worker thread) and the coverage strip; then selects ``select``, else keeps
        the selected holder if still listed."""
        kind, session = self.kind, self.session
        query = kind.holder_query(village_id=self.village.currentData(), problem=self.problem.currentData())
        keep = select or self.holder_table.current_id()
        self.count_label.setText(self.tr("正在读取…"))
        self.holder_loader.load(lambda: kind.holder_ids(session, query), then=lambda: self._reselect(keep))
        self.reload_coverage()

    def _reselect(self, holder_id: str | None) -> None:
        if not (holder_id and self.holder_table.select_ids([holder_id])):
            self._holder_selected()

    def _holders_loaded(self, count: int) -> None:
        self.count_label.setText(self.tr("{n} {unit}{holder}").format(
            n=QLocale().toString(count), unit=self.kind.report_count_unit, holder=self.kind.holder))
        self.holders_loaded.emit(count)

    def reload_coverage(self) -> None:
        session, village_id = self.session, self.village.currentData()
        scope = self._village_names.get(village_id, self.tr("全乡镇")) if village_id else self.tr("全乡镇")

        task = self.context.runner.submit(plain_job(session, coverage.coverage, village_id))
        self._coverage_task = task

        def done(report) -> None:
            if task is self._coverage_task:
                self.strip.show_report(report, scope)
                self.coverage_loaded.emit()

        task.finished.connect(done)
        task.failed.connect(lambda error: show_error(self, error))

    # -- holders ---------------------------------------------------------------------------

    def current_holder(self):
        holder_id = self.holder_table.current_id()
        if holder_id is None:
            return None
        return self.holder_model.row_at(self.holder_model.row_of(holder_id))

    def _holder_selected(self) -> None:
        holder = self.current_holder()
        if holder is None:
            village_id = self.village.currentData()
            self.panel.set_holder(None, village_id, self._village_names.get(village_id, ""))
        else:
            self.panel.set_holder(holder, holder.village_id or None, holder.village)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.holder_table.current_id() is not None
        self.designate_button.setEnabled(self.can_review)
        self.end_button.setEnabled(self.can_review and has)
        if self.types_button is not None:
            self.types_button.setEnabled(self.can_review and has)

    def show_uncovered(self) -> None:
        """The uncovered households of the strip's scope: no holder selected, 只看未覆盖 on."""
        self.holder_table.clearSelection()
        self.holder_table.setCurrentIndex(QModelIndex())
        self.panel.only_uncovered.blockSignals(True)
        self.panel.only_uncovered.setChecked(True)
        self.panel.only_uncovered.blockSignals(False)
        village_id = self.village.currentData()
        self.panel.set_holder(None, village_id, self._village_names.get(village_id, ""))
        self._update_buttons()
        self.panel.candidate_table.setFocus()

    def _households_changed(self, ids) -> None:
        self.holder_model.invalidate_all()  # counts change here and at any holder they came from
        self.reload_coverage()

    def designate(self) -> DesignateDialog | None:
        if not self.can_review:
            return None
        kind, session = self.kind, self.session
        village_id = self.village.currentData() or (self.villages[0].id if self.villages else None)

        def save(household_id: str, person_id: str, types: list[str]) -> str:
            return kind.designate(session, household_id, person_id, types)

        dialog = DesignateDialog(session, self.tr("设立{holder}").format(holder=kind.holder), self.villages, save,
                                 village_id=village_id, with_types=kind.with_types, party_only=kind.party_only,
                                 person_label=kind.person_caption, parent=self)
        self._open_dialog(dialog)
        if dialog.result() and dialog.saved_id:
            self.notice.show_message(self.tr("已设立{holder}。").format(holder=kind.holder))
            self.reload(select=dialog.saved_id)
        return dialog

    def _open_dialog(self, dialog) -> None:
        """Run a dialog modally (a hook tests replace to fill the dialog in)."""
        dialog.exec()

    def edit_types(self) -> TypesDialog | None:
        holder = self.current_holder()
        if holder is None or not self.kind.with_types:
            return None

        def save(codes: list[str]) -> None:
            registry.set_center_types(self.session, holder.id, codes)

        dialog = TypesDialog(self.tr("设置六大员类型：{name}").format(name=holder.person_name),
                             tuple(holder.types or ()), save, parent=self)
        self._open_dialog(dialog)
        if dialog.result():
            self.holder_model.invalidate([holder.id])
            self.reload_coverage()
        return dialog

    def end_holder(self) -> int | None:
        holder = self.current_holder()
        if holder is None:
            return None
        if not w.confirm(self, self.tr("撤销{holder}").format(holder=self.kind.holder),
                         self.tr("确定撤销{name}的{holder}吗？它联系的 {n} 户将变为未{word}。").format(
                             name=holder.person_name, holder=self.kind.holder, n=holder.households,
                             word=self.kind.covered_word), self.tr("撤销")):
            return None
        try:
            released = self.kind.end(self.session, holder.id)
        except Exception as exc:  # noqa: BLE001 — LedgerDeskError: its message; anything else: logged, generic
            show_error(self, exc)
            return None
        self.notice.show_message(self.tr("已撤销{name}的{holder}，{n} 户改为未{word}。").format(
            name=holder.person_name, holder=self.kind.holder, n=released, word=self.kind.covered_word))
        self.reload()
        return released
