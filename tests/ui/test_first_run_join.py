"""First run on a 驻村/走访 laptop: 用配对文件加入乡镇… — the office's .ldkey and pairing code make a NEW bare ledger.

Real services and files: an office ledger (workspace.create_ledger) enrols a laptop
(devices.add_device → .ldkey + code); the first-run dialog joins with it on the worker;
then the office's full sync file imports into the joined ledger.
"""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QPushButton

from ledgerdesk.services import workspace
from ledgerdesk.sync import devices, exchange
from ledgerdesk.sync.digest import ledger_digest
from ledgerdesk.sync.errors import EnrollmentError
from ledgerdesk.ui.first_run import FirstRunDialog, JoinTownshipDialog

SHOTS = Path("/tmp/shots")
NEXT_STEP = "请导入乡镇办公室的完整同步文件：数据交换 → 导入同步文件"


@pytest.fixture
def office(tmp_path, clock, monkeypatch):
    """(office session, enrolment of 张三的笔记本): the township office's ledger with one laptop enrolled."""
    monkeypatch.setenv("LEDGERDESK_KEYS", str(tmp_path / "keys"))
    session = workspace.create_ledger(tmp_path / "office" / "office.sqlite3", township="青山镇", clock=clock,
                                      user="王主任")
    enrollment = devices.add_device(session, "张三的笔记本", out=tmp_path / "张三的笔记本.ldkey")
    yield session, enrollment
    session.close()


@pytest.fixture
def laptop_path(tmp_path) -> Path:
    return tmp_path / "laptop" / "ledger.sqlite3"


def leftovers(path: Path) -> list[Path]:
    return list(path.parent.glob(f"{path.name}*")) if path.parent.exists() else []


def wrong(code: str) -> str:
    return "1111-2222-3333" if code != "1111-2222-3333" else "3333-2222-1111"


def make_dialog(qtbot, runner, path) -> FirstRunDialog:
    dialog = FirstRunDialog(path, runner)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    return dialog


def pick_file(monkeypatch, path: Path) -> list[tuple]:
    """QFileDialog.getOpenFileName answers ``path``; returns the calls' (caption, filter)."""
    calls = []

    def fake(parent, caption="", folder="", filters="", *args, **kwargs):
        calls.append((caption, filters))
        return str(path), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake)
    return calls


def drive_join_dialog(steps):
    """Run ``steps`` (callables taking the open JoinTownshipDialog) one per turn of its modal loop.

    A step returns True when done, False to be called again (waiting for the worker). After the last step,
    or if a step raises, nothing more is scheduled; a dialog still open after ~20 s is cancelled.
    """
    state = {"i": 0, "ticks": 0, "errors": []}

    def drive():
        state["ticks"] += 1
        modal = QApplication.activeModalWidget()
        if not isinstance(modal, JoinTownshipDialog):
            if state["i"] < len(steps) and state["ticks"] < 1000:
                QTimer.singleShot(20, drive)
            return
        if state["ticks"] >= 1000:
            state["errors"].append("timed out")
            modal.task = None
            modal.reject()
            return
        try:
            if steps[state["i"]](modal):
                state["i"] += 1
        except Exception as exc:  # noqa: BLE001 — reported by the test, the dialog is closed
            state["errors"].append(repr(exc))
            modal.task = None
            modal.reject()
            return
        if state["i"] < len(steps):
            QTimer.singleShot(20, drive)

    QTimer.singleShot(0, drive)
    return state


def type_code_and_join(code):
    def step(dialog: JoinTownshipDialog) -> bool:
        dialog.code_edit.setText(code)
        dialog.join_button.click()
        return True

    return step


def wait_idle(dialog: JoinTownshipDialog) -> bool:
    return not dialog.busy


# -- the first-run dialog -----------------------------------------------------------------------------------------


def test_first_run_offers_joining_and_fits_the_screen(qtbot, runner, laptop_path):
    dialog = make_dialog(qtbot, runner, laptop_path)
    buttons = {button.text(): button for button in dialog.findChildren(QPushButton)}
    assert {"新建空白台账", "用配对文件加入乡镇…", "创建演示台账", "打开已有台账…", "退出"} <= set(buttons)
    assert dialog.join_button is buttons["用配对文件加入乡镇…"]
    assert dialog.new_button.isDefault()  # the office's choice stays the default
    assert dialog.width() <= 1366 and dialog.height() <= 700
    for button in buttons.values():  # no button text cut off
        assert button.width() >= button.sizeHint().width()
    SHOTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(SHOTS / "first_run_join.png"))


