"""Hybrid logical clock (Kulkarni et al.): wall milliseconds plus a counter.

A timestamp is one integer, ``ms << 16 | counter``; ties between sites break on
the site id, so ``(hlc, site)`` totally orders every version ever written.
Remote timestamps are never refused (field devices have wrong clocks, see
sync.md); :attr:`HybridClock.drift_ms` tells how far the wall clock lags what
has been seen, so the UI can warn.
"""

from __future__ import annotations

from ledgerdesk.core.clock import Clock

COUNTER_BITS = 16
COUNTER_MASK = (1 << COUNTER_BITS) - 1


def pack(ms: int, counter: int) -> int:
    return ms << COUNTER_BITS | counter


def unpack(hlc: int) -> tuple[int, int]:
    """(wall milliseconds, counter) of a packed timestamp."""
    return hlc >> COUNTER_BITS, hlc & COUNTER_MASK


class HybridClock:
    """Issues monotonically increasing HLC timestamps for one site."""

    def __init__(self, clock: Clock, last: int = 0):
        self.clock = clock
        self.last = last

    def tick(self) -> int:
        """The timestamp for a local event."""
        wall = self.clock.now_ms()
        last_ms, counter = unpack(self.last)
        if wall > last_ms:
            self.last = pack(wall, 0)
        elif counter < COUNTER_MASK:
            self.last = pack(last_ms, counter + 1)
        else:
            self.last = pack(last_ms + 1, 0)
        return self.last

    def observe(self, remote: int) -> None:
        """Fold in a timestamp seen on another site, so later local ticks follow it."""
        if remote > self.last:
            self.last = remote

    @property
    def drift_ms(self) -> int:
        """How far the local wall clock is behind the newest timestamp seen (0 if not)."""
        return max(0, unpack(self.last)[0] - self.clock.now_ms())
