"""审计记录: who changed what, on which device and when — and the check of the tamper-evident chain.

The list is a :class:`~ledgerdesk.ui.lazy_table.LazyTableModel` over
:func:`ledgerdesk.services.audit.entry_ids` (user, action, table, village and
date filters; newest first; loaded on the worker thread) with rows from
:func:`~ledgerdesk.services.audit.entry_rows`, named through
``ledgerdesk.services.labels``. The detail pane shows the selected change: when,
who, which device, the record, its version (site:seq), its link in the audit
chain, and every field it set (身份证号 and phone masked). 核验链条 runs
:func:`~ledgerdesk.services.audit.verify_chain` on the worker and shows ✓, or
the breaks in red. Reading the trail is for 书记 and 管理员; other roles see a
notice.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QWidget,
)

from ledgerdesk.services import audit, labels
from ledgerdesk.services.permissions import REVIEWERS
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.lazy_table import Column
from ledgerdesk.ui.pages.base import detail_header, scroll_column, selectable_label
from ledgerdesk.ui.pages.list_page import ListDetailPage, choice_box
from ledgerdesk.ui.tasks import plain_job
from ledgerdesk.ui.widgets.common import page_shortcuts
from ledgerdesk.ui.widgets.record_table import load_state

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

SETTINGS_KEY = "audit"
NO_DATE = QDate(2000, 1, 1)  # the date boxes' minimum, shown as 不限
OK_STYLE = "color: #1e7b34; font-size: 12pt; font-weight: bold;"
BROKEN_STYLE = "color: #b42318; font-size: 12pt;"
BREAKS_SHOWN = 6


def wrapping_label() -> QLabel:
    """A selectable value label, top-aligned, that wraps rather than widening its column."""
    label = selectable_label("")
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setMinimumWidth(60)
    return label


def _t(text: str) -> str:
    return QCoreApplication.translate("AuditPage", text)


def audit_columns() -> list[Column]:
    return [
        Column("at", _t("时间"), 156, display=lambda r: r.at.strftime("%Y-%m-%d %H:%M:%S")),
        Column("user_name", _t("用户"), 76),
        Column("device", _t("设备"), 76),
        Column("table_label", _t("数据"), 96),
        Column("record", _t("记录"), 176),
        Column("action", _t("操作"), 50),
        Column("summary", _t("修改内容"), 300),
    ]


class AuditPage(ListDetailPage):
    """Filters and the chain check on top, the changes on the left, the selected change on the right."""

    SETTINGS_KEY = SETTINGS_KEY
    list_ids = staticmethod(lambda session, query: audit.entry_ids(session, query, limit=audit.LIST_LIMIT))
    list_rows = staticmethod(lambda session, ids: audit.entry_rows(session, ids, labels=labels))

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(context, spec)
        self.set_subtitle(self.tr("每一处修改由谁、在哪台设备、何时做出；办结、评价、销号、回访和撤销"
                                  "还记入防篡改的审计链条，可随时核验。"))
        self.allowed = self.session.role in REVIEWERS
        self.verify_task = None
        if not self.allowed:
            notice = QLabel(self.tr("只有书记和管理员可以查看审计记录。"))
            notice.setObjectName("notice")
            notice.setWordWrap(True)
            self.body.addWidget(notice)
            self.body.addStretch(1)
            return
        self._build_filters()
        self.build_list(audit_columns(), self._build_detail(), sizes=(800, 380))
        for edit in (self.since_edit, self.until_edit):
            edit.dateChanged.connect(lambda _date: self._text_timer.start())
        self._show(None)
        page_shortcuts(self, ("F5", self.reload), ("Ctrl+K", self.verify))
        self._restore_filters()
        self.reload()
        self._users_task = self.context.runner.submit(
            plain_job(self.session, audit.filter_choices, labels=labels, from_log=True))
        self._users_task.finished.connect(self._add_users)

    def _add_users(self, choices: audit.AuditChoices) -> None:
        """Offer the log's authors too, keeping what the box shows."""
        known = {self.user_box.itemData(i) for i in range(self.user_box.count())}
        for user, shown in choices.users:
            if user not in known:
                self.user_box.addItem(shown, user)
        wanted = (load_state(f"{self.SETTINGS_KEY}/filters") or {}).get("user")
        if wanted and self.user_box.currentData() is None and self.user_box.findData(wanted) > 0:
            self.user_box.setCurrentIndex(self.user_box.findData(wanted))  # the filter saved last time

    @property
    def busy(self) -> bool:
        """Whether the list or a chain check is on its way from the worker."""
        if not self.allowed:
            return False
        return (self.loader.busy or not self._users_task.done
                or (self.verify_task is not None and not self.verify_task.done))

    # -- filters -------------------------------------------------------------------------------------

    def _build_filters(self) -> None:
        # The accounts now; every author of the log (a pass over it) arrives from the worker.
        choices = audit.filter_choices(self.session, labels=labels, from_log=False)
        self.user_box = choice_box(self.tr("全部用户"), list(choices.users))
        self.action_box = choice_box(self.tr("全部操作"), choices.actions)
        self.table_box = choice_box(self.tr("全部数据"), list(choices.tables))
        self.village_box = self.village_box_filter()
        for box in (self.user_box, self.action_box, self.table_box, self.village_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(6)
        self.since_edit = self._date_edit()
        self.until_edit = self._date_edit()
        clear = QPushButton(self.tr("清除筛选"))
        clear.clicked.connect(self.clear_filters)
        self.verify_button = QPushButton(self.tr("核验链条 (Ctrl+K)"))
        self.verify_button.setObjectName("primaryAction")
        self.verify_button.setToolTip(self.tr("重新计算审计链条的每一环，并与版本记录逐条核对"))
        self.verify_button.clicked.connect(self.verify)

        first = QHBoxLayout()
        for label, widget in ((self.tr("用户"), self.user_box), (self.tr("操作"), self.action_box),
                              (self.tr("数据"), self.table_box), (self.tr("村"), self.village_box),
                              (self.tr("从"), self.since_edit), (self.tr("到"), self.until_edit)):
            first.addWidget(QLabel(label))
            first.addWidget(widget)
            first.addSpacing(4)
        first.addStretch(1)
        first.addWidget(clear)
        second = QHBoxLayout()
        second.addWidget(self.count_label)
        second.addStretch(1)
        second.addWidget(self.verify_button)
        self.chain_label = QLabel()
        self.chain_label.setObjectName("chainResult")
        self.chain_label.setWordWrap(True)
        self.chain_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chain_label.hide()
        self.body.addLayout(first)
        self.body.addLayout(second)
        self.body.addWidget(self.chain_label)

    def _date_edit(self) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText(self.tr("不限"))
        edit.setDate(NO_DATE)
        edit.setMinimumWidth(118)
        return edit

    @staticmethod
    def _date_of(edit: QDateEdit) -> dt.date | None:
        date = edit.date()
        return None if date == NO_DATE else dt.date(date.year(), date.month(), date.day())

    def set_dates(self, since: dt.date | None, until: dt.date | None) -> None:
        """Set the date filters (None: 不限) and reload."""
        for edit, day in ((self.since_edit, since), (self.until_edit, until)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day) if day else NO_DATE)
            edit.blockSignals(False)
        self.reload()

    def filter_widgets(self) -> dict[str, QWidget]:
        return {"user": self.user_box, "action": self.action_box, "table": self.table_box,
                "village": self.village_box}

    def _filter_state(self) -> dict[str, Any]:
        state = super()._filter_state()
        for key, edit in (("since", self.since_edit), ("until", self.until_edit)):
            day = self._date_of(edit)
            state[key] = day.isoformat() if day else None
        return state

    def _set_filters(self, state: dict[str, Any]) -> None:
        super()._set_filters(state)
        for key, edit in (("since", self.since_edit), ("until", self.until_edit)):
            edit.blockSignals(True)
            try:
                day = dt.date.fromisoformat(state[key]) if state.get(key) else None
            except (TypeError, ValueError):
                day = None
            edit.setDate(QDate(day.year, day.month, day.day) if day else NO_DATE)
            edit.blockSignals(False)

    def query(self) -> audit.AuditQuery:
        """The filters as a service query (a reversed date range is read the right way round)."""
        since, until = self._date_of(self.since_edit), self._date_of(self.until_edit)
        if since and until and since > until:
            since, until = until, since
        return audit.AuditQuery(user=self.user_box.currentData(), action=self.action_box.currentData(),
                                table=self.table_box.currentData(), since=since, until=until,
                                village_id=self.village_box.currentData())

    def count_text(self, count: int) -> str:
        if count >= audit.LIST_LIMIT:
            return self.tr("最近 {n} 条修改（更早的请用筛选缩小范围）").format(n=f"{count:,}")
        return self.tr("共 {n} 条修改").format(n=f"{count:,}")

    # -- the detail ----------------------------------------------------------------------------------

    def _build_detail(self) -> QScrollArea:
        area = QScrollArea()
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = scroll_column(area, 360)
        layout.setSpacing(8)
        self.header = detail_header()
        self.empty = QLabel(self.tr("在左侧列表中选择一条修改，这里显示它设置的每一项。"))
        self.empty.setObjectName("pageSubtitle")
        self.empty.setWordWrap(True)
        layout.addWidget(self.header)
        layout.addWidget(self.empty)
        self.facts_box = QGroupBox(self.tr("谁、何时、在哪台设备"))
        grid = QGridLayout(self.facts_box)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(1, 1)
        self.fact_labels: dict[str, QLabel] = {}
        for row, (key, caption) in enumerate((("at", "时间"), ("user", "用户"), ("device", "设备"),
                                              ("table", "数据"), ("record", "记录"), ("version", "版本"),
                                              ("chain", "审计链条"))):
            name = QLabel(self.tr(caption) + "：")
            name.setStyleSheet("color: #52606d;")
            value = wrapping_label()
            self.fact_labels[key] = value
            grid.addWidget(name, row, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
        layout.addWidget(self.facts_box)
        self.fields_box = QGroupBox(self.tr("设置的字段"))
        fields_layout = QHBoxLayout(self.fields_box)
        self.fields_label = wrapping_label()
        self.fields_label.setObjectName("auditFields")
        self.fields_label.setTextFormat(Qt.TextFormat.RichText)
        fields_layout.addWidget(self.fields_label)
        layout.addWidget(self.fields_box)
        layout.addStretch(1)
        self.entry: audit.AuditEntry | None = None
        return area

    def _show(self, entry_id: str | None) -> None:
        self.current_id = entry_id
        found = audit.entry_rows(self.session, [entry_id], labels=labels) if entry_id else []
        self.entry = found[0] if found else None
        has = self.entry is not None
        self.empty.setVisible(not has)
        self.facts_box.setVisible(has)
        self.fields_box.setVisible(has)
        if not has:
            self.header.setText("")
            self.fields_label.setText("")
            return
        e = self.entry
        self.header.setText(f"{e.action}　{e.record}")
        chain = self.tr("第 {n} 环").format(n=e.chain_seq) if e.chain_seq else self.tr("（不在链条中）")
        for key, text in (("at", e.at.strftime("%Y-%m-%d %H:%M:%S")), ("user", e.user_name), ("device", e.device),
                          ("table", e.table_label), ("record", e.record), ("version", e.version_key),
                          ("chain", chain)):
            self.fact_labels[key].setText(text)
        rows = "".join(
            f"<tr{' bgcolor=#f1f3f6' if n % 2 else ''}><td valign='top' nowrap style='color:#52606d'>"
            f"{html.escape(label)}</td><td valign='top'>{html.escape(value)}</td></tr>"
            for n, (label, value) in enumerate(e.fields))
        self.fields_label.setText(f"<table width='100%' cellspacing='0' cellpadding='3'>{rows}</table>")

    # -- the chain -----------------------------------------------------------------------------------

    def verify(self) -> None:
        """Check the whole audit chain on the worker; the result shows above the list."""
        if not self.allowed or (self.verify_task is not None and not self.verify_task.done):
            return
        session = self.session
        self.verify_button.setEnabled(False)
        self.chain_label.setStyleSheet("")
        self.chain_label.setText(self.tr("正在核验审计链条…"))
        self.chain_label.show()

        def job(progress, cancel):
            try:
                return audit.verify_chain(session, progress=lambda done, total: progress(
                    "核验审计链条", done / total if total else 1.0)), audit.chain_status(session)
            finally:
                session.ledger.db.close()  # the worker thread's own connection

        self.verify_task = self.context.runner.submit(job)
        self.verify_task.finished.connect(self._verified)
        self.verify_task.failed.connect(self._verify_failed)

    def _verified(self, result) -> None:
        breaks, status = result
        self.verify_button.setEnabled(True)
        self.show_chain_result(breaks, status)

    def _verify_failed(self, error) -> None:
        self.verify_button.setEnabled(True)
        self.chain_label.hide()
        show_error(self, error)

    def show_chain_result(self, breaks: list, status: audit.ChainStatus) -> None:
        pending = self.tr("；另有 {n} 条办结、评价等记录尚待入链（下次保存或同步导入时自动入链）"
                          ).format(n=f"{status.pending:,}") if status.pending else ""
        if not breaks:
            last = self.tr("，最后一环记于 {at}").format(at=status.last_at) if status.last_at else ""
            self.chain_label.setStyleSheet(OK_STYLE)
            self.chain_label.setText(self.tr("✓ 审计链条完整：共 {n} 环，每一环都与版本记录一致{last}").format(
                n=f"{status.links:,}", last=last) + pending)
        else:
            lines = [self.tr("✗ 审计链条有 {n} 处断裂，记录可能被篡改：").format(n=len(breaks))]
            lines += [f"　· {b.message}" for b in breaks[:BREAKS_SHOWN]]
            if len(breaks) > BREAKS_SHOWN:
                lines.append(self.tr("　· 另有 {n} 处未列出（命令行 ledgerdesk check 列出更多）").format(
                    n=len(breaks) - BREAKS_SHOWN))
            self.chain_label.setStyleSheet(BROKEN_STYLE)
            self.chain_label.setText("\n".join(lines))
        self.chain_label.show()
