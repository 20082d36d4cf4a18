"""The task runner: jobs run off the GUI thread; progress and outcomes arrive on it."""

import threading
import time

from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication, QPushButton

from ledgerdesk.core.errors import Cancelled, LedgerNotFoundError
from ledgerdesk.ui.error_dialog import show_error
from ledgerdesk.ui.tasks import TaskState, run_with_progress


def wait_for_cancel(progress, cancel):
    """A job that reports progress until it is told to stop."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if cancel():
            raise Cancelled("已取消")
        progress("正在处理", 0.5)
        time.sleep(0.005)
    raise AssertionError("the job was never cancelled")


def test_progress_and_result_arrive_on_the_gui_thread(qtbot, runner):
    gui_thread = QApplication.instance().thread()
    job_threads, slot_threads, reports = [], [], []

    def job(progress, cancel):
        job_threads.append(QThread.currentThread())
        progress("第一步", 0.25)
        progress("第二步", 1.0)
        return 42

    def on_progress(label, fraction):
        slot_threads.append(QThread.currentThread())
        reports.append((label, fraction))

    task = runner.submit(job)
    task.progressed.connect(on_progress)
    with qtbot.waitSignal(task.finished, timeout=5000) as finished:
        pass
    assert finished.args == [42]
    assert task.state is TaskState.FINISHED and task.result == 42
    assert job_threads and job_threads[0] is not gui_thread
    assert reports == [("第一步", 0.25), ("第二步", 1.0)]
    assert slot_threads and all(thread is gui_thread for thread in slot_threads)


def test_jobs_run_one_at_a_time_in_order(qtbot, runner):
    order, running = [], threading.Lock()

    def job_named(name):
        def job(progress, cancel):
            assert running.acquire(blocking=False), "two jobs ran at once"
            try:
                time.sleep(0.01)
                order.append(name)
            finally:
                running.release()
        return job

    tasks = [runner.submit(job_named(n)) for n in "abc"]
    with qtbot.waitSignal(tasks[-1].ended, timeout=5000):
        pass
    assert order == ["a", "b", "c"]


def test_cancelled_job_is_reported_quietly(qtbot, runner, message_boxes):
    task = runner.submit(wait_for_cancel)
    with qtbot.waitSignal(task.progressed, timeout=5000):
        pass
    with qtbot.assertNotEmitted(task.failed), qtbot.waitSignal(task.cancelled, timeout=5000):
        task.cancel()
    assert task.state is TaskState.CANCELLED
    show_error(None, Cancelled("已取消"))
    assert message_boxes == []


def test_ledger_error_is_reported_with_its_message(qtbot, runner, message_boxes):
    def job(progress, cancel):
        raise LedgerNotFoundError("找不到台账文件“x.sqlite3”")

    task = runner.submit(job)
    with qtbot.waitSignal(task.failed, timeout=5000) as failed:
        pass
    error = failed.args[0]
    assert isinstance(error, LedgerNotFoundError)
    show_error(None, error)
    assert [text for _, text in message_boxes] == ["找不到台账文件“x.sqlite3”"]


def test_unexpected_error_shows_a_generic_message_and_is_logged(qtbot, runner, message_boxes, caplog):
    def job(progress, cancel):
        raise ZeroDivisionError("division by zero")

    task = runner.submit(job)
    with qtbot.waitSignal(task.failed, timeout=5000):
        pass
    show_error(None, task.error)
    (_, text), = message_boxes
    assert "程序内部出错" in text
    assert "ZeroDivisionError" not in text and "Traceback" not in text
    assert any(record.exc_info and record.exc_info[0] is ZeroDivisionError for record in caplog.records)


def test_progress_dialog_cancel_waits_for_the_job_to_stop(qtbot, runner, message_boxes):
    def press_cancel():
        dialog = QApplication.activeModalWidget()
        assert dialog is not None and dialog.isVisible()
        button = dialog.findChild(QPushButton)
        assert button.text() == "取消"
        button.click()

    QTimer.singleShot(100, press_cancel)
    task = run_with_progress(runner, wait_for_cancel, title="测试")
    assert task.state is TaskState.CANCELLED
    assert message_boxes == []


def test_progress_dialog_shows_a_failure(qtbot, runner, message_boxes):
    def job(progress, cancel):
        progress("开始", 0.1)
        raise LedgerNotFoundError("找不到台账文件")

    task = run_with_progress(runner, job, title="测试")
    assert task.state is TaskState.FAILED
    assert [text for _, text in message_boxes] == ["找不到台账文件"]


def test_the_garbage_collector_rests_while_a_job_runs_and_comes_back_after(qtbot, runner):
    import gc

    seen = []

    def job(progress, cancel):
        seen.append(gc.isenabled())
        raise ValueError("失败的任务也要恢复回收")

    assert gc.isenabled()
    task = runner.submit(job)
    with qtbot.waitSignal(task.ended, timeout=5000):
        pass
    assert seen == [False]
    assert task.state is TaskState.FAILED
    assert gc.isenabled()


def test_pending_counts_jobs_until_their_outcome_arrives(qtbot, runner):
    release = threading.Event()
    task = runner.submit(lambda progress, cancel: release.wait(5))
    assert runner.pending() == 1
    release.set()
    with qtbot.waitSignal(task.ended, timeout=5000):
        pass
    qtbot.waitUntil(lambda: runner.pending() == 0, timeout=2000)
