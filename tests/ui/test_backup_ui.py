"""备份与恢复 on the 设置 page (ui/dialogs/backup_dialog.py) and the daily backup at start-up."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow

from ledgerdesk.services import backup, registry, workspace
from ledgerdesk.services.session import Session
from ledgerdesk.sync.digest import ledger_digest
from ledgerdesk.ui.dialogs.backup_dialog import start_daily_backup
from ledgerdesk.ui.pages import PAGES

PAGE_KEY = "settings"


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def town(file_session, clock):
    """The file ledger with a village and three backups of different kinds, a minute apart."""
    registry.create_village(file_session, name="红旗村")
    for reason in (backup.DAILY, "导入花名册", backup.MANUAL):
        backup.backup_now(file_session, reason)
        clock.advance(seconds=60)
    return file_session


def test_the_panel_lists_the_backups_newest_first(qtbot, qtmodeltester, make_page, town, window_on):
    page = make_page(town)
    panel = page.backup_panel
    qtmodeltester.check(panel.model)
    model = panel.model
    assert model.rowCount() == 3
    rows = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(3)]
    assert [r[1] for r in rows] == ["手动备份", "导入花名册自动备份", "每日自动备份"]
    assert rows[0][0] == "2026-11-20 09:32:00" and rows[2][0] == "2026-11-20 09:30:00"
    assert all(r[2].endswith("KB") for r in rows) and rows[0][3].endswith(".ldbak")
    assert "每日备份保留最新 10 份" in panel.explain_label.text()
    assert panel.backup_button.isEnabled() and panel.restore_file_button.isEnabled()
    assert not panel.restore_button.isEnabled()  # nothing selected yet
    panel.table.selectRow(1)
    assert panel.restore_button.isEnabled() and panel.selected().reason == "导入花名册"

    window = window_on(town)
    settings = window.show_page(next(i for i, spec in enumerate(PAGES) if spec.key == "settings"))
    settings.backup_panel.table.selectRow(0)
    Path("/tmp/shots").mkdir(exist_ok=True)
    window.grab().save("/tmp/shots/backup.png")
    table = settings.backup_panel.table
    assert table.isVisible() and table.viewport().height() >= 3 * table.rowHeight(0)


def test_backup_now_runs_on_the_worker_and_shows_the_new_backup(qtbot, make_page, town, clock):
    page = make_page(town)
    panel = page.backup_panel
    with qtbot.waitSignal(panel.backed_up, timeout=20_000) as signal:
        path = panel.backup_now()
    assert signal.args == [path] and path.exists()
    assert panel.model.rowCount() == 4 and panel.selected().path == path
    assert str(path) in panel.status_label.text()
    assert backup.list_backups(town.ledger.path)[0].reason == "手动"


def test_restore_asks_first_then_replaces_the_ledger_and_closes_the_window(qtbot, town, window_on, clock,
                                                                         message_boxes):
    path = Path(town.ledger.path)
    chosen = backup.list_backups(path)[1]  # 导入花名册, taken after the village was added
    digest_then, site_then = ledger_digest(town), town.ledger.site_id
    registry.create_village(town, name="后来村")
    window = window_on(town)
    panel = window.page("settings").backup_panel
    panel.table.selectRow(1)
    with qtbot.waitSignal(panel.restored, timeout=30_000) as signal:
        assert panel.restore_selected()
    (title, question), (_, done) = message_boxes
    assert title == "从备份恢复台账"
    assert chosen.path.name in question and "2026-11-20 09:31" in question and "导入花名册自动备份" in question
    assert "恢复前" in question and "重新打开" in question
    saved = signal.args[0]
    assert backup.backup_info(saved).reason == "恢复前" and saved.name in done
    qtbot.waitUntil(lambda: not window.isVisible())

    restored = workspace.open_ledger(path, clock=clock)
    try:
        assert ledger_digest(restored) == digest_then and restored.ledger.site_id != site_then
    finally:
        restored.close()


def test_a_refused_restore_shows_one_message_and_changes_nothing(qtbot, make_page, town, tmp_path, message_boxes):
    page = make_page(town)
    panel = page.backup_panel
    junk = tmp_path / "junk.ldbak"
    junk.write_bytes(b"not a ledger " * 1000)
    path = Path(town.ledger.path)
    town.ledger.db.close()
    before = sha(path)
    assert not panel.restore_from(junk)
    (_, question), (_, error) = message_boxes
    assert "junk.ldbak" in question and "未做任何改动" in error
    assert sha(path) == before and "没有恢复" in panel.status_label.text()
    assert panel.model.rowCount() == 3  # no 恢复前 backup either
    assert page.isVisible()


def test_only_the_administrator_may_restore(qtbot, ui_page, town):
    clerk = Session(town.ledger, "clerk", "录入员")
    page = ui_page("settings", clerk)
    panel = page.backup_panel
    panel.table.selectRow(0)
    assert panel.backup_button.isEnabled()
    assert not panel.restore_button.isEnabled() and not panel.restore_file_button.isEnabled()
    assert "管理员" in panel.restore_button.toolTip()
    assert panel.restore_from(backup.list_backups(town.ledger.path)[0].path) is False


def test_the_daily_backup_runs_once_a_day_on_the_worker(qtbot, app, runner, file_session, clock):
    window = QMainWindow()
    qtbot.addWidget(window)
    first = start_daily_backup(window, file_session, runner)
    qtbot.waitUntil(lambda: first.done, timeout=20_000)
    assert first.result is not None and first.result.exists()
    again = start_daily_backup(window, file_session, runner)
    qtbot.waitUntil(lambda: again.done, timeout=20_000)
    assert again.result is None
    clock.advance(days=1)
    next_day = start_daily_backup(window, file_session, runner)
    qtbot.waitUntil(lambda: next_day.done, timeout=20_000)
    assert next_day.result is not None
    assert [b.reason for b in backup.list_backups(file_session.ledger.path)] == ["每日", "每日"]
