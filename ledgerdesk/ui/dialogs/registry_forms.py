"""Forms of the 户籍 page: a household (新增户 / 编辑户) and a person (新增成员 / 编辑成员).

Each form saves through :mod:`ledgerdesk.services.registry` in ONE transaction
(``session.writing()`` joins the nested service calls), so a refused field
leaves nothing half-saved. Person fields are pre-checked with
:func:`ledgerdesk.core.person_rules.check_person`, which shows every error at
its field at once; the service checks again and its ValidationError lands at
``exc.field`` too. Masked numbers are never written back: when the user may
not see a 身份证号 or phone in full, the field starts empty and an empty field
means "unchanged".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QWidget,
)

from ledgerdesk.core.person_rules import check_person
from ledgerdesk.core.vocab import GENDERS, LEVEL_LABELS, LEVELS, PERSON_STATUSES
from ledgerdesk.services import registry
from ledgerdesk.ui.dialogs.field_form import FieldForm

RELATIONS = ("户主", "配偶", "子", "女", "父亲", "母亲", "儿媳", "女婿", "孙子", "孙女", "兄弟姐妹", "其他")
DATE_HINT = "例如 1980-05-01"


def _text(widget: QLineEdit | QPlainTextEdit) -> str:
    return (widget.toPlainText() if isinstance(widget, QPlainTextEdit) else widget.text()).strip()


def _line(value: str = "", placeholder: str = "", max_length: int = 200) -> QLineEdit:
    edit = QLineEdit(value)
    edit.setPlaceholderText(placeholder)
    edit.setMaxLength(max_length)
    return edit


def _note(value: str = "") -> QPlainTextEdit:
    edit = QPlainTextEdit(value)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(edit.fontMetrics().height() * 3 + 14)
    return edit


class HouseholdDialog(FieldForm):
    """新增户 (``detail`` None) or 编辑户. After 保存, :attr:`saved_id` is the household id."""

    def __init__(self, session, villages, tags, *, detail=None, village_id: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(self.tr("编辑户") if detail else self.tr("新增户"), parent)
        self.setMinimumWidth(560)
        self.session = session
        self.villages = list(villages)
        self.detail = detail
        self.saved_id: str | None = None
        row = detail.row if detail is not None else None
        self._original: dict[str, Any] = {}
        self.reveal_phone = True

        self.village = QComboBox()
        for info in self.villages:
            self.village.addItem(info.name, info.id)
        self.group = QComboBox()
        self.grid = QComboBox()
        self.hh_no = _line(placeholder=self.tr("可不填"), max_length=30)
        self.address = _line(max_length=100)
        self.phone = _line(max_length=20)
        self.level = QComboBox()
        for level in LEVELS:
            self.level.addItem(LEVEL_LABELS[level], level)
        self.tags = QListWidget()
        self.tags.setFlow(QListView.Flow.LeftToRight)
        self.tags.setWrapping(True)
        self.tags.setResizeMode(QListView.ResizeMode.Adjust)
        self.tags.setSpacing(2)
        self.tags.setGridSize(QSize(118, self.fontMetrics().height() + 12))
        self.tags.setFixedHeight((self.fontMetrics().height() + 12) * 5 + 8)
        for tag in tags:
            item = QListWidgetItem(tag.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.tags.addItem(item)
        self.new_tags = _line(placeholder=self.tr("其他标签，用顿号或逗号分隔"), max_length=100)
        self.note = _note()

        self.add_field("village_id", self.tr("所属村："), self.village)
        self.add_field("group_id", self.tr("村民小组："), self.group)
        self.add_field("grid_id", self.tr("网格："), self.grid)
        self.add_field("hh_no", self.tr("户号："), self.hh_no)
        self.add_field("address", self.tr("住址："), self.address)
        self.add_field("phone", self.tr("联系电话："), self.phone)
        self.add_field("level", self.tr("三色等级："), self.level)
        self.add_field("tags", self.tr("标签："), self.tags)
        self.add_field("new_tags", self.tr(""), self.new_tags)
        self.add_field("note", self.tr("备注："), self.note)
        self.village.currentIndexChanged.connect(self._fill_units)

        start_village = village_id
        if row is not None:
            start_village = getattr(row, "village_id", "") or next(
                (v.id for v in self.villages if v.name == row.village), village_id)
        if start_village:
            self.village.setCurrentIndex(max(0, self.village.findData(start_village)))
        self._fill_units()
        if row is not None:
            self.group.setCurrentIndex(max(0, self.group.findData(getattr(detail, "group_id", None))))
            self.grid.setCurrentIndex(max(0, self.grid.findData(getattr(detail, "grid_id", None))))
            self.hh_no.setText(row.hh_no or "")
            self.address.setText(row.address or "")
            self.reveal_phone = "*" not in (row.phone or "")
            if self.reveal_phone:
                self.phone.setText(row.phone or "")
            else:
                self.phone.setPlaceholderText(self.tr("已登记 {phone}，不修改请留空").format(phone=row.phone))
            self.level.setCurrentIndex(max(0, self.level.findData(row.level)))
            current_tags = set(row.tags or ())
            for index in range(self.tags.count()):
                item = self.tags.item(index)
                if item.text() in current_tags:
                    item.setCheckState(Qt.CheckState.Checked)
            self.note.setPlainText(getattr(detail, "note", "") or "")
            self._original = self._values()
        self.village.setFocus()

    def _fill_units(self) -> None:
        info = next((v for v in self.villages if v.id == self.village.currentData()), None)
        for combo, units in ((self.group, info.groups if info else ()), (self.grid, info.grids if info else ())):
            combo.clear()
            combo.addItem(self.tr("（无）"), None)
            for unit_id, name in units:
                combo.addItem(name, unit_id)

    def tag_names(self) -> list[str]:
        names = [self.tags.item(i).text() for i in range(self.tags.count())
                 if self.tags.item(i).checkState() == Qt.CheckState.Checked]
        for part in self.new_tags.text().replace("，", ",").replace("、", ",").split(","):
            if part.strip():
                names.append(part.strip())
        return names

    def _values(self) -> dict[str, Any]:
        return {
            "village_id": self.village.currentData(), "group_id": self.group.currentData(),
            "grid_id": self.grid.currentData(), "hh_no": _text(self.hh_no), "address": _text(self.address),
            "phone": _text(self.phone), "level": self.level.currentData(), "note": _text(self.note),
            "tags": sorted(self.tag_names()),
        }

    def save(self) -> bool:
        values = self._values()
        session = self.session
        with session.writing():
            if self.detail is None:
                tags = values.pop("tags")
                self.saved_id = registry.create_household(session, **values)
                if tags:
                    registry.set_household_tags(session, self.saved_id, tags)
                return True
            household_id = self.detail.row.id
            changed = {k: v for k, v in values.items() if v != self._original.get(k)}
            if "phone" in changed and not changed["phone"] and not self.reveal_phone:
                del changed["phone"]  # masked and left empty: unchanged
            if {"village_id", "group_id", "grid_id"} & set(changed):
                if changed.get("village_id", values["village_id"]) != self._original.get("village_id"):
                    registry.move_household(session, household_id, village_id=values["village_id"],
                                            group_id=values["group_id"], grid_id=values["grid_id"])
                    for key in ("village_id", "group_id", "grid_id"):
                        changed.pop(key, None)
                else:
                    changed.pop("village_id", None)
            if "tags" in changed:
                registry.set_household_tags(session, household_id, changed.pop("tags"))
            if changed:
                registry.update_household(session, household_id, **changed)
            self.saved_id = household_id
        return True


class PersonDialog(FieldForm):
    """新增成员 (``person`` None) or 编辑成员 of ``household_id``.

    After 保存, :attr:`saved` is the service's PersonSaved (its ``warnings``
    are for the caller to show as a non-blocking notice).
    """

    def __init__(self, session, household_id: str, *, person=None, make_head: bool = False,
                 today=None, parent: QWidget | None = None):
        super().__init__(self.tr("编辑成员") if person else self.tr("新增成员"), parent)
        self.setMinimumWidth(520)
        self.session = session
        self.household_id = household_id
        self.person = person
        self.today = today
        self.saved = None
        self.name = _line(max_length=40)
        self.id_number = _line(max_length=24)
        self.gender = QComboBox()
        self.gender.addItem(self.tr("（按身份证号）"), "")
        for gender in GENDERS:
            self.gender.addItem(gender, gender)
        self.birth_date = _line(placeholder=self.tr("不填则按身份证号；") + DATE_HINT, max_length=20)
        self.phone = _line(max_length=20)
        self.relation = QComboBox()
        self.relation.setEditable(True)
        self.relation.addItems(("",) + RELATIONS)
        self.ethnicity = _line(placeholder=self.tr("例如 汉族、蒙古族"), max_length=20)
        self.is_party_member = QCheckBox(self.tr("中共党员"))
        self.party_branch = _line(max_length=40)
        self.party_joined_on = _line(placeholder=DATE_HINT, max_length=20)
        self.status = QComboBox()
        self.status.addItems(PERSON_STATUSES)
        self.make_head = QCheckBox(self.tr("设为户主"))
        self.make_head.setChecked(make_head)
        self.note = _note()

        self.add_field("name", self.tr("姓名："), self.name)
        self.add_field("id_number", self.tr("身份证号："), self.id_number)
        self.add_field("gender", self.tr("性别："), self.gender)
        self.add_field("birth_date", self.tr("出生日期："), self.birth_date)
        self.add_field("phone", self.tr("联系电话："), self.phone)
        self.add_field("relation", self.tr("与户主关系："), self.relation)
        self.add_field("ethnicity", self.tr("民族："), self.ethnicity)
        self.add_field("is_party_member", self.tr("政治面貌："), self.is_party_member)
        self.add_field("party_branch", self.tr("所在党支部："), self.party_branch)
        self.add_field("party_joined_on", self.tr("入党日期："), self.party_joined_on)
        if person is not None:
            self.add_field("status", self.tr("状态："), self.status)
        self.add_field("make_head", self.tr(""), self.make_head, aliases=("person_id", "household_id"))
        self.add_field("note", self.tr("备注："), self.note)
        self.is_party_member.toggled.connect(self._party_fields)

        self.reveal_id = self.reveal_phone = True
        self._original: dict[str, Any] = {}
        if person is not None:
            self.name.setText(person.name)
            self.reveal_id = "*" not in (person.id_number or "")
            self.reveal_phone = "*" not in (person.phone or "")
            for edit, value, revealed in ((self.id_number, person.id_number, self.reveal_id),
                                          (self.phone, person.phone, self.reveal_phone)):
                if revealed:
                    edit.setText(value or "")
                else:
                    edit.setPlaceholderText(self.tr("已登记 {value}，不修改请留空").format(value=value))
            self.gender.setCurrentIndex(max(0, self.gender.findData(person.gender or "")))
            self.birth_date.setText(person.birth_date.isoformat() if person.birth_date else "")
            self.relation.setCurrentText(person.relation or "")
            self.ethnicity.setText(getattr(person, "ethnicity", "") or "")
            self.is_party_member.setChecked(bool(person.is_party_member))
            self.party_branch.setText(getattr(person, "party_branch", "") or "")
            joined = getattr(person, "party_joined_on", None)
            self.party_joined_on.setText(joined.isoformat() if joined else "")
            self.status.setCurrentText(person.status or "在册")
            self.note.setPlainText(getattr(person, "note", "") or "")
            self._original = self._values()
        self._party_fields(self.is_party_member.isChecked())
        self.name.setFocus()

    def _party_fields(self, on: bool) -> None:
        self.party_branch.setEnabled(on)
        self.party_joined_on.setEnabled(on)

    def _values(self) -> dict[str, Any]:
        party = self.is_party_member.isChecked()
        return {
            "name": _text(self.name), "id_number": _text(self.id_number), "gender": self.gender.currentData(),
            "birth_date": _text(self.birth_date) or None, "phone": _text(self.phone),
            "relation": self.relation.currentText().strip(), "ethnicity": _text(self.ethnicity),
            "is_party_member": party, "party_branch": _text(self.party_branch) if party else "",
            "party_joined_on": (_text(self.party_joined_on) or None) if party else None, "note": _text(self.note),
        }

    def save(self) -> bool:
        values = self._values()
        # The pre-check shows every identity error at its field at once (the service stops at the first).
        id_number = values["id_number"] if (values["id_number"] or self.reveal_id) else ""
        check = check_person(name=values["name"], id_number=id_number,
                             gender=values["gender"] if id_number or self.person is None else "",
                             birth_date=values["birth_date"], phone=values["phone"], today=self.today)
        if check.errors:
            self.show_issues(check.errors)
            return False
        session = self.session
        with session.writing():
            if self.person is None:
                self.saved = registry.add_person(session, self.household_id, make_head=self.make_head.isChecked(),
                                                 **values)
                return True
            changed = {k: v for k, v in values.items() if v != self._original.get(k)}
            for key, revealed in (("id_number", self.reveal_id), ("phone", self.reveal_phone)):
                if key in changed and not changed[key] and not revealed:
                    del changed[key]
            status = self.status.currentText()
            self.saved = registry.update_person(session, self.person.id, **changed) if changed else None
            if status != (self.person.status or "在册"):
                registry.set_person_status(session, self.person.id, status)
            if self.make_head.isChecked():
                registry.set_household_head(session, self.household_id, self.person.id)
            if self.saved is None:
                self.saved = registry.PersonSaved(self.person.id, ())
        return True
