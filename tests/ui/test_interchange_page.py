"""数据交换 page: status, export, preview-then-import, 待核实, devices — over real ledgers, keys and files.

The township office is ``file_session`` (a real ledger file); a field laptop is a new
empty ledger that joins with the office's real .ldkey file and pairing code. Sync files
are real signed, encrypted bundles written by ``exchange.export_bundle``. Only
QFileDialog's static methods are replaced (no native dialogs offscreen).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog

from ledgerdesk.core.clock import FixedClock
from ledgerdesk.core.vocab import COMMITTEE_KINDS
from ledgerdesk.services import committees, registry, registry_queries, workspace
from ledgerdesk.services.session import Session
from ledgerdesk.store.database import Ledger
from ledgerdesk.store.verify import replay_mismatches
from ledgerdesk.sync import conflicts, devices, digest, exchange
from ledgerdesk.ui.pages import PAGES
from ledgerdesk.ui.pages.interchange import CONFLICT_TAB, DEVICE_TAB, InterchangePage, group_hex
from ledgerdesk.ui.widgets.conflict_view import typed_value

PAGE_KEY = "interchange"
LAPTOP = "牧区走访笔记本"
SHOTS = Path("/tmp/shots")
CODE_RE = re.compile(r"^\d{4}-\d{4}-\d{4}$")
LAPTOP_NOW = dt.datetime(2026, 11, 20, 9, 31)


def shot(widget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()  # pending layout requests (a label that grew) first
    widget.grab().save(str(SHOTS / f"interchange_{name}.png"))


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LEDGERDESK_KEYS", str(tmp_path / "keys"))
    return tmp_path / "keys"


@pytest.fixture
def new_ledger(tmp_path, quiesce):
    """``make(name)``: a new, empty ledger file (schema only), as a laptop before it joins."""
    made: list[Session] = []

    def make(name: str = "laptop") -> Session:
        session = Session(Ledger.create(tmp_path / f"{name}.sqlite3", clock=FixedClock(LAPTOP_NOW)), "李四")
        made.append(session)
        return session

    yield make
    quiesce()  # pages over these ledgers go before the ledgers do
    for session in made:
        if session.ledger.db.is_closed():
            session.ledger.db.connect(reuse_if_open=True)
        session.ledger.bind()
        assert not replay_mismatches(session.ledger.db)
        session.close()


@pytest.fixture
def office(file_session):
    """The township office: a village and a household, before any device is enrolled."""
    village = registry.create_village(file_session, name="红旗村")
    file_session.household = registry.create_household(file_session, village_id=village, hh_no="0001",
                                                       address="红旗村一组 1 号")
    file_session.village = village
    return file_session


@pytest.fixture
def pair(office, new_ledger, tmp_path):
    """(office, laptop): the laptop enrolled with a real .ldkey and code, holding the office's data."""
    enrollment = devices.add_device(office, LAPTOP, out=tmp_path / "laptop.ldkey")
    laptop = new_ledger("laptop")
    devices.join(laptop, enrollment.path, enrollment.code)
    first = exchange.export_bundle(office, tmp_path / "office-full.ldsync", full=True)
    exchange.import_bundle(laptop, first.path, backup=False)
    exchange.import_bundle(office, exchange.export_bundle(laptop, tmp_path / "laptop-hello.ldsync").path,
                           backup=False)
    return office, laptop


def address(session, household_id) -> str:
    return registry_queries.household_detail(session, household_id).row.address


def make_conflict(office, laptop, tmp_path, name="conflict") -> Path:
    """Both edit the household's address; returns the laptop's file (imported at the office: a conflict)."""
    registry.update_household(office, office.household, address="红旗村一组11号")
    registry.update_household(laptop, office.household, address="红旗村二组8号")
    return exchange.export_bundle(laptop, tmp_path / f"{name}.ldsync").path


