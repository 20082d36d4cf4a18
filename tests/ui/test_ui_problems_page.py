"""问题台账 page: filters as the service says, coloured rows, quick entry by keyboard, only legal steps, dialogs."""

import html
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from ledgerdesk.services import ledger, registry
from ledgerdesk.ui.pages import PAGES
from ledgerdesk.ui.pages.problems import (
    FINISHED_FOREGROUND,
    OVERDUE_BACKGROUND,
    YELLOW_BACKGROUND,
    ProblemsPage,
)

SHOTS = Path("/tmp/ui-shots")
PAGE_KEY = "problems"  # make_page (conftest) builds this page
PAGE_SIZE = (1366 - 200, 740)
SPEC = next(spec for spec in PAGES if spec.key == "problems")


@pytest.fixture
def villages(file_session):
    return {name: registry.create_village(file_session, name=name) for name in ("青山村", "白云嘎查")}


def register(session, title="三组路灯不亮", **kwargs):
    kwargs.setdefault("source", "群众反映")
    return ledger.register_problem(session, title=title, **kwargs)



def settle(qtbot, page):
    """Wait until the detail pane's wrapped labels have their final height (before a screenshot)."""
    labels = [page.detail.timeline, page.detail.description, *page.detail.field_labels.values()]
    qtbot.waitUntil(lambda: all(label.height() >= label.heightForWidth(label.width()) for label in labels
                                if label.isVisible()), timeout=5000)
    qtbot.wait(50)


def visible_actions(page) -> set[str]:
    return {kind for kind, button in page.detail.buttons.items() if button.isVisible()}


def run_modal(trigger, fill):
    """Click ``trigger`` (which opens a modal dialog) and let ``fill(dialog)`` complete it."""
    seen = []

    def handle():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(10, handle)
            return
        seen.append(dialog)
        try:
            fill(dialog)
        finally:
            if dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, handle)
    trigger()
    assert seen, "no dialog was shown"
    return seen[0]


# -- the list ----------------------------------------------------------------------------------------


def test_filters_show_what_the_service_finds(qtbot, make_page, demo_session, wait_idle):
    page = make_page(demo_session)
    assert page.model.ids() == ledger.problem_ids(demo_session, ledger.ProblemQuery())
    assert page.model.rowCount() == 3000
    village_id = page.village_box.itemData(2)

    def check(set_filter, query):
        set_filter()
        page.reload()  # text filters are debounced; reload at once
        wait_idle(page)
        expected = ledger.problem_ids(demo_session, query)
        assert page.model.ids() == expected
        assert page.count_label.text() == f"共 {len(expected):,} 件"
        return len(expected)

    done = check(lambda: page.state_box.setCurrentIndex(page.state_box.findData("办结")), ledger.ProblemQuery(status="办结"))
    assert 0 < done < 3000
    overdue = check(lambda: (page.state_box.setCurrentIndex(0), page.overdue_check.setChecked(True)),
                    ledger.ProblemQuery(overdue=True))
    assert 0 < overdue < done
    check(lambda: (page.overdue_check.setChecked(False), page.yellow_check.setChecked(True)),
          ledger.ProblemQuery(yellow=True))
    check(lambda: (page.yellow_check.setChecked(False), page.source_box.setCurrentText("信访")),
          ledger.ProblemQuery(source="信访"))
    check(lambda: (page.source_box.setCurrentIndex(0), page.village_box.setCurrentIndex(2)),
          ledger.ProblemQuery(village_id=village_id))
    check(lambda: page.month_box.setCurrentText("2026-10"), ledger.ProblemQuery(village_id=village_id, month="2026-10"))
    check(lambda: (page.village_box.setCurrentIndex(0), page.month_box.setCurrentIndex(0),
                   page.text_edit.setText("路灯")), ledger.ProblemQuery(text="路灯"))
    row = ledger.problem_rows(demo_session, ledger.problem_ids(demo_session, ledger.ProblemQuery(status="已交办"))[:1])[0]
    check(lambda: (page.text_edit.clear(), page.responsible_edit.setText(row.responsible_person)),
          ledger.ProblemQuery(responsible=row.responsible_person))
    page.clear_filters()
    wait_idle(page)
    assert page.model.rowCount() == 3000


