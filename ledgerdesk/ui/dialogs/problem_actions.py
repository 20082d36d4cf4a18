"""The dialogs of the 问题台账 page: quick entry (登记) and one small form per lifecycle action.

Each dialog saves through exactly one call of :mod:`ledgerdesk.services.ledger`;
a refused call (illegal step, role, bad field) shows one Chinese message and
changes nothing (see :class:`~ledgerdesk.ui.dialogs.problem_forms.ServiceForm`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QWidget,
)

from ledgerdesk.core import lifecycle, vocab
from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.workdays import CALENDAR_DAYS, WORKING_DAYS, deadline
from ledgerdesk.services import ledger as ledger_service
from ledgerdesk.services.session import Session
from ledgerdesk.ui.dialogs.problem_forms import (
    HouseholdPicker,
    ServiceForm,
    SubmitTextEdit,
    VillageBox,
    add_category_and_urgency,
    date_edit,
    from_qdate,
    required_text,
)

WEEKDAYS = "一二三四五六日"
DEFAULT_EXTEND_DAYS = 5
BY_DATE = "指定日期"

# The action buttons, in the order the detail pane shows them, with their captions.
ACTION_KINDS = (
    lifecycle.DISPATCH, lifecycle.PROGRESS, lifecycle.RESOLVE, lifecycle.RATE, lifecycle.CLOSE,
    lifecycle.REVISIT, lifecycle.EXTEND, lifecycle.RETURN, lifecycle.REOPEN, lifecycle.MERGE, lifecycle.VOID,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("ProblemDialogs", text)


def today_of(session: Session) -> dt.date:
    return session.ledger.clock.today()


def weekday_text(day: dt.date) -> str:
    return f"{day.isoformat()}（星期{WEEKDAYS[day.weekday()]}）"


class DeadlineInput(QWidget):
    """N 天 + 工作日/自然日, or 指定日期; shows the resulting date as it changes."""

    def __init__(self, today: dt.date, days: int, parent: QWidget | None = None, *,
                 kinds: tuple[str, ...] = (WORKING_DAYS, CALENDAR_DAYS), start: dt.date | None = None,
                 kind: str | None = None):
        super().__init__(parent)
        self.today = today
        self.start = start or today
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.days = QSpinBox()
        self.days.setRange(1, 365)
        self.days.setValue(days)
        self.days.setSuffix(self.tr(" 天"))
        self.kind = QComboBox()
        self.kind.addItems([*kinds, BY_DATE])
        if kind in kinds:
            self.kind.setCurrentText(kind)
        self.date = date_edit(max(self.start, today) + dt.timedelta(days=days))
        self.preview = QLabel()
        self.preview.setObjectName("deadlinePreview")
        for widget in (self.days, self.kind, self.date):
            layout.addWidget(widget)
        layout.addWidget(self.preview, 1)
        self.days.valueChanged.connect(self._update)
        self.kind.currentIndexChanged.connect(self._update)
        self.date.dateChanged.connect(self._update)
        self.setFocusProxy(self.days)
        self._update()

    @property
    def by_date(self) -> bool:
        return self.kind.currentText() == BY_DATE

    def _update(self) -> None:
        self.days.setVisible(not self.by_date)
        self.date.setVisible(self.by_date)
        if self.by_date:
            self.preview.setText("")
            return
        result = deadline(self.start, self.days.value(), self.kind.currentText())
        note = self.tr("（节假日按近似计算）") if result.approximate else ""
        self.preview.setText(self.tr("期限：{date}{note}").format(date=weekday_text(result.date), note=note))

    def value(self) -> dict[str, Any]:
        """Keyword arguments for the service: ``days`` + ``deadline_kind``, or ``deadline``."""
        if self.by_date:
            return {"deadline": from_qdate(self.date.date())}
        return {"days": self.days.value(), "deadline_kind": self.kind.currentText()}


# -- quick entry -----------------------------------------------------------------------------------


class ProblemEntryDialog(ServiceForm):
    """登记问题: the fields a clerk fills in order; Enter moves on, Enter in 问题描述 saves.

    ``villages`` is a list of ``(id, name)``; ``search`` finds households
    (``text -> [(household_id, label)]``) or is None.
    """

    def __init__(self, session: Session, villages: list[tuple[str, str]], search=None,
                 parent: QWidget | None = None):
        super().__init__(_tr("登记问题"), parent, enter_moves_on=True)
        self.session = session
        self.setMinimumWidth(620)
        self.title_edit = self.add_row("title", _tr("问题标题："), QLineEdit())
        self.title_edit.setPlaceholderText(_tr("一句话说明问题，如“三组路灯不亮”"))
        self.source_box = self.add_row("source", _tr("来源："), QComboBox())
        self.source_box.addItems(vocab.SOURCES)
        self.source_box.setCurrentText("群众反映")
        self.hotline_edit = self.add_row("hotline_no", _tr("12345 工单号："), QLineEdit())
        self.category_box, self.urgency_box = add_category_and_urgency(self, session)
        self.village_box = self.add_row("village_id", _tr("村（社区、嘎查）："), VillageBox(villages))
        self.household_picker = self.add_row("household_ids", _tr("涉及的户："), HouseholdPicker(search))
        self.reporter_edit = self.add_row("reporter", _tr("反映人："), QLineEdit())
        self.phone_edit = self.add_row("reporter_phone", _tr("联系电话："), QLineEdit())
        self.description_edit = self.add_row("description", _tr("问题描述："), SubmitTextEdit(lines=4))
        self.description_edit.setPlaceholderText(_tr("按回车保存，Shift+回车换行"))
        self.order = [self.title_edit, self.source_box, self.hotline_edit, self.category_box, self.urgency_box,
                      self.village_box, self.household_picker, self.reporter_edit, self.phone_edit,
                      self.description_edit, self.save_button]
        for first, second in zip(self.order, self.order[1:]):
            QWidget.setTabOrder(first, second)
        self.source_box.currentTextChanged.connect(self._source_changed)
        self._source_changed(self.source_box.currentText())
        self.title_edit.setFocus()

    def _source_changed(self, source: str) -> None:
        self.set_row_visible("hotline_no", source == vocab.HOTLINE_SOURCE)

    def submit(self):
        title = required_text(self.title_edit, "请填写问题标题", "title")
        source = self.source_box.currentText()
        hotline_no = self.hotline_edit.text().strip() if source == vocab.HOTLINE_SOURCE else ""
        household_id = self.household_picker.household_id()
        return ledger_service.register_problem(
            self.session,
            title=title,
            source=source,
            description=self.description_edit.text().strip(),
            hotline_no=hotline_no,
            category_id=self.category_box.currentData(),
            urgency=self.urgency_box.currentText(),
            village_id=self.village_box.village_id(),
            household_ids=(household_id,) if household_id else (),
            reporter=self.reporter_edit.text().strip(),
            reporter_phone=self.phone_edit.text().strip(),
        )


# -- lifecycle actions -------------------------------------------------------------------------------


class ProblemActionDialog(ServiceForm):
    """One lifecycle step (``kind``, a :data:`ledgerdesk.core.lifecycle.KINDS` value) on one problem."""

    TITLES = {
        lifecycle.DISPATCH: "交办", lifecycle.PROGRESS: "记录办理情况", lifecycle.RESOLVE: "办结",
        lifecycle.RATE: "群众评价", lifecycle.CLOSE: "销号", lifecycle.RETURN: "退回重办",
        lifecycle.EXTEND: "延期", lifecycle.REOPEN: "重新打开", lifecycle.MERGE: "合并到另一问题",
        lifecycle.VOID: "撤销", lifecycle.REVISIT: "回访（回头看）",
    }

    def __init__(self, session: Session, problem_id: str, kind: str, *, label: str = "",
                 current_deadline: dt.date | None = None, deadline_kind: str | None = None,
                 urgency: str = "一般", parent: QWidget | None = None):
        caption = _tr(self.TITLES.get(kind, kind))
        intro = _tr("问题：{label}").format(label=label) if label else ""
        super().__init__(caption, parent, intro=intro)
        self.session = session
        self.problem_id = problem_id
        self.kind = kind
        self.current_deadline = current_deadline
        self.deadline_kind = deadline_kind or WORKING_DAYS
        self.urgency = urgency
        self.save_button.setText(caption if len(caption) <= 4 else _tr("保存"))
        getattr(self, f"_build_{_METHODS[kind]}")()
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.setFocus()

    # Each builder adds the rows; each _save_* calls the service.

    def _line(self, key: str, label: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        return self.add_row(key, label, edit)

    def _build_dispatch(self) -> None:
        self._line("responsible_person", _tr("责任人："), _tr("如：王建国"))
        self._line("responsible_unit", _tr("责任单位："), _tr("如：某某村党支部、乡镇综治办"))
        days, kind = ledger_service.DEFAULT_DEADLINES.get(self.urgency, ledger_service.DEFAULT_DEADLINES["一般"])
        self.add_row("deadline", _tr("办理期限："), DeadlineInput(today_of(self.session), days, kind=kind),
                     aliases=("days", "deadline_kind"))
        self._line("note", _tr("交办说明："), _tr("可不填"))

    def _build_progress(self) -> None:
        self._line("note", _tr("办理情况："), _tr("做了什么、进展到哪一步"))

    def _build_resolve(self) -> None:
        self._line("note", _tr("办结情况："), _tr("怎样解决的"))

    def _build_rate(self) -> None:
        box = self.add_row("rating", _tr("群众评价："), QComboBox())
        box.addItems(vocab.RATINGS)
        self.rating_box = box
        self._line("rated_by", _tr("评价人："), _tr("反映人或户主姓名"))
        method = self.add_row("method", _tr("评价方式："), QComboBox())
        method.addItems(vocab.RATING_METHODS)

    def _build_close(self) -> None:
        self._line("note", _tr("销号意见："), _tr("可不填"))

    def _build_return(self) -> None:
        self._line("reason", _tr("退回理由："))

    def _build_extend(self) -> None:
        self._line("reason", _tr("延期理由："))
        self._line("approved_by", _tr("批准人："))
        if self.current_deadline is not None:
            self.add_row("current", _tr("当前期限："), QLabel(weekday_text(self.current_deadline)))
        self.add_row("deadline", _tr("延长："), DeadlineInput(today_of(self.session), DEFAULT_EXTEND_DAYS,
                                                               kinds=(self.deadline_kind,),
                                                               start=self.current_deadline),
                     aliases=("days", "deadline_kind"))

    def _build_reopen(self) -> None:
        self._line("reason", _tr("重新打开的理由："))

    def _build_void(self) -> None:
        self._line("reason", _tr("撤销理由："))

    def _build_revisit(self) -> None:
        self._line("result", _tr("回访结果："), _tr("群众反映、现场情况"))
        self.add_row("on", _tr("回访日期："), date_edit(today_of(self.session)))

    def _build_merge(self) -> None:
        search = self._line("merge_search", _tr("查找问题："), _tr("输入编号或标题的一部分，回车查找"))
        self.matches = self.add_row("into_id", _tr("并入："), QListWidget(), aliases=("merged_into_id",))
        self.matches.setMinimumHeight(140)
        self._line("note", _tr("说明："), _tr("可不填"))
        search.returnPressed.connect(self.find_targets)
        search.textEdited.connect(lambda _text: self.find_targets())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # In the merge search box Enter searches rather than saves.
        if self.kind == lifecycle.MERGE and self.focusWidget() is self.fields.get("merge_search") and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.find_targets()
            self.matches.setFocus()
            return
        super().keyPressEvent(event)

    def find_targets(self) -> int:
        """Fill the 并入 list with problems matching the search text; returns how many."""
        text = self.fields["merge_search"].text().strip()
        self.matches.clear()
        if not text:
            return 0
        ids = [i for i in ledger_service.problem_ids(self.session, ledger_service.ProblemQuery(text=text))
               if i != self.problem_id][:30]
        for row in ledger_service.problem_rows(self.session, ids):
            item = QListWidgetItem(f"{row.number}　{row.title}（{row.state}）")
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.matches.addItem(item)
        if self.matches.count():
            self.matches.setCurrentRow(0)
        return self.matches.count()

    # -- saving ----------------------------------------------------------------------------------

    def _text(self, key: str) -> str:
        return self.fields[key].text().strip()

    def submit(self):
        kind, s, pid = self.kind, self.session, self.problem_id
        if kind == lifecycle.DISPATCH:
            return ledger_service.dispatch(s, pid, responsible_person=self._text("responsible_person"),
                                           responsible_unit=self._text("responsible_unit"),
                                           note=self._text("note"), **self.fields["deadline"].value())
        if kind == lifecycle.PROGRESS:
            return ledger_service.add_note(s, pid, required_text(self.fields["note"], "请填写办理情况", "note"))
        if kind == lifecycle.RESOLVE:
            return ledger_service.resolve(s, pid, required_text(self.fields["note"], "请填写办结情况", "note"))
        if kind == lifecycle.RATE:
            return ledger_service.rate(s, pid, rating=self.fields["rating"].currentText(),
                                       rated_by=self._text("rated_by"), method=self.fields["method"].currentText())
        if kind == lifecycle.CLOSE:
            return ledger_service.close(s, pid, note=self._text("note"))
        if kind == lifecycle.RETURN:
            return ledger_service.return_problem(s, pid, self._text("reason"))
        if kind == lifecycle.EXTEND:
            value = self.fields["deadline"].value()
            return ledger_service.extend(s, pid, reason=self._text("reason"), approved_by=self._text("approved_by"),
                                         days=value.get("days"), deadline=value.get("deadline"))
        if kind == lifecycle.REOPEN:
            return ledger_service.reopen(s, pid, self._text("reason"))
        if kind == lifecycle.VOID:
            return ledger_service.void(s, pid, self._text("reason"))
        if kind == lifecycle.REVISIT:
            return ledger_service.revisit(s, pid, result=required_text(self.fields["result"], "请填写回访结果", "result"),
                                          on=from_qdate(self.fields["on"].date()))
        if kind == lifecycle.MERGE:
            item = self.matches.currentItem()
            if item is None:
                raise ValidationError("请先查找并选择要并入的问题", field="into_id")
            return ledger_service.merge(s, pid, item.data(Qt.ItemDataRole.UserRole), note=self._text("note"))
        raise ValidationError(f"未知的办理环节“{kind}”")


_METHODS = {
    lifecycle.DISPATCH: "dispatch", lifecycle.PROGRESS: "progress", lifecycle.RESOLVE: "resolve",
    lifecycle.RATE: "rate", lifecycle.CLOSE: "close", lifecycle.RETURN: "return", lifecycle.EXTEND: "extend",
    lifecycle.REOPEN: "reopen", lifecycle.MERGE: "merge", lifecycle.VOID: "void", lifecycle.REVISIT: "revisit",
}
