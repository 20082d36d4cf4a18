"""户籍: the household list with filters and search, a detail pane, and the registry forms.

The list is a :class:`~ledgerdesk.ui.lazy_table.LazyTableModel` over
``registry_queries.household_ids`` (run on the worker thread) and
``household_rows`` (a page at a time). Filters and sorting go to the service
(SQL), never to a proxy model. The last filters, column widths and the
splitter are remembered in QSettings (``registry/…``). 身份证号 and phone are
masked unless the role may see them (``permissions.may_reveal``) AND the user
ticks 显示完整证件号.

Keys: Ctrl+F search, Enter shows the detail of the current row, Ctrl+N 新增户,
F5 reloads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ledgerdesk.core.errors import Cancelled, LedgerDeskError
from ledgerdesk.core.vocab import LEVEL_LABELS, LEVELS
from ledgerdesk.interchange.list_export import export_list
from ledgerdesk.services import permissions, registry, registry_queries
from ledgerdesk.services import search as search_service
from ledgerdesk.ui.dialogs.registry_forms import HouseholdDialog, PersonDialog
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.import_dialog import ImportDialog
from ledgerdesk.ui.lazy_table import Column, LazyTableModel, RowsModel
from ledgerdesk.ui.pages.base import Page
from ledgerdesk.ui.widgets import common as w
from ledgerdesk.ui.widgets.record_table import FIRST_IDS, IdLoader, RecordTable, load_state, save_state
from ledgerdesk.ui.widgets.transfer import export_file

if TYPE_CHECKING:
    from ledgerdesk.ui.pages import PageContext, PageSpec

SEARCH_LIMIT = 500
FILTERS_KEY = "registry/filters"
EXPORT_CHUNK = 500


def household_columns() -> tuple[Column, ...]:
    return (
        Column("hh_no", "户号", width=100),
        Column("head_name", "户主", width=76),
        Column("village", "村", width=84),
        Column("group", "小组", width=112),
        Column("grid", "网格", width=136),
        Column("level", "三色", width=52, align=w.CENTRE, background=w.level_colour),
        Column("members", "人数", width=52, align=w.RIGHT),
        Column("phone", "电话", width=112),
        Column("tags", "标签", width=150),
        Column("center_name", "中心户", width=84),
        Column("link_head_name", "联户长", width=84),
        Column("address", "住址", width=200),
    )


def person_columns() -> tuple[Column, ...]:
    return (
        Column("name", "姓名", width=80),
        Column("relation", "关系", width=60),
        Column("gender", "性别", width=44, align=w.CENTRE),
        Column("birth_date", "出生日期", width=96),
        Column("id_number", "身份证号", width=170,
               foreground=lambda p: w.RED_TEXT if p.id_status == "invalid" else None),
        Column("phone", "电话", width=112),
        Column("is_party_member", "党员", width=44, align=w.CENTRE),
        Column("status", "状态", width=52),
    )


class RegistryPage(Page):
    """户籍 (see the module docstring)."""

    households_loaded = Signal(int)

    def __init__(self, context: "PageContext", spec: "PageSpec"):
        super().__init__(spec.title)
        self.context = context
        self.session = context.session
        self.can_reveal = permissions.may_reveal(self.session)
        self.can_edit = self.session.role in permissions.EDITORS
        self.villages = registry_queries.villages(self.session)
        self.tags = registry_queries.tags(self.session, counts=False)
        self.sort = ("hh_no", False)
        self.searching = ""
        self.current_detail = None

        self.notice = w.NoticeBar()
        self.body.addWidget(self.notice)
        self.body.addLayout(self._filter_bar())
        self.body.addLayout(self._action_bar())

        self.model = LazyTableModel(household_columns(), self._household_ids, self._household_rows,
                                    on_sort=self._sort_by, load=False)
        self.table = RecordTable(self.model, "registry/households")
        self.loader = IdLoader(context.runner, self.session, self.model, self)
        self.loader.loaded.connect(self._loaded)
        self.table.selection_changed.connect(self._show_current)
        self.table.opened.connect(self.open_detail)

        self.splitter = w.splitter(Qt.Orientation.Vertical, self.table, self._detail_pane(), stretch=(3, 2),
                                   settings_key="registry/splitter")
        self.body.addWidget(self.splitter, 1)

        w.page_shortcuts(self, ("Ctrl+F", self.focus_search), ("Ctrl+N", self.new_household), ("F5", self.reload))
        self._restore_filters()
        self._update_buttons()
        self.reload()

    # -- building -------------------------------------------------------------------

    def _filter_bar(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(self.tr("查找姓名、户号、证件号或电话（Ctrl+F）"))
        self.search.setMinimumWidth(300)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(300)
        self._search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.reload)

        self.village = w.id_combo(self.tr("全部村"), [(v.id, v.name) for v in self.villages], min_width=110)
        self.group = w.id_combo(self.tr("全部小组"), min_width=110)
        self.grid = w.id_combo(self.tr("全部网格"), min_width=110)
        self.tag = w.id_combo(self.tr("全部标签"), [(t.id, t.name) for t in self.tags], min_width=110)
        self.level = w.id_combo(self.tr("全部三色"), [(lv, LEVEL_LABELS[lv]) for lv in LEVELS])
        self.center = w.id_combo(self.tr("中心户：全部"), [("covered", self.tr("中心户：已覆盖")),
                                                       ("uncovered", self.tr("中心户：未覆盖"))])
        self.head = w.id_combo(self.tr("联户长：全部"), [("linked", self.tr("联户长：已联系")),
                                                     ("unlinked", self.tr("联户长：未联系"))])
        self.status = w.id_combo(None, [("在册", self.tr("在册户")), ("迁出", self.tr("已迁出")),
                                      ("注销", self.tr("已注销"))])
        self.clear_filters_button = QPushButton(self.tr("清除筛选"))
        self.clear_filters_button.clicked.connect(self.clear_filters)
        self.count_label = self.subtitle_label  # "共 12,000 户" / "查找“…”：n 户" on the subtitle line
        self.subtitle_label.show()
        self.reveal = QCheckBox(self.tr("显示完整证件号"))
        self.reveal.setVisible(self.can_reveal)
        self.reveal.toggled.connect(self._reveal_changed)

        self.village.currentIndexChanged.connect(self._village_changed)
        for combo in (self.group, self.grid, self.tag, self.level, self.center, self.head, self.status):
            combo.currentIndexChanged.connect(self._filters_changed)

        grid.addWidget(self.search, 0, 0, 1, 3)
        grid.addWidget(self.village, 0, 3)
        grid.addWidget(self.group, 0, 4)
        grid.addWidget(self.grid, 0, 5)
        grid.addWidget(self.tag, 1, 0)
        grid.addWidget(self.level, 1, 1)
        grid.addWidget(self.center, 1, 2)
        grid.addWidget(self.head, 1, 3)
        grid.addWidget(self.status, 1, 4)
        grid.addWidget(self.clear_filters_button, 1, 5)
        grid.setColumnStretch(6, 1)
        return grid

    def _action_bar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)

        def button(text: str, slot, tip: str = "") -> QPushButton:
            b = QPushButton(text)
            b.clicked.connect(slot)
            if tip:
                b.setToolTip(tip)
            row.addWidget(b)
            return b

        self.new_household_button = button(self.tr("新增户"), self.new_household, "Ctrl+N")
        self.edit_household_button = button(self.tr("编辑户"), self.edit_household)
        self.new_person_button = button(self.tr("新增成员"), self.new_person)
        self.edit_person_button = button(self.tr("编辑成员"), self.edit_person)
        self.move_out_button = button(self.tr("迁出"), self.move_out, self.tr("整户迁出：户和在册成员改为“迁出”"))
        row.addStretch(1)
        row.addWidget(self.reveal)
        row.addSpacing(12)
        self.import_button = button(self.tr("导入花名册…"), self.import_roster)
        self.export_button = button(self.tr("导出当前列表…"), lambda: self.export_list(),
                                    self.tr("导出为 Excel 表格（.xlsx）；证件号、电话按当前显示方式"))
        return row

    def _detail_pane(self) -> QWidget:
        pane = QWidget()
        layout = QHBoxLayout(pane)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(12)
        self.detail_label = QLabel(self.tr("选择一户查看详情"))
        self.detail_label.setObjectName("householdDetail")
        self.detail_label.setTextFormat(Qt.TextFormat.RichText)
        self.detail_label.setWordWrap(True)
        self.detail_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setMinimumWidth(300)
        self.detail_label.setMaximumWidth(380)
        layout.addWidget(self.detail_label)
        members = QVBoxLayout()
        members.setContentsMargins(0, 0, 0, 0)
        self.members_caption = QLabel(self.tr("家庭成员"))
        members.addWidget(self.members_caption)
        self.person_model = RowsModel(person_columns())
        self.person_table = RecordTable(self.person_model, "registry/persons")
        self.person_table.opened.connect(lambda _id: self.edit_person())
        self.person_table.selection_changed.connect(self._update_buttons)
        members.addWidget(self.person_table, 1)
        layout.addLayout(members, 1)
        return pane

    # -- filters --------------------------------------------------------------------

    def query(self) -> "registry_queries.HouseholdQuery":
        """The HouseholdQuery of the current filters and sort."""
        key, descending = self.sort
        return registry_queries.HouseholdQuery(
            village_id=self.village.currentData(), group_id=self.group.currentData(),
            grid_id=self.grid.currentData(), tag_id=self.tag.currentData(), level=self.level.currentData(),
            status=self.status.currentData(), center=self.center.currentData(), head=self.head.currentData(),
            sort=key, descending=descending)

    def _filter_state(self) -> dict[str, Any]:
        return {"village": self.village.currentData(), "group": self.group.currentData(),
                "grid": self.grid.currentData(), "tag": self.tag.currentData(), "level": self.level.currentData(),
                "center": self.center.currentData(), "head": self.head.currentData(),
                "status": self.status.currentData(), "sort": list(self.sort)}

    def _restore_filters(self) -> None:
        state = load_state(FILTERS_KEY)
        combos = {"village": self.village, "tag": self.tag, "level": self.level, "center": self.center,
                  "head": self.head, "status": self.status}
        for key, combo in combos.items():
            combo.blockSignals(True)
            if state.get(key) is not None:
                w.select_data(combo, state[key])
            combo.blockSignals(False)
        self._fill_units()
        for key, combo in (("group", self.group), ("grid", self.grid)):
            if state.get(key) is not None:
                combo.blockSignals(True)
                w.select_data(combo, state[key])
                combo.blockSignals(False)
        sort = state.get("sort")
        if isinstance(sort, list) and len(sort) == 2 and self.model.column_number(str(sort[0])) >= 0:
            self.sort = (str(sort[0]), bool(sort[1]))
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(self.model.column_number(self.sort[0]),
                                    Qt.SortOrder.DescendingOrder if self.sort[1] else Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)

    def _fill_units(self) -> None:
        info = next((v for v in self.villages if v.id == self.village.currentData()), None)
        w.fill_combo(self.group, self.tr("全部小组"), info.groups if info else (), keep=self.group.currentData())
        w.fill_combo(self.grid, self.tr("全部网格"), info.grids if info else (), keep=self.grid.currentData())
        self.group.setEnabled(info is not None)
        self.grid.setEnabled(info is not None)

    def _village_changed(self) -> None:
        self._fill_units()
        self._filters_changed()

    def _filters_changed(self) -> None:
        save_state(FILTERS_KEY, self._filter_state())
        if self.search.text().strip():
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
        self.reload()

    def clear_filters(self) -> None:
        for combo in (self.village, self.tag, self.level, self.center, self.head, self.status):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self._fill_units()
        self._filters_changed()

    def set_filters(self, **values: Any) -> None:
        """Set filters by name (village, group, grid, tag, level, center, head, status) and reload."""
        combos = {"village": self.village, "tag": self.tag, "level": self.level, "center": self.center,
                  "head": self.head, "status": self.status}
        for key in ("village", "tag", "level", "center", "head", "status"):
            if key in values:
                combos[key].blockSignals(True)
                w.select_data(combos[key], values[key])
                combos[key].blockSignals(False)
        self._fill_units()
        for key, combo in (("group", self.group), ("grid", self.grid)):
            if key in values:
                combo.blockSignals(True)
                w.select_data(combo, values[key])
                combo.blockSignals(False)
        self._filters_changed()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _sort_by(self, key: str, descending: bool) -> None:
        self.sort = (key, descending)
        save_state(FILTERS_KEY, self._filter_state())
        self.reload()

    def _reveal_changed(self) -> None:
        self.model.invalidate_all()
        self._show_current()

    @property
    def revealing(self) -> bool:
        return self.can_reveal and self.reveal.isChecked()

    # -- loading --------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether the household list is on its way from the worker."""
        return self.loader.busy

    def _ids_query(self, limit: int | None = None):
        """The id query of the current search text or filters, as a closure safe to run off the GUI thread.

        ``limit``: only the first ids of the filters; None while searching (a search is short anyway).
        """
        session, text, query = self.session, self.search.text().strip(), self.query()
        if text:
            if limit is not None:
                return None

            def run() -> list[str]:
                hits = search_service.search(session, text, limit=SEARCH_LIMIT)
                return list(dict.fromkeys(hit.household_id for hit in hits if hit.household_id))
            return run
        return lambda: registry_queries.household_ids(session, query, limit=limit)

    def _household_ids(self) -> list[str]:
        return self._ids_query()()

    def _household_rows(self, ids: list[str]) -> list:
        return registry_queries.household_rows(self.session, ids, reveal=self.revealing)

    def reload(self, select: str | None = None) -> None:
        """Re-run the id query on the worker thread (keeps the current household selected when still listed)."""
        self._search_timer.stop()
        keep = select or self.table.current_id()
        self.searching = self.search.text().strip()
        self.count_label.setText(self.tr("正在读取…"))
        self.loader.load(self._ids_query(), then=lambda: self._after_load(keep), first=self._ids_query(limit=FIRST_IDS))

    def _after_load(self, keep: str | None) -> None:
        if keep and self.table.select_ids([keep]):
            return
        self._show_current()

    def _loaded(self, count: int) -> None:
        number = QLocale().toString(count)
        if self.searching:
            more = self.tr("（只列出前 {n} 条）").format(n=SEARCH_LIMIT) if count >= SEARCH_LIMIT else ""
            self.count_label.setText(self.tr("查找“{text}”：{n} 户{more}").format(
                text=self.searching, n=number, more=more))
        else:
            self.count_label.setText(self.tr("共 {n} 户").format(n=number))
        self.households_loaded.emit(count)

    # -- detail -----------------------------------------------------------------------

    def _show_current(self) -> None:
        household_id = self.table.current_id()
        if household_id is None:
            self.current_detail = None
            self.detail_label.setText(self.tr("选择一户查看详情"))
            self._set_persons(())
        else:
            try:
                detail = registry_queries.household_detail(self.session, household_id, reveal=self.revealing)
            except LedgerDeskError as exc:
                self.current_detail = None
                self.detail_label.setText(exc.message)
                self._set_persons(())
            else:
                self.current_detail = detail
                self.detail_label.setText(self._detail_html(detail))
                self._set_persons(detail.persons)
        self._update_buttons()

    def _set_persons(self, persons) -> None:
        keep = self.person_table.current_id()
        self.person_model.set_rows(persons)
        self.members_caption.setText(self.tr("家庭成员（{n} 人）").format(n=self.person_model.rowCount()))
        if keep:
            self.person_table.select_ids([keep])

    def _detail_html(self, detail) -> str:
        import html
        row = detail.row
        place = " / ".join(x for x in (row.village, row.group, row.grid) if x)
        facts = [
            (self.tr("户号"), row.hh_no or self.tr("（未编号）")),
            (self.tr("户主"), row.head_name or self.tr("（未设户主）")),
            (self.tr("所属"), place),
            (self.tr("住址"), row.address),
            (self.tr("电话"), row.phone),
            (self.tr("三色"), LEVEL_LABELS.get(row.level, row.level)),
            (self.tr("标签"), "、".join(row.tags) if row.tags else self.tr("无")),
            (self.tr("中心户"), row.center_name or self.tr("未覆盖")),
            (self.tr("联户长"), row.link_head_name or self.tr("未联系")),
        ]
        status = getattr(row, "status", None) or getattr(detail, "status", None)
        if status and status != "在册":
            facts.append((self.tr("状态"), status))
        cells = "".join(f"<tr><td style='color:#52606d;padding-right:8px'>{html.escape(k)}</td>"
                        f"<td>{html.escape(str(v or ''))}</td></tr>" for k, v in facts)
        return f"<table cellspacing='2'>{cells}</table>"

    def open_detail(self, household_id: str) -> None:
        """Enter / double-click: the detail pane shows this household; focus goes to its members."""
        if self.table.current_id() != household_id:
            self.table.select_ids([household_id])
        sizes = self.splitter.sizes()
        if len(sizes) == 2 and sizes[1] < 120:
            self.splitter.setSizes([sizes[0] - 200, sizes[1] + 200])
        self.person_table.setFocus()
        if self.person_model.rowCount() and not self.person_table.selected_ids():
            self.person_table.selectRow(0)

    def _update_buttons(self) -> None:
        has_household = self.current_detail is not None
        active = has_household and (getattr(self.current_detail.row, "status", "在册") or "在册") == "在册"
        has_person = bool(self.person_table.selected_ids())
        self.new_household_button.setEnabled(self.can_edit)
        self.edit_household_button.setEnabled(self.can_edit and has_household)
        self.new_person_button.setEnabled(self.can_edit and active)
        self.edit_person_button.setEnabled(self.can_edit and has_person)
        self.move_out_button.setEnabled(self.can_edit and active)

    # -- actions ------------------------------------------------------------------------

    def _open_dialog(self, dialog) -> bool:
        """Run a form modally; True when it was saved (tests replace this to fill the form in)."""
        return bool(dialog.exec())

    def _today(self):
        return self.session.ledger.clock.today()

    def new_household(self) -> HouseholdDialog | None:
        if not self.can_edit:
            return None
        dialog = HouseholdDialog(self.session, self.villages, self.tags, village_id=self.village.currentData(),
                                 parent=self)
        if self._open_dialog(dialog):
            self._after_household_saved(dialog.saved_id, new=True)
            self.notice.show_message(self.tr("已新增一户。请接着录入户主（新增成员）。"))
        return dialog

    def edit_household(self) -> HouseholdDialog | None:
        if self.current_detail is None:
            return None
        dialog = HouseholdDialog(self.session, self.villages, self.tags, detail=self.current_detail, parent=self)
        if self._open_dialog(dialog):
            self._after_household_saved(dialog.saved_id, new=False)
        return dialog

    def _after_household_saved(self, household_id: str | None, *, new: bool) -> None:
        self.tags = registry_queries.tags(self.session, counts=False)
        w.fill_combo(self.tag, self.tr("全部标签"), [(t.id, t.name) for t in self.tags], keep=self.tag.currentData())
        if household_id is None:
            return
        if new or self.model.row_of(household_id) < 0:
            self.reload(select=household_id)
        else:
            self.refresh_households([household_id])

    def refresh_households(self, ids) -> None:
        """After an edit: re-fetch these rows and the detail pane (the id list stays)."""
        self.model.invalidate(ids)
        self._show_current()

    def new_person(self) -> PersonDialog | None:
        if self.current_detail is None:
            return None
        household_id = self.current_detail.row.id
        first = not self.current_detail.persons
        dialog = PersonDialog(self.session, household_id, make_head=first, today=self._today(), parent=self)
        if self._open_dialog(dialog):
            self._person_saved(dialog)
        return dialog

    def edit_person(self) -> PersonDialog | None:
        person_id = self.person_table.current_id()
        if self.current_detail is None or person_id is None:
            return None
        dialog = PersonDialog(self.session, self.current_detail.row.id, person=self.person_model.held_row(person_id),
                              today=self._today(), parent=self)
        if self._open_dialog(dialog):
            self._person_saved(dialog)
        return dialog

    def _person_saved(self, dialog: PersonDialog) -> None:
        saved = dialog.saved
        warnings = getattr(saved, "warnings", ()) or ()
        if warnings:
            self.notice.show_message(self.tr("已保存，但请注意：") + "；".join(w.message for w in warnings))
        else:
            self.notice.hide()
        self.refresh_households([dialog.household_id])
        if saved is not None:
            self.person_table.select_ids([saved.id])

    def move_out(self) -> None:
        if self.current_detail is None:
            return
        row = self.current_detail.row
        name = row.head_name or row.hh_no or self.tr("该户")
        if not w.confirm(self, self.tr("整户迁出"), self.tr("确定将“{name}”整户迁出吗？该户的在册成员将一并改为“迁出”，"
                                                       "并退出所属中心户和联户长的联系。").format(name=name),
                         self.tr("迁出")):
            return
        try:
            result = registry.deactivate_household(self.session, row.id, "迁出")
        except Exception as exc:  # noqa: BLE001 — LedgerDeskError: its message; anything else: logged, generic
            show_error(self, exc)
            return
        roles = len(getattr(result, "center_ids", ()) or ()) + len(getattr(result, "link_head_ids", ()) or ())
        message = self.tr("已将“{name}”整户迁出。").format(name=name)
        if roles:
            message += self.tr("该户是党员中心户或联户长所在户，请到“党员中心户”“联户长”页面撤销或更换。")
        self.notice.show_message(message)
        self.reload()

    def import_roster(self) -> None:
        w.run_modal(ImportDialog.for_roster(self.context, self))
        self.villages = registry_queries.villages(self.session)
        self.reload()

    def export_list(self, path: str | None = None) -> str | None:
        """Write the listed households (as shown, masked unless revealed) to an .xlsx on the worker thread."""
        ids = self.model.ids()
        columns = household_columns()
        reveal = self.revealing

        def write(session, target, progress, cancel):
            def rows():
                for start in range(0, len(ids), EXPORT_CHUNK):
                    if cancel():
                        raise Cancelled("已取消导出")
                    chunk = ids[start:start + EXPORT_CHUNK]
                    by_id = {r.id: r for r in registry_queries.household_rows(session, chunk, reveal=reveal)}
                    yield from ([c.text(by_id[i]) for c in columns] for i in chunk if i in by_id)
                    done = min(start + EXPORT_CHUNK, len(ids))
                    progress(f"已导出 {done} / {len(ids)} 户", done / max(1, len(ids)))

            return export_list(target, "户籍名单", [c.title for c in columns], rows(),
                               numeric=[columns.index(c) for c in columns if c.key == "members"],
                               widths=[max(6, (c.width or 70) // 7) for c in columns])

        done = export_file(self, self.context, title=self.tr("导出户籍名单"), default_name="户籍名单.xlsx",
                           write=write, path=path)
        if done is None:
            return None
        target, result = done
        self.notice.show_message(self.tr("已导出 {n} 户到 {path}").format(n=result.rows, path=target))
        return target