def test_join_with_a_wrong_code_then_the_right_one(qtbot, runner, office, laptop_path, monkeypatch, message_boxes):
    _, enrollment = office
    calls = pick_file(monkeypatch, enrollment.path)
    dialog = make_dialog(qtbot, runner, laptop_path)
    seen = {}

    def after_wrong_code(join: JoinTownshipDialog) -> bool:
        if join.busy:
            return False
        seen["after_wrong"] = (list(message_boxes), leftovers(laptop_path), join.isVisible(),
                               join.code_edit.hasSelectedText())
        return True

    def screenshot(join: JoinTownshipDialog) -> bool:
        join.code_edit.setText(enrollment.code.replace("-", " "))  # digits with spaces are fine too
        SHOTS.mkdir(exist_ok=True)
        assert join.grab().save(str(SHOTS / "first_run_join_code.png"))
        seen["code_fits"] = join.code_edit.width() >= join.code_edit.fontMetrics().horizontalAdvance("0" * 14)
        join.join_button.click()
        return True

    state = drive_join_dialog([type_code_and_join(wrong(enrollment.code)), after_wrong_code, screenshot])
    qtbot.mouseClick(dialog.join_button, Qt.MouseButton.LeftButton)
    assert state["errors"] == []
    assert calls == [("选择配对文件", "配对文件 (*.ldkey)")]

    # The wrong code: one Chinese message, nothing on disk, the dialog stays with the code selected for retyping.
    messages, files, visible, selected = seen["after_wrong"]
    assert [title for title, _ in messages] == ["无法加入乡镇"]
    assert "配对码不对" in messages[0][1] and "Traceback" not in messages[0][1]
    assert files == [] and visible and selected
    assert seen["code_fits"]

    # The right code: accepted with a session on the new bare ledger, enrolled as the laptop, next step told.
    assert dialog.result() == QDialog.DialogCode.Accepted
    session = dialog.session
    try:
        assert Path(session.ledger.path) == laptop_path.resolve() and laptop_path.exists()
        status = devices.group_status(session)
        assert status.enrolled and not status.is_authority
        assert (status.role, status.device_name, status.township) == ("laptop", "张三的笔记本", "青山镇")
        assert status.device_id == enrollment.device_id
        with session.reading():
            assert session.ledger.db.execute_sql("SELECT count(*) FROM version").fetchone()[0] == 0  # bare
        devices.identity(session)  # the keys are in this machine's key store
    finally:
        session.close()
    (title, text), = message_boxes[1:]
    assert title == "已加入乡镇" and "张三的笔记本" in text and "青山镇" in text and NEXT_STEP in text


def test_malformed_code_is_refused_before_the_worker(qtbot, runner, office, laptop_path, message_boxes):
    _, enrollment = office
    join = JoinTownshipDialog(laptop_path, enrollment.path, runner)
    qtbot.addWidget(join)
    join.show()
    join.code_edit.setText("1234-5678")
    join.join_button.click()
    assert not join.busy and join.isVisible() and not laptop_path.exists()
    (title, text), = message_boxes
    assert title == "无法加入乡镇" and "12 位数字" in text


def test_cancel_and_esc_while_joining(qtbot, runner, office, laptop_path, message_boxes):
    """取消 closes without a ledger; while the worker is joining, Esc and closing are ignored."""
    _, enrollment = office
    join = JoinTownshipDialog(laptop_path, enrollment.path, runner)
    qtbot.addWidget(join)
    join.show()
    join.cancel_button.click()
    assert join.result() == QDialog.DialogCode.Rejected and not laptop_path.exists()

    join = JoinTownshipDialog(laptop_path, enrollment.path, runner)
    qtbot.addWidget(join)
    join.show()
    join.code_edit.setText(enrollment.code)
    join.join()
    assert join.busy and not join.join_button.isEnabled() and not join.cancel_button.isEnabled()
    join.reject()
    join.close()
    assert join.isVisible()
    qtbot.waitUntil(lambda: join.status is not None, timeout=20_000)
    assert join.result() == QDialog.DialogCode.Accepted and join.status.role == "laptop"
    assert laptop_path.exists() and message_boxes == []


