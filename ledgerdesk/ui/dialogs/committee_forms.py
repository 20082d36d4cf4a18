"""The dialogs of the 六会 page: form a committee, dissolve it, add a member, end a membership,
and the fast activity entry (attendees picked by name search).

Each saves through one call of :mod:`ledgerdesk.services.committees`; a refused call shows its
message at the field and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QSpinBox, QWidget

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.vocab import COMMITTEE_KINDS, COMMITTEE_ROLES, CUSTOM_COMMITTEE
from ledgerdesk.services import committees as committee_service
from ledgerdesk.services.session import Session
from ledgerdesk.ui.dialogs.problem_forms import (
    HouseholdList,
    HouseholdPicker,
    ServiceForm,
    SubmitTextEdit,
    date_edit,
    from_qdate,
)

Search = Callable[[str], list[tuple[str, str]]]


def _tr(text: str) -> str:
    return QCoreApplication.translate("CommitteeForms", text)


def person_search(session: Session, limit: int = 20) -> Search:
    """``text -> [(person_id, label)]`` over persons (name, 身份证号 or phone fragment), masked."""

    def find(text: str) -> list[tuple[str, str]]:
        found: dict[str, str] = {}
        for hit in committee_service.find_persons(session, text, limit=limit):
            where = "，".join(part for part in (hit.village, hit.detail) if part)
            label = f"{hit.title}（{where}）" if where else hit.title
            while label in found.values():
                label += " "
            found[hit.id] = label
        return list(found.items())

    return find


class PersonPicker(HouseholdPicker):
    """Type a name, 身份证号 or phone fragment and pick a person from the suggestions."""

    def __init__(self, search: Search | None, parent: QWidget | None = None):
        super().__init__(search, parent)
        if search is not None:
            self.setPlaceholderText(_tr("输入姓名、身份证号或电话的一部分，从列表中选择"))

    def person_id(self, *, field: str = "person_id") -> str:
        if self.text().strip() and self._picked is not None and self._picked[1] == self.text():
            return self._picked[0]
        raise ValidationError("请输入姓名后从查找结果中选择一个人", field=field)


class FormCommitteeDialog(ServiceForm):
    """成立: a committee of one of the six kinds, or another organisation with its own name."""

    def __init__(self, session: Session, village_id: str, village: str, *, kind: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(_tr("成立组织"), parent, intro=_tr("在{village}成立组织。").format(village=village))
        self.session = session
        self.village_id = village_id
        self.kind_box = self.add_row("kind", _tr("类别："), QComboBox())
        for code, label in COMMITTEE_KINDS.items():
            self.kind_box.addItem(label, code)
        self.kind_box.addItem(_tr("其他组织（自定名称）"), CUSTOM_COMMITTEE)
        self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(kind or next(iter(COMMITTEE_KINDS)))))
        self.name_edit = self.add_row("name", _tr("组织名称："), QLineEdit())
        self.name_edit.setPlaceholderText(_tr("如：老年协会"))
        today = session.ledger.clock.today()
        self.founded_edit = self.add_row("founded_on", _tr("成立日期："), date_edit(today))
        self.charter_edit = self.add_row("charter", _tr("章程（摘要）："), SubmitTextEdit(lines=3))
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def _kind_changed(self) -> None:
        self.set_row_visible("name", self.kind_box.currentData() == CUSTOM_COMMITTEE)

    def submit(self) -> str:
        custom = self.kind_box.currentData() == CUSTOM_COMMITTEE
        return committee_service.form(
            self.session, village_id=self.village_id, kind=self.kind_box.currentData(),
            name=self.name_edit.text().strip() if custom else None,
            founded_on=from_qdate(self.founded_edit.date()), charter=self.charter_edit.text().strip())


class DateActionDialog(ServiceForm):
    """A one-date confirmation (解散 a committee, a member's 离任): ``action(date)`` is the service call."""

    def __init__(self, title: str, intro: str, label: str, field: str, action: Callable[[dt.date], object],
                 today: dt.date, parent: QWidget | None = None):
        super().__init__(title, parent, intro=intro)
        self.action = action
        self.date_edit = self.add_row(field, label, date_edit(today))
        self.save_button.setText(_tr("确定"))

    def submit(self):
        self.action(from_qdate(self.date_edit.date()))
        return True


class AddMemberDialog(ServiceForm):
    """添加成员: a person found by name search, the role, the join date."""

    def __init__(self, session: Session, committee_id: str, committee: str, search: Search | None, *,
                 parent: QWidget | None = None):
        super().__init__(_tr("添加成员"), parent, intro=_tr("为“{name}”添加成员或负责人。").format(name=committee),
                         enter_moves_on=True)
        self.session = session
        self.committee_id = committee_id
        self.picker = self.add_row("person_id", _tr("人员："), PersonPicker(search))
        self.role_box = self.add_row("role", _tr("职务："), QComboBox())
        self.role_box.addItems(COMMITTEE_ROLES)
        self.role_box.setCurrentText(committee_service.MEMBER)
        self.joined_edit = self.add_row("joined_on", _tr("加入日期："), date_edit(session.ledger.clock.today()))
        self.picker.setFocus()

    def submit(self) -> str:
        return committee_service.add_member(
            self.session, self.committee_id, person_id=self.picker.person_id(), role=self.role_box.currentText(),
            joined_on=from_qdate(self.joined_edit.date()))


class ActivityDialog(ServiceForm):
    """登记活动: date, kind, topic, attendees picked by name search, decisions, outcome, and only the
    figures this committee kind keeps (红白理事会, 道德评议会, 联防联治会)."""

    def __init__(self, session: Session, committee_id: str, committee: str, kind: str, search: Search | None, *,
                 members: list[tuple[str, str]] = (), parent: QWidget | None = None):
        super().__init__(_tr("登记活动"), parent, intro=_tr("“{name}”的会议或活动。").format(name=committee),
                         enter_moves_on=True)
        self.setMinimumWidth(640)
        self.session = session
        self.committee_id = committee_id
        self.held_edit = self.add_row("held_on", _tr("日期："), date_edit(session.ledger.clock.today()))
        self.kind_box = self.add_row("kind", _tr("类型："), QComboBox())
        self.kind_box.addItems(committee_service.ACTIVITY_KINDS)
        self.topic_edit = self.add_row("topic", _tr("主题："), QLineEdit())
        self.topic_edit.setPlaceholderText(_tr("如：红白事简办登记、夜间治安巡逻"))
        self.picker = PersonPicker(search)
        self.attendees = self.add_row("attendee_ids", _tr("参加人员："), HouseholdList(self.picker))
        for person_id, label in members:  # the current members are usually there: listed, remove who was absent
            self.attendees.add(person_id, label)
        self.decisions_edit = self.add_row("decisions", _tr("决定事项："), SubmitTextEdit(lines=2))
        self.outcome_edit = self.add_row("outcome", _tr("结果："), SubmitTextEdit(lines=2))
        self.decisions_edit.submitted.disconnect(self.accept)
        self.decisions_edit.submitted.connect(self.next_field)
        self.figures: dict[str, QSpinBox] = {}
        for name in committee_service.figures_of(kind):
            box = QSpinBox()
            box.setRange(0, committee_service.MAX_FIGURE)
            box.setGroupSeparatorShown(True)
            box.setMinimumWidth(140)
            self.figures[name] = self.add_row(name, _tr(committee_service.FIGURE_LABELS[name]) + "：", box)
        if not self.figures:
            note = QLabel(_tr("此类组织不需要填写办理数、人次等数字。"))
            note.setObjectName("pageSubtitle")
            self.form.addRow("", note)
        self.held_edit.setFocus()

    def submit(self) -> str:
        return committee_service.record_activity(
            self.session, self.committee_id, held_on=from_qdate(self.held_edit.date()),
            kind=self.kind_box.currentText(), topic=self.topic_edit.text().strip(),
            decisions=self.decisions_edit.text().strip(), outcome=self.outcome_edit.text().strip(),
            attendee_ids=tuple(self.attendees.ids()), **{k: box.value() for k, box in self.figures.items()})