def file_dialogs(monkeypatch, *, save: str | None = None, open_: str | None = None) -> list[tuple]:
    """Replace QFileDialog's static methods; returns the (kind, caption, directory) they were asked with."""
    asked: list[tuple] = []

    def get_save(parent, caption="", directory="", filter="", *args, **kwargs):
        asked.append(("save", caption, directory))
        return (save or "", filter)

    def get_open(parent, caption="", directory="", filter="", *args, **kwargs):
        asked.append(("open", caption, directory))
        return (open_ or "", filter)

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(get_open))
    return asked


# -- status and export ---------------------------------------------------------------------------------


def test_the_navigation_opens_this_page():
    spec = next(s for s in PAGES if s.key == PAGE_KEY)
    assert spec.widget is InterchangePage


def test_status_and_export_through_the_page(make_page, pair, monkeypatch, message_boxes, tmp_path, qtmodeltester):
    office, laptop = pair
    page = make_page(office)
    assert "乡镇办公室" in page.device_label.text() and "同步中心" in page.device_label.text()
    assert "测试镇" in page.device_label.text()
    assert not page.alarm_label.isVisibleTo(page)
    assert [page.target_box.itemText(i) for i in range(page.target_box.count())] == ["所有设备", LAPTOP]
    assert page.export_button.isEnabled() and page.import_button.isEnabled()
    assert page.files_model.rowCount() == 1 and page.files_model.held_row(
        page.files_model.row_id(0)).sender_name == LAPTOP
    qtmodeltester.check(page.files_model)
    shot(page, "status_export")

    registry.update_household(office, office.household, address="红旗村三组 3 号")
    asked = file_dialogs(monkeypatch, save=str(tmp_path / "给笔记本"))
    result = page.export()
    assert result is not None and result.path == tmp_path / "给笔记本.ldsync" and result.path.exists()
    assert asked[0][0] == "save" and Path(asked[0][2]).name == f"台账同步-乡镇办公室-{office.ledger.clock.now():%Y%m%d-%H%M}.ldsync"
    assert message_boxes[-1][0] == "导出完成" and result.message in page.result_label.text()
    assert not result.full
    report = exchange.import_bundle(laptop, result.path, backup=False)
    assert report.updated == 1 and address(laptop, office.household) == "红旗村三组 3 号"

    page.full_check.setChecked(True)
    page.target_box.setCurrentIndex(1)
    full = page.export(str(tmp_path / "full.ldsync"))
    assert full.full and full.to == LAPTOP and full.versions > result.versions


def test_export_is_offered_only_once_enrolled(make_page, office):
    page = make_page(office)
    assert "尚未加入" in page.device_label.text()
    assert not page.export_button.isEnabled() and page.export() is None
    assert page.tabs.currentIndex() == 0 and page.devices.add_button.isVisibleTo(page.devices)
    assert page.devices.join_button.isVisibleTo(page.devices) and not page.devices.revoke_button.isVisibleTo(
        page.devices)
    # a ledger that holds data cannot join (only a new, empty one can); it may become the office
    assert not page.devices.join_button.isEnabled() and page.devices.join_dialog() is None
    assert "已有数据" in page.devices.explain.text() and page.devices.add_button.isEnabled()
    page.tabs.setCurrentIndex(DEVICE_TAB)
    shot(page, "not_enrolled")


# -- import ------------------------------------------------------------------------------------------------


