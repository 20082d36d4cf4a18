"""Page modules imported on a background thread once the main window shows.

A page's first opening used to import its module and what that imports
(services, the Excel reader, the sync code) on the GUI thread: 50–130 ms of
frozen window per page. Importing is Python code, so a plain thread doing it
gives the GUI thread the interpreter lock every few milliseconds; the pages then
open with their modules already loaded. A module that fails to import is left
for the page to report when it is opened.
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import Iterable


def start_preloading(modules: Iterable[str]) -> threading.Thread:
    """Import ``modules`` in order on a daemon thread; returns the started thread."""
    names = list(modules)

    def run() -> None:
        for name in names:
            try:
                import_module(name)
            except Exception:  # noqa: BLE001 — the page shows the error when it is opened
                pass

    thread = threading.Thread(target=run, name="ledgerdesk-preload", daemon=True)
    thread.start()
    return thread
