"""走访 page: filters as the service says, recording a visit by keyboard, and a visit's needs into a problem."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ledgerdesk.services import ledger, registry, visits
from ledgerdesk.ui.main_window import MainWindow
from ledgerdesk.ui.pages import PAGES
from ledgerdesk.ui.pages.problems import ProblemsPage
from ledgerdesk.ui.pages.visits import DUE_BACKGROUND, VisitsPage

SHOTS = Path("/tmp/ui-shots")
PAGE_KEY = "visits"  # make_page (conftest) builds this page
PAGE_SIZE = (1366 - 168, 768 - 60)
SPEC = next(spec for spec in PAGES if spec.key == "visits")


@pytest.fixture
def village(file_session):
    village_id = registry.create_village(file_session, name="青山村")
    households = []
    for number, head in (("1001", "赵铁柱"), ("1002", "钱秀英")):
        household = registry.create_household(file_session, village_id=village_id, hh_no=number)
        registry.add_person(file_session, household, name=head, make_head=True)
        households.append(household)
    return village_id, households


def test_filters_show_what_the_service_finds(qtbot, make_page, demo_session, qtmodeltester, wait_idle):
    page = make_page(demo_session)
    assert page.model.ids() == visits.visit_ids(demo_session, visits.VisitQuery())
    qtmodeltester.check(page.model)
    village_id = page.village_box.itemData(3)
    for change, query in (
        (lambda: page.village_box.setCurrentIndex(3), visits.VisitQuery(village_id=village_id)),
        (lambda: page.month_box.setCurrentText("2026-09"), visits.VisitQuery(village_id=village_id, month="2026-09")),
        (lambda: (page.village_box.setCurrentIndex(0), page.month_box.setCurrentIndex(0),
                  page.due_check.setChecked(True)), visits.VisitQuery(due=True)),
        (lambda: page.kind_box.setCurrentText("院坝会"), visits.VisitQuery(due=True, kind="院坝会")),
    ):
        change()
        wait_idle(page)
        expected = visits.visit_ids(demo_session, query)
        assert page.model.ids() == expected
        assert page.count_label.text() == f"共 {len(expected):,} 次"
    assert 0 < len(expected) < 8000
    page.kind_box.setCurrentIndex(0)
    wait_idle(page)
    assert page.model.data(page.model.index(0, 0), Qt.ItemDataRole.BackgroundRole) == DUE_BACKGROUND
    qtmodeltester.check(page.model)


def test_record_a_visit_by_keyboard(qtbot, make_page, file_session, village, clock, type_text, wait_idle,
                                    show_active):
    village_id, households = village
    page = make_page(file_session)
    dialog = page.record_dialog()
    show_active(dialog)

    def focused():
        return QApplication.focusWidget()

    def tab():
        """Tab to the next field (in a date box Tab first walks its year/month/day sections)."""
        start = focused()
        for _ in range(3):
            qtbot.keyClick(focused(), Qt.Key.Key_Tab)
            if focused() is not start:
                return

    assert focused() is dialog.date_edit
    tab()
    assert focused() is dialog.kind_box
    qtbot.keyClick(focused(), Qt.Key.Key_Down)  # 敲门行动
    tab()
    type_text(focused(), "青山")
    tab()
    assert focused() is dialog.visitors_edit
    type_text(focused(), "张书记、李网格员")
    tab()
    assert focused() is dialog.picker
    type_text(focused(), "赵铁柱")
    labels = dialog.picker.run_search()
    dialog.picker.choose(labels[0])  # as a click on the first suggestion
    assert dialog.households.ids() == [households[0]]
    tab()
    tab()  # past the list of picked households
    assert focused() is dialog.due_check
    qtbot.keyClick(focused(), Qt.Key.Key_Space)
    tab()
    assert focused() is dialog.due_edit
    tab()
    assert focused() is dialog.findings_edit
    type_text(focused(), "老人独居，院墙有裂缝")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)  # Enter in 发现的情况 moves on
    assert focused() is dialog.needs_edit
    type_text(focused(), "希望帮助修缮院墙")
    assert visits.visit_ids(file_session, visits.VisitQuery()) == []
    qtbot.keyClick(focused(), Qt.Key.Key_Return)

    assert not dialog.isVisible(), dialog.error_text()
    (visit_id,) = visits.visit_ids(file_session, visits.VisitQuery())
    detail = visits.visit_detail(file_session, visit_id)
    row = detail.row
    assert (row.village_id, str(row.visited_on), row.kind, row.visitors, row.findings, row.needs, str(row.next_due)) \
        == (village_id, "2026-11-20", "敲门行动", "张书记、李网格员", "老人独居，院墙有裂缝", "希望帮助修缮院墙",
            "2026-12-20")
    assert detail.household_ids == (households[0],)
    wait_idle(page)
    assert page.table.current_id() == visit_id == page.current_id
    assert page.to_problem_button.isVisible()


def test_record_refuses_bad_input_at_the_field(qtbot, make_page, file_session, village):
    page = make_page(file_session)
    dialog = page.record_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.accept()  # no village
    assert dialog.isVisible() and dialog.field_error("village_id")
    dialog.village_box.setEditText("青山村")
    dialog.due_check.setChecked(True)
    dialog.due_edit.setDate(dialog.date_edit.date().addDays(-1))
    dialog.accept()
    assert "下次走访日期" in dialog.field_error("next_due")
    assert visits.visit_ids(file_session, visits.VisitQuery()) == []


def test_visit_needs_become_a_problem_in_one_action(qtbot, app, runner, file_session, village, monkeypatch, wait_idle):
    village_id, households = village
    with_needs = visits.record_visit(file_session, village_id=village_id, visited_on="2026-11-18",
                                     household_ids=households, findings="道路积水", needs="希望硬化入户路\n另需路灯")
    without = visits.record_visit(file_session, village_id=village_id, visited_on="2026-11-19", findings="一切正常")
    window = MainWindow(file_session, runner)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    with qtbot.waitExposed(window):
        window.showNormal()
    page = window.show_page([spec.key for spec in PAGES].index("visits"))
    wait_idle(page)

    page.select_visit(without)
    assert not page.to_problem_button.isVisible() and page.to_problem_dialog() is None
    page.select_visit(with_needs)
    assert page.to_problem_button.isVisible()
    monkeypatch.setattr(VisitsPage, "offer_jump", lambda self, ref: True)
    dialog = page.to_problem_dialog()
    assert dialog.title_edit.text() == "希望硬化入户路"
    dialog.category_box.setCurrentIndex(2)
    dialog.accept()  # the one action

    (problem_id,) = ledger.problem_ids(file_session, ledger.ProblemQuery())
    detail = ledger.problem_detail(file_session, problem_id)
    assert (detail.title, detail.source, detail.village_id, set(detail.household_ids), detail.description) == (
        "希望硬化入户路", "走访发现", village_id, set(households), "希望硬化入户路\n另需路灯")
    assert window.current_key() == "problems"
    problems = window.page("problems")
    assert isinstance(problems, ProblemsPage)
    qtbot.waitUntil(lambda: not problems.loader.busy and problems.current_id == problem_id, timeout=15000)
    assert problems.table.current_id() == problem_id
    assert visits.visit_detail(file_session, with_needs).problems[0].id == problem_id
    assert page.detail_labels["problems"].text() == detail.number


def test_screenshot_at_1366x768(qtbot, make_page, demo_session, wait_idle):
    page = make_page(demo_session)
    page.due_check.setChecked(True)
    wait_idle(page)
    page.table.selectRow(0)
    qtbot.wait(200)
    SHOTS.mkdir(exist_ok=True)
    assert page.grab().save(str(SHOTS / "visits-page.png"))
    dialog = page.record_dialog()
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    qtbot.wait(100)
    assert dialog.grab().save(str(SHOTS / "visit-record-dialog.png"))