def test_preview_counts_then_import_applies_and_other_pages_refresh(pair, runner, qtbot, monkeypatch, message_boxes,
                                                                    tmp_path):
    from ledgerdesk.ui.main_window import MainWindow

    office, laptop = pair
    village = office.village
    new_household = registry.create_household(laptop, village_id=village, hh_no="0002", address="红旗村二组 2 号")
    registry.update_household(laptop, office.household, phone="13800138000")
    sent = exchange.export_bundle(laptop, tmp_path / "from-laptop.ldsync").path

    window = MainWindow(office, runner)
    qtbot.addWidget(window)
    window.show()
    households = window.page("registry")
    qtbot.waitUntil(lambda: not households.loader.busy, timeout=15_000)
    before = households.model.rowCount()
    page = window.show_page([s.key for s in PAGES].index(PAGE_KEY))
    qtbot.waitUntil(lambda: not page.busy, timeout=15_000)

    asked = file_dialogs(monkeypatch, open_=str(sent))
    dialog = page.import_dialog()
    assert asked[0][0] == "open" and dialog is not None
    qtbot.addWidget(dialog)
    figures = {key: label.text() for key, label in dialog.values.items()}
    assert figures["created"] == "1" and figures["updated"] == "1" and figures["conflicts"] == "0"
    assert figures["held"] == "0"
    assert LAPTOP in dialog.source_label.text() and "from-laptop.ldsync" in dialog.source_label.text()
    assert dialog.import_button.isVisibleTo(dialog) and dialog.message_label.text().startswith("预览")
    assert registry_queries.household_ids(office, registry_queries.HouseholdQuery()).count(new_household) == 0
    dialog.show()
    shot(dialog, "preview_dialog")

    with qtbot.waitSignal(page.data_changed, timeout=30_000) as changed:
        dialog.import_button.click()
    assert changed.args[0].applied and not dialog.import_button.isVisibleTo(dialog)
    assert "已导入" in dialog.message_label.text() and "备份" in dialog.message_label.text()
    assert new_household in registry_queries.household_ids(office, registry_queries.HouseholdQuery())
    assert registry_queries.household_detail(office, office.household, reveal=True).row.phone == "13800138000"
    qtbot.waitUntil(lambda: households.model.rowCount() == before + 1, timeout=15_000)
    qtbot.waitUntil(lambda: not page.busy, timeout=15_000)
    assert page.files_model.rowCount() == 2
    shot(dialog, "import_done")
    dialog.close()

    again = page.import_dialog(str(sent))
    qtbot.addWidget(again)
    assert again.report.already_imported and "已经导入过" in again.message_label.text()
    assert not again.import_button.isVisibleTo(again) and not again.figures.isVisibleTo(again)
    assert again.close_button.text() == "关闭"