def test_no_file_picked_changes_nothing(qtbot, runner, laptop_path, monkeypatch):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    dialog = make_dialog(qtbot, runner, laptop_path)
    qtbot.mouseClick(dialog.join_button, Qt.MouseButton.LeftButton)
    assert dialog.session is None and dialog.isVisible() and not laptop_path.exists()


def test_joined_laptop_imports_the_offices_full_export(qtbot, runner, office, laptop_path, clock, tmp_path,
                                                     monkeypatch, message_boxes):
    office_session, enrollment = office
    pick_file(monkeypatch, enrollment.path)
    dialog = make_dialog(qtbot, runner, laptop_path)
    state = drive_join_dialog([type_code_and_join(enrollment.code)])
    qtbot.mouseClick(dialog.join_button, Qt.MouseButton.LeftButton)
    assert state["errors"] == [] and dialog.session is not None
    dialog.session.close()

    out = tmp_path / "full.ldsync"
    exported = exchange.export_bundle(office_session, out, full=True)
    assert exported.full and out.exists()
    laptop = workspace.open_ledger(laptop_path, clock=clock)
    try:
        report = exchange.import_bundle(laptop, out)
        assert report.applied and report.created > 0 and report.conflicts == 0 and not report.gaps
        assert workspace.ledger_info(laptop).township == "青山镇"
        assert [d.name for d in devices.list_devices(laptop)] == ["乡镇办公室", "张三的笔记本"]
        assert ledger_digest(laptop) == ledger_digest(office_session)
    finally:
        laptop.close()


def test_main_window_opens_on_the_joined_ledger(app, office, laptop_path, monkeypatch, message_boxes):
    """run_gui on a missing ledger: the first-run dialog, 用配对文件加入乡镇…, then the main window."""
    from ledgerdesk.ui.app import run_gui
    from ledgerdesk.ui.main_window import MainWindow

    _, enrollment = office
    pick_file(monkeypatch, enrollment.path)
    seen = []

    def drive():
        modal = QApplication.activeModalWidget()
        if isinstance(modal, FirstRunDialog) and "first-run" not in seen:
            seen.append("first-run")
            QTimer.singleShot(20, drive)
            modal.join_button.click()  # returns once the join dialog has closed
            return
        if isinstance(modal, JoinTownshipDialog) and "join" not in seen:
            seen.append("join")
            modal.code_edit.setText(enrollment.code)
            modal.join_button.click()
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows:
            window = windows[0]
            seen.append(Path(window.context.session.ledger.path))
            SHOTS.mkdir(exist_ok=True)
            window.grab().save(str(SHOTS / "first_run_join_main_window.png"))
            window.close()
            return
        if len(seen) < 50:
            QTimer.singleShot(20, drive)

    QTimer.singleShot(0, drive)
    assert run_gui(laptop_path) == 0
    assert seen == ["first-run", "join", laptop_path.resolve()]
    assert laptop_path.exists()
    assert [title for title, _ in message_boxes] == ["已加入乡镇"]


# -- the service the dialog and `device join` share ------------------------------------------------------------------


def test_join_new_ledger_leaves_nothing_behind_on_failure(office, laptop_path, monkeypatch):
    _, enrollment = office
    with pytest.raises(EnrollmentError):
        devices.join_new_ledger(laptop_path, enrollment.path, wrong(enrollment.code))
    assert leftovers(laptop_path) == []

    def broken(session, package):
        session.ledger.set_meta("half", "written")
        raise OSError("disk full")

    monkeypatch.setattr(devices, "join_package", broken)
    with pytest.raises(OSError):
        devices.join_new_ledger(laptop_path, enrollment.path, enrollment.code)
    assert leftovers(laptop_path) == []


def test_join_new_ledger_refuses_an_existing_file(office, laptop_path):
    from ledgerdesk.core.errors import LedgerExistsError

    _, enrollment = office
    laptop_path.parent.mkdir()
    laptop_path.write_bytes(b"something")
    with pytest.raises(LedgerExistsError):
        devices.join_new_ledger(laptop_path, enrollment.path, enrollment.code)
    assert laptop_path.read_bytes() == b"something"
