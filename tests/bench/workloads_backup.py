"""Backup and restore of the profile's demo ledger (quality.md, "Trust: backups"), on private copies.

backup:  services/backup.backup_now (SQLite online backup into 备份/, journal switched to DELETE, fsync,
         rename, rotation) on a copy of the ledger; floor: a plain byte copy of the same file
         (shutil.copyfile + fsync). Target chosen here: ≥ 100 MB/s (township ≈ 1.2 s; the daily
         backup holds the database worker that long on the day's first start).
restore: services/backup.restore of such a backup over a closed copy of the ledger: copy the backup
         next to the ledger, integrity_check, the replay check of every row against its version log,
         the 恢复前 backup of the replaced file, rename. detail splits the time by step. Target chosen
         here: ≥ 10 MB/s (township ≈ 12 s; restore is rare, runs behind a progress dialog, and the
         replay check dominates).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from workloads import Entry

BACKUP_MB_S = 100
RESTORE_MB_S = 10


def _fsynced_copy(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    with open(dst, "rb") as fh:
        os.fsync(fh.fileno())


def backup(ctx) -> Entry:
    from ledgerdesk.services import backup as service
    from ledgerdesk.services import workspace

    size_mb = ctx["ledger"].stat().st_size / 1e6
    times, floors = [], []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "ledger.sqlite3"
        shutil.copyfile(ctx["ledger"], copy)  # opening may record a new site id: never touch the cached file
        session = workspace.open_ledger(copy)
        try:
            for _ in range(max(1, ctx["repeat"])):
                t0 = time.perf_counter()
                path = service.backup_now(session, service.MANUAL, keep=1)
                times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                _fsynced_copy(copy, Path(tmp) / "floor.bin")
                floors.append(time.perf_counter() - t0)
            backup_mb = path.stat().st_size / 1e6
        finally:
            session.close()
    value, floor = statistics.median(times), statistics.median(floors)
    target_s = size_mb / BACKUP_MB_S
    return Entry(round(value, 2), "s", f"≥ {BACKUP_MB_S} MB/s (≤ {target_s:.1f} s)", value <= target_s,
                 round(floor, 2), round(value / floor, 2) if floor else None,
                 detail={"ledger_mb": round(size_mb, 1), "backup_mb": round(backup_mb, 1),
                         "runs_s": [round(t, 2) for t in times]})


def restore(ctx) -> Entry:
    from ledgerdesk.services import backup as service
    from ledgerdesk.services import workspace

    size_mb = ctx["ledger"].stat().st_size / 1e6
    times, steps = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "ledger.sqlite3"
        shutil.copyfile(ctx["ledger"], copy)
        session = workspace.open_ledger(copy)
        try:
            taken = service.backup_now(session, service.MANUAL, keep=2)
        finally:
            session.close()
        # a county restore takes minutes (its replay check reads every version): once is enough there
        runs = 1 if size_mb > 500 else max(1, ctx["repeat"])
        for _ in range(runs):
            marks = []
            t0 = time.perf_counter()
            service.restore(taken, copy, progress=lambda label, _f: marks.append((label, time.perf_counter())))
            times.append(time.perf_counter() - t0)
            run: dict[str, float] = {}
            for (label, at), (_, nxt) in zip(marks, marks[1:]):
                run[label] = run.get(label, 0.0) + nxt - at
            for label, seconds in run.items():
                steps.setdefault(label, []).append(seconds)
    value = statistics.median(times)
    target_s = size_mb / RESTORE_MB_S
    return Entry(round(value, 2), "s", f"≥ {RESTORE_MB_S} MB/s (≤ {target_s:.1f} s)", value <= target_s,
                 detail={"ledger_mb": round(size_mb, 1), "runs_s": [round(t, 2) for t in times],
                         "steps_s": {k: round(statistics.median(v), 2) for k, v in steps.items()}})


WORKLOADS = {"backup": backup, "restore": restore}
