"""The stall meter: a GUI thread held by sleeping shows as a stall, an idle loop does not.

The bounds are deliberately loose (a 250 ms hold must read as ≥ 200 ms; an idle
loop under 80 ms in at least one of three tries), so a loaded 2-core machine
cannot make them flaky; they still fail for a meter that misses or invents stalls.
"""

import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from ledgerdesk.ui.stall_meter import ENV_STALL_LOG, StallMeter, stall_log_from_env

HOLD_S = 0.25


def hold_gui_thread(seconds: float = HOLD_S) -> None:
    QTimer.singleShot(0, lambda: time.sleep(seconds))


@pytest.fixture
def meter(app):
    meter = StallMeter()
    meter.start()
    yield meter
    meter.stop()


def test_a_sleeping_slot_is_a_stall_of_its_length(qtbot, meter):
    hold_gui_thread()
    qtbot.waitUntil(lambda: bool(meter.stalls(over_ms=200)), timeout=5000)
    [(at_ms, ms)] = meter.stalls(over_ms=200)
    assert ms >= 200
    assert at_ms >= 0
    assert meter.longest_ms >= ms


def test_an_idle_event_loop_has_no_stall(qtbot, meter):
    longest = []
    for _ in range(3):  # one quiet window is enough; a busy machine may spoil one or two
        meter.reset()
        qtbot.wait(300)
        longest.append(meter.longest_ms)
        if longest[-1] < 80:
            break
    assert min(longest) < 80, longest


def test_reset_forgets_what_was_seen(qtbot, meter):
    hold_gui_thread()
    qtbot.waitUntil(lambda: meter.longest_ms >= 200, timeout=5000)
    meter.reset()
    assert meter.longest_ms == 0 and meter.stalls(over_ms=0) == []


def test_begin_end_attributes_a_stall_to_its_operation(qtbot, meter):
    first = meter.begin("打开户籍")
    hold_gui_thread()
    qtbot.waitUntil(lambda: meter.longest_ms >= 200, timeout=5000)
    assert meter.end() is first
    with meter.operation("滚动") as second:
        qtbot.wait(100)
    assert first.longest_stall_ms >= 200
    assert first.as_dict()["stalls_over_100ms"] == 1
    assert second.longest_stall_ms < 200  # the hold of the first operation is not counted again
    assert second.as_dict()["label"] == "滚动"
    assert first.duration_ms >= HOLD_S * 1000


def test_a_stall_in_progress_at_end_counts_for_the_operation(meter):
    op = meter.begin("同步导出")
    time.sleep(HOLD_S)  # no event loop turns between begin and end
    meter.end()
    assert op.longest_stall_ms >= 200
    figures = op.as_dict()
    assert set(figures) >= {"label", "duration_ms", "longest_stall_ms", "stalls_over_100ms"}
    assert figures["stalls_over_100ms"] == 1


def test_the_gui_threads_own_cpu_time_tells_computing_from_waiting(qtbot, meter):
    def spin() -> None:  # busy for 0.25 s of this thread's CPU time, however loaded the machine
        start = time.thread_time()
        while time.thread_time() - start < HOLD_S:
            pass

    with meter.operation("计算") as computing:
        QTimer.singleShot(0, spin)
        qtbot.waitUntil(lambda: computing.longest_stall_ms >= 200, timeout=10_000)
    with meter.operation("等待") as waiting:
        hold_gui_thread()
        qtbot.waitUntil(lambda: waiting.longest_stall_ms >= 200, timeout=5000)
    assert computing.longest_stall_cpu_ms >= 200
    assert waiting.longest_stall_cpu_ms < 50  # asleep: the thread used no CPU
    assert computing.as_dict()["longest_stall_cpu_ms"] >= 200


def test_one_operation_at_a_time(meter):
    meter.begin("a")
    with pytest.raises(RuntimeError):
        meter.begin("b")
    meter.end()
    with pytest.raises(RuntimeError):
        meter.end()


def test_stopped_meter_sees_nothing(qtbot, app):
    meter = StallMeter()
    hold_gui_thread()
    qtbot.wait(HOLD_S * 1000 + 100)
    assert not meter.running and meter.longest_ms == 0


class _Window(QWidget):
    def current_key(self) -> str:
        return "registry"


def test_stall_log_names_the_page(qtbot, app):
    window = _Window()
    qtbot.addWidget(window)
    lines: list[str] = []
    meter = stall_log_from_env(window, environ={ENV_STALL_LOG: "100"}, write=lines.append)
    assert meter is not None and meter.running
    hold_gui_thread()
    qtbot.waitUntil(lambda: bool(lines), timeout=5000)
    meter.stop()
    assert all(line.startswith("stall ") and "page registry" in line for line in lines)
    assert any(int(line.split()[1]) >= 200 for line in lines)


@pytest.mark.parametrize("value", [None, "", "abc"])
def test_stall_log_is_off_unless_asked(app, value):
    environ = {} if value is None else {ENV_STALL_LOG: value}
    assert stall_log_from_env(_Window(), environ=environ) is None
