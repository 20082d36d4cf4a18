"""The dialogs of the 走访 page: record a visit, and turn a visit's needs into a ledger problem.

Each saves through one call of :mod:`ledgerdesk.services.visits`; a refused call
shows its message at the field and changes nothing.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QWidget

from ledgerdesk.core import vocab
from ledgerdesk.services import visits as visit_service
from ledgerdesk.services.session import Session
from ledgerdesk.ui.dialogs import problem_forms as forms
from ledgerdesk.ui.dialogs.problem_forms import HouseholdList

DEFAULT_NEXT_DUE_DAYS = 30
TITLE_LENGTH = 30


def _tr(text: str) -> str:
    return QCoreApplication.translate("VisitForms", text)


class VisitRecordDialog(forms.ServiceForm):
    """记录走访: date, kind, village, visitors, households, findings, needs, next visit due."""

    def __init__(self, session: Session, villages: list[tuple[str, str]], search=None, *,
                 village_id: str | None = None, parent: QWidget | None = None):
        super().__init__(_tr("记录走访"), parent, enter_moves_on=True)
        self.session = session
        self.setMinimumWidth(640)
        today = session.ledger.clock.today()
        self.date_edit = self.add_row("visited_on", _tr("走访日期："), forms.date_edit(today))
        self.kind_box = self.add_row("kind", _tr("走访形式："), QComboBox())
        self.kind_box.addItems(vocab.VISIT_KINDS)
        self.village_box = self.add_row("village_id", _tr("村（社区、嘎查）："), forms.VillageBox(villages))
        self.village_box.set_village(village_id)
        self.visitors_edit = self.add_row("visitors", _tr("走访人员："), QLineEdit())
        self.visitors_edit.setPlaceholderText(_tr("如：张书记、李网格员"))
        self.picker = forms.HouseholdPicker(search)
        self.households = self.add_row("household_ids", _tr("走访的户："), HouseholdList(self.picker))
        due_row = QWidget()
        due_layout = QHBoxLayout(due_row)
        due_layout.setContentsMargins(0, 0, 0, 0)
        self.due_check = QCheckBox(_tr("需要再次走访"))
        self.due_edit = forms.date_edit(today + dt.timedelta(days=DEFAULT_NEXT_DUE_DAYS))
        self.due_edit.setEnabled(False)
        self.due_check.toggled.connect(self.due_edit.setEnabled)
        due_layout.addWidget(self.due_check)
        due_layout.addWidget(self.due_edit)
        due_layout.addStretch(1)
        self.add_row("next_due", _tr("下次走访："), due_row)
        self.findings_edit = self.add_row("findings", _tr("发现的情况："), forms.SubmitTextEdit(lines=3))
        self.needs_edit = self.add_row("needs", _tr("群众诉求："), forms.SubmitTextEdit(lines=3))
        self.needs_edit.setPlaceholderText(_tr("群众提出的困难和要求（回车保存）；保存后可一键转为问题"))
        order = [self.date_edit, self.kind_box, self.village_box, self.visitors_edit, self.picker,
                 self.households.list, self.due_check, self.due_edit, self.findings_edit, self.needs_edit,
                 self.save_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)
        self.findings_edit.submitted.disconnect(self.accept)  # Enter in 发现的情况 moves on; in 群众诉求 it saves
        self.findings_edit.submitted.connect(self.next_field)
        self.date_edit.setFocus()

    def submit(self) -> str:
        return visit_service.record_visit(
            self.session,
            village_id=self.village_box.village_id(),
            visited_on=forms.from_qdate(self.date_edit.date()),
            kind=self.kind_box.currentText(),
            visitors=self.visitors_edit.text().strip(),
            household_ids=tuple(self.households.ids()),
            findings=self.findings_edit.text().strip(),
            needs=self.needs_edit.text().strip(),
            next_due=forms.from_qdate(self.due_edit.date()) if self.due_check.isChecked() else None,
        )


def default_title(needs: str) -> str:
    """A problem title from a visit's needs: the first line, shortened."""
    first = next((line.strip() for line in needs.splitlines() if line.strip()), "")
    return first if len(first) <= TITLE_LENGTH else first[:TITLE_LENGTH - 1] + "…"


class VisitToProblemDialog(forms.ServiceForm):
    """转为问题: the visit's needs become a ledger problem (source 走访发现) in one step."""

    def __init__(self, session: Session, visit_id: str, needs: str, *, label: str = "",
                 parent: QWidget | None = None):
        intro = _tr("将这次走访（{label}）中群众提出的诉求登记为问题台账中的问题，来源为“走访发现”，"
                    "走访的户和村一并带入。").format(label=label) if label else ""
        super().__init__(_tr("转为问题"), parent, intro=intro)
        self.session = session
        self.visit_id = visit_id
        self.title_edit = self.add_row("title", _tr("问题标题："), QLineEdit(default_title(needs)))
        self.category_box, self.urgency_box = forms.add_category_and_urgency(self, session)
        self.description_edit = self.add_row("description", _tr("问题描述："), forms.SubmitTextEdit(lines=4))
        self.description_edit.setPlainText(needs)
        self.save_button.setText(_tr("转为问题"))
        self.title_edit.setFocus()
        self.title_edit.selectAll()

    def submit(self):
        return visit_service.problem_from_visit(
            self.session, self.visit_id,
            title=forms.required_text(self.title_edit, "请填写问题标题", "title"),
            description=self.description_edit.text().strip(),
            category_id=self.category_box.currentData(),
            urgency=self.urgency_box.currentText(),
        )
