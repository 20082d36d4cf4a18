"""户籍 page: filters and search give the service's lists, detail pane, forms, masking, 迁出, export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ledgerdesk.core.idcard import make_id_number
from ledgerdesk.services import registry_queries as rq

SHOTS = Path("/tmp/ui-shots")
PAGE_KEY = "registry"  # make_page (conftest) builds this page


def filled(page, fill):
    """Replace the page's modal dialog runner: ``fill(dialog)`` then 保存; returns the dialogs seen."""
    seen = []

    def run(dialog):
        seen.append(dialog)
        fill(dialog)
        dialog.accept()
        return dialog.result()

    page._open_dialog = run
    return seen


def test_list_is_the_service_list_and_filters_change_it(make_page, demo_session, qtmodeltester, qtbot, wait_idle):
    page = make_page(demo_session)
    everything = rq.household_ids(demo_session, rq.HouseholdQuery())
    assert page.model.ids() == everything
    assert page.count_label.text() == f"共 {len(everything):,} 户"
    village = rq.villages(demo_session)[2]
    tag = next(t for t in rq.tags(demo_session) if t.households > 0)
    cases = [
        ({"village": village.id}, rq.HouseholdQuery(village_id=village.id)),
        ({"village": village.id, "center": "uncovered"}, rq.HouseholdQuery(village_id=village.id, center="uncovered")),
        ({"village": None, "center": None, "head": "unlinked"}, rq.HouseholdQuery(head="unlinked")),
        ({"head": None, "tag": tag.id}, rq.HouseholdQuery(tag_id=tag.id)),
        ({"tag": None, "level": "红"}, rq.HouseholdQuery(level="红")),
        ({"level": None, "village": village.id, "group": village.groups[0][0]},
         rq.HouseholdQuery(village_id=village.id, group_id=village.groups[0][0])),
    ]
    for filters, query in cases:
        page.set_filters(**filters)
        wait_idle(page)
        expected = rq.household_ids(demo_session, query)
        assert page.model.ids() == expected, filters
        assert 0 < len(expected) < len(everything)
    qtmodeltester.check(page.model, force_py=True)


def test_sorting_asks_the_service(make_page, demo_session, qtbot, wait_idle):
    page = make_page(demo_session)
    page.set_filters(village=rq.villages(demo_session)[0].id)
    wait_idle(page)
    column = page.model.column_number("members")
    page.table.horizontalHeader().setSortIndicator(column, Qt.SortOrder.DescendingOrder)
    wait_idle(page)
    assert page.sort == ("members", True)
    query = rq.HouseholdQuery(village_id=rq.villages(demo_session)[0].id, sort="members", descending=True)
    assert page.model.ids() == rq.household_ids(demo_session, query)


def test_filters_and_columns_are_remembered(make_page, demo_session, qtbot, wait_idle):
    page = make_page(demo_session)
    village = rq.villages(demo_session)[1]
    page.set_filters(village=village.id, level="黄")
    wait_idle(page)
    page.table.setColumnWidth(1, 150)
    page.hide()  # leaving the page keeps the widths (they are saved once a resize settles)
    again = make_page(demo_session)
    assert again.village.currentData() == village.id and again.level.currentData() == "黄"
    assert again.model.ids() == rq.household_ids(demo_session, rq.HouseholdQuery(village_id=village.id, level="黄"))
    assert again.table.columnWidth(1) == 150


def test_column_widths_are_saved_once_the_header_settles(make_page, demo_session, qtbot):
    from ledgerdesk.ui.widgets.record_table import HEADER_SAVE_DELAY_MS

    page = make_page(demo_session)
    for width in (120, 140, 170):  # a drag: many resizes, one save after the last
        page.table.setColumnWidth(1, width)
    qtbot.wait(HEADER_SAVE_DELAY_MS + 300)
    assert make_page(demo_session).table.columnWidth(1) == 170


def test_search_lists_the_households_of_the_hits(make_page, demo_session, qtbot, wait_idle):
    from ledgerdesk.services import search

    page = make_page(demo_session)
    name = page.model.row_at(5).head_name
    page.search.setText(name)
    page.reload()
    wait_idle(page)
    hits = search.search(demo_session, name, limit=500)
    assert page.model.ids() == list(dict.fromkeys(h.household_id for h in hits))
    assert name in page.count_label.text()
    assert any(page.model.row_at(r).head_name == name for r in range(page.model.rowCount()))


def test_detail_shows_members_masked_by_default_and_reveal_toggle(make_page, demo_session, qtbot, qtmodeltester):
    page = make_page(demo_session)
    page.table.selectRow(0)
    detail = page.current_detail
    assert detail is not None and detail.row.id == page.model.row_id(0)
    assert detail.row.hh_no in page.detail_label.text()
    assert page.person_model.rowCount() == len(detail.persons) > 0
    qtmodeltester.check(page.person_model, force_py=True)
    shown = page.person_model.index(0, page.person_model.column_number("id_number")).data()
    assert "*" in shown
    assert page.reveal.isVisibleTo(page) and not page.reveal.isChecked()
    page.reveal.setChecked(True)
    full = page.person_model.index(0, page.person_model.column_number("id_number")).data()
    assert "*" not in full and full[:4] == shown[:4] and len(full) == 18
    assert "*" not in page.model.index(0, page.model.column_number("phone")).data()
    SHOTS.mkdir(exist_ok=True)
    page.reveal.setChecked(False)
    assert page.grab().save(str(SHOTS / "registry-page.png"))


