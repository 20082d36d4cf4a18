"""Python's cyclic garbage collector paused for the length of a bulk job."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block; the collector's previous state after it.

    For work that creates hundreds of thousands of short-lived objects without
    cycles (a demo build, a roster import, a sync file): full collections
    triggered by their sheer number walk every object of the process again and
    again, holding the interpreter lock (≈20 % of a county demo build; 100–200 ms
    GUI stalls during a worker job). Objects are still freed by reference
    counting; cycles made inside wait for the collector's next run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
