"""六会 page: the village × six grid (model, colours), a cell opens the committee, forming a committee,
adding a member and the fast activity entry with an attendee picked by search; a screenshot at 1366×768."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ledgerdesk.core.vocab import COMMITTEE_KINDS
from ledgerdesk.services import committee_supervision as supervision
from ledgerdesk.services import committees as C
from ledgerdesk.ui.pages import PAGES
from ledgerdesk.ui.pages.committees import (
    AMBER,
    FIRST_SIX,
    GREEN,
    OTHER_COLUMN,
    RED,
    CommitteeGridModel,
    CommitteesPage,
)

SHOTS = Path("/tmp/ui-shots")
PAGE_KEY = "committees"  # make_page (conftest) builds this page


def colour(model, row, column):
    brush = model.index(row, column).data(Qt.ItemDataRole.BackgroundRole)
    return brush.color() if brush is not None else None


def test_the_page_is_registered():
    assert next(spec for spec in PAGES if spec.key == "committees").widget is CommitteesPage


def test_grid_model_passes_the_model_tester_and_colours_follow_the_checklist(make_page, demo_session,
                                                                              qtmodeltester):
    page = make_page(demo_session)
    model = page.model
    qtmodeltester.check(model)
    rows = supervision.checklist(demo_session)
    assert model.rowCount() == len(rows) == 15
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == [v.village for v in rows]
    seen = set()
    for r, v in enumerate(rows):
        for k, c in enumerate(v.six):
            expected = RED if c is None else GREEN if c.ok else AMBER
            assert colour(model, r, FIRST_SIX + k) == expected
            seen.add(expected.name())
            assert model.index(r, FIRST_SIX + k).data() == ("未成立" if c is None else model.index(
                r, FIRST_SIX + k).data())
        assert model.index(r, OTHER_COLUMN).data() == (f"{len(v.custom)} 个" if v.custom else "—")
    assert {GREEN.name(), AMBER.name(), RED.name()} <= seen  # the demo has each state
    assert "六会齐全" in page.summary.text()
    empty = CommitteeGridModel()
    qtmodeltester.check(empty)


def test_a_cell_click_opens_the_committee(make_page, demo_session, qtbot):
    page = make_page(demo_session)
    v = page.model.rows[0]
    column = next(FIRST_SIX + k for k, c in enumerate(v.six) if c is not None)
    committee = v.six[column - FIRST_SIX]
    rect = page.grid.visualRect(page.model.index(0, column))
    qtbot.mouseClick(page.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.detail is not None and page.detail.row.id == committee.id
    detail = C.committee_detail(demo_session, committee.id)
    assert page.members.rowCount() == len(detail.members)
    assert page.activities.rowCount() == len(detail.activities)
    assert page.members.item(0, 0).text() == detail.members[0].name
    assert page.header.text() == v.village and page.committee_box.currentText() == committee.name
    assert page.activity_button.isEnabled() and not page.form_button.isEnabled()


def test_form_then_add_member_then_record_an_activity(make_page, demo_session, qtbot, message_boxes, wait_idle):
    s = demo_session
    page = make_page(s)
    r, v = next((r, v) for r, v in enumerate(page.model.rows) if not v.all_six_formed)
    k = next(k for k, c in enumerate(v.six) if c is None)
    kind = list(COMMITTEE_KINDS)[k]
    page.open_cell(page.model.index(r, FIRST_SIX + k))
    assert page.detail is None and page.form_button.isEnabled() and not page.activity_button.isEnabled()
    # 成立
    dialog = page.form_dialog()
    assert dialog.kind_box.currentData() == kind
    dialog.accept()
    assert not dialog.error_text()
    wait_idle(page)
    assert page.detail is not None and page.detail.row.kind == kind
    cid = page.detail.row.id
    assert colour(page.model, r, FIRST_SIX + k) == AMBER  # formed, but no members yet
    # 添加成员, the person found by name
    person = C.find_persons(s, v.village[:1] if False else "王", limit=50)
    person = next(h for h in person if h.village == v.village)
    dialog = page.add_member_dialog()
    dialog.picker.setText(person.title)
    dialog.picker.setFocus()
    labels = dialog.picker.run_search()
    label = next(l for l in labels if v.village in l and person.title in l)
    dialog.picker.choose(label)
    dialog.role_box.setCurrentText("会长")
    dialog.accept()
    assert not dialog.error_text(), dialog.error_text()
    assert page.detail.row.chair and page.members.rowCount() == 1
    # 登记活动: the member is listed; one more attendee picked by search; the figures of this kind only
    dialog = page.activity_dialog()
    assert dialog.attendees.ids() == [page.detail.members[0].person_id]
    assert set(dialog.figures) == set(C.figures_of(kind))
    dialog.topic_edit.setText("成立大会")
    other = next(h for h in C.find_persons(s, "李", limit=50) if h.id != page.detail.members[0].person_id)
    dialog.picker.setText(other.title)
    qtbot.keyClicks(dialog.picker, "")  # focus stays in the picker
    labels = dialog.picker.run_search()
    dialog.picker.choose(next(l for l in labels if other.village in l))
    assert len(dialog.attendees.ids()) == 2
    for box in dialog.figures.values():
        box.setValue(3)
    dialog.accept()
    assert not dialog.error_text(), dialog.error_text()
    wait_idle(page)
    (activity,) = C.committee_detail(s, cid).activities
    assert activity.topic == "成立大会" and activity.attendees == 2
    assert all(getattr(activity, f) == 3 for f in C.figures_of(kind))
    assert page.activities.rowCount() == 1 and page.activities.item(0, 2).text() == "成立大会"


def test_refused_activity_stays_open_with_the_message(make_page, demo_session, qtbot):
    page = make_page(demo_session)
    v = page.model.rows[0]
    column = next(FIRST_SIX + k for k, c in enumerate(v.six) if c is not None)
    page.open_cell(page.model.index(0, column))
    dialog = page.activity_dialog()
    founded = page.detail.row.founded_on
    from ledgerdesk.ui.dialogs.problem_forms import to_qdate

    dialog.held_edit.setDate(to_qdate(founded.replace(year=founded.year - 1)))
    before = len(C.committee_detail(demo_session, page.detail.row.id).activities)
    dialog.accept()
    assert "早于" in dialog.field_error("held_on")
    assert len(C.committee_detail(demo_session, page.detail.row.id).activities) == before


def test_screenshot_at_1366x768(make_page, demo_session, qtbot):
    page = make_page(demo_session)
    page.resize(1366 - 168, 768 - 60)
    r, v = next((r, v) for r, v in enumerate(page.model.rows) if v.inactive)
    column = next(FIRST_SIX + k for k, c in enumerate(v.six) if c is not None and c.kind == "hongbai") \
        if v.six[0] is not None else FIRST_SIX + 1
    page.open_cell(page.model.index(r, column))
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert page.grab().save(str(SHOTS / "committees-page.png"))
    dialog = page.activity_dialog()
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(str(SHOTS / "committees-activity-dialog.png"))
    dialog.reject()


# -- Excel: 导入… / 导出… --------------------------------------------------------------------------------


@pytest.mark.parametrize("role, may_import", [("管理员", True), ("录入员", True), ("只读", False)])
def test_import_button_opens_the_committee_import_for_editors(make_page, demo_session, role, may_import,
                                                               import_export_buttons):
    from ledgerdesk.interchange.committees import apply_committee_import

    demo_session.role = role
    import_export_buttons(make_page(demo_session), may_import, apply_committee_import, "导入六会")


def test_export_then_import_preview_round_trip(make_page, demo_session, qtbot, tmp_path, message_boxes):
    import openpyxl

    page = make_page(demo_session)
    target = tmp_path / "六会.xlsx"
    assert page.export_committees(str(target)) == str(target)
    workbook = openpyxl.load_workbook(target, read_only=True)
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}
    workbook.close()
    formed = sum(1 for v in supervision.checklist(demo_session) for c in v.six if c is not None)
    assert any(len(rows) - 1 >= formed for rows in sheets.values())  # one row per committee at least
    assert message_boxes and str(target) in message_boxes[-1][1]
    dialog = page.import_dialog()
    dialog.set_path(target)
    with qtbot.waitSignal(dialog.planned, timeout=60_000) as planned:
        dialog.start_plan()  # the committee plan is called through the dialog's (progress, cancel) interface
    plan = planned.args[0]
    assert plan.counts.rows > 0  # (namesake attendees written by name alone may come back as row errors)
    qtbot.waitUntil(lambda: dialog._task is None)
    assert dialog.summary_label.text() != "尚未预览。"
    assert dialog.valid_button.isEnabled() is bool(plan.errors)
    dialog.reject()


def test_screenshot_with_the_excel_buttons_at_1366x768(make_page, demo_session, qtbot):
    page = make_page(demo_session)
    page.resize(1366, 768)
    r = next(r for r, v in enumerate(page.model.rows) if v.six[0] is not None)
    page.open_cell(page.model.index(r, FIRST_SIX))
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert page.grab().save(str(SHOTS / "committees-page-1366x768.png"))
    for button in (page.import_button, page.export_button, page.refresh_button):
        assert button.isVisible() and page.rect().contains(button.mapTo(page, button.rect().bottomRight()))