def test_clerk_sees_no_reveal_toggle(make_page, demo_session):
    demo_session.role = "录入员"
    page = make_page(demo_session)
    assert not page.reveal.isVisibleTo(page)
    page.table.selectRow(0)
    assert "*" in page.person_model.index(0, page.person_model.column_number("id_number")).data()


def test_wrong_gender_for_the_id_number_is_shown_at_the_field(make_page, demo_session, qtbot):
    page = make_page(demo_session)
    page.table.selectRow(0)
    before = len(page.current_detail.persons)
    male = make_id_number("152501", dt.date(1990, 3, 4), 12, True)

    def fill(dialog):
        dialog.name.setText("测试人")
        dialog.id_number.setText(male)
        dialog.gender.setCurrentText("女")

    seen = filled(page, fill)
    page.new_person()
    dialog = seen[0]
    assert "不一致" in dialog.field_error("gender")
    assert dialog.field_error("name") == "" and dialog.field_error("id_number") == ""
    assert not dialog.result()
    assert len(rq.household_detail(demo_session, page.current_detail.row.id).persons) == before
    SHOTS.mkdir(exist_ok=True)
    dialog.adjustSize()
    assert dialog.grab().save(str(SHOTS / "registry-person-form.png"))


def test_service_error_lands_at_its_field_and_nothing_is_saved(make_page, demo_session, qtbot):
    page = make_page(demo_session)
    page.table.selectRow(0)
    taken = page.model.row_at(1)

    def fill(dialog):
        dialog.hh_no.setText(taken.hh_no)
        dialog.address.setText("新地址")

    seen = filled(page, fill)
    page.edit_household()
    assert seen[0].field_error("hh_no")
    assert not seen[0].result()
    SHOTS.mkdir(exist_ok=True)
    seen[0].adjustSize()
    assert seen[0].grab().save(str(SHOTS / "registry-household-form.png"))
    assert rq.household_rows(demo_session, [page.model.row_id(0)])[0].address != "新地址"


def test_invalid_id_is_saved_with_a_non_blocking_notice(make_page, demo_session, qtbot):
    page = make_page(demo_session)
    page.table.selectRow(0)
    household_id = page.current_detail.row.id
    good = make_id_number("152501", dt.date(1990, 3, 4), 12, True)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    def fill(dialog):
        dialog.name.setText("校验人")
        dialog.id_number.setText(bad)

    seen = filled(page, fill)
    page.new_person()
    assert seen[0].result()
    assert "校验位" in page.notice.text()
    names = [p.name for p in rq.household_detail(demo_session, household_id).persons]
    assert "校验人" in names
    assert page.person_model.rowCount() == len(names)


def test_new_household_then_edit(make_page, demo_session, qtbot, wait_idle):
    page = make_page(demo_session)
    village = rq.villages(demo_session)[0]
    page.set_filters(village=village.id)
    wait_idle(page)
    count = page.model.rowCount()

    def fill(dialog):
        dialog.village.setCurrentIndex(dialog.village.findData(village.id))
        dialog.hh_no.setText("9999000001")
        dialog.address.setText("测试路1号")
        dialog.tags.item(0).setCheckState(Qt.CheckState.Checked)

    filled(page, fill)
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    wait_idle(page)
    assert page.model.rowCount() == count + 1
    new_id = page.table.current_id()
    row = rq.household_rows(demo_session, [new_id])[0]
    assert row.hh_no == "9999000001" and row.address == "测试路1号" and len(row.tags) == 1

    filled(page, lambda d: d.address.setText("测试路2号"))
    page.edit_household()
    assert page.model.row_at(page.model.row_of(new_id)).address == "测试路2号"


def test_move_out_takes_the_household_off_the_list(make_page, demo_session, qtbot, message_boxes, wait_idle):
    page = make_page(demo_session)
    count = page.model.rowCount()
    page.table.selectRow(3)
    household_id = page.table.current_id()
    page.move_out()
    wait_idle(page)
    assert message_boxes and "迁出" in message_boxes[0][1]
    assert page.model.rowCount() == count - 1 and page.model.row_of(household_id) == -1
    assert rq.household_rows(demo_session, [household_id])[0].status == "迁出"


def test_keyboard_ctrl_f_and_enter(make_page, demo_session, qtbot):
    page = make_page(demo_session)
    page.activateWindow()
    page.table.setFocus()
    page.table.selectRow(0)
    qtbot.keyClick(page.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is page.search or not page.isActiveWindow()
    page.table.setFocus()
    with qtbot.waitSignal(page.table.opened) as opened:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args == [page.model.row_id(0)]


def test_export_writes_the_listed_households_masked(make_page, demo_session, qtbot, tmp_path, wait_idle):
    page = make_page(demo_session)
    page.set_filters(village=rq.villages(demo_session)[0].id)
    wait_idle(page)
    target = tmp_path / "list.xlsx"
    assert page.export_list(str(target)) == str(target)
    workbook = openpyxl.load_workbook(target, read_only=True)
    lines = [["" if v is None else v for v in row] for row in workbook.active.iter_rows(values_only=True)]
    workbook.close()
    assert len(lines) == page.model.rowCount() + 1
    assert lines[0][0] == "户号"
    first = page.model.row_at(0)
    assert lines[1][0] == first.hh_no and lines[1][6] == first.members  # 户号 as text, 人数 as a number
    phones = [line[7] for line in lines[1:] if line[7]]
    assert phones and all("*" in phone for phone in phones)