def test_models_pass_the_model_tester(qtbot, make_page, demo_session, qtmodeltester, wait_idle):
    page = make_page(demo_session)
    qtmodeltester.check(page.model)
    page.table.selectRow(0)
    assert page.current_id == page.model.row_id(0)
    page.state_box.setCurrentIndex(page.state_box.findData("已销号"))
    wait_idle(page)
    qtmodeltester.check(page.model)
    page.table.selectRow(0)
    detail = ledger.problem_detail(demo_session, page.current_id)
    assert [row[1] for row in page.detail.event_rows] == [event.kind for event in detail.events]
    assert all(html.escape(event.summary) in page.detail.timeline.text() for event in detail.events)


def test_rows_are_coloured_by_overdue_yellow_and_finished(qtbot, make_page, demo_session):
    page = make_page(demo_session)
    rows = {row.id: row for row in ledger.problem_rows(demo_session, page.model.ids())}

    def paint(row_id, role):
        return page.model.data(page.model.index(page.model.row_of(row_id), 1), role)

    overdue = next(r for r in rows.values() if r.overdue)
    assert paint(overdue.id, Qt.ItemDataRole.BackgroundRole) == OVERDUE_BACKGROUND
    stale = next((r for r in rows.values() if r.yellow and not r.overdue), None)
    if stale is not None:
        assert paint(stale.id, Qt.ItemDataRole.BackgroundRole) == YELLOW_BACKGROUND
    closed = next(r for r in rows.values() if r.state == "已销号")
    assert paint(closed.id, Qt.ItemDataRole.ForegroundRole) == FINISHED_FOREGROUND
    assert paint(closed.id, Qt.ItemDataRole.BackgroundRole) is None
    fresh = next(r for r in rows.values() if r.state == "登记" and not r.yellow)
    assert paint(fresh.id, Qt.ItemDataRole.ForegroundRole) is None


def test_yellow_card_row_is_amber(qtbot, make_page, file_session, clock):
    ref = register(file_session)
    ledger.dispatch(file_session, ref.id, responsible_person="王建国", responsible_unit="青山村党支部", days=3,
                    deadline_kind="自然日")
    clock.advance(days=5)
    page = make_page(file_session)
    row = ledger.problem_rows(file_session, [ref.id])[0]
    assert row.overdue and row.yellow
    index = page.model.index(0, 0)
    assert page.model.data(index, Qt.ItemDataRole.BackgroundRole) == OVERDUE_BACKGROUND
    page.table.selectRow(0)
    assert "黄牌预警" in page.detail.flags_label.text() and page.detail.flags_label.isVisible()


def test_screenshot_at_1366x768(qtbot, make_page, demo_session, wait_idle):
    page = make_page(demo_session)
    page.resize(1366 - 168, 768 - 60)
    page.overdue_check.setChecked(False)
    page.table.selectRow(3)
    settle(qtbot, page)
    SHOTS.mkdir(exist_ok=True)
    assert page.grab().save(str(SHOTS / "problems-page.png"))
    page.state_box.setCurrentIndex(page.state_box.findData("已销号"))
    wait_idle(page)
    page.table.selectRow(0)
    assert len(page.detail.problem.events) >= 5
    settle(qtbot, page)
    assert page.grab().save(str(SHOTS / "problems-page-closed.png"))


# -- quick entry -----------------------------------------------------------------------------------------


def test_quick_entry_by_keyboard_registers_and_selects_the_problem(qtbot, make_page, file_session, villages,
                                                                    type_text, wait_idle, show_active):
    page = make_page(file_session)
    dialog = page.entry_dialog()
    show_active(dialog)
    assert not dialog.hotline_edit.isVisible()

    def focused():
        return QApplication.focusWidget()

    def key(k, widget=None):
        qtbot.keyClick(widget or focused(), k)

    def type_then_tab(text):
        type_text(focused(), text)
        key(Qt.Key.Key_Tab)

    assert focused() is dialog.title_edit
    type_then_tab("三组路灯不亮")
    assert focused() is dialog.source_box
    key(Qt.Key.Key_Down)
    key(Qt.Key.Key_Down)  # 群众反映 → 走访发现 → 12345热线
    assert dialog.source_box.currentText() == "12345热线"
    assert dialog.hotline_edit.isVisible()
    key(Qt.Key.Key_Tab)
    assert focused() is dialog.hotline_edit
    type_then_tab("GD20261120001")
    assert focused() is dialog.category_box
    key(Qt.Key.Key_Down)  # the first category
    key(Qt.Key.Key_Return)  # Enter moves on, it does not save
    assert focused() is dialog.urgency_box
    key(Qt.Key.Key_Down)  # 紧急
    key(Qt.Key.Key_Tab)
    assert focused() is dialog.village_box.lineEdit() or focused() is dialog.village_box
    type_then_tab("白云")
    assert focused() is dialog.household_picker
    key(Qt.Key.Key_Tab)  # no household
    assert focused() is dialog.reporter_edit
    type_then_tab("王大妈")
    assert focused() is dialog.phone_edit
    type_then_tab("13800138000")
    assert focused() is dialog.description_edit
    type_text(focused(), "三组路口两盏路灯一周不亮，夜里出行不便")
    assert not ledger.problem_ids(file_session, ledger.ProblemQuery())
    key(Qt.Key.Key_Return)

    assert not dialog.isVisible(), dialog.error_text()
    (problem_id,) = ledger.problem_ids(file_session, ledger.ProblemQuery())
    detail = ledger.problem_detail(file_session, problem_id, reveal=True)
    category = ledger.categories(file_session)[0]
    assert (detail.title, detail.source, detail.hotline_no, detail.category_id, detail.urgency, detail.village_id,
            detail.reporter, detail.reporter_phone, detail.description) == (
        "三组路灯不亮", "12345热线", "GD20261120001", category.id, "紧急", villages["白云嘎查"], "王大妈",
        "13800138000", "三组路口两盏路灯一周不亮，夜里出行不便")
    wait_idle(page)
    assert page.table.current_id() == problem_id == page.current_id
    assert page.detail.header.text().endswith("三组路灯不亮")


