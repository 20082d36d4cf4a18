"""审计记录 page: the trail as the service lists it, filters, the selected change, and the chain check."""

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableView

from ledgerdesk.services import audit, ledger
from ledgerdesk.services.session import Session
from ledgerdesk.ui.pages import PAGES
from ledgerdesk.ui.pages.audit import AuditPage

SHOTS = Path("/tmp/shots")
PAGE_KEY = "audit"  # make_page (conftest) builds this page
PAGE_SIZE = (1366 - 168, 768 - 60)


def _steps(session):
    """A 书记 other than the demo's author resolves, rates and signs off two problems; returns the secretary's name."""
    secretary = Session(session.ledger, "王书记", "书记")
    open_ids = [r[0] for r in session.ledger.db.execute_sql(
        "SELECT problem_id FROM problem_state WHERE state = '办理中' ORDER BY problem_id LIMIT 2")]
    for problem_id in open_ids:
        ledger.resolve(secretary, problem_id, "已经修好，群众认可")
        ledger.rate(secretary, problem_id, rating="满意", rated_by="户主", method="电话")
        ledger.close(secretary, problem_id, "同意销号")
    return secretary.user


def test_the_page_is_registered():
    assert next(spec for spec in PAGES if spec.key == PAGE_KEY).widget is AuditPage


def test_filters_show_what_the_service_finds(qtbot, make_page, demo_session, qtmodeltester, wait_idle):
    user = _steps(demo_session)
    page = make_page(demo_session)
    limit = audit.LIST_LIMIT
    assert page.model.ids() == audit.entry_ids(demo_session, audit.AuditQuery(), limit=limit)
    assert page.model.rowCount() == limit  # the demo has more changes than the list shows
    assert "最近" in page.count_label.text()
    qtmodeltester.check(page.model)
    village_id = page.village_box.itemData(2)
    today = demo_session.ledger.clock.today()
    for change, query in (
        (lambda: page.user_box.setCurrentIndex(page.user_box.findData(user)), audit.AuditQuery(user=user)),
        (lambda: page.action_box.setCurrentText("销号"), audit.AuditQuery(user=user, action="销号")),
        (lambda: (page.user_box.setCurrentIndex(0), page.action_box.setCurrentIndex(0),
                  page.table_box.setCurrentIndex(page.table_box.findData("problem_event"))),
         audit.AuditQuery(table="problem_event")),
        (lambda: page.village_box.setCurrentIndex(2), audit.AuditQuery(table="problem_event", village_id=village_id)),
        (lambda: page.set_dates(today, today), audit.AuditQuery(table="problem_event", village_id=village_id,
                                                                since=today, until=today)),
        (lambda: page.set_dates(today + dt.timedelta(days=1), None),
         audit.AuditQuery(table="problem_event", village_id=village_id, since=today + dt.timedelta(days=1))),
    ):
        change()
        wait_idle(page)
        expected = audit.entry_ids(demo_session, query, limit=limit)
        assert page.model.ids() == expected, query
        assert page.count_label.text() == (f"共 {len(expected):,} 条修改" if len(expected) < limit
                                           else f"最近 {limit:,} 条修改（更早的请用筛选缩小范围）")
    assert expected == []  # nothing was changed after today
    page.clear_filters()
    wait_idle(page)
    assert page.model.ids() == audit.entry_ids(demo_session, audit.AuditQuery(), limit=limit)
    qtmodeltester.check(page.model)


def test_a_selected_change_shows_who_when_where_and_every_field(qtbot, make_page, demo_session, wait_idle):
    user = _steps(demo_session)
    page = make_page(demo_session)
    page.user_box.setCurrentIndex(page.user_box.findData(user))
    wait_idle(page)
    assert page.table.select_ids([page.model.row_id(0)]) == 1
    entry = page.entry
    assert entry.action == "销号" and entry.user == user and entry.chain_seq
    assert page.header.text() == f"销号　{entry.record}"
    assert page.fact_labels["user"].text() == user
    assert page.fact_labels["device"].text() == "本机"
    assert page.fact_labels["chain"].text() == f"第 {entry.chain_seq} 环"
    assert page.fact_labels["version"].text() == f"{demo_session.ledger.site_id}:{entry.seq}"
    assert "同意销号" in page.fields_label.text() and "备注" in page.fields_label.text()
    assert page.model.data(page.model.index(0, 5)) == "销号"


def test_verify_shows_a_whole_chain_then_the_break_in_red(qtbot, make_page, demo_session, wait_idle):
    _steps(demo_session)
    page = make_page(demo_session)
    assert page.chain_label.isHidden()
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    wait_idle(page)
    status = audit.chain_status(demo_session)
    assert status.links >= 6 and status.pending == 0
    assert page.chain_label.text().startswith(f"✓ 审计链条完整：共 {status.links:,} 环")
    assert "#1e7b34" in page.chain_label.styleSheet()
    page.table.select_ids([page.model.row_id(0)])
    qtbot.wait(50)  # the detail pane lays its labels out
    SHOTS.mkdir(exist_ok=True)
    assert page.grab().save(str(SHOTS / "audit_page.png"))

    conn = sqlite3.connect(demo_session.ledger.path)  # someone with the file edits a past link
    conn.execute("UPDATE audit_chain SET author = '张三' WHERE seq = 3")
    conn.commit()
    conn.close()
    qtbot.keyClick(page.table, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    wait_idle(page)
    text = page.chain_label.text()
    assert text.startswith("✗ 审计链条有") and "第 3 环" in text
    assert "#b42318" in page.chain_label.styleSheet()
    assert page.verify_button.isEnabled()
    assert page.grab().save(str(SHOTS / "audit_page_broken.png"))


@pytest.mark.parametrize("role", ["录入员", "只读"])
def test_other_roles_see_a_notice_and_no_trail(qtbot, ui_page, file_session, role):
    page = ui_page(PAGE_KEY, Session(file_session.ledger, "小李", role))
    texts = [label.text() for label in page.findChildren(QLabel)]
    assert "只有书记和管理员可以查看审计记录。" in texts
    assert not page.findChildren(QTableView)
