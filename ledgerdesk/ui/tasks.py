"""Long work off the GUI thread: one database worker, progress, cancel, results by signal.

A *job* is a plain callable ``job(progress, cancel) -> result``:

* ``progress(label: str, fraction: float)`` reports what it is doing (0.0–1.0);
* ``cancel() -> bool`` tells it the user asked to stop; it should then raise
  :class:`~ledgerdesk.core.errors.Cancelled` (after rolling back its work).

:meth:`TaskRunner.submit` queues a job on the single worker thread and returns
a :class:`Task` whose signals are always delivered on the GUI thread, so slots
may touch widgets. The job itself must not touch widgets, and whatever
database connection it opens it also closes (peewee connections are per
thread). :func:`run_with_progress` is the usual way to run one job behind a
modal progress dialog with a 取消 button.
"""

from __future__ import annotations

import enum
import itertools
import threading
import time
from typing import Any, Callable

from PySide6.QtCore import SIGNAL, SLOT, QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QProgressDialog, QWidget

from ledgerdesk.core.errors import Cancelled
from ledgerdesk.core.gc_pause import collector_paused
from ledgerdesk.ui.error_dialog import show_error

Progress = Callable[[str, float], None]
CancelRequested = Callable[[], bool]
Job = Callable[[Progress, CancelRequested], Any]

# Progress reports closer together than this are dropped (a new label or the
# end always goes through), so a chatty job cannot flood the GUI's event queue.
_PROGRESS_INTERVAL_S = 0.05


class TaskState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Task(QObject):
    """One submitted job, seen from the GUI thread.

    Exactly one of ``finished(result)``, ``failed(exception)`` or
    ``cancelled()`` is emitted, then ``ended()``. Afterwards :attr:`state`,
    :attr:`result` and :attr:`error` keep the outcome.
    """

    progressed = Signal(str, float)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    ended = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.state = TaskState.QUEUED
        self.result: Any = None
        self.error: BaseException | None = None
        self._cancel_requested = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop; it stops at its next check of ``cancel()``."""
        self._cancel_requested.set()

    def cancel_requested(self) -> bool:
        return self._cancel_requested.is_set()

    @property
    def done(self) -> bool:
        return self.state in (TaskState.FINISHED, TaskState.FAILED, TaskState.CANCELLED)

    def _end(self, state: TaskState, result: Any = None, error: BaseException | None = None) -> None:
        self.state, self.result, self.error = state, result, error
        if state is TaskState.FINISHED:
            self.finished.emit(result)
        elif state is TaskState.FAILED:
            self.failed.emit(error)
        else:
            self.cancelled.emit()
        self.ended.emit()


class _Worker(QObject):
    """Lives on the worker thread; reports by signals that the runner receives queued."""

    started = Signal(int)
    progressed = Signal(int, str, float)
    succeeded = Signal(int, object)
    failed = Signal(int, object)
    cancelled = Signal(int)

    @Slot(int, object, object)
    def run(self, task_id: int, job: Job, cancel_requested: CancelRequested) -> None:
        if cancel_requested():
            self.cancelled.emit(task_id)
            return
        self.started.emit(task_id)
        last = {"label": None, "at": 0.0}

        def progress(label: str, fraction: float) -> None:
            now = time.monotonic()
            if label == last["label"] and fraction < 1.0 and now - last["at"] < _PROGRESS_INTERVAL_S:
                return
            last["label"], last["at"] = label, now
            self.progressed.emit(task_id, str(label), float(fraction))

        try:
            with collector_paused():
                result = job(progress, cancel_requested)
        except Cancelled:
            self.cancelled.emit(task_id)
        except Exception as exc:  # noqa: BLE001 — every failure goes back to the GUI, which reports it
            self.failed.emit(task_id, exc)
        else:
            self.succeeded.emit(task_id, result)


class TaskRunner(QObject):
    """The one database worker thread; jobs run one at a time, in submission order.

    Create it on the GUI thread and call :meth:`shutdown` before the
    application exits (it cancels queued jobs and waits for the running one).
    """

    _dispatch = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._tasks: dict[int, Task] = {}
        self._thread = QThread()
        self._thread.setObjectName("ledgerdesk-db-worker")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        queued = Qt.ConnectionType.QueuedConnection
        self._dispatch.connect(self._worker.run, queued)
        self._worker.started.connect(self._on_started, queued)
        self._worker.progressed.connect(self._on_progressed, queued)
        self._worker.succeeded.connect(self._on_succeeded, queued)
        self._worker.failed.connect(self._on_failed, queued)
        self._worker.cancelled.connect(self._on_cancelled, queued)
        self._thread.start()

    def submit(self, job: Job) -> Task:
        """Queue ``job`` on the worker thread; connect to the returned task's signals."""
        if not self._thread.isRunning():
            raise RuntimeError("TaskRunner has been shut down")
        task_id = next(self._ids)
        task = Task()  # owned by the caller (and by the runner until it ends)
        self._tasks[task_id] = task
        self._dispatch.emit(task_id, job, task.cancel_requested)
        return task

    def pending(self) -> int:
        """How many submitted jobs have not ended yet on the GUI thread (queued, running, or result not yet delivered)."""
        return len(self._tasks)

    def shutdown(self) -> None:
        """Ask every queued or running job to stop, wait for the worker, end its thread."""
        for task in self._tasks.values():
            task.cancel()
        self._thread.quit()
        self._thread.wait()

    @Slot(int)
    def _on_started(self, task_id: int) -> None:
        if task := self._tasks.get(task_id):
            task.state = TaskState.RUNNING

    @Slot(int, str, float)
    def _on_progressed(self, task_id: int, label: str, fraction: float) -> None:
        if task := self._tasks.get(task_id):
            task.progressed.emit(label, fraction)

    @Slot(int, object)
    def _on_succeeded(self, task_id: int, result: Any) -> None:
        self._end(task_id, TaskState.FINISHED, result=result)

    @Slot(int, object)
    def _on_failed(self, task_id: int, error: BaseException) -> None:
        self._end(task_id, TaskState.FAILED, error=error)

    @Slot(int)
    def _on_cancelled(self, task_id: int) -> None:
        self._end(task_id, TaskState.CANCELLED)

    def _end(self, task_id: int, state: TaskState, *, result: Any = None, error: BaseException | None = None):
        task = self._tasks.pop(task_id, None)
        if task is not None:
            task._end(state, result, error)


