"""工作台: this month's problem figures, my to-do list, the current yellow cards, and the ledger's counts.

* The month's figures come from :func:`ledgerdesk.services.problem_stats.problem_stats`
  (the one definition behind ``stats --json`` and the printed sheets): 受理,
  办结, 办结率, 按期办结率, 满意率, 超期未办结, 黄牌.
* 我的待办 lists the problems that wait for what this user's role does
  (:data:`TODO_RULES`): a 书记 or 管理员 dispatches, signs off and decides; a
  录入员 records progress and ratings; plus the problems the user is
  responsible for. 只读 has none.
* 黄牌预警 lists :func:`ledgerdesk.services.ledger.yellow_cards`.
* The counts per kind of record come from :func:`ledgerdesk.services.stats.entity_counts`.

Start-up matters (this is the first page): the counts are a few indexed
``count(*)`` queries and load at once; the problem figures, the to-do list and
the cards are read on the worker thread (``context.runner``) shortly after
the window has shown, and again whenever the page is shown anew or F5 is
pressed. Double-clicking (or Enter on) a problem opens it on the 问题台账 page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
)

from ledgerdesk.services import ledger as ledger_service
from ledgerdesk.services import problem_stats, stats
from ledgerdesk.services.permissions import ADMIN, CLERK, SECRETARY
from ledgerdesk.services.yellow_cards import YellowCard
from ledgerdesk.ui.error_dialog import user_message
from ledgerdesk.ui.lazy_table import Column, RowsModel
from ledgerdesk.ui.pages.base import Page, selectable_label, show_problem
from ledgerdesk.ui.widgets.common import page_shortcut
from ledgerdesk.ui.tasks import plain_job
from ledgerdesk.ui.widgets.record_table import RecordTable

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

TILE_COLUMNS = 7  # 14 counts in two rows fit a 1366-pixel-wide screen
LOAD_DELAY_MS = 150  # after the window has shown: start-up paints first
TODO_LIMIT = 30  # problems listed per kind of to-do (the count says how many there are)
CARD_LIMIT = 500

# (key, label, kind of value) of the month's figures, in the order shown.
FIGURES = (
    ("received", "受理", "count"),
    ("resolved", "办结", "count"),
    ("resolution_rate", "办结率", "rate"),
    ("on_time_rate", "按期办结率", "rate"),
    ("satisfaction_rate", "满意率", "rate"),
    ("overdue_open", "超期未办结", "count"),
    ("yellow_cards", "黄牌", "count"),
)

# role -> (to-do label, ProblemQuery keyword arguments) in the order shown. The
# responsible user's own problems are added for every role that may record.
TODO_RULES: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    SECRETARY: (
        ("待交办", {"status": "登记"}),
        ("超期未办结", {"overdue": True}),
        ("待销号或决定", {"status": "已评价"}),
    ),
    CLERK: (
        ("超期未办结", {"overdue": True}),
        ("办理中待跟进", {"status": ("已交办", "办理中"), "sort": "deadline", "descending": False}),
        ("已办结待评价", {"status": "已办结"}),
    ),
}
TODO_RULES[ADMIN] = TODO_RULES[SECRETARY]

MINE = "由我负责"


@dataclass(frozen=True)
class TodoItem:
    """One line of 我的待办 (``id`` is the problem's)."""

    id: str
    task: str
    number: str
    title: str
    village: str
    state: str
    deadline: dt.date | None
    overdue: bool


@dataclass(frozen=True)
class DashboardFigures:
    """What the worker reads for the dashboard, as plain data."""

    month: str
    stats: Any  # problem_stats.ProblemStats
    todo_counts: tuple[tuple[str, int], ...]
    todo: tuple[TodoItem, ...]
    cards: tuple[YellowCard, ...]  # as ledger.yellow_cards gives them


def todo_rules(role: str) -> tuple[tuple[str, dict[str, Any]], ...]:
    return TODO_RULES.get(role, ())


def load_figures(session, today: dt.date) -> DashboardFigures:
    """The month's figures, the to-do list and the yellow cards (service calls only; any thread)."""
    month = f"{today:%Y-%m}"
    figures = problem_stats.problem_stats(session, problem_stats.Period.month(month), today=today,
                                          with_overlap=False)
    rules = list(todo_rules(session.role))
    if rules and session.user:
        rules.append((MINE, {"responsible": session.user, "status": "未办结"}))
    counts, items, seen = [], [], set()
    for label, kwargs in rules:
        ids = ledger_service.problem_ids(session, ledger_service.ProblemQuery(**kwargs), today=today)
        counts.append((label, len(ids)))
        fresh = [i for i in ids if i not in seen][:TODO_LIMIT]
        seen.update(fresh)
        for row in ledger_service.problem_rows(session, fresh, today=today):
            items.append(TodoItem(row.id, label, row.number, row.title, row.village, row.state, row.deadline,
                                  row.overdue))
    cards = ledger_service.yellow_cards(session, today=today)[:CARD_LIMIT]
    return DashboardFigures(month, figures, tuple((label, n) for label, n in counts if n or label != MINE),
                            tuple(items), tuple(cards))


def figure_text(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    return QLocale().toString(int(value))


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value or "")


def _problem(title_width: int) -> tuple[Column, Column]:
    """编号 and 标题, the columns every list of problems starts with."""
    return Column("number", "编号", 150), Column("title", "标题", title_width)


def _day(key: str, title: str) -> Column:
    return Column(key, title, 90, display=lambda r: _date(getattr(r, key)))


TODO_COLUMNS = (Column("task", "事项", 84), *_problem(170), Column("village", "村", 80), _day("deadline", "期限"))
CARD_COLUMNS = (*_problem(150), Column("person", "责任人", 70), Column("unit", "责任单位", 110),
                _day("since", "亮牌日期"), Column("reason", "原因", 200))


class DashboardPage(Page):
    """The month's problem figures, 我的待办, 黄牌预警 and the counts; F5 re-reads everything."""

    figures_loaded = Signal(object)  # DashboardFigures, or the exception when reading failed

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        info = context.info
        self.context = context
        self._session = context.session
        self.today = self._session.ledger.clock.today()
        self.set_subtitle(self.tr("{township} · 今天 {today} · 当前角色：{role}").format(
            township=info.township, today=self.today.isoformat(), role=self._session.role))
        self.value_labels: dict[str, QLabel] = {}
        self.figure_labels: dict[str, QLabel] = {}
        self.figures: DashboardFigures | None = None
        self._task = None
        self._shown_once = False
        self.setStyleSheet(
            "QLabel#figureValue { font-size: 20pt; font-weight: bold; color: #1d5fa8; }"
            "QLabel#figureValue[alert=\"true\"] { color: #b42318; }"
            "QLabel#figureLabel { font-size: 11pt; color: #52606d; }"
            "QFrame#figureTile { background: white; border: 1px solid #d3d8de; border-radius: 6px; }"
            "QFrame#countTile QLabel#countValue { font-size: 13pt; }"
            "QFrame#countTile QLabel#countLabel { font-size: 10pt; }")

        # -- this month ---------------------------------------------------------------------------
        self.month_box = QGroupBox(self.tr("本月问题办理（{month}）").format(month=f"{self.today.year}年{self.today.month}月"))
        month_layout = QHBoxLayout(self.month_box)
        month_layout.setSpacing(8)
        for key, label, _kind in FIGURES:
            month_layout.addWidget(self._figure_tile(key, label))
        self.body.addWidget(self.month_box)
        self.status_label = QLabel(self.tr("正在统计…"))
        self.status_label.setObjectName("pageSubtitle")

        # -- to-do and yellow cards -----------------------------------------------------------------
        lists = QHBoxLayout()
        lists.setSpacing(12)
        self.todo_box = QGroupBox(self.tr("我的待办"))
        todo_layout = QVBoxLayout(self.todo_box)
        self.todo_counts_label = QLabel("")
        self.todo_counts_label.setWordWrap(True)
        todo_layout.addWidget(self.todo_counts_label)
        self.todo_model = RowsModel(TODO_COLUMNS)
        self.todo_table = RecordTable(self.todo_model, "dashboard/todo")
        self.todo_table.opened.connect(self.open_problem)
        todo_layout.addWidget(self.todo_table, 1)
        self.cards_box = QGroupBox(self.tr("黄牌预警"))
        cards_layout = QVBoxLayout(self.cards_box)
        self.cards_count_label = QLabel("")
        cards_layout.addWidget(self.cards_count_label)
        self.cards_model = RowsModel(CARD_COLUMNS, row_key="problem_id")
        self.cards_table = RecordTable(self.cards_model, "dashboard/cards")
        self.cards_table.opened.connect(self.open_problem)
        cards_layout.addWidget(self.cards_table, 1)
        lists.addWidget(self.todo_box, 1)
        lists.addWidget(self.cards_box, 1)
        self.body.addLayout(lists, 1)

        # -- counts and facts -------------------------------------------------------------------------
        counts = QGroupBox(self.tr("数据概况"))
        grid = QGridLayout(counts)
        grid.setSpacing(6)
        grid.setContentsMargins(8, 4, 8, 6)
        for index, (key, label) in enumerate(stats.LABELS.items()):
            grid.addWidget(self._count_tile(key, label), index // TILE_COLUMNS, index % TILE_COLUMNS)
        self.body.addWidget(counts)

        facts = QHBoxLayout()
        facts.setSpacing(6)
        for caption, value in ((self.tr("乡镇/街道："), selectable_label(info.township)),
                               (self.tr("数据库版本："), QLabel(self.tr("第 {n} 版").format(n=info.schema_version))),
                               (self.tr("本机站点标识："), selectable_label(info.site_id)),
                               (self.tr("台账文件："), selectable_label(info.path))):
            label = QLabel(caption)
            label.setObjectName("pageSubtitle")
            facts.addWidget(label)
            value.setWordWrap(False)
            if value.text() == info.path:  # may be long: takes what room is left, full text in the tooltip
                value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
                value.setMinimumWidth(120)
                value.setToolTip(info.path)
            facts.addWidget(value, 1 if value.text() == info.path else 0)
            facts.addSpacing(10)
        refresh = QPushButton(self.tr("刷新 (F5)"))
        refresh.clicked.connect(self.refresh)
        facts.addWidget(self.status_label)
        facts.addWidget(refresh)
        self.body.addLayout(facts)

        page_shortcut(self, "F5", self.refresh)  # only while this page shows
        self._load_timer = QTimer(self)
        self._load_timer.setSingleShot(True)
        self._load_timer.setInterval(LOAD_DELAY_MS)
        self._load_timer.timeout.connect(self.load_figures)
        self.refresh_counts()

    # -- tiles ----------------------------------------------------------------------------------------

    @staticmethod
    def _tile(kind: str, layout_class, vertical_margin: int, spacing: int, caption: str, *,
              value_first: bool, align: Qt.AlignmentFlag) -> tuple[QFrame, QLabel]:
        """A framed tile (style ``{kind}Tile``) with a caption (``{kind}Label``) and a value (``{kind}Value``)."""
        tile = QFrame()
        tile.setObjectName(f"{kind}Tile")
        layout = layout_class(tile)
        layout.setContentsMargins(8, vertical_margin, 8, vertical_margin)
        layout.setSpacing(spacing)
        label = QLabel(caption)
        label.setObjectName(f"{kind}Label")
        value = QLabel("—")
        value.setObjectName(f"{kind}Value")
        value.setAlignment(align)
        if value_first:
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(value)
            layout.addWidget(label)
        else:
            layout.addWidget(label)
            layout.addWidget(value, 1)
        return tile, value

    def _figure_tile(self, key: str, label: str) -> QFrame:
        tile, self.figure_labels[key] = self._tile("figure", QVBoxLayout, 6, 2, self.tr(label), value_first=True,
                                                   align=Qt.AlignmentFlag.AlignCenter)
        return tile

    def _count_tile(self, key: str, label: str) -> QFrame:
        tile, self.value_labels[key] = self._tile("count", QHBoxLayout, 3, 6, label, value_first=False,
                                                  align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return tile

    # -- loading ----------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._shown_once:
            self.refresh_counts()
        self._shown_once = True
        self._load_timer.start()  # after this turn of the event loop has painted the window

    def hideEvent(self, event) -> None:
        self._load_timer.stop()
        super().hideEvent(event)

    def refresh(self) -> None:
        """Re-read the counts now and the problem figures on the worker."""
        self.refresh_counts()
        self.load_figures()

    def refresh_counts(self) -> None:
        """Re-read the counts on the worker (a dozen count(*) scans: 40 ms on a county ledger)."""
        try:
            self._counts_task = task = self.context.runner.submit(plain_job(self._session, stats.entity_counts))
        except RuntimeError:  # the runner has been shut down: the window is closing
            return
        task.finished.connect(self._show_counts)

    def _show_counts(self, counts) -> None:
        locale = QLocale()
        for key, value in counts.as_dict().items():
            if key in self.value_labels:
                self.value_labels[key].setText(locale.toString(value))

    def load_figures(self) -> None:
        """Read the month's figures, the to-do list and the yellow cards on the worker thread."""
        self._load_timer.stop()
        if self._task is not None and not self._task.done:
            return  # one read at a time; it reads the latest data anyway
        if not self.isVisible():
            return  # read when shown (a window closed at once, e.g. gui --exit-after-ready, reads nothing)
        session, today = self._session, self._session.ledger.clock.today()
        self.status_label.setText(self.tr("正在统计…"))

        try:
            self._task = task = self.context.runner.submit(plain_job(session, load_figures, today))
        except RuntimeError:  # the runner has been shut down: the window is closing
            return
        task.finished.connect(self._show_figures)
        task.failed.connect(self._show_failure)

    def _show_failure(self, error: BaseException) -> None:
        self.status_label.setText(self.tr("统计未能完成：{message}").format(message=user_message(error) or ""))
        self.figures_loaded.emit(error)

    def _show_figures(self, figures: DashboardFigures) -> None:
        self.figures = figures
        s = figures.stats
        for key, _label, kind in FIGURES:
            label = self.figure_labels[key]
            value = getattr(s, key)
            label.setText(figure_text(value, kind))
            alert = key in ("overdue_open", "yellow_cards") and bool(value)
            if label.property("alert") != alert:
                label.setProperty("alert", alert)
                label.style().unpolish(label)
                label.style().polish(label)
        self.month_box.setToolTip(self.tr("统计截至 {date}；平均办理天数 {days}").format(
            date=s.as_of.isoformat(), days="—" if s.avg_days_to_resolve is None else s.avg_days_to_resolve))
        if figures.todo_counts:
            self.todo_counts_label.setText("　".join(f"{label} {n:,} 件" for label, n in figures.todo_counts)
                                           + self.tr("（双击打开）"))
        else:
            self.todo_counts_label.setText(self.tr("当前角色“{role}”没有待办事项。").format(role=self._session.role))
        self.todo_model.set_rows(figures.todo)
        self.cards_model.set_rows(figures.cards)
        self.cards_count_label.setText(self.tr("当前黄牌 {n} 张（超期未办结，或久无办理进展）").format(n=f"{len(figures.cards):,}"))
        self.status_label.setText(self.tr("已更新"))
        self.figures_loaded.emit(figures)

    # -- navigation -------------------------------------------------------------------------------------

    def open_problem(self, problem_id: str) -> None:
        """Show ``problem_id`` on the 问题台账 page (when the window has one)."""
        show_problem(self, problem_id)
