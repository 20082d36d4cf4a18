"""设为中心户 / 设立联户长 (pick a household, then one of its members) and 设置六大员类型.

Both dialogs are :class:`~ledgerdesk.ui.dialogs.field_form.FieldForm`s, so a
refused choice (not a party member, already a 中心户 …) is shown at its field.
The household list is a lazy table over ``registry_queries.household_ids`` of
one village; the members come from ``household_detail``.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QCheckBox, QGridLayout, QVBoxLayout, QWidget

from ledgerdesk.core.errors import ValidationError
from ledgerdesk.core.vocab import CENTER_TYPES
from ledgerdesk.services import registry_queries
from ledgerdesk.ui.dialogs.field_form import FieldForm
from ledgerdesk.ui.lazy_table import Column, LazyTableModel
from ledgerdesk.ui.widgets.common import id_combo
from ledgerdesk.ui.widgets.record_table import RecordTable


class TypeChecks(QWidget):
    """Six checkboxes, one per 六大员 type (labels from core.vocab.CENTER_TYPES)."""

    def __init__(self, checked=(), parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for index, (code, label) in enumerate(CENTER_TYPES.items()):
            box = QCheckBox(label)
            box.setChecked(code in checked or label in checked)
            self.boxes[code] = box
            grid.addWidget(box, index // 2, index % 2)

    def codes(self) -> list[str]:
        return [code for code, box in self.boxes.items() if box.isChecked()]

    def set_codes(self, codes) -> None:
        for code, box in self.boxes.items():
            box.setChecked(code in codes)


class TypesDialog(FieldForm):
    """设置六大员类型 of one 中心户; ``save_types(codes)`` calls the service."""

    def __init__(self, title: str, current, save_types: Callable[[list[str]], None], parent: QWidget | None = None):
        super().__init__(title, parent)
        self.checks = TypeChecks(current)
        self.add_field("types", self.tr("六大员类型："), self.checks)
        self._save_types = save_types

    def save(self) -> bool:
        self._save_types(self.checks.codes())
        return True


def _member_columns() -> tuple[Column, ...]:
    return (Column("name", "姓名", width=80), Column("relation", "关系", width=56),
            Column("gender", "性别", width=44), Column("is_party_member", "党员", width=44),
            Column("status", "状态", width=52))


class DesignateDialog(FieldForm):
    """Pick a household of a village, then the person; ``designate(household_id, person_id, types)`` saves.

    ``with_types`` adds the 六大员 checkboxes (中心户); ``party_only`` lists only
    party members as choices (the service refuses others anyway).
    """

    def __init__(self, session, title: str, villages, designate: Callable[[str, str, list[str]], str], *,
                 village_id: str | None = None, with_types: bool = False, party_only: bool = False,
                 person_label: str = "人员", parent: QWidget | None = None):
        super().__init__(title, parent)
        self.setMinimumSize(760, 560)
        self.session = session
        self.party_only = party_only
        self._designate = designate
        self.saved_id: str | None = None

        self.village = id_combo(None, [(v.id, v.name) for v in villages], min_width=160)
        if village_id:
            self.village.setCurrentIndex(max(0, self.village.findData(village_id)))
        self.add_field("village_id", self.tr("村："), self.village)

        picker = QWidget()
        column = QVBoxLayout(picker)
        column.setContentsMargins(0, 0, 0, 0)
        self.households = LazyTableModel(
            (Column("hh_no", "户号", width=90), Column("head_name", "户主", width=80),
             Column("group", "小组", width=90), Column("members", "人数", width=50),
             Column("center_name", "中心户", width=80), Column("link_head_name", "联户长", width=80)),
            self._household_ids, lambda ids: registry_queries.household_rows(session, ids), load=False)
        self.household_table = RecordTable(self.households, "designate/households")
        self.household_table.setMinimumHeight(200)
        column.addWidget(self.household_table)
        self.add_field("household_id", self.tr("户："), picker)

        self._members: dict = {}
        self.members = LazyTableModel(_member_columns(), lambda: list(self._members),
                                      lambda ids: [self._members[i] for i in ids], load=False)
        self.member_table = RecordTable(self.members, "designate/members")
        self.member_table.setMinimumHeight(110)
        self.add_field("person_id", self.tr("{label}：").format(label=person_label), self.member_table)
        self.types = TypeChecks() if with_types else None
        if self.types is not None:
            self.add_field("types", self.tr("六大员类型："), self.types)

        self.village.currentIndexChanged.connect(self._load_households)
        self.household_table.selection_changed.connect(self._load_members)
        self._load_households()

    def _household_ids(self) -> list[str]:
        query = registry_queries.HouseholdQuery(village_id=self.village.currentData())
        return registry_queries.household_ids(self.session, query)

    def _load_households(self) -> None:
        self.households.reload()  # one village: a few hundred ids, fast enough here
        self._load_members()

    def _load_members(self) -> None:
        household_id = self.household_table.current_id()
        persons = ()
        if household_id:
            persons = registry_queries.household_detail(self.session, household_id).persons
        self._members = {p.id: p for p in persons
                         if p.status in ("在册", "外出") and (p.is_party_member or not self.party_only)}
        self.members.reload()
        if self.members.rowCount():
            self.member_table.selectRow(0)

    def choose(self, household_id: str, person_id: str | None = None) -> bool:
        """Select a household (and person) programmatically; False when not listed."""
        if not self.household_table.select_ids([household_id]):
            return False
        self._load_members()
        return person_id is None or bool(self.member_table.select_ids([person_id]))

    def save(self) -> bool:
        household_id = self.household_table.current_id()
        if not household_id:
            raise ValidationError(self.tr("请先选择一户"), field="household_id")
        person_id = self.member_table.current_id()
        if not person_id:
            message = self.tr("该户没有在册党员，不能设为党员中心户") if self.party_only else self.tr("请选择一名人员")
            raise ValidationError(message, field="person_id")
        types = self.types.codes() if self.types is not None else []
        self.saved_id = self._designate(household_id, person_id, types)
        return True
