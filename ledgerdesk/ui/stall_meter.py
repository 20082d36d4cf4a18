"""How long the GUI thread stops answering: the gaps of a fast timer on the event loop.

:class:`StallMeter` runs a ``Qt.TimerType.PreciseTimer`` QTimer (every
``interval_ms``, 5 ms by default) on the GUI thread and notes the time between
consecutive timeouts. While the event loop turns freely the gap is about the
interval; while something runs on the GUI thread (a slot, a synchronous query,
a page being built, ``time.sleep``) no timeout can be delivered, so the gap
grows by exactly how long the loop was held. A *stall* is that excess: the gap
minus the interval, never below 0.

What it measures and how well:

* Resolution: about the interval plus timer jitter (a few ms on Linux). A
  hold shorter than the interval cannot be told from normal scheduling, so
  read figures below ~10 ms as "no stall".
* A stall is seen when it *ends* (the first timeout after it). Nested event
  loops (a modal ``exec()``, ``processEvents``) deliver the timer too, so the
  time the user spends in a progress dialog is not a stall — only the code
  that runs without returning to any loop is.
* Work on other threads never counts, but a worker that holds the GIL for
  long stretches delays the GUI thread and so shows up — as it should: the
  user sees the same frozen window.
* Every stall of at least ``record_over_ms`` is kept (time and length);
  :meth:`stalls` filters that record. :attr:`longest_ms` covers every gap.
* Who held the loop: each operation's longest stall also carries the CPU time
  the GUI thread itself used during it (``time.thread_time``). Close to the
  stall: the GUI thread was computing (our code, Qt painting). Far below it:
  the thread was waiting — for the GIL held by the worker thread, for disk,
  or for a CPU on a loaded machine.

Per operation: :meth:`begin` / :meth:`end` (or ``with meter.operation(label)
as op:``) attribute the gaps between the two calls to one label. The gap in
progress at either call is split there, so each stall is counted in the
operation it happened in. :meth:`end` returns an :class:`OperationStalls`;
``as_dict()`` gives ``{label, duration_ms, longest_stall_ms,
longest_stall_cpu_ms, stalls_over_100ms, stalls_ms}`` (``stalls_ms``: the ten
longest recorded stalls, longest first).

:func:`stall_log_from_env` is the opt-in diagnostic of the real app: with
``LEDGERDESK_STALL_LOG=<ms>`` every stall over that many milliseconds is
written to stderr with the key of the page shown at the time.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

DEFAULT_INTERVAL_MS = 5
DEFAULT_RECORD_OVER_MS = 20.0
REPORT_OVER_MS = 100.0  # the quality.md limit: no operation blocks the GUI thread longer
ENV_STALL_LOG = "LEDGERDESK_STALL_LOG"


def _now() -> float:
    return time.perf_counter()


@dataclass
class OperationStalls:
    """The stalls of one operation between :meth:`StallMeter.begin` and :meth:`StallMeter.end`."""

    label: str
    started: float  # time.perf_counter() at begin
    ended: float | None = None
    longest_stall_ms: float = 0.0
    longest_stall_cpu_ms: float = 0.0  # GUI-thread CPU time during the longest stall
    stalls_ms: list[float] = field(default_factory=list)  # each stall ≥ the meter's record_over_ms, in order

    @property
    def duration_ms(self) -> float:
        end = self.ended if self.ended is not None else _now()
        return (end - self.started) * 1000

    def stalls_over(self, over_ms: float) -> list[float]:
        return [ms for ms in self.stalls_ms if ms > over_ms]

    def as_dict(self) -> dict:
        return {"label": self.label, "duration_ms": round(self.duration_ms, 1),
                "longest_stall_ms": round(self.longest_stall_ms, 1),
                "longest_stall_cpu_ms": round(self.longest_stall_cpu_ms, 1),
                "stalls_over_100ms": len(self.stalls_over(REPORT_OVER_MS)),
                "stalls_ms": [round(ms, 1) for ms in sorted(self.stalls_ms, reverse=True)[:10]]}


class StallMeter(QObject):
    """Measures event-loop stalls of the thread it lives on (see the module docstring).

    ``stalled(at_ms, ms, cpu_ms)`` is emitted for every recorded stall: ``at_ms``
    is when it began, in milliseconds since :meth:`start`; ``cpu_ms`` the GUI
    thread's own CPU time during it.
    """

    stalled = Signal(float, float, float)

    def __init__(self, interval_ms: int = DEFAULT_INTERVAL_MS, *, record_over_ms: float = DEFAULT_RECORD_OVER_MS,
                 parent: QObject | None = None):
        super().__init__(parent)
        if interval_ms < 1:
            raise ValueError("interval_ms must be at least 1")
        self.interval_ms = interval_ms
        self.record_over_ms = record_over_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._origin = _now()
        self._last = self._origin
        self._last_cpu = time.thread_time()
        self._longest = 0.0
        self._stalls: list[tuple[float, float]] = []
        self._op: OperationStalls | None = None
        self._op_last = 0.0  # the later of the last tick and the operation's begin
        self._op_last_cpu = 0.0

    # -- running ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start (or restart) ticking; stall times are counted from now."""
        self._origin = self._last = _now()
        self._last_cpu = time.thread_time()
        self._timer.start()

    def stop(self) -> None:
        """Stop ticking; the gap in progress is counted as if a tick came now."""
        if self._timer.isActive():
            self._observe(_now(), time.thread_time())
            self._timer.stop()

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def reset(self) -> None:
        """Forget the stalls seen so far (and :attr:`longest_ms`); keeps running if it was."""
        self._longest = 0.0
        self._stalls = []
        self._last = _now()
        self._last_cpu = time.thread_time()

    @Slot()
    def _tick(self) -> None:
        self._observe(_now(), time.thread_time())

    def _observe(self, now: float, cpu: float) -> None:
        excess = self._excess(now - self._last)
        self._longest = max(self._longest, excess)
        if excess >= self.record_over_ms:
            at_ms = (self._last - self._origin) * 1000
            self._stalls.append((at_ms, excess))
            self.stalled.emit(at_ms, excess, (cpu - self._last_cpu) * 1000)
        self._last, self._last_cpu = now, cpu
        if self._op is not None:
            self._op_observe(now, cpu)

    def _excess(self, gap_s: float) -> float:
        return max(0.0, gap_s * 1000 - self.interval_ms)

    # -- figures ------------------------------------------------------------------------------------

    @property
    def longest_ms(self) -> float:
        """The longest stall seen since :meth:`start` / :meth:`reset` (ms beyond the interval, ≥ 0)."""
        return self._longest

    def stalls(self, over_ms: float = REPORT_OVER_MS) -> list[tuple[float, float]]:
        """``(at_ms, ms)`` of every recorded stall longer than ``over_ms``, oldest first.

        Only stalls of at least ``record_over_ms`` are recorded, so a smaller
        ``over_ms`` returns no more than that.
        """
        return [(at, ms) for at, ms in self._stalls if ms > over_ms]

    # -- operations ---------------------------------------------------------------------------------

    def begin(self, label: str) -> OperationStalls:
        """Start attributing stalls to ``label`` (one operation at a time)."""
        if self._op is not None:
            raise RuntimeError(f"operation {self._op.label!r} has not ended")
        now = _now()
        self._op = OperationStalls(label, now)
        self._op_last, self._op_last_cpu = now, time.thread_time()
        return self._op

    def end(self) -> OperationStalls:
        """End the current operation (its gap in progress counts up to now) and return its figures."""
        op = self._op
        if op is None:
            raise RuntimeError("no operation has begun")
        now = _now()
        self._op_observe(now, time.thread_time())
        op.ended = now
        self._op = None
        return op

    @contextmanager
    def operation(self, label: str) -> Iterator[OperationStalls]:
        """``with meter.operation("预览") as op:`` — :meth:`begin` / :meth:`end` around the block."""
        op = self.begin(label)
        try:
            yield op
        finally:
            self.end()

    def _op_observe(self, now: float, cpu: float) -> None:
        op = self._op
        excess = self._excess(now - self._op_last)
        if excess > op.longest_stall_ms:
            op.longest_stall_ms = excess
            op.longest_stall_cpu_ms = (cpu - self._op_last_cpu) * 1000
        if excess >= self.record_over_ms:
            op.stalls_ms.append(excess)
        self._op_last, self._op_last_cpu = now, cpu


