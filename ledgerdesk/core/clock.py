"""Wall-clock access, injectable so no test depends on the real date.

Everything that needs "now" or "today" takes a :class:`Clock`. The app uses
:class:`SystemClock`; tests use :class:`FixedClock` and move it by hand.
"""

from __future__ import annotations

import datetime as dt
import time


class Clock:
    """The source of the current time."""

    def now_ms(self) -> int:
        """Unix time in milliseconds."""
        raise NotImplementedError

    def now(self) -> dt.datetime:
        """Local wall time, naive (the office's own time zone)."""
        return dt.datetime.fromtimestamp(self.now_ms() / 1000)

    def today(self) -> dt.date:
        """The local calendar date."""
        return self.now().date()


class SystemClock(Clock):
    """The machine's clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class FixedClock(Clock):
    """A clock that stands still until moved; for tests and reproducible builds."""

    def __init__(self, at: dt.datetime | int):
        self._ms = at if isinstance(at, int) else int(at.timestamp() * 1000)

    def now_ms(self) -> int:
        return self._ms

    def advance(self, *, days: float = 0, seconds: float = 0, ms: int = 0) -> None:
        """Move the clock forward (or back, with negative values)."""
        self._ms += int(days * 86_400_000 + seconds * 1000) + ms

    def set(self, at: dt.datetime) -> None:
        self._ms = int(at.timestamp() * 1000)