def test_a_damaged_file_shows_one_chinese_error_and_changes_nothing(make_page, pair, message_boxes, tmp_path):
    office, laptop = pair
    registry.update_household(laptop, office.household, address="改过的住址")
    good = exchange.export_bundle(laptop, tmp_path / "good.ldsync").path
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.ldsync"
    damaged.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.ldsync"
    truncated.write_bytes(good.read_bytes()[: len(data) // 3])
    page = make_page(office)
    before = (digest.ledger_digest(office), exchange.imported_files(office))

    for path in (damaged, truncated):
        shown = len(message_boxes)
        assert page.import_dialog(str(path)) is None
        assert len(message_boxes) == shown + 1
        title, text = message_boxes[-1]
        assert title == "出错了" and re.search(r"[\u4e00-\u9fff]", text) and "Traceback" not in text
    assert (digest.ledger_digest(office), exchange.imported_files(office)) == before
    assert address(office, office.household) == "红旗村一组 1 号"


# -- 待核实 -------------------------------------------------------------------------------------------------


def test_a_conflict_shows_both_sides_and_the_chosen_one_closes_it(make_page, pair, tmp_path, qtbot, wait_idle,
                                                                  message_boxes, qtmodeltester):
    office, laptop = pair
    sent = make_conflict(office, laptop, tmp_path)
    page = make_page(office)
    dialog = page.import_dialog(str(sent))
    qtbot.addWidget(dialog)
    assert dialog.values["conflicts"].text() == "1"
    dialog.start_import()
    wait_idle(page)
    assert conflicts.open_count(office) == 1
    assert page.tabs.tabText(CONFLICT_TAB) == "待核实 (1)"

    page.tabs.setCurrentIndex(CONFLICT_TAB)
    view = page.conflict_view
    qtmodeltester.check(view.list_model)
    qtmodeltester.check(view.sides_model)
    row = view.list_model.held_row(view.list_model.row_id(0))
    assert row.table_label == "户" and "0001" in row.record_label and row.field_label == "住址"
    assert view.current is row.conflict and view.sides_model.rowCount() == 2
    sides = [view.sides_model.held_row(view.sides_model.row_id(r)) for r in range(2)]
    assert {s.display for s in sides} == {"红旗村一组11号", "红旗村二组8号"}
    assert {s.device for s in sides} == {"本机", LAPTOP} and {s.author for s in sides} == {"tester", "李四"}
    assert not view.take_button.isEnabled()  # nothing chosen yet
    shot(page, "conflicts")

    chosen = next(r for r, s in enumerate(sides) if s.device == LAPTOP)
    view.select_side(chosen)
    assert view.take_button.isEnabled()
    with qtbot.waitSignal(page.data_changed, timeout=15_000):
        view.take_button.click()
    wait_idle(page)
    assert conflicts.open_count(office) == 0
    assert address(office, office.household) == "红旗村二组8号"
    assert page.tabs.tabText(CONFLICT_TAB) == "待核实" and view.list_model.rowCount() == 0
    assert "没有待核实" in view.count_label.text()

    # the settlement travels: the laptop's copy of the conflict closes too
    back = page.export(str(tmp_path / "settled.ldsync"))
    exchange.import_bundle(laptop, back.path, backup=False)
    assert conflicts.open_count(laptop) == 0
    assert address(laptop, office.household) == "红旗村二组8号"


def test_a_new_value_settles_a_conflict(make_page, pair, tmp_path, qtbot, wait_idle):
    office, laptop = pair
    exchange.import_bundle(office, make_conflict(office, laptop, tmp_path), backup=False)
    page = make_page(office)
    page.tabs.setCurrentIndex(CONFLICT_TAB)
    view = page.conflict_view
    assert not view.new_button.isEnabled()
    view.new_edit.setText("红旗村一组 10 号")
    assert view.new_button.isEnabled()
    view.new_button.click()
    qtbot.waitUntil(lambda: conflicts.open_count(office) == 0, timeout=15_000)
    wait_idle(page)
    assert address(office, office.household) == "红旗村一组 10 号"
    assert view.list_model.rowCount() == 0


@pytest.mark.parametrize("keep_deleted", [True, False])
def test_delete_versus_edit_is_kept_deleted_or_restored(make_page, pair, tmp_path, qtbot, wait_idle, keep_deleted):
    office, laptop = pair
    committee = committees.form(office, village_id=office.village, kind=next(iter(COMMITTEE_KINDS)))
    activity = committees.record_activity(office, committee, held_on=dt.date(2026, 11, 20), topic="秋季防火巡逻")
    exchange.import_bundle(laptop, exchange.export_bundle(office, tmp_path / "to-laptop.ldsync").path, backup=False)
    committees.delete_activity(office, activity)
    committees.update_activity(laptop, activity, topic="秋季防火巡逻（补记）")
    exchange.import_bundle(office, exchange.export_bundle(laptop, tmp_path / "edit.ldsync").path, backup=False)
    assert conflicts.open_count(office) == 1

    page = make_page(office)
    page.tabs.setCurrentIndex(CONFLICT_TAB)
    view = page.conflict_view
    assert view.current.kind == "delete" and view.current.table_label == "六会活动"
    assert view.delete_row.isVisibleTo(view) and not view.value_row.isVisibleTo(view)
    displays = [view.sides_model.held_row(view.sides_model.row_id(r)).display for r in range(2)]
    assert "删除了这条记录" in displays and any("秋季防火巡逻（补记）" in d for d in displays)
    if keep_deleted:
        shot(page, "conflict_delete")
    (view.keep_deleted_button if keep_deleted else view.restore_button).click()
    qtbot.waitUntil(lambda: conflicts.open_count(office) == 0, timeout=15_000)
    wait_idle(page)
    alive = office.ledger.db.execute_sql("SELECT topic FROM committee_activity WHERE id = ? AND deleted = 0",
                                         (activity,)).fetchall()
    assert alive == ([] if keep_deleted else [("秋季防火巡逻（补记）",)])


def test_a_conflict_settled_meanwhile_shows_its_message_and_refreshes(make_page, pair, tmp_path, qtbot, wait_idle,
                                                                      message_boxes):
    office, laptop = pair
    exchange.import_bundle(office, make_conflict(office, laptop, tmp_path), backup=False)
    page = make_page(office)
    view = page.conflict_view
    c = view.current
    conflicts.resolve(office, c.entity_id, c.field, c.sides[0].value)  # settled elsewhere (e.g. the CLI)
    view.select_side(0)
    view.take_button.click()
    qtbot.waitUntil(lambda: any("已经不存在" in text for _title, text in message_boxes), timeout=15_000)
    wait_idle(page)
    assert view.list_model.rowCount() == 0 and page.tabs.tabText(CONFLICT_TAB) == "待核实"


def test_a_typed_value_takes_the_type_of_the_sides():
    class S:
        def __init__(self, value):
            self.value = value

    assert typed_value("12", [S(3), S(None)]) == 12
    assert typed_value("1.5", [S(3.0), S(2)]) == 1.5
    assert typed_value("十二", [S(3)]) == "十二"
    assert typed_value(" 红旗 ", [S("a")]) == "红旗"
    assert typed_value("  ", [S("a")]) is None


# -- devices -------------------------------------------------------------------------------------------


def test_add_a_device_shows_its_pairing_code_and_a_new_ledger_joins_with_it(make_page, office, new_ledger, tmp_path,
                                                                           qtbot, message_boxes, qtmodeltester,
                                                                           keys_dir):
    page = make_page(office)
    page.tabs.setCurrentIndex(DEVICE_TAB)
    panel = page.devices
    dialog = panel.add_dialog()
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("县里汇总")
    dialog.role_box.setCurrentIndex(dialog.role_box.findData("county"))
    assert dialog.path_edit.text().endswith("县里汇总.ldkey")
    dialog.path_edit.setText(str(tmp_path / "county.ldkey"))
    dialog.create_button.click()
    assert dialog.enrollment is not None and (tmp_path / "county.ldkey").exists()
    assert CODE_RE.match(dialog.code_label.text()) and dialog.stack.currentIndex() == 1
    dialog.resize(700, 520)
    dialog.show()
    shot(dialog, "pairing_code")
    code = dialog.code_label.text()
    dialog.accept()

    qtbot.waitUntil(lambda: not page.busy and page.overview.status.enrolled, timeout=15_000)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=15_000)
    qtmodeltester.check(panel.model)
    assert "本乡镇同步中心" in page.device_label.text() and page.tabs.tabText(DEVICE_TAB) == "设备 (2)"
    assert panel.revoke_button.isVisibleTo(panel) and not panel.join_button.isVisibleTo(panel)
    shot(page, "devices")

    county = new_ledger("county")
    county_page = make_page(county)
    join = county_page.devices.join_dialog()
    qtbot.addWidget(join)
    join.path_edit.setText(str(tmp_path / "county.ldkey"))
    join.code_edit.setText("0000-0000-0000")
    join.join_button.click()
    assert join.info is None and "配对码" in message_boxes[-1][1]
    join.code_edit.setText(code)
    join.join_button.click()
    assert join.info is not None and join.info.name == "县里汇总"
    qtbot.waitUntil(lambda: not county_page.busy and county_page.overview.status.enrolled, timeout=15_000)
    assert "县里汇总" in county_page.device_label.text() and county_page.export_button.isEnabled()
    assert not county_page.devices.add_button.isVisibleTo(county_page.devices)


def test_revoking_a_device(make_page, pair, qtbot, message_boxes):
    office, laptop = pair
    page = make_page(office)
    panel = page.devices
    assert not panel.revoke_button.isEnabled()  # nothing selected
    self_row = next(r for r in range(panel.model.rowCount()) if panel.model.held_row(panel.model.row_id(r)).is_self)
    panel.table.selectRow(self_row)
    assert not panel.revoke_button.isEnabled()  # never this machine
    panel.table.selectRow(1 - self_row)
    assert panel.revoke_button.isEnabled()
    panel.revoke_button.click()  # 注销 after a confirmation (message_boxes answers 确定)
    assert message_boxes[-1][0] == "注销设备" and LAPTOP in message_boxes[-1][1]
    revoked = {d.name: d.revoked_at for d in devices.list_devices(office)}
    assert revoked[LAPTOP] is not None
    qtbot.waitUntil(lambda: not page.busy and page.target_box.count() == 1, timeout=15_000)
    row = next(panel.model.held_row(i) for i in panel.model.ids() if panel.model.held_row(i).name == LAPTOP)
    assert row.revoked_at


def test_a_read_only_role_sees_but_cannot_change(pair, page_context, qtbot, tmp_path):
    office, laptop = pair
    exchange.import_bundle(office, make_conflict(office, laptop, tmp_path), backup=False)
    viewer = Session(office.ledger, "访客", role="只读")
    spec = next(s for s in PAGES if s.key == PAGE_KEY)
    page = InterchangePage(page_context(viewer), spec)
    qtbot.addWidget(page)
    page.resize(1198, 720)
    page.show()
    qtbot.waitUntil(lambda: not page.busy, timeout=15_000)
    assert not page.import_button.isEnabled() and page.import_dialog(str(tmp_path / "x.ldsync")) is None
    view = page.conflict_view
    assert view.list_model.rowCount() == 1 and view.denied_label.isVisibleTo(view)
    view.select_side(0)
    assert not view.take_button.isEnabled() and not view.new_edit.isEnabled()
    assert not page.devices.add_button.isEnabled() and page.devices.add_dialog() is None


def test_the_digest_is_computed_on_demand(make_page, pair, wait_idle):
    office, laptop = pair
    page = make_page(office)
    assert page.digest_label.text() == ""
    page.compute_digest()
    wait_idle(page)
    assert page.digest == digest.ledger_digest(office) == digest.ledger_digest(laptop)
    assert page.digest_label.text() == group_hex(page.digest) and page.digest_label.text().count("\n") == 1
    shot(page, "digest")


def test_clock_warning_and_alarms_are_shown_in_red(make_page, pair, new_ledger, tmp_path, qtbot, wait_idle):
    office, laptop = pair
    # the laptop's ledger file restored from a copy goes on with the same device numbers: a cloned device
    path = tmp_path / "laptop.sqlite3"
    laptop.ledger.db.close()
    shutil.copyfile(path, tmp_path / "snapshot.sqlite3")
    laptop.ledger.clock.advance(days=2)  # the laptop's clock runs two days ahead
    registry.update_household(laptop, office.household, note="笔记本上的备注")
    first = exchange.export_bundle(laptop, tmp_path / "laptop.ldsync").path
    laptop.ledger.db.close()
    shutil.copyfile(tmp_path / "snapshot.sqlite3", path)
    clone = workspace.open_ledger(path, clock=FixedClock(LAPTOP_NOW), user="王五")
    try:
        registry.update_household(clone, office.household, note="恢复的台账上的另一条备注")
        second = exchange.export_bundle(clone, tmp_path / "clone.ldsync").path
    finally:
        clone.close()
    page = make_page(office)
    dialog = page.import_dialog(str(first))
    qtbot.addWidget(dialog)
    assert "时钟" in dialog.note_label.text() and dialog.note_label.isVisibleTo(dialog)
    assert "时钟" in page.alarm_label.text() and page.alarm_label.isVisibleTo(page)
    dialog.start_import()
    wait_idle(page)
    cloned = page.import_dialog(str(second))
    qtbot.addWidget(cloned)
    assert "克隆" in cloned.alarm_label.text() and cloned.alarm_label.isVisibleTo(cloned)
    cloned.show()
    shot(cloned, "preview_alarm")
    cloned.start_import()
    wait_idle(page)
    assert exchange.alarms(office) and "复制过" in page.alarm_label.text()
    assert "时钟" in page.alarm_label.text()
    shot(page, "alarms")


def test_missing_keys_are_shown_and_block_export_and_import(make_page, pair, keys_dir):
    office, laptop = pair
    for key_file in keys_dir.iterdir():  # the ledger file was copied to a machine without its keys
        key_file.unlink()
    page = make_page(office)
    assert page.alarm_label.isVisibleTo(page) and "密钥" in page.alarm_label.text()
    assert not page.export_button.isEnabled() and not page.import_button.isEnabled()
    assert page.export() is None and page.import_dialog("x.ldsync") is None
