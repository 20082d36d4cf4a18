"""Sync by exported file: export and import of ~100K field changes, and the size of a week's file (quality.md).

The content (tests/bench/sync_scenario.py, built once per run in a temporary
folder, whatever the profile — it needs no demo ledger): a township office
ledger (15 villages, 12,000 households, 40,000 persons, 300 problems) that
enrolled a laptop with real keys and sent it a full file; the office then
edits 500 persons/households itself, while the laptop does field work in
five villages — person and household edits (1–3 fields each), new households
with members, visits, problem events and new problems — until its own
versions set ≥ 100,000 fields. A FIELD CHANGE is one column set by one
version: the sum over the file's versions of the keys of their ``fields``
(a creation counts every column it writes, an edit the columns it changed).

sync_export: exchange.export_bundle(laptop, out) — the incremental file the
  office has not acknowledged, i.e. exactly the laptop's own versions (read
  from the log, encoded, compressed, encrypted, signed, written with fsync
  and renamed). Median of ``repeat`` runs after a warm-up; changes/s.
sync_import: exchange.import_bundle(office_copy, file, backup=False) into a
  fresh copy of the office ledger each run (the copy and the opening of the
  ledger are not timed; verification, decryption, decode, merge, conflicts,
  problem-state rebuild and the commit are). Median of ``repeat`` runs after a
  warm-up; changes/s.
Floor of both (quality.md: "bare executemany upsert of the same rows"): the
  rows the import leaves in every table it touched (each touched entity's final
  row: id, vid and every column), written with one
  ``INSERT INTO t (id, vid, …) VALUES (…) ON CONFLICT (id) DO UPDATE SET vid = excluded.vid, … every column``
  executemany per table, in one transaction, committed, on a raw sqlite3
  connection with the ledger's own pragmas (WAL, synchronous=FULL, 64 MiB
  cache) to a fresh copy of the same office ledger whose guard triggers
  (``<table>_guard_insert/update/delete``, store/migrations.py) on those tables
  were dropped before timing. The search-index triggers stay (they are part
  of writing a person or household). The same field-change count is divided by
  its median time. ``detail.floor_no_triggers_changes_per_s`` is the same
  upsert with every trigger of those tables dropped. Target (quality.md):
  ≥ 20,000 changes/s each way and ≤ 4× the floor's time (ratio = floor
  rate / rate).
sync_week_file: the size of one week of one laptop's field work exported as
  an incremental file (a copy of the laptop right after joining, then 5
  working days of: 2 visits with 1–3 households each, 8 household edits, 24
  person edits, a new household with its members, a problem event, and one new
  problem; no photos — LedgerDesk has none). quality.md says "well under
  1 MB"; the target here is ≤ 256 KB (a quarter of it).

Run ``python tests/bench/workloads_sync.py profile`` for a pyinstrument (or
cProfile) profile of one export and one import of the same content.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from workloads import Entry, timed_ms  # noqa: E402

import sync_scenario as S  # noqa: E402

TARGET_CHANGES = int(os.environ.get("LEDGERDESK_BENCH_SYNC_CHANGES", "100000"))  # smaller only to develop
TARGET_RATE = 20_000
TARGET_RATIO = 4.0
WEEK_TARGET_KB = 256
# A sync group is one township (its office, laptops and desktops); the county holds one ledger per
# group. So whatever the profile, the files are a township group's (module docstring).
SCALE = "township group"

_STATE: dict = {}


def _log(msg: str) -> None:
    print(f"  [sync] {msg}", file=sys.stderr, flush=True)


def scenario() -> S.Scenario:
    """The content, built once per process (both workloads and the floor share it)."""
    if "scn" not in _STATE:
        t0 = time.perf_counter()
        scn = S.build(target_changes=TARGET_CHANGES, log=_log)
        scn.setup["total_build_s"] = round(time.perf_counter() - t0, 1)
        atexit.register(shutil.rmtree, scn.root, True)
        _STATE["scn"] = scn
    return _STATE["scn"]


def _open(path: Path, at: dt.datetime, user: str):
    from ledgerdesk.core.clock import FixedClock
    from ledgerdesk.services import workspace

    return workspace.open_ledger(path, clock=FixedClock(at), user=user)


def _import_once(scn: S.Scenario, dest: Path):
    """Copy the office (not timed), open it (not timed), import the file (timed). Returns (seconds, report)."""
    from ledgerdesk.sync import exchange

    S.copy_ledger(scn.office, dest)
    session = _open(dest, scn.end + dt.timedelta(days=1), "乡镇管理员")
    try:
        t0 = time.perf_counter()
        report = exchange.import_bundle(session, scn.bundle, backup=False)
        seconds = time.perf_counter() - t0
    finally:
        session.close()
    return seconds, report


def _resulting_rows(scn: S.Scenario, imported: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """{table: (columns, rows)}: the final row of every entity the file touched, as the import left it."""
    import json

    from ledgerdesk.sync import bundle, devices

    session = _open(imported, scn.end + dt.timedelta(days=1), "乡镇管理员")
    try:
        rows = json.loads(bundle.read_bundle(scn.bundle, trust=devices.trust_anchor(session)).payload)
        by_table: dict[str, list[str]] = {}
        for r in rows:
            by_table.setdefault(r[4], []).append(r[5])
        conn = session.ledger.db.connection()
        out = {}
        for table, ids in by_table.items():
            ids = sorted(set(ids))
            cols = [c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')]
            found = []
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                found += conn.execute(f'SELECT {", ".join(cols)} FROM "{table}" WHERE id IN '
                                      f'({", ".join("?" * len(part))})', part).fetchall()
            out[table] = (cols, found)
    finally:
        session.close()
    return out


def _upsert_once(scn: S.Scenario, dest: Path, rows: dict, *, drop: str) -> float:
    """The floor: copy (not timed), drop triggers (not timed), executemany upserts + commit (timed)."""
    S.copy_ledger(scn.office, dest)
    conn = S.pragmas_connection(dest)
    try:
        tables = list(rows)
        like = "AND name LIKE '%\\_guard\\_%' ESCAPE '\\'" if drop == "guards" else ""
        triggers = conn.execute(
            f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({', '.join('?' * len(tables))}) "
            f"{like}", tables).fetchall()
        for (name,) in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        statements = []
        for table, (cols, data) in rows.items():
            sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id")
            statements.append((f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))}) '
                               f"ON CONFLICT (id) DO UPDATE SET {sets}", data))
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for sql, data in statements:
            conn.executemany(sql, data)
        conn.execute("COMMIT")
        return time.perf_counter() - t0
    finally:
        conn.close()


def measurements(ctx) -> dict:
    """Export runs, import runs and the floor, measured once per process in this order."""
    if "m" in _STATE:
        return _STATE["m"]
    from ledgerdesk.sync import exchange

    scn = scenario()
    repeat = max(1, ctx["repeat"])
    work = scn.root / "runs"
    work.mkdir(exist_ok=True)

    laptop = _open(scn.laptop_path, scn.end, "走访干部")
    try:
        out = work / "export.ldsync"
        sizes = []
        export_ms = timed_ms(lambda: sizes.append(exchange.export_bundle(laptop, out).size), repeat)
    finally:
        laptop.close()

    import_s, reports = [], []
    for i in range(repeat + 1):  # the first run warms the caches and gives the rows for the floor
        seconds, report = _import_once(scn, work / f"import-{i % 2}.sqlite3")
        if i == 0:
            rows = _resulting_rows(scn, work / "import-0.sqlite3")
        else:
            import_s.append(seconds)
        reports.append(report)

    floor_s = [_upsert_once(scn, work / "floor.sqlite3", rows, drop="guards") for _ in range(repeat + 1)][1:]
    bare_s = [_upsert_once(scn, work / "floor.sqlite3", rows, drop="all") for _ in range(repeat + 1)][1:]
    for leftover in work.glob("*.sqlite3*"):
        leftover.unlink(missing_ok=True)
    r = reports[-1]
    _STATE["m"] = {
        "export_s": [t / 1000 for t in export_ms], "import_s": import_s, "floor_s": floor_s, "bare_s": bare_s,
        "bundle_bytes": sizes[-1],
        "rows": {t: len(data) for t, (_, data) in rows.items()},
        "import_report": {"versions": r.versions, "new_versions": r.new_versions, "created": r.created,
                          "updated": r.updated, "conflicts": r.conflicts, "held": r.held,
                          "flagged_problems": r.flagged_problems},
    }
    return _STATE["m"]


def _entry(ctx, key: str, extra: dict) -> Entry:
    scn = scenario()
    m = measurements(ctx)
    seconds = statistics.median(m[key])
    floor = statistics.median(m["floor_s"])
    rate, floor_rate = scn.changes / seconds, scn.changes / floor
    ratio = floor_rate / rate
    met = rate >= TARGET_RATE and ratio <= TARGET_RATIO
    return Entry(round(rate), "changes/s", f"≥ {TARGET_RATE:,} changes/s and ≤ {TARGET_RATIO:g}× floor", met,
                 round(floor_rate), round(ratio, 2), detail={
                     "scale": SCALE,
                     "field_changes": scn.changes, "versions": scn.versions,
                     "runs_s": [round(t, 3) for t in m[key]], "floor_runs_s": [round(t, 3) for t in m["floor_s"]],
                     "floor_no_triggers_changes_per_s": round(scn.changes / statistics.median(m["bare_s"])),
                     "floor_rows": m["rows"], "bundle_bytes": m["bundle_bytes"],
                     "bundle_bytes_per_change": round(m["bundle_bytes"] / scn.changes, 2),
                     "by_table_versions_changes_creations": scn.by_table, **extra})


def sync_export(ctx) -> Entry:
    return _entry(ctx, "export_s", {"setup": scenario().setup})


def sync_import(ctx) -> Entry:
    return _entry(ctx, "import_s", {"import_report": measurements(ctx)["import_report"]})


def sync_week_file(ctx) -> Entry:
    scn = scenario()
    _, info = S.week_file(scn)
    kb = info["bytes"] / 1024
    return Entry(round(kb, 1), "KB", f"≤ {WEEK_TARGET_KB} KB (well under 1 MB)", kb <= WEEK_TARGET_KB, detail={
        "scale": SCALE,
        "versions": info["versions"], "field_changes": info["changes"],
        "bytes_per_change": round(info["bytes"] / info["changes"], 2),
        "by_table_versions_changes_creations": info["by_table"],
        "assumed": "5 working days × (2 visits of 1–3 households, 8 household edits, 24 person edits); "
                   "~1 new household with 1–5 members, 1 problem event, 1 new problem per week; no photos"})


WORKLOADS = {"sync_export": sync_export, "sync_import": sync_import, "sync_week_file": sync_week_file}


# -- profiling ------------------------------------------------------------------------------------


def profile(out_dir: Path = Path("/tmp")) -> None:
    """Profile one export and one import of the benchmark's content (pyinstrument if installed, else cProfile)."""
    from ledgerdesk.sync import exchange

    scn = scenario()
    laptop = _open(scn.laptop_path, scn.end, "走访干部")
    dest = scn.root / "profile.sqlite3"
    S.copy_ledger(scn.office, dest)
    office = _open(dest, scn.end + dt.timedelta(days=1), "乡镇管理员")
    jobs = {"export": lambda: exchange.export_bundle(laptop, scn.root / "profile.ldsync"),
            "import": lambda: exchange.import_bundle(office, scn.bundle, backup=False)}
    try:
        jobs["export"]()  # warm the caches once
        for name, job in jobs.items():
            try:
                from pyinstrument import Profiler
            except ImportError:
                import cProfile
                import pstats

                prof = cProfile.Profile()
                prof.runcall(job)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
                continue
            prof = Profiler(interval=0.001)
            prof.start()
            job()
            prof.stop()
            print(prof.output_text(unicode=True, color=False, show_all=False))
            (out_dir / f"sync_{name}_profile.html").write_text(prof.output_html())
    finally:
        laptop.close()
        office.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["profile"]:
        profile()
    else:
        print(__doc__)