def test_quick_entry_refuses_bad_input_at_the_field_and_saves_nothing(qtbot, make_page, file_session, villages,
                                                                      message_boxes):
    page = make_page(file_session)
    dialog = page.entry_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.accept()  # no title
    assert dialog.isVisible()
    assert dialog.field_error("title") == "请填写问题标题"
    dialog.title_edit.setText("路灯不亮")
    dialog.source_box.setCurrentText("12345热线")
    dialog.accept()  # no ticket number
    assert "工单编号" in dialog.field_error("hotline_no")
    dialog.source_box.setCurrentText("群众反映")
    dialog.village_box.setEditText("不存在的村")
    dialog.accept()
    assert "找不到" in dialog.field_error("village_id")
    dialog.village_box.setEditText("青山")
    dialog.phone_edit.setText("12345")
    dialog.accept()
    assert dialog.field_error("reporter_phone")
    assert ledger.problem_ids(file_session, ledger.ProblemQuery()) == []
    dialog.phone_edit.clear()
    dialog.accept()
    assert not dialog.isVisible()
    (problem_id,) = ledger.problem_ids(file_session, ledger.ProblemQuery())
    assert ledger.problem_detail(file_session, problem_id).village_id == villages["青山村"]
    assert message_boxes == []


def test_quick_entry_links_a_household_found_by_search(qtbot, make_page, file_session, villages):
    household = registry.create_household(file_session, village_id=villages["青山村"], hh_no="1001")
    registry.add_person(file_session, household, name="赵铁柱", make_head=True)
    page = make_page(file_session)
    dialog = page.entry_dialog()
    qtbot.addWidget(dialog)
    dialog.title_edit.setText("院墙倒塌")
    dialog.household_picker.setText("赵铁")
    labels = dialog.household_picker.run_search()
    assert labels and "赵铁柱" in labels[0]
    dialog.household_picker.choose(labels[0])
    dialog.accept()
    (problem_id,) = ledger.problem_ids(file_session, ledger.ProblemQuery())
    detail = ledger.problem_detail(file_session, problem_id)
    assert detail.household_ids == (household,)
    assert detail.village_id == villages["青山村"]  # taken from the household


