"""The reusable import dialog, driven as a user would: file → preview on the worker → 导入 / 仅导入有效行."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from PySide6.QtCore import Qt

from ledgerdesk.core.idcard import make_id_number
from ledgerdesk.interchange.roster import TEMPLATE_HEADERS
from ledgerdesk.services import workspace
from ledgerdesk.ui.import_dialog import ImportDialog, RosterImportDialog
from ledgerdesk.ui.pages import PageContext


def roster(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["红旗村花名册（2026年）"])
    ws.append(list(TEMPLATE_HEADERS))
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def row(name, relation="户主", hh="H001", number="", phone="", birth=None, village="红旗村"):
    values = dict.fromkeys(TEMPLATE_HEADERS, None)
    values.update({"村(社区)": village, "户号": hh, "户主姓名": "张建国", "姓名": name, "与户主关系": relation,
                   "身份证号": number, "联系电话": phone, "出生日期": birth})
    return [values[h] for h in TEMPLATE_HEADERS]


@pytest.fixture
def context(file_session, runner):
    return PageContext(file_session, workspace.ledger_info(file_session), runner)


def count(session, table):
    with session.reading():
        return session.ledger.db.execute_sql(f"SELECT count(*) FROM {table} WHERE deleted = 0").fetchone()[0]


def test_preview_then_import_all(qtbot, qtmodeltester, context, tmp_path, message_boxes):
    path = roster(tmp_path / "ok.xlsx", [
        row("张建国", number=make_id_number("152301", dt.date(1962, 4, 8), 11, True), phone="13800138000"),
        row("李秀英", relation="配偶", birth=dt.date(1965, 9, 1)),
    ])
    dialog = RosterImportDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.set_path(path)
    with qtbot.waitSignal(dialog.planned, timeout=30000) as blocker:
        qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    plan = blocker.args[0]
    assert plan.counts.persons_new == 2 and plan.new_villages == ("红旗村",)
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled())
    assert not dialog.valid_button.isEnabled()
    assert "将新建村（社区）：红旗村" in dialog.summary_label.text()
    qtmodeltester.check(dialog.issues_model)
    with qtbot.waitSignal(dialog.imported, timeout=30000) as done:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert done.args[0].persons_created == 2
    qtbot.waitUntil(lambda: bool(message_boxes))
    assert message_boxes[-1][0] == "导入完成" and "新增人员 2" in message_boxes[-1][1]
    assert count(context.session, "person") == 2
    assert not dialog.import_button.isEnabled()  # the plan is used up


def test_errors_table_and_only_valid_rows(qtbot, qtmodeltester, context, tmp_path, message_boxes):
    good = make_id_number("152301", dt.date(1990, 1, 20), 13, True)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    path = roster(tmp_path / "messy.xlsx", [
        row("张建国", number=make_id_number("152301", dt.date(1962, 4, 8), 11, True)),
        row("张伟", relation="子", number=bad_check),
        row("王五", hh="H002", number=1.52301198005010E+17),
        row("赵六", hh="H003", phone="12345"),
        row("", relation="子", hh="H003"),
    ])
    dialog = ImportDialog.for_roster(context)
    qtbot.addWidget(dialog)
    dialog.resize(1200, 680)
    dialog.show()
    dialog.set_path(path)
    with qtbot.waitSignal(dialog.planned, timeout=30000):
        dialog.start_plan()
    qtbot.waitUntil(lambda: dialog.valid_button.isEnabled())
    assert not dialog.import_button.isEnabled()
    model = dialog.issues_model
    qtmodeltester.check(model)
    shown = [tuple(model.index(r, c).data() for c in range(4)) for r in range(model.rowCount())]
    assert ("错误", "5", "身份证号", "J5") in shown
    assert ("错误", "6", "联系电话", "K6") in shown
    assert ("提醒", "4", "身份证号", "J4") in shown
    assert "有 3 行存在错误" in dialog.summary_label.text()
    qtbot.wait(50)  # let the layout follow the new summary before the screenshot
    dialog.grab().save(str(tmp_path / "import_dialog.png"))
    dialog.grab().save("/tmp/ledgerdesk_import_dialog.png")
    with qtbot.waitSignal(dialog.imported, timeout=30000) as done:
        qtbot.mouseClick(dialog.valid_button, Qt.MouseButton.LeftButton)
    assert done.args[0].rows_skipped == 3
    assert count(context.session, "person") == 2


def test_a_file_that_is_not_a_workbook_shows_one_error(qtbot, context, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("ledgerdesk.ui.import_dialog.show_error", lambda parent, exc, *a: shown.append(exc))
    text = tmp_path / "名单.csv"
    text.write_text("姓名,身份证号\n", encoding="utf-8")
    dialog = RosterImportDialog(context)
    qtbot.addWidget(dialog)
    dialog.set_path(text)
    with qtbot.waitSignal(dialog.failed, timeout=30000):
        dialog.start_plan()
    assert shown and shown[0].key == "not-xlsx"
    qtbot.waitUntil(lambda: dialog.preview_button.isEnabled())
    assert dialog.plan is None and not dialog.import_button.isEnabled()
