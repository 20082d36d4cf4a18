"""Automatic backups of a ledger file, taken with SQLite's online backup.

Before a sync import (and, with the trust issue, before Excel imports,
migrations and restores, and daily) the ledger is copied, consistently even
while open, into the folder ``备份`` next to the ledger file, as
``<name>-<YYYYmmdd-HHMMSS>-<reason>.ldbak``; the newest ``backup.keep`` copies
(setting, default 10) are kept, older ones removed. A backup is an ordinary
ledger database (openable with ``--db``). An in-memory ledger has no backups.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ledgerdesk.store.database import MEMORY

KEEP_SETTING = "backup.keep"
DEFAULT_KEEP = 10
SUFFIX = ".ldbak"


def backup_folder(ledger) -> Path:
    return Path(ledger.path).parent / "备份"


def backup_now(session, reason: str, *, keep: int | None = None) -> Path | None:
    """Copy the ledger of ``session`` into its backup folder; returns the copy (None for a memory ledger).

    Must run outside a write transaction (the copy is of committed data).
    """
    ledger = session.ledger
    if ledger.path == MEMORY:
        return None
    folder = backup_folder(ledger)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = ledger.clock.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{Path(ledger.path).stem}-{stamp}-{reason}{SUFFIX}"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{Path(ledger.path).stem}-{stamp}-{reason}-{n}{SUFFIX}"
    temp = target.with_suffix(".part")
    dest = sqlite3.connect(temp)
    try:
        ledger.db.connection().backup(dest)
    finally:
        dest.close()
    with open(temp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(temp, target)
    _rotate(folder, Path(ledger.path).stem, keep if keep is not None else _keep(session))
    return target


def _keep(session) -> int:
    from ledgerdesk.services.registry_common import setting_int

    n = setting_int(session, KEEP_SETTING)
    return n if n > 0 else DEFAULT_KEEP


def _rotate(folder: Path, stem: str, keep: int) -> None:
    copies = sorted(folder.glob(f"{stem}-*{SUFFIX}"), key=lambda p: p.stat().st_mtime_ns)
    for old in copies[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