def test_ctrl_n_opens_the_quick_entry(qtbot, make_page, file_session, monkeypatch):
    page = make_page(file_session)
    opened = []
    monkeypatch.setattr("ledgerdesk.ui.dialogs.problem_actions.ProblemEntryDialog.exec",
                        lambda self: opened.append(self) or 0)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.text_edit.setFocus()
    qtbot.keyClick(page.text_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert len(opened) == 1


# -- steps -----------------------------------------------------------------------------------------------


def test_only_legal_actions_have_buttons(qtbot, make_page, file_session, wait_idle):
    ref = register(file_session)
    file_session.role = "录入员"
    page = make_page(file_session)
    page.table.selectRow(0)
    assert page.current_id == ref.id
    assert visible_actions(page) == set(ledger.legal_actions(file_session, ref.id)) == set()
    assert "交办" not in visible_actions(page)
    assert page.detail.no_actions.isVisible()

    file_session.role = "书记"
    page.reload()
    wait_idle(page)
    assert visible_actions(page) == set(ledger.legal_actions(file_session, ref.id)) == {"交办", "合并", "撤销"}
    ledger.dispatch(file_session, ref.id, responsible_person="王建国", responsible_unit="青山村党支部")
    file_session.role = "录入员"
    page.reload()
    wait_idle(page)
    assert visible_actions(page) == {"办理", "办结"}
    file_session.role = "只读"
    page.reload()
    wait_idle(page)
    assert visible_actions(page) == set()


def test_dispatch_then_resolve_through_the_dialogs(qtbot, make_page, file_session, villages, wait_idle):
    ref = register(file_session, village_id=villages["青山村"])
    file_session.role = "书记"
    page = make_page(file_session)
    page.table.selectRow(0)

    def fill_dispatch(dialog):
        assert dialog.windowTitle() == "交办"
        dialog.fields["responsible_person"].setText("王建国")
        dialog.fields["responsible_unit"].setText("青山村党支部")
        deadline = dialog.fields["deadline"]
        deadline.kind.setCurrentText("自然日")
        deadline.days.setValue(7)
        assert "2026-11-27" in deadline.preview.text()
        dialog.save_button.click()

    run_modal(page.detail.buttons["交办"].click, fill_dispatch)
    wait_idle(page)
    detail = ledger.problem_detail(file_session, ref.id)
    assert (detail.state, detail.responsible_person, detail.responsible_unit, str(detail.deadline)) == (
        "已交办", "王建国", "青山村党支部", "2026-11-27")
    assert page.current_id == ref.id
    assert [row[1] for row in page.detail.event_rows] == ["登记", "交办"]
    assert "交办给青山村党支部、王建国" in page.detail.event_rows[1][3]
    assert "交办" not in visible_actions(page) and "办结" in visible_actions(page)

    def fill_resolve(dialog):
        dialog.fields["note"].setText("更换了两盏灯泡，已恢复照明")
        qtbot.keyClick(dialog.fields["note"], Qt.Key.Key_Return)  # Enter saves a one-field form

    run_modal(page.detail.buttons["办结"].click, fill_resolve)
    wait_idle(page)
    detail = ledger.problem_detail(file_session, ref.id)
    assert detail.state == "已办结"
    assert detail.events[-1].note == "更换了两盏灯泡，已恢复照明"
    assert page.model.data(page.model.index(0, 2)) == "已办结"
    assert page.model.data(page.model.index(0, 1), Qt.ItemDataRole.ForegroundRole) == FINISHED_FOREGROUND
    assert visible_actions(page) == set(ledger.legal_actions(file_session, ref.id))


def test_rate_close_and_merge_dialogs(qtbot, make_page, file_session, wait_idle):
    first = register(file_session, title="二组水管漏水")
    second = register(file_session, title="二组水管又漏水")
    ledger.dispatch(file_session, first.id, responsible_person="李四", responsible_unit="村委会")
    ledger.resolve(file_session, first.id, "已修复")
    page = make_page(file_session)

    page.select_problem(first.id)
    dialog = page.action_dialog("评价")
    dialog.rating_box.setCurrentText("基本满意")
    dialog.fields["rated_by"].setText("张大爷")
    dialog.fields["method"].setCurrentText("电话")
    dialog.accept()
    assert not dialog.isVisible() and dialog.result_value.state == "已评价"
    page.action_dialog("销号").accept()
    assert ledger.problem_detail(file_session, first.id).state == "已销号"

    page.select_problem(second.id)
    wait_idle(page)
    dialog = page.action_dialog("合并")
    dialog.fields["merge_search"].setText("二组水管漏")
    assert dialog.find_targets() == 1
    dialog.accept()
    detail = ledger.problem_detail(file_session, second.id)
    assert detail.state == "已合并" and detail.merged_into == first.number


def test_a_refused_step_shows_one_message_and_changes_nothing(qtbot, make_page, file_session, message_boxes):
    ref = register(file_session)
    page = make_page(file_session)
    page.table.selectRow(0)
    dialog = page.action_dialog("交办")
    dialog.fields["responsible_person"].setText("王建国")
    # Meanwhile the problem was dispatched elsewhere (another window, a sync): 交办 is no longer legal.
    ledger.dispatch(file_session, ref.id, responsible_person="李四", responsible_unit="综治办")
    before = ledger.problem_detail(file_session, ref.id)
    dialog.show()
    dialog.accept()
    assert dialog.isVisible()
    shown = [label.text() for label in dialog.findChildren(QLabel) if label.isVisible() and label.text()
             and label.styleSheet()]
    assert shown == ["当前状态为“已交办”，不能“交办”：只有退回后才能重新交办"]
    assert ledger.problem_detail(file_session, ref.id).events == before.events
    assert message_boxes == []

    # A role that may not: one message, nothing written.
    file_session.role = "录入员"
    void = page.action_dialog("撤销")
    void.fields["reason"].setText("重复登记")
    void.show()
    void.accept()
    assert void.error_text() == "“录入员”角色无权进行“撤销”操作"
    assert ledger.problem_detail(file_session, ref.id).events == before.events

    # A missing field: the message sits at the field.
    file_session.role = "书记"
    extend = page.action_dialog("延期")
    extend.fields["reason"].setText("等待材料")
    extend.show()
    extend.accept()
    assert extend.field_error("approved_by") and extend.error_text() == extend.field_error("approved_by")
    assert ledger.problem_detail(file_session, ref.id).events == before.events
    extend.fields["approved_by"].setText("张书记")
    extend.accept()
    assert not extend.isVisible()
    after = ledger.problem_detail(file_session, ref.id)
    assert after.events[-1].kind == "延期" and after.deadline > before.deadline


def test_page_is_registered_in_the_main_window(qtbot, app, runner, file_session):
    from ledgerdesk.ui.main_window import MainWindow

    window = MainWindow(file_session, runner)
    qtbot.addWidget(window)
    page = window.show_page([spec.key for spec in PAGES].index("problems"))
    assert isinstance(page, ProblemsPage) and page.title_label.text() == "问题台账"


# -- Excel: 导入台账… / 导出… --------------------------------------------------------------------------


@pytest.mark.parametrize("role, may_import", [("书记", True), ("管理员", True), ("录入员", False), ("只读", False)])
def test_import_button_opens_the_ledger_import_for_reviewers_only(make_page, demo_session, role, may_import,
                                                                   import_export_buttons):
    from ledgerdesk.interchange.ledger_xlsx import apply_ledger_import, plan_ledger_import

    demo_session.role = role
    page = make_page(demo_session)
    import_export_buttons(page, may_import, apply_ledger_import, "导入问题台账")
    assert may_import is False or page.import_dialog()._plan_fn is plan_ledger_import


def test_export_writes_the_ledger_that_openpyxl_reads_back(make_page, demo_session, tmp_path, message_boxes,
                                                            wait_idle):
    import openpyxl

    page = make_page(demo_session)
    village_id = page.villages[0][0]
    page.village_box.setCurrentIndex(page.village_box.findData(village_id))
    wait_idle(page)
    target = tmp_path / "台账.xlsx"
    assert page.export_ledger(str(target)) == str(target)
    workbook = openpyxl.load_workbook(target, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    header = list(rows[0])
    assert "编号" in header and "标题" in header
    numbers = {row[header.index("编号")] for row in rows[1:]}
    ids = ledger.problem_ids(demo_session, ledger.ProblemQuery(village_id=village_id))
    expected = ledger.problem_rows(demo_session, ids)
    assert numbers == {row.number for row in expected}
    assert message_boxes and "导出" in message_boxes[-1][0] and str(target) in message_boxes[-1][1]


def test_import_dialog_previews_an_exported_ledger_as_unchanged(qtbot, make_page, demo_session, tmp_path,
                                                                message_boxes):
    page = make_page(demo_session)
    target = tmp_path / "台账.xlsx"
    page.export_ledger(str(target))
    dialog = page.import_dialog()
    dialog.set_path(target)
    with qtbot.waitSignal(dialog.planned, timeout=60_000) as planned:
        dialog.start_plan()
    plan = planned.args[0]
    assert not plan.errors and plan.rows == len(ledger.problem_ids(demo_session, ledger.ProblemQuery()))
    assert plan.new_count == 0 and dialog.import_button.isEnabled()  # the export re-imports as unchanged
    qtbot.waitUntil(lambda: dialog._task is None)
    dialog.reject()


def test_screenshot_with_the_excel_buttons_at_1366x768(qtbot, make_page, demo_session):
    page = make_page(demo_session)
    page.resize(1366, 768)
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: page.detail.problem is not None)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert page.grab().save(str(SHOTS / "problems-page-1366x768.png"))
    for button in (page.import_button, page.export_button, page.new_button):
        assert button.isVisible() and button.width() >= button.sizeHint().width()  # nothing clipped
        assert page.rect().contains(button.mapTo(page, button.rect().bottomRight()))