class TaskProgressDialog(QProgressDialog):
    """A modal progress dialog bound to one task; 取消 asks the task to stop.

    The dialog stays open until the job has really stopped: closing it or
    pressing Esc only asks for cancellation, so the caller never goes on
    while the worker is still writing.
    """

    _STEPS = 1000

    def __init__(self, task: Task, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.task = task
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setLabelText(self.tr("正在准备…"))
        self.setCancelButtonText(self.tr("取消"))
        self.setRange(0, self._STEPS)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumDuration(0)
        self.setMinimumWidth(460)
        # QProgressDialog hides itself on cancel; here cancel means "ask the job", not "abandon it".
        QObject.disconnect(self, SIGNAL("canceled()"), self, SLOT("cancel()"))
        self.canceled.connect(self.request_cancel)
        task.progressed.connect(self._show_progress)
        task.ended.connect(self._close)

    @Slot()
    def request_cancel(self) -> None:
        if self.task.done:
            return
        self.task.cancel()
        self.setLabelText(self.tr("正在取消，请稍候…"))

    def reject(self) -> None:  # Esc
        self.request_cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.task.done:
            super().closeEvent(event)
            return
        event.ignore()
        self.request_cancel()

    def exec(self) -> int:
        if self.task.done:  # ended before the dialog got to run
            return 0
        return super().exec()

    @Slot(str, float)
    def _show_progress(self, label: str, fraction: float) -> None:
        if not self.task.cancel_requested():
            self.setLabelText(label)
        self.setValue(round(max(0.0, min(1.0, fraction)) * self._STEPS))

    @Slot()
    def _close(self) -> None:
        self.done(0)


def plain_job(session, fn: Callable[..., Any], *args, **kwargs) -> Job:
    """A job calling ``fn(session, *args, **kwargs)`` on the worker (no progress); closes the worker's connection."""

    def job(progress, cancel):
        try:
            return fn(session, *args, **kwargs)
        finally:
            session.ledger.db.close()  # the worker thread's own connection

    return job


def run_with_progress(runner: TaskRunner, job: Job, *, title: str, parent: QWidget | None = None) -> Task:
    """Run ``job`` on the worker behind a modal progress dialog; returns the ended task.

    A failure has already been shown to the user (:func:`show_error`) when
    this returns; a cancellation is silent. Inspect ``task.state``.
    """
    task = runner.submit(job)
    dialog = TaskProgressDialog(task, title, parent)
    dialog.exec()
    dialog.deleteLater()
    if task.state is TaskState.FAILED:
        show_error(parent, task.error)
    return task