# -- the app's opt-in diagnostic -----------------------------------------------------------------------


def stall_log_from_env(window, *, environ=None, write: Callable[[str], None] | None = None) -> StallMeter | None:
    """With ``LEDGERDESK_STALL_LOG=<ms>`` set: a running meter that writes each stall over ``<ms>`` to stderr.

    Each line: ``stall <ms> ms (GUI thread CPU <ms> ms) on page <key> at <s> s``; the page is
    ``window.current_key()`` when the window has one. Returns None (nothing started) when the
    variable is unset or not a number. The meter is a child of ``window``.
    """
    raw = (os.environ if environ is None else environ).get(ENV_STALL_LOG, "").strip()
    try:
        threshold = float(raw)
    except ValueError:
        return None
    write = write or (lambda line: print(line, file=sys.stderr, flush=True))
    meter = StallMeter(record_over_ms=max(1.0, threshold), parent=window)

    def log(at_ms: float, ms: float, cpu_ms: float) -> None:
        if ms <= threshold:
            return
        try:
            page = window.current_key()
        except Exception:  # noqa: BLE001 — a diagnostic never breaks the app (window closing, no page yet)
            page = "?"
        write(f"stall {ms:.0f} ms (GUI thread CPU {cpu_ms:.0f} ms) on page {page} at {at_ms / 1000:.1f} s")

    meter.stalled.connect(log)
    meter.start()
    return meter
